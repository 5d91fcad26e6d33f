"""``proxy-sandbox reproduce``: bad input is a typed one-line error that leaves the folder as it was;
a tiny reproduction trains, attributes and tabulates every seed."""

from __future__ import annotations

import dataclasses
import json

import pytest
from test_sweep import TINY
from typer.testing import CliRunner

from proxies import get_scenario
from proxies.cli import app
from proxies.errors import ConfigError
from proxies.run.config import RunConfig
from proxies.run.reproduce import REPRODUCTIONS, reproduce, reproduction, results_table, seed_rows
from proxies.run.sweep import SWEEP_CONFIG, SweepConfig

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    return result, " ".join(result.output.split())


@pytest.mark.parametrize(("args", "message"), [
    (("no-such-scenario",), "no-such-scenario"),
    (("cleaning-robot",), "has no published result to reproduce"),
    (("cheese-maze", "--seeds", "1"), "--seeds must be at least 2"),
    (("coin-run", "--mix", "0,2"), "outside [0, 1]"),
    (("coin-run", "--steps", "0"), "--steps must be a positive"),
])
def test_bad_reproduce_input_is_a_typed_error_and_writes_nothing(tmp_path, args, message):
    result, output = invoke("reproduce", *args, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert message in output and "Traceback" not in output
    assert not (tmp_path / "out").exists()


def test_a_folder_of_another_scenarios_runs_is_refused_and_left_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    record = {"schema_version": 1, "scenario": "cleaning-robot", "sweep": SweepConfig(TINY, (0.0,), seeds=2).to_dict()}
    (out / SWEEP_CONFIG).write_text(json.dumps(record))
    (out / "cleaning-robot-run").mkdir()
    before = {p: p.read_bytes() if p.is_file() else None for p in out.rglob("*")}
    result, output = invoke("reproduce", "cheese-maze", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "holds the runs of 'cleaning-robot', not 'cheese-maze'" in output
    assert {p: p.read_bytes() if p.is_file() else None for p in out.rglob("*")} == before


def test_a_folder_of_another_scenarios_run_directories_is_refused(tmp_path):
    run = tmp_path / "out" / "cleaning-robot-0123abcd-s0"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"scenario": "cleaning-robot"}))
    result, output = invoke("reproduce", "coin-run", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "holds the runs of 'cleaning-robot', not 'coin-run'" in output
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["cleaning-robot-0123abcd-s0", "config.json"]


def test_reproduction_of_a_scenario_without_one_names_those_there_are():
    with pytest.raises(ConfigError, match="did you mean 'coin-run'"):
        reproduction("coin-runs")
    assert set(REPRODUCTIONS) == {"coin-run", "cheese-maze", "keys-chests", "forager", "gem-colour"}
    assert REPRODUCTIONS["coin-run"].mixes == (0.0, 0.11, 1.0) and REPRODUCTIONS["cheese-maze"].mixes == (0.0, 1.0)
    assert REPRODUCTIONS["keys-chests"].mixes == REPRODUCTIONS["forager"].mixes == (0.0, 1.0)
    assert REPRODUCTIONS["gem-colour"].mixes == (0.0, 1.0) and len(REPRODUCTIONS["gem-colour"].published) == 2


def test_reproduce_refuses_fewer_than_two_seeds_before_any_work(tmp_path):
    scenario = get_scenario("cheese-maze")
    with pytest.raises(ConfigError, match="at least 2"):
        reproduce(scenario, TINY, tmp_path / "out", seeds=1)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_tiny_reproduction_attributes_every_seed_and_resumes_without_retraining(tmp_path):
    from proxies.run.aggregate import write_sweep_report

    scenario = get_scenario("cheese-maze")
    gate = dataclasses.replace(TINY.evaluation.gate, episodes=12)  # binary outcomes: enough episodes to be significant
    base = RunConfig(dataclasses.replace(TINY.train, scenario="cheese-maze"),
                     dataclasses.replace(TINY.evaluation, per_factor=4, gate=gate))
    first = reproduce(scenario, base, tmp_path, seeds=2, mixes=(0.0, 1.0))
    assert sorted((r["mix"], r["seed"], r["state"]) for r in first["runs"]) == [
        (0.0, 0, "done"), (0.0, 1, "done"), (1.0, 0, "done"), (1.0, 1, "done")]
    summary = write_sweep_report(tmp_path, n_boot=200)
    rows = seed_rows(tmp_path, summary)
    pooled = sum("pooled" in entry for entry in summary["per_alpha"])
    assert pooled == 2 and results_table(tmp_path, summary).row_count == len(rows) + pooled
    assert sorted((r["mix"], r["seed"]) for r in rows) == [(0.0, 0), (0.0, 1), (1.0, 0), (1.0, 1)]
    for row in rows:
        assert set(row["weights"]) == set(scenario.objectives)
        assert all(lo <= mean <= hi for mean, lo, hi in row["weights"].values())
    trained = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/model.zip")}
    again = reproduce(scenario, base, tmp_path, seeds=2, mixes=(0.0, 1.0))
    assert all(r["state"] == "done" for r in again["runs"]) and len(trained) == 4
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/model.zip")} == trained  # nothing trained again
