"""Stopping cleanly on Ctrl-C (SIGINT) and SIGTERM.

Two behaviours, one per kind of work:

- :class:`StopRequest` — during training: the first signal only sets a flag, which a
  stable-baselines3 callback reads to stop learning; the trainer then saves a checkpoint and raises
  :class:`~proxies.errors.Interrupted`. A second signal stops at once (:class:`Terminated` /
  ``KeyboardInterrupt``).
- :func:`terminate_raises` — everywhere else: SIGTERM raises :class:`Terminated` (as SIGINT raises
  ``KeyboardInterrupt``), so ``finally`` blocks and context managers run: temporary files and
  folders are removed, and atomic writes (:mod:`proxies.files`) leave no half-written file.

The command line turns both into a one-line message and exit code 128 + the signal's number
(130 for SIGINT, 143 for SIGTERM). Handlers are installed only in the main thread, and a signal
the parent process ignores (a background job's SIGINT) stays ignored.

A stop is never lost where Python cannot raise: under a pymunk callback the handler does not raise
(the callback's work is the simulation's), and a stop raised where CPython prints and drops the
exception (a destructor, such as pymunk's, which the garbage collector runs; a ``__del__``; a weakref
callback) reaches ``sys.unraisablehook``. Either way the signal is handled again a moment later.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["Terminated", "StopRequest", "terminate_raises", "raise_stop", "signal_name", "exit_code"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM (a ``KeyboardInterrupt``, so ``except Exception`` does not swallow it)."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum

    def __reduce__(self) -> tuple[type, tuple[int]]:
        """Pickled with its signal (a sweep's worker hands it back to the driver)."""
        return type(self), (self.signum,)


def signal_name(signum: int) -> str:
    """``"SIGINT"`` for 2, and so on."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_code(exc: BaseException) -> int:
    """128 + the number of the signal behind ``exc`` (a plain ``KeyboardInterrupt`` is SIGINT: 130)."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


_CALLBACKS = os.path.join("pymunk", "_callbacks.py")
"""pymunk's trampolines from chipmunk into Python: an exception raised under one is printed and lost
(cffi swallows it), so a signal must not raise there."""


def _in_physics_callback(frame: FrameType | None) -> bool:
    """Whether the signal came while Python code ran under one of pymunk's C callbacks."""
    while frame is not None:
        if frame.f_code.co_filename.endswith(_CALLBACKS):
            return True
        frame = frame.f_back
    return False


_DEFERRED: list[int] = []
"""Signals that came under a physics callback, or whose stop was dropped, to be handled again a moment later."""
_RETRY = 0.002
"""How long a deferred signal waits [s]: a callback takes microseconds (one that comes under another is deferred again)."""


def _defer(signum: int) -> None:
    """Handle ``signum`` again in a moment (:data:`_RETRY`), through SIGALRM."""
    _DEFERRED.append(signum)
    signal.signal(signal.SIGALRM, _redeliver)
    signal.setitimer(signal.ITIMER_REAL, _RETRY)


def _redeliver(alarm: int, frame: FrameType | None) -> None:
    """SIGALRM handler: handle the deferred signal now (its handler raises, or defers it again)."""
    if _DEFERRED:
        signum = _DEFERRED.pop()
        handler = signal.getsignal(signum)
        if callable(handler):
            handler(signum, frame)
        else:  # its handler is gone: the signal's own default action
            os.kill(os.getpid(), signum)


def _stop(signum: int) -> KeyboardInterrupt:
    """The exception a stop by ``signum`` raises, marked with its ``signum``."""
    if signum != signal.SIGINT:
        return Terminated(signum)
    exc = KeyboardInterrupt()
    exc.signum = signum  # type: ignore[attr-defined]
    return exc


def raise_stop(signum: int, frame: FrameType | None) -> None:
    """Raise the stop; under a physics callback, handle the signal again a moment later instead, once the
    callback has returned to the physics step."""
    if _in_physics_callback(frame):
        _defer(signum)
        return
    raise _stop(signum)


@contextlib.contextmanager
def _dropped_stops_redelivered() -> Iterator[None]:
    """Within the block, a stop that CPython drops (raised under a destructor or a C callback, where it prints
    "Exception ignored" and goes on) is handled again a moment later instead."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        exc = unraisable.exc_value
        if isinstance(exc, KeyboardInterrupt) and getattr(exc, "signum", None) in STOP_SIGNALS and _main_thread():
            _defer(exc.signum)
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


@contextlib.contextmanager
def terminate_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` and SIGINT ``KeyboardInterrupt`` in the main
    thread, also when they arrive during a physics step or a destructor (then the old handlers are back)."""
    if not _main_thread():
        yield
        return
    previous = {}
    for signum, default in ((signal.SIGTERM, signal.SIG_DFL), (signal.SIGINT, signal.default_int_handler)):
        if signal.getsignal(signum) is default:  # an ignored signal (a background job's SIGINT) stays ignored
            previous[signum] = signal.signal(signum, raise_stop)
    try:
        with _dropped_stops_redelivered():
            yield
    finally:
        if _DEFERRED:
            signal.setitimer(signal.ITIMER_REAL, 0)  # before the handlers go, so that no retry outlives them
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        deferred = _DEFERRED[-1:]
        _DEFERRED.clear()  # none is left for a later block
    if deferred:  # a signal deferred in the block's last moment stops it here
        raise _stop(deferred[0])


class StopRequest:
    """Within ``with StopRequest() as stop:``, SIGINT and SIGTERM set ``stop.signum`` instead of stopping.

    Work checks ``stop.requested`` at safe points (each training step). A second signal while the
    first is pending raises at once: ``KeyboardInterrupt`` for SIGINT, :class:`Terminated` for SIGTERM.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    @property
    def requested(self) -> bool:
        """Whether a signal asked the work to stop."""
        return self.signum is not None

    @property
    def name(self) -> str:
        """The signal's name (``"SIGINT"``), or ``""``."""
        return signal_name(self.signum) if self.signum is not None else ""

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:  # asked twice: stop now
            raise_stop(signum, frame)
            return
        self.signum = signum

    def __enter__(self) -> StopRequest:
        if _main_thread():
            for signum in STOP_SIGNALS:
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()
