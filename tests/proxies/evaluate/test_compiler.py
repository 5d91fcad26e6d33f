"""The intervention compiler: which factors break each proxy's edge, values outside training,
reproducible candidates, and typed errors for bad interventions and unseparable proxies."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from suite_helpers import isolated_registry, load_lamps

from proxies import Objective, RewardGraph, Scenario, get_scenario
from proxies.errors import InterventionError, ProxiesError, UnknownFactorError, UnseparableProxyError
from proxies.evaluate.compiler import compile_candidates, edge_factors, make_candidate, out_of_training_values, separable
from sandbox import Factor

ROBOT = get_scenario("cleaning-robot")


@pytest.fixture(scope="module")
def lamps() -> Scenario:
    with isolated_registry():
        yield load_lamps()


def roles(scenario: Scenario, proxy: str) -> dict[str, str]:
    return {e.factor: e.role for e in edge_factors(scenario.graph, proxy)}


def test_side_effect_edge_is_broken_by_factors_feeding_the_proxy_or_the_mechanism():
    found = roles(ROBOT, "sweeps")  # sweeps -> cleanliness
    assert found["stains"] == "proxy_without_true"  # swept, never cleaned
    assert found["chute"] == "true_without_proxy"  # feeds cleanliness other than through sweeping


def test_instrumental_edge_is_broken_by_another_cause_or_a_bypass_of_the_proxy():
    found = roles(ROBOT, "dust_in_pan")  # cleanliness -> dust_in_pan
    assert found["outside_dust"] == "another_cause"
    assert found["chute"] == "bypass"  # also a cause of the true reward: cleaning without the pan
    assert "stains" not in found and "dust" not in found  # they reach the pan only through cleaning


def test_common_cause_edge_is_broken_by_the_shared_ancestor(lamps):
    assert roles(lamps, "east") == {"goal_side": "shared_ancestor"}
    assert set(roles(lamps, "light")) == {"decoy", "rug"}


@pytest.mark.parametrize("factor", ROBOT.factors, ids=lambda f: f.name)
def test_intervention_values_lie_outside_training_and_inside_the_intervention_domain(factor):
    values = out_of_training_values(factor, 40, np.random.default_rng(0))
    if not separable_values(factor):
        assert values == []
        return
    assert len(values) == 40
    for v in values:
        assert factor.contains(v, "intervene") and not factor.contains(v, "train")


def separable_values(factor: Factor) -> bool:
    if factor.kind == "choice":
        return any(v not in factor.train for v in factor.intervene)
    return factor.intervene != factor.train


def test_candidates_change_one_factor_and_keep_the_rest_in_training():
    for candidate in compile_candidates(ROBOT, per_factor=2, seed=3):
        assert len(candidate.interventions) == 1
        values = candidate.spec.factor_values
        for factor in ROBOT.factors:
            domain = "intervene" if factor.name in candidate.interventions else "train"
            assert factor.contains(values[factor.name], domain)
            assert factor.contains(values[factor.name], "train") == (domain == "train")


def test_compiling_twice_gives_the_same_candidates_and_specs_rebuild_from_seed_and_interventions():
    first = compile_candidates(ROBOT, per_factor=2, seed=5)
    second = compile_candidates(ROBOT, per_factor=2, seed=5)
    assert [(c.id, c.seed, c.interventions, c.spec) for c in first] == [(c.id, c.seed, c.interventions, c.spec) for c in second]
    for c in first:
        assert make_candidate(ROBOT, c.interventions, c.seed).spec == c.spec
    assert len({c.id for c in first}) == len(first)


def test_pairs_intervene_on_two_factors_of_the_same_edge():
    pairs = compile_candidates(ROBOT, per_factor=1, proxies=["dust_in_pan"], pairs=True, singles=False)
    assert pairs and all(len(c.interventions) == 2 for c in pairs)
    edge = set(roles(ROBOT, "dust_in_pan"))
    assert all(set(c.interventions) <= edge for c in pairs)


def test_an_intervention_outside_the_domain_is_a_typed_error_naming_the_factor_and_domain():
    stains = ROBOT.factor("stains")
    too_many = stains.intervene[1] + 1
    with pytest.raises(InterventionError, match=r"factor 'stains' is outside its intervention domain") as info:
        make_candidate(ROBOT, {"stains": too_many}, seed=0)
    assert stains.describe("intervene") in str(info.value)
    assert "widen" in str(info.value)
    assert isinstance(info.value, ProxiesError)


def test_an_unknown_factor_is_a_typed_error_with_a_suggestion():
    with pytest.raises(UnknownFactorError, match=r"no factor 'stain'.*did you mean 'stains'.*declare it as a Factor"):
        make_candidate(ROBOT, {"stain": 1}, seed=0)
    with pytest.raises(UnknownFactorError, match="did you mean 'chute'"):
        compile_candidates(ROBOT, factors=["chutes"])


def _lamps_variant(lamps: Scenario, light_causes: tuple[str, ...], decoy: Factor) -> Scenario:
    """The lamps scenario with the light meter's causes and the decoy factor replaced."""
    graph = lamps.graph
    factors = tuple(decoy if f.name == "decoy" else f for f in graph.factors)
    measurements = tuple(
        dataclasses.replace(m, causes=light_causes) if m.name == "light" else m for m in graph.measurements
    )
    new = RewardGraph(factors=factors, measurements=measurements, true_reward=Objective("at_goal"),
                      proxies=tuple(Objective(p.name) for p in graph.proxies))
    return dataclasses.replace(lamps, graph=new)


def test_a_proxy_no_factor_feeds_is_unseparable_and_the_error_says_what_to_add(lamps):
    variant = _lamps_variant(lamps, ("at_goal",), lamps.factor("decoy"))
    with pytest.raises(UnseparableProxyError, match=r"proxy 'light' \(instrumental: at_goal -> light\)") as info:
        compile_candidates(variant)
    assert "Add a Factor" in str(info.value) and "causes" in str(info.value)


def test_a_proxy_whose_factors_never_leave_training_is_unseparable_and_the_error_says_widen(lamps):
    fixed = Factor.choice("decoy", train=(False,), intervene=(False,))
    variant = _lamps_variant(lamps, ("at_goal", "decoy"), fixed)
    with pytest.raises(UnseparableProxyError, match=r"proxy 'light'.*'decoy'.*Widen the intervention domain"):
        separable(variant, "light")
