"""The command line: bad input gets a one-line typed error (exit 2), and the pipeline runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from proxies.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_list_shows_the_cleaning_robot():
    result = invoke("list")
    assert result.exit_code == 0
    assert "cleaning-robot" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("train", "cleaning-robt"), "did you mean 'cleaning-robot'"),
        (("train", "cleaning-robot", "--steps", "0"), "--steps must be a positive"),
        (("train", "cleaning-robot", "--steps", "-5"), "--steps must be a positive"),
        (("train", "cleaning-robot", "--objective", "sweep"), "did you mean 'sweeps'"),
        (("train", "cleaning-robot", "--mix", "1.5"), "--mix must be a fraction"),
        (("train", "cleaning-robot", "--mix", "-0.1"), "--mix must be a fraction"),
        (("train", "cleaning-robot", "--algorithm", "PP0"), "Unknown algorithm"),
        (("run", "no/such/file.py"), "is not a Python file"),
        (("attribute", "no-such-run-dir"), "does not exist"),
        (("report", "no-such-run-dir"), "does not exist"),
    ],
)
def test_bad_input_gets_a_typed_error_without_traceback(args, message):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_a_file_that_is_not_a_scenario_is_refused(tmp_path):
    path = tmp_path / "notes.py"
    path.write_text("x = 1\n")
    result = invoke("train", str(path))
    assert result.exit_code == 2
    assert "defines 0 Scenario objects" in " ".join(result.output.split())


def test_incomplete_run_dir_names_the_missing_file(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"scenario": "cleaning-robot", "steps": 10}))
    result = invoke("attribute", str(tmp_path))
    assert result.exit_code == 2
    assert "model.zip" in result.output


def test_runs_of_different_scenarios_are_not_attributed_together(tmp_path):
    fixture = Path(__file__).parents[1] / "fixtures" / "scenarios" / "edge_goal.py"
    for name, scenario in (("a", "cleaning-robot"), ("b", str(fixture))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps({"scenario": scenario, "steps": 10}))
        (tmp_path / name / "model.zip").write_bytes(b"not loaded before the scenarios are compared")
    result = invoke("attribute", str(tmp_path / "a"), str(tmp_path / "b"))
    assert result.exit_code == 2
    assert "give runs of one scenario" in " ".join(result.output.split())


def test_model_zips_need_the_scenario(tmp_path):
    for name in ("a.zip", "b.zip"):
        (tmp_path / name).write_bytes(b"")
    result = invoke("attribute", str(tmp_path / "a.zip"), str(tmp_path / "b.zip"))
    assert result.exit_code == 2
    assert "--scenario NAME" in " ".join(result.output.split())


def test_a_run_dir_holding_another_run_is_left_untouched(tmp_path):
    config = {"scenario": "cleaning-robot", "steps": 999, "seed": 3}
    (tmp_path / "config.json").write_text(json.dumps(config))
    before = (tmp_path / "config.json").read_text()
    result = invoke("train", "cleaning-robot", "--steps", "100", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "already holds a different run" in " ".join(result.output.split())
    assert (tmp_path / "config.json").read_text() == before


@pytest.mark.slow
def test_run_writes_report_and_attribution(tmp_path):
    out = tmp_path / "run"
    result = invoke("run", "cleaning-robot", "--steps", "2048", "--seed", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    data = json.loads((out / "attribution.json").read_text())
    assert data["verdict"] in {"intended", "misgeneralized", "capability_failure", "mixed"}
    printed = invoke("attribute", str(out), "--json")
    assert printed.exit_code == 0, printed.output
    summary = json.loads(printed.stdout)
    assert set(summary["weights"]) == {"cleanliness", "sweeps", "dust_in_pan"}
    for w in summary["weights"].values():
        assert 0.0 <= w["lo"] <= w["hi"] <= 1.0
        assert 0.0 <= w["mean"] <= 1.0
    objectives = sum(w["mean"] for w in summary["weights"].values())
    assert objectives + summary["random_weight"]["mean"] == pytest.approx(1.0)
    assert summary["in_distribution"]["agent"].keys() == summary["weights"].keys()
    probed = {(p["factor"], json.dumps(p["value"])) for p in summary["value_probe"]["interventions"]}
    assert probed == {(f, json.dumps(v)) for scene in data["scenes"] for f, v in scene["interventions"].items()}
    assert "What the critic expects" in (out / "report.html").read_text()
    # the same run twice stands for two seeds: attributed together, with the runs listed
    both = invoke("attribute", str(out), str(out), "--json")
    assert both.exit_code == 0, both.output
    joint = json.loads(both.stdout)
    assert len(joint["runs"]) == 2 and joint["weights"].keys() == summary["weights"].keys()
