"""Executors of a sweep's runs: the standard library's process pool (default) or Ray core tasks.

Both run :func:`proxies.run.sweep.run_job` once per run, with one CPU and one torch thread each,
and hand back each run's result as it finishes. Neither schedules anything itself.

- :class:`ProcessExecutor`: ``concurrent.futures.ProcessPoolExecutor`` (forked where the platform can), nothing to start.
- :class:`RayExecutor`: ``ray.remote(num_cpus=1)`` tasks, on a local Ray started here
  (``ray.init(num_cpus=workers)``) or on an existing cluster (``address=``); needs the ``[ray]``
  extra. Without a shared file system, pass ``ship=True`` to the jobs: their files come back to the driver.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any
from urllib.parse import urlsplit

import torch

from proxies.errors import Interrupted, SweepError
from proxies.signals import raise_stop

__all__ = ["ProcessExecutor", "RayExecutor", "check_backend", "make_executor", "ADDRESS_TIMEOUT"]

ADDRESS_TIMEOUT = 10.0
"""Seconds to wait for a Ray cluster's address to answer before giving up [s]."""

Done = tuple[int, Any, BaseException | None]
"""A finished job: its index, its result (or None) and the exception it raised (or None)."""


_STOP: Any = None
"""In a pool worker: the driver's stop event (a ``multiprocessing.Event``); once set, no queued job starts."""

_PARENT_DEATH_SIGNAL = signal.SIGKILL
"""What a worker gets when its driver dies (Linux): nothing would collect its results, and every file is written
whole or not at all."""


def _die_with_the_driver() -> None:
    """In a pool worker on Linux: ``prctl(PR_SET_PDEATHSIG)``, so that a driver killed outright (SIGKILL, the OOM
    killer) leaves no worker behind. The signal comes when the *thread* that forked the worker ends: a
    :class:`ProcessExecutor` is made and used in one thread (``run_sweep``'s)."""
    if not sys.platform.startswith("linux"):
        return
    driver = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(_PARENT_DEATH_SIGNAL))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != driver:  # the driver died before prctl took effect
        os.kill(os.getpid(), _PARENT_DEATH_SIGNAL)


def _init_worker(stop: Any) -> None:
    """In each pool worker: one torch thread; Ctrl-C goes to the driver, which stops the workers itself.

    Between jobs SIGTERM is ignored (killing a worker while it waits on the pool's queue would leave the queue's
    lock held, and the pool could never shut down); during a job it stops the job (:func:`_pool_job`).
    """
    global _STOP
    _STOP = stop
    torch.set_num_threads(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_the_driver()


def _pool_job(fn: Callable[[Any], Any], job: Any) -> Any:
    """Run ``fn(job)`` in a pool worker, where SIGTERM raises :class:`~proxies.signals.Terminated` (training
    catches it first, to save a checkpoint); a job the driver stopped before it started raises
    :class:`~proxies.errors.Interrupted` at once."""
    signal.signal(signal.SIGTERM, raise_stop)
    try:
        if _STOP is not None and _STOP.is_set():
            raise Interrupted("the sweep was stopped before this run started", signal.SIGTERM)
        return fn(job)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _start_method() -> str:
    """``fork`` where the platform has it (a worker starts at once, with the driver's imports), else ``spawn``."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


class ProcessExecutor:
    """Runs jobs on ``workers`` processes of a ``ProcessPoolExecutor``, all started here.

    Where the platform can fork, the workers are forked from the driver, which has already imported
    torch and stable-baselines3: a spawned worker would spend seconds importing them again. They are
    forked here, before the driver starts any thread (the progress display's), so no lock is copied
    while a thread holds it; elsewhere they are spawned.
    """

    name = "process"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        context = multiprocessing.get_context(_start_method())
        self._stop = context.Event()
        self._pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(self._stop,))
        self._pool.submit(os.getpid).result()  # a forking pool starts all its workers on its first job
        self._running: dict[Future, int] = {}

    def submit(self, fn: Callable[[Any], Any], jobs: Sequence[Any]) -> Iterator[Done]:
        """Run ``fn(job)`` for every job; yields each as it finishes (``timeout``: wakes every second)."""
        self._running = {self._pool.submit(_pool_job, fn, job): i for i, job in enumerate(jobs)}
        while self._running:
            done, _ = wait(self._running, timeout=1.0, return_when=FIRST_COMPLETED)
            if not done:
                yield (-1, None, None)  # a heartbeat, for the progress display
            for future in done:
                i = self._running.pop(future)
                exc = future.exception()
                yield (i, None if exc else future.result(), exc)

    def stop(self, patience: float = 120.0) -> list[Done]:
        """Stop: no queued job starts, the running ones get SIGTERM (training saves a checkpoint), and every worker
        has ended when this returns (one still running after ``patience`` seconds is killed).

        SIGTERM is sent again every second until every job has ended, since one may start between two signals.
        """
        self._stop.set()
        processes = list((getattr(self._pool, "_processes", None) or {}).values())  # shutdown() forgets them
        self._pool.shutdown(wait=False, cancel_futures=True)
        live = {future: i for future, i in self._running.items() if not future.cancel()}
        deadline = time.monotonic() + patience
        while not all(future.done() for future in live) and time.monotonic() < deadline:
            for process in processes:
                if process.is_alive():
                    with contextlib.suppress(OSError):
                        os.kill(process.pid, signal.SIGTERM)
            wait(live, timeout=1.0)
        for process in processes:  # they exit once the pool's manager has told them to
            process.join(max(deadline - time.monotonic(), 1.0))
            if process.is_alive():
                process.kill()
                process.join()
        self._running = {}
        return [(i, None, future.exception() if future.done() else None) for future, i in live.items()]

    def close(self) -> None:
        """Shut the pool down."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _check_address(address: str) -> None:
    """A clear :class:`SweepError` within :data:`ADDRESS_TIMEOUT` seconds if ``address`` does not answer."""
    if address == "auto":
        return
    parts = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise SweepError(f"--address {address!r} is not host:port (e.g. 10.0.0.5:6379, ray://head:10001) nor 'auto'.")
    try:
        socket.create_connection((host, port), timeout=ADDRESS_TIMEOUT).close()
    except OSError as exc:
        raise SweepError(
            f"--address {address}: no Ray cluster answers there ({exc.strerror or exc}); start one (`ray start --head`), "
            "check the host and port, or drop --address to run Ray locally."
        ) from None


def _import_ray() -> Any:
    try:
        import ray  # an optional dependency (the [ray] extra), imported only for --backend ray
    except ImportError:
        raise SweepError(
            "--backend ray needs Ray, which is not installed; install the extra: pip install 'proxy-sandbox[ray]' "
            "(or use the default --backend process)."
        ) from None
    return ray


class RayExecutor:
    """Runs jobs as Ray core tasks with ``num_cpus=1`` each."""

    name = "ray"

    def __init__(self, workers: int, address: str | None = None, *, temp_dir: str | None = None) -> None:
        self._ray = ray = _import_ray()
        self.workers = workers
        self._own = not ray.is_initialized()
        if address is not None:
            _check_address(address)
        self._handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
        if self._own:
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address is None:
                options["num_cpus"] = workers
            if temp_dir is not None:
                options["_temp_dir"] = temp_dir
            try:
                ray.init(address=address, **options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise SweepError(f"Ray could not start or connect ({exc}); check --address, or drop it.") from None
        self._refs: dict[Any, int] = {}

    def submit(self, fn: Callable[[Any], Any], jobs: Sequence[Any]) -> Iterator[Done]:
        """Run ``fn(job)`` as one task per job; yields each as it finishes."""
        ray = self._ray
        task = ray.remote(num_cpus=1, max_retries=0)(_ray_job)
        self._refs = {task.remote(fn, job): i for i, job in enumerate(jobs)}
        while self._refs:
            done, _ = ray.wait(list(self._refs), num_returns=1, timeout=1.0)
            if not done:
                yield (-1, None, None)
            for ref in done:
                i = self._refs.pop(ref)
                try:
                    yield (i, ray.get(ref), None)
                except ray.exceptions.RayTaskError as exc:
                    yield (i, None, exc.as_instanceof_cause())
                except ray.exceptions.RayError as exc:
                    yield (i, None, exc)

    def stop(self) -> list[Done]:
        """Cancel every task not finished (a running one gets KeyboardInterrupt; files are written whole or not at all)."""
        left = []
        for ref, i in self._refs.items():
            self._ray.cancel(ref)
            left.append((i, None, KeyboardInterrupt()))
        deadline = time.monotonic() + 30
        while self._refs and time.monotonic() < deadline:
            done, _ = self._ray.wait(list(self._refs), num_returns=len(self._refs), timeout=1.0)
            if len(done) == len(self._refs):
                break
        self._refs = {}
        return left

    def close(self) -> None:
        """Shut a Ray started here down (a cluster given by address is left running), and give the driver back
        the SIGINT and SIGTERM handlers that ``ray.init`` replaced."""
        if self._own:
            self._ray.shutdown()
        for signum, handler in self._handlers.items():
            if handler is not None:
                signal.signal(signum, handler)


def _ray_job(fn: Callable[[Any], Any], job: Any) -> Any:
    torch.set_num_threads(1)
    return fn(job)


def check_backend(backend: str, address: str | None = None) -> None:
    """A :class:`SweepError` for an unknown backend, an address without Ray, Ray missing or an address that does
    not answer: all before a sweep writes anything."""
    if backend not in ("process", "ray"):
        raise SweepError(f"Unknown --backend {backend!r}; give process (the default) or ray.")
    if backend == "process" and address is not None:
        raise SweepError("--address applies to --backend ray only; drop it, or add --backend ray.")
    if backend == "ray":
        _import_ray()
        if address is not None:
            _check_address(address)


def make_executor(backend: str, workers: int, address: str | None = None, **options: Any) -> ProcessExecutor | RayExecutor:
    """The executor for ``--backend``: ``process`` or ``ray`` (checked by :func:`check_backend`)."""
    check_backend(backend, address)
    if backend == "process":
        return ProcessExecutor(workers)
    return RayExecutor(workers, address, **options)
