"""The counterfactual suite: a minimal set of diagnostic scenes covering every proxy.

:func:`build_suite` puts the pieces together:

1. a reference behaviour for every objective — scripted when the scenario has one, else an
   automatic planner (:mod:`proxies.evaluate.references`) — and its competence, measured against random;
2. candidate scenes from the intervention compiler (:mod:`proxies.evaluate.compiler`): one factor at a
   time first; then, for a proxy still short of scenes, fresh draws of the single factors that
   separated it (as many as the admission rate measured on them needs), or pairs of factors
   where no single one did;
3. the diagnosticity gate (:mod:`proxies.evaluate.gate`) on every candidate;
4. a minimal set of admitted scenes (greedy set cover, single-factor scenes first) with at
   least ``per_proxy`` scenes separating each proxy; every other candidate is kept in
   :attr:`Suite.rejected` with the reason it was left out.

Every scene is reproducible from its JSON alone: its spec is stored, and equals
``scenario.sample_spec(np.random.default_rng(seed), "train", **interventions)``; its first
reference episode per objective is the undisturbed one played with the scene's seed.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from proxies.errors import FileSchemaError, RunDirError, SuiteMismatchError, UnseparableProxyError, UnusableSuiteError
from proxies.evaluate.compiler import Candidate, compile_candidates, out_of_training_values
from proxies.evaluate.gate import GateConfig, Gated, run_gate
from proxies.evaluate.references import Competence, PlannerConfig, measure_competence, reference_behaviours
from proxies.files import write_json_atomic
from proxies.scenario.fingerprint import changes, describe_changes, scenario_fingerprint
from proxies.scenario.policies import Policy
from proxies.scenario.rollout import episode_returns
from proxies.scenario.scenario import Scenario
from proxies.schemas import SuiteFile, read_file
from sandbox.errors import SandboxError
from sandbox.spec import SceneSpec

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = [
    "DEFAULT_PER_PROXY", "DEFAULT_ROUNDS", "Scene", "Suite", "build_suite", "check_usable", "select_minimal",
    "out_of_training_values",
]


@dataclass(frozen=True)
class Scene:
    """One counterfactual test scene, reproducible from its JSON alone."""

    id: str
    seed: int
    interventions: dict[str, Any]
    spec: SceneSpec
    separates: tuple[str, ...] = ()
    """Proxies the gate admitted the scene for."""
    reference_returns: dict[str, dict[str, float]] | None = None
    """Reference objective -> objective -> mean return over the gate's episodes in this scene."""
    margin: float | None = None
    """Smallest gate margin among the separated proxies (fractions of the objectives' spans)."""
    p_value: float | None = None
    """Largest gate p-value among the separated proxies."""
    gate: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Proxy -> the gate's verdict here (admitted, margin, p_value, gain, loss, reason)."""
    reference_episodes: dict[str, list[list[float]]] = field(default_factory=dict)
    """Reference objective -> per-episode returns (columns: the scenario's objectives); episode 0 is
    the undisturbed one with the scene's seed."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "seed": self.seed,
            "interventions": self.interventions,
            "separates": list(self.separates),
            "margin": self.margin,
            "p_value": self.p_value,
            "gate": self.gate,
            "reference_returns": self.reference_returns,
            "reference_episodes": self.reference_episodes,
            "spec": self.spec.to_dict(),
        }

    def summary(self) -> dict[str, Any]:
        """The short JSON form printed by ``proxy-sandbox suite``."""
        return {k: self.to_dict()[k] for k in ("id", "seed", "interventions", "separates", "margin", "p_value", "gate")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scene:
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=data["id"],
            seed=int(data["seed"]),
            interventions=dict(data["interventions"]),
            spec=SceneSpec.from_dict(data["spec"]),
            separates=tuple(data.get("separates", ())),
            reference_returns=data.get("reference_returns"),
            margin=data.get("margin"),
            p_value=data.get("p_value"),
            gate=dict(data.get("gate") or {}),
            reference_episodes=dict(data.get("reference_episodes") or {}),
        )


@dataclass(frozen=True)
class Suite:
    """The scenes an agent is tested on, with how they were chosen."""

    scenario: str
    scenes: tuple[Scene, ...]
    competence: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Objective -> its reference's competence (source, mean, random, span, p_value, episodes)."""
    gate: dict[str, Any] = field(default_factory=dict)
    """The gate's settings and test."""
    candidates: int = 0
    """Candidate scenes compiled and gated."""
    admitted: dict[str, int] = field(default_factory=dict)
    """Proxy -> candidates the gate admitted for it (before choosing the minimal set)."""
    seconds: float = 0.0
    """Wall-clock time to build the suite [s]."""
    per_proxy: int | None = None
    """Scenes separating each proxy that the build asked for (``None`` in suites written before it was recorded)."""
    rejected: tuple[dict[str, Any], ...] = ()
    """Every gated candidate left out of the suite: its ``id``, ``interventions``, ``reason`` and, per proxy,
    the gate's reason (``gate``)."""
    fingerprint: dict[str, Any] | None = None
    """The scenario it was built for (:func:`proxies.scenario.fingerprint.scenario_fingerprint`), stamped by
    :meth:`save`; a suite is refused for any other scenario, or another version of this one."""

    @property
    def coverage(self) -> dict[str, int]:
        """Proxy -> number of the suite's scenes that separate it."""
        counts: dict[str, int] = {}
        for scene in self.scenes:
            for proxy in scene.separates:
                counts[proxy] = counts.get(proxy, 0) + 1
        return counts

    def summary(self) -> dict[str, Any]:
        """What ``proxy-sandbox suite --json`` prints."""
        return {
            "scenario": self.scenario,
            "scenes": [s.summary() for s in self.scenes],
            "coverage": self.coverage,
            "competence": self.competence,
            "gate": self.gate,
            "candidates": self.candidates,
            "admitted": self.admitted,
            "per_proxy": self.per_proxy,
            "rejected": list(self.rejected),
            "seconds": self.seconds,
        }

    def to_dict(self) -> dict[str, Any]:
        """Full JSON form (scenes with their specs, and the fingerprint when stamped)."""
        data = {**self.summary(), "scenes": [s.to_dict() for s in self.scenes]}
        if self.fingerprint is not None:
            data["fingerprint"] = self.fingerprint
        return data

    def save(self, path: Path, scenario: Scenario | None = None) -> Path:
        """Write the suite as JSON, atomically (:func:`proxies.files.write_atomic`).

        Given the ``scenario`` it was built for, the file records that scenario's fingerprint first, so
        that it is refused later for another scenario or for an edited version of this one.
        """
        suite = self
        if scenario is not None:
            if scenario.slug != self.scenario:
                raise SuiteMismatchError(
                    f"This suite was built for {self.scenario!r}, not {scenario.slug!r}; save it with the scenario it is for."
                )
            suite = dataclasses.replace(self, fingerprint=scenario_fingerprint(scenario))
        return write_json_atomic(Path(path), suite.to_dict(), indent=1)

    @classmethod
    def load(cls, path: Path, scenario: Scenario | None = None, *, fingerprint: Mapping[str, Any] | None = None) -> Suite:
        """Read a suite written by :meth:`save`, every field checked (:class:`~proxies.schemas.SuiteFile`).

        Given ``scenario``, refuse (:class:`~proxies.errors.SuiteMismatchError`) a suite built for another
        scenario, or for another fingerprint: ``fingerprint`` if given (a run's recorded one), else
        ``scenario``'s today. Raises :class:`~proxies.errors.FileSchemaError` naming the field for a
        damaged file, and :class:`~proxies.errors.RunDirError` for a missing one.
        """
        path = Path(path)
        if not path.is_file():
            raise RunDirError(
                f"No suite at {path}; build one with `proxy-sandbox suite SCENARIO --out DIR` or `proxy-sandbox run`."
            )
        fix = "delete it and rebuild the suite (`proxy-sandbox suite SCENARIO --out DIR`)"
        data = read_file(path, SuiteFile, fix)
        scenes = []
        for i, scene in enumerate(data.scenes):
            try:
                spec = SceneSpec.from_dict(scene.spec)
            except (SandboxError, KeyError, TypeError, ValueError, AttributeError) as exc:
                raise FileSchemaError(f'{path}: "scenes[{i}].spec" is not a valid scene spec ({exc}); {fix}.') from None
            scenes.append(Scene(
                id=scene.id, seed=scene.seed, interventions=dict(scene.interventions), spec=spec,
                separates=tuple(scene.separates), reference_returns=scene.reference_returns, margin=scene.margin,
                p_value=scene.p_value, gate=dict(scene.gate), reference_episodes=dict(scene.reference_episodes),
            ))
        suite = cls(
            scenario=data.scenario,
            scenes=tuple(scenes),
            competence=dict(data.competence),
            gate=data.gate.model_dump(exclude_unset=True),
            candidates=data.candidates,
            admitted=dict(data.admitted),
            per_proxy=data.per_proxy,
            rejected=tuple(r.model_dump() for r in data.rejected),
            seconds=data.seconds,
            fingerprint=data.fingerprint.model_dump() if data.fingerprint is not None else None,
        )
        if scenario is not None:
            suite.check_for(scenario, fingerprint=fingerprint, where=str(path))
        return suite

    def check_for(self, scenario: Scenario, *, fingerprint: Mapping[str, Any] | None = None, where: str = "The suite") -> None:
        """Raise :class:`~proxies.errors.SuiteMismatchError` unless the suite was built for ``scenario``
        (and, when the suite records one, for ``fingerprint``, default: ``scenario``'s today)."""
        rebuild = f"build one for it with `proxy-sandbox suite {scenario.slug} --out DIR`"
        if self.scenario != scenario.slug:
            raise SuiteMismatchError(
                f"{where} was built for the scenario {self.scenario!r}, not {scenario.slug!r}; {rebuild}, or give "
                f"a suite of {scenario.slug!r}."
            )
        if self.fingerprint is None:
            return  # written before suites recorded fingerprints: only the name can be checked
        found = changes(self.fingerprint, fingerprint or scenario_fingerprint(scenario))
        if found:
            raise SuiteMismatchError(
                f"{where} was built for another version of {scenario.slug!r} (what differs: "
                f"{describe_changes(found)}); {rebuild}."
            )


DEFAULT_PER_PROXY = 8
"""Scenes separating each proxy in a suite by default: the largest size whose build stays within a minute on
two cores on the cleaning robot, since the verdicts' stability grows with the suite up to it (docs/concepts.md,
the table of `proxy-sandbox validate cleaning-robot --sizes ...`)."""
DEFAULT_ROUNDS = 6
"""Compile-and-gate rounds at most, by default."""

JOSTLE_SETTINGS = ("jostle_steps", "jostle")
"""The gate settings an attribution needs from a suite: agents' episodes are jostled as the references' were."""


def check_usable(suite: Suite, scenario: Scenario, where: str = "The suite") -> None:
    """Raise :class:`~proxies.errors.UnusableSuiteError` unless ``suite`` (of ``scenario``) can carry an attribution:
    at least one scene separating every proxy, and the gate's jostle settings, with which the agent's episodes
    are played like the references' recorded ones."""
    rebuild = f"rebuild it with `proxy-sandbox suite {scenario.slug} --out DIR`"
    empty = [o.name for o in scenario.graph.proxies if not suite.coverage.get(o.name)]
    if empty:
        raise UnusableSuiteError(
            f"{where} has no scene separating the prox{'y' if len(empty) == 1 else 'ies'} {', '.join(map(repr, empty))}: "
            f"the attribution could not tell {'it' if len(empty) == 1 else 'them'} from {scenario.true_reward!r}; {rebuild}."
        )
    missing = [k for k in JOSTLE_SETTINGS if suite.gate.get(k) is None]
    if missing:
        raise UnusableSuiteError(
            f"{where} does not record the gate's {' and '.join(missing)}, so the agent's episodes cannot be played as "
            f"the references' recorded ones were; {rebuild}."
        )


def select_minimal(gated: Sequence[Gated], proxies: Sequence[str], per_proxy: int) -> list[Gated]:
    """A small set of admitted scenes with at least ``per_proxy`` separating each proxy (greedy set cover).

    Single-factor scenes come first, so that each axis is identified on its own; a scene that
    changes two factors at once is picked only where singles do not reach ``per_proxy``. Among
    scenes of as many factors, each pick separates the most proxies still short of scenes; ties go
    to intervened factors not picked yet (a varied suite), then to the larger margin.
    """
    need = dict.fromkeys(proxies, per_proxy)
    pool = [g for g in gated if g.separates]
    used: Counter[tuple[str, ...]] = Counter()
    chosen: list[Gated] = []

    def key(item: tuple[int, Gated]) -> tuple:
        i, g = item
        useful = [p for p in g.separates if need.get(p, 0) > 0]
        margin = min((g.verdicts[p].margin for p in useful), default=0.0)
        return (bool(useful), -len(g.candidate.factors), len(useful), -used[g.candidate.factors], margin, -i)

    while any(need.values()) and pool:
        i, best = max(enumerate(pool), key=key)
        if not any(need.get(p, 0) > 0 for p in best.separates):
            break
        chosen.append(best)
        pool.pop(i)
        used[best.candidate.factors] += 1
        for p in best.separates:
            if p in need:
                need[p] = max(0, need[p] - 1)
    return chosen


def _scene(scenario: Scenario, g: Gated) -> Scene:
    objectives = scenario.objectives
    separated = [g.verdicts[p] for p in g.separates]
    c: Candidate = g.candidate
    return Scene(
        id=c.id,
        seed=c.seed,
        interventions=dict(c.interventions),
        spec=c.spec,
        separates=g.separates,
        reference_returns={o: dict(zip(objectives, map(float, r.mean(axis=0)))) for o, r in g.returns.items()},
        margin=min((v.margin for v in separated), default=None),
        p_value=max((v.p_value for v in separated), default=None),
        gate={p: v.to_dict() for p, v in g.verdicts.items()},
        reference_episodes={o: r.tolist() for o, r in g.returns.items()},
    )


def _next_round(
    scenario: Scenario, gated: Sequence[Gated], proxies: Sequence[str], per_proxy: int, per_factor: int, seed: int,
    factors: Sequence[str] | None, r: int,
) -> list[Candidate]:
    """The candidates of round ``r`` (>= 1) for the proxies still short of ``per_proxy`` admitted scenes.

    A proxy that a single factor has separated already gets fresh draws of those single factors, as many as
    its shortfall needs at the admission rate measured so far on them (at most ``4 * per_factor`` per
    factor); a proxy no single factor separated gets pairs of factors (fresh singles too from round 2).
    """
    counts = Counter(p for g in gated for p in g.separates)
    out: list[Candidate] = []
    for p in (p for p in proxies if counts[p] < per_proxy):
        singles = [g for g in gated if len(g.candidate.factors) == 1 and p in g.candidate.targets]
        useful = sorted({g.candidate.factors[0] for g in singles if p in g.separates})
        start = len(gated) + len(out)
        if useful:
            tried = [g for g in singles if g.candidate.factors[0] in useful]
            rate = (sum(p in g.separates for g in tried) + 1) / (len(tried) + 2)
            # enough draws to expect 1.5 times the shortfall at the measured rate (Laplace-smoothed)
            need = min(4 * per_factor, max(per_factor, int(np.ceil(1.5 * (per_proxy - counts[p]) / (rate * len(useful))))))
            out += compile_candidates(
                scenario, per_factor=need, seed=seed, proxies=[p], factors=useful, start=start
            )
        else:
            out += compile_candidates(
                scenario, per_factor=per_factor, seed=seed, proxies=[p], factors=factors, pairs=True, singles=r > 1,
                start=start,
            )
    return out


def _rejected(g: Gated, per_proxy: int) -> dict[str, Any]:
    """What the suite keeps of a candidate it left out, and why it was left out."""
    if g.separates:
        reason = (f"admitted for {', '.join(g.separates)}, but not needed: the suite holds {per_proxy} scenes for each "
                  "already (single-factor scenes, then wider margins, are picked first)")
    else:
        reason = "not diagnostic for any proxy (see gate)"
    return {
        "id": g.candidate.id, "interventions": dict(g.candidate.interventions), "reason": reason,
        "gate": {p: v.reason for p, v in g.verdicts.items()},
    }


def _shortfall_error(scenario: Scenario, gated: Sequence[Gated], short: dict[str, int], per_proxy: int) -> UnseparableProxyError:
    lines = []
    for proxy, n in short.items():
        tried = sorted({"+".join(g.candidate.factors) for g in gated if proxy in g.candidate.targets})
        verdicts = [g.verdicts[proxy] for g in gated]
        best = max(verdicts, key=lambda v: (v.margin, -v.p_value)) if verdicts else None
        detail = f"best margin {best.margin:.3g} (p = {best.p_value:.3g}: {best.reason})" if best else "no candidates"
        tried_text = ", ".join(tried) or "nothing"
        lines.append(f"proxy {proxy!r}: {n} of {per_proxy} scenes admitted after trying {tried_text}; {detail}")
    return UnseparableProxyError(
        "The gate admitted too few diagnostic scenes — " + "; ".join(lines) + ". Widen the intervention domains of "
        "those factors, declare a factor that breaks the edge more strongly, compile more candidates "
        "(per_factor=, rounds=), or lower per_proxy."
    )


def build_suite(
    scenario: Scenario,
    references: Mapping[str, Callable[[], Policy]] | None = None,
    *,
    seed: int = 0,
    per_proxy: int = DEFAULT_PER_PROXY,
    per_factor: int = 4,
    rounds: int = DEFAULT_ROUNDS,
    gate: GateConfig | None = None,
    planner: PlannerConfig | None = None,
    automatic: bool = False,
    factors: Sequence[str] | None = None,
    competence_episodes: int = 16,
    competence: Mapping[str, Competence] | None = None,
    progress: Progress | None = None,
) -> Suite:
    """Compile, gate and select the counterfactual suite of ``scenario``.

    Parameters
    ----------
    references: scripted reference factories by objective (default: the scenario's own); every
        objective without one gets an automatic one (:func:`~proxies.evaluate.references.reference_behaviours`).
    seed: seed of the whole build; the same arguments give the same suite.
    per_proxy: scenes separating each proxy that the suite must hold.
    per_factor: candidate scenes per intervened factor (or factor pair) in each round.
    rounds: compile-and-gate rounds at most: every single factor, then (:func:`_next_round`) new
        draws of the single factors that separated a proxy still short of scenes, or pairs of factors.
    gate: the gate's settings. planner: the automatic references' settings.
    automatic: use automatic references even where scripted ones exist.
    factors: intervene only on these factors.
    competence_episodes: training episodes per reference to measure its competence.
    competence: the references' competence, already measured with these settings (``run`` measures it
        before training, so that a scenario whose references cannot beat random is refused at once).
    progress: a ``rich.progress.Progress`` to report on (optional).

    Raises :class:`~proxies.errors.IncompetentReferenceError` for a reference no better than random,
    :class:`~proxies.errors.UnseparableProxyError` when a proxy cannot get ``per_proxy`` scenes, and
    :class:`~proxies.errors.UnknownFactorError` for an unknown factor name.
    """
    start_time = time.perf_counter()
    gate = gate or GateConfig()
    proxies = [o.name for o in scenario.graph.proxies]
    # compile once up front, so an unseparable proxy or unknown factor fails before any rollout
    first = compile_candidates(scenario, per_factor=per_factor, seed=seed, factors=factors)
    refs = reference_behaviours(scenario, references, planner=planner, automatic=automatic)

    def task(label: str, total: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        tid = progress.add_task(label, total=total)
        return lambda n: progress.advance(tid, n)

    n_obj = len(scenario.objectives)
    if competence is None:
        advance = task("competence of the references", n_obj + 1)
        competence = measure_competence(
            scenario, refs, episodes=competence_episodes, seed=seed, alpha=gate.alpha, run=_counting(advance)
        )
    elif set(competence) != set(scenario.objectives):
        raise ValueError(f"competence must cover every objective {scenario.objectives}, got {sorted(competence)}")
    gated: list[Gated] = []
    for r in range(max(1, rounds)):
        if r == 0:
            candidates = first
        else:
            candidates = _next_round(scenario, gated, proxies, per_proxy, per_factor, seed, factors, r)
            if not candidates:
                break
        advance = task(f"gating {len(candidates)} candidate scenes (round {r + 1})", len(candidates) * len(refs) * gate.episodes)
        gated += run_gate(scenario, candidates, refs, competence, gate, advance)
    counts = Counter(p for g in gated for p in g.separates)
    short = {p: counts[p] for p in proxies if counts[p] < per_proxy}
    if short:
        raise _shortfall_error(scenario, gated, short, per_proxy)
    chosen = select_minimal(gated, proxies, per_proxy)
    return Suite(
        per_proxy=per_proxy,
        rejected=tuple(_rejected(g, per_proxy) for g in gated if not any(g is c for c in chosen)),
        scenario=scenario.slug,
        scenes=tuple(_scene(scenario, g) for g in chosen),
        competence={o: c.to_dict() for o, c in competence.items()},
        gate=gate.to_dict(),
        candidates=len(gated),
        admitted={p: counts[p] for p in proxies},
        seconds=time.perf_counter() - start_time,
    )


def _counting(advance: Callable[[int], None] | None) -> Callable[..., np.ndarray]:
    """``episode_returns``, reporting one unit of progress per call."""

    def run(*args: Any) -> np.ndarray:
        out = episode_returns(*args)
        if advance is not None:
            advance(1)
        return out

    return run
