"""The factor sensitivity scan: paired scenes per arm, and leads only where agent and true reference part."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import proxies
from proxies import RewardGraph
from proxies.errors import ConfigError, NothingToScanError
from proxies.evaluate.cue import physical_form
from proxies.evaluate.scan import (
    ALPHA,
    EFFECT_FLOOR,
    TRAINING,
    Looks,
    extend_scenes,
    factor_scan,
    scan_scenes,
    undecided_arms,
)
from sandbox import Factor

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


@pytest.fixture(scope="module")
def edge_goal():
    return proxies.get_scenario(str(SCENARIOS / "edge_goal.py"))


def test_an_arm_scene_is_its_training_scene_with_one_factor_moved(edge_goal):
    scenes = scan_scenes(edge_goal, pairs=6, seed=3)
    assert [a.label for a in scenes.arms] == ["goal_side=left", "speed=0.1..1.2", "clutter=4..10"]
    assert len(scenes.specs) == 6 * 4
    for i, j in zip(scenes.base(), scenes.arm(0)):
        base, moved = scenes.specs[i], scenes.specs[j]
        assert dict(moved.factors) == {**dict(base.factors), "goal_side": "left"}
        assert base.agent.x == moved.agent.x and scenes.seeds[i] == scenes.seeds[j]
    assert scan_scenes(edge_goal, pairs=6, seed=3) == scenes
    assert scan_scenes(edge_goal, pairs=6, seed=4).seeds != scenes.seeds


def test_a_cue_arm_changes_only_appearances():
    lamps = proxies.get_scenario(str(SCENARIOS / "lamp_cue.py"))
    scenes = scan_scenes(lamps, pairs=6)
    cue = next(a for a, arm in enumerate(scenes.arms) if arm.factor in {f.name for f in lamps.graph.cues})
    for i, j in zip(scenes.base(), scenes.arm(cue)):
        assert physical_form(scenes.specs[i]) == physical_form(scenes.specs[j])


def test_too_few_pairs_and_a_scenario_with_nothing_outside_training_are_typed_errors(edge_goal):
    with pytest.raises(ConfigError, match="at least 6 scene pairs"):
        scan_scenes(edge_goal, pairs=5)
    narrow = RewardGraph(
        factors=(Factor.choice("goal_side", train=("right",), intervene=("right",)),
                 Factor.real("speed", train=(1.2, 1.5), intervene=(1.2, 1.5)),
                 Factor.integer("clutter", train=(0, 3), intervene=(0, 3))),
        measurements=edge_goal.graph.measurements, true_reward=edge_goal.graph.true_reward,
        proxies=edge_goal.graph.proxies,
    )
    with pytest.raises(NothingToScanError, match="widen a factor's intervention domain"):
        scan_scenes(dataclasses.replace(edge_goal, graph=narrow), pairs=6)


def _behaviours(scenes, rng, shift=None):
    """Noisy behaviours; ``shift`` = (arm, feature, amount) moves one feature in one arm's scenes."""
    out = [{"x": float(rng.normal(4.0, 1.0)), "contacts/agent|clutter": float(rng.integers(0, 3))} for _ in scenes.specs]
    if shift is not None:
        arm, feature, amount = shift
        for i in scenes.arm(arm):
            out[i][feature] += amount
    return out


def test_a_factor_the_agent_alone_reacts_to_is_the_lead(edge_goal):
    scenes = scan_scenes(edge_goal, pairs=20)
    rng = np.random.default_rng(0)
    agent = _behaviours(scenes, rng, shift=(0, "x", 3.0))
    leads, tests = factor_scan(scenes, agent, _behaviours(scenes, rng))
    assert [lead.factor for lead in leads] == ["goal_side"]
    top = leads[0].strongest
    assert top.feature == "x" and top.effect >= EFFECT_FLOOR and top.p_adjusted <= 0.05
    assert top.interval["lo"] > 0 and top.parting and all(scenes.describe(i)["arm"] == "goal_side=left" for i in top.parting)
    assert all(t.interval is None for t in tests if not t.lead)


def test_a_shift_both_share_is_no_lead_nor_is_noise(edge_goal):
    scenes = scan_scenes(edge_goal, pairs=20)
    rng = np.random.default_rng(1)
    shared = (1, "x", 3.0)
    leads, _ = factor_scan(scenes, _behaviours(scenes, rng, shared), _behaviours(scenes, rng, shared))
    assert leads == ()
    same = _behaviours(scenes, rng)
    leads, tests = factor_scan(scenes, same, same)
    assert leads == () and all(np.isnan(t.p_value) for t in tests)


def test_the_looks_double_up_to_the_last_and_split_the_level():
    assert Looks(20, 80).sizes == (20, 40, 80) and Looks(20, 80).alpha == pytest.approx(ALPHA / 3)
    assert Looks(6, 50).sizes == (6, 12, 24, 48, 50)
    assert Looks(20, 20).sizes == (20,) and Looks(20, 20).alpha == ALPHA


@pytest.mark.parametrize(("budget", "max_budget", "message"), [
    (5, 20, "at least 6 scene pairs"), (20, 19, "give --max-budget 20"), (20, 40.0, "whole number"),
    (True, 20, "whole number"),
])
def test_a_bad_schedule_is_a_typed_error(budget, max_budget, message):
    with pytest.raises(ConfigError, match=message):
        Looks(budget, max_budget)


def test_extended_arms_get_new_pairs_of_their_training_scenes_and_nothing_else_moves(edge_goal):
    scenes = scan_scenes(edge_goal, pairs=6, seed=3)
    grown = extend_scenes(edge_goal, scenes, {1: 12})
    assert grown.pairs == (6, 12, 6) and len(grown.base()) == 12
    assert grown.specs[:len(scenes.specs)] == scenes.specs and grown.keys[:len(scenes.keys)] == scenes.keys
    for i, j in zip(grown.base(), grown.arm(1)):
        moved = dict(grown.specs[j].factors)
        assert moved == {**dict(grown.specs[i].factors), "speed": moved["speed"]} and 0.1 <= moved["speed"] <= 1.2
        assert grown.seeds[i] == grown.seeds[j] and grown.keys[i][1] == grown.keys[j][1]
    # the training scenes of later pairs are those a larger first look draws; a scene is fixed by its arm and pair
    wide = scan_scenes(edge_goal, pairs=12, seed=3)
    assert [grown.specs[i] for i in grown.base()] == [wide.specs[i] for i in wide.base()]
    both = extend_scenes(edge_goal, scenes, {0: 12, 1: 12})
    assert [both.specs[i] for i in both.arm(1)] == [grown.specs[i] for i in grown.arm(1)]
    assert extend_scenes(edge_goal, scenes, {1: 12}) == grown and extend_scenes(edge_goal, scenes, {}) == scenes


def test_only_an_undecided_arm_gets_the_next_look_and_none_past_the_last(edge_goal):
    scenes = scan_scenes(edge_goal, pairs=6)
    same = [{"x": float(i % 5), "contacts/agent|clutter": 1.0} for i in range(len(scenes.specs))]
    agent = [dict(b) for b in same]
    for i in scenes.arm(1):
        agent[i]["x"] += 3.0  # a large effect that 6 pairs cannot make significant at 0.05 / 3
    looks = Looks(6, 24)
    leads, tests = factor_scan(scenes, agent, same, alpha=looks.alpha)
    (moved,) = [t for t in tests if t.arm == scenes.arms[1].label and t.feature == "x"]
    assert leads == () and moved.effect >= EFFECT_FLOOR and moved.p_value <= 0.2 and moved.pairs == 6
    assert undecided_arms(scenes, tests, looks) == {1: 12}
    assert undecided_arms(scenes, tests, Looks(6, 6)) == {}
    # once the arm is a lead, it is decided
    grown = extend_scenes(edge_goal, scenes, {1: 24})
    agent = [dict(b) for b in [*same, *({"x": float(i % 5), "contacts/agent|clutter": 1.0} for i in range(36))]]
    reference = [dict(b) for b in agent]
    for i in grown.arm(1):
        agent[i]["x"] += 3.0
    leads, tests = factor_scan(grown, agent, reference, alpha=looks.alpha)
    assert [lead.factor for lead in leads] == ["speed"] and undecided_arms(grown, tests, looks) == {}
    assert all(grown.keys[i][0] in (TRAINING, 1) for i in range(len(scenes.specs), len(grown.specs)))
