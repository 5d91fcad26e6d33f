"""The command line of sweeps and of CI gates: bad input gets a typed one-line error (exit 2); --fail-on, --format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from run.test_sweep import TINY
from typer.testing import CliRunner

from proxies.cli import app
from proxies.present.summary import parse_fail_on
from proxies.run.pipeline import run
from proxies.schemas import VERDICTS

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.mark.parametrize(("args", "message"), [
    (("--mix", "0,2"), "outside [0, 1]"),
    (("--mix", "0,0.1,0.1"), "repeats 0.1"),
    (("--mix", "zero"), "is not a number"),
    (("--seeds", "0"), "--seeds must be at least 1"),
    (("--workers", "0"), "--workers must be at least 1"),
    (("--backend", "dask"), "Unknown --backend"),
    (("--address", "127.0.0.1:1"), "--address applies to --backend ray only"),
    (("--steps", "0"), "--steps must be a positive"),
])
def test_bad_sweep_input_is_a_typed_error_and_writes_nothing(tmp_path, args, message):
    result = invoke("sweep", "cleaning-robot", "--out", str(tmp_path / "sweep"), *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output
    assert not (tmp_path / "sweep").exists()


def test_sweep_report_of_a_folder_without_a_sweep_names_the_fix(tmp_path):
    result = invoke("sweep-report", str(tmp_path))
    assert result.exit_code == 2 and "holds no sweep" in result.output


def test_shared_options_are_declared_once_and_reach_train_run_and_sweep():
    for command in ("train", "run", "sweep"):
        text = " ".join(invoke(command, "--help").output.split())
        assert "--steps" in text and "--objective" in text and "--algorithm" in text
    assert "--seed " in " ".join(invoke("train", "--help").output.split())


@pytest.fixture(scope="module")
def attributed(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("cli") / "run"
    data = run("cleaning-robot", TINY, out, console=Console(file=open("/dev/null", "w")), report=False, progress=False)
    return out, data["verdict"]


def test_fail_on_exits_1_on_a_listed_verdict_only(attributed):
    out, verdict = attributed
    others = ",".join(v for v in VERDICTS if v != verdict)  # "unstable" included
    assert invoke("attribute", str(out), "--fail-on", others).exit_code == 0
    failed = invoke("attribute", str(out), "--fail-on", f"{verdict},mixed")
    assert failed.exit_code == 1 and f"verdict {verdict}" in failed.output
    data = json.loads((out / "attribution.json").read_text())
    assert data["schema_version"] == 3 and data["verdict"] == verdict



def test_fail_on_takes_every_verdict():
    assert parse_fail_on(",".join(VERDICTS)) == set(VERDICTS) and "unstable" in VERDICTS


def test_markdown_format_prints_a_short_summary(attributed):
    out, verdict = attributed
    result = invoke("attribute", str(out), "--format", "markdown")
    assert result.exit_code == 0
    assert f"verdict **{verdict}**" in result.stdout and "| objective | weight | 90% interval |" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("--fail-on", "misgeneralised"), "did you mean 'misgeneralized'"),
    (("--fail-on", ","), "--fail-on is empty"),
    (("--format", "html"), "--format 'html' is not known"),
])
def test_bad_fail_on_or_format_is_refused_before_any_work(tmp_path, args, message):
    result = invoke("attribute", str(tmp_path / "missing"), *args)
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_the_sweep_benchmark_needs_two_runs_at_least():
    result = invoke("bench", "--sweep", "1")
    assert result.exit_code == 2 and "--sweep needs at least 2 runs" in " ".join(result.output.split())
