"""A sweep killed with SIGKILL resumes to the results of an uninterrupted one; a signal to its driver alone stops
every worker, and the sweep resumes."""

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
from test_sweep import TINY, _results

from proxies import get_scenario
from proxies.run.config import RunConfig
from proxies.run.sweep import SweepConfig, run_sweep

ROOT = Path(__file__).resolve().parents[3]
LONGER = TINY.to_dict() | {"steps": 4096}

CHILD = """
import multiprocessing
import sys
from pathlib import Path
from proxies import get_scenario
from proxies.errors import Interrupted
from proxies.run.config import RunConfig
from proxies.run.sweep import SweepConfig, run_sweep
from proxies.signals import terminate_raises
sweep = SweepConfig(RunConfig.from_dict({config!r}), (0.0, 1.0), seeds=int(sys.argv[2]))
try:
    with terminate_raises():  # as the command line runs it
        run_sweep(get_scenario("cleaning-robot"), "cleaning-robot", sweep, Path(sys.argv[1]), workers=2, report=False)
except Interrupted as exc:
    print("stopped:", exc, file=sys.stderr)
    print("workers alive:", len(multiprocessing.active_children()), file=sys.stderr)
    sys.exit(exc.exit_code)
"""


def _fresh_signals() -> None:
    """In the child: default SIGINT and SIGTERM, whatever the test process had (a background job ignores SIGINT)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _sweep(out: Path, seeds: int = 1) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD.format(config=LONGER), str(out), str(seeds)], env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=_fresh_signals,
    )


def _wait_for_a_checkpoint(child: subprocess.Popen, out: Path, steps: int = 1024) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and child.poll() is None:
        for resume in out.glob("*/checkpoints/resume.json"):
            try:
                if json.loads(resume.read_text())["steps"] >= steps:
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


def _children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (from /proc: Linux)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        if int(parent) == pid and state != "Z":
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; workers die with the driver on Linux")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -9)])
def test_a_signal_to_the_driver_alone_stops_every_worker_and_the_sweep_resumes(tmp_path, signum, code):
    child = _sweep(tmp_path / "out", seeds=2)  # 4 runs on 2 workers: 2 wait in the pool's queue
    try:
        _wait_for_a_checkpoint(child, tmp_path / "out", steps=512)
        workers = _children(child.pid)
        assert len(workers) == 2
        child.send_signal(signum)  # to the driver only, as a job scheduler or `timeout` sends it
        _, err = child.communicate(timeout=300)
    finally:
        child.kill()
    assert child.returncode == code, err
    if signum != signal.SIGKILL:  # it stopped its workers itself before it said so
        assert "sweep stopped" in err and "Run the same command again to resume" in err and "Traceback" not in err
        assert "workers alive: 0" in err
    deadline = time.monotonic() + 60  # a bound on liveness, not a measure of speed
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, workers))
    assert _leftovers(tmp_path) == []
    for model in (tmp_path / "out").glob("*/model.zip"):  # any model written is whole
        assert zipfile.ZipFile(model).testzip() is None
    interrupted = SweepConfig(RunConfig.from_dict(LONGER), (0.0,), seeds=2)  # the two runs that were training
    quiet = Console(file=open(os.devnull, "w"))
    again = run_sweep(get_scenario("cleaning-robot"), "cleaning-robot", interrupted, tmp_path / "out", workers=2,
                      console=quiet, report=False)
    assert {r["state"] for r in again["runs"]} == {"done"}
    resumed = [json.loads(p.read_text())["resumed_from"] for p in (tmp_path / "out").glob("*/training.json")]
    assert max(resumed) >= 512  # from its checkpoint
