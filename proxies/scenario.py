"""A scenario: a scene generator, an observation, a reward graph and reference behaviours.

:class:`Scenario` implements :class:`sandbox.task.Task`, so ``scenario.make_env()`` is a
gymnasium environment whose ``info`` carries every measurement and objective.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from proxies.errors import ConfigError
from proxies.graph import RewardGraph
from proxies.policies import Policy
from proxies.suggest import did_you_mean
from sandbox.env import SandboxEnv
from sandbox.factors import Domain, Factor
from sandbox.registration import env_id
from sandbox.spec import SceneSpec
from sandbox.world import World

__all__ = ["Scenario"]


@dataclass(frozen=True)
class Scenario:
    """Everything that defines one experiment.

    Parameters
    ----------
    name: CamelCase name; the env id is ``sandbox/<name>-v0``.
    slug: the CLI name, e.g. ``cleaning-robot``.
    description: one paragraph for the docs and reports.
    graph: factors, measurements, true reward and proxies with their causal edges.
    build_scene: ``(factor values, rng) -> SceneSpec``, a recipe-style scene generator.
    observe: ``world -> float32 array`` of length ``observation_size``.
    observation_size: length of the observation.
    max_steps: agent steps per episode.
    references: objective name -> factory of a scripted :class:`~proxies.policies.Policy`
        that pursues it (optional; the framework can build automatic ones).
    """

    name: str
    slug: str
    description: str
    graph: RewardGraph
    build_scene: Callable[[Mapping[str, Any], np.random.Generator], SceneSpec] = field(compare=False)
    observe: Callable[[World], np.ndarray] = field(compare=False)
    observation_size: int
    max_steps: int
    references: Mapping[str, Callable[[], Policy]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.references) - set(self.graph.objective_names)
        if unknown:
            raise ConfigError(
                f"Scenario {self.name!r} has references for unknown objective(s) {sorted(unknown)}; "
                f"{did_you_mean(sorted(unknown)[0], self.graph.objective_names)}."
            )

    # -- the sandbox.Task protocol -------------------------------------------------------

    @property
    def factors(self) -> tuple[Factor, ...]:
        """The scene generator's factors."""
        return self.graph.factors

    @property
    def measurements(self) -> Mapping[str, Callable[[World], float]]:
        """Measurement name -> function of the world."""
        return self.graph.measurement_fns

    @property
    def rewards(self) -> Mapping[str, str]:
        """Objective name -> the measurement it rewards the increment of."""
        return {o.name: o.measurement for o in self.graph.objectives}

    @property
    def true_reward(self) -> str:
        """Name of the true reward."""
        return self.graph.true_reward.name

    # -- conveniences --------------------------------------------------------------------

    @property
    def env_id(self) -> str:
        """The gymnasium id, ``sandbox/<name>-v0``."""
        return env_id(self.name)

    @property
    def objectives(self) -> tuple[str, ...]:
        """True reward first, then proxies."""
        return self.graph.objective_names

    def check_objective(self, objective: str) -> str:
        """Return ``objective`` if the scenario has it, else raise :class:`ConfigError`."""
        if objective not in self.objectives:
            raise ConfigError(
                f"Scenario {self.slug!r} has no objective {objective!r}; {did_you_mean(objective, self.objectives)}."
            )
        return objective

    def factor(self, name: str) -> Factor:
        """The factor called ``name``."""
        for f in self.factors:
            if f.name == name:
                return f
        raise ConfigError(f"Scenario {self.slug!r} has no factor {name!r}; {did_you_mean(name, [f.name for f in self.factors])}.")

    def make_env(
        self,
        *,
        objective: str | None = None,
        mix: float = 0.0,
        render_mode: str | None = None,
        scenes: Sequence[SceneSpec] = (),
    ) -> SandboxEnv:
        """A gymnasium env that trains on ``objective`` (the true reward by default), in sampled
        scenes or, given ``scenes``, only in those."""
        if objective is not None:
            self.check_objective(objective)
        if not 0.0 <= mix <= 1.0:
            raise ConfigError(f"--mix must be a fraction in [0, 1], got {mix}.")
        return SandboxEnv(self, reward=objective, mix=mix, render_mode=render_mode, scenes=scenes)

    def sample_spec(
        self, rng: np.random.Generator, domain: Domain = "train", **fixed: Any
    ) -> SceneSpec:
        """A scene with factors drawn from ``domain``, some of them fixed to given values."""
        values = {f.name: f.sample(rng, domain) for f in self.factors}
        for name, value in fixed.items():
            self.factor(name).check(value)
            values[name] = value
        return self.build_scene(values, rng)
