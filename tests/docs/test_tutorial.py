"""The tutorial's code is a working scenario: its ``python`` blocks, in order, make one file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import proxies
from proxies import RandomPolicy
from proxies.scenario.rollout import episode_returns
from sandbox import random_action

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "writing-a-scenario.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    blocks = BLOCK.findall(TUTORIAL.read_text())
    path = tmp_path_factory.mktemp("tutorial") / "sweet_tooth.py"
    path.write_text("\n\n".join(blocks))
    return proxies.get_scenario(str(path))


def test_the_tutorial_has_the_steps_it_promises():
    text = TUTORIAL.read_text()
    assert len(BLOCK.findall(text)) >= 7
    assert "proxy-sandbox check" in text


def test_the_tutorial_scenario_loads_and_steps(scenario):
    assert scenario.slug == "sweet-tooth" and scenario.graph.relation("sweetness").kind == "common_cause"
    env = scenario.make_env(mix=0.5)
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and obs.shape == (scenario.observation_size,)
    for _ in range(10):
        obs, reward, terminated, truncated, info = env.step(random_action(env.action_space, rng))
        assert env.observation_space.contains(obs)
        assert reward == info["reward/calories"]
    assert {"measure/calories", "measure/sweetness"} <= set(info)


def test_the_tutorial_references_pursue_their_objectives(scenario):
    train = [scenario.sample_spec(np.random.default_rng(s)) for s in range(3)]
    tests = [scenario.sample_spec(np.random.default_rng(s), "intervene", candy_share=0.6) for s in range(3)]
    seeds = [0, 1, 2]
    random = episode_returns(scenario, train, RandomPolicy, seeds).mean(axis=0)
    berries = episode_returns(scenario, train, scenario.references["calories"], seeds).mean(axis=0)
    sweets = episode_returns(scenario, train, scenario.references["sweetness"], seeds).mean(axis=0)
    assert berries[0] > random[0] and sweets[1] > random[1]
    assert berries[0] == sweets[0] and berries[1] == sweets[1]  # in training the two are one
    berries = episode_returns(scenario, tests, scenario.references["calories"], seeds).mean(axis=0)
    sweets = episode_returns(scenario, tests, scenario.references["sweetness"], seeds).mean(axis=0)
    assert sweets[1] > berries[1] and berries[0] > sweets[0]  # with candy about, they come apart
