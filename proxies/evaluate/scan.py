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
is at most the look's level (:attr:`Looks.alpha`) **and** its effect size is at least :data:`EFFECT_FLOOR`
(half a standard deviation, a "medium" effect) in magnitude; a factor is a lead when any of its tests is,
reported by its largest effect. The scenes of a lead's pairs where agent and reference part most are kept
with it.

**Sequential scan** (:class:`Looks`, :func:`undecided_arms`, :func:`extend_scenes`), fixed before it
was measured. Every arm starts with ``budget`` pairs (the first look). An arm is *undecided* when none
of its tests is a lead but one has an effect of at least :data:`EFFECT_FLOOR` and a raw p-value of at
most :data:`PROMISING` (0.2): large enough to matter, not yet significant. Only undecided arms get more
pairs, the next look's (the pair count doubles: 20, 40, 80), up to ``max_budget``; the scan stops when
no arm is undecided or every undecided arm has the last look's pairs. A new pair ``i`` of an arm pairs
with training scene ``i`` (drawn as the first ones, from the same stream); its value comes from its own
generator (``rng(seed, "discovery", 2, arm, i)``), so a scene does not depend on which arms were extended.

Why the false-lead rate stays at :data:`ALPHA` (0.05) over looks: with ``K`` looks, every look is tested at
``ALPHA / K`` (Bonferroni over looks), and each look's Holm family is every test of the scan, the arms not
extended included. A test's p-value on the first ``n`` pairs of its arm, ``n`` one of the ``K`` sizes fixed
in advance, is a valid p-value whether or not the arm was chosen to reach ``n`` (the bound below is on the
unconditional chance, so the choosing does not enter). Holm
rejects a true null hypothesis only if one true null's p-value is at most ``alpha / (K * T)``, ``T`` the
number of true nulls, whatever the other p-values are; the union over the ``T`` true nulls and their ``K``
possible sizes bounds the chance of any false lead, at any look, by ``ALPHA``.
"""

from __future__ import annotations

import dataclasses
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

__all__ = [
    "ALPHA", "EFFECT_FLOOR", "PROMISING", "FactorLead", "FeatureTest", "Looks", "ScanScenes", "behaviour",
    "extend_scenes", "factor_scan", "scan_scenes", "undecided_arms",
]

ALPHA = 0.05
"""The scan's false-lead rate, over every test and every look."""
EFFECT_FLOOR = 0.5
"""Least effect size of a lead, in standard deviations of the feature over the scan's episodes."""
PROMISING = 0.2
"""Largest raw p-value of a test that makes its arm undecided (with an effect of at least :data:`EFFECT_FLOOR`)."""
PARTING = 3
"""Scenes kept per lead: the pairs where agent and reference part most."""
TRAINING = -1
"""The arm index of a training scene in :attr:`ScanScenes.keys`."""


@dataclass(frozen=True)
class Looks:
    """The sequential scan's schedule: ``budget`` pairs per arm at the first look, twice as many at each further
    look (of the undecided arms), the last one ``max_budget``."""

    budget: int
    """Pairs per arm at the first look [pairs]."""
    max_budget: int
    """Pairs of an arm at the last look [pairs]; ``budget`` itself makes a scan of one look."""

    def __post_init__(self) -> None:
        for name, n in (("budget", self.budget), ("max_budget", self.max_budget)):
            if isinstance(n, bool) or not isinstance(n, int):
                raise ConfigError(f"Looks.{name} must be a whole number of scene pairs, got {n!r}.")
        if self.budget < 6:
            raise ConfigError(
                f"The factor scan needs at least 6 scene pairs per arm (a signed-rank test of fewer can never reject), "
                f"got {self.budget!r}; give --budget 6 or more (20 by default)."
            )
        if self.max_budget < self.budget:
            raise ConfigError(
                f"--max-budget {self.max_budget} is below --budget {self.budget}: the first look already has "
                f"{self.budget} pairs per arm; give --max-budget {self.budget} (one look) or more (4 x --budget by default)."
            )

    @classmethod
    def of(cls, budget: int, max_budget: int | None = None) -> Looks:
        """The schedule of ``budget`` pairs at the first look and ``max_budget`` at the last (default ``4 * budget``)."""
        return cls(budget, 4 * budget if max_budget is None else max_budget)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Pairs per arm at each look, e.g. ``(20, 40, 80)``."""
        out = [self.budget]
        while out[-1] < self.max_budget:
            out.append(min(2 * out[-1], self.max_budget))
        return tuple(out)

    @property
    def alpha(self) -> float:
        """Level of each look: :data:`ALPHA` split evenly over the looks (Bonferroni)."""
        return ALPHA / len(self.sizes)


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
    """The scan's scenes: training scenes and, per arm, the same draws with the arm's factor moved (pair ``i`` of an
    arm is training scene ``i`` with the factor moved). A sequential scan appends scenes, never reorders them."""

    specs: tuple[SceneSpec, ...]
    seeds: tuple[int, ...]
    arms: tuple[Arm, ...]
    keys: tuple[tuple[int, int], ...]
    """Per scene, its arm's index (:data:`TRAINING` for a training scene) and its pair."""
    budget: int
    """Pairs per arm at the first look (their values are drawn from one stream, arm after arm)."""
    seed: int

    def base(self) -> np.ndarray:
        """The training scenes, in pair order."""
        return self.arm(TRAINING)

    def arm(self, a: int) -> np.ndarray:
        """The scenes of arm ``a``, in pair order."""
        return np.array([i for i, (arm, _) in enumerate(self.keys) if arm == a], dtype=int)

    @property
    def pairs(self) -> tuple[int, ...]:
        """Pairs of each arm."""
        return tuple(len(self.arm(a)) for a in range(len(self.arms)))

    def describe(self, index: int) -> dict[str, Any]:
        """Scene ``index``: its arm (``None`` for training), pair, seed and factor values."""
        a, pair = self.keys[index]
        return {
            "scene": index, "arm": None if a == TRAINING else self.arms[a].label, "pair": pair, "seed": self.seeds[index],
            "factors": dict(self.specs[index].factors),
        }


def _scenes(scenario: Scenario, scenes: ScanScenes, keys: Sequence[tuple[int, int]], values: Mapping[tuple[int, int], Any]
            ) -> ScanScenes:
    """``scenes`` with the scenes ``keys`` appended (an arm's with its value from ``values``)."""
    seeds = stream_seeds(scenes.seed, 1 + max(pair for _, pair in keys), STREAMS["discovery"])
    cues = {f.name for f in scenario.graph.cues}
    specs = []
    for a, pair in keys:
        s = seeds[pair]
        if a == TRAINING:
            specs.append(scenario.sample_spec(np.random.default_rng(s), "train"))
        elif (factor := scenes.arms[a].factor) in cues:
            specs.append(cue_pair(scenario, s, factor, values[a, pair])[1])
        else:
            specs.append(scenario.sample_spec(np.random.default_rng(s), "train", **{factor: values[a, pair]}))
    return dataclasses.replace(
        scenes, specs=scenes.specs + tuple(specs), seeds=scenes.seeds + tuple(seeds[pair] for _, pair in keys),
        keys=scenes.keys + tuple(keys),
    )


def scan_scenes(scenario: Scenario, *, pairs: int, seed: int = 0) -> ScanScenes:
    """The first look's scene pairs of every factor's every arm (see the module docstring).

    Raises :class:`~proxies.errors.NothingToScanError` when no factor has values outside its training domain,
    and :class:`~proxies.errors.ConfigError` for fewer than 6 pairs (a signed-rank test of fewer cannot reject).
    """
    Looks(pairs, pairs)
    arms = tuple(arm for f in scenario.factors for arm in intervention_arms(f))
    if not arms:
        raise NothingToScanError(
            f"Scenario {scenario.slug!r} has no factor with values outside its training domain ("
            f"{', '.join(f.name for f in scenario.factors) or 'no factors'}), so there is nothing to intervene on; "
            "widen a factor's intervention domain, e.g. Factor.real('x', train=(0.4, 0.6), intervene=(0.0, 1.0))."
        )
    draw = rng(seed, "discovery")
    keys = [(TRAINING, i) for i in range(pairs)] + [(a, i) for a in range(len(arms)) for i in range(pairs)]
    values = {key: arms[key[0]].sample(draw) for key in keys if key[0] != TRAINING}
    return _scenes(scenario, ScanScenes((), (), arms, (), pairs, seed), keys, values)


def extend_scenes(scenario: Scenario, scenes: ScanScenes, pairs: Mapping[int, int]) -> ScanScenes:
    """``scenes`` with arm ``a``'s pairs up to ``pairs[a]`` for each given arm, and the training scenes they pair
    with; a new pair's value comes from its own generator (``rng(seed, "discovery", 2, a, pair)``)."""
    have = scenes.pairs
    n_base = len(scenes.base())
    keys = [(TRAINING, i) for i in range(n_base, max([n_base, *pairs.values()]))]
    keys += [(a, i) for a, n in sorted(pairs.items()) for i in range(have[a], n)]
    if not keys:
        return scenes
    values = {(a, i): scenes.arms[a].sample(rng(scenes.seed, "discovery", 2, a, i)) for a, i in keys if a != TRAINING}
    return _scenes(scenario, scenes, keys, values)


@dataclass(frozen=True)
class FeatureTest:
    """One test of the scan: one arm, one feature."""

    factor: str
    arm: str
    feature: str
    pairs: int
    """Pairs of the arm the test rests on."""
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
            "factor": self.factor, "arm": self.arm, "feature": self.feature, "pairs": self.pairs,
            "agent_change": self.agent_change,
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
    alpha: float = ALPHA,
    level: float = 0.9,
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[tuple[FactorLead, ...], tuple[FeatureTest, ...]]:
    """The leads (strongest first) and every test, from the agent's and the reference's :func:`behaviour` per scene.

    ``alpha`` is the level of this look (:attr:`Looks.alpha` in a sequential scan); every arm is tested on all the
    pairs it has.
    """
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
        paired = base[:len(rows)]
        for j, name in enumerate(names):
            if scale[j] <= 1e-12:
                continue
            da, dr = a_m[rows, j] - a_m[paired, j], r_m[rows, j] - r_m[paired, j]
            diff = da - dr
            raw.append((arm, name, da, dr, diff, _p_value(diff), scale[j], rows))
    p = np.array([r[5] for r in raw])
    live = ~np.isnan(p)
    adjusted = np.ones(len(p))
    if live.any():
        adjusted[live] = holm(p[live])
    draw = rng(seed, "discovery", 1)
    tests = []
    for (arm, name, da, dr, diff, p_value, sd, rows), adj in zip(raw, adjusted):
        effect = float(diff.mean() / sd)
        lead = bool(adj <= alpha and abs(effect) >= EFFECT_FLOOR)
        interval = bootstrap_interval(diff, draw, level=level, n_boot=n_boot, statistic=np.mean) if lead else None
        order = np.argsort(-np.abs(diff), kind="stable")[:PARTING]
        tests.append(FeatureTest(
            arm.factor, arm.label, name, len(rows), float(da.mean()), float(dr.mean()), effect, interval, p_value,
            float(adj), lead, tuple(int(rows[i]) for i in order if diff[i] != 0),
        ))
    leads = []
    for factor in dict.fromkeys(t.factor for t in tests):
        mine = sorted((t for t in tests if t.factor == factor and t.lead), key=lambda t: -abs(t.effect))
        if mine:
            leads.append(FactorLead(factor, tuple(mine)))
    return tuple(sorted(leads, key=lambda lead: -lead.effect)), tuple(tests)


def undecided_arms(scenes: ScanScenes, tests: Sequence[FeatureTest], looks: Looks) -> dict[int, int]:
    """The arms that get the next look, with its pair count (see the module docstring): those with no lead test
    and a test of effect at least :data:`EFFECT_FLOOR` and raw p at most :data:`PROMISING`, short of the last look.
    Empty when the scan is done."""
    labels = [arm.label for arm in scenes.arms]
    decided = {t.arm for t in tests if t.lead}
    promising = {t.arm for t in tests if abs(t.effect) >= EFFECT_FLOOR and t.p_value <= PROMISING} - decided
    out = {}
    for a, n in enumerate(scenes.pairs):
        if labels[a] in promising:
            later = [size for size in looks.sizes if size > n]
            if later:
                out[a] = later[0]
    return out
