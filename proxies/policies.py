"""Policies: anything that acts in a scenario — scripted references, SB3 models, callables.

A policy sees the observation and, for scripted references, the live world
(privileged information an agent does not get).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from proxies.errors import PolicyError
from sandbox.world import World

__all__ = ["Policy", "ModelPolicy", "CallablePolicy", "RandomPolicy"]


class Policy(Protocol):
    """Chooses actions in ``[-1, 1]^2``; ``reset`` is called at the start of each episode."""

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Prepare for a new episode in ``world``."""
        ...

    def act(self, obs: np.ndarray, world: World) -> np.ndarray:
        """The action for the current step."""
        ...


class ModelPolicy:
    """A trained stable-baselines3 model acting deterministically on observations."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Models keep no per-episode state."""

    def act(self, obs: np.ndarray, world: World) -> np.ndarray:
        """The model's deterministic action."""
        return self.model.predict(obs, deterministic=True)[0]

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        """Actions for a batch of observations in one forward pass."""
        return self.model.predict(obs, deterministic=True)[0]


class CallablePolicy:
    """Wraps a plain ``obs -> action`` function, checking every action it returns."""

    def __init__(self, fn: Callable[[np.ndarray], Any]) -> None:
        self.fn = fn

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Callables keep no per-episode state."""

    def act(self, obs: np.ndarray, world: World) -> np.ndarray:
        """Call the function and check its answer is a finite action in [-1, 1]^2."""
        answer = self.fn(obs)
        try:
            action = np.asarray(answer, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise PolicyError(
                f"The policy's answer cannot be read as an action ({type(exc).__name__}: {exc}); it must return "
                "2 finite numbers in [-1, 1] (the scenario's action space)."
            ) from exc
        if action.shape != (2,) or not np.all(np.isfinite(action)) or np.abs(action).max() > 1.0:
            raise PolicyError(
                f"The policy returned {action!r}; it must return 2 finite numbers in [-1, 1] "
                "(the scenario's action space)."
            )
        return action


class RandomPolicy:
    """Uniformly random actions from its own generator (the attribution's zero point)."""

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Take the episode's generator."""
        self._rng = rng

    def act(self, obs: np.ndarray, world: World) -> np.ndarray:
        """A uniform action in [-1, 1]^2."""
        return self._rng.uniform(-1.0, 1.0, 2)
