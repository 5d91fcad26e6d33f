"""The factor sensitivity scan: does the agent react to a factor as the true-reward reference does?

For every factor of the generator, cue-only factors included, :func:`scan_scenes` makes scene
pairs: for each of ``pairs`` seeds (their own stream, :data:`proxies.seeding.STREAMS`
``discovery``), the training scene ``scenario.sample_spec(default_rng(seed), "train")`` and the
same draw with the factor set to a value of one intervention arm
(:func:`proxies.evaluate.verify.intervention_arms`: its intervention domain outside its training
domain, in parts), so the other factors and the layout come from training and are the same in
both. The agent and the true reward's reference play every scene with the pair's seed.

Behaviour is read off the kit's vocabulary (:func:`behaviour`): every event counter at the
episode's end (contacts per tag pair, region entries, captures, pickups, things eaten, nutrients,
locks opened) and the agent's final position. For each arm and feature, each pair gives a
difference in differences: the agent's change (arm scene minus training scene) minus the
reference's change. :func:`factor_scan` tests it:

- *effect size*: the mean difference in differences, in units of the feature's standard deviation
  over every episode of the scan (agent and reference, all scenes); a feature that never varies is
  not tested;
- *test*: a two-sided Wilcoxon signed-rank test over pairs (the paired form of ``verify``'s
  Mann-Whitney U); all tests of one scan form one family, corrected with Holm's step-down method,
  as :func:`proxies.evaluate.verify.verify_graph` does;
- *interval*: a percentile bootstrap interval of the mean difference in differences over pairs.

Rule, fixed before any validation: an (arm, feature) test is a *lead* when its Holm-adjusted p-value
is at most ``alpha`` (0.05) **and** its effect size is at least :data:`EFFECT_FLOOR` (half a standard
deviation, a "medium" effect) in magnitude; a factor is a lead when any of its tests is, reported by its
largest effect. The scenes of a lead's pairs where agent and reference part most are kept with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import wilcoxon

from proxies.errors import ConfigError, NothingToScanError
from proxies.evaluate.cue import cue_pair
from proxies.evaluate.verify import Arm, holm, intervention_arms
from proxies.scenario.scenario import Scenario
from proxies.seeding import STREAMS, rng, stream_seeds
from proxies.stats import bootstrap_interval
from sandbox.spec import SceneSpec
from sandbox.world import World

__all__ = ["EFFECT_FLOOR", "FactorLead", "FeatureTest", "ScanScenes", "behaviour", "factor_scan", "scan_scenes"]

EFFECT_FLOOR = 0.5
"""Least effect size of a lead, in standard deviations of the feature over the scan's episodes."""
PARTING = 3
"""Scenes kept per lead: the pairs where agent and reference part most."""


def behaviour(world: World) -> dict[str, float]:
    """The features of an episode's end: ``x`` and ``y`` (the agent's position [m]) and every event counter
    that counted something, as ``<counter>/<key>`` (e.g. ``contacts/broom|particle``)."""
    x, y = world.agent.position
    out = {"x": float(x), "y": float(y)}
    for counter, counts in world.events.to_dict().items():
        if counter != "inventory":
            out.update({f"{counter}/{key}": float(v) for key, v in counts.items()})
    return out


@dataclass(frozen=True)
class ScanScenes:
    """The scan's scenes: ``pairs`` training scenes, then ``pairs`` scenes per arm (pair ``i`` of an arm is the
    training scene ``i`` with the arm's factor moved)."""

    specs: tuple[SceneSpec, ...]
    seeds: tuple[int, ...]
    arms: tuple[Arm, ...]
    pairs: int
    values: tuple[tuple[Any, ...], ...]
    """Per arm, the factor's value in each pair."""

    def base(self) -> slice:
        """The training scenes."""
        return slice(0, self.pairs)

    def arm(self, a: int) -> slice:
        """The scenes of arm ``a``."""
        return slice(self.pairs * (a + 1), self.pairs * (a + 2))

    def describe(self, index: int) -> dict[str, Any]:
        """Scene ``index``: its arm (``None`` for training), pair, seed and factor values."""
        a, pair = divmod(index, self.pairs)
        return {
            "scene": index, "arm": None if a == 0 else self.arms[a - 1].label, "pair": pair, "seed": self.seeds[index],
            "factors": dict(self.specs[index].factors),
        }


def scan_scenes(scenario: Scenario, *, pairs: int, seed: int = 0) -> ScanScenes:
    """The scene pairs of every factor's every arm (see the module docstring).

    Raises :class:`~proxies.errors.NothingToScanError` when no factor has values outside its training domain,
    and :class:`~proxies.errors.ConfigError` for fewer than 6 pairs (a signed-rank test of fewer cannot reject).
    """
    if isinstance(pairs, bool) or not isinstance(pairs, int) or pairs < 6:
        raise ConfigError(
            f"The factor scan needs at least 6 scene pairs per arm (a signed-rank test of fewer can never reject), got "
            f"{pairs!r}; give --budget 6 or more (20 by default)."
        )
    arms = tuple(arm for f in scenario.factors for arm in intervention_arms(f))
    if not arms:
        raise NothingToScanError(
            f"Scenario {scenario.slug!r} has no factor with values outside its training domain ("
            f"{', '.join(f.name for f in scenario.factors) or 'no factors'}), so there is nothing to intervene on; "
            "widen a factor's intervention domain, e.g. Factor.real('x', train=(0.4, 0.6), intervene=(0.0, 1.0))."
        )
    seeds = stream_seeds(seed, pairs, STREAMS["discovery"])
    draw = rng(seed, "discovery")
    cues = {f.name for f in scenario.graph.cues}
    specs = [scenario.sample_spec(np.random.default_rng(s), "train") for s in seeds]
    values = []
    for arm in arms:
        drawn = tuple(arm.sample(draw) for _ in seeds)
        for s, value in zip(seeds, drawn):
            if arm.factor in cues:
                specs.append(cue_pair(scenario, s, arm.factor, value)[1])
            else:
                specs.append(scenario.sample_spec(np.random.default_rng(s), "train", **{arm.factor: value}))
        values.append(drawn)
    return ScanScenes(tuple(specs), tuple(seeds) * (len(arms) + 1), arms, pairs, tuple(values))


@dataclass(frozen=True)
class FeatureTest:
    """One test of the scan: one arm, one feature."""

    factor: str
    arm: str
    feature: str
    agent_change: float
    """The agent's mean change of the feature, arm scene minus training scene."""
    reference_change: float
    """The true-reward reference's mean change."""
    effect: float
    """Mean difference in differences, in standard deviations of the feature."""
    interval: dict[str, float] | None
    """Bootstrap interval of the mean difference in differences (feature units): ``mean``, ``lo``, ``hi``; computed
    for leads only (``None`` otherwise)."""
    p_value: float
    p_adjusted: float
    """Holm-adjusted over the whole scan."""
    lead: bool
    parting: tuple[int, ...]
    """Scene indices of the arm's pairs where the agent and the reference part most, most first."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "factor": self.factor, "arm": self.arm, "feature": self.feature, "agent_change": self.agent_change,
            "reference_change": self.reference_change, "effect": self.effect, "interval": self.interval,
            "p_value": None if np.isnan(self.p_value) else self.p_value, "p_adjusted": self.p_adjusted,
            "lead": self.lead, "parting": list(self.parting),
        }


@dataclass(frozen=True)
class FactorLead:
    """A factor the agent reacts to differently from the true reference: its tests that are leads, largest first."""

    factor: str
    tests: tuple[FeatureTest, ...]

    @property
    def strongest(self) -> FeatureTest:
        """The test of largest effect."""
        return self.tests[0]

    @property
    def effect(self) -> float:
        """Magnitude of the largest effect [standard deviations]."""
        return abs(self.strongest.effect)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"factor": self.factor, "effect": self.effect, "tests": [t.to_dict() for t in self.tests]}


def _p_value(diff: np.ndarray) -> float:
    if not np.any(diff):
        return float("nan")
    return float(wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)


def factor_scan(
    scenes: ScanScenes,
    agent: Sequence[Mapping[str, float]],
    reference: Sequence[Mapping[str, float]],
    *,
    alpha: float = 0.05,
    level: float = 0.9,
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[tuple[FactorLead, ...], tuple[FeatureTest, ...]]:
    """The leads (strongest first) and every test, from the agent's and the reference's :func:`behaviour` per scene."""
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha must be a significance level in (0, 1), got {alpha}.")
    n = len(scenes.specs)
    if len(agent) != n or len(reference) != n:
        raise ValueError(f"need one behaviour per scene ({n}), got {len(agent)} and {len(reference)}")
    names = sorted({k for b in (*agent, *reference) for k in b})
    a_m = np.array([[b.get(k, 0.0) for k in names] for b in agent]).reshape(n, len(names))
    r_m = np.array([[b.get(k, 0.0) for k in names] for b in reference]).reshape(n, len(names))
    scale = np.concatenate([a_m, r_m]).std(axis=0)
    base = scenes.base()
    raw = []
    for a, arm in enumerate(scenes.arms):
        rows = scenes.arm(a)
        for j, name in enumerate(names):
            if scale[j] <= 1e-12:
                continue
            da, dr = a_m[rows, j] - a_m[base, j], r_m[rows, j] - r_m[base, j]
            diff = da - dr
            raw.append((arm, name, da, dr, diff, _p_value(diff), scale[j], rows.start))
    p = np.array([r[5] for r in raw])
    live = ~np.isnan(p)
    adjusted = np.ones(len(p))
    if live.any():
        adjusted[live] = holm(p[live])
    draw = rng(seed, "discovery", 1)
    tests = []
    for (arm, name, da, dr, diff, p_value, sd, start), adj in zip(raw, adjusted):
        effect = float(diff.mean() / sd)
        lead = bool(adj <= alpha and abs(effect) >= EFFECT_FLOOR)
        interval = bootstrap_interval(diff, draw, level=level, n_boot=n_boot, statistic=np.mean) if lead else None
        order = np.argsort(-np.abs(diff), kind="stable")[:PARTING]
        tests.append(FeatureTest(
            arm.factor, arm.label, name, float(da.mean()), float(dr.mean()), effect, interval, p_value, float(adj), lead,
            tuple(int(start + i) for i in order if diff[i] != 0),
        ))
    leads = []
    for factor in dict.fromkeys(t.factor for t in tests):
        mine = sorted((t for t in tests if t.factor == factor and t.lead), key=lambda t: -abs(t.effect))
        if mine:
            leads.append(FactorLead(factor, tuple(mine)))
    return tuple(sorted(leads, key=lambda lead: -lead.effect)), tuple(tests)
