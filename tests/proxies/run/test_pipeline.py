"""``attribute RUN_DIR --suite FILE``: the run's agent on another suite, written beside (never over) its own attribution."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from markupsafe import escape
from rich.console import Console
from stable_baselines3 import PPO
from suite_helpers import LAMPS, isolated_registry, load_lamps
from typer.testing import CliRunner

from proxies.api import attribute
from proxies.cli import app
from proxies.errors import RunDirError, SuiteMismatchError
from proxies.evaluate.suite import build_suite
from proxies.present.story import glossary, story
from proxies.run.pipeline import other_suite_attribution
from proxies.run.pipeline import run as run_all
from proxies.run.rundir import prepare
from proxies.run.training import TrainConfig

OWN = b'{"verdict": "mixed", "weights": {}}'
"""A stand-in for the run's own attribution.json, which must never change."""


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A lamps run (an untrained PPO model, its suite) and a copy of the suite under another name."""
    with isolated_registry():
        scenario = load_lamps()
        folder = tmp_path_factory.mktemp("pipeline")
        run = folder / "run"
        prepare(run, TrainConfig(scenario=str(LAMPS), steps=64), scenario)
        PPO("MlpPolicy", scenario.make_env(), n_steps=64, batch_size=64, seed=0, device="cpu").save(run / "model.zip")
        build_suite(scenario, seed=0).save(run / "suite.json", scenario)
        yield folder, run


@pytest.fixture
def run(made, tmp_path):
    """A fresh copy of the run, with its own attribution.json, and another suite file."""
    folder, original = made
    run = shutil.copytree(original, tmp_path / "run")
    (run / "attribution.json").write_bytes(OWN)
    shutil.copy(run / "suite.json", tmp_path / "other.json")
    with isolated_registry():
        yield run


def test_attribute_with_another_suite_writes_beside_the_runs_attribution(run):
    other = run.parent / "other.json"
    result = CliRunner().invoke(app, ["attribute", str(run), "--suite", str(other), "--json"])
    assert result.exit_code == 0, result.output
    out = run / "attribution-other.json"
    assert other_suite_attribution(run, other) == out
    assert "attribution-other.json" in result.output and "left as it is" in " ".join(result.output.split())
    data = json.loads(out.read_text())
    assert data["suite"] == str(other.resolve()) and data["verdict"] == json.loads(result.stdout)["verdict"]
    assert (run / "attribution.json").read_bytes() == OWN
    again = attribute(run, suite=other)  # the same suite again: its own attribution is replaced
    assert json.loads(out.read_text())["suite"] == again["suite"]


def test_a_suite_of_another_scenario_is_refused_before_anything_is_written(run):
    other = run.parent / "other.json"
    data = json.loads(other.read_text())
    other.write_text(json.dumps({**data, "scenario": "cleaning-robot"}))
    with pytest.raises(SuiteMismatchError, match="built for the scenario 'cleaning-robot', not 'noref-lamps'"):
        attribute(run, suite=other)
    assert sorted(p.name for p in run.glob("attribution*")) == ["attribution.json"]
    assert (run / "attribution.json").read_bytes() == OWN


def test_a_missing_suite_file_is_a_run_dir_error(run):
    result = CliRunner().invoke(app, ["attribute", str(run), "--suite", str(run / "nothing.json")])
    assert result.exit_code == 2 and "No suite at" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in run.glob("attribution*")) == ["attribution.json"]


@pytest.mark.parametrize(
    "existing", [b'{"suite": "/elsewhere/other.json", "verdict": "intended"}', b"not json"], ids=["another suite", "damaged"]
)
def test_an_attribution_on_another_suite_of_the_same_name_is_not_replaced(run, existing):
    out = run / "attribution-other.json"
    out.write_bytes(existing)
    with pytest.raises(RunDirError, match=r"attribution-other.json holds .*would replace it. Rename the suite file"):
        attribute(run, suite=run.parent / "other.json")
    assert out.read_bytes() == existing and (run / "attribution.json").read_bytes() == OWN


def test_run_ends_with_the_story_in_three_lines_then_the_paths_and_the_report_opens_with_it(run):
    out = io.StringIO()
    scenario = load_lamps()  # the model.zip is the fixture's (same config and fingerprint): reused, not trained
    data = run_all(scenario, TrainConfig(scenario=str(LAMPS), steps=64), run, console=Console(file=out, width=80))
    printed = out.getvalue().splitlines()
    lines = story(data, glossary(scenario))
    assert "(decoy, goal_side changed from training)" in lines[1]
    assert printed[-5:] == [*lines, f"report: {run / 'report.html'}", f"attribution: {run / 'attribution.json'}"]
    html = (run / "report.html").read_text()
    first = html.index('id="story"')
    assert first < html.index('src="images/quadrant.png"') < html.index('id="weights"')
    assert all(str(escape(line)) in html[first:] for line in lines)
