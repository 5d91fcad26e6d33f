"""One run's configuration: everything that changes its result, frozen, hashed into its folder's name.

A :class:`RunConfig` is the training settings (:class:`~proxies.run.training.TrainConfig`) and the
evaluation settings (:class:`EvaluationConfig`: suite, gate, attribution and probe). Its
:attr:`~RunConfig.config_hash` covers both but not the seed, so the seeds of one setting share it,
and a run directory is keyed by (scenario, config hash, seed)
(:func:`proxies.run.rundir.default_run_dir`).

>>> from proxies.run.config import RunConfig
>>> from proxies.run.training import TrainConfig
>>> config = RunConfig(TrainConfig("cleaning-robot", steps=100_000, mix=0.03, seed=2))
>>> RunConfig.from_dict(config.to_dict()) == config
True
>>> config.config_hash == config.with_seed(3).config_hash
True
>>> config.config_hash == RunConfig(TrainConfig("cleaning-robot", steps=100_000, mix=0.06)).config_hash
False
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from proxies.errors import ConfigError
from proxies.evaluate.gate import GateConfig
from proxies.evaluate.probe import PROBE_PAIRS
from proxies.evaluate.suite import DEFAULT_PER_PROXY, DEFAULT_ROUNDS
from proxies.run.training import TrainConfig

__all__ = ["EvaluationConfig", "RunConfig"]


@dataclass(frozen=True)
class EvaluationConfig:
    """How a trained agent is evaluated: the suite it is built, the gate, the attribution and the probe."""

    per_proxy: int = DEFAULT_PER_PROXY
    """Scenes separating each proxy that the suite must hold."""
    per_factor: int = 4
    """Candidate scenes per intervened factor (or pair) in each compile-and-gate round."""
    rounds: int = DEFAULT_ROUNDS
    """Compile-and-gate rounds at most."""
    automatic: bool = False
    """Use automatic (planning) references even where scripted ones exist."""
    gate: GateConfig = field(default_factory=GateConfig)
    """The diagnosticity gate's test settings."""
    episodes: int | None = None
    """Attribution episodes per scene for the agent and random (None: :func:`proxies.evaluate.agents.episodes_per_scene`)."""
    n_boot: int = 1000
    """Bootstrap resamples of the attribution."""
    probe_pairs: int = PROBE_PAIRS
    """Scene pairs per intervention of the critic's value probe (0: no probe)."""

    def __post_init__(self) -> None:
        if min(self.per_proxy, self.per_factor, self.rounds, self.n_boot) < 1 or self.probe_pairs < 0:
            raise ConfigError(
                "per_proxy, per_factor, rounds and n_boot must be at least 1 and probe_pairs at least 0; "
                f"got {self.per_proxy}, {self.per_factor}, {self.rounds}, {self.n_boot} and {self.probe_pairs}."
            )
        if self.episodes is not None and self.episodes < 2:
            raise ConfigError(f"episodes must be at least 2 (or None for the default), got {self.episodes}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationConfig:
        """Inverse of :meth:`to_dict`; unknown keys are a :class:`~proxies.errors.ConfigError`."""
        data = dict(data)
        _known(cls, data, "evaluation setting")
        gate = dict(data.pop("gate", {}))
        _known(GateConfig, gate, "gate setting")
        return cls(gate=GateConfig(**gate), **data)


def _known(cls: type, data: dict[str, Any], what: str) -> None:
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ConfigError(f"Unknown {what}(s) {sorted(unknown)}; known: {sorted(f.name for f in dataclasses.fields(cls))}.")


@dataclass(frozen=True)
class RunConfig:
    """Everything that changes one run's result: training and evaluation settings."""

    train: TrainConfig
    """Scenario, algorithm, steps, objective, training mix α, seed, hyperparameters."""
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    """Suite, gate, attribution and probe settings."""

    @property
    def scenario(self) -> str:
        """The scenario's registered name or file path."""
        return self.train.scenario

    @property
    def seed(self) -> int:
        """The run's seed (training, suite and attribution)."""
        return self.train.seed

    def with_seed(self, seed: int) -> RunConfig:
        """The same settings with another seed."""
        return dataclasses.replace(self, train=dataclasses.replace(self.train, seed=seed))

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the training settings (as ``config.json`` has always held them) and ``evaluation``."""
        return {**self.train.to_dict(), "evaluation": self.evaluation.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Inverse of :meth:`to_dict`; a dict without ``evaluation`` gets the default evaluation."""
        data = dict(data)
        evaluation = data.pop("evaluation", None)
        return cls(TrainConfig.from_dict(data), EvaluationConfig.from_dict(evaluation or {}))

    @property
    def config_hash(self) -> str:
        """Short hash of everything but the seed: runs that differ only by seed share it."""
        data = self.to_dict()
        del data["seed"]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:8]

