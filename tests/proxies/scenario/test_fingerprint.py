"""A run knows what made it: config.json and suite.json record the scenario's fingerprint; changes are named."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from suite_helpers import FIXTURES, isolated_registry
from typer.testing import CliRunner

import proxies
from proxies.cli import app
from proxies.errors import StaleRunError, SuiteMismatchError
from proxies.evaluate.suite import Suite
from proxies.scenario.fingerprint import PARTS, changes, describe_changes, scenario_fingerprint

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-c", "from proxies.cli import app; app(prog_name='proxy-sandbox')"]


def cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """The command line in a fresh process (so an edited scenario file is imported anew)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """A whole run of a copy of the edge-goal scenario: ``<folder>/goal.py`` and ``<folder>/run``."""
    folder = tmp_path_factory.mktemp("made")
    shutil.copy(FIXTURES / "edge_goal.py", folder / "goal.py")
    result = cli("run", "goal.py", "--steps", "256", "--out", "run", cwd=folder)
    assert result.returncode == 0, result.stderr
    (folder / "run.stderr").write_text(result.stderr)
    return folder


@pytest.fixture()
def project(made: Path, tmp_path: Path) -> Path:
    """A private copy of the made run and its scenario file (the run records the file's absolute path)."""
    shutil.copy(made / "goal.py", tmp_path / "goal.py")
    shutil.copytree(made / "run", tmp_path / "run")
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    config["scenario"] = str(tmp_path / "goal.py")
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))
    return tmp_path


def _edit(path: Path) -> None:
    path.write_text(path.read_text() + "\n# retuned after the run\n")


def _tamper(file: Path, **parts: str) -> None:
    data = json.loads(file.read_text())
    for key, value in parts.items():
        if key == "version":
            data["fingerprint"]["version"] = value
        else:
            data["fingerprint"]["parts"][key] = value
    file.write_text(json.dumps(data))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the fingerprint itself ----------------------------------------------------------------------------------


def test_the_fingerprint_is_stable_and_names_each_part():
    robot = proxies.get_scenario("cleaning-robot")
    first = scenario_fingerprint(robot)
    assert first == scenario_fingerprint(robot)
    assert set(first["parts"]) == set(PARTS) and first["scenario"] == "cleaning-robot"
    assert first["version"] == __import__("importlib.metadata").metadata.version("proxy-sandbox")
    assert changes(first, robot) == []
    assert changes(None, robot) == ["no fingerprint recorded"]


def test_changes_name_what_differs(monkeypatch):
    robot = proxies.get_scenario("cleaning-robot")
    old = scenario_fingerprint(robot)
    old["parts"]["graph"] = "0" * 16
    old["version"] = "0.0.1"
    found = changes(old, robot)
    assert found == ["graph", f"version 0.0.1 -> {scenario_fingerprint(robot)['version']}"]
    assert describe_changes(["source", "graph", "agent"]) == "source, graph and agent"


def test_editing_a_scenario_file_changes_its_source_part(tmp_path):
    shutil.copy(FIXTURES / "edge_goal.py", tmp_path / "a.py")
    text = (tmp_path / "a.py").read_text()
    (tmp_path / "b.py").write_text(text + "\n# a comment\n")
    (tmp_path / "c.py").write_text(text.replace("intervene=(0, 10)", "intervene=(0, 12)"))
    with isolated_registry():
        a, b, c = (scenario_fingerprint(proxies.get_scenario(str(tmp_path / f"{n}.py"))) for n in "abc")
    assert changes(a, b) == ["source"]
    assert changes(a, c) == ["source", "graph"]


# -- config.json ---------------------------------------------------------------------------------------------


def test_config_records_the_fingerprint_and_the_scenario_files_absolute_path(made):
    config = json.loads((made / "run" / "config.json").read_text())
    assert config["scenario"] == str(made / "goal.py")  # given as the relative "goal.py"
    fingerprint = config["fingerprint"]
    assert fingerprint["scenario"] == "edge-goal" and set(fingerprint["parts"]) == set(PARTS)
    assert fingerprint["file"] == str(made / "goal.py")
    suite = json.loads((made / "run" / "suite.json").read_text())
    assert suite["fingerprint"] == fingerprint


def test_a_run_given_by_relative_path_can_be_attributed_from_another_folder(made, tmp_path):
    result = cli("report", str(made / "run"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr


def test_an_edited_scenario_file_is_refused_by_attribute_strict_and_warned_about_by_report(project):
    _edit(project / "goal.py")
    before = _snapshot(project / "run")
    strict = cli("attribute", "run", "--strict", cwd=project)
    assert strict.returncode == 2, strict.stderr
    text = " ".join(strict.stderr.split())
    assert "was made by an earlier version of 'edge-goal': its source changed since" in text
    assert "--strict" in text and "Traceback" not in strict.stderr
    assert _snapshot(project / "run") == before  # refused before anything was written
    loose = cli("report", "run", cwd=project)
    assert loose.returncode == 0, loose.stderr
    text = " ".join(loose.stderr.split())
    assert "warning:" in text and "its source changed since" in text and "pass --strict to refuse" in text


def test_attribute_warns_when_the_scenario_changed(project):
    _tamper(project / "run" / "config.json", source="0" * 16)
    _tamper(project / "run" / "suite.json", source="0" * 16)  # made with the model, by the same old version
    with isolated_registry():
        result = CliRunner().invoke(app, ["attribute", str(project / "run"), "--json"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stderr.split())
    assert "warning:" in text and "its source changed since" in text and "pass --strict to refuse" in text
    assert json.loads(result.stdout[result.stdout.index("{"):])["verdict"]


def test_report_warns_when_the_scenario_changed_and_strict_refuses(project):
    with isolated_registry():
        _tamper(project / "run" / "config.json", graph="0" * 16, version="0.0.1")
        before = _snapshot(project / "run")
        strict = CliRunner().invoke(app, ["report", str(project / "run"), "--strict"])
        assert strict.exit_code == 2, strict.output
        text = " ".join(strict.output.split())
        assert "its graph and version 0.0.1 ->" in text and "Traceback" not in strict.output
        assert _snapshot(project / "run") == before
        loose = CliRunner().invoke(app, ["report", str(project / "run")])
    assert loose.exit_code == 0, loose.output
    assert "warning:" in loose.output and "graph and version" in " ".join(loose.output.split())


def test_a_run_without_a_fingerprint_is_reported_with_a_warning(project):
    config = json.loads((project / "run" / "config.json").read_text())
    del config["fingerprint"]
    (project / "run" / "config.json").write_text(json.dumps(config))
    with isolated_registry():
        loose = CliRunner().invoke(app, ["report", str(project / "run")])
        strict = CliRunner().invoke(app, ["report", str(project / "run"), "--strict"])
    assert loose.exit_code == 0 and "records no fingerprint" in " ".join(loose.output.split())
    assert strict.exit_code == 2 and "records no fingerprint" in " ".join(strict.output.split())


def test_check_fingerprint_raises_a_typed_error_when_strict(project):
    from proxies.run.rundir import check_fingerprint

    _tamper(project / "run" / "config.json", agent="0" * 16)
    with isolated_registry():
        scenario = proxies.get_scenario(str(project / "goal.py"))
        assert "its agent changed since" in check_fingerprint(project / "run", scenario)
        with pytest.raises(StaleRunError, match="agent"):
            check_fingerprint(project / "run", scenario, strict=True)


# -- suites --------------------------------------------------------------------------------------------------


def test_a_suite_is_refused_for_another_scenario_or_another_fingerprint(project):
    path = project / "run" / "suite.json"
    with isolated_registry():
        goal = proxies.get_scenario(str(project / "goal.py"))
        assert Suite.load(path, goal).fingerprint["hash"] == scenario_fingerprint(goal)["hash"]
        with pytest.raises(SuiteMismatchError, match="built for the scenario 'edge-goal', not 'cleaning-robot'"):
            Suite.load(path, proxies.get_scenario("cleaning-robot"))
        _tamper(path, source="0" * 16)
        with pytest.raises(SuiteMismatchError, match=r"another version of 'edge-goal' \(what differs: source\)"):
            Suite.load(path, goal)


def test_attribute_refuses_a_suite_made_by_another_version_than_the_model(project):
    _tamper(project / "run" / "suite.json", graph="0" * 16)
    before = _snapshot(project / "run")
    with isolated_registry():
        result = CliRunner().invoke(app, ["attribute", str(project / "run")])
    assert result.exit_code == 2, result.output
    assert "were made by different versions of 'edge-goal' (what differs: graph)" in " ".join(result.output.split())
    assert _snapshot(project / "run") == before


def test_suite_out_a_run_of_another_scenario_refuses_and_leaves_it_untouched(project, tmp_path_factory):
    robot_run = tmp_path_factory.mktemp("robot-run")
    from proxies.run.rundir import prepare
    from proxies.run.training import TrainConfig

    prepare(robot_run, TrainConfig("cleaning-robot", steps=256), proxies.get_scenario("cleaning-robot"))
    (robot_run / "suite.json").write_text('{"scenario": "cleaning-robot", "scenes": []}')
    before = _snapshot(robot_run)
    with isolated_registry():
        result = CliRunner().invoke(app, ["suite", str(project / "goal.py"), "--out", str(robot_run)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "is a run of 'cleaning-robot'; a suite of 'edge-goal' there would replace that run's suite.json" in text
    assert "Traceback" not in result.output
    assert _snapshot(robot_run) == before


def test_suite_out_a_folder_holding_another_scenarios_suite_refuses(project, tmp_path):
    folder = tmp_path / "suites"
    folder.mkdir()
    (folder / "suite.json").write_text('{"scenario": "cleaning-robot", "scenes": []}')
    with isolated_registry():
        result = CliRunner().invoke(app, ["suite", str(project / "goal.py"), "--out", str(folder)])
    assert result.exit_code == 2, result.output
    assert "holds a suite of 'cleaning-robot'" in " ".join(result.output.split())
    assert (folder / "suite.json").read_text() == '{"scenario": "cleaning-robot", "scenes": []}'


def test_suite_out_a_run_of_an_earlier_version_refuses(project):
    _edit(project / "goal.py")
    before = _snapshot(project / "run")
    with isolated_registry():
        result = CliRunner().invoke(app, ["suite", str(project / "goal.py"), "--out", str(project / "run")])
    assert result.exit_code == 2, result.output
    assert "is a run of an earlier version of 'edge-goal' (what changed: source)" in " ".join(result.output.split())
    assert _snapshot(project / "run") == before


def test_validate_refuses_another_scenarios_suite(project):
    result = CliRunner().invoke(app, ["validate", "cleaning-robot", "--suite", str(project / "run" / "suite.json")])
    assert result.exit_code == 2, result.output
    assert "was built for the scenario 'edge-goal', not 'cleaning-robot'" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_run_retrains_a_model_of_an_edited_scenario(project, monkeypatch):
    """`run` reuses a model only when the scenario is unchanged; an edited one is trained again (not "reusing")."""
    import proxies.run.pipeline as pipeline
    from proxies.errors import ProxiesError

    class Trained(ProxiesError):
        pass

    def train(*args, **kwargs):
        raise Trained("train was called")

    monkeypatch.setattr(pipeline, "train", train)
    _tamper(project / "run" / "config.json", source="0" * 16)
    with isolated_registry():
        result = CliRunner().invoke(
            app, ["run", str(project / "goal.py"), "--steps", "256", "--out", str(project / "run")]
        )
    text = " ".join(result.output.split())
    assert "edge-goal changed since the model in" in text and "(source); training it again" in text
    assert "reusing" not in text and "train was called" in text
    assert not (project / "run" / "model.zip").exists()  # never mistaken later for this scenario's model
    assert json.loads((project / "run" / "config.json").read_text())["fingerprint"]["parts"]["source"] != "0" * 16
