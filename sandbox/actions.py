"""Action spaces of agent bodies: checking an action, and drawing a random one.

An agent body (:mod:`sandbox.bodies`) declares its gymnasium action space: a ``Box`` of
forces or velocities in ``[-1, 1]``, or a small ``Discrete`` set. Everything that acts — the
env, random policies, references, the planner, the checks — takes the space from there.

Examples
--------
>>> import gymnasium as gym, numpy as np
>>> box = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
>>> parse_action(box, np.array([2.0, -0.5], dtype=np.float32))
(1.0, -0.5)
>>> parse_action(gym.spaces.Discrete(5), np.int64(3))
3
>>> random_action(gym.spaces.Discrete(5), np.random.default_rng(0)) in range(5)
True
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import gymnasium as gym
import numpy as np

from sandbox.errors import ActionError

__all__ = ["Action", "parse_action", "random_action", "describe_space", "takes"]

Action = tuple[float, ...] | int
"""An action as the world takes it: a tuple of floats clipped to the box, or a whole number."""


def describe_space(space: gym.Space) -> str:
    """Short human-readable form, e.g. ``Box(-1, 1, (2,))`` or ``Discrete(5)``."""
    if isinstance(space, gym.spaces.Discrete):
        return f"Discrete({int(space.n)})"
    if isinstance(space, gym.spaces.Box):
        return f"Box({float(space.low.min()):g}, {float(space.high.max()):g}, {space.shape})"
    return str(space)


def parse_action(space: gym.Space, action: Any) -> Action:
    """The action as the world takes it, or :class:`ActionError` naming what is wrong.

    A ``Box`` action is clipped to the box (policies may overshoot); it must have the box's
    size and be finite. A ``Discrete`` action must be a whole number in ``0..n-1``.
    """
    if isinstance(space, gym.spaces.Discrete):
        if isinstance(action, np.ndarray) and action.size == 1:
            action = action.reshape(()).item()
        whole = isinstance(action, numbers.Integral) or (isinstance(action, numbers.Real) and float(action).is_integer())
        if isinstance(action, (bool, np.bool_)) or not whole:
            raise ActionError(f"Action {action!r} is not a whole number; the action space is {describe_space(space)}.")
        index = int(action)
        if not 0 <= index < int(space.n):
            raise ActionError(f"Action {index} is outside {describe_space(space)}; give 0..{int(space.n) - 1}.")
        return index
    if not isinstance(space, gym.spaces.Box):
        raise ActionError(f"Unsupported action space {space}; agent bodies declare a Box or a Discrete space.")
    size = space.shape[0]
    if type(action) is np.ndarray and action.dtype.kind == "f" and action.shape == (size,):  # the common case, fast
        values = action.tolist()
        low, high = _bounds(space)
        if min(values) >= low[0] and max(values) <= high[0] and low.count(low[0]) == size == high.count(high[0]):
            return tuple(values)
    if isinstance(action, np.ndarray) and action.shape != (size,):
        raise ActionError(f"Action of shape {action.shape} does not fit {describe_space(space)}; give shape ({size},).")
    try:
        floats = isinstance(action, np.ndarray) and action.dtype.kind == "f"
        values = action.tolist() if floats else [float(a) for a in action]
    except (TypeError, ValueError):
        raise ActionError(f"Action {action!r} is not {size} numbers; the action space is {describe_space(space)}.") from None
    if len(values) != size:
        raise ActionError(f"Action {action!r} has {len(values)} numbers; the action space {describe_space(space)} needs {size}.")
    low, high = _bounds(space)
    out = []
    for v, lo, hi in zip(values, low, high):
        if not math.isfinite(v):
            raise ActionError(f"Action {action!r} is not finite; give {size} numbers in {describe_space(space)}.")
        out.append(lo if v < lo else hi if v > hi else v)
    return tuple(out)


def takes(space: gym.Space, agent: Any) -> bool:
    """Whether an agent body (or None) takes actions from ``space``: a Box of its controls' size
    without commands, or a Discrete of its commands' number (cheaper than building its space)."""
    if agent is None:
        return False
    if isinstance(space, gym.spaces.Discrete):
        return len(agent.commands) == int(space.n)
    return not agent.commands and isinstance(space, gym.spaces.Box) and space.shape == (len(agent.controls),)


def _bounds(space: gym.spaces.Box) -> tuple[list[float], list[float]]:
    """A box's bounds as lists, cached on the space (read once per step)."""
    bounds = space.__dict__.get("_sandbox_bounds")
    if bounds is None:
        bounds = space.__dict__["_sandbox_bounds"] = (space.low.tolist(), space.high.tolist())
    return bounds


def random_action(space: gym.Space, rng: np.random.Generator) -> np.ndarray | int:
    """A uniformly random action drawn with ``rng`` (never the space's own global-seeded sampler)."""
    if isinstance(space, gym.spaces.Discrete):
        return int(rng.integers(int(space.n)))
    low, high = _bounds(space)
    draws = rng.random(len(low)).tolist()  # what rng.uniform(low, high) draws, without its per-call overhead
    return np.array([lo + (hi - lo) * u for lo, hi, u in zip(low, high, draws)])
