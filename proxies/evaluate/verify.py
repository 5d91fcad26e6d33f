"""Check a reward graph's factor → measurement edges against the simulator (``check --verify-graph``).

A scenario author declares which factors cause which measurements; this module asks the
physics whether they do, so an author learns when the graph they wrote is not the world
they built.

Method
------
*Arms.* For every factor, intervention arms set it to values of its intervention domain
that lie outside its training domain, with every other factor drawn from its training
domain: for a numeric factor, the part below and the part above the training range are
separate arms (opposite shifts could cancel out in one), and each out-of-training value of
a choice factor is an arm of its own. A factor whose intervention domain adds nothing to
its training domain cannot be tested. A baseline arm draws every factor from training and
has twice as many scenes (it is compared with every arm).

*Behaviours.* Every objective's reference behaviour plays the same scenes of every arm: the
scenario's scripted one, or else the framework's automatic one
(:func:`proxies.evaluate.references.reference_behaviours`), listed in ``automatic``. The behaviours are
fixed: the same policies everywhere, not retrained per arm.

*Test.* For each arm, reference and measurement, a two-sided Mann–Whitney U test (scipy;
normal approximation with tie and continuity correction) compares the measurement's change
over an episode in the arm's scenes with the baseline's. All the tests of one check form one
family, corrected with Holm's step-down method: the chance of even one false detection in a
whole check is at most ``alpha`` (0.05 by default). A test whose two samples are one and the
same constant cannot reject and is left out of the family.

Rule
----
An effect factor → measurement is *detected* when any of its tests (any arm, any reference)
rejects after correction. Each factor–measurement pair is then judged against the graph:

- a **direct edge** is ``confirmed`` if the effect is detected, else ``not_detected``
  (flagged: the graph claims an effect that no reference shows);
- **no directed path** at all: ``undeclared`` if the effect is detected (flagged: the
  simulator shows an effect the graph does not allow), else ``absent``;
- a **path only through other measurements** (dust → sweeps → cleanliness) is ``indirect``,
  consistent whether or not the effect is seen: the factor may act through the measurement
  path, which the graph declares, and a path may also carry too little to detect.
  Measurements cannot be intervened on, so a direct effect cannot be told apart from one
  carried by such a path, and edges between measurements are not tested here.

The two flags weigh differently. ``undeclared`` is evidence against the graph (a detection
at family-wise level ``alpha``): the check *fails*. ``not_detected`` is absence of evidence:
no reference exercises the edge with the other factors at their training values, or a
competent reference compensates for it (a cleaner finds the dustpan wherever it stands), or
there were too few episodes. It is reported, and fails the check only when ``strict``.

Effects that act through the behaviour (a reference steering by a factor) count as effects,
as they do when the graph's relations are derived (the level layout drives "reached the
edge" only through an agent heading for the coin).

Examples
--------
>>> from proxies import get_scenario
>>> result = verify_graph(get_scenario("cleaning-robot"), episodes=24)  # doctest: +SKIP
>>> result.verdict, [str(c) for c in result.flagged]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
from rich.table import Table
from scipy.stats import mannwhitneyu

from proxies.errors import ConfigError
from proxies.evaluate.references import reference_behaviours
from proxies.scenario.rollout import episode_returns
from proxies.scenario.scenario import Scenario
from sandbox.factors import Factor

__all__ = [
    "Arm",
    "EdgeCheck",
    "EffectTest",
    "GraphVerification",
    "holm",
    "intervention_arms",
    "verification_table",
    "verify_graph",
]

Status = Literal["confirmed", "not_detected", "indirect", "undeclared", "absent", "untested"]
FLAGGED: tuple[Status, ...] = ("not_detected", "undeclared")
"""Statuses that say the graph and the simulator disagree."""
_BATCH = 400
"""Episodes played in lock-step at most (bounds the memory of live worlds)."""


@dataclass(frozen=True)
class Arm:
    """One intervention: a factor set to values from one part of its intervention domain.

    ``values`` holds the one value of a choice arm, or the inclusive ``(low, high)`` bounds
    of a numeric arm, drawn uniformly.
    """

    factor: str
    kind: Literal["integer", "real", "choice"]
    values: tuple[Any, ...]

    @property
    def label(self) -> str:
        """E.g. ``pan_wall=south`` or ``dust=1..5``."""
        if self.kind == "choice":
            return f"{self.factor}={self.values[0]}"
        low, high = self.values
        if self.kind == "integer":
            return f"{self.factor}={low}" if low == high else f"{self.factor}={low}..{high}"
        return f"{self.factor}={low:g}..{high:g}"

    def sample(self, rng: np.random.Generator) -> Any:
        """Draw a value of the arm with ``rng``."""
        if self.kind == "choice":
            return self.values[0]
        low, high = self.values
        if self.kind == "integer":
            return int(rng.integers(low, high + 1))
        return float(rng.uniform(low, high))


def intervention_arms(factor: Factor) -> tuple[Arm, ...]:
    """The arms of ``factor``: its intervention domain outside its training domain, in parts.

    >>> [a.label for a in intervention_arms(Factor.integer("dust", train=(6, 10), intervene=(1, 12)))]
    ['dust=1..5', 'dust=11..12']
    >>> [a.label for a in intervention_arms(Factor.choice("wall", train=("east",), intervene=("east", "west")))]
    ['wall=west']
    """
    if factor.kind == "choice":
        return tuple(Arm(factor.name, "choice", (v,)) for v in factor.intervene if v not in factor.train)
    (low, high), (train_low, train_high) = factor.intervene, factor.train
    step = 1 if factor.kind == "integer" else 0
    arms = []
    if low < train_low:
        arms.append(Arm(factor.name, factor.kind, (low, train_low - step)))
    if train_high < high:
        arms.append(Arm(factor.name, factor.kind, (train_high + step, high)))
    return tuple(arms)


@dataclass(frozen=True)
class EffectTest:
    """One Mann–Whitney U test: a measurement under one reference, baseline scenes against one arm's."""

    factor: str
    arm: str
    """The arm's label, e.g. ``dust=1..5``."""
    measurement: str
    reference: str
    """The objective whose reference behaviour played the scenes."""
    baseline_mean: float
    arm_mean: float
    p_value: float
    """Two-sided p-value of this test alone."""
    p_adjusted: float
    """Holm-adjusted p-value over the whole check."""
    detected: bool
    """Whether ``p_adjusted <= alpha``."""

    @property
    def shift(self) -> float:
        """Mean change of the measurement from the baseline to the arm."""
        return self.arm_mean - self.baseline_mean

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "factor": self.factor,
            "arm": self.arm,
            "measurement": self.measurement,
            "reference": self.reference,
            "baseline_mean": self.baseline_mean,
            "arm_mean": self.arm_mean,
            "p_value": None if np.isnan(self.p_value) else self.p_value,
            "p_adjusted": self.p_adjusted,
            "detected": self.detected,
        }


@dataclass(frozen=True)
class EdgeCheck:
    """The verdict on one factor–measurement pair."""

    factor: str
    measurement: str
    declared: Literal["edge", "path", "none"]
    """A direct edge in the graph, a directed path through measurements only, or neither."""
    path: tuple[str, ...]
    """The shortest declared path from the factor to the measurement (empty if none)."""
    status: Status
    detected_by: tuple[str, ...]
    """References under which the effect was detected."""
    evidence: EffectTest | None
    """The test with the smallest adjusted p-value (None if the factor is untested)."""

    @property
    def flagged(self) -> bool:
        """Whether the graph and the simulator disagree on this pair."""
        return self.status in FLAGGED

    def __str__(self) -> str:
        return f"{self.factor} -> {self.measurement}: {self.status}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "factor": self.factor,
            "measurement": self.measurement,
            "declared": self.declared,
            "path": list(self.path),
            "status": self.status,
            "flagged": self.flagged,
            "detected_by": list(self.detected_by),
            "evidence": None if self.evidence is None else self.evidence.to_dict(),
        }


@dataclass(frozen=True)
class GraphVerification:
    """The outcome of :func:`verify_graph`."""

    scenario: str
    alpha: float
    """Family-wise significance level of the whole check (Holm)."""
    episodes: int
    """Scenes per arm and reference (the baseline has twice as many)."""
    seed: int
    references: tuple[str, ...]
    automatic: tuple[str, ...]
    """The references that are the framework's automatic ones (no scripted one for that objective)."""
    arms: tuple[Arm, ...]
    untested: tuple[str, ...]
    """Factors whose intervention domain adds no value to their training domain."""
    checks: tuple[EdgeCheck, ...]
    tests: tuple[EffectTest, ...]
    seconds: float
    """Wall-clock time of the check [s]."""

    @property
    def n_episodes(self) -> int:
        """Episodes played in all: every reference on the baseline's and every arm's scenes."""
        return (2 + len(self.arms)) * self.episodes * len(self.references)

    @property
    def flagged(self) -> tuple[EdgeCheck, ...]:
        """The pairs where graph and simulator disagree."""
        return tuple(c for c in self.checks if c.flagged)

    @property
    def not_detected(self) -> tuple[EdgeCheck, ...]:
        """Declared factor → measurement edges with no detectable effect."""
        return tuple(c for c in self.checks if c.status == "not_detected")

    @property
    def undeclared(self) -> tuple[EdgeCheck, ...]:
        """Detected effects of a factor on a measurement it has no declared path to."""
        return tuple(c for c in self.checks if c.status == "undeclared")

    @property
    def verdict(self) -> Literal["consistent", "unconfirmed", "inconsistent"]:
        """``inconsistent`` if an undeclared effect was detected, else ``unconfirmed`` if a declared
        edge showed no effect, else ``consistent``."""
        if self.undeclared:
            return "inconsistent"
        return "unconfirmed" if self.not_detected else "consistent"

    def passed(self, strict: bool = False) -> bool:
        """Whether no undeclared effect was detected (``strict``: and every declared edge was confirmed)."""
        return self.verdict == "consistent" or (self.verdict == "unconfirmed" and not strict)

    @property
    def n_family(self) -> int:
        """Tests in the Holm family (tests that could reject)."""
        return sum(1 for t in self.tests if not np.isnan(t.p_value))

    def summary(self) -> str:
        """A few lines: the verdict, the flagged pairs, the method and the runtime."""
        lines = {
            "consistent": "The graph is consistent with the simulator: every declared factor edge was confirmed.",
            "unconfirmed": "No effect contradicts the graph, but some declared edges showed no detectable effect.",
            "inconsistent": "The simulator contradicts the graph: it shows effects the graph does not declare.",
        }
        out = [lines[self.verdict]]
        if self.undeclared:
            out.append("  undeclared effects (declare the edge if it is real): " + ", ".join(
                f"{c.factor} -> {c.measurement}" for c in self.undeclared))
        if self.not_detected:
            out.append("  declared edges with no detectable effect (wrong edge, or no reference exercises it): "
                       + ", ".join(f"{c.factor} -> {c.measurement}" for c in self.not_detected))
        if self.untested:
            out.append("  untested factors (intervention domain = training domain): " + ", ".join(self.untested))
        automatic = f" ({', '.join(self.automatic)} automatic)" if self.automatic else ""
        out.append(
            f"  {len(self.references)} reference(s){automatic} x {len(self.arms)} arm(s): {self.n_episodes} episodes in "
            f"{self.seconds:.1f} s; two-sided Mann-Whitney U, Holm over {self.n_family} tests, alpha={self.alpha:g}"
        )
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "scenario": self.scenario,
            "verdict": self.verdict,
            "alpha": self.alpha,
            "test": "mann-whitney-u two-sided",
            "correction": "holm",
            "episodes": self.episodes,
            "seed": self.seed,
            "references": list(self.references),
            "automatic": list(self.automatic),
            "arms": [a.label for a in self.arms],
            "untested": list(self.untested),
            "n_episodes": self.n_episodes,
            "seconds": self.seconds,
            "not_detected": [f"{c.factor} -> {c.measurement}" for c in self.not_detected],
            "undeclared": [f"{c.factor} -> {c.measurement}" for c in self.undeclared],
            "checks": [c.to_dict() for c in self.checks],
            "tests": [t.to_dict() for t in self.tests],
        }


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (monotone, capped at 1), in the input order.

    >>> holm(np.array([0.01, 0.04, 0.03])).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def _p_value(baseline: np.ndarray, arm: np.ndarray) -> float:
    """Two-sided Mann–Whitney U p-value; NaN when both samples are one and the same constant."""
    values = np.concatenate((baseline, arm))
    if np.all(values == values[0]):
        return float("nan")
    return float(mannwhitneyu(baseline, arm, alternative="two-sided", method="asymptotic").pvalue)


def verify_graph(scenario: Scenario, *, episodes: int = 24, alpha: float = 0.05, seed: int = 0) -> GraphVerification:
    """Intervene on each factor and test which measurements change; judge the graph (see the module docstring).

    Parameters
    ----------
    scenario: the scenario; every objective's reference (scripted, else automatic) plays every scene.
    episodes: scenes per arm and reference (the baseline gets twice as many).
    alpha: family-wise significance level of the whole check (Holm-corrected).
    seed: seed of the scene draws; the same seed gives the same result.
    """
    if int(episodes) != episodes or episodes < 5:
        raise ConfigError(f"--episodes must be a whole number of at least 5 scenes per arm, got {episodes}.")
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha must be a significance level in (0, 1), got {alpha}.")
    start = time.perf_counter()
    references = reference_behaviours(scenario)
    graph = scenario.graph
    names = tuple(m.name for m in graph.measurements)
    arms = tuple(arm for f in graph.factors for arm in intervention_arms(f))
    untested = tuple(f.name for f in graph.factors if not intervention_arms(f))

    # Scenes: the baseline first, then each arm; every reference plays all of them, in lock-step batches.
    rng = np.random.default_rng(seed)
    specs, seeds, rows = [], [], []
    for arm in (None, *arms):
        n = 2 * episodes if arm is None else episodes
        first = len(specs)
        for scene_seed in rng.integers(2**31 - 1, size=n).tolist():
            scene_rng = np.random.default_rng(scene_seed)
            fixed = {} if arm is None else {arm.factor: arm.sample(scene_rng)}
            specs.append(scenario.sample_spec(scene_rng, "train", **fixed))
            seeds.append(scene_seed)
        rows.append(slice(first, len(specs)))
    outcomes = {
        name: np.concatenate([
            episode_returns(scenario, specs[i : i + _BATCH], make, seeds[i : i + _BATCH], measurements=names)
            for i in range(0, len(specs), _BATCH)
        ])
        for name, make in ((o, ref.make) for o, ref in references.items())
    }

    raw = []  # (arm, reference, measurement column, p, baseline mean, arm mean)
    for a, arm in enumerate(arms, start=1):
        for reference, values in outcomes.items():
            for j in range(len(names)):
                base, treated = values[rows[0], j], values[rows[a], j]
                raw.append((arm, reference, j, _p_value(base, treated), float(base.mean()), float(treated.mean())))
    p = np.array([r[3] for r in raw])
    live = ~np.isnan(p)
    adjusted = np.ones(len(p))
    adjusted[live] = holm(p[live])
    tests = tuple(
        EffectTest(arm.factor, arm.label, names[j], reference, base, treated, p_value, float(adj), bool(adj <= alpha))
        for (arm, reference, j, p_value, base, treated), adj in zip(raw, adjusted)
    )

    dag = graph.dag
    checks = []
    for factor in graph.factors:
        for measurement in names:
            mine = [t for t in tests if t.factor == factor.name and t.measurement == measurement]
            path = tuple(nx.shortest_path(dag, factor.name, measurement)) if nx.has_path(dag, factor.name, measurement) else ()
            declared = "edge" if len(path) == 2 else "path" if path else "none"
            detected_by = tuple(dict.fromkeys(t.reference for t in mine if t.detected))
            if not mine:
                status: Status = "untested"
            elif declared == "path":
                status = "indirect"
            elif declared == "edge":
                status = "confirmed" if detected_by else "not_detected"
            else:
                status = "undeclared" if detected_by else "absent"
            evidence = min(mine, key=lambda t: (t.p_adjusted, np.nan_to_num(t.p_value, nan=1.0))) if mine else None
            checks.append(EdgeCheck(factor.name, measurement, declared, path, status, detected_by, evidence))
    return GraphVerification(
        scenario=scenario.slug,
        alpha=alpha,
        episodes=episodes,
        seed=seed,
        references=tuple(references),
        automatic=tuple(o for o, ref in references.items() if ref.source != "scripted"),
        arms=arms,
        untested=untested,
        checks=tuple(checks),
        tests=tests,
        seconds=time.perf_counter() - start,
    )


_STYLES: dict[str, str] = {
    "confirmed": "[green]confirmed[/]",
    "not_detected": "[yellow]not detected[/]",
    "indirect": "[cyan]indirect[/]",
    "undeclared": "[bold red]UNDECLARED[/]",
    "absent": "[dim]absent[/]",
    "untested": "[dim]untested[/]",
}


def verification_table(result: GraphVerification) -> Table:
    """A rich table with one row per factor–measurement pair and its strongest test."""
    table = Table("factor", "measurement", "graph", "strongest effect (arm, reference)", "p (Holm)", "verdict",
                  title=f"reward graph vs simulator: {result.scenario}")
    for check in result.checks:
        graph = {"edge": "edge", "path": "via " + " -> ".join(check.path[1:-1]), "none": "-"}[check.declared]
        test = check.evidence
        if test is None or np.isnan(test.p_value):
            effect, p = "-", "-"
        else:
            by = f"{test.reference}, automatic" if test.reference in result.automatic else test.reference
            effect, p = f"{test.shift:+.2f} at {test.arm} ({by})", f"{test.p_adjusted:.2g}"
        table.add_row(check.factor, check.measurement, graph, effect, p, _STYLES[check.status])
    return table
