"""Progress that shows whether or not a terminal is watching.

In a terminal the long commands draw rich's live bars and spinners. Rich draws nothing when its
console is not a terminal (output piped to a file, a CI log, a job scheduler), so there
:func:`progress_display` and :func:`status` print plain lines instead: a line when a task starts,
one at every further tenth of it or after :data:`PLAIN_INTERVAL` seconds without one, and one
when it ends.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import Progress

__all__ = ["PLAIN_INTERVAL", "is_terminal", "PlainProgress", "progress_display", "status"]

PLAIN_INTERVAL = 30.0
"""Longest silence between two plain progress lines [s]."""


def is_terminal(console: Console | None) -> bool:
    """Whether ``console`` (default: stderr) writes to a terminal, where rich's live displays show."""
    return (console or Console(stderr=True)).is_terminal


@dataclass
class _Task:
    description: str
    total: float | None
    completed: float = 0.0
    start: float = field(default_factory=time.monotonic)
    last_time: float = field(default_factory=time.monotonic)
    last_tenth: int = 0
    finished: bool = False


class PlainProgress:
    """The part of ``rich.progress.Progress`` the pipeline uses (``add_task``, ``advance``, ``update``), as plain lines."""

    def __init__(self, console: Console | None = None, interval: float = PLAIN_INTERVAL) -> None:
        self.console = console or Console(stderr=True)
        self.interval = interval
        self._tasks: dict[int, _Task] = {}

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start(self) -> None:
        """Nothing to start (rich compatibility)."""

    def stop(self) -> None:
        """Nothing to stop (rich compatibility)."""

    def _line(self, text: str) -> None:
        self.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def add_task(self, description: str, total: float | None = None, **_: Any) -> int:
        """Start a task; prints its first line."""
        task_id = len(self._tasks)
        self._tasks[task_id] = _Task(description, total)
        shown = f" (0/{total:,.0f})" if total else ""
        self._line(f"{description}: started{shown}")
        return task_id

    def advance(self, task_id: int, advance: float = 1) -> None:
        """Add ``advance`` to the task's completed amount."""
        task = self._tasks[task_id]
        self.update(task_id, completed=task.completed + advance)

    def update(self, task_id: int, *, completed: float | None = None, advance: float | None = None, **_: Any) -> None:
        """Set (or advance) the task's completed amount; prints a line at each tenth or after ``interval`` seconds."""
        task = self._tasks[task_id]
        if completed is not None:
            task.completed = completed
        if advance is not None:
            task.completed += advance
        now = time.monotonic()
        if task.total:
            fraction = min(task.completed / task.total, 1.0)
            tenth = int(fraction * 10 + 1e-9)
            if fraction >= 1.0 and not task.finished:
                task.finished = True
                self._line(f"{task.description}: done ({task.total:,.0f}/{task.total:,.0f}) in {now - task.start:.0f} s")
                task.last_time = now
            elif tenth > task.last_tenth or now - task.last_time >= self.interval:
                if not task.finished:
                    self._line(
                        f"{task.description}: {int(fraction * 100)}% ({task.completed:,.0f}/{task.total:,.0f}), "
                        f"{now - task.start:.0f} s"
                    )
                task.last_time = now
            task.last_tenth = max(task.last_tenth, tenth)
        elif now - task.last_time >= self.interval:
            self._line(f"{task.description}: {task.completed:,.0f} so far, {now - task.start:.0f} s")
            task.last_time = now


def progress_display(console: Console, *columns: Any, **kwargs: Any) -> Any:
    """A ``rich.progress.Progress`` on ``console`` in a terminal, else a :class:`PlainProgress`."""
    if is_terminal(console):
        return Progress(*columns, console=console, **kwargs)
    return PlainProgress(console)


@contextlib.contextmanager
def status(console: Console, message: str, interval: float = PLAIN_INTERVAL) -> Iterator[None]:
    """A spinner with ``message`` in a terminal; else a line now, one every ``interval`` seconds, and one at the end."""
    if is_terminal(console):
        with console.status(message):
            yield
        return
    start = time.monotonic()
    console.print(f"{message} ...", highlight=False, markup=False, soft_wrap=True)
    done = threading.Event()

    def beat() -> None:
        while not done.wait(interval):
            console.print(f"  still {message} ({time.monotonic() - start:.0f} s)", highlight=False, markup=False, soft_wrap=True)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=1.0)
    console.print(f"  done in {time.monotonic() - start:.1f} s", highlight=False, markup=False, soft_wrap=True)
