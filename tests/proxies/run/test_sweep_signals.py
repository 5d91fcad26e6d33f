"""A sweep killed with SIGKILL resumes to the results of an uninterrupted one; Ctrl-C stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from rich.console import Console
from test_executors import live_processes
from test_sweep import TINY, _results

from proxies import get_scenario
from proxies.run.config import RunConfig
from proxies.run.sweep import SweepConfig, run_sweep

ROOT = Path(__file__).resolve().parents[3]
LONGER = TINY.to_dict() | {"steps": 4096}

CHILD = """
import sys
from pathlib import Path
from proxies import get_scenario
from proxies.errors import Interrupted
from proxies.run.config import RunConfig
from proxies.run.sweep import SweepConfig, run_sweep
sweep = SweepConfig(RunConfig.from_dict({config!r}), (0.0, 1.0), seeds={seeds})
try:
    run_sweep(get_scenario("cleaning-robot"), "cleaning-robot", sweep, Path(sys.argv[1]), workers=2, report=False)
except Interrupted as exc:
    print("stopped:", exc, file=sys.stderr)
    sys.exit(exc.exit_code)
"""


def _fresh_signals() -> None:
    """In the child: default SIGINT and SIGTERM, whatever the test process had (a background job ignores SIGINT)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _sweep(out: Path, seeds: int = 1) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD.format(config=LONGER, seeds=seeds), str(out)], env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=_fresh_signals,
    )


def _wait_for_a_checkpoint(child: subprocess.Popen, out: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and child.poll() is None:
        for resume in out.glob("*/checkpoints/resume.json"):
            try:
                if json.loads(resume.read_text())["steps"] >= 1024:
                    return
            except (OSError, ValueError):
                pass
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint came (child ended: {child.poll()})")


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_resumes_to_the_uninterrupted_results(tmp_path):
    scenario = get_scenario("cleaning-robot")
    sweep = SweepConfig(RunConfig.from_dict(LONGER), (0.0, 1.0), seeds=1)
    quiet = Console(file=open(os.devnull, "w"))
    run_sweep(scenario, "cleaning-robot", sweep, tmp_path / "whole", workers=2, console=quiet, report=False)
    child = _sweep(tmp_path / "killed")
    try:
        _wait_for_a_checkpoint(child, tmp_path / "killed")
        os.killpg(child.pid, signal.SIGKILL)  # the driver and its workers, as a crash or an OOM killer would
    finally:
        child.kill()
        child.wait()
    assert not _results(tmp_path / "killed")
    again = run_sweep(scenario, "cleaning-robot", sweep, tmp_path / "killed", workers=2, console=quiet, report=False)
    assert {r["state"] for r in again["runs"]} == {"done"}
    resumed = [json.loads(p.read_text())["resumed_from"] for p in (tmp_path / "killed").glob("*/training.json")]
    assert max(resumed) >= 1024  # at least one run resumed rather than starting over
    assert _results(tmp_path / "killed") == _results(tmp_path / "whole")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_a_sweep_cleanly_and_starts_no_queued_run(tmp_path, signum):
    child = _sweep(tmp_path / "out", seeds=2)  # 4 runs on 2 workers: 2 wait in the pool's queue
    try:
        _wait_for_a_checkpoint(child, tmp_path / "out")
        child.send_signal(signum)  # to the driver only: it stops its workers itself
        _, err = child.communicate(timeout=180)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 128 + signum, err
    assert "sweep stopped" in err and "Run the same command again to resume" in err and "Traceback" not in err
    assert "BrokenProcessPool" not in err
    started = [d for d in (tmp_path / "out").iterdir() if (d / "checkpoints").exists() or (d / "model.zip").exists()]
    assert len(started) <= 2, f"a queued run trained after the stop: {started}"
    if sys.platform.startswith("linux"):
        assert [pid for pid, group in live_processes().items() if group == child.pid] == [], "a worker outlived the driver"
    assert _leftovers(tmp_path) == []
    for model in (tmp_path / "out").glob("*/model.zip"):  # any model written is whole
        assert zipfile.ZipFile(model).testzip() is None
