"""The `graph` command and `check --verify-graph`: JSON, pictures, and typed errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import proxies
from proxies.cli import app

runner = CliRunner()
SCENARIOS = Path(__file__).parents[1] / "fixtures" / "scenarios"
EDGE_GOAL = str(SCENARIOS / "edge_goal.py")
MISWIRED = str(SCENARIOS / "edge_goal_miswired.py")


def invoke(*args: str):
    return runner.invoke(app, list(args))


def _json(result) -> dict:
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_graph_json_has_exactly_the_documented_keys():
    data = _json(invoke("graph", "cleaning-robot", "--json"))
    assert list(data) == ["scenario", "true_reward", "nodes", "edges", "proxies"]
    assert data["scenario"] == "cleaning-robot" and data["true_reward"] == "cleanliness"
    assert all(set(n) == {"name", "kind"} for n in data["nodes"])
    assert all(set(e) == {"source", "target"} for e in data["edges"])
    assert all(set(p) == {"name", "relation", "path"} for p in data["proxies"])


def test_graph_json_mirrors_the_scenario_graph():
    graph = proxies.get_scenario("cleaning-robot").graph
    data = _json(invoke("graph", "cleaning-robot", "--json"))
    kinds = {n["name"]: n["kind"] for n in data["nodes"]}
    assert {f.name for f in graph.factors} == {n for n, k in kinds.items() if k == "factor"}
    assert {m.name for m in graph.measurements} == {n for n, k in kinds.items() if k == "measurement"}
    assert {(e["source"], e["target"]) for e in data["edges"]} == set(graph.dag.edges)


def test_graph_json_derives_side_effect_and_instrumental_for_the_cleaning_robot():
    relations = {p["name"]: p for p in _json(invoke("graph", "cleaning-robot", "--json"))["proxies"]}
    sweeps, pan = relations["sweeps"], relations["dust_in_pan"]
    assert sweeps["relation"] == "side_effect"
    assert sweeps["path"][0] == "sweeps" and sweeps["path"][-1] == "cleanliness"
    assert pan["relation"] == "instrumental"
    assert pan["path"][0] == "cleanliness" and pan["path"][-1] == "dust_in_pan"


def test_graph_json_derives_common_cause_for_the_goal_at_the_edge():
    data = _json(invoke("graph", EDGE_GOAL, "--json"))
    assert data["scenario"] == "edge-goal" and data["true_reward"] == "at_goal"
    assert data["proxies"] == [
        {"name": "at_right_edge", "relation": "common_cause", "path": ["at_right_edge", "goal_side", "at_goal"]}
    ]


def test_graph_png_is_written(tmp_path):
    out = tmp_path / "graph.png"
    result = invoke("graph", "cleaning-robot", "--png", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_graph_without_options_prints_the_relations():
    result = invoke("graph", EDGE_GOAL)
    assert result.exit_code == 0, result.output
    assert "common cause" in result.output and "at_right_edge" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("graph", "cleaning-robt", "--json"), "did you mean 'cleaning-robot'"),
        (("graph", "no/such/scenario.py"), "is not a Python file"),
        (("graph", "cleaning-robot", "--png", "{tmp}/missing/graph.png"), "does not exist; create it"),
        (("graph", "cleaning-robot", "--png", "{tmp}/graph.svg"), "is not a .png file name"),
        (("graph", "cleaning-robot", "--png", "{tmp}"), "is not a .png file name"),
        (("check", EDGE_GOAL, "--verify-graph", "--episodes", "2"), "--episodes must be a whole number"),
        (("check", "no-such-scenario", "--verify-graph"), "No scenario called 'no-such-scenario'"),
    ],
)
def test_bad_input_gets_a_typed_error_without_traceback(tmp_path, args, message):
    result = invoke(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "missing").exists()


def test_verify_graph_passes_a_correct_graph():
    result = invoke("check", EDGE_GOAL, "--verify-graph", "--episodes", "12")
    assert result.exit_code == 0, result.output
    assert "consistent with the simulator" in " ".join(result.output.split())


def test_verify_graph_flags_the_planted_edges_and_fails():
    result = invoke("check", MISWIRED, "--verify-graph", "--episodes", "12", "--json")
    assert result.exit_code == 1
    graph = _json(result)["graph"]
    assert graph["undeclared"] == ["speed -> at_right_edge"]
    assert graph["not_detected"] == ["clutter -> at_goal"]
    assert graph["seconds"] > 0


def test_check_and_verify_graph_pass_a_push_task_with_automatic_references_only():
    result = invoke("check", str(SCENARIOS / "sorting.py"), "--verify-graph", "--episodes", "8", "--json")
    assert result.exit_code == 0, result.output
    data = _json(result)
    references = {c["name"]: c for c in data["checks"] if c["name"].startswith("reference ")}
    assert set(references) == {"reference sorted (automatic)", "reference bin_weight (automatic)"}
    assert all(c["passed"] and c["detail"].startswith("automatic (") for c in references.values())
    assert data["graph"]["references"] == data["graph"]["automatic"] == ["sorted", "bin_weight"]
    assert "grey -> bin_weight" not in data["graph"]["undeclared"] + data["graph"]["not_detected"]
