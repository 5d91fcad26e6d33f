"""Exceptions raised by :mod:`proxies`; every message names the problem and the fix."""

from __future__ import annotations

__all__ = [
    "ProxiesError",
    "GraphError",
    "ScenarioNotFoundError",
    "ScenarioFileError",
    "ConfigError",
    "RunDirError",
    "PolicyError",
]


class ProxiesError(Exception):
    """Root of every error raised by :mod:`proxies`."""


class GraphError(ProxiesError, ValueError):
    """A reward graph is malformed (cycle, unknown node, proxy unrelated to the true reward...)."""


class ScenarioNotFoundError(ProxiesError, LookupError):
    """No registered scenario has that name."""


class ScenarioFileError(ProxiesError):
    """A path given as a scenario is not a Python file that defines a scenario."""


class ConfigError(ProxiesError, ValueError):
    """A training or run setting is out of range (steps, mix, objective, algorithm...)."""


class RunDirError(ProxiesError):
    """A run directory is missing, incomplete or already holds a different run."""


class PolicyError(ProxiesError):
    """A policy (model zip, callable) cannot act in the scenario."""
