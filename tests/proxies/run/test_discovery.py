"""``proxy-sandbox discover RUN_DIR``: discovery.json, the film, the report's section, the validation's rates, and
the bad inputs (an unplayable run, a budget too small), each a typed error naming the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_run import make_run_dir
from stable_baselines3 import PPO
from typer.testing import CliRunner

import proxies
from proxies.cli import app
from proxies.errors import ConfigError, RunDirError
from proxies.present.report import write_report
from proxies.run.discovery import PlantedCase, discover_run, validate_discovery
from proxies.run.rundir import prepare
from proxies.run.training import TrainConfig

EDGE_GOAL = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios" / "edge_goal.py"


@pytest.fixture(scope="module")
def edge_goal():
    return proxies.get_scenario(str(EDGE_GOAL))


def untrained_run(folder: Path, scenario, seed: int = 0) -> Path:
    """An edge-goal run with an untrained PPO agent, trained (for the record) with ``seed``."""
    prepare(folder, TrainConfig(scenario=str(EDGE_GOAL), steps=64, seed=seed), scenario)
    PPO("MlpPolicy", scenario.make_env(), n_steps=64, batch_size=64, seed=seed, device="cpu").save(folder / "model.zip")
    return folder


@pytest.fixture
def run(edge_goal, tmp_path):
    return untrained_run(tmp_path / "run", edge_goal)


def test_discover_writes_its_json_and_films_the_most_telling_scene(run, edge_goal, tmp_path):
    result = CliRunner().invoke(app, ["discover", str(run), "--budget", "6", "--max-budget", "12", "--cache",
                                      str(tmp_path / "cache"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads((run / "discovery.json").read_text())
    assert data["pairs"] == 6 and data["declared"] == ["at_goal", "at_right_edge"]
    assert data["looks"][0]["pairs"] == 6 and all(look["pairs"] in (6, 12) for look in data["looks"])
    assert (data["gif"] is None) == (data["top_lead"] is None)
    if data["gif"]:
        assert (run / data["gif"]).stat().st_size > 0
    again = discover_run(run, pairs=6, max_pairs=12, cache=tmp_path / "cache")
    assert again["cached"] and again["leads"] == data["leads"]
    other_seed = untrained_run(tmp_path / "seed-1", edge_goal, seed=1)
    assert discover_run(other_seed, pairs=6, max_pairs=12, cache=tmp_path / "cache")["cached"]
    assert not discover_run(other_seed, pairs=6, max_pairs=12, seed=1, cache=tmp_path / "cache")["cached"]


def test_the_report_has_a_discovery_section(tmp_path):
    run = make_run_dir(tmp_path)
    (run / "discovery.json").write_text(json.dumps({
        "summary": "Leads (...)", "gif": None, "scenes": {"3": {"factors": {"pan_wall": "west"}}},
        "leads": [{"kind": "factor", "name": "pan_wall", "effect": 2.5, "arm": "pan_wall=west", "feature": "x",
                   "parting": [3]}],
    }))
    html = write_report(run).read_text()
    assert "Proxy discovery" in html and "pan_wall = west" in html


def test_an_unplayable_run_and_a_small_budget_are_refused_with_the_fix(run, tmp_path):
    runner = CliRunner()
    (run / "model.zip").write_bytes(b"not a zip")
    result = runner.invoke(app, ["discover", str(run), "--no-cache"])
    assert result.exit_code == 2 and "cannot be played" in result.output and "Retrain it" in result.output
    assert not (run / "discovery.json").exists()
    result = runner.invoke(app, ["discover", str(run), "--budget", "3"])
    assert result.exit_code == 2 and "--budget 6 or more" in result.output
    result = runner.invoke(app, ["discover", str(run), "--budget", "8", "--max-budget", "7"])
    assert result.exit_code == 2 and "--max-budget 7 is below --budget 8" in result.output
    result = runner.invoke(app, ["discover", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "not a run directory" in result.output
    result = runner.invoke(app, ["discover", str(run), "--no-cache", "--cache", str(tmp_path)])
    assert result.exit_code == 2 and "contradict" in result.output
    result = runner.invoke(app, ["discover", str(run), "--no-cache", "--seed", "-1"])
    assert result.exit_code == 2 and "--seed must be a whole number from 0" in result.output
    with pytest.raises(RunDirError):
        discover_run(run, pairs=6, cache=None)


def test_validation_reports_both_rates_on_a_planted_case(edge_goal):
    case = PlantedCase(edge_goal, ("at_right_edge",), edge_goal.references["at_right_edge"], ("progress east", "goal_side"))
    result = validate_discovery([case], pairs=8)
    assert result["planted_cases"] == result["null_cases"] == 1
    assert result["hit_rate"] == 1.0 and result["quiet_rate"] == 1.0
    with pytest.raises(ConfigError, match="names of the leads"):
        PlantedCase(edge_goal, ("at_right_edge",), edge_goal.references["at_right_edge"], ())
