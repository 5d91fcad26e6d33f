"""Reward graphs: derived relations, and malformed declarations."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import proxies
from proxies import GraphError, Measurement, Objective, Relation, RewardGraph
from sandbox import Factor

DUST = Factor.integer("dust", train=(2, 4), intervene=(1, 6))
GOAL = Factor.choice("goal_at_right", train=(True,), intervene=(True, False))


def _zero(world) -> float:
    return 0.0


def M(name: str, *causes: str) -> Measurement:  # noqa: N802 - reads like a declaration
    return Measurement(name, _zero, causes=causes)


def _graph(**overrides) -> RewardGraph:
    """A small valid graph: dust -> sweeps -> clean -> pan; true reward clean."""
    declaration = {
        "factors": (DUST,),
        "measurements": (M("sweeps", "dust"), M("clean", "sweeps", "dust"), M("pan", "clean")),
        "true_reward": Objective("clean"),
        "proxies": (Objective("sweeps"), Objective("pan")),
    }
    return RewardGraph(**{**declaration, **overrides})


# -- derivation ---------------------------------------------------------------------------------------


def test_cleaning_robot_relations_are_derived():
    graph = proxies.get_scenario("cleaning-robot").graph
    assert graph.true_reward.name == "cleanliness"
    assert graph.relation("sweeps") == Relation("sweeps", "side_effect", ("sweeps", "cleanliness"))
    assert graph.relation("dust_in_pan") == Relation("dust_in_pan", "instrumental", ("cleanliness", "dust_in_pan"))
    assert [r.kind for r in graph.relations] == ["side_effect", "instrumental"]
    assert graph.objective_names == ("cleanliness", "sweeps", "dust_in_pan")


def test_common_cause_names_the_shared_factor():
    graph = RewardGraph(
        factors=(GOAL,),
        measurements=(M("coin", "goal_at_right"), M("x_progress", "goal_at_right")),
        true_reward=Objective("coin"),
        proxies=(Objective("x_progress"),),
    )
    relation = graph.relation("x_progress")
    assert relation.kind == "common_cause"
    assert relation.path == ("x_progress", "goal_at_right", "coin")
    assert relation.to_dict() == {
        "name": "x_progress",
        "relation": "common_cause",
        "path": ["x_progress", "goal_at_right", "coin"],
    }


def test_common_cause_picks_the_nearest_shared_ancestor():
    graph = RewardGraph(
        factors=(GOAL,),
        measurements=(M("layout", "goal_at_right"), M("coin", "layout", "goal_at_right"), M("x_progress", "layout")),
        true_reward=Objective("coin"),
        proxies=(Objective("x_progress"),),
    )
    assert graph.relation("x_progress").path == ("x_progress", "layout", "coin")


def test_directed_path_wins_over_a_shared_ancestor():
    graph = _graph()  # sweeps and clean share the factor dust, but sweeps -> clean
    assert graph.relation("sweeps").kind == "side_effect"


def test_multi_hop_paths_in_both_directions():
    chain = (M("a", "dust"), M("b", "a"), M("c", "b"), M("d", "c"))
    forward = RewardGraph(factors=(DUST,), measurements=chain, true_reward=Objective("d"), proxies=(Objective("a"),))
    assert forward.relation("a") == Relation("a", "side_effect", ("a", "b", "c", "d"))
    backward = RewardGraph(factors=(DUST,), measurements=chain, true_reward=Objective("a"), proxies=(Objective("d"),))
    assert backward.relation("d") == Relation("d", "instrumental", ("a", "b", "c", "d"))


def test_multi_hop_path_is_the_shortest_one():
    measurements = (M("a", "dust"), M("b", "a"), M("c", "b"), M("d", "c", "a"))
    graph = RewardGraph(
        factors=(DUST,), measurements=measurements, true_reward=Objective("d"),
        proxies=(Objective("a"),),
    )
    assert graph.relation("a").path == ("a", "d")


def test_objective_may_reward_a_differently_named_measurement():
    graph = _graph(proxies=(Objective("activity", measurement="sweeps"), Objective("pan")))
    assert graph.relation("activity") == Relation("activity", "side_effect", ("sweeps", "clean"))
    assert graph.objective("activity").measurement == "sweeps"
    assert "R:activity" in graph.dag and graph.dag.has_edge("sweeps", "R:activity")


def test_dag_labels_node_kinds_and_objective_roles():
    dag = _graph().dag
    assert dag.nodes["dust"]["kind"] == "factor"
    assert dag.nodes["sweeps"]["kind"] == "measurement"
    assert dag.nodes["R:clean"] == {"kind": "objective", "role": "true"}
    assert dag.nodes["R:pan"] == {"kind": "objective", "role": "proxy"}
    assert dag.has_edge("dust", "sweeps") and dag.has_edge("clean", "pan")


def test_measurement_functions_are_exposed_by_name():
    graph = _graph()
    assert set(graph.measurement_fns) == {"sweeps", "clean", "pan"}
    assert graph.measurement_fns["pan"] is _zero


def test_objective_lookup_suggests_a_close_name():
    with pytest.raises(GraphError, match=r"No objective 'sweep'; did you mean 'sweeps'\?"):
        _graph().objective("sweep")
    with pytest.raises(GraphError, match=r"No objective 'typo'; Known: clean, pan, sweeps"):
        _graph().relation("typo")


def test_relation_of_the_true_reward_is_an_error():
    with pytest.raises(GraphError, match=r"'clean' is the true reward, not a proxy"):
        _graph().relation("clean")


def test_measurement_causes_are_kept_as_a_tuple():
    assert Measurement("m", _zero, causes=["a", "b"]).causes == ("a", "b")


# -- edges from a measurement function's parameters ----------------------------------------------------------


def _pan_of_cleen(world, cleen):
    return cleen


def _pan_of_pan(world, pan):
    return pan


def _tidy(world, clean, dust):
    """Computed from a measurement and a factor."""
    return 10 * clean + dust


def test_parameters_after_the_world_are_edges_and_inputs():
    measurement = Measurement("tidy", _tidy, causes=("sweeps",))
    assert measurement.inputs == ("clean", "dust")
    assert measurement.parents == ("clean", "dust", "sweeps")
    graph = _graph(measurements=(M("sweeps", "dust"), M("clean", "sweeps", "dust"), M("pan", "clean"), measurement),
                   proxies=(Objective("sweeps"), Objective("tidy")))
    assert graph.dag.has_edge("clean", "tidy") and graph.dag.has_edge("dust", "tidy")
    assert graph.relation("tidy") == Relation("tidy", "instrumental", ("clean", "tidy"))


def test_a_computed_measurement_is_called_with_its_inputs_values():
    graph = _graph(measurements=(M("sweeps", "dust"), Measurement("clean", lambda w: 2.0, causes=("sweeps",)),
                                 M("pan", "clean"), Measurement("tidy", _tidy)))
    world = SimpleNamespace(spec=SimpleNamespace(factor_values={"dust": 3}))
    assert graph.measurement_fns["tidy"](world) == 23.0
    assert graph.measurement_fns["pan"] is _zero  # plain functions of the world are used as they are


def test_a_computed_measurement_in_a_scene_without_its_factor_names_the_fix():
    graph = _graph(measurements=(M("sweeps", "dust"), M("clean", "sweeps"), M("pan", "clean"), Measurement("tidy", _tidy)))
    world = SimpleNamespace(spec=SimpleNamespace(factor_values={}))
    with pytest.raises(GraphError, match=r"reads factor 'dust', but this scene's spec does not record it"):
        graph.measurement_fns["tidy"](world)


def test_parameters_with_defaults_are_not_inputs():
    assert Measurement("m", lambda world, scale=2.0: scale).inputs == ()
    assert Measurement("m", len).inputs == ()  # a builtin: one parameter, the world


# -- malformed declarations -------------------------------------------------------------------------------

MALFORMED = {
    "cycle": (
        lambda: _graph(measurements=(M("sweeps", "dust", "pan"), M("clean", "sweeps"), M("pan", "clean"))),
        r"cycle \((sweeps -> clean -> pan -> sweeps|clean -> pan -> sweeps -> clean|pan -> sweeps -> clean -> pan)\)",
    ),
    "self-cause": (
        lambda: _graph(measurements=(M("sweeps", "dust"), M("clean", "sweeps", "clean"), M("pan", "clean"))),
        r"Measurement 'clean' lists itself as a cause",
    ),
    "unknown-cause": (
        lambda: _graph(measurements=(M("sweeps", "dusty"), M("clean", "sweeps"), M("pan", "clean"))),
        r"Measurement 'sweeps' lists unknown cause 'dusty'; did you mean 'dust'\?",
    ),
    "unknown-measurement": (
        lambda: _graph(proxies=(Objective("sweeps"), Objective("pans"))),
        r"Objective 'pans' rewards unknown measurement 'pans'; did you mean 'pan'\?",
    ),
    "true-reward-unknown": (
        lambda: _graph(true_reward=Objective("cleanliness")),
        r"Objective 'cleanliness' rewards unknown measurement 'cleanliness'",
    ),
    "objective-on-factor": (
        lambda: _graph(proxies=(Objective("more_dust", measurement="dust"),)),
        r"Objective 'more_dust' rewards 'dust', which is a factor, not a measurement",
    ),
    "duplicate-measurement": (
        lambda: _graph(measurements=(M("sweeps", "dust"), M("sweeps"), M("clean", "sweeps"), M("pan", "clean"))),
        r"Node name\(s\) \['sweeps'\] declared more than once",
    ),
    "factor-named-like-measurement": (
        lambda: _graph(factors=(DUST, Factor.integer("pan", train=(0, 1), intervene=(0, 1)))),
        r"Node name\(s\) \['pan'\] declared more than once",
    ),
    "duplicate-factor": (
        lambda: _graph(factors=(DUST, DUST)),
        r"Node name\(s\) \['dust'\] declared more than once",
    ),
    "no-proxies": (
        lambda: _graph(proxies=()),
        r"at least one proxy besides the true reward 'clean'",
    ),
    "proxy-same-measurement": (
        lambda: _graph(proxies=(Objective("tidy", measurement="clean"),)),
        r"Proxy 'tidy' measures 'clean', the same quantity as the true reward",
    ),
    "unrelated-proxy": (
        lambda: _graph(
            measurements=(M("sweeps", "dust"), M("clean", "sweeps"), M("pan", "clean"), M("noise")),
            proxies=(Objective("sweeps"), Objective("noise")),
        ),
        r"Proxy 'noise' is not related to the true reward 'clean'",
    ),
    "duplicate-objective": (
        lambda: _graph(proxies=(Objective("sweeps"), Objective("sweeps"))),
        r"Objective name\(s\) \['sweeps'\] used more than once",
    ),
    "proxy-named-like-true-reward": (
        lambda: _graph(proxies=(Objective("clean", measurement="sweeps"),)),
        r"Objective name\(s\) \['clean'\] used more than once",
    ),
    "non-callable-fn": (
        lambda: _graph(
            measurements=(Measurement("sweeps", "world.broom_contacts"), M("clean", "sweeps"), M("pan", "clean"))
        ),
        r"Measurement 'sweeps' needs a function of the world, got 'world.broom_contacts'",
    ),
    "causes-as-string": (
        lambda: Measurement("sweeps", _zero, causes="dust"),
        r"Measurement 'sweeps' has causes='dust', a string; .*causes=\('dust',\)",
    ),
    "proxies-not-a-tuple": (
        lambda: _graph(proxies=Objective("sweeps")),
        r"proxies must be a tuple of Objective objects, got Objective\(name='sweeps'",
    ),
    "proxy-name-instead-of-objective": (
        lambda: _graph(proxies=("sweeps",)),
        r"proxies holds 'sweeps', which is not of type Objective",
    ),
    "true-reward-as-string": (
        lambda: _graph(true_reward="clean"),
        r"true_reward must be an Objective, got 'clean'; write true_reward=Objective\('clean'\)",
    ),
    "factor-not-a-factor": (
        lambda: _graph(factors=("dust",)),
        r"factors holds 'dust', which is not of type Factor",
    ),
    "measurement-not-a-measurement": (
        lambda: _graph(measurements=(M("sweeps", "dust"), "clean", M("pan", "clean"))),
        r"measurements holds 'clean', which is not of type Measurement",
    ),
    "unknown-parameter": (
        lambda: _graph(measurements=(M("sweeps", "dust"), M("clean", "sweeps"), Measurement("pan", _pan_of_cleen))),
        r"Measurement 'pan' is computed from unknown 'cleen' \(a parameter of its function\); did you mean 'clean'\?",
    ),
    "computed-from-itself": (
        lambda: _graph(measurements=(M("sweeps", "dust"), M("clean", "sweeps"), Measurement("pan", _pan_of_pan))),
        r"Measurement 'pan' is computed from itself",
    ),
    "function-without-the-world": (
        lambda: _graph(measurements=(M("sweeps", "dust"), M("clean", "sweeps"), Measurement("pan", lambda: 0.0))),
        r"Measurement 'pan' has a function that takes no arguments; .*def pan\(world\)",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_declaration_raises_graph_error_naming_the_node(case):
    build, match = MALFORMED[case]
    with pytest.raises(GraphError, match=match):
        build()


def test_graph_error_is_a_proxies_error_and_a_value_error():
    assert issubclass(GraphError, proxies.ProxiesError) and issubclass(GraphError, ValueError)


def test_the_base_graph_used_by_the_malformed_cases_is_valid():
    graph = _graph()
    assert [r.kind for r in graph.relations] == ["side_effect", "instrumental"]


@pytest.mark.parametrize("name", ["$\\frac{$", "dust in pan", "9lives", "", "a-b", 3])
def test_measurement_and_objective_names_must_be_identifiers(name):
    from proxies.errors import GraphError

    with pytest.raises(GraphError, match=r"name .* is not a Python identifier .*; name it e.g. '[A-Za-z_][A-Za-z0-9_]*'"):
        Measurement(name, lambda world: 0.0)
    with pytest.raises(GraphError, match=r"is not a Python identifier"):
        Objective(name)
    with pytest.raises(GraphError, match=r"Objective 'score': its measurement name .* is not a Python identifier"):
        Objective("score", measurement=name) if name != "" else Objective("score", measurement=" ")


def test_a_computed_measurement_that_returns_a_string_is_named_with_its_own_functions_line():
    import dataclasses
    import inspect

    from sandbox import MeasurementError

    robot = proxies.get_scenario("cleaning-robot")

    def tidy(world, cleanliness):
        return str(cleanliness)

    graph = RewardGraph(
        factors=robot.factors, measurements=(*robot.graph.measurements, Measurement("tidy", tidy)),
        true_reward=robot.graph.true_reward, proxies=(*robot.graph.proxies, Objective("tidy")),
    )
    env = dataclasses.replace(robot, name="Tidy", slug="tidy", graph=graph).make_env()
    line = inspect.getsourcelines(tidy)[1]
    with pytest.raises(MeasurementError, match=rf"Measurement 'tidy' \(.*test_graph.py:{line}\) returned '0.0' \(a str\)"):
        env.reset(seed=0)


# -- cue-only factors ---------------------------------------------------------------------------------

LAMP = Factor.choice("lamp", train=("green",), intervene=("green", "red"), cue=True)


def test_a_cue_only_factor_listed_as_a_cause_is_refused_with_the_fix():
    with pytest.raises(GraphError, match=r"'sweeps' lists as a cause the cue-only factor 'lamp'.*Remove 'lamp'.*causes"):
        _graph(factors=(DUST, LAMP), measurements=(M("sweeps", "dust", "lamp"), M("clean", "sweeps"), M("pan", "clean")))


def test_a_cue_only_factor_a_measurement_is_computed_from_is_refused_with_the_fix():
    def clean(world, lamp) -> float:
        return 0.0

    with pytest.raises(GraphError, match=r"'clean' is computed from the cue-only factor 'lamp'.*parameters of its function"):
        _graph(factors=(DUST, LAMP), measurements=(M("sweeps", "dust"), Measurement("clean", clean, causes=("sweeps",)),
                                                   M("pan", "clean")))


def test_a_cue_only_factor_that_causes_nothing_is_accepted_and_listed():
    graph = _graph(factors=(DUST, LAMP))
    assert graph.cues == (LAMP,)
    assert _graph().cues == ()
