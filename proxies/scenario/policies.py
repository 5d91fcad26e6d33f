"""Policies: anything that acts in a scenario — scripted references, SB3 models, callables.

A policy sees the observation and, for scripted references, the live world
(privileged information an agent does not get). Actions live in the scenario's action space,
the agent body's (``world.agent.spec.action_space``): a ``Box`` or a ``Discrete`` set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from proxies.errors import PolicyError
from sandbox.actions import describe_space, parse_action, random_action
from sandbox.errors import ActionError
from sandbox.world import World

__all__ = ["Policy", "ModelPolicy", "CallablePolicy", "RandomPolicy", "action_space"]


def action_space(world: World) -> gym.Space:
    """The action space of the agent acting in ``world`` (its body's)."""
    return world.agent.spec.action_space


class Policy(Protocol):
    """Chooses actions in the scenario's action space; ``reset`` is called at the start of each episode."""

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Prepare for a new episode in ``world``."""
        ...

    def act(self, obs: np.ndarray, world: World) -> Any:
        """The action for the current step."""
        ...


class ModelPolicy:
    """A trained stable-baselines3 model acting deterministically on observations.

    Like training, a model acts on one torch thread (``torch.set_num_threads(1)``, set here): it is
    asked one small batch at a time, and on a busy machine more threads spend most of their time
    handing work to each other (docs/performance.md).
    """

    def __init__(self, model: Any) -> None:
        import torch  # here, not at the top: `import proxies` stays light (no torch) for scenario authors

        torch.set_num_threads(1)
        self.model = model

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Models keep no per-episode state."""

    def act(self, obs: np.ndarray, world: World) -> Any:
        """The model's deterministic action."""
        return self.model.predict(obs, deterministic=True)[0]

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        """Actions for a batch of observations in one forward pass."""
        return self.model.predict(obs, deterministic=True)[0]


class CallablePolicy:
    """Wraps a plain ``obs -> action`` function, checking every action it returns.

    ``space`` is the scenario's action space; by default, the world's at each reset.
    """

    def __init__(self, fn: Callable[[np.ndarray], Any], space: gym.Space | None = None) -> None:
        self.fn, self.space = fn, space

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Take the world's action space unless one was given."""
        if self.space is None:
            self.space = action_space(world)

    def act(self, obs: np.ndarray, world: World) -> np.ndarray | int:
        """Call the function and check its answer is an action of the space (a Box's inside its bounds)."""
        space = self.space if self.space is not None else action_space(world)
        answer = self.fn(obs)
        try:
            action = parse_action(space, answer)
            if isinstance(action, tuple) and not np.array_equal(np.asarray(answer, dtype=np.float64).ravel(), action):
                raise ActionError(f"Action {answer!r} is outside {describe_space(space)}.")
        except (ActionError, TypeError, ValueError) as exc:
            raise PolicyError(f"The policy returned {answer!r}; {_expected(space)}") from exc
        return np.array(action) if isinstance(action, tuple) else action


def _expected(space: gym.Space) -> str:
    """What a callable policy must return in ``space``."""
    if isinstance(space, gym.spaces.Discrete):
        return f"it must return a whole number in 0..{int(space.n) - 1} (the scenario's action space, {describe_space(space)})."
    return (
        f"it must return {space.shape[0]} finite numbers in [{float(space.low.min()):g}, {float(space.high.max()):g}] "
        f"(the scenario's action space, {describe_space(space)})."
    )


class RandomPolicy:
    """Uniformly random actions of the world's action space from its own generator (the attribution's zero point)."""

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Take the episode's generator and the world's action space."""
        self._rng, self._space = rng, action_space(world)

    def act(self, obs: np.ndarray, world: World) -> np.ndarray | int:
        """A uniformly random action."""
        return random_action(self._space, self._rng)
