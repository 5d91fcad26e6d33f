"""Exceptions raised by the physics and environment layer.

Every error a user can trigger derives from :class:`SandboxError`, and its message
names the problem and the fix.
"""

from __future__ import annotations

__all__ = ["SandboxError", "SpecError", "ActionError", "ObservationError"]


class SandboxError(Exception):
    """Root of every error raised by :mod:`sandbox`."""


class SpecError(SandboxError, ValueError):
    """A scene spec or entity is malformed (bad geometry, unknown entity type, bad JSON)."""


class ActionError(SandboxError, ValueError):
    """An action does not belong to the environment's action space."""


class ObservationError(SandboxError, ValueError):
    """An observation helper was asked for something the scene does not have (an unknown tag)."""
