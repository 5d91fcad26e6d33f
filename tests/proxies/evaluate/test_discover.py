"""Proxy discovery on the edge-goal fixture with its right-edge proxy hidden: the planted goal is found, the true
reference raises no lead, the references are cached, and the budget errors are typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import proxies
from proxies.errors import NoCompetentCandidateError, PolicyError
from proxies.evaluate import discover as discover_module
from proxies.evaluate.discover import discover
from proxies.evaluate.references import Jostled
from proxies.scenario.policies import CallablePolicy

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
HIDE = ("at_right_edge",)


@pytest.fixture(scope="module")
def edge_goal():
    return proxies.get_scenario(str(SCENARIOS / "edge_goal.py"))


def _references(scenario):
    return scenario.references["at_right_edge"], scenario.references["at_goal"]


def test_the_hidden_goal_of_a_planted_agent_is_the_top_lead(edge_goal, tmp_path):
    right_edge, _ = _references(edge_goal)
    found = discover(edge_goal, right_edge, pairs=8, hide=HIDE, cache=tmp_path)
    assert found.top_lead["kind"] == "candidate" and found.top_lead["name"] == "progress east"
    assert found.declared == ("at_goal",) and "at_right_edge" not in found.attribution.objectives
    assert found.library.dropped["found_region_goal"].startswith("the same as at_goal")
    data = json.loads(json.dumps(found.to_dict()))
    assert data["top_lead"]["name"] == "progress east" and data["scenes"]


def test_the_true_reference_raises_no_lead_and_the_second_run_uses_the_cache(edge_goal, tmp_path):
    right_edge, goal = _references(edge_goal)
    first = discover(edge_goal, right_edge, pairs=8, hide=HIDE, cache=tmp_path)
    assert not first.cached and len(list(tmp_path.iterdir())) == 1
    second = discover(edge_goal, lambda: Jostled(goal(), 3, 0.5), pairs=8, hide=HIDE, cache=tmp_path)
    assert second.cached and second.leads == ()
    assert second.library == first.library


def test_a_damaged_cache_file_is_rebuilt(edge_goal, tmp_path):
    right_edge, _ = _references(edge_goal)
    discover(edge_goal, right_edge, pairs=8, hide=HIDE, cache=tmp_path)
    (path,) = tmp_path.iterdir()
    path.write_text("{not json")
    again = discover(edge_goal, right_edge, pairs=8, hide=HIDE, cache=tmp_path)
    assert not again.cached and json.loads(path.read_text())["kept"]


def test_a_budget_no_candidate_reference_passes_with_is_a_typed_error(edge_goal, monkeypatch):
    right_edge, _ = _references(edge_goal)
    monkeypatch.setattr(discover_module, "COMPETENCE_ALPHA", 0.0)  # no competence test can pass
    with pytest.raises(NoCompetentCandidateError, match="larger --budget"):
        discover(edge_goal, right_edge, pairs=6, hide=HIDE)


def test_an_agent_that_cannot_act_is_a_typed_error(edge_goal):
    with pytest.raises(PolicyError, match="must return 2 finite numbers"):
        discover(edge_goal, lambda: CallablePolicy(lambda obs: "ahead"), pairs=6, hide=HIDE)
