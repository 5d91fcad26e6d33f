"""A scenario: a scene generator, an observation, a reward graph and reference behaviours.

:class:`Scenario` implements :class:`sandbox.task.Task`, so ``scenario.make_env()`` is a
gymnasium environment whose ``info`` carries every measurement and objective.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from proxies.errors import ConfigError
from proxies.scenario.graph import RewardGraph
from proxies.scenario.policies import Policy
from proxies.suggest import did_you_mean
from sandbox.bodies import AgentBody
from sandbox.env import SandboxEnv
from sandbox.errors import ObservationError, SandboxError, source_of
from sandbox.factors import Domain, Factor
from sandbox.registration import env_id
from sandbox.spec import SceneSpec
from sandbox.world import World

__all__ = ["Scenario"]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
"""A scenario's name: it makes the gymnasium id ``sandbox/<name>-v0``."""
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""A scenario's slug: a command-line name and a run folder's name."""


def _retyped(exc: SandboxError, message: str) -> SandboxError:
    """An error of ``exc``'s type with another message (the type kept, so that callers still catch it as before)."""
    try:
        return type(exc)(message)
    except TypeError:  # a subclass whose constructor takes other arguments
        return SandboxError(message)


@dataclass(frozen=True)
class Scenario:
    """Everything that defines one experiment.

    Parameters
    ----------
    name: CamelCase name; the env id is ``sandbox/<name>-v0``.
    slug: the CLI name, e.g. ``cleaning-robot``.
    description: one paragraph for the docs and reports.
    graph: factors, measurements, true reward and proxies with their causal edges.
    build_scene: ``(factor values, rng) -> SceneSpec``, a recipe-style scene generator. The
        framework stamps the factor values and the rates below onto every spec it returns.
    observe: ``world -> array``: a flat float32 vector, or a small ``(H, W, 3)`` uint8 picture.
        Its space (and ``observation_size``) is derived from one observation, not declared.
    agent: the agent body every scene puts in (its position is the recipe's); it declares the
        action space.
    max_steps: agent steps per episode, at most.
    references: objective name -> factory of a scripted :class:`~proxies.scenario.policies.Policy`
        that pursues it (optional; the framework can build automatic ones).
    terminate: ``world -> bool``, True when the episode ends early (coin touched, fell in a
        pit); None for episodes that always run ``max_steps``.
    physics_hz, control_hz: physics substeps and agent decisions per second [Hz].
    """

    name: str
    slug: str
    description: str
    graph: RewardGraph
    build_scene: Callable[[Mapping[str, Any], np.random.Generator], SceneSpec] = field(compare=False)
    observe: Callable[[World], np.ndarray] = field(compare=False)
    agent: AgentBody
    max_steps: int
    references: Mapping[str, Callable[[], Policy]] = field(default_factory=dict, compare=False)
    terminate: Callable[[World], bool] | None = field(default=None, compare=False)
    physics_hz: float = 100.0
    control_hz: float = 10.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            suggestion = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", str(self.name)))
            suggestion = suggestion.lstrip("0123456789") or "MyScenario"
            suggestion = suggestion[0].upper() + suggestion[1:]
            raise ConfigError(
                f"Scenario name {self.name!r} cannot be a gymnasium id (sandbox/<name>-v0): a name is CamelCase letters "
                f"and digits, starting with a letter; name it e.g. {suggestion!r}."
            )
        if not isinstance(self.slug, str) or not _SLUG.fullmatch(self.slug):
            suggestion = "-".join(re.findall(r"[a-z0-9]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", str(self.slug)).lower()))
            raise ConfigError(
                f"Scenario {self.name!r}: slug {self.slug!r} cannot be a command-line name and a folder name: a slug is "
                f"lowercase letters, digits and dashes (e.g. 'cleaning-robot'); use {suggestion or 'my-scenario'!r}."
            )
        if not isinstance(self.graph, RewardGraph):
            raise ConfigError(
                f"Scenario {self.name!r}: graph must be a RewardGraph(...), got {type(self.graph).__name__}."
            )
        for label in ("build_scene", "observe"):
            if not callable(getattr(self, label)):
                raise ConfigError(f"Scenario {self.name!r}: {label} must be a function, got {getattr(self, label)!r}.")
        if self.terminate is not None and not callable(self.terminate):
            raise ConfigError(
                f"Scenario {self.name!r}: terminate must be a function world -> bool (or None), got {self.terminate!r}."
            )
        if not isinstance(self.agent, AgentBody):
            raise ConfigError(
                f"Scenario {self.name!r}: agent must be an agent body (sandbox.Driver, sandbox.Platformer...), "
                f"got {type(self.agent).__name__}."
            )
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) or self.max_steps < 1:
            raise ConfigError(f"Scenario {self.name!r}: max_steps must be a whole number >= 1, got {self.max_steps!r}.")
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

    @property
    def action_space(self) -> gym.Space:
        """The agent body's action space."""
        return self.agent.action_space

    @functools.cached_property
    def observation_space(self) -> gym.Space:
        """Derived from one observation of a training scene: a float32 vector, or a uint8 picture."""
        world = World(self.make_scene(self.sample_factors(np.random.default_rng(0)), np.random.default_rng(0)))
        where = f"observe() ({source_of(self.observe)})"
        try:
            obs = self.observe(world)
        except ObservationError as exc:
            raise ObservationError(f"Scenario {self.name!r}: {where}: {exc}") from None
        if not isinstance(obs, np.ndarray) or obs.dtype not in (np.float32, np.uint8):
            raise ConfigError(
                f"Scenario {self.name!r}: {where} returned {type(obs).__name__} "
                f"{getattr(obs, 'dtype', '')}; return a float32 vector or a uint8 (H, W, 3) picture (numpy array)."
            )
        if obs.dtype == np.uint8:
            return gym.spaces.Box(0, 255, obs.shape, np.uint8)
        if obs.ndim != 1:
            raise ConfigError(f"Scenario {self.name!r}: a float32 observation must be flat, got shape {obs.shape} from {where}.")
        return gym.spaces.Box(-np.inf, np.inf, obs.shape, np.float32)

    @property
    def observation_size(self) -> int:
        """Number of numbers in an observation."""
        return int(np.prod(self.observation_space.shape))

    def make_scene(self, factors: Mapping[str, Any], rng: np.random.Generator) -> SceneSpec:
        """The recipe's scene for these factor values, with the factors and rates stamped on."""
        try:
            spec = self.build_scene(factors, rng)
        except SandboxError as exc:  # a kit helper's complaint (scatter, an entity): say whose recipe it is
            raise _retyped(exc, f"Scenario {self.name!r}: build_scene ({source_of(self.build_scene)}) for the factors "
                                f"{dict(factors)}: {exc}") from None
        if not isinstance(spec, SceneSpec):
            raise ConfigError(
                f"Scenario {self.name!r}: build_scene ({source_of(self.build_scene)}) returned {type(spec).__name__}, not "
                "a SceneSpec; make it return SceneSpec(width=..., height=..., entities=(...))."
            )
        return dataclasses.replace(
            spec, factors=tuple(factors.items()), physics_hz=self.physics_hz, control_hz=self.control_hz
        )

    def terminated(self, world: World) -> bool:
        """Whether the episode ended early in ``world`` (always False without ``terminate``)."""
        return False if self.terminate is None else self.terminate(world)

    def sample_factors(self, rng: np.random.Generator, domain: Domain = "train") -> dict[str, Any]:
        """Every factor drawn from one domain."""
        return {f.name: f.sample(rng, domain) for f in self.factors}

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
        values = self.sample_factors(rng, domain)
        for name, value in fixed.items():
            self.factor(name).check(value)
            values[name] = value
        return self.make_scene(values, rng)
