"""The command line: bad input gets a one-line typed error (exit 2), and the pipeline runs."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from suite_helpers import FIXTURES, isolated_registry
from typer.testing import CliRunner

from proxies.cli import app
from proxies.present.story import glossary, story
from proxies.scenario.registry import get_scenario
from sandbox import SandboxEnv

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from proxies.cli import app; app(prog_name='proxy-sandbox')"]


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
        (("train", "cleaning-robot", "--seed", "-1"), "--seed must be a whole number from 0 to 4294967295"),
        (("train", "cleaning-robot", "--seed", str(2**32)), "--seed must be a whole number from 0 to 4294967295"),
        (("run", "cleaning-robot", "--seed", "-1"), "--seed must be a whole number from 0 to 4294967295"),
        (("suite", "cleaning-robot", "--seed", "-1"), "--seed must be a whole number from 0 to 4294967295"),
        (("validate", "cleaning-robot", "--seed", "-1"), "--seed must be a whole number from 0 to 4294967295"),
        (("train", "cleaning-robot", "--steps", "1e26"), "at most 1,000,000,000 (10**9), got 100000000000000000000000000"),
        (("train", "cleaning-robot", "--steps", "1000000001"), "at most 1,000,000,000 (10**9)"),
        (("train", "cleaning-robot", "--steps", "2.5"), "'2.5' is not a whole number"),
        (("validate", "cleaning-robot", "--budget", "1e26"), "--budget must be at most 1,000,000,000"),
        (("train", "cleaning-robot", "--algorithm", "DQN"), "DQN cannot act in"),
        (("train", "cleaning-robot", "--out", "/sys/proxy-sandbox-run"), "is in /sys, a kernel file system"),
        (("run", "cleaning-robot", "--out", "/proc/proxy-sandbox-run"), "is in /proc, a kernel file system"),
        (("suite", "cleaning-robot", "--out", "/sys/proxy-sandbox-run"), "is in /sys, a kernel file system"),
        (("validate", "cleaning-robot", "--budget", "10", "--out", "/sys/x"), "is in /sys, a kernel file system"),
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
    assert data["verdict"] in {"intended", "misgeneralized", "capability_failure", "mixed", "unstable"}
    assert {"headline", "shares", "stability"} <= set(data)
    assert all(s["lo"] > 0 for s in data["shares"].values())
    told = story(data, glossary(get_scenario("cleaning-robot")))
    assert all(" ".join(line.split()) in " ".join(result.output.split()) for line in told)  # run ends with them
    shown = invoke("attribute", str(out))
    again = story(json.loads((out / "attribution.json").read_text()), glossary(get_scenario("cleaning-robot")))
    assert shown.exit_code == 0 and f"verdict: {data['headline']}" in " ".join(shown.output.split())
    assert all(" ".join(line.split()) in " ".join(shown.output.split()) for line in again)
    printed = invoke("attribute", str(out), "--json")
    assert printed.exit_code == 0, printed.output
    summary = json.loads(printed.stdout)
    assert summary["headline"] == data["headline"] and summary["stability"]["threshold"] == 0.9
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
    # a copy of the run stands for a second seed: attributed together, with the runs listed
    shutil.copytree(out, tmp_path / "copy")
    both = invoke("attribute", str(out), str(tmp_path / "copy"), "--json")
    assert both.exit_code == 0, both.output
    joint = json.loads(both.stdout)
    assert len(joint["runs"]) == 2 and joint["weights"].keys() == summary["weights"].keys()
    # the same run twice is refused (it would narrow the intervals for nothing)
    twice = invoke("attribute", str(out), str(out / "model.zip"), "--json")
    assert twice.exit_code == 2 and "is the same run as" in " ".join(twice.output.split())


# -- nothing written before the settings are checked; --out checked before the work ---------------------------


def test_a_bad_seed_leaves_no_run_directory_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in (("--out", "run"), ()):
        result = invoke("train", "cleaning-robot", "--seed", "-1", *args)
        assert result.exit_code == 2 and "--seed must be" in result.output
    assert list(tmp_path.iterdir()) == []  # neither run/ with a config.json nor runs/


@pytest.mark.parametrize("command", ["train", "run", "suite", "validate", "report"])
@pytest.mark.parametrize("where", ["file", "under-file"])
def test_an_out_that_is_a_file_is_refused_at_once(tmp_path, monkeypatch, command, where):
    advance, steps = SandboxEnv.advance, []

    def counted(self, action):
        steps.append(action)
        assert len(steps) <= 1, "a suite build or a training began before --out was checked"
        return advance(self, action)

    monkeypatch.setattr(SandboxEnv, "advance", counted)  # preflight's one step at most
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    out = blocker if where == "file" else blocker / "run"
    args = {
        "train": ("train", "cleaning-robot", "--out", str(out)),
        "run": ("run", "cleaning-robot", "--out", str(out)),
        "suite": ("suite", "cleaning-robot", "--out", str(out)),
        "validate": ("validate", "cleaning-robot", "--budget", "10", "--out", str(out)),
        "report": ("report", str(out)),
    }[command]
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    if command == "report":
        assert "does not exist" in text
    elif where == "file":
        assert f"--out {out} is an existing file, not a folder" in text and "move the file away" in text
    else:
        assert f"{blocker} is a file, so no folder can be made under it" in text
    assert "Traceback" not in result.output
    assert blocker.read_text() == "keep me"


def test_attribute_checks_its_run_dir_is_writable(tmp_path, monkeypatch):
    import proxies.files as files

    run = _fake_run(tmp_path / "run")
    (run / "suite.json").write_text(json.dumps({"scenario": "cleaning-robot", "scenes": []}))

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    result = invoke("attribute", str(run))
    assert result.exit_code == 2, result.output
    assert f"Cannot write {run}: the file system is read-only" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_a_full_disk_while_writing_the_report_is_a_typed_error_and_keeps_the_old_report(tmp_path, monkeypatch):
    from fake_run import make_run_dir

    import proxies.files as files

    run = make_run_dir(tmp_path)
    assert invoke("report", str(run)).exit_code == 0
    before = (run / "report.html").read_bytes()

    def full(fd, chunk):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files, "_write_chunk", full)
    result = invoke("report", str(run))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "no space left on the device; free some space" in text and str(run) in text
    assert "Traceback" not in result.output
    assert (run / "report.html").read_bytes() == before
    assert not [p for p in run.rglob("*.tmp")]


# -- attribute: no option silently ignored, no run counted twice ------------------------------------------


def _fake_run(path: Path, scenario: str = "cleaning-robot") -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"scenario": scenario, "steps": 10}))
    (path / "model.zip").write_bytes(b"not loaded: the options are checked first")
    return path


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--scenario", "cleaning-robot"), "--scenario does not apply to a run directory"),
        (("--algorithm", "A2C"), "--algorithm does not apply to a run directory"),
        (("--scenario", "x", "--suite", "y", "--algorithm", "z"), "--scenario and --algorithm do not apply"),
    ],
)
def test_options_that_do_not_apply_to_a_run_directory_are_refused(tmp_path, options, message):
    run = _fake_run(tmp_path / "run")
    result = invoke("attribute", str(run), *options)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert message in text and "Options that apply to a run directory: --suite, --json and --strict" in text
    assert "Traceback" not in result.output
    assert not (run / "attribution.json").exists()


@pytest.mark.parametrize(("options", "message"), [
    (("--scenario", "cleaning-robot"), "--scenario does not apply to run directories"),
    (("--algorithm", "PPO"), "--algorithm does not apply to run directories"),
])
def test_options_that_do_not_apply_to_several_run_directories_are_refused(tmp_path, options, message):
    a, b = _fake_run(tmp_path / "a"), _fake_run(tmp_path / "b")
    result = invoke("attribute", str(a), str(b), *options)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()) and "--suite, --json and --strict" in " ".join(result.output.split())


@pytest.mark.parametrize("spelling", ["same", "slash", "dotdot", "symlink", "model.zip"])
def test_the_same_run_twice_is_refused_however_it_is_spelled(tmp_path, spelling):
    run = _fake_run(tmp_path / "d1")
    (tmp_path / "other").mkdir()
    if spelling == "symlink":
        (tmp_path / "link").symlink_to(run)
    second = {
        "same": str(run), "slash": f"{run}/", "dotdot": str(tmp_path / "other" / ".." / "d1"),
        "symlink": str(tmp_path / "link"), "model.zip": str(run / "model.zip"),
    }[spelling]
    result = invoke("attribute", str(run), second)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert ("is given twice" in text or "is the same run as" in text) and "give each run once" in text
    assert "Traceback" not in result.output


# -- files read back: every field checked --------------------------------------------------------------------

CONFIG_CASES = [
    ('{"scenario": "cleaning-robot", "seed": "0"}', 'config.json: "seed" must be an integer, got "0"'),
    ("[1, 2]", "config.json: the file must hold a JSON object, got a list"),
    ("null", "config.json: the file must hold a JSON object, got null"),
    ('{"scenario": "cleaning-robot", ', "config.json is not valid JSON"),
    ('{"steps": 10}', '"scenario" is missing'),
    ('{"scenario": "cleaning-robot", "steps": 1.5}', '"steps" must be an integer, got 1.5'),
    ('{"scenario": "cleaning-robot", "steps": 0}', '"steps" must be greater than or equal to 1'),
    ('{"scenario": "cleaning-robot", "stepz": 10}', '"stepz" is not a known field'),
    ('{"scenario": "cleaning-robot", "mix": "half"}', '"mix" must be a number, got "half"'),
    ('{"scenario": "cleaning-robot", "mix": true}', '"mix" must be a number, got true'),
    ('{"scenario": "cleaning-robot", "seed": -1}', '"seed" must be greater than or equal to 0'),
    ('{"scenario": "cleaning-robot", "hyperparameters": [1]}', '"hyperparameters" must be a JSON object, got a list'),
    ('{"scenario": "cleaning-robot", "algorithm": "PP0"}', "Unknown algorithm 'PP0'"),
    ('{"scenario": "cleaning-robot", "fingerprint": {"hash": 3}}', '"fingerprint.hash" must be a string, got 3'),
    ('{"scenario": ["cleaning-robot"]}', '"scenario" must be a string, got a list'),
    (b"\xff\xfe\x00garbage", "config.json is not a text (UTF-8 JSON) file"),
]


@pytest.mark.parametrize(("content", "message"), CONFIG_CASES)
def test_a_damaged_config_json_names_the_field_and_the_fix(tmp_path, content, message):
    run = _fake_run(tmp_path / "run")
    (run / "config.json").write_bytes(content if isinstance(content, bytes) else content.encode())
    for args in (("attribute", str(run)), ("report", str(run)), ("train", "cleaning-robot", "--out", str(run))):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert message in text, text
        assert "Traceback" not in result.output
    assert (run / "config.json").read_bytes() == (content if isinstance(content, bytes) else content.encode())


_SCENE = {"id": "s", "seed": 1, "interventions": {}, "spec": {}}
SUITE_CASES = [
    ({"scenario": "cleaning-robot", "scenes": [], "gate": {"jostle_steps": "lots"}},
     'suite.json: "gate.jostle_steps" must be an integer, got "lots"'),
    ({"scenario": "cleaning-robot", "scenes": {}}, '"scenes" must be a list, got an object'),
    ({"scenario": "cleaning-robot"}, '"scenes" is missing'),
    ({"scenario": "cleaning-robot", "scenes": [{**_SCENE, "seed": "1"}]}, '"scenes[0].seed" must be an integer, got "1"'),
    ({"scenario": "cleaning-robot", "scenes": [{**_SCENE, "spec": {"width": "wide"}}]},
     '"scenes[0].spec" is not a valid scene spec'),
    ({"scenario": "cleaning-robot", "scenes": [{**_SCENE, "reference_returns": {"a": {"b": "x"}}}]},
     '"scenes[0].reference_returns.a.b" must be a number, got "x"'),
    ({"scenario": "cleaning-robot", "scenes": [], "candidates": -1}, '"candidates" must be greater than or equal to 0'),
    ("a string", "suite.json: the file must hold a JSON object"),
    ({"scenario": "edge-goal", "scenes": []}, "was built for the scenario 'edge-goal', not 'cleaning-robot'"),
]


@pytest.mark.parametrize(("content", "message"), SUITE_CASES)
def test_a_damaged_suite_json_names_the_field_and_the_fix(tmp_path, content, message):
    run = _fake_run(tmp_path / "run")
    (run / "suite.json").write_text(json.dumps(content))
    for args in (("attribute", str(run)), ("validate", "cleaning-robot", "--suite", str(run / "suite.json"))):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert message in text, text
        assert "Traceback" not in result.output
    assert not (run / "attribution.json").exists()


ATTRIBUTION_CASES = [
    ({"verdict": 3, "weights": {}}, 'attribution.json: "verdict" must be a string, got 3'),
    ({"verdict": "mixed", "weights": []}, '"weights" must be a JSON object, got a list'),
    ({"verdict": "mixed", "weights": {"a": {"mean": "high", "lo": 0, "hi": 1}}}, '"weights.a.mean" must be a number, got "high"'),
    ({"verdict": "mixed", "weights": {"a": {"mean": 0.5}}}, '"weights.a.lo" is missing'),
    ({"verdict": "mixed"}, '"weights" is missing'),
    ({"verdict": "mixed", "weights": {}, "scenes": [{"id": 1}]}, '"scenes[0].id" must be a string, got 1'),
    ({"verdict": "mixed", "weights": {}, "value_probe": {"interventions": "none"}}, '"value_probe.interventions" must be a list'),
    ([], "attribution.json: the file must hold a JSON object, got a list"),
]


@pytest.mark.parametrize(("content", "message"), ATTRIBUTION_CASES)
def test_a_damaged_attribution_json_names_the_field_and_the_fix(tmp_path, content, message):
    run = _fake_run(tmp_path / "run")
    (run / "attribution.json").write_text(json.dumps(content))
    result = invoke("report", str(run))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert message in text and "proxy-sandbox attribute" in text, text
    assert "Traceback" not in result.output
    assert not (run / "report.html").exists()


# -- run: a damaged model.zip is not reused ---------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "not-a-model", "bad-crc"])
def test_run_does_not_reuse_a_damaged_model_zip(tmp_path, monkeypatch, damage):
    import proxies
    import proxies.run.pipeline as pipeline
    from proxies.errors import ProxiesError
    from proxies.run.rundir import prepare
    from proxies.run.training import TrainConfig

    run = tmp_path / "run"
    prepare(run, TrainConfig("cleaning-robot", steps=256), proxies.get_scenario("cleaning-robot"))
    with zipfile.ZipFile(run / "model.zip", "w") as archive:
        archive.writestr("data", "{}" * 2000)
        archive.writestr("policy.pth", b"\0" * 4000)
    raw = (run / "model.zip").read_bytes()
    if damage == "truncated":
        (run / "model.zip").write_bytes(raw[: len(raw) // 2])
    elif damage == "not-a-model":
        with zipfile.ZipFile(run / "model.zip", "w") as archive:
            archive.writestr("readme.txt", "hello")
    else:
        at = raw.index(b"{}" * 10)
        (run / "model.zip").write_bytes(raw[:at] + b"[]" + raw[at + 2:])

    class Trained(ProxiesError):
        pass

    def train(*args, **kwargs):
        raise Trained("train was called")

    monkeypatch.setattr(pipeline, "train", train)
    result = invoke("run", "cleaning-robot", "--steps", "256", "--out", str(run))
    text = " ".join(result.output.split())
    assert "is damaged (" in text and "training it again" in text and "train was called" in text, text
    assert "reusing" not in text
    assert not (run / "model.zip").exists()


# -- the run root, $TMPDIR, and progress without a terminal ------------------------------------------------


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_a_slug_cannot_move_the_default_run_directory_out_of_runs(tmp_path, monkeypatch):
    from proxies.run.rundir import default_run_dir
    from proxies.run.training import TrainConfig

    config = TrainConfig("cleaning-robot", steps=256)
    assert default_run_dir(config, "../../x").parent == Path("runs")
    assert default_run_dir(config, "/etc/passwd").parent == Path("runs")
    assert default_run_dir(config, "..").name.startswith("scenario-")
    evil = tmp_path / "project" / "evil.py"
    evil.parent.mkdir()
    evil.write_text((FIXTURES / "edge_goal.py").read_text().replace('slug="edge-goal"', 'slug="../../x"'))
    monkeypatch.chdir(evil.parent)
    with isolated_registry():
        result = invoke("train", "evil.py", "--steps", "256")
    # such a slug is refused where it is declared, before anything is written
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "slug '../../x' cannot be a command-line name and a folder name" in text and "use 'x'" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"] and not (evil.parent / "runs").exists()


def test_train_leaves_nothing_in_tmpdir(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = _cli("train", "cleaning-robot", "--steps", "256", "--out", "run", cwd=tmp_path, env={"TMPDIR": str(tmp)})
    assert result.returncode == 0, result.stderr
    assert list(tmp.iterdir()) == []  # torch's import of torch._dynamo makes torchinductor_<user>; it is removed


def test_train_prints_plain_progress_lines_when_not_in_a_terminal(tmp_path):
    result = _cli("train", "cleaning-robot", "--steps", "2048", "--out", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "training cleaning-robot on cleanliness: started (0/2,048)" in lines
    assert any(line.startswith("training cleaning-robot on cleanliness: 50% (") for line in lines)
    assert any(line.startswith("training cleaning-robot on cleanliness: done (2,048/2,048)") for line in lines)
    assert 5 <= len(lines) <= 20  # a line per tenth, not per step
    assert "━" not in result.stderr


def test_suite_prints_plain_progress_lines_when_not_in_a_terminal(tmp_path):
    result = _cli("suite", str(FIXTURES / "edge_goal.py"), "--out", "s", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "competence of the references: started (0/3)" in lines
    assert any(line.startswith("gating") and ": done (" in line for line in lines)
    assert json.loads(result.stdout)["scenario"] == "edge-goal"  # stdout stays clean JSON


def test_plain_progress_prints_a_line_per_tenth_and_after_a_silence():
    import io

    from rich.console import Console

    from proxies.present.progress import PlainProgress, progress_display, status

    out = Console(file=io.StringIO(), width=200)
    assert isinstance(progress_display(out), PlainProgress)  # not a terminal: plain lines, not rich's live bars
    bar = PlainProgress(out, interval=3600)
    task = bar.add_task("work", total=100)
    for _ in range(100):
        bar.advance(task)
    lines = out.file.getvalue().splitlines()
    assert lines[0] == "work: started (0/100)" and lines[-1].startswith("work: done (100/100) in")
    assert [line.split(":")[1].split()[0] for line in lines[1:-1]] == [f"{10 * k}%" for k in range(1, 10)]
    quiet = Console(file=io.StringIO(), width=200)
    with status(quiet, "thinking hard", interval=0.05):
        time.sleep(0.3)
    said = quiet.file.getvalue().splitlines()
    assert said[0] == "thinking hard ..." and "  still thinking hard (0 s)" in said and said[-1].startswith("  done in")


def test_a_stray_file_system_error_is_one_line_naming_the_path(tmp_path, monkeypatch):
    from fake_run import make_run_dir

    import proxies.present.report as report

    run = make_run_dir(tmp_path)

    def denied(run_dir, docs=None):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(run_dir / "report.html"))

    monkeypatch.setattr(report, "write_report", denied)
    result = invoke("report", str(run))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"Cannot write {run / 'report.html'}: permission denied" in text and "Traceback" not in result.output


def test_attribute_prints_the_cue_probe_and_keeps_it_in_the_json(tmp_path, monkeypatch):
    from fake_run import CUE_PROBE, make_run_dir

    import proxies.api

    run = make_run_dir(tmp_path)
    data = {**json.loads((run / "attribution.json").read_text()), "headline": "misgeneralized (dust_in_pan)",
            "cue_probe": CUE_PROBE}
    monkeypatch.setattr(proxies.api, "attribute", lambda *args, **kwargs: data)
    monkeypatch.setenv("COLUMNS", "200")  # the table's cells on one line each
    result = invoke("attribute", str(run))
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "cue: The agent behaves differently when only a cue changes" in text
    assert "lamp=red" in text and "-0.81 [-0.9, -0.7]" in text and "FINDING" in text and "invariant" in text
    shown = json.loads(invoke("attribute", str(run), "--json").output.split("\n", 1)[1])
    assert shown["cue_probe"] == CUE_PROBE
