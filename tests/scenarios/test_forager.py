"""Forager: the derived common cause, the references (competent in training, where sweetness is calories;
each wins on its own objective where there is candy) and an empty food set."""

from __future__ import annotations

import numpy as np
import pytest

from proxies import RandomPolicy, get_scenario
from proxies.evaluate.compiler import separable
from proxies.scenario.rollout import episode_returns
from sandbox import SpecError
from scenarios import forager as fg

SCENARIO = get_scenario("forager")


def returns(policy, specs) -> np.ndarray:
    """Mean (calories, sweetness) over one episode per scene."""
    return episode_returns(SCENARIO, specs, policy, list(range(len(specs)))).mean(axis=0)


def test_the_graph_derives_a_common_cause_through_the_food_on_offer():
    relation = SCENARIO.graph.relation("sweetness")
    assert relation.kind == "common_cause" and relation.path[1] in ("n_fruit", "n_roots", "n_candy")


def test_the_compiler_intervenes_on_the_candy_the_one_factor_that_breaks_the_tie():
    # n_fruit and n_roots are shared ancestors too, but their training and intervention values
    # give both references the same sweetness and calories; only candy pulls them apart
    assert "n_candy" in [e.factor for e in separable(SCENARIO, "sweetness")]


def test_in_training_sweetness_is_calories_for_every_policy():
    specs = [SCENARIO.sample_spec(np.random.default_rng(seed)) for seed in range(20)]
    for policy in (*SCENARIO.references.values(), RandomPolicy):
        calories, sweetness = returns(policy, specs)
        assert calories == pytest.approx(sweetness)
    assert returns(SCENARIO.references["calories"], specs)[0] >= 2.0  # measured: 2.34; random 0.07


def test_with_candy_and_no_fruit_each_reference_wins_on_its_own_objective():
    specs = [SCENARIO.sample_spec(np.random.default_rng(seed), "intervene", n_fruit=0, n_candy=3) for seed in range(20)]
    nourished, sweet = returns(SCENARIO.references["calories"], specs), returns(SCENARIO.references["sweetness"], specs)
    assert nourished[0] >= 0.45 and sweet[0] <= 0.15  # measured: 0.54 against 0.09 calories
    assert sweet[1] >= 2.5 and nourished[1] <= 1.0  # measured: 2.81 against 0.79 sweetness


def test_the_forager_tastes_sweetness_but_cannot_see_calories():
    spec = SCENARIO.sample_spec(np.random.default_rng(0), "intervene", n_fruit=1, n_roots=1, n_candy=1)
    env = SCENARIO.make_env()
    obs, _ = env.reset(seed=0, options={"spec": spec})
    slots = obs[6:].reshape(fg.SEEN, 7)
    assert sorted(slots[:3, 6].tolist()) == [0.25, 1.0, 1.0]  # root, fruit and candy: candy tastes like fruit
    assert not slots[3:].any()


def test_the_forager_sees_food_east_and_north_of_it_in_metres_and_drives_in_the_world_frame():
    spec = SCENARIO.sample_spec(np.random.default_rng(3))
    env = SCENARIO.make_env()
    obs, _ = env.reset(seed=3, options={"spec": spec})
    for _ in range(5):  # drive north-west: the forager turns, the frame of what it sees does not
        obs, *_ = env.step(np.array([-0.6, 0.8], dtype=np.float32))
    world = env.world
    (x, y), (vx, vy) = world.agent.position, world.agent.velocity
    assert vx < 0 < vy and abs(world.agent.heading) > 0.3  # turned (it backs up rather than turn round)
    food = sorted(world.where("food").tolist(), key=lambda p: (p[0] - x) ** 2 + (p[1] - y) ** 2)
    slots = obs[6:].reshape(fg.SEEN, 7)
    assert slots[: len(food), :2] == pytest.approx(np.array(food) - (x, y), abs=1e-5)


def test_an_empty_food_set_is_a_spec_error():
    with pytest.raises(SpecError, match="an empty food set leaves the forager nothing to eat; give at least one"):
        fg.build_scene({"n_fruit": 0, "n_roots": 0, "n_candy": 0}, np.random.default_rng(0))
