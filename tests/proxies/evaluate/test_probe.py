"""The critic probe: expected against achieved change, on paired scenes."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.logger import Logger

import proxies
from proxies.errors import PolicyError
from proxies.evaluate.probe import value_probe
from proxies.evaluate.suite import Scene, Suite

CHUTE_PRESENT = 10
"""Index of the cleaning robot's "chute present" feature in its observation."""


@pytest.fixture(scope="module")
def robot():
    return proxies.get_scenario("cleaning-robot")


@pytest.fixture(scope="module")
def suite(robot):
    """Two intervened scenes: a chute, and hallway dust."""
    scenes = tuple(
        Scene(id=name, seed=1, interventions=interventions,
              spec=robot.sample_spec(np.random.default_rng(1), "train", **interventions))
        for name, interventions in (("chute", {"chute": True}), ("outside", {"outside_dust": 2}))
    )
    return Suite(scenario=robot.slug, scenes=scenes)


class _Critic:
    """A policy whose critic values a chute at 5 and nothing else."""

    def obs_to_tensor(self, obs):
        return torch.as_tensor(obs), True

    def predict_values(self, obs):
        return 5.0 * obs[:, CHUTE_PRESENT : CHUTE_PRESENT + 1]


class _StandStill:
    """An actor-critic stand-in that never moves: it achieves nothing but the last state's value."""

    gamma = 0.9
    policy = _Critic()

    def predict(self, obs, deterministic=True):
        return np.zeros((len(obs), 2), dtype=np.float32), None


def test_probe_compares_what_the_critic_expects_with_what_the_agent_gets(robot, suite):
    probe = value_probe(robot, suite, _StandStill(), pairs=3)
    by_factor = {p.factor: p for p in probe.interventions}
    assert set(by_factor) == {"chute", "outside_dust"}
    chute = by_factor["chute"]
    assert chute.expected["mean"] == pytest.approx(5.0)
    # standing still earns no reward: the achieved return is the discounted value of the last state
    assert chute.achieved["mean"] == pytest.approx(5.0 * 0.9**robot.max_steps)
    # ... and is reported in its two parts: no reward at all, all of it the critic's bootstrap term
    assert chute.returned == {"mean": 0.0, "lo": 0.0, "hi": 0.0}
    assert chute.bootstrap["mean"] == pytest.approx(chute.achieved["mean"])
    assert "gets +0.00 = rewards +0.00 + critic's value of the last state +0.00" in probe.summary
    entry = probe.to_dict()["interventions"][0]
    assert entry["returned"] == chute.returned and entry["bootstrap"] == chute.bootstrap
    assert chute.disagree and chute.objectives == {o: 0.0 for o in robot.objectives}
    outside = by_factor["outside_dust"]
    assert outside.expected["mean"] == outside.achieved["mean"] == 0.0 and not outside.disagree
    assert "1 of 2 interventions" in probe.summary and "chute=True" in probe.summary
    assert probe.to_dict()["interventions"][0]["disagree"] is chute.disagree


def test_probe_runs_on_a_trained_ppo_model(robot, suite):
    model = PPO("MlpPolicy", robot.make_env(), n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.set_logger(Logger(None, []))  # records nothing and leaves no folder in /tmp
    model.learn(64)
    probe = value_probe(robot, suite, model, reward="sweeps", pairs=2)
    assert probe.reward == "sweeps" and probe.gamma == model.gamma
    for p in probe.interventions:
        assert all(np.isfinite(list(p.expected.values()))) and all(np.isfinite(list(p.achieved.values())))
        assert p.expected["lo"] <= p.expected["mean"] <= p.expected["hi"]
        assert p.achieved["mean"] == pytest.approx(p.returned["mean"] + p.bootstrap["mean"])


def test_a_model_without_a_state_value_critic_is_refused(robot, suite):
    model = SAC("MlpPolicy", gym.make("Pendulum-v1"), device="cpu", learning_starts=0)
    with pytest.raises(PolicyError, match="actor-critic"):
        value_probe(robot, suite, model)
    with pytest.raises(PolicyError, match="actor-critic"):
        value_probe(robot, suite, lambda obs: [0.0, 0.0])


def test_too_few_pairs_or_an_unknown_reward_are_refused(robot, suite):
    with pytest.raises(PolicyError, match="at least 2"):
        value_probe(robot, suite, _StandStill(), pairs=1)
    with pytest.raises(proxies.ProxiesError, match="objective"):
        value_probe(robot, suite, _StandStill(), reward="tidiness", pairs=2)


def test_the_cli_shows_what_the_agent_gets_split_into_rewards_and_the_critics_bootstrap(robot, suite):
    from rich.console import Console

    from proxies.cli import _probe_table

    console = Console(width=200, record=True)
    console.print(_probe_table(value_probe(robot, suite, _StandStill(), pairs=3).to_dict()))
    text = console.export_text()
    assert "= rewards" in text and "+ critic's value of the last state" in text
    chute = next(line for line in text.splitlines() if "chute=True" in line)
    assert "+5.00 [+5.00, +5.00]" in chute and "disagree" in chute
