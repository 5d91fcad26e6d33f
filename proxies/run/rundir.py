"""Run directories: where one run's config, model, suite, attribution and report live.

A run directory is keyed by (scenario, config hash, seed). Every file is written atomically
(:mod:`proxies.files`: temporary file, fsync, rename), so an interrupted run never leaves a
half-written file, and every file read back is checked against its schema (:mod:`proxies.schemas`).

``config.json`` holds the training settings and the *fingerprint* of the scenario that made the run
(:mod:`proxies.scenario.fingerprint`): a run whose scenario has been edited since is recognised as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proxies.errors import ConfigError, FileSchemaError, RunConfigMismatchError, RunDirError, StaleRunError
from proxies.files import check_writable, write_json_atomic
from proxies.run.config import EvaluationConfig, RunConfig
from proxies.run.training import TrainConfig
from proxies.scenario.fingerprint import changes, describe_changes, scenario_fingerprint
from proxies.scenario.scenario import Scenario
from proxies.schemas import AttributionFile, ConfigFile, SuiteFile, read_file, read_json_file

__all__ = [
    "RunRecord",
    "default_run_dir",
    "safe_slug",
    "write_json",
    "read_json",
    "prepare",
    "load_config",
    "load_record",
    "require",
    "check_fingerprint",
]

_MAKERS = {
    "config.json": "proxy-sandbox train",
    "model.zip": "proxy-sandbox train",
    "suite.json": "proxy-sandbox run (or proxy-sandbox suite)",
    "attribution.json": "proxy-sandbox attribute RUN_DIR",
}

_SCHEMAS = {"config.json": ConfigFile, "suite.json": SuiteFile, "attribution.json": AttributionFile}
_FIXES = {
    "config.json": "delete the run directory and make it again with `proxy-sandbox train` (or `proxy-sandbox run`)",
    "suite.json": "delete it and rebuild it with `proxy-sandbox suite SCENARIO --out RUN_DIR`",
    "attribution.json": "delete it and re-run `proxy-sandbox attribute RUN_DIR`",
}


@dataclass(frozen=True)
class RunRecord:
    """What ``config.json`` says: the run's settings and the fingerprint of the scenario that made the run."""

    config: TrainConfig
    fingerprint: dict[str, Any] | None
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    """The suite, gate, attribution and probe settings (the defaults for a run made before they were recorded)."""

    @property
    def run_config(self) -> RunConfig:
        """Training and evaluation settings together."""
        return RunConfig(self.config, self.evaluation)


def safe_slug(slug: str) -> str:
    """``slug`` as one safe folder name: letters, digits, ``.``, ``_`` and ``-`` only, no leading dots.

    >>> safe_slug("cleaning-robot")
    'cleaning-robot'
    >>> safe_slug("../../x")
    'x'
    """
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", slug).strip(".-")
    return name or "scenario"


def default_run_dir(config: TrainConfig | RunConfig, slug: str, root: Path = Path("runs")) -> Path:
    """``runs/<scenario>-<config hash>-s<seed>`` (the slug made safe: it never leaves ``root``)."""
    return root / f"{safe_slug(slug)}-{config.config_hash}-s{config.seed}"


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically."""
    return write_json_atomic(path, data)


def require(run_dir: Path, name: str) -> Path:
    """The path of a file the run directory must hold, or a :class:`RunDirError` saying how to make it."""
    if not run_dir.is_dir():
        raise RunDirError(f"Run directory {run_dir} does not exist; create it with `proxy-sandbox train` or `proxy-sandbox run`.")
    path = run_dir / name
    if not path.is_file():
        maker = _MAKERS.get(name, "proxy-sandbox run")
        raise RunDirError(f"{run_dir} is incomplete: it has no {name}. Make it with `{maker}`.")
    return path


def read_json(run_dir: Path, name: str) -> Any:
    """Read one of the run directory's JSON files, checked against its schema (:mod:`proxies.schemas`)."""
    path = require(run_dir, name)
    fix = _FIXES.get(name, "delete it and re-run the step that makes it")
    if name in _SCHEMAS:
        read_file(path, _SCHEMAS[name], fix)
    return read_json_file(path, fix)


def _record(path: Path) -> RunRecord:
    data = read_file(path, ConfigFile, _FIXES["config.json"])
    settings = data.model_dump(exclude={"fingerprint", "evaluation"})
    settings["hyperparameters"] = tuple(settings["hyperparameters"].items())
    settings["scenes"] = tuple(settings["scenes"])
    try:
        config = TrainConfig(**settings)
        evaluation = EvaluationConfig.from_dict(data.evaluation.model_dump() if data.evaluation else {})
    except ConfigError as exc:
        raise FileSchemaError(f"{path}: {exc} Fix it, or {_FIXES['config.json']}.") from None
    return RunRecord(config, data.fingerprint.model_dump() if data.fingerprint is not None else None, evaluation)


def load_record(run_dir: Path) -> RunRecord:
    """The training settings and fingerprint recorded in a run's ``config.json``."""
    return _record(require(run_dir, "config.json"))


def load_config(run_dir: Path) -> TrainConfig:
    """The training config of a run."""
    return load_record(run_dir).config


def prepare(run_dir: Path, config: TrainConfig | RunConfig, scenario: Scenario | None = None) -> None:
    """Create ``run_dir`` for ``config``; refuse to reuse one that holds a different run
    (:class:`~proxies.errors.RunConfigMismatchError`).

    Checks first that the folder can be written (:func:`proxies.files.check_writable`). ``config.json``
    records ``config`` (a bare :class:`~proxies.run.training.TrainConfig` gets the default evaluation) and,
    given the ``scenario``, its fingerprint.
    """
    config = config if isinstance(config, RunConfig) else RunConfig(config)
    check_writable(run_dir, "--out")
    existing = run_dir / "config.json"
    if existing.is_file():
        try:
            old = _record(existing).run_config
        except RunDirError as exc:
            raise RunDirError(
                f"{run_dir} holds a config.json that cannot be read ({exc}); choose another --out or delete that directory."
            ) from None
        if old != config:
            raise RunConfigMismatchError(
                f"{run_dir} already holds a different run (see its config.json); choose another --out "
                "or delete that directory."
            )
    (run_dir / "images").mkdir(exist_ok=True)
    data = config.to_dict()
    if scenario is not None:
        data["fingerprint"] = scenario_fingerprint(scenario)
    write_json_atomic(existing, data, option="--out")


def check_fingerprint(run_dir: Path, scenario: Scenario, *, strict: bool = False, record: RunRecord | None = None) -> str | None:
    """A warning if ``run_dir`` was made by another version of ``scenario`` than today's, else None.

    The warning names what changed (source, graph, agent, settings, version). With ``strict`` it is
    a :class:`~proxies.errors.StaleRunError` instead.
    """
    record = record or load_record(run_dir)
    found = changes(record.fingerprint, scenario)
    if not found:
        return None
    if record.fingerprint is None:
        problem = (
            f"{run_dir} records no fingerprint of the scenario that made it (an older proxy-sandbox made it), "
            f"so whether {scenario.slug!r} changed since cannot be checked"
        )
    else:
        problem = f"{run_dir} was made by an earlier version of {scenario.slug!r}: its {describe_changes(found)} changed since"
    if strict:
        raise StaleRunError(
            f"{problem}. Re-run `proxy-sandbox run` (or `train`) to make the run again with today's scenario, "
            "or drop --strict to go on with a warning."
        )
    return (
        f"{problem}; the results use today's scenario with that run's model (re-run `proxy-sandbox run` to refresh "
        "it, or pass --strict to refuse)."
    )
