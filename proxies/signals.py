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
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "StopRequest", "terminate_raises", "signal_name", "exit_code"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM (a ``KeyboardInterrupt``, so ``except Exception`` does not swallow it)."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


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


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def terminate_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread (then the old handler is back)."""
    if not _main_thread() or signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise Terminated(signum)
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
