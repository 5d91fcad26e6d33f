"""The process executor: a stop starts no queued job, breaks no pool and leaves no worker behind."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from proxies.errors import Interrupted
from proxies.run.executors import ProcessExecutor


def live_processes() -> dict[int, int]:
    """Linux: every process that still runs, pid -> process group (an exited one may linger as a zombie until it is
    reaped; it has ended, and is left out)."""
    alive = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            alive[int(stat.parent.name)] = int(fields[2])
    return alive


def _nap(seconds: float) -> int:
    """A job: sleeps (SIGTERM stops it), then returns its worker's pid."""
    time.sleep(seconds)
    return os.getpid()


def test_a_stop_starts_no_queued_job_and_joins_every_worker():
    executor = ProcessExecutor(1)
    workers = list(executor._pool._processes)  # their pids
    stream = executor.submit(_nap, [30.0, 0.0, 0.0])  # one runs; two wait in the pool's queue
    next(stream)  # a heartbeat: the first job is under way
    left = executor.stop(patience=20.0)
    executor.close()
    errors = [exc for _, _, exc in left]
    assert errors and all(isinstance(exc, KeyboardInterrupt | Interrupted) for exc in errors), errors
    assert any(isinstance(exc, Interrupted) and exc.signum == 15 for exc in errors)  # a queued job, handed back whole
    if sys.platform.startswith("linux"):
        assert not set(workers) & set(live_processes())


def test_jobs_run_to_the_end_without_a_stop():
    executor = ProcessExecutor(2)
    try:
        done = sorted(i for i, result, exc in executor.submit(_nap, [0.0, 0.0, 0.0]) if i >= 0 and exc is None)
    finally:
        executor.close()
    assert done == [0, 1, 2]
