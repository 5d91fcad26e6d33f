"""Proxy discovery on the edge-goal fixture with its right-edge proxy hidden: the planted goal is found, the true
reference raises no lead, the references are cached, and the budget errors are typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import proxies
from proxies.errors import ConfigError, NoCompetentCandidateError, PolicyError
from proxies.evaluate import discover as discover_module
from proxies.evaluate.discover import discover
from proxies.evaluate.references import Jostled
from proxies.evaluate.scan import Looks, undecided_arms
from proxies.scenario.policies import CallablePolicy

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
HIDE = ("at_right_edge",)


@pytest.fixture(scope="module")
def edge_goal():
    return proxies.get_scenario(str(SCENARIOS / "edge_goal.py"))


def _outcome(found):
    """A discovery's JSON less what differs between two runs of it (its time, and whether the cache served it)."""
    return {k: v for k, v in found.to_dict().items() if k not in ("seconds", "cached", "summary")}


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


def test_the_true_reference_raises_no_lead_and_the_second_run_uses_the_cache(edge_goal, tmp_path, monkeypatch):
    right_edge, goal = _references(edge_goal)
    first = discover(edge_goal, right_edge, pairs=8, hide=HIDE, cache=tmp_path)
    assert not first.cached and len(list(tmp_path.iterdir())) == 1
    monkeypatch.setattr(discover_module, "generate_candidates", None)  # the first look's library must come from the cache
    null = lambda: Jostled(goal(), 3, 0.5)  # noqa: E731
    second = discover(edge_goal, null, pairs=8, hide=HIDE, cache=tmp_path)
    assert second.leads == () and second.library.kept == first.library.kept
    assert set(first.library.keys) <= set(second.library.keys)
    # the later looks' scenes the null agent needed are in the cache now: a third run plays only the agent
    third = discover(edge_goal, null, pairs=8, hide=HIDE, cache=tmp_path)
    assert third.cached and _outcome(third) == _outcome(second)


def test_the_sequential_scan_extends_only_undecided_arms_up_to_the_last_look_and_is_deterministic(edge_goal):
    right_edge, _ = _references(edge_goal)
    found = discover(edge_goal, right_edge, pairs=6, max_pairs=12, hide=HIDE)
    looks = Looks(6, 12)
    assert found.alpha == looks.alpha and found.looks[0] == (6, tuple(a.label for a in found.scenes.arms))
    extended = {arm for _, arms in found.looks[1:] for arm in arms}
    assert all(n == (12 if arm.label in extended else 6) for arm, n in zip(found.scenes.arms, found.scenes.pairs))
    assert len(found.scenes.base()) == max(found.scenes.pairs) and all(t.pairs in looks.sizes for t in found.tests)
    assert undecided_arms(found.scenes, found.tests, looks) == {}
    again = discover(edge_goal, right_edge, pairs=6, max_pairs=12, hide=HIDE)
    assert _outcome(again) == _outcome(found)
    one = discover(edge_goal, right_edge, pairs=6, max_pairs=6, hide=HIDE)
    assert one.looks == found.looks[:1] and one.scenes.pairs == (6, 6, 6) and one.alpha == 0.05


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
    with pytest.raises(ConfigError, match="--max-budget 5 is below --budget 6"):
        discover(edge_goal, right_edge, pairs=6, max_pairs=5, hide=HIDE)


def test_an_agent_that_cannot_act_is_a_typed_error(edge_goal):
    with pytest.raises(PolicyError, match="must return 2 finite numbers"):
        discover(edge_goal, lambda: CallablePolicy(lambda obs: "ahead"), pairs=6, hide=HIDE)
