"""Reference behaviours: a competent policy for every objective, scripted or automatic.

A scenario may supply scripted references (``Scenario(references={...})``). For every
objective without one, :func:`reference_behaviours` builds an automatic one. For a driver,
that is a :class:`~proxies.evaluate.macros.MacroPlanner`: the best, in each scene, of macro-actions
built from the kit's driving primitives, each played out in a world rebuilt from the spec.
For any other agent body it is a :class:`Planner`, receding-horizon random shooting over the
simulator. To look ahead it *rebuilds* the world from the scene spec and replays the
episode's actions so far, then tries candidate action sequences; a live pymunk space is never
copied (copies are slower than a rebuild and not bit-identical).

Competence is measured, not assumed (:func:`measure_competence`): each reference's return on
its own objective in training scenes, against a uniformly random policy, with a one-sided
Welch t-test. A reference that does not beat random is an :class:`IncompetentReferenceError`,
never a silent zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import gymnasium as gym
import numpy as np

from proxies.errors import ConfigError, IncompetentReferenceError, PolicyError
from proxies.evaluate.macros import MacroPlanner, MacroScores, takes_macros
from proxies.scenario.policies import Policy, RandomPolicy, action_space
from proxies.scenario.rollout import advance, episode_returns
from proxies.scenario.scenario import Scenario
from proxies.seeding import STREAMS, stream_seeds
from proxies.stats import welch_greater
from sandbox.actions import Action
from sandbox.world import World

__all__ = [
    "Competence",
    "Planner",
    "PlannerConfig",
    "Reference",
    "Jostled",
    "reference_factories",
    "measure_competence",
    "reference_behaviours",
]

Source = Literal["scripted", "planner"]


@dataclass(frozen=True)
class PlannerConfig:
    """Settings of the automatic reference (receding-horizon random shooting)."""

    horizon: int = 8
    """Agent steps each candidate action sequence looks ahead."""
    candidates: int = 12
    """Action sequences tried at each replanning."""
    replan_every: int = 2
    """Agent steps committed to before planning again."""
    perturbation: float = 0.4
    """Standard deviation of the Gaussian noise added to the previous best plan to make candidates
    (in a ``Discrete`` action space: the probability, at most 1, that each of its steps is redrawn)."""
    earliness: float = 0.25
    """Weight of the mean gain along the horizon, next to the gain at its end (prefers gains made early)."""

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.candidates < 2 or self.replan_every < 1 or self.replan_every > self.horizon:
            raise ConfigError(
                f"PlannerConfig needs horizon >= 1, candidates >= 2 and 1 <= replan_every <= horizon; got {self}."
            )
        if self.perturbation < 0 or self.earliness < 0:
            raise ConfigError(f"PlannerConfig needs perturbation >= 0 and earliness >= 0; got {self}.")


def _exact(action: np.ndarray, space: gym.spaces.Box) -> np.ndarray:
    """Clip to the box and round to float32 values, so the env's own clipping and any float32
    cast leave the action unchanged (the planner replays exactly what was executed)."""
    return np.clip(action, space.low, space.high).astype(np.float32).astype(np.float64)


def _directions(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """``(n, size)`` uniformly random unit vectors (in 2D from uniform angles)."""
    if size == 2:
        angles = rng.uniform(-np.pi, np.pi, n)
        return np.stack([np.cos(angles), np.sin(angles)], axis=1)
    v = rng.normal(0.0, 1.0, (n, size))
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


class Planner:
    """Pursues one objective by planning over the simulator: receding-horizon random shooting.

    Every ``replan_every`` steps it rebuilds the world from the spec, replays the actions
    executed so far, and scores ``candidates`` action sequences of ``horizon`` steps by the
    objective's measurement gain (at the end, plus ``earliness`` x the mean gain along the way;
    a sequence whose episode ends early keeps the gain it ended with). In a ``Box`` action
    space the candidates are the previous best plan (shifted), Gaussian perturbations of it,
    constant drives in random directions, and uniformly random sequences; in a ``Discrete`` one,
    the previous plan, mutations of it (each step redrawn with probability ``perturbation``),
    constant actions and random sequences. It commits to the best one's first steps.
    Deterministic given the episode's generator.

    The planner must see every executed action: a wrapper that alters its actions (such as
    :class:`Jostled`) reports the executed one through :meth:`executed`.
    """

    def __init__(self, scenario: Scenario, objective: str, config: PlannerConfig | None = None) -> None:
        self.scenario = scenario
        self.objective = scenario.check_objective(objective)
        self.config = config or PlannerConfig()
        self._measure = scenario.graph.measurement_fns[scenario.graph.objective(objective).measurement]
        self._space = scenario.action_space
        self._discrete = isinstance(self._space, gym.spaces.Discrete)

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Start planning in a freshly built world."""
        if world.steps != 0:
            raise PolicyError(
                f"The planner for {self.objective!r} must start with a freshly built world (it replays the "
                f"episode from its spec), but this one has taken {world.steps} steps; reset the env first."
            )
        self._spec = world.spec
        self._rng = rng
        self._history: list[Action] = []
        self._plan = np.zeros((0,), np.int64) if self._discrete else np.zeros((0, *self._space.shape))
        self._queue: list[Any] = []

    def _parsed(self, action: Any) -> Action:
        """An action as the world takes it (and as the planner replays it)."""
        if self._discrete:
            return int(action)
        return tuple(_exact(np.asarray(action, dtype=np.float64).reshape(self._space.shape), self._space).tolist())

    def executed(self, action: Any) -> None:
        """Record that the last action was replaced by ``action`` before it was executed."""
        self._history[-1] = self._parsed(action)

    def act(self, obs: np.ndarray, world: World) -> np.ndarray | int:
        """The next action of the current plan, replanning when it runs out."""
        if world.steps != len(self._history):
            raise PolicyError(
                f"The planner for {self.objective!r} has seen {len(self._history)} actions but the world has taken "
                f"{world.steps} steps; every executed action must come from (or be reported to) the planner."
            )
        if not self._queue:
            self._replan(world)
        action = self._queue.pop(0)
        self._history.append(self._parsed(action))
        return int(action) if self._discrete else action.copy()

    def _replay(self) -> World:
        world = World(self._spec)
        for _ in advance(self.scenario, world, self._history):
            pass
        return world

    def _candidates(self, horizon: int) -> np.ndarray:
        cfg, rng, space = self.config, self._rng, self._space
        previous = self._plan[:horizon]
        if len(previous) < horizon:
            fill = previous[-1:] if len(previous) else np.zeros((1, *previous.shape[1:]), previous.dtype)
            previous = np.concatenate([previous, np.repeat(fill, horizon - len(previous), axis=0)])
        k = cfg.candidates
        n_perturbed = (k - 1) // 3
        n_constant = (k - 1 - n_perturbed) // 2
        n_random = k - 1 - n_perturbed - n_constant
        if self._discrete:
            n = int(space.n)
            mutate = rng.random((n_perturbed, horizon)) < min(1.0, cfg.perturbation)
            perturbed = np.where(mutate, rng.integers(n, size=(n_perturbed, horizon)), previous)
            constant = np.repeat(rng.permutation(n)[np.arange(n_constant) % n][:, None], horizon, axis=1)
            random = rng.integers(n, size=(n_random, horizon))
            return np.concatenate([previous[None], perturbed, constant, random])
        size = space.shape[0]
        perturbed = previous + rng.normal(0.0, cfg.perturbation, (n_perturbed, horizon, size))
        constant = np.repeat(_directions(rng, n_constant, size)[:, None, :], horizon, axis=1)
        random = rng.uniform(space.low, space.high, (n_random, horizon, size))
        return _exact(np.concatenate([previous[None], perturbed, constant, random]), space)

    def _replan(self, live: World) -> None:
        cfg = self.config
        horizon = max(1, min(cfg.horizon, self.scenario.max_steps - len(self._history)))
        candidates = self._candidates(horizon)
        measure = self._measure
        scores = np.empty(len(candidates))
        for i, plan in enumerate(candidates):
            world = self._replay()
            if i == 0 and world.agent.position != live.agent.position:
                raise PolicyError(
                    f"The planner for {self.objective!r} rebuilt the scene from its spec and replayed the episode's "
                    f"{len(self._history)} actions, but the agent ended at {world.agent.position}, not at "
                    f"{live.agent.position}: the world is not deterministic given its spec and actions."
                )
            start = measure(world)
            steps = plan.tolist() if self._discrete else map(tuple, plan.tolist())
            gains = [measure(w) - start for w in advance(self.scenario, world, steps)]
            gains += gains[-1:] * (horizon - len(gains))  # an episode that ended keeps what it reached
            scores[i] = gains[-1] + cfg.earliness * np.mean(gains)
        best = candidates[int(np.argmax(scores))]  # first best: ties keep the previous plan
        commit = min(cfg.replan_every, horizon)
        self._queue = list(best[:commit])
        self._plan = best[commit:]


class Jostled:
    """Wraps a policy and jostles its first ``steps`` actions.

    Used to play several distinct episodes of a deterministic reference in one scene: the
    episode starts from a slightly different state, then the reference acts undisturbed
    (noise on every action would change *what* a delicate reference does, not just where it
    starts). In a ``Box`` action space the noise is Gaussian, of standard deviation ``sigma``
    (clipped to the box); in a ``Discrete`` one, the action is replaced by a uniformly random one
    with probability ``min(1, sigma)``. With ``steps=0`` or ``sigma=0`` it is the wrapped policy
    exactly. The noise comes from its own stream, spawned from the episode's generator.
    """

    def __init__(self, policy: Policy, steps: int, sigma: float) -> None:
        self.policy, self.steps, self.sigma = policy, int(steps), float(sigma)

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Reset the wrapped policy with one child stream and keep another for the noise."""
        inner, self._rng = rng.spawn(2)
        self._space = action_space(world)
        self.policy.reset(world, inner)

    def act(self, obs: np.ndarray, world: World) -> Any:
        """The wrapped policy's action, jostled in the first ``steps`` steps."""
        action = self.policy.act(obs, world)
        if world.steps >= self.steps or self.sigma == 0:
            return action
        space, rng = self._space, self._rng
        if isinstance(space, gym.spaces.Discrete):
            if rng.random() >= min(1.0, self.sigma):
                return action
            noisy: Any = int(rng.integers(int(space.n)))
        else:
            base = np.asarray(action, dtype=np.float64).reshape(space.shape)
            noisy = _exact(base + rng.normal(0.0, self.sigma, space.shape), space)
        report = getattr(self.policy, "executed", None)
        if report is not None:
            report(noisy)
        return noisy


@dataclass(frozen=True)
class Reference:
    """The reference behaviour of one objective: a policy factory and where it comes from."""

    objective: str
    make: Callable[[], Policy] = field(compare=False)
    source: Source


def reference_behaviours(
    scenario: Scenario,
    scripted: Mapping[str, Callable[[], Policy]] | None = None,
    *,
    planner: PlannerConfig | None = None,
    automatic: bool = False,
) -> dict[str, Reference]:
    """A reference for every objective: the scripted one when given, else an automatic one.

    The automatic reference of a scenario whose agent is a driver is a
    :class:`~proxies.evaluate.macros.MacroPlanner` (the best of the driver's macro-actions); of any other, or
    when ``planner`` settings are given, a random-shooting :class:`Planner`. ``scripted`` defaults to
    ``scenario.references``; ``automatic=True`` uses automatic references for all objectives.
    """
    scripted = scenario.references if scripted is None else scripted
    for name in scripted:
        scenario.check_objective(name)
    config = planner or PlannerConfig()
    # one MacroScores for all: each scene is scored once, for every objective and episode
    scores = MacroScores(scenario) if planner is None and takes_macros(scenario) else None
    out = {}
    for objective in scenario.objectives:
        if objective in scripted and not automatic:
            out[objective] = Reference(objective, scripted[objective], "scripted")
        else:
            out[objective] = Reference(objective, _planner_factory(scenario, objective, config, scores), "planner")
    return out


def reference_factories(scenario: Scenario) -> dict[str, Callable[[], Policy]]:
    """Every objective's reference as a policy factory: the scenario's scripted one, else an automatic one."""
    return {o: ref.make for o, ref in reference_behaviours(scenario).items()}


def _planner_factory(
    scenario: Scenario, objective: str, config: PlannerConfig, scores: MacroScores | None
) -> Callable[[], Policy]:
    def make() -> Policy:
        if scores is not None:
            return MacroPlanner(scenario, objective, scores)
        return Planner(scenario, objective, config)

    return make


@dataclass(frozen=True)
class Competence:
    """How well one reference pursues its own objective in training scenes, against random.

    ``span`` (reference mean minus random mean) is the objective's natural scale: the gate
    measures its effect sizes in fractions of it.
    """

    objective: str
    source: Source
    mean: float
    """Mean return of the reference on its own objective."""
    random: float
    """Mean return of the uniformly random policy on the same objective and scenes."""
    p_value: float
    """One-sided Welch t-test p-value of "the reference earns more than random"."""
    episodes: int

    @property
    def span(self) -> float:
        """Reference mean minus random mean, in the objective's units."""
        return self.mean - self.random

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "source": self.source, "mean": self.mean, "random": self.random, "span": self.span,
            "p_value": self.p_value, "episodes": self.episodes,
        }


def measure_competence(
    scenario: Scenario,
    references: Mapping[str, Reference],
    *,
    episodes: int = 16,
    seed: int = 0,
    alpha: float = 0.01,
    run: Callable[..., np.ndarray] = episode_returns,
) -> dict[str, Competence]:
    """Each reference's return on its own objective in ``episodes`` training scenes, against random.

    Raises :class:`IncompetentReferenceError` for a reference that does not earn significantly
    more (one-sided Welch t-test at level ``alpha``) of its own objective than random.
    ``run`` plays the episodes (``episode_returns`` by default).
    """
    if episodes < 2:
        raise ConfigError(f"Competence needs at least 2 episodes per reference to test against random, got {episodes}.")
    seeds = stream_seeds(seed, episodes, STREAMS["reference_competence"])
    specs = [scenario.sample_spec(np.random.default_rng(s)) for s in seeds]
    random = run(scenario, specs, RandomPolicy, seeds)
    out = {}
    for j, objective in enumerate(scenario.objectives):
        ref = references[objective]
        own = run(scenario, specs, ref.make, seeds)[:, j]
        p = welch_greater(own, random[:, j])
        out[objective] = Competence(objective, ref.source, float(own.mean()), float(random[:, j].mean()), p, episodes)
        if not (p < alpha and own.mean() > random[:, j].mean()):
            if np.ptp(own) == 0 and np.ptp(random[:, j]) == 0 and own.mean() == random[:, j].mean():
                raise IncompetentReferenceError(
                    f"Neither the {ref.source} reference for {objective!r} nor a random policy ever earns any "
                    f"{objective!r} in {episodes} training scenes (both {own.mean():.3g} per episode): the training "
                    f"scenes give it nothing to do. Check the scene recipe (build_scene) and the factors' training "
                    "domains (a count of 0, a robot outside the room?); `proxy-sandbox check` shows the scenes' layout."
                )
            if ref.source == "scripted":
                fix = "check the scripted policy (Scenario(references={...}))"
            else:
                fix = "give the scenario a scripted reference for it (Scenario(references={...}))" + (
                    "; none of the driver's macro-actions (pushing things into regions, going to a region, driving "
                    "one way, rattling things) pursues it" if isinstance(ref.make(), MacroPlanner) else
                    ", or plan further ahead (PlannerConfig(horizon=..., candidates=...))"
                ) + "; a sparse objective may need a denser measurement"
            raise IncompetentReferenceError(
                f"The {ref.source} reference for {objective!r} is not competent: it earns {own.mean():.3g} of "
                f"{objective!r} per episode in training scenes, against {random[:, j].mean():.3g} for a random policy "
                f"(one-sided Welch p = {p:.3g}, needs < {alpha}); {fix}."
            )
    return out
