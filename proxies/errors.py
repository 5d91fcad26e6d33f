"""Exceptions raised by :mod:`proxies`; every message names the problem and the fix."""

from __future__ import annotations

__all__ = [
    "ProxiesError",
    "GraphError",
    "CueFactorError",
    "ScenarioNotFoundError",
    "ScenarioFileError",
    "EntryPointError",
    "ConfigError",
    "NothingToScanError",
    "NoCompetentCandidateError",
    "RunDirError",
    "PolicyError",
    "InterventionError",
    "UnknownFactorError",
    "UnseparableProxyError",
    "IncompetentReferenceError",
    "OutputError",
    "FileSchemaError",
    "StaleRunError",
    "SuiteMismatchError",
    "UnusableSuiteError",
    "RunConfigMismatchError",
    "SweepError",
    "Interrupted",
]


class ProxiesError(Exception):
    """Root of every error raised by :mod:`proxies`."""


class GraphError(ProxiesError, ValueError):
    """A reward graph is malformed (cycle, unknown node, proxy unrelated to the true reward...)."""


class CueFactorError(GraphError):
    """A factor declared cue-only (``cue=True``) changes more than what the agent sees: a scene's layout or
    physics, or a measurement."""


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


class NothingToScanError(ConfigError):
    """Proxy discovery: no factor of the scenario has values outside its training domain to intervene on."""


class NoCompetentCandidateError(IncompetentReferenceError):
    """Proxy discovery: no generated candidate's reference beat random within the budget."""


class OutputError(ProxiesError):
    """A file or folder the tool writes cannot be written (disk full, no permission, read-only, a file
    where a folder should be...). The message names the path and the fix; a previous file is left intact."""

    def __init__(self, message: str, path: object = None, errno: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.errno = errno


class FileSchemaError(RunDirError, ValueError):
    """A file the tool reads back (config.json, suite.json, attribution.json) is not JSON, or a field
    has the wrong type or is missing; the message names the file, the field and the fix."""


class RunConfigMismatchError(RunDirError):
    """A run directory (or sweep folder) already holds a run of another configuration."""


class SweepError(ProxiesError, ValueError):
    """A sweep cannot be run or read as asked: a bad grid, a backend that is missing or cannot be reached."""


class StaleRunError(RunDirError):
    """A run was made by a scenario (source, graph, agent, settings or package version) that has changed since."""


class SuiteMismatchError(RunDirError):
    """A suite was built for another scenario, or for another version (fingerprint) of this one."""


class UnusableSuiteError(RunDirError):
    """A suite of the right scenario that the attribution cannot use: a proxy with no scene separating it, or
    settings (how its reference episodes were played) that it does not record."""


class Interrupted(ProxiesError):
    """A command was stopped by a signal (Ctrl-C = SIGINT, or SIGTERM); training saved a checkpoint first.

    ``exit_code`` is the shell convention, 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM.
    """

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum

    def __reduce__(self) -> tuple[type, tuple[str, int]]:
        """Pickled with its signal (a sweep's worker hands it back to the driver)."""
        return type(self), (str(self), self.signum)

    @property
    def exit_code(self) -> int:
        """128 + the signal's number."""
        return 128 + int(self.signum)
