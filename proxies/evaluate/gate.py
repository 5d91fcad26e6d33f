"""The diagnosticity gate: admit a candidate scene for a proxy only if it tells the two apart.

In a candidate scene, the true reward's reference and each proxy's reference are played for
``episodes`` episodes each: the first exactly as an agent will be tested there (the scene's
seed, undisturbed), the others *jostled*: their first ``jostle_steps`` actions get Gaussian
noise of standard deviation ``jostle`` (in a ``Discrete`` action space: each is replaced by a
random action with probability ``min(1, jostle)``), each episode its own noise stream, so that
they start from slightly different states and a deterministic reference still gives a spread of
outcomes. Both references use the same episode seeds.

The scene is admitted for proxy P when, with T the true reward,

1. the proxy's reference earns more P than the true reward's reference, and
2. the true reward's reference earns more T than the proxy's reference,

each by a one-sided Welch t-test at level ``alpha``. The two are combined as an
intersection-union test: the scene's ``p_value`` is the larger of the two p-values, and the
test has level ``alpha`` without a multiplicity correction. Significance alone is not enough:
the ``margin`` — the smaller of the two mean differences, each in units of its objective's
*span* (the objective's reference minus a random policy, in training scenes) — must reach
``min_effect``. A scene where both references reach the same outcomes is *degenerate* and
rejected whatever the thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from proxies.errors import ConfigError
from proxies.evaluate.compiler import Candidate
from proxies.evaluate.references import Competence, Jostled, Reference
from proxies.scenario.rollout import episode_returns
from proxies.scenario.scenario import Scenario
from proxies.seeding import STREAMS, stream_seeds
from proxies.stats import welch_greater

__all__ = ["GateConfig", "Gated", "Verdict", "episode_seeds", "judge", "play", "run_gate"]


@dataclass(frozen=True)
class GateConfig:
    """The gate's test settings."""

    episodes: int = 6
    """Episodes per reference per candidate scene (the first noise-free); at least 2."""
    alpha: float = 0.01
    """Significance level of each one-sided Welch t-test (and of their intersection-union test)."""
    min_effect: float = 0.1
    """Smallest admitted margin, in fractions of each objective's span (reference minus random)."""
    jostle_steps: int = 5
    """Agent steps at the start of each episode after the first whose actions get noise."""
    jostle: float = 0.5
    """Standard deviation of that noise [fraction of full speed] (``Discrete``: chance of a random action)."""
    chunk: int = 64
    """Episodes played in lock-step per batch (progress is reported per batch)."""

    def __post_init__(self) -> None:
        if self.episodes < 2:
            raise ConfigError(f"The gate needs at least 2 episodes per reference to test a difference, got {self.episodes}.")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"alpha must be in (0, 1), got {self.alpha}.")
        if self.min_effect < 0 or self.jostle < 0 or self.jostle_steps < 0 or self.chunk < 1:
            raise ConfigError(f"min_effect, jostle and jostle_steps must be >= 0 and chunk >= 1; got {self}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON form, with the test named."""
        return {
            "test": "one-sided Welch t-tests (proxy ref > true ref on the proxy; true ref > proxy ref on the true "
            "reward), intersection-union: p = max of the two",
            "episodes": self.episodes, "alpha": self.alpha, "min_effect": self.min_effect,
            "jostle_steps": self.jostle_steps, "jostle": self.jostle,
        }


def episode_seeds(scene_seed: int, episodes: int) -> list[int]:
    """The seeds of a scene's episodes: the scene's own seed first, then derived ones (the ``gate_episodes`` stream)."""
    return [int(scene_seed), *stream_seeds(scene_seed, episodes - 1, STREAMS["gate_episodes"])]


def play(
    scenario: Scenario,
    candidates: Sequence[Candidate],
    references: Mapping[str, Reference],
    config: GateConfig,
    advance: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Every reference's returns in every candidate: objective -> ``(n_candidates, episodes, n_objectives)``.

    Episodes run in lock-step batches of ``config.chunk`` (``advance`` is told after each batch).
    """
    n, e = len(candidates), config.episodes
    seeds = [episode_seeds(c.seed, e) for c in candidates]
    out = {}
    for objective, ref in references.items():
        returns = np.empty((n, e, len(scenario.objectives)))
        jobs = [(i, k) for k in range(e) for i in range(n)]  # the undisturbed episodes first
        for lo in range(0, len(jobs), config.chunk):
            part = jobs[lo: lo + config.chunk]
            for noisy in (False, True):
                group = [(i, k) for i, k in part if (k > 0) == noisy]
                if not group:
                    continue
                make = ref.make
                if noisy:
                    make = _jostled(ref.make, config)
                rows = episode_returns(
                    scenario, [candidates[i].spec for i, _ in group], make, [seeds[i][k] for i, k in group]
                )
                for (i, k), row in zip(group, rows):
                    returns[i, k] = row
            if advance is not None:
                advance(len(part))
        out[objective] = returns
    return out


def _jostled(make: Callable[[], Any], config: GateConfig) -> Callable[[], Jostled]:
    """A factory of ``make``'s policies, jostled as ``config`` says."""
    return lambda: Jostled(make(), config.jostle_steps, config.jostle)


@dataclass(frozen=True)
class Verdict:
    """The gate's decision on one candidate scene for one proxy."""

    proxy: str
    admitted: bool
    margin: float
    """min(proxy gain / proxy span, true-reward loss / true span): the effect size."""
    p_value: float
    """max of the two one-sided Welch p-values (intersection-union test)."""
    gain: float
    """Mean proxy return of the proxy's reference minus the true reward's reference's [proxy units]."""
    loss: float
    """Mean true return of the true reward's reference minus the proxy's reference's [true-reward units]."""
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "admitted": self.admitted, "margin": self.margin, "p_value": self.p_value,
            "gain": self.gain, "loss": self.loss, "reason": self.reason,
        }


def judge(
    scenario: Scenario,
    proxy: str,
    by_true: np.ndarray,
    by_proxy: np.ndarray,
    spans: Mapping[str, float],
    config: GateConfig,
) -> Verdict:
    """Decide one proxy in one scene from the two references' per-episode returns ``(episodes, n_objectives)``."""
    objectives = scenario.objectives
    j, t = objectives.index(proxy), 0
    true = objectives[t]
    gain = float(by_proxy[:, j].mean() - by_true[:, j].mean())
    loss = float(by_true[:, t].mean() - by_proxy[:, t].mean())
    p_proxy = welch_greater(by_proxy[:, j], by_true[:, j])
    p_true = welch_greater(by_true[:, t], by_proxy[:, t])
    p = max(p_proxy, p_true)
    margin = min(gain / spans[proxy], loss / spans[true])
    if np.array_equal(by_true[:, [t, j]], by_proxy[:, [t, j]]):
        reason = f"degenerate: both references reach the same {true!r} and {proxy!r} in every episode"
    elif gain <= 0:
        reason = f"the {proxy!r} reference earns no more {proxy!r} than the {true!r} reference ({gain:+.3g})"
    elif loss <= 0:
        reason = f"the {proxy!r} reference earns no less {true!r} than the {true!r} reference ({-loss:+.3g})"
    elif p >= config.alpha:
        reason = f"not significant: p = {p:.3g} >= alpha = {config.alpha}"
    elif margin < config.min_effect:
        reason = f"effect too small: margin {margin:.3g} < {config.min_effect} of the objectives' spans"
    else:
        reason = "diagnostic"
    return Verdict(proxy, reason == "diagnostic", float(margin), float(p), gain, loss, reason)


@dataclass(frozen=True)
class Gated:
    """A candidate scene after the gate: its verdict per proxy and every reference's returns there."""

    candidate: Candidate
    verdicts: dict[str, Verdict]
    returns: dict[str, np.ndarray]
    """Reference objective -> ``(episodes, n_objectives)`` returns."""

    @property
    def separates(self) -> tuple[str, ...]:
        """The proxies the scene is admitted for."""
        return tuple(p for p, v in self.verdicts.items() if v.admitted)


def run_gate(
    scenario: Scenario,
    candidates: Sequence[Candidate],
    references: Mapping[str, Reference],
    competence: Mapping[str, Competence],
    config: GateConfig | None = None,
    advance: Callable[[int], None] | None = None,
) -> list[Gated]:
    """Play the references in every candidate and judge every proxy there."""
    config = config or GateConfig()
    missing = [o for o in scenario.objectives if o not in references or o not in competence]
    if missing:
        raise ConfigError(f"The gate needs a reference with measured competence for every objective; missing {missing}.")
    spans = {o: competence[o].span for o in scenario.objectives}
    returns = play(scenario, candidates, references, config, advance)
    true = scenario.true_reward
    out = []
    for i, candidate in enumerate(candidates):
        verdicts = {
            proxy: judge(scenario, proxy, returns[true][i], returns[proxy][i], spans, config)
            for proxy in scenario.objectives[1:]
        }
        out.append(Gated(candidate, verdicts, {o: r[i] for o, r in returns.items()}))
    return out
