"""Exceptions raised by :mod:`proxies`; every message names the problem and the fix."""

from __future__ import annotations

__all__ = [
    "ProxiesError",
    "GraphError",
    "ScenarioNotFoundError",
    "ScenarioFileError",
    "EntryPointError",
    "ConfigError",
    "RunDirError",
    "PolicyError",
    "InterventionError",
    "UnknownFactorError",
    "UnseparableProxyError",
    "IncompetentReferenceError",
]


class ProxiesError(Exception):
    """Root of every error raised by :mod:`proxies`."""


class GraphError(ProxiesError, ValueError):
    """A reward graph is malformed (cycle, unknown node, proxy unrelated to the true reward...)."""


class ScenarioNotFoundError(ProxiesError, LookupError):
    """No registered scenario has that name."""


class ScenarioFileError(ProxiesError):
    """A path given as a scenario is not a Python file that defines a scenario."""


class EntryPointError(ProxiesError):
    """An installed package's ``proxy_sandbox.scenarios`` entry point does not load a scenario."""


class ConfigError(ProxiesError, ValueError):
    """A training or run setting is out of range (steps, mix, objective, algorithm...)."""


class RunDirError(ProxiesError):
    """A run directory is missing, incomplete or already holds a different run."""


class PolicyError(ProxiesError):
    """A policy (model zip, callable) cannot act in the scenario."""


class InterventionError(ProxiesError, ValueError):
    """An intervention sets a factor to a value outside that factor's intervention domain."""


class UnknownFactorError(InterventionError, LookupError):
    """An intervention (or a compiler option) names a factor the scenario does not declare."""


class UnseparableProxyError(ProxiesError):
    """No declared factor can break a proxy's edge, or no intervention on them was diagnostic."""


class IncompetentReferenceError(ProxiesError):
    """A reference behaviour does not measurably pursue its own objective (no better than random)."""
