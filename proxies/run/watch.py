"""``proxy-sandbox watch``: play one policy in one scene, for a classroom projector or into a film file.

Every frame carries the band of :func:`proxies.present.films.draw_panel`: the policy, the step and
each objective's running count. The scene is a suite scene (``--scene N``: the N-th scene of the
scenario's docs page, or of the run's own suite when the policy is a run directory) or a training
scene with some factors set (``--factor k=v``, checked against the intervention domain).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from proxies.errors import ConfigError, InterventionError, OutputError, SuiteMismatchError
from proxies.evaluate.compiler import check_interventions
from proxies.evaluate.references import reference_factories
from proxies.evaluate.suite import Suite, build_suite
from proxies.files import write_atomic
from proxies.present.drawing import save_gif
from proxies.present.films import draw_panel, panel_scale
from proxies.scenario.policies import ModelPolicy, Policy, RandomPolicy
from proxies.scenario.rollout import play
from proxies.scenario.scenario import Scenario
from proxies.suggest import did_you_mean
from sandbox.env import SandboxEnv
from sandbox.render import render_world
from sandbox.spec import SceneSpec

__all__ = ["Watched", "check_record", "check_speed", "parse_factors", "pick_policy", "pick_scene", "watch"]

FORMATS = (".gif", ".mp4")
"""The film formats ``--record`` writes."""


@dataclass(frozen=True)
class Watched:
    """A policy chosen for ``watch``: its factory, its title on the frame, and the run directory it came from."""

    make: Callable[[], Policy]
    title: str
    run_dir: Path | None = None


def _factor_value(scenario: Scenario, name: str, text: str) -> Any:
    factor = scenario.factor(name)  # ConfigError with a suggestion for an unknown name
    try:
        if factor.kind == "integer":
            return int(text)
        if factor.kind == "real":
            return float(text)
    except ValueError:
        raise InterventionError(
            f"--factor {name}={text}: {name!r} is a {factor.kind} factor, and {text!r} is not a number; "
            f"give one in its intervention domain {factor.describe('intervene')}."
        ) from None
    for choice in factor.domain("intervene"):
        if str(choice) == text:
            return choice
    return text  # not a choice: check_interventions says which are


def parse_factors(scenario: Scenario, items: Sequence[str]) -> dict[str, Any]:
    """``["k=v", ...]`` as factor values of ``scenario``, each checked against its intervention domain.

    Raises :class:`~proxies.errors.InterventionError` for a value outside the domain (or not ``k=v``),
    :class:`~proxies.errors.ConfigError` for an unknown factor.
    """
    values: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise InterventionError(f"--factor {item!r} is not NAME=VALUE; write e.g. --factor {scenario.factors[0].name}=...")
        values[name.strip()] = _factor_value(scenario, name.strip(), text.strip())
    return check_interventions(scenario, values)


def pick_policy(scenario: Scenario, text: str) -> Watched:
    """``reference:OBJECTIVE``, ``random`` or a run directory of ``scenario`` as a policy to watch.

    Raises :class:`~proxies.errors.ConfigError` for anything else (or an unknown objective), and
    :class:`~proxies.errors.SuiteMismatchError` for a run of another scenario.
    """
    if text == "random":
        return Watched(RandomPolicy, "random actions")
    if text.startswith("reference:"):
        objective = scenario.check_objective(text.removeprefix("reference:"))
        return Watched(reference_factories(scenario)[objective], f"reference: {objective}")
    path = Path(text)
    if path.is_dir():
        from proxies.evaluate.agents import load_model_zip
        from proxies.run.rundir import load_record, require

        record = load_record(path)
        theirs = record.fingerprint["scenario"] if record.fingerprint is not None else record.config.scenario
        if theirs != scenario.slug:
            raise SuiteMismatchError(
                f"--policy {path} is a run of {theirs!r}, not of {scenario.slug!r}; watch it with "
                f"`proxy-sandbox watch {theirs} --policy {path}`, or give a run of {scenario.slug!r}."
            )
        model = load_model_zip(require(path, "model.zip"), scenario, record.config.algorithm)
        return Watched(lambda: ModelPolicy(model), f"agent: {path.name}", path)
    choices = [f"reference:{o}" for o in scenario.objectives] + ["random"]
    raise ConfigError(
        f"--policy {text!r} is neither a run directory nor a known policy; {did_you_mean(text, choices)}; "
        f"or give the folder of a run of {scenario.slug!r}."
    )


def pick_scene(
    scenario: Scenario, *, scene: str | None, factors: Mapping[str, Any], seed: int, run_dir: Path | None = None
) -> tuple[SceneSpec, int, str]:
    """The scene to watch, its seed and a caption: a suite scene (``scene``: its number from 1, or its id), else a
    training scene of ``seed`` with ``factors`` set."""
    if scene is not None and factors:
        raise ConfigError("Give --scene or --factor, not both: --scene picks a suite scene, --factor sets up a training scene.")
    if scene is None:
        spec = scenario.sample_spec(np.random.default_rng(seed), **factors)
        caption = ", ".join(f"{k}={v}" for k, v in factors.items()) or "a training scene"
        return spec, seed, caption
    if run_dir is not None and (run_dir / "suite.json").is_file():
        suite = Suite.load(run_dir / "suite.json", scenario)
    else:
        from proxies.run.docs import DOCS_SUITE

        suite = build_suite(scenario, seed=DOCS_SUITE.seed, per_proxy=DOCS_SUITE.per_proxy)
    ids = [s.id for s in suite.scenes]
    if scene.isdigit() and 1 <= int(scene) <= len(ids):
        chosen = suite.scenes[int(scene) - 1]
    elif scene in ids:
        chosen = suite.scenes[ids.index(scene)]
    else:
        raise ConfigError(
            f"--scene {scene!r}: the suite has scenes 1..{len(ids)} ({', '.join(ids)}); {did_you_mean(scene, ids)}."
        )
    caption = ", ".join(f"{k}={v}" for k, v in chosen.interventions.items())
    return chosen.spec, chosen.seed, f"scene {chosen.id}: {caption}"


def has_display() -> bool:
    """Whether a window can be opened: a display on Linux (X11 or Wayland); always on macOS and Windows."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def check_speed(speed: float) -> None:
    """Refuse a playback speed that is not a positive multiple of real time."""
    if not speed > 0:
        raise ConfigError(f"--speed must be a positive multiple of real time (e.g. 0.5 or 2), got {speed}.")


def check_record(record: Path | None) -> None:
    """Refuse a ``--record`` that is not a .gif/.mp4, an .mp4 without an encoder, and no --record without a display."""
    if record is None:
        if not has_display():
            raise OutputError(
                "No display to open a window on (DISPLAY is not set); record the film instead with --record FILM.gif, "
                "or run under a display (e.g. `xvfb-run proxy-sandbox watch ...`)."
            )
        return
    if record.suffix.lower() not in FORMATS:
        raise ConfigError(f"--record {record}: give a file name ending in .gif or .mp4, e.g. --record film.gif.")
    if record.is_dir():
        raise OutputError(f"--record {record} is a folder; give a file name in it, e.g. --record {record / 'film.gif'}.")
    if not record.parent.is_dir():
        raise OutputError(f"--record {record}: the folder {record.parent} does not exist; create it or pick another path.")
    if record.suffix.lower() == ".mp4" and not _mp4_encoder():
        raise ConfigError(
            f"--record {record}: writing .mp4 needs an encoder (pip install 'proxy-sandbox[video]', i.e. imageio-ffmpeg; or av); "
            "or record a .gif, which needs nothing more."
        )


def _mp4_encoder() -> bool:
    import importlib.util

    return any(importlib.util.find_spec(name) is not None for name in ("imageio_ffmpeg", "av"))


def watch(
    scenario: Scenario,
    policy: Watched,
    spec: SceneSpec,
    seed: int,
    *,
    speed: float = 1.0,
    record: Path | None = None,
    size: int = 320,
) -> list[np.ndarray]:
    """Play ``policy`` in ``spec`` with ``seed``, frame by frame with the band; show it in a window, or write it to
    ``record`` (.gif or .mp4) at ``speed`` times real time. Returns the frames."""
    check_speed(speed)
    check_record(record)
    scale = panel_scale(spec, size)
    frames: list[np.ndarray] = []
    fps = scenario.control_hz * speed
    window = None if record is not None else _Window(fps)

    def shot(_: int, env: SandboxEnv, obs: np.ndarray, done: bool) -> None:
        frame = draw_panel(render_world(env.world, scale), policy.title, env.world.steps, env.episode_returns(),
                           scenario.true_reward)
        frames.append(frame)
        if window is not None:
            window.show(frame)

    play(scenario, [spec], policy.make, [seed], watch=shot)
    if window is not None:
        window.close()
    elif record.suffix.lower() == ".gif":
        save_gif(frames, record, fps=max(1, round(fps)))
    else:  # written whole or not at all, like every file the tool writes
        import imageio.v3 as iio

        write_atomic(record, iio.imwrite("<bytes>", np.stack(frames), fps=fps, extension=".mp4"))
    return frames


class _Window:
    """A matplotlib window that shows frames at ``fps`` (what ``render_mode="human"`` uses)."""

    def __init__(self, fps: float) -> None:
        import matplotlib.pyplot as plt

        self._plt, self._pause, self._image = plt, 1.0 / fps, None
        plt.ion()

    def show(self, frame: np.ndarray) -> None:
        if self._image is None:
            _, ax = self._plt.subplots()
            ax.set_axis_off()
            self._image = ax.imshow(frame)
        else:
            self._image.set_data(frame)
        self._plt.pause(self._pause)

    def close(self) -> None:
        self._plt.ioff()
        self._plt.show()
