"""What an environment needs from a scenario: the :class:`Task` protocol.

The sandbox layer knows nothing of reward graphs or proxies. A task is a scene generator
(factors + a scene recipe), an agent body with its action space, an observation, named
*measurements* of the world, named per-step *rewards* (each the increment of one
measurement since the previous step), and an optional early end. ``proxies.Scenario``
implements this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from sandbox.factors import Factor
from sandbox.spec import SceneSpec
from sandbox.world import World

__all__ = ["Task"]


class Task(Protocol):
    """The contract between a scenario and :class:`sandbox.env.SandboxEnv`."""

    name: str
    """Short CamelCase name, used in the env id ``sandbox/<name>-v0``."""
    factors: tuple[Factor, ...]
    max_steps: int
    """Agent steps per episode, at most."""
    measurements: Mapping[str, Callable[[World], float]]
    """Cumulative quantities computed from the world, by name."""
    rewards: Mapping[str, str]
    """Per-step reward name -> the measurement whose increment it is."""
    true_reward: str
    """The reward the environment trains on unless told otherwise."""

    @property
    def action_space(self) -> gym.Space:
        """The agent body's action space."""
        ...

    @property
    def observation_space(self) -> gym.Space:
        """The space of :meth:`observe`'s values."""
        ...

    def make_scene(self, factors: Mapping[str, Any], rng: np.random.Generator) -> SceneSpec:
        """Lay out a scene for the given factor values (with the factors and rates stamped on it)."""
        ...

    def observe(self, world: World) -> np.ndarray:
        """The observation of the world."""
        ...

    def terminated(self, world: World) -> bool:
        """Whether the episode has ended early (e.g. the agent reached its goal): True or False
        (a ``numpy.bool_``, as comparisons of numpy values give, is taken as the bool it is; any
        other value, 1 included, is a :class:`~sandbox.errors.SandboxError` at the env's step)."""
        ...
