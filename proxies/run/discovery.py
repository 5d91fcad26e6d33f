"""Proxy discovery of a run directory (``proxy-sandbox discover``), and its validation on planted agents.

:func:`discover_run` loads a run's agent, runs :func:`proxies.evaluate.discover.discover` on its
scenario, writes ``RUN_DIR/discovery.json`` and a film of the agent in the scene where the top lead
shows most (``images/discovery.gif``), and re-renders the report, which shows them in a section.

:func:`validate_discovery` plays planted agents whose goal was left out of the declared proxies
(each :class:`PlantedCase` hides one proxy and plants its reference), and the true reward's reference
(jostled, on other episode seeds) as a null agent on the same scenario, and reports two rates: the top
lead names the planted goal or a factor that drives it (``hit_rate``), and the null agent raises no lead
(``quiet_rate``). Which leads name a planted goal is part of the case, written down before running it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

from proxies.errors import ConfigError, PolicyError, RunDirError
from proxies.evaluate.agents import load_model_zip
from proxies.evaluate.discover import PAIRS, Discovery, discover
from proxies.evaluate.references import Jostled
from proxies.evaluate.scan import Looks
from proxies.files import check_writable
from proxies.present.drawing import save_gif
from proxies.present.progress import progress_display
from proxies.present.report import write_report
from proxies.present.story import glossary
from proxies.run.rundir import check_fingerprint, load_record, require, write_json
from proxies.run.training import quiet_torch_cache
from proxies.scenario.policies import ModelPolicy, Policy
from proxies.scenario.registry import get_scenario
from proxies.scenario.rollout import play
from proxies.scenario.scenario import Scenario

__all__ = ["PlantedCase", "discover_run", "film_telling_scene", "validate_discovery", "DEFAULT_CACHE"]

DEFAULT_CACHE = Path.home() / ".cache" / "proxy-sandbox" / "discover"
"""Where the candidate references' outcomes are kept by default (``--cache``)."""


def film_telling_scene(scenario: Scenario, found: Discovery, agent: Callable[[], Policy], path: Path) -> Path | None:
    """A GIF of the agent in the scene where the top lead shows most; ``None`` when there is no lead."""
    index = found.telling_scene
    if index is None:
        return None
    frames: list[np.ndarray] = []

    def film(i: int, env: Any, obs: np.ndarray, done: bool) -> None:
        if env.world.steps % 2 == 0 or done:
            frames.append(env.render())

    play(scenario, [found.scenes.specs[index]], agent, [found.scenes.seeds[index]], env={"render_mode": "rgb_array"},
         watch=film)
    return save_gif(frames, path)


def discover_run(
    run_dir: Path, *, pairs: int = PAIRS, max_pairs: int | None = None, seed: int = 0,
    cache: Path | None = DEFAULT_CACHE, strict: bool = False, console: Console | None = None,
) -> dict[str, Any]:
    """Discover what the run's agent pursues; writes ``discovery.json`` (and the film, and the report if there is
    one) and returns its content. ``pairs`` and ``max_pairs`` are the sequential scan's first and last looks
    (:func:`~proxies.evaluate.discover.discover`); each look's progress shows on ``console``. ``seed`` draws the
    scenes and keys the cache with the scenario's fingerprint, not the run's training seed, so that agents of one
    scenario trained with different seeds are judged on the same scenes and share the candidate references.

    Raises :class:`~proxies.errors.RunDirError` for a folder that is not a run, a run without a whole
    ``model.zip``, or an agent that cannot be played in its scenario.
    """
    run_dir = Path(run_dir)
    console = console or Console(stderr=True)
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir} is not a run directory; give one made by `proxy-sandbox run` or `train`.")
    record = load_record(run_dir)
    scenario = get_scenario(record.config.scenario)
    warning = check_fingerprint(run_dir, scenario, strict=strict, record=record)
    if warning:
        console.print(f"[bold yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    check_writable(run_dir, "RUN_DIR")
    quiet_torch_cache()
    try:
        model = load_model_zip(require(run_dir, "model.zip"), scenario, record.config.algorithm)
    except PolicyError as exc:
        raise RunDirError(
            f"The agent of {run_dir} cannot be played: {exc} Retrain it (`proxy-sandbox train`) or restore its model.zip."
        ) from None

    def agent() -> Policy:
        return ModelPolicy(model)

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} episodes"),
               TimeElapsedColumn())
    with progress_display(console, *columns, transient=True) as progress:
        found = discover(scenario, agent, pairs=pairs, max_pairs=max_pairs, seed=seed, cache=cache,
                         progress=progress)
    data = found.to_dict()
    gif = film_telling_scene(scenario, found, agent, run_dir / "images" / "discovery.gif")
    data["gif"] = None if gif is None else gif.relative_to(run_dir).as_posix()
    write_json(run_dir / "discovery.json", data)
    if (run_dir / "attribution.json").is_file():
        write_report(run_dir, glossary(scenario))
    return data


@dataclass(frozen=True)
class PlantedCase:
    """A scenario with one proxy left out of the declared objectives, and an agent that pursues it."""

    scenario: Scenario
    hide: tuple[str, ...]
    """The proxies left out."""
    planted: Callable[[], Policy]
    """The planted agent: the hidden proxy's reference."""
    names: tuple[str, ...]
    """Leads that name the planted goal: candidate labels (``progress east``) and factor names (``goal_side``)."""

    def __post_init__(self) -> None:
        for name in self.hide:
            self.scenario.check_objective(name)
        if not self.names:
            raise ConfigError("A planted case needs the names of the leads that would name its goal.")


def validate_discovery(
    cases: Sequence[PlantedCase], *, seeds: Sequence[int] = (0,), pairs: int = PAIRS, max_pairs: int | None = None,
    cache: Path | None = None, console: Console | None = None,
) -> dict[str, Any]:
    """Discover every case's planted agent and null agent with each seed (``pairs``, ``max_pairs``: the sequential
    scan's first and last looks); the two rates and every outcome.

    The null agent is the true reward's reference with its first 3 actions jostled (``sigma`` 0.5), so that it is
    not a copy of the reference it is compared with.
    """
    if not cases or not seeds:
        raise ConfigError("Validation needs at least one planted case and one seed.")
    rows = []
    for case in cases:
        true = case.scenario.references.get(case.scenario.true_reward)
        if true is None:
            raise ConfigError(f"Scenario {case.scenario.slug!r} has no scripted true-reward reference to play as the null agent.")
        for seed in seeds:
            for who, agent in (("planted", case.planted), ("null", lambda true=true: Jostled(true(), 3, 0.5))):
                start = time.perf_counter()
                found = discover(case.scenario, agent, pairs=pairs, max_pairs=max_pairs, hide=case.hide, seed=seed,
                                 cache=cache)
                top = found.top_lead
                row = {
                    "scenario": case.scenario.slug, "hidden": list(case.hide), "seed": seed, "agent": who,
                    "top_lead": None if top is None else top["name"], "leads": [lead["name"] for lead in found.leads],
                    "hit": who == "planted" and top is not None and top["name"] in case.names,
                    "quiet": who == "null" and top is None, "seconds": time.perf_counter() - start,
                    "looks": [{"pairs": n, "arms": list(arms)} for n, arms in found.looks],
                }
                rows.append(row)
                if console is not None:
                    later = "; ".join(f"{', '.join(arms)} to {n}" for n, arms in found.looks[1:]) or "none"
                    console.print(f"{row['scenario']} seed {seed} {who}: top lead {row['top_lead']}, later looks: {later} "
                                  f"({row['seconds']:.0f} s)", soft_wrap=True)
    planted = [r for r in rows if r["agent"] == "planted"]
    null = [r for r in rows if r["agent"] == "null"]
    return {
        "hit_rate": float(np.mean([r["hit"] for r in planted])), "quiet_rate": float(np.mean([r["quiet"] for r in null])),
        "planted_cases": len(planted), "null_cases": len(null), "pairs": pairs,
        "max_pairs": Looks.of(pairs, max_pairs).max_budget, "seeds": list(seeds), "cases": rows,
    }
