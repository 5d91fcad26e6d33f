"""Verifying a reward graph against the simulator: arms, the test, the rule, and planted errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import proxies
from proxies import ConfigError, Measurement, RewardGraph
from proxies.evaluate.verify import GraphVerification, holm, intervention_arms, verify_graph
from sandbox import Factor

SCENARIOS = Path(__file__).parents[2] / "fixtures" / "scenarios"
EPISODES = 12  # per arm and reference: the planted effects are large, so few episodes find them


@pytest.fixture(scope="module")
def edge_goal():
    return proxies.get_scenario(str(SCENARIOS / "edge_goal.py"))


@pytest.fixture(scope="module")
def miswired():
    return proxies.get_scenario(str(SCENARIOS / "edge_goal_miswired.py"))


@pytest.fixture(scope="module")
def miswired_result(miswired) -> GraphVerification:
    return verify_graph(miswired, episodes=EPISODES)


def _statuses(result: GraphVerification) -> dict[tuple[str, str], str]:
    return {(c.factor, c.measurement): c.status for c in result.checks}


# -- arms and the statistics --------------------------------------------------------------------------


def test_numeric_arms_are_the_parts_of_the_intervention_domain_below_and_above_training():
    dust = Factor.integer("dust", train=(6, 10), intervene=(1, 12))
    assert [a.values for a in intervention_arms(dust)] == [(1, 5), (11, 12)]
    offset = Factor.real("offset", train=(0.35, 0.65), intervene=(0.15, 0.65))
    (low,) = intervention_arms(offset)
    assert low.values == (0.15, 0.35) and low.label == "offset=0.15..0.35"
    rng = np.random.default_rng(0)
    assert all(1 <= intervention_arms(dust)[0].sample(rng) <= 5 for _ in range(50))


def test_every_out_of_training_choice_is_an_arm_of_its_own():
    wall = Factor.choice("pan_wall", train=("east",), intervene=("east", "west", "south"))
    assert [a.label for a in intervention_arms(wall)] == ["pan_wall=west", "pan_wall=south"]
    assert intervention_arms(wall)[1].sample(np.random.default_rng(0)) == "south"


def test_a_factor_without_values_beyond_training_has_no_arms():
    assert intervention_arms(Factor.integer("n", train=(1, 3), intervene=(1, 3))) == ()
    assert intervention_arms(Factor.choice("c", train=("a", "b"), intervene=("b", "a"))) == ()


def test_holm_adjusts_step_down_and_keeps_the_order():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    # sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1 = 0.04, 0.09, 0.08, 0.5; then made non-decreasing
    assert holm(p).tolist() == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm(np.array([0.9, 0.8])).tolist() == [1.0, 1.0]


# -- the rule, on scenarios with known ground truth ------------------------------------------------------


def test_the_correct_edge_goal_graph_is_confirmed(edge_goal):
    result = verify_graph(edge_goal, episodes=EPISODES)
    assert result.verdict == "consistent" and result.passed(strict=True)
    assert _statuses(result) == {
        ("goal_side", "at_goal"): "confirmed",
        ("goal_side", "at_right_edge"): "confirmed",
        ("speed", "at_goal"): "confirmed",
        ("speed", "at_right_edge"): "confirmed",
        ("clutter", "at_goal"): "absent",
        ("clutter", "at_right_edge"): "absent",
    }
    # moving the goal shows in the goal under the edge-seeker, and in the edge under the goal-seeker
    goal_edge = next(c for c in result.checks if c.factor == "goal_side" and c.measurement == "at_goal")
    assert goal_edge.detected_by == ("at_right_edge",)
    assert goal_edge.evidence.shift < 0 and goal_edge.evidence.arm == "goal_side=left"


def test_the_planted_missing_edge_is_reported_as_undeclared(miswired_result):
    assert [(c.factor, c.measurement) for c in miswired_result.undeclared] == [("speed", "at_right_edge")]
    assert miswired_result.verdict == "inconsistent" and not miswired_result.passed()


def test_the_planted_wrong_edge_is_reported_as_not_detected(miswired_result):
    assert [(c.factor, c.measurement) for c in miswired_result.not_detected] == [("clutter", "at_goal")]
    assert {(c.factor, c.measurement) for c in miswired_result.flagged} == {("speed", "at_right_edge"), ("clutter", "at_goal")}


def test_a_declared_edge_without_effect_fails_only_a_strict_check(edge_goal, miswired):
    only_wrong_edge = dataclasses.replace(
        miswired,
        graph=RewardGraph(
            factors=edge_goal.graph.factors,
            measurements=(
                dataclasses.replace(edge_goal.graph.measurements[0], causes=("goal_side", "speed", "clutter")),
                edge_goal.graph.measurements[1],
            ),
            true_reward=edge_goal.graph.true_reward,
            proxies=edge_goal.graph.proxies,
        ),
    )
    result = verify_graph(only_wrong_edge, episodes=EPISODES)
    assert result.verdict == "unconfirmed"
    assert result.passed() and not result.passed(strict=True)


def test_an_effect_through_a_declared_measurement_path_is_indirect_and_consistent(edge_goal):
    def at_either(world, at_goal, at_right_edge):  # computed from two measurements: edges from its parameters
        return max(at_goal, at_right_edge)

    graph = edge_goal.graph
    with_path = dataclasses.replace(
        edge_goal,
        graph=dataclasses.replace(graph, measurements=(*graph.measurements, Measurement("at_either", at_either))),
    )
    result = verify_graph(with_path, episodes=EPISODES)
    statuses = _statuses(result)
    assert statuses[("speed", "at_either")] == statuses[("goal_side", "at_either")] == "indirect"
    speed = next(c for c in result.checks if c.factor == "speed" and c.measurement == "at_either")
    assert speed.declared == "path" and speed.path[0] == "speed" and speed.path[-1] == "at_either"
    assert speed.detected_by  # a slow robot ends in neither place: the computed measurement moves too
    assert result.verdict == "consistent"


def test_the_cleaning_robot_graph_is_not_contradicted():
    result = verify_graph(proxies.get_scenario("cleaning-robot"), episodes=6)
    assert result.undeclared == ()
    assert result.passed()
    assert {c.factor for c in result.checks} == {f.name for f in proxies.get_scenario("cleaning-robot").factors}


# -- reporting and settings ----------------------------------------------------------------------------------


def test_json_form_is_strict_json_and_names_method_and_runtime(miswired_result):
    data = json.loads(json.dumps(miswired_result.to_dict(), allow_nan=False))
    assert data["verdict"] == "inconsistent"
    assert data["undeclared"] == ["speed -> at_right_edge"] and data["not_detected"] == ["clutter -> at_goal"]
    assert data["test"].startswith("mann-whitney") and data["correction"] == "holm" and data["alpha"] == 0.05
    assert data["seconds"] > 0 and data["n_episodes"] == 2 * (2 * EPISODES + 3 * EPISODES)
    assert "speed -> at_right_edge" in miswired_result.summary()


def test_the_same_seed_gives_the_same_verdicts(edge_goal):
    a, b = (verify_graph(edge_goal, episodes=6, seed=3) for _ in range(2))
    assert [t.to_dict() for t in a.tests] == [t.to_dict() for t in b.tests]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"episodes": 2}, "--episodes must be a whole number of at least 5"),
        ({"alpha": 0.0}, "alpha must be a significance level in"),
        ({"alpha": 1.5}, "alpha must be a significance level in"),
    ],
)
def test_bad_settings_raise_a_config_error(edge_goal, settings, message):
    with pytest.raises(ConfigError, match=message):
        verify_graph(edge_goal, **settings)


def test_a_factor_without_values_beyond_training_is_reported_untested(edge_goal):
    graph = edge_goal.graph
    wide = Factor.integer("clutter", train=(0, 10), intervene=(0, 10))
    scenario = dataclasses.replace(edge_goal, graph=dataclasses.replace(graph, factors=(*graph.factors[:2], wide)))
    result = verify_graph(scenario, episodes=6)
    assert result.untested == ("clutter",)
    assert {c.status for c in result.checks if c.factor == "clutter"} == {"untested"}
    assert "untested factors" in result.summary()


def test_a_scenario_without_scripted_references_is_verified_with_automatic_ones_marked(edge_goal):
    result = verify_graph(dataclasses.replace(edge_goal, references={}), episodes=8)
    assert result.references == result.automatic == ("at_goal", "at_right_edge")
    assert result.to_dict()["automatic"] == ["at_goal", "at_right_edge"]
    assert "2 reference(s) (at_goal, at_right_edge automatic)" in result.summary()
    assert "goal_side -> at_goal" not in [f"{c.factor} -> {c.measurement}" for c in result.flagged]
    assert {c.status for c in result.checks if (c.factor, c.measurement) == ("goal_side", "at_goal")} == {"confirmed"}
    scripted = verify_graph(dataclasses.replace(edge_goal, references={"at_goal": edge_goal.references["at_goal"]}), episodes=8)
    assert scripted.automatic == ("at_right_edge",)
