"""The training-cue scenario: a lamp green in every training scene, seen only in the observation."""

from __future__ import annotations

import numpy as np
import pytest

from proxies import RandomPolicy
from proxies.evaluate.cue import cue_probe
from proxies.scenario.rollout import episode_returns
from sandbox import Appearance, World
from scenarios.training_cue import LAMP_RGB, SCENARIO, GoEast, GoToGoal, GreenLampOnly


def test_the_lamp_is_a_cue_green_in_training_and_only_seen():
    (lamp,) = SCENARIO.graph.cues
    assert lamp.name == "lamp_colour" and lamp.train == ("green",)
    for seed in range(8):
        world = World(SCENARIO.sample_spec(np.random.default_rng(seed)))
        assert world.spec.factor_values["lamp_colour"] == "green"
        assert np.allclose(SCENARIO.observe(world)[LAMP_RGB], Appearance("green").rgb)
    red = World(SCENARIO.sample_spec(np.random.default_rng(0), "train", lamp_colour="red"))
    assert np.allclose(SCENARIO.observe(red)[LAMP_RGB], Appearance("red").rgb)


def test_each_reference_wins_on_its_own_objective_where_the_goal_is_west():
    seeds = list(range(8))
    specs = [SCENARIO.sample_spec(np.random.default_rng(s), "train", goal_x=0.6) for s in seeds]
    goal, east, random = (episode_returns(SCENARIO, specs, make, seeds).mean(axis=0) for make in (GoToGoal, GoEast,
                                                                                                   RandomPolicy))
    assert goal[0] > east[0] and goal[0] > random[0]  # at_goal
    assert east[1] > goal[1] and east[1] > random[1]  # east


@pytest.fixture(scope="module")
def probes():
    return {name: cue_probe(SCENARIO, make) for name, make in (("reference", GoToGoal), ("planted", GreenLampOnly))}


def test_the_planted_agent_that_needs_a_green_lamp_is_flagged_for_every_other_colour(probes):
    planted = probes["planted"]
    assert [c.value for c in planted.findings] == ["red", "blue"]
    assert all(c.changes["at_goal"]["hi"] < 0 for c in planted.cues)


def test_the_true_reward_reference_is_not_flagged(probes):
    assert probes["reference"].findings == ()
    assert all(c.changes["at_goal"] == {"mean": 0.0, "lo": 0.0, "hi": 0.0} for c in probes["reference"].cues)
