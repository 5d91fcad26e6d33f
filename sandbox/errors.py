"""Exceptions raised by the physics and environment layer.

Every error a user can trigger derives from :class:`SandboxError`, and its message
names the problem and the fix. Where the culprit is a user's function (a measurement, an
observation, a termination), the message names it with its file and line (:func:`source_of`).
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = [
    "SandboxError",
    "SpecError",
    "GeometryError",
    "ActionError",
    "ObservationError",
    "MeasurementError",
    "source_of",
]


class SandboxError(Exception):
    """Root of every error raised by :mod:`sandbox`."""


class SpecError(SandboxError, ValueError):
    """A scene spec or entity is malformed (bad geometry, unknown entity type, bad JSON)."""


class GeometryError(SpecError):
    """A scene's layout cannot be simulated as meant: a body outside the floor, solid bodies that
    start inside one another, or more entities than a scene may hold."""


class ActionError(SandboxError, ValueError):
    """An action does not belong to the environment's action space."""


class ObservationError(SandboxError, ValueError):
    """An observation helper was asked for something the scene does not have (an unknown tag), or an
    observation does not fit the observation space (shape, dtype, a NaN)."""


class MeasurementError(SandboxError, ValueError):
    """A measurement returned something that is not a finite real number (a string, a bool, inf, NaN...)."""


def source_of(fn: Any) -> str:
    """``"file.py:line"`` where a function (or the function a wrapper stands for) is defined, for messages.

    Follows ``__wrapped__`` (``functools.wraps``, a measurement computed from others), ``functools.partial``
    and, for a callable object, its class's ``__call__``; ``"?"`` parts where Python cannot tell.

    >>> def f():
    ...     pass
    >>> source_of(f).endswith(":1")
    True
    """
    seen = 0
    while seen < 8:
        seen += 1
        wrapped = getattr(fn, "__wrapped__", None)
        if wrapped is None:
            wrapped = getattr(fn, "func", None) if type(fn).__name__ == "partial" else None
        if wrapped is None or wrapped is fn:
            break
        fn = wrapped
    target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) or not callable(fn) else type(fn).__call__
    try:
        file = inspect.getsourcefile(target) or inspect.getfile(target)
    except TypeError:
        file = None
    code = getattr(getattr(target, "__func__", target), "__code__", None)
    line = getattr(code, "co_firstlineno", None)
    return f"{file or '?'}:{line if line is not None else '?'}"
