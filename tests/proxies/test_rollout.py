"""The rollout engine: lock-step episodes that may end early, and the statistics read from them.

A stand-in scenario makes envs that terminate at a step fixed by their scene, and fail loudly if
stepped after the end; its policies fail if asked to act for a finished episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from proxies.probe import _play
from proxies.rollout import episode_returns, play


@dataclass
class _World:
    spec: int
    steps: int = 0


@dataclass
class _Env:
    """Terminates after ``spec`` steps (truncated at ``max_steps``); reward 1 per step, 0.5 per step of ``half``."""

    max_steps: int
    log: list = field(default_factory=list)
    world: _World | None = None

    def reset(self, *, seed=None, options=None):
        self.world = _World(options["spec"])
        self.done = False
        return self._obs(), {"measure/count": 0.0, "measure/half": 0.0}

    def _obs(self):
        return np.array([self.world.spec, self.world.steps], dtype=np.float32)

    def step(self, action):
        assert not self.done, "a finished episode's env was stepped"
        self.world.steps += 1
        self.log.append(action)
        terminated = self.world.steps >= self.world.spec
        truncated = not terminated and self.world.steps >= self.max_steps
        self.done = terminated or truncated
        n = float(self.world.steps)
        info = {"measure/count": n, "measure/half": n / 2}
        return self._obs(), 1.0, terminated, truncated, info


@dataclass
class _Scenario:
    max_steps: int = 10
    rewards: dict = field(default_factory=lambda: {"count": "count", "half": "half"})
    envs: list = field(default_factory=list)

    def make_env(self, **options):
        env = _Env(self.max_steps)
        self.envs.append(env)
        return env


class _Counting:
    """Acts 0.0; refuses to act for a finished episode (world past its scene's end)."""

    def reset(self, world, rng):
        self.world = world

    def act(self, obs, world):
        assert world.steps < world.spec, "asked to act for a finished episode"
        return 0.0


class _Batched:
    """A model stand-in acting for a batch: records the batch sizes; its critic values obs[1] (the step)."""

    gamma = 0.5
    sizes: list = []

    def predict(self, obs, deterministic=True):
        assert np.all(obs[:, 1] < obs[:, 0]), "asked to act for a finished episode"
        self.sizes.append(len(obs))
        return np.zeros(len(obs)), None

    class policy:  # noqa: N801 - mimics SB3's model.policy
        @staticmethod
        def obs_to_tensor(obs):
            import torch

            return torch.as_tensor(obs), True

        @staticmethod
        def predict_values(obs):
            return obs[:, 1:2] + 100.0


def test_episodes_end_at_their_own_step_and_finished_envs_are_not_stepped():
    scenario = _Scenario()
    episodes = play(scenario, [3, 7, 20, 1], _Counting, [0, 1, 2, 3])
    assert [e.steps for e in episodes] == [3, 7, 10, 1]
    assert [e.terminated for e in episodes] == [True, True, False, True]
    assert [len(env.log) for env in scenario.envs] == [3, 7, 10, 1]
    assert [e.change("count") for e in episodes] == [3.0, 7.0, 10.0, 1.0]
    assert [e.rewards.sum() for e in episodes] == [3.0, 7.0, 10.0, 1.0]
    assert [e.last_obs[1] for e in episodes] == [3.0, 7.0, 10.0, 1.0]


def test_returns_are_sums_up_to_each_episodes_end():
    returns = episode_returns(_Scenario(), [3, 7, 20], _Counting, [0, 1, 2])
    assert returns.tolist() == [[3.0, 1.5], [7.0, 3.5], [10.0, 5.0]]
    changes = episode_returns(_Scenario(), [3, 7], _Counting, [0, 1], measurements=["half"])
    assert changes.tolist() == [[1.5], [3.5]]


def test_a_batched_policy_acts_only_for_the_episodes_still_going():
    from proxies.policies import ModelPolicy

    _Batched.sizes = []
    model = _Batched()
    play(_Scenario(), [2, 5, 4], lambda: ModelPolicy(model), [0, 1, 2])
    assert model.sizes == [3, 3, 2, 2, 1]


def test_the_watch_sees_every_reset_and_step_and_the_end():
    seen = []
    play(_Scenario(), [2, 4], _Counting, [0, 1], watch=lambda i, env, obs, done: seen.append((i, int(obs[1]), done)))
    assert sorted(seen) == [(0, 0, False), (0, 1, False), (0, 2, True), (1, 0, False), (1, 1, False),
                            (1, 2, False), (1, 3, False), (1, 4, True)]


def test_steps_stops_every_episode_early():
    episodes = play(_Scenario(), [3, 7], _Counting, [0, 1], steps=2)
    assert [e.steps for e in episodes] == [2, 2] and not any(e.terminated for e in episodes)


def test_the_probe_discounts_to_each_end_and_bootstraps_only_truncated_episodes():
    scenario = _Scenario(rewards={"count": "count"})
    rows = _play(scenario, _Batched(), "count", [3, 20], [0, 1])
    gamma = _Batched.gamma
    assert rows[:, 0].tolist() == [100.0, 100.0]  # the critic at the first step
    assert rows[0, 1] == pytest.approx(1 + gamma + gamma**2)  # terminated at 3: nothing to bootstrap
    truncated = sum(gamma**t for t in range(10)) + gamma**10 * (10 + 100.0)
    assert rows[1, 1] == pytest.approx(truncated)
    assert rows[:, 2].tolist() == [3.0, 10.0]


def test_play_needs_one_seed_per_spec():
    with pytest.raises(ValueError, match="one seed per spec"):
        play(_Scenario(), [3, 4], _Counting, [0])
