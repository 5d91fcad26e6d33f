"""The training vector env: every copy of a scenario's env stepped in one call.

SB3's ``DummyVecEnv`` over ``Monitor`` wrappers gives each step of each env a wrapper call, a
dict of measurements and rewards, and deep copies of every observation and info. For a physics
env whose step costs tens of microseconds, that bookkeeping costs about as much again.
:class:`SandboxVecEnv` keeps what training reads and nothing else:

- stacked observations, rewards and dones, written into buffers it owns;
- per-episode statistics (SB3's ``info["episode"]``, as ``Monitor`` writes it) and every
  reward's return (``info["episode_returns"]``), given only in the info of a finished episode;
- the terminal observation and ``TimeLimit.truncated``, as ``DummyVecEnv`` gives them.

Seeded alike, it plays exactly the episodes of ``DummyVecEnv([Monitor(env), ...])``: the same
observations, rewards and dones (the conformance tests check this), so results do not depend on
which of the two trained them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvObs, VecEnvStepReturn

from proxies.errors import ConfigError
from sandbox.env import SandboxEnv

__all__ = ["SandboxVecEnv"]


class SandboxVecEnv(VecEnv):
    """``n`` envs from ``make_env`` (each a new :class:`~sandbox.env.SandboxEnv`), stepped in one call."""

    def __init__(self, make_env: Callable[[], SandboxEnv], n: int) -> None:
        self.envs = [make_env() for _ in range(n)]
        if len({id(env) for env in self.envs}) != n:
            raise ConfigError("SandboxVecEnv: make_env returned the same env twice; it must build a new env on every call.")
        env = self.envs[0]
        super().__init__(n, env.observation_space, env.action_space)
        self.metadata = env.metadata
        space = env.observation_space
        self._obs = np.zeros((n, *space.shape), dtype=space.dtype)
        self._rewards = np.zeros(n, dtype=np.float32)
        self._dones = np.zeros(n, dtype=bool)
        self._returns = [0.0] * n
        self._lengths = [0] * n
        self._start = time.time()
        self._actions: np.ndarray | None = None

    def reset(self) -> VecEnvObs:
        """Reset every env (with the seeds and options given since the last reset) and return their observations."""
        for i, env in enumerate(self.envs):
            options = {"options": self._options[i]} if self._options[i] else {}
            self._obs[i], self.reset_infos[i] = env.reset(seed=self._seeds[i], **options)
            self._returns[i], self._lengths[i] = 0.0, 0
        self._reset_seeds()
        self._reset_options()
        return self._obs.copy()

    def step_async(self, actions: np.ndarray) -> None:
        """Keep the actions for :meth:`step_wait`."""
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        """Step every env; a finished episode's env is reset, and its info says how the episode went."""
        actions, obs, rewards, dones = self._actions, self._obs, self._rewards, self._dones
        infos: list[dict[str, Any]] = [{} for _ in self.envs]
        for i, env in enumerate(self.envs):
            o, reward, terminated, truncated = env.advance(actions[i])  # type: ignore[index]
            self._returns[i] += reward
            self._lengths[i] += 1
            rewards[i] = reward
            dones[i] = done = terminated or truncated
            if done:
                infos[i] = {
                    "episode": {"r": round(self._returns[i], 6), "l": self._lengths[i],
                                "t": round(time.time() - self._start, 6)},
                    "episode_returns": env.episode_returns(),
                    "TimeLimit.truncated": truncated and not terminated,
                    "terminal_observation": o,
                }
                o, self.reset_infos[i] = env.reset()
                self._returns[i], self._lengths[i] = 0.0, 0
            obs[i] = o
        return obs.copy(), rewards.copy(), dones.copy(), infos

    def close(self) -> None:
        """Close every env."""
        for env in self.envs:
            env.close()

    def get_images(self) -> Sequence[np.ndarray | None]:
        """Each env's picture (``render_mode="rgb_array"``)."""
        return [env.render() for env in self.envs]

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """An attribute of each env asked for."""
        return [getattr(self.envs[i], attr_name) for i in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set an attribute of each env asked for."""
        for i in self._get_indices(indices):
            setattr(self.envs[i], attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any) -> list[Any]:
        """Call a method of each env asked for."""
        return [getattr(self.envs[i], method_name)(*method_args, **method_kwargs) for i in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        """No env is wrapped (the statistics a ``Monitor`` would keep are kept here)."""
        return [False for _ in self._get_indices(indices)]
