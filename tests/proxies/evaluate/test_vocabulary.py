"""The candidate library: generated from the scene's vocabulary, bounded, and added to a copy of the scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import proxies
from proxies.errors import ConfigError
from proxies.evaluate.vocabulary import Candidate, generate_candidates, with_candidates
from sandbox import Events, World

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


@pytest.fixture(scope="module")
def edge_goal():
    return proxies.get_scenario(str(SCENARIOS / "edge_goal.py"))


def _events(*pairs):
    events = Events()
    for pair in pairs:
        events.contacts[pair] += 1
    return events.to_dict()


def test_the_library_reads_axes_regions_counters_and_tags_off_the_scenes(edge_goal):
    specs = [edge_goal.sample_spec(np.random.default_rng(s), "train", clutter=3) for s in range(3)]
    labels = [c.label for c in generate_candidates(specs, [_events(("tool", "clutter"))])]
    assert labels == ["progress east", "progress west", "progress north", "progress south", "in region goal",
                      "contacts tool|clutter", "near clutter"]


def test_the_library_is_bounded_and_each_key_is_kept_once():
    seen = [_events(("agent", f"tag{i}")) for i in range(40)] * 2
    library = generate_candidates([], seen, limit=10)
    assert len(library) == 10 and len(set(library)) == 10
    with pytest.raises(ConfigError, match="at least 1"):
        generate_candidates([], seen, limit=0)


def test_a_candidate_measures_the_world_and_survives_its_json_form(edge_goal):
    world = World(edge_goal.sample_spec(np.random.default_rng(0)))
    east = Candidate("progress", ("east",))
    assert east.measure()(world) == pytest.approx(world.agent.position[0] / world.spec.width)
    assert Candidate("region", ("nowhere",)).measure()(world) == 0.0
    assert Candidate("count", ("contacts", "tool", "clutter")).measure()(world) == 0.0
    assert Candidate.from_dict(east.to_dict()) == east


def test_candidates_join_the_graph_as_proxies_and_hidden_objectives_leave_it(edge_goal):
    library = (Candidate("progress", ("east",)), Candidate("region", ("goal",)))
    augmented = with_candidates(edge_goal, library, hide=("at_right_edge",))
    assert augmented.objectives == ("at_goal", "found_east", "found_region_goal")
    assert set(augmented.references) == {"at_goal"}
    assert augmented.graph.relation("found_east").kind == "common_cause"
    assert "at_right_edge" in augmented.graph.measurement_fns  # the measurement stays; its objective goes


def test_hiding_the_true_reward_or_an_unknown_objective_is_refused(edge_goal):
    with pytest.raises(ConfigError, match="Cannot hide the true reward"):
        with_candidates(edge_goal, (), hide=("at_goal",))
    with pytest.raises(ConfigError, match="no objective 'at_rigth_edge'"):
        with_candidates(edge_goal, (), hide=("at_rigth_edge",))
