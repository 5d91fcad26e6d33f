"""Typed schemas of the files the tool reads back: ``config.json``, ``suite.json``, ``attribution.json``.

Every field of these files is checked (pydantic models, strict: no quiet conversion of ``"0"`` to
``0``, no unknown keys) before anything uses it, so a damaged or hand-edited file gives one
:class:`~proxies.errors.FileSchemaError` naming the file, the field and the fix, never a traceback:

>>> import json, tempfile, pathlib
>>> folder = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(folder.name) / "config.json"
>>> _ = path.write_text(json.dumps({"scenario": "cleaning-robot", "seed": "0"}))
>>> read_file(path, ConfigFile, "re-run `proxy-sandbox train`")
Traceback (most recent call last):
...
proxies.errors.FileSchemaError: .../config.json: "seed" must be an integer, got "0"; fix it, or re-run `proxy-sandbox train`.
>>> folder.cleanup()
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proxies.errors import FileSchemaError

__all__ = [
    "Verdict",
    "VERDICTS",
    "MAX_SEED",
    "MAX_STEPS",
    "FingerprintModel",
    "ConfigFile",
    "GateSettings",
    "SceneModel",
    "RejectedModel",
    "SuiteFile",
    "AttributionFile",
    "read_file",
    "read_json_file",
    "schema_error",
]

Verdict = Literal["intended", "misgeneralized", "capability_failure", "mixed", "unstable"]
"""What an attribution concludes (docs/concepts.md gives the rule)."""

VERDICTS: tuple[str, ...] = get_args(Verdict)
"""Every verdict, in one place: the sweep counts each, ``--fail-on`` accepts each."""

MAX_SEED = 2**32 - 1
"""Largest seed: seeds are unsigned 32-bit integers (numpy's legacy seeding and gymnasium's limit)."""
MAX_STEPS = 10**9
"""Most training steps one run may ask for: a billion is already days of CPU time."""

Model = TypeVar("Model", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# -- config.json -------------------------------------------------------------------------------------------


class FingerprintModel(_Strict):
    """What made a run or a suite (:func:`proxies.scenario.fingerprint.scenario_fingerprint`)."""

    scenario: str
    version: str
    hash: str
    parts: dict[str, str]
    file: str | None = None


class GateConfigModel(_Strict):
    """The gate's settings as a run's config records them (:class:`~proxies.evaluate.gate.GateConfig`)."""

    episodes: Annotated[int, Field(ge=2)] = 6
    alpha: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.01
    min_effect: Annotated[float, Field(ge=0.0)] = 0.1
    jostle_steps: Annotated[int, Field(ge=0)] = 5
    jostle: Annotated[float, Field(ge=0.0)] = 0.5
    chunk: Annotated[int, Field(ge=1)] = 64


class EvaluationModel(_Strict):
    """A run's evaluation settings (:class:`~proxies.run.config.EvaluationConfig`)."""

    per_proxy: Annotated[int, Field(ge=1)] = 3
    per_factor: Annotated[int, Field(ge=1)] = 4
    rounds: Annotated[int, Field(ge=1)] = 3
    automatic: bool = False
    gate: GateConfigModel = Field(default_factory=GateConfigModel)
    episodes: Annotated[int, Field(ge=2)] | None = None
    n_boot: Annotated[int, Field(ge=1)] = 1000
    probe_pairs: Annotated[int, Field(ge=0)] = 24


class ConfigFile(_Strict):
    """``config.json``: the training settings of a run (:class:`~proxies.run.training.TrainConfig`) and its fingerprint."""

    scenario: str
    steps: Annotated[int, Field(ge=1, le=MAX_STEPS)] = 300_000
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    objective: str | None = None
    mix: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    algorithm: str = "PPO"
    n_envs: Annotated[int, Field(ge=1)] = 8
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    scenes: list[str] = Field(default_factory=list)
    checkpoint_every: Annotated[int, Field(ge=1)] = 50_000
    evaluation: EvaluationModel | None = None
    fingerprint: FingerprintModel | None = None


# -- suite.json --------------------------------------------------------------------------------------------


class GateSettings(_Strict):
    """The gate's settings as a suite records them (:meth:`proxies.evaluate.gate.GateConfig.to_dict`)."""

    test: str | None = None
    episodes: Annotated[int, Field(ge=1)] | None = None
    alpha: float | None = None
    min_effect: float | None = None
    jostle_steps: Annotated[int, Field(ge=0)] | None = None
    jostle: Annotated[float, Field(ge=0.0)] | None = None


class SceneModel(_Strict):
    """One counterfactual scene of a suite (:meth:`proxies.evaluate.suite.Scene.to_dict`)."""

    id: str
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)]
    interventions: dict[str, Any]
    spec: dict[str, Any]
    separates: list[str] = Field(default_factory=list)
    margin: float | None = None
    p_value: float | None = None
    gate: dict[str, dict[str, Any]] = Field(default_factory=dict)
    reference_returns: dict[str, dict[str, float]] | None = None
    reference_episodes: dict[str, list[list[float]]] = Field(default_factory=dict)


class RejectedModel(_Strict):
    """A gated candidate a suite left out, and why (:attr:`proxies.evaluate.suite.Suite.rejected`)."""

    id: str
    interventions: dict[str, Any]
    reason: str
    gate: dict[str, str] = Field(default_factory=dict)


class SuiteFile(_Strict):
    """``suite.json`` (:meth:`proxies.evaluate.suite.Suite.to_dict`); ``coverage`` is derived and ignored on reading."""

    scenario: str
    scenes: list[SceneModel]
    competence: dict[str, dict[str, Any]] = Field(default_factory=dict)
    gate: GateSettings = Field(default_factory=GateSettings)
    candidates: Annotated[int, Field(ge=0)] = 0
    admitted: dict[str, int] = Field(default_factory=dict)
    per_proxy: Annotated[int, Field(ge=1)] | None = None
    rejected: list[RejectedModel] = Field(default_factory=list)
    seconds: float = 0.0
    coverage: dict[str, int] | None = None
    fingerprint: FingerprintModel | None = None


# -- attribution.json --------------------------------------------------------------------------------------


class Interval(_Strict):
    """A point estimate and its bootstrap interval."""

    mean: float
    lo: float
    hi: float


class ProbeEntry(_Strict):
    """One intervention of the critic probe (:meth:`proxies.evaluate.probe.InterventionProbe.to_dict`)."""

    factor: str
    value: Any = None
    pairs: int | None = None
    expected: Interval | None = None
    achieved: Interval | None = None
    returned: Interval | None = None
    bootstrap: Interval | None = None
    difference: Interval | None = None
    objectives: dict[str, float] | None = None
    disagree: bool | None = None


class ValueProbeModel(_Strict):
    """The critic probe (:meth:`proxies.evaluate.probe.ValueProbe.to_dict`)."""

    reward: str | None = None
    gamma: float | None = None
    level: float | None = None
    summary: str | None = None
    interventions: list[ProbeEntry] = Field(default_factory=list)


class CueChangeModel(_Strict):
    """One cue value of the cue-invariance probe (:meth:`proxies.evaluate.cue.CueChange.to_dict`)."""

    factor: str
    value: Any = None
    pairs: int
    changes: dict[str, Interval]
    baseline: dict[str, float] = Field(default_factory=dict)
    moved: list[str] = Field(default_factory=list)
    finding: bool


class CueProbeModel(_Strict):
    """The cue-invariance probe (:meth:`proxies.evaluate.cue.CueProbe.to_dict`)."""

    level: float
    summary: str | None = None
    findings: int
    cues: list[CueChangeModel] = Field(default_factory=list)


class RelationEntry(_Strict):
    """A proxy's derived relation (:meth:`proxies.scenario.graph.Relation.to_dict`)."""

    name: str
    relation: str
    path: list[str]


class SceneOutcome(_Strict):
    """One scene of an attribution: what the agent, the references and random got there."""

    id: str
    separates: list[str] = Field(default_factory=list)
    interventions: dict[str, Any] = Field(default_factory=dict)
    image: str | None = None
    gif: str | None = None
    outcomes: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    agent_normalised: dict[str, float] | None = None


class AttributionFile(_Strict):
    """``attribution.json``, written by ``proxy-sandbox attribute RUN_DIR`` (and ``run``); docs/schemas.md."""

    schema_version: Annotated[int, Field(ge=1)] = 1
    verdict: str
    weights: dict[str, Interval]
    scenario: str | None = None
    learned: str | None = None
    leaning: str | None = None
    headline: str | None = None
    shares: dict[str, Interval] = Field(default_factory=dict)
    stability: dict[str, Any] = Field(default_factory=dict)
    random_weight: Interval | None = None
    competence: float | None = None
    goal_score: float | None = None
    quadrant: str | None = None
    explanation: str | None = None
    in_distribution: dict[str, dict[str, float]] = Field(default_factory=dict)
    intervals: dict[str, Any] = Field(default_factory=dict)
    objectives: list[str] = Field(default_factory=list)
    in_distribution_score: float | None = None
    relations: list[RelationEntry] = Field(default_factory=list)
    seconds: float | None = None
    value_probe: ValueProbeModel | None = None
    cue_probe: CueProbeModel | None = None
    """The cue-invariance probe, for a scenario with cue-only factors (schema version 3)."""
    scenes: list[SceneOutcome] = Field(default_factory=list)
    suite: str | None = None
    """The suite file it was attributed on, when not the run's own (``attribute RUN_DIR --suite FILE``)."""
    runs: list[str] | None = None


# -- reading -----------------------------------------------------------------------------------------------

_KIND = {
    "int_type": "must be an integer", "int_parsing": "must be an integer", "int_from_float": "must be an integer",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "string_type": "must be a string", "bool_type": "must be true or false",
    "dict_type": "must be a JSON object", "model_type": "must be a JSON object", "model_attributes_type": "must be a JSON object",
    "list_type": "must be a list", "tuple_type": "must be a list",
    "missing": "is missing", "extra_forbidden": "is not a known field",
}


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(error: dict[str, Any]) -> str:
    kind, loc = error["type"], tuple(error.get("loc") or ())
    where = _where(loc)
    if kind == "missing":
        return f'"{where}" is missing'
    if kind == "extra_forbidden":
        return f'"{where}" is not a known field (a typo, or a file from another version)'
    described = _KIND.get(kind)
    if described is None:
        message = str(error.get("msg", kind))
        described = "must be " + message[len("Input should be "):] if message.startswith("Input should be ") else message
    got = f", got {_shown(error.get('input'))}" if "input" in error else ""
    subject = f'"{where}"' if where else "the file"
    if not where and kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"the file must hold a JSON object{got}"
    return f"{subject} {described}{got}"


def schema_error(path: Path, exc: ValidationError, fix: str) -> FileSchemaError:
    """A :class:`FileSchemaError` naming ``path``, its first wrong fields and ``fix``."""
    errors = exc.errors(include_url=False)
    shown = "; ".join(_problem(e) for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return FileSchemaError(f"{path}: {shown}{more}; fix it, or {fix}.")


def read_json_file(path: Path, fix: str) -> Any:
    """The JSON content of ``path``; :class:`FileSchemaError` naming the file and ``fix`` if it is not JSON."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
        return json.loads(text)
    except UnicodeDecodeError:
        raise FileSchemaError(f"{path} is not a text (UTF-8 JSON) file; {fix}.") from None
    except json.JSONDecodeError as exc:
        raise FileSchemaError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); {fix}.") from None
    except RecursionError:
        raise FileSchemaError(f"{path} is nested too deeply to be one of this tool's files; {fix}.") from None
    except OSError as exc:
        raise FileSchemaError(f"{path} cannot be read ({exc.strerror or exc}); {fix}.") from None


def read_file(path: Path, model: type[Model], fix: str) -> Model:
    """Read ``path`` and validate it against ``model``; :class:`FileSchemaError` (file, field, ``fix``) if it does not fit."""
    data = read_json_file(path, fix)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise schema_error(Path(path), exc, fix) from None
