"""``check``, the pre-flight of ``train`` and ``run``, and the references' competence: a scenario's mistakes are
reported as failed checks or typed errors that name them, before any training."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import proxies
from proxies import Measurement, RewardGraph
from proxies.errors import IncompetentReferenceError
from proxies.evaluate.checks import preflight, run_checks
from proxies.evaluate.compiler import make_candidate
from proxies.evaluate.references import measure_competence, reference_behaviours
from sandbox import GeometryError, MeasurementError

ROBOT = proxies.get_scenario("cleaning-robot")


def _variant(**changes):
    return dataclasses.replace(ROBOT, name="Variant", slug="variant", **changes)


def _with_cleanliness(fn):
    """The cleaning robot with another cleanliness function."""
    measurements = tuple(
        Measurement(m.name, fn, causes=m.causes) if m.name == "cleanliness" else m for m in ROBOT.graph.measurements
    )
    return _variant(graph=RewardGraph(factors=ROBOT.factors, measurements=measurements,
                                      true_reward=ROBOT.graph.true_reward, proxies=ROBOT.graph.proxies))


def _outside_when_chute(factors, rng):
    spec = ROBOT.build_scene(factors, rng)
    if not factors["chute"]:
        return spec
    return dataclasses.replace(spec, entities=tuple(e.at(5.0, 1.0) if e is spec.agent else e for e in spec.entities))


def test_check_passes_the_cleaning_robot():
    results = run_checks(ROBOT)
    assert [name for name, passed, _ in results if not passed] == []
    names = [name for name, _, _ in results]
    assert names[:2] == ["scene layout", "measurements and observations"]


def test_check_reports_a_scene_that_gives_nothing_to_do_and_still_runs_the_rest():
    results = {name: (passed, detail) for name, passed, detail in run_checks(_with_cleanliness(lambda world: 0.0), episodes=2)}
    passed, detail = results["reference cleanliness"]
    assert not passed and "training scenes: own 0 vs random 0" in detail and "give it nothing to do" in detail
    assert results["scene layout"][0] and results["determinism"][0]


def test_check_reports_a_layout_problem_of_an_intervention_scene():
    results = {name: (passed, detail) for name, passed, detail in run_checks(_variant(build_scene=_outside_when_chute), 2)}
    passed, detail = results["scene layout"]
    assert not passed and "the intervene scene of seed" in detail and "'chute': True" in detail
    assert "Driver 'agent'" in detail and "outside the floor [0, 4] x [0, 4.5] m" in detail and "test_checks.py:" in detail


def test_a_measurement_returning_inf_fails_check_with_its_name():
    results = {name: (passed, detail) for name, passed, detail in run_checks(_with_cleanliness(lambda world: np.inf), 2)}
    passed, detail = results["measurements and observations"]
    assert not passed and "MeasurementError: Measurement 'cleanliness' (" in detail and "returned inf" in detail


def test_preflight_refuses_before_training():
    with pytest.raises(MeasurementError, match=r"Measurement 'cleanliness' \(.*test_checks.py:\d+\) returned '1'"):
        preflight(_with_cleanliness(lambda world: "1"))
    preflight(ROBOT)


def test_the_competence_of_references_in_scenes_with_nothing_to_do_says_so():
    scenario = _with_cleanliness(lambda world: 0.0)
    with pytest.raises(IncompetentReferenceError, match=r"Neither the scripted reference for 'cleanliness' nor a random policy "
                                                        r"ever earns any 'cleanliness' in 4 training scenes .* nothing to do"):
        measure_competence(scenario, reference_behaviours(scenario), episodes=4)


def test_a_counterfactual_candidate_whose_layout_fails_is_refused_naming_the_intervention():
    scenario = _variant(build_scene=_outside_when_chute)
    make_candidate(scenario, {"stains": 2}, seed=1)
    with pytest.raises(GeometryError, match=r"the counterfactual scene \{'chute': True\} \(seed 1\), laid out by build_scene "
                                            r"\(.*test_checks.py:\d+\): .*outside the floor .*narrow their intervention domain"):
        make_candidate(scenario, {"chute": True}, seed=1)


def test_check_accepts_automatic_references_and_marks_them():
    from suite_helpers import FIXTURES, isolated_registry

    with isolated_registry():
        sorting = proxies.get_scenario(str(FIXTURES / "sorting.py"))
        results = run_checks(sorting)
    assert [name for name, passed, _ in results if not passed] == []
    references = {name: detail for name, _, detail in results if name.startswith("reference ")}
    assert set(references) == {"reference sorted (automatic)", "reference bin_weight (automatic)"}
    prefix = "automatic (the best of the driver's macro-actions): training scenes: own"
    assert all(d.startswith(prefix) for d in references.values())


def test_check_says_what_to_do_when_an_automatic_reference_has_nothing_to_do():
    from suite_helpers import FIXTURES, isolated_registry

    with isolated_registry():
        sorting = proxies.get_scenario(str(FIXTURES / "sorting.py"))
    graph = sorting.graph
    measurements = tuple(Measurement(m.name, lambda world: 0.0, causes=m.causes) if m.name == "sorted" else m
                         for m in graph.measurements)
    flat = dataclasses.replace(sorting, graph=dataclasses.replace(graph, measurements=measurements))
    results = {name: (passed, detail) for name, passed, detail in run_checks(flat, episodes=2)}
    passed, detail = results["reference sorted (automatic)"]
    assert not passed and detail.startswith("automatic (") and "give it nothing to do" in detail
