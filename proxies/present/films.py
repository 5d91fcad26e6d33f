"""Films of policies playing a scene, with every objective's running count drawn on each frame.

A *panel* is one policy's view of one episode: a rendered frame with a band above it naming the
policy, the step, and each objective's return so far. :func:`film_side_by_side` plays several
policies on the same scene (the same spec and seed) in lock-step and puts their panels side by
side, so that a student sees what a sweeping learner, a pan-filler and a cleaner do in one room.
``proxy-sandbox watch`` draws the same panel for one policy.

Frames are drawn with Pillow's built-in font and no anti-aliasing randomness: the same scene,
seed and policies give the same pixels (:func:`frames_digest` fingerprints them).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from proxies.scenario.policies import Policy
from proxies.scenario.rollout import play
from proxies.scenario.scenario import Scenario
from sandbox.env import SandboxEnv
from sandbox.render import render_world
from sandbox.spec import SceneSpec

__all__ = ["Film", "count_text", "draw_panel", "film_side_by_side", "frames_digest", "panel_scale", "side_by_side"]

_LINE = 12
"""Height of one text line of the band [px]."""
_INK, _DIM, _PAPER = (20, 20, 20), (90, 90, 90), (255, 255, 255)
_GAP = 6
"""White gap between panels [px]."""



@dataclass(frozen=True, eq=False)
class Film:
    """Frames of policies playing one scene side by side, and what each achieved."""

    frames: list[np.ndarray]
    """RGB frames of one size."""
    returns: dict[str, dict[str, float]]
    """Policy title -> objective -> return at its episode's end."""
    steps: dict[str, int]
    """Policy title -> steps its episode lasted."""


def panel_scale(spec: SceneSpec, size: int) -> float:
    """Pixels per metre that draw ``spec``'s room with the area of a ``size``-pixel square (a long level stays tall enough)."""
    return size / math.sqrt(spec.width * spec.height)


def draw_panel(frame: np.ndarray, title: str, step: int, counts: Mapping[str, float], true_reward: str = "") -> np.ndarray:
    """``frame`` with a band above it: ``title``, the step, then one line per objective's running count.

    The true reward's line is marked ``(true)``. Counts are written with at most two decimals.
    """
    font = ImageFont.load_default(size=10)
    lines = [(title, _INK), (f"step {step}", _DIM)]
    lines += [(f"{name}{' (true)' if name == true_reward else ''}: {count_text(value)}", _DIM) for name, value in counts.items()]
    band = _LINE * len(lines) + 6
    height, width = frame.shape[:2]
    image = Image.new("RGB", (width, height + band), _PAPER)
    image.paste(Image.fromarray(np.ascontiguousarray(frame[..., :3])), (0, band))
    draw = ImageDraw.Draw(image)
    for i, (text, colour) in enumerate(lines):
        draw.text((3, 3 + i * _LINE), text, fill=colour, font=font)
    return np.asarray(image, dtype=np.uint8)


def count_text(value: float) -> str:
    """A running count as the band writes it: a whole number plainly, else at most two decimals."""
    rounded = round(float(value), 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.2f}".rstrip("0")


def side_by_side(panels: Sequence[np.ndarray]) -> np.ndarray:
    """Panels left to right on white, ``_GAP`` pixels apart, top-aligned."""
    height = max(p.shape[0] for p in panels)
    width = sum(p.shape[1] for p in panels) + _GAP * (len(panels) - 1)
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    x = 0
    for p in panels:
        canvas[: p.shape[0], x : x + p.shape[1]] = p[..., :3]
        x += p.shape[1] + _GAP
    return canvas


def film_side_by_side(
    scenario: Scenario,
    spec: SceneSpec,
    seed: int,
    policies: Mapping[str, Callable[[], Policy]],
    *,
    size: int = 160,
    frames: int = 16,
) -> Film:
    """Play every policy of ``policies`` (title -> factory) on ``spec`` with ``seed``, and film them side by side.

    Each panel has the area of a ``size``-pixel square; about ``frames`` frames are kept, evenly spaced in steps (the
    first and every episode's last included), so a film stays small. A policy whose episode ended
    early keeps showing its last frame.
    """
    scale = panel_scale(spec, size)
    stride = max(1, math.ceil(scenario.max_steps / max(frames - 1, 1)))
    titles = list(policies)
    shots: list[dict[int, np.ndarray]] = [{} for _ in titles]
    last: list[int] = [0] * len(titles)
    returns: list[dict[str, float]] = [{} for _ in titles]

    def watch(i: int, env: SandboxEnv, obs: np.ndarray, done: bool) -> None:
        step = env.world.steps
        last[i] = step
        returns[i] = env.episode_returns()
        if step % stride == 0 or done:
            shots[i][step] = draw_panel(
                render_world(env.world, scale), titles[i], step, returns[i], scenario.true_reward
            )

    for i, title in enumerate(titles):  # one at a time: each policy's own factory, the same scene and seed
        play(scenario, [spec], policies[title], [seed], watch=lambda _, env, obs, done, i=i: watch(i, env, obs, done))
    steps = sorted({s for shot in shots for s in shot} | set(last))
    film = []
    for step in steps:
        panels = []
        for shot in shots:
            upto = [s for s in shot if s <= step]
            panels.append(shot[max(upto)])
        film.append(side_by_side(panels))
    return Film(film, dict(zip(titles, returns)), dict(zip(titles, last)))


def frames_digest(frames: Sequence[np.ndarray]) -> str:
    """A short fingerprint of a film's pixels (shape and bytes of every frame)."""
    digest = hashlib.sha256()
    for frame in frames:
        array = np.ascontiguousarray(frame, dtype=np.uint8)
        digest.update(repr(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]
