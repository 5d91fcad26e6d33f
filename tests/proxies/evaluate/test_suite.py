"""The counterfactual suite end to end: `proxy-sandbox suite` on the cleaning robot (scripted
references) and on a scenario with no scripted references (automatic ones), scenes rebuilt
from their JSON alone, and bad input refused with typed errors."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
from suite_helpers import LAMPS, isolated_registry
from typer.testing import CliRunner

from proxies import get_scenario
from proxies.cli import app
from proxies.evaluate.compiler import make_candidate
from proxies.evaluate.gate import episode_seeds
from proxies.evaluate.references import Jostled, reference_behaviours
from proxies.evaluate.suite import Scene, Suite
from proxies.scenario.rollout import episode_returns

runner = CliRunner()
SCENE_KEYS = {"id", "seed", "interventions", "separates", "margin", "p_value"}


def suite_cli(*args: str):
    result = runner.invoke(app, ["suite", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result


@pytest.fixture(scope="module")
def robot_suite(tmp_path_factory):
    """`proxy-sandbox suite cleaning-robot --json`, saved and rendered."""
    out = tmp_path_factory.mktemp("robot")
    printed, result = suite_cli("cleaning-robot", "--json", "--out", str(out), "--png-dir", str(out / "png"))
    return printed, result, out


@pytest.mark.slow
def test_cleaning_robot_suite_covers_both_proxies_with_the_default_number_of_diagnostic_scenes_each(robot_suite):
    from proxies.evaluate.suite import DEFAULT_PER_PROXY

    printed, result, _ = robot_suite
    assert printed["scenario"] == "cleaning-robot" and printed["per_proxy"] == DEFAULT_PER_PROXY
    assert min(printed["coverage"]["sweeps"], printed["coverage"]["dust_in_pan"]) >= DEFAULT_PER_PROXY
    alpha, min_effect = printed["gate"]["alpha"], printed["gate"]["min_effect"]
    for scene in printed["scenes"]:
        assert SCENE_KEYS <= set(scene)
        assert scene["separates"] and scene["p_value"] < alpha and scene["margin"] >= min_effect
        for proxy in scene["separates"]:
            assert scene["gate"][proxy]["admitted"]
    assert {c["source"] for c in printed["competence"].values()} == {"scripted"}
    assert printed["seconds"] > 0
    assert "built and gated" in result.stderr


@pytest.mark.slow
def test_each_scene_rebuilds_from_its_json_and_replays_bit_identically(robot_suite):
    printed, _, out = robot_suite
    scenario = get_scenario("cleaning-robot")
    saved = Suite.load(out / "suite.json")
    assert [s.id for s in saved.scenes] == [s["id"] for s in printed["scenes"]]
    references = reference_behaviours(scenario)
    make, jostle = references[scenario.true_reward].make, (saved.gate["jostle_steps"], saved.gate["jostle"])

    def jostled():
        return Jostled(make(), *jostle)

    for entry, scene in zip(printed["scenes"], saved.scenes):
        # the printed JSON alone (seed + interventions) rebuilds the very spec that was gated
        rebuilt = make_candidate(scenario, entry["interventions"], entry["seed"]).spec
        assert rebuilt == scene.spec
        again = Scene.from_dict(json.loads(json.dumps(scene.to_dict())))
        assert again == scene
        seeds = episode_seeds(scene.seed, 2)
        for objective, ref in references.items():
            played = episode_returns(scenario, [rebuilt], ref.make, seeds[:1])[0]
            assert played.tolist() == scene.reference_episodes[objective][0]  # bit-identical
        played = episode_returns(scenario, [rebuilt], jostled, seeds[1:])[0]  # a jostled episode too
        assert played.tolist() == scene.reference_episodes[scenario.true_reward][1]


@pytest.mark.slow
def test_the_suite_renders_every_scene(robot_suite):
    printed, _, out = robot_suite
    for scene in printed["scenes"]:
        assert (out / "png" / f"scene-{scene['id']}.png").stat().st_size > 0


def test_a_scenario_without_scripted_references_gets_a_covering_suite_from_automatic_ones(tmp_path):
    with isolated_registry():
        printed, _ = suite_cli(
            str(LAMPS), "--json", "--per-proxy", "3", "--per-factor", "3", "--episodes", "4", "--out", str(tmp_path)
        )
    assert printed["coverage"] == {"east": 3, "light": 3}
    for objective in ("at_goal", "east", "light"):
        competence = printed["competence"][objective]
        assert competence["source"] == "planner"
        assert competence["mean"] > competence["random"] and competence["p_value"] < printed["gate"]["alpha"]
    by_factor = {p: {f for s in printed["scenes"] if p in s["separates"] for f in s["interventions"]} for p in ("east", "light")}
    assert by_factor == {"east": {"goal_side"}, "light": {"decoy"}}  # the inert rug never separates anything
    saved = Suite.load(tmp_path / "suite.json")
    assert saved.coverage == printed["coverage"]
    for scene in saved.scenes:  # what the attribution reads
        assert set(scene.reference_returns) == {"at_goal", "east", "light"}
        assert np.isfinite(list(scene.reference_returns["light"].values())).all()


UNSEPARABLE = '''
"""The lamps corridor, but nothing but the goal lights the meter."""

import dataclasses
import importlib.util

spec = importlib.util.spec_from_file_location("_lamps_base", {path!r})
lamps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lamps)

from proxies import Objective, RewardGraph

GRAPH = RewardGraph(
    factors=lamps.FACTORS,
    measurements=tuple(
        dataclasses.replace(m, causes=("at_goal",)) if m.name == "light" else m for m in lamps.GRAPH.measurements
    ),
    true_reward=Objective("at_goal"),
    proxies=(Objective("east"), Objective("light")),
)
SCENARIO = dataclasses.replace(lamps.SCENARIO, name="UnseparableLamps", slug="unseparable-lamps", graph=GRAPH)
del lamps
'''


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cleaning-robt",), "did you mean 'cleaning-robot'"),
        (("cleaning-robot", "--episodes", "1"), "at least 2 episodes"),
        (("cleaning-robot", "--per-proxy", "0"), "--per-proxy and --per-factor must be at least 1"),
    ],
)
def test_bad_suite_options_get_a_typed_error_without_traceback(args, message):
    result = runner.invoke(app, ["suite", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_a_proxy_no_declared_factor_can_separate_is_refused_naming_it_and_the_fix(tmp_path):
    path = tmp_path / "unseparable.py"
    path.write_text(textwrap.dedent(UNSEPARABLE.format(path=str(LAMPS))))
    with isolated_registry():
        result = runner.invoke(app, ["suite", str(path), "--json"])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "proxy 'light'" in text and "Add a Factor" in text
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_the_suite_prefers_single_factor_scenes_and_keeps_every_rejected_candidate_with_its_reason(robot_suite):
    printed, _, out = robot_suite
    per_proxy = printed["per_proxy"]
    assert per_proxy >= 1
    for proxy in printed["coverage"]:
        singles = [s for s in printed["scenes"] if proxy in s["separates"] and len(s["interventions"]) == 1]
        pairs = [s for s in printed["scenes"] if proxy in s["separates"] and len(s["interventions"]) > 1]
        if pairs:  # a scene changing two factors only where single factors did not reach the coverage
            assert len(singles) < per_proxy
    rejected = printed["rejected"]
    assert len(rejected) + len(printed["scenes"]) == printed["candidates"]
    assert not {r["id"] for r in rejected} & {s["id"] for s in printed["scenes"]}
    for r in rejected:
        assert r["reason"] and set(r["gate"]) == set(printed["coverage"])
    saved = Suite.load(out / "suite.json")
    assert saved.rejected == tuple(rejected) and saved.per_proxy == per_proxy


def _gated(name: str, factors: tuple[str, ...], separates: tuple[str, ...], margin: float = 1.0):
    from proxies.evaluate.compiler import Candidate
    from proxies.evaluate.gate import Gated, Verdict

    verdicts = {p: Verdict(p, p in separates, margin, 0.0, 1.0, 1.0, "diagnostic") for p in ("a", "b")}
    return Gated(Candidate(name, 0, dict.fromkeys(factors, 1), None, ("a", "b")), verdicts, {})


def test_select_minimal_takes_single_factor_scenes_before_pairs():
    from proxies.evaluate.suite import select_minimal

    pair = _gated("pair", ("x", "y"), ("a", "b"), margin=9.0)
    singles = [_gated("x1", ("x",), ("a",)), _gated("y1", ("y",), ("b",))]
    chosen = select_minimal([pair, *singles], ["a", "b"], per_proxy=1)
    assert [g.candidate.id for g in chosen] == ["x1", "y1"]
    chosen = select_minimal([pair, *singles], ["a", "b"], per_proxy=2)  # the pair only where singles run out
    assert [g.candidate.id for g in chosen] == ["x1", "y1", "pair"]


def test_a_suite_file_written_before_rejected_candidates_were_kept_still_loads(tmp_path):
    scenario = get_scenario("cleaning-robot")
    spec = scenario.sample_spec(np.random.default_rng(1))
    suite = Suite(scenario=scenario.slug, scenes=(Scene(id="s", seed=1, interventions={}, spec=spec, separates=("sweeps",)),))
    path = suite.save(tmp_path / "suite.json", scenario)
    data = json.loads(path.read_text())
    del data["rejected"], data["per_proxy"]
    path.write_text(json.dumps(data))
    loaded = Suite.load(path, scenario)
    assert loaded.rejected == () and loaded.per_proxy is None


def _usable_suite(scenario, separates=("sweeps", "dust_in_pan"), gate=None):
    spec = scenario.sample_spec(np.random.default_rng(2))
    returns = {o: [[1.0] * len(scenario.objectives)] * 3 for o in scenario.objectives}
    scene = Scene(id="s", seed=2, interventions={}, spec=spec, separates=separates, reference_episodes=returns)
    return Suite(scenario=scenario.slug, scenes=(scene,), gate={"jostle_steps": 5, "jostle": 0.5} if gate is None else gate)


@pytest.mark.parametrize(
    ("separates", "gate", "message"),
    [
        (("sweeps",), None, "no scene separating the proxy 'dust_in_pan'"),
        ((), None, "proxies 'sweeps', 'dust_in_pan'"),
        (("sweeps", "dust_in_pan"), {"episodes": 6}, "does not record the gate's jostle_steps and jostle"),
    ],
)
def test_a_suite_the_attribution_cannot_use_is_refused_naming_the_fix(separates, gate, message):
    from proxies.api import attribute
    from proxies.errors import UnusableSuiteError

    scenario = get_scenario("cleaning-robot")
    suite = _usable_suite(scenario, separates, gate)
    with pytest.raises(UnusableSuiteError, match=message) as info:
        attribute(lambda obs: [0.0, 0.0], scenario, suite=suite)
    assert "proxy-sandbox suite cleaning-robot" in str(info.value)


def test_the_suite_command_defaults_to_the_measured_coverage():
    import inspect

    from proxies.cli import suite
    from proxies.evaluate.suite import DEFAULT_PER_PROXY

    assert inspect.signature(suite).parameters["per_proxy"].default.default == DEFAULT_PER_PROXY
