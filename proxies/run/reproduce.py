"""Reproductions of published goal-misgeneralization results: a sweep of seeds per training mix α,
each seed attributed on its own and the seeds of each α together, beside the published figures.

A reproduction is a :mod:`proxies.run.sweep` with the α grid and the published comparison of its
scenario (:data:`REPRODUCTIONS`), so it resumes, skips and retrains exactly as a sweep does.

>>> sorted(REPRODUCTIONS)
['cheese-maze', 'coin-run', 'forager', 'gem-colour', 'keys-chests']
>>> REPRODUCTIONS["coin-run"].mixes
(0.0, 0.11, 1.0)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from proxies.errors import ConfigError, RunConfigMismatchError
from proxies.run.config import RunConfig
from proxies.run.sweep import SWEEP_CONFIG, SweepConfig, load_sweep, run_sweep
from proxies.scenario.scenario import Scenario
from proxies.schemas import AttributionFile, read_file
from proxies.suggest import did_you_mean

__all__ = [
    "Reproduction", "REPRODUCTIONS", "reproduction", "check_seeds", "check_reproduce_folder", "reproduce", "seed_rows",
    "results_table",
]


@dataclass(frozen=True)
class Reproduction:
    """What a scenario's reproduction trains, and what was published."""

    mixes: tuple[float, ...]
    """The training mixes α, fractions of training levels drawn from the intervention domain."""
    published: tuple[str, ...]
    """The published figures, one line each, with their source."""


REPRODUCTIONS: dict[str, Reproduction] = {
    "coin-run": Reproduction(
        mixes=(0.0, 0.11, 1.0),
        published=(
            "Langosco et al. (ICML 2022), CoinRun: agents trained with the coin at the right end go right "
            "instead of to the coin; tested at α ∈ {0, 1, 2, 3, 6, 11} % of training levels with the coin "
            "randomized, on 10,000 levels, counting only 'good seeds' (the coin off the agent's path); "
            "200M steps per agent, IMPALA CNN on pixels.",
        ),
    ),
    "cheese-maze": Reproduction(
        mixes=(0.0, 1.0),
        published=(
            "jaxgmg (Sadek et al., RLC 2025), corner size 1: true return 0.13 against 0.46 for the corner "
            "(200M steps, A100).",
            "Turner et al.: the maze agent reached the cheese on 69.1 % of decision-square mazes.",
        ),
    ),
    "keys-chests": Reproduction(
        mixes=(0.0, 1.0),
        published=(
            "Langosco et al. (ICML 2022), Keys & Chests: trained with 3 keys and 10 chests, tested with 10 keys "
            "and 3 chests, agents collect the keys they can no longer use (hoarding); a qualitative result, "
            "no rate published (procgen maze, 200M steps per agent, IMPALA CNN on pixels).",
        ),
    ),
    "forager": Reproduction(
        mixes=(0.0, 1.0),
        published=(
            "None published: sweetness standing in for calories is the textbook example of evolution's proxy "
            "(candy in the modern environment), not a measured RL result; the table is ours alone.",
        ),
    ),
    "gem-colour": Reproduction(
        mixes=(0.0, 1.0),
        published=(
            "Langosco et al. (ICML 2022), Maze II: trained to reach a yellow gem, agents shown a red gem and a "
            "yellow star go to the yellow star: colour over shape (procgen maze, 200M steps, IMPALA CNN on pixels).",
            "Ramanauskas & Şimşek (NeurIPS 2023 ATTRIB workshop): over 1,000 agents in a simplified maze; "
            "colour or shape is an arbitrary choice (a colour channel), and it changes with the training seed alone.",
        ),
    ),
}
"""Scenario slug -> its reproduction."""


def reproduction(slug: str) -> Reproduction:
    """The reproduction of scenario ``slug``; :class:`ConfigError` for a scenario that has none."""
    try:
        return REPRODUCTIONS[slug]
    except KeyError:
        raise ConfigError(
            f"Scenario {slug!r} has no published result to reproduce; {did_you_mean(slug, sorted(REPRODUCTIONS))}. "
            "For any other scenario run `proxy-sandbox sweep SCENARIO --out DIR`."
        ) from None


def check_seeds(seeds: int) -> None:
    """:class:`ConfigError` unless ``seeds`` is a whole number >= 2 (a reproduction compares seeds)."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 2:
        raise ConfigError(f"--seeds must be at least 2 (a reproduction compares seeds), got {seeds!r}.")


def _run_scenarios(out: Path) -> set[str]:
    """The scenarios of the run directories directly in ``out`` (their ``config.json``; unreadable ones skipped)."""
    found = set()
    for config in out.glob("*/config.json"):
        try:
            data = json.loads(config.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("scenario"), str):
            found.add(data["scenario"])
    return found


def check_reproduce_folder(out: Path, slug: str) -> None:
    """Refuse, before anything is written, a folder that holds another scenario's sweep or runs."""
    theirs = {load_sweep(out)[0]} if (out / SWEEP_CONFIG).is_file() else set()
    others = sorted((theirs | _run_scenarios(out)) - {slug}) if out.is_dir() else []
    if others:
        raise RunConfigMismatchError(
            f"--out {out} holds the runs of {', '.join(map(repr, others))}, not {slug!r}; give another --out for "
            "this reproduction (nothing was changed there)."
        )


def reproduce(scenario: Scenario, base: RunConfig, out: Path, *, seeds: int, mixes: tuple[float, ...] | None = None,
              workers: int = 1, console: Console | None = None) -> dict[str, Any]:
    """Train and attribute ``seeds`` seeds at each α of the scenario's reproduction (or ``mixes``) in
    ``out``, resumably; returns what :func:`~proxies.run.sweep.run_sweep` returns."""
    check_seeds(seeds)
    plan = reproduction(scenario.slug)
    check_reproduce_folder(out, scenario.slug)
    sweep = SweepConfig(base, mixes if mixes is not None else plan.mixes, seeds)
    return run_sweep(scenario, base.train.scenario, sweep, out, workers=workers, console=console, report=False)


def seed_rows(out: Path, result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per finished seed of the aggregated sweep ``result`` (``sweep.json``): α, seed, verdict,
    weights with their 90 % intervals, competence and in-distribution score, read from each run's attribution."""
    rows = []
    for entry in result["per_alpha"]:
        for run in entry["runs"]:
            data = read_file(out / run["run_dir"] / "attribution.json", AttributionFile, "").model_dump()
            rows.append({
                "mix": entry["mix"], "seed": run["seed"], "verdict": data["verdict"],
                "weights": {o: (w["mean"], w["lo"], w["hi"]) for o, w in data["weights"].items()},
                "competence": data["competence"], "in_distribution_score": data["in_distribution_score"],
            })
    return rows


def _interval(mean: float, lo: float, hi: float) -> str:
    return f"{mean:.2f} ({lo:.2f}–{hi:.2f})"


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def results_table(out: Path, result: dict[str, Any]) -> Table:
    """Every finished seed of the aggregated sweep ``result``, then each α's seeds attributed together (bold)."""
    objectives = result["objectives"]
    table = Table("α", "seed", "verdict", *(f"{o} weight (90%)" for o in objectives), "competence", "in-dist. score")
    for row in seed_rows(out, result):
        table.add_row(f"{row['mix']:g}", str(row["seed"]), row["verdict"],
                      *(_interval(*row["weights"][o]) for o in objectives),
                      _figure(row["competence"]), _figure(row["in_distribution_score"]))
    for entry in result["per_alpha"]:
        pooled = entry.get("pooled")
        if pooled:
            weights = (_interval(pooled["weights"][o]["mean"], pooled["weights"][o]["lo"], pooled["weights"][o]["hi"])
                       for o in objectives)
            table.add_row(f"{entry['mix']:g}", "all", pooled["verdict"], *weights, _figure(pooled["competence"]),
                          _figure(pooled["in_distribution_score"]), style="bold")
    return table
