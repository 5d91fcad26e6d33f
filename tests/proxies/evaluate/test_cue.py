"""The cue-invariance probe: planted agents, determinism, and cues that reach more than the observation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from suite_helpers import FIXTURES, isolated_registry

import proxies
from proxies import ConfigError, RandomPolicy, RewardGraph, Scenario
from proxies.errors import CueFactorError
from proxies.evaluate.checks import run_checks
from proxies.evaluate.compiler import compile_candidates
from proxies.evaluate.cue import cue_pair, cue_probe, physical_form
from sandbox import Appearance


@pytest.fixture(scope="module")
def lamp() -> Scenario:
    with isolated_registry():
        yield proxies.get_scenario(str(FIXTURES / "lamp_cue.py"))


def _go_to_goal(scenario: Scenario):
    return scenario.references["at_goal"]


def _green_only(scenario: Scenario):
    """A planted agent: the true-reward reference while the lamp is green (as in training), random otherwise."""
    goal = _go_to_goal(scenario)

    class GreenOnly:
        def reset(self, world, rng):
            self._goal, self._random = goal(), RandomPolicy()
            self._random.reset(world, rng)

        def act(self, obs, world):
            green = np.allclose(obs[11:14], Appearance("green").rgb, atol=1e-6)
            return (self._goal if green else self._random).act(obs, world)

    return GreenOnly


def test_the_planted_green_lamp_agent_is_flagged_on_the_true_reward(lamp):
    probe = cue_probe(lamp, _green_only(lamp), pairs=12, n_boot=300)
    (red,) = probe.cues
    assert (red.factor, red.value, red.pairs) == ("lamp_colour", "red", 12)
    assert red.finding and "at_goal" in red.moved
    assert red.changes["at_goal"]["hi"] < 0  # it stops reaching the goal when the lamp turns red
    assert probe.findings == (red,) and "behaves differently" in probe.summary


def test_the_true_reward_reference_is_not_flagged(lamp):
    probe = cue_probe(lamp, _go_to_goal(lamp), pairs=12, n_boot=300)
    assert probe.findings == ()
    assert all(c["lo"] <= 0 <= c["hi"] for change in probe.cues for c in change.changes.values())
    assert "ignores the cue" in probe.summary


def test_the_probe_is_deterministic_and_its_seed_matters(lamp):
    agent = _green_only(lamp)
    first = cue_probe(lamp, agent, pairs=6, n_boot=200, seed=3).to_dict()
    assert cue_probe(lamp, agent, pairs=6, n_boot=200, seed=3).to_dict() == first
    assert cue_probe(lamp, agent, pairs=6, n_boot=200, seed=4).to_dict() != first


def test_several_runs_pool_their_pairs(lamp):
    probe = cue_probe(lamp, [_go_to_goal(lamp), _green_only(lamp)], pairs=6, n_boot=200)
    assert probe.cues[0].pairs == 12


def test_a_pair_differs_in_appearance_and_factor_value_only(lamp):
    base, moved = cue_pair(lamp, 5, "lamp_colour", "red")
    assert base.factor_values["lamp_colour"] == "green" and moved.factor_values["lamp_colour"] == "red"
    assert base != moved and physical_form(base) == physical_form(moved)


def test_a_scenario_without_cues_or_too_few_pairs_is_refused(lamp):
    plain = proxies.get_scenario("cleaning-robot")
    with pytest.raises(ConfigError, match="declares no cue-only factor.*cue=True"):
        cue_probe(plain, RandomPolicy)
    with pytest.raises(ConfigError, match="at least 2 scene pairs"):
        cue_probe(lamp, RandomPolicy, pairs=1)


def _lamp_moves_robot(lamp: Scenario) -> Scenario:
    """The lamp scenario, but the recipe puts the robot elsewhere when the lamp is red: the cue reaches the layout."""

    def build_scene(factors, rng):
        spec = lamp.build_scene(factors, rng)
        if factors["lamp_colour"] != "red":
            return spec
        robot = dataclasses.replace(spec.agent, x=3.0)
        return dataclasses.replace(spec, entities=tuple(robot if e is spec.agent else e for e in spec.entities))

    return dataclasses.replace(lamp, build_scene=build_scene)


def test_a_cue_that_changes_the_layout_is_refused_by_the_probe_and_by_check(lamp):
    moving = _lamp_moves_robot(lamp)
    with pytest.raises(CueFactorError, match=r"'lamp_colour' set to 'red' changes the scene's layout.*cue=True"):
        cue_probe(moving, _go_to_goal(moving), pairs=4)
    results = {name: (passed, detail) for name, passed, detail in run_checks(moving, episodes=2)}
    passed, detail = results["cue-only factors"]
    assert not passed and "CueFactorError" in detail


def test_a_measurement_that_reads_a_cue_behind_the_graphs_back_fails_check(lamp):
    def lamp_is_red(world) -> float:
        return float(world.spec.factor_values["lamp_colour"] == "red") * world.agent.position[0]

    graph = lamp.graph
    east = next(m for m in graph.measurements if m.name == "east")
    sneaky = dataclasses.replace(east, fn=lamp_is_red)
    measurements = tuple(sneaky if m is east else m for m in graph.measurements)
    scenario = dataclasses.replace(lamp, graph=RewardGraph(graph.factors, measurements, graph.true_reward, graph.proxies))
    results = {name: (passed, detail) for name, passed, detail in run_checks(scenario, episodes=2)}
    passed, detail = results["cue-only factors"]
    assert not passed and "changes the measurement 'east'" in detail


def test_check_passes_a_true_cue(lamp):
    results = {name: (passed, detail) for name, passed, detail in run_checks(lamp, episodes=2)}
    assert results["cue-only factors"][0], results["cue-only factors"][1]


def test_the_suite_never_intervenes_on_a_cue_and_refuses_to_be_asked(lamp):
    candidates = compile_candidates(lamp, per_factor=3)
    assert candidates and all("lamp_colour" not in c.interventions for c in candidates)
    with pytest.raises(ConfigError, match="'lamp_colour' of 'lamp-cue' is cue-only.*cue-invariance probe"):
        compile_candidates(lamp, factors=["lamp_colour"])
