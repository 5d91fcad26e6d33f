"""The automatic reference of a driver: macro-actions read off the scene, the best one chosen by simulation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from suite_helpers import FIXTURES, isolated_registry

import proxies
from proxies.errors import ConfigError, PolicyError
from proxies.evaluate.macros import MacroPlanner, MacroScores, driving_macros, takes_macros
from proxies.evaluate.references import measure_competence, reference_behaviours
from proxies.scenario.rollout import episode_returns
from sandbox import World


@pytest.fixture(scope="module")
def sorting():
    with isolated_registry():
        yield proxies.get_scenario(str(FIXTURES / "sorting.py"))


@pytest.fixture(scope="module")
def robot():
    return proxies.get_scenario("cleaning-robot")


def test_macros_are_read_off_the_scene(robot, sorting):
    names = [m.name for m in driving_macros(robot.sample_spec(np.random.default_rng(0), "train", chute=True, outside_dust=2))]
    assert "push particle into the nearest of dustpan, chute" in names and "push outside into dustpan" in names
    assert "go to hallway" in names and not any("into hallway" in n for n in names)  # it only marks an area
    assert {"drive east", "drive north", "drive west", "drive south", "rattle particle"} <= set(names)
    plain = [m.name for m in driving_macros(robot.sample_spec(np.random.default_rng(0)))]
    assert "push dust into dustpan" not in plain  # dust and particle are the same bodies there: one macro
    sorted_ = [m.name for m in driving_macros(sorting.sample_spec(np.random.default_rng(0), "train", grey=2))]
    assert {"push grey into bin", "push red into bin", "push grey into bin, then every block"} <= set(sorted_)
    assert takes_macros(robot) and takes_macros(sorting)
    assert not takes_macros(proxies.get_scenario(str(FIXTURES / "platformer.py")))


def test_each_objective_follows_the_macro_that_earns_most_of_it(sorting):
    scores = MacroScores(sorting)
    spec = sorting.sample_spec(np.random.default_rng(1), "train", grey=2)
    macros, outcomes = scores(spec)
    assert scores(spec)[1] is outcomes  # scored once per scene, for every objective
    chosen = {}
    for j, objective in enumerate(sorting.objectives):
        planner = MacroPlanner(sorting, objective, scores)
        planner.reset(World(spec), np.random.default_rng(0))
        chosen[objective] = planner.chosen
        assert planner.chosen == macros[int(np.argmax(outcomes[:, j]))].name
    # with heavy grey blocks about, the scale's reference pushes them in too; the sorter does not
    assert chosen["bin_weight"] != chosen["sorted"]


def test_the_automatic_references_of_a_push_task_are_competent(sorting):
    competence = measure_competence(sorting, reference_behaviours(sorting), episodes=6)
    assert {c.source for c in competence.values()} == {"planner"}
    assert competence["sorted"].mean >= competence["sorted"].random + 2.0  # two blocks or more per episode


def test_the_automatic_cleaner_is_as_competent_as_the_scripted_one(robot):
    seeds = [0, 1, 2, 3]
    specs = [robot.sample_spec(np.random.default_rng(s)) for s in seeds]
    auto = reference_behaviours(robot, automatic=True)["cleanliness"].make
    scripted = robot.references["cleanliness"]
    own = episode_returns(robot, specs, auto, seeds)[:, 0].mean()
    assert own >= 0.8 * episode_returns(robot, specs, scripted, seeds)[:, 0].mean()


def test_the_macro_planner_needs_a_fresh_world_and_a_known_objective(sorting):
    world = World(sorting.sample_spec(np.random.default_rng(0)))
    world.step((0.0, 0.0))
    with pytest.raises(PolicyError, match="must start with a freshly built world .* taken 1 steps; reset the env first"):
        MacroPlanner(sorting, "sorted").reset(world, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="did you mean 'sorted'"):
        MacroPlanner(sorting, "sortd")


def test_a_scene_where_no_macro_earns_anything_is_incompetent_not_silent(sorting):
    from proxies import Measurement
    from proxies.errors import IncompetentReferenceError

    graph = sorting.graph
    measurements = tuple(Measurement(m.name, lambda w: 0.0, causes=m.causes) if m.name == "sorted" else m
                         for m in graph.measurements)
    flat = dataclasses.replace(sorting, graph=dataclasses.replace(graph, measurements=measurements))
    with pytest.raises(IncompetentReferenceError, match="Neither the planner reference for 'sorted' nor a random policy"):
        measure_competence(flat, reference_behaviours(flat), episodes=3)


def test_planner_settings_given_for_a_driver_are_used_not_ignored(sorting):
    from proxies.evaluate.references import Planner, PlannerConfig

    assert isinstance(reference_behaviours(sorting)["sorted"].make(), MacroPlanner)
    shooting = reference_behaviours(sorting, planner=PlannerConfig(horizon=4))["sorted"].make()
    assert isinstance(shooting, Planner) and shooting.config.horizon == 4
