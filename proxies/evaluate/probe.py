"""The critic beside the behaviour: what an actor-critic agent expects, against what it gets.

The behavioural attribution reads what the agent *does*. An actor-critic agent (PPO, A2C) also
carries a critic, trained to predict the discounted return of its training reward; probing it
shows what the agent *expects*. Langosco et al. (ICML 2022) found the two can disagree: in
CoinRun with the coin moved, the critic still valued reaching the end of the level.

For every factor value the suite intervenes on, :func:`value_probe` draws ``pairs`` training
scenes and, with the same seeds, the same scenes with that one factor set
(``scenario.sample_spec(rng, "train", factor=value)``: every other factor is the same draw; the
layout is redrawn from the same stream, so a pair can differ in more than the factor, and the
average over pairs estimates the intervention's effect). On each scene the agent plays one
deterministic episode and the probe records

- the critic's value of the first observation: what the agent expects of its training reward;
- the return the critic was trained to predict, as achieved, in its two parts: the episode's
  discounted rewards (``returned``: what the agent really got), and, for an episode cut off at
  ``max_steps``, the discounted critic value of its last state (``bootstrap``: stable-baselines3
  bootstraps truncated episodes so; an episode that terminated has nothing left to bootstrap);
  and every objective's plain return.

Per intervention, ``expected`` is the mean change of the first, ``achieved`` of the second
(``returned`` + ``bootstrap``, each with its own change), with bootstrap intervals over pairs.
Where the interval of ``expected - achieved`` excludes zero, the critic and the behaviour
disagree about what the intervention does. The ``bootstrap`` part is the critic's own opinion of
a last state that may be out of distribution: an ``achieved`` change made mostly of it says more
about the critic than about the behaviour, so the two parts are always reported apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from proxies.errors import PolicyError
from proxies.evaluate.suite import Suite
from proxies.scenario.policies import ModelPolicy
from proxies.scenario.rollout import play
from proxies.scenario.scenario import Scenario
from proxies.seeding import offset_seeds

__all__ = ["InterventionProbe", "ValueProbe", "has_critic", "value_probe", "PROBE_PAIRS"]

PROBE_PAIRS = 24
"""Scene pairs per intervention."""


def _interval(samples: np.ndarray, rng: np.random.Generator, level: float, n_boot: int = 1000) -> dict[str, float]:
    """Mean and bootstrap percentile interval of a per-pair statistic."""
    means = samples[rng.integers(0, len(samples), (n_boot, len(samples)))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return {"mean": float(samples.mean()), "lo": float(lo), "hi": float(hi)}


@dataclass(frozen=True)
class InterventionProbe:
    """What one intervention changes, in the critic's eyes and in the agent's returns."""

    factor: str
    value: Any
    pairs: int
    expected: dict[str, float]
    """Change of the critic's first-step value (mean, lo, hi): the return the agent expects."""
    achieved: dict[str, float]
    """Change of the achieved return the critic predicts (mean, lo, hi): ``returned`` + ``bootstrap``."""
    returned: dict[str, float]
    """Change of the discounted rewards the agent got (mean, lo, hi)."""
    bootstrap: dict[str, float]
    """Change of the critic's discounted value of the episode's last state (mean, lo, hi); 0 for episodes that terminated."""
    difference: dict[str, float]
    """``expected - achieved`` per pair (mean, lo, hi)."""
    objectives: dict[str, float]
    """Mean change of every objective's plain return."""

    @property
    def disagree(self) -> bool:
        """Whether the critic expects a clearly different change than the agent achieves."""
        return self.difference["lo"] > 0 or self.difference["hi"] < 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "factor": self.factor, "value": self.value, "pairs": self.pairs, "expected": self.expected,
            "achieved": self.achieved, "returned": self.returned, "bootstrap": self.bootstrap,
            "difference": self.difference, "objectives": self.objectives,
            "disagree": self.disagree,
        }


@dataclass(frozen=True)
class ValueProbe:
    """The critic probe of one agent."""

    reward: str
    """The objective the agent was trained on: what its critic predicts."""
    gamma: float
    interventions: tuple[InterventionProbe, ...]
    level: float

    @property
    def summary(self) -> str:
        """One sentence a student can read."""
        split = [p for p in self.interventions if p.disagree]
        if not split:
            return (
                f"Where the suite's interventions change what the agent gets of {self.reward!r}, its critic expects "
                "the same change: value and behaviour agree."
            )
        parts = [
            f"{p.factor}={p.value}: expects {p.expected['mean']:+.2f}, gets {p.achieved['mean']:+.2f} = rewards "
            f"{p.returned['mean']:+.2f} + critic's value of the last state {p.bootstrap['mean']:+.2f}"
            for p in split
        ]
        return (
            f"The critic disagrees with the behaviour about {len(split)} of {len(self.interventions)} interventions "
            f"({'; '.join(parts)}; discounted {self.reward!r} return): what the agent expects is not what it does."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form, kept in ``attribution.json`` as ``value_probe``."""
        return {
            "reward": self.reward, "gamma": self.gamma, "level": self.level, "summary": self.summary,
            "interventions": [p.to_dict() for p in self.interventions],
        }


def has_critic(model: Any) -> bool:
    """Whether ``model`` has a state-value critic to probe (PPO, A2C)."""
    return callable(getattr(getattr(model, "policy", None), "predict_values", None)) and hasattr(model, "gamma")


def _values(model: Any, obs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        tensor, _ = model.policy.obs_to_tensor(obs)
        return model.policy.predict_values(tensor).cpu().numpy().reshape(-1)


def _play(scenario: Scenario, model: Any, reward: str, specs: Sequence[Any], seeds: Sequence[int]) -> np.ndarray:
    """Deterministic episodes in lock-step: ``(n, 3 + n_objectives)`` columns first value, discounted
    rewards, bootstrap (a truncated episode's discounted last-state value; 0 for a terminated one),
    then every objective's return."""
    episodes = play(scenario, specs, lambda: ModelPolicy(model), seeds, env={"objective": reward})
    first = _values(model, np.stack([e.first_obs for e in episodes]))
    last = _values(model, np.stack([e.last_obs for e in episodes]))
    gamma = float(model.gamma)
    returned = [float(np.dot(gamma ** np.arange(e.steps), e.rewards)) for e in episodes]
    bootstrap = [0.0 if e.terminated else gamma**e.steps * float(v) for e, v in zip(episodes, last)]
    returns = [[e.change(m) for m in scenario.rewards.values()] for e in episodes]
    return np.column_stack([first, returned, bootstrap, returns])


def value_probe(
    scenario: Scenario,
    suite: Suite,
    model: Any,
    *,
    reward: str | None = None,
    pairs: int = PROBE_PAIRS,
    seed: int = 0,
    level: float = 0.9,
) -> ValueProbe:
    """Probe the critic of an actor-critic stable-baselines3 ``model`` on the suite's interventions.

    ``reward`` is the objective the model was trained on (its critic predicts that reward's
    return; the true reward by default). Raises :class:`~proxies.errors.PolicyError` for a model
    without a state-value critic (DQN, SAC, TD3, DDPG, or a plain callable).
    """
    if not has_critic(model):
        raise PolicyError(
            f"The value probe needs an actor-critic model with a state-value critic (PPO or A2C); a "
            f"{type(model).__name__} has none. Attribute it by its behaviour alone."
        )
    if pairs < 2:
        raise PolicyError(f"The value probe needs at least 2 scene pairs per intervention, got {pairs}.")
    reward = scenario.check_objective(reward or scenario.true_reward)
    settings = {  # every factor value the suite intervenes on, once
        (f, json.dumps(v, sort_keys=True)): (f, v) for scene in suite.scenes for f, v in scene.interventions.items()
    }
    seeds = offset_seeds(seed, pairs, "value_probe")
    rng = np.random.default_rng(seed)
    train = [scenario.sample_spec(np.random.default_rng(s), "train") for s in seeds]
    base = _play(scenario, model, reward, train, seeds)
    probes = []
    for key in sorted(settings):
        factor, value = settings[key]
        moved = [scenario.sample_spec(np.random.default_rng(s), "train", **{factor: value}) for s in seeds]
        change = _play(scenario, model, reward, moved, seeds) - base
        achieved = change[:, 1] + change[:, 2]
        probes.append(InterventionProbe(
            factor=factor, value=value, pairs=pairs,
            expected=_interval(change[:, 0], rng, level), achieved=_interval(achieved, rng, level),
            returned=_interval(change[:, 1], rng, level), bootstrap=_interval(change[:, 2], rng, level),
            difference=_interval(change[:, 0] - achieved, rng, level),
            objectives=dict(zip(scenario.objectives, map(float, change[:, 3:].mean(axis=0)))),
        ))
    return ValueProbe(reward=reward, gamma=float(model.gamma), interventions=tuple(probes), level=level)
