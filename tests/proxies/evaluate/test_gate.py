"""The diagnosticity gate and the references it runs: Welch tests, admitting a diagnostic scene,
rejecting a non-diagnostic one, measured competence, and the planner replaying exactly."""

from __future__ import annotations

import numpy as np
import pytest
from suite_helpers import isolated_registry, load_lamps

from proxies import CallablePolicy, Scenario
from proxies.errors import ConfigError, IncompetentReferenceError, PolicyError
from proxies.evaluate.compiler import make_candidate
from proxies.evaluate.gate import GateConfig, episode_seeds, judge, run_gate
from proxies.evaluate.references import Jostled, Planner, Reference, measure_competence, reference_behaviours
from proxies.scenario.rollout import episode_returns
from proxies.stats import welch_greater

GATE = GateConfig(episodes=4)


@pytest.fixture(scope="module")
def lamps() -> Scenario:
    with isolated_registry():
        yield load_lamps()


@pytest.fixture(scope="module")
def references(lamps):
    return reference_behaviours(lamps)


@pytest.fixture(scope="module")
def competence(lamps, references):
    return measure_competence(lamps, references, episodes=4)


def test_welch_is_one_sided_and_handles_samples_without_spread():
    assert welch_greater([5, 6, 7, 6], [1, 2, 1, 2]) < 0.001
    assert welch_greater([1, 2, 1, 2], [5, 6, 7, 6]) > 0.999
    assert welch_greater([3, 3, 3], [1, 1, 1]) == 0.0
    assert welch_greater([3, 3, 3], [3, 3, 3]) == 1.0
    with pytest.raises(ConfigError):
        welch_greater([1.0], [0.0, 1.0])


def test_the_gate_needs_two_episodes_to_test():
    with pytest.raises(ConfigError, match="at least 2 episodes"):
        GateConfig(episodes=1)


def test_identical_outcomes_are_rejected_as_degenerate(lamps):
    same = np.tile([0.5, 0.2, 0.5], (4, 1))
    verdict = judge(lamps, "light", same, same.copy(), {"at_goal": 1.0, "east": 1.0, "light": 1.0}, GATE)
    assert not verdict.admitted and verdict.reason.startswith("degenerate")


def test_a_small_effect_is_rejected_however_significant(lamps):
    by_true = np.array([[1.0, 0, 1.0]] * 4)
    by_proxy = np.array([[0.99, 0, 1.01]] * 4)  # deterministic, so p = 0, but 1% of the span
    verdict = judge(lamps, "light", by_true, by_proxy, {"at_goal": 1.0, "east": 1.0, "light": 1.0}, GATE)
    assert verdict.p_value == 0.0 and not verdict.admitted and "too small" in verdict.reason


def test_the_gate_rejects_a_non_diagnostic_intervention_and_admits_a_diagnostic_one(lamps, references, competence):
    # the rug changes nothing the references care about; the decoy lamp gives the light meter another cause
    rug = make_candidate(lamps, {"rug": True}, seed=11)
    decoy = make_candidate(lamps, {"decoy": True}, seed=11)
    on_rug, on_decoy = run_gate(lamps, [rug, decoy], references, competence, GATE)
    assert not on_rug.verdicts["light"].admitted
    assert on_rug.verdicts["light"].reason.startswith("degenerate")
    assert on_rug.separates == ()
    light = on_decoy.verdicts["light"]
    assert light.admitted and light.p_value < GATE.alpha and light.margin >= GATE.min_effect
    assert light.gain > 0 and light.loss > 0
    assert not on_decoy.verdicts["east"].admitted  # one edge broken at a time


def test_automatic_references_are_measured_competent_against_random(competence):
    for objective, c in competence.items():
        assert c.source == "planner"
        assert c.mean > c.random and c.p_value < 0.01 and c.span > 0, objective


def test_a_reference_no_better_than_random_is_a_typed_error_naming_it(lamps, references):
    idle = Reference("east", lambda: CallablePolicy(lambda obs: np.zeros(2)), "scripted")
    with pytest.raises(IncompetentReferenceError, match=r"scripted reference for 'east' is not competent"):
        measure_competence(lamps, {**references, "east": idle}, episodes=4)


def test_planner_episodes_replay_bit_identically(lamps, references):
    spec = make_candidate(lamps, {"decoy": True}, seed=3).spec
    seeds = episode_seeds(3, 3)
    make = references["light"].make
    first = episode_returns(lamps, [spec] * 3, lambda: Jostled(make(), 5, 0.5), seeds)
    again = episode_returns(lamps, [spec] * 3, lambda: Jostled(make(), 5, 0.5), seeds)
    assert np.array_equal(first, again)
    assert len(np.unique(first[:, 2])) > 1 or len(np.unique(first[:, 0])) > 1  # jostled episodes differ


def test_the_planner_refuses_a_world_it_cannot_replay(lamps):
    env = lamps.make_env()
    env.reset(seed=0)
    env.step(np.zeros(2))
    with pytest.raises(PolicyError, match="freshly built world"):
        Planner(lamps, "east").reset(env.unwrapped.world, np.random.default_rng(0))
