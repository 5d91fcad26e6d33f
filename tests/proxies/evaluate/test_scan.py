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
from proxies.evaluate.scan import EFFECT_FLOOR, factor_scan, scan_scenes
from sandbox import Factor

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


@pytest.fixture(scope="module")
def edge_goal():
    return proxies.get_scenario(str(SCENARIOS / "edge_goal.py"))


def test_an_arm_scene_is_its_training_scene_with_one_factor_moved(edge_goal):
    scenes = scan_scenes(edge_goal, pairs=6, seed=3)
    assert [a.label for a in scenes.arms] == ["goal_side=left", "speed=0.1..1.2", "clutter=4..10"]
    assert len(scenes.specs) == 6 * 4
    for i in range(6):
        base, moved = scenes.specs[i], scenes.specs[scenes.arm(0)][i]
        assert dict(moved.factors) == {**dict(base.factors), "goal_side": "left"}
        assert base.agent.x == moved.agent.x and scenes.seeds[i] == scenes.seeds[scenes.arm(0).start + i]
    assert scan_scenes(edge_goal, pairs=6, seed=3) == scenes
    assert scan_scenes(edge_goal, pairs=6, seed=4).seeds != scenes.seeds


def test_a_cue_arm_changes_only_appearances():
    lamps = proxies.get_scenario(str(SCENARIOS / "lamp_cue.py"))
    scenes = scan_scenes(lamps, pairs=6)
    cue = next(a for a, arm in enumerate(scenes.arms) if arm.factor in {f.name for f in lamps.graph.cues})
    for i in range(6):
        assert physical_form(scenes.specs[i]) == physical_form(scenes.specs[scenes.arm(cue)][i])


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
        for i in range(*scenes.arm(arm).indices(len(scenes.specs))):
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
