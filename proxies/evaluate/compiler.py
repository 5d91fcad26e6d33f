"""The intervention compiler: which factors to intervene on to break each proxy's edge.

The reward graph says how each proxy relates to the true reward (see :mod:`proxies.scenario.graph`);
the compiler reads, from the same graph, which *factors* can pull the two apart:

- **side effect** (proxy P → … → true reward T): the factors that moderate the mechanism —
  those feeding P (more P without more T: dust glued to the floor gets swept but never
  cleaned) and those feeding the nodes downstream of P other than through P (T without P:
  a chute that cleans without sweeping).
- **instrumental** (T → … → P): the factors that reach P, or a node between T and P, other
  than through T — another cause of P (hallway dust pushed into the pan) or a bypass that
  lets T happen without P (a chute: the room gets clean but the pan stays empty).
- **common cause** (no directed path; a shared ancestor): the factors that are ancestors of
  both P and T (move the coin away from the right edge).

A candidate scene intervenes on one factor at a time (so each scene's diagnosis is clean),
set to a value drawn from the factor's intervention domain *outside* its training domain;
every other factor keeps its training distribution. A candidate is a scene spec plus a
seed, and is rebuilt exactly from ``(scenario, interventions, seed)`` — or from its JSON.

Examples
--------
>>> from proxies import Measurement, Objective, RewardGraph
>>> from sandbox import Factor
>>> graph = RewardGraph(
...     factors=(
...         Factor.integer("stains", train=(0, 0), intervene=(0, 3)),
...         Factor.integer("outside", train=(0, 0), intervene=(0, 3)),
...     ),
...     measurements=(
...         Measurement("sweeps", lambda w: 0.0, causes=("stains",)),
...         Measurement("clean", lambda w: 0.0, causes=("sweeps",)),
...         Measurement("pan", lambda w: 0.0, causes=("clean", "outside")),
...     ),
...     true_reward=Objective("clean"),
...     proxies=(Objective("sweeps"), Objective("pan")),
... )
>>> [(e.factor, e.role) for e in edge_factors(graph, "sweeps")]
[('stains', 'proxy_without_true')]
>>> [(e.factor, e.role) for e in edge_factors(graph, "pan")]
[('outside', 'another_cause')]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np

from proxies.errors import ConfigError, InterventionError, UnknownFactorError, UnseparableProxyError
from proxies.scenario.graph import RewardGraph
from proxies.scenario.scenario import Scenario
from proxies.suggest import did_you_mean
from sandbox.errors import GeometryError, source_of
from sandbox.factors import Factor
from sandbox.spec import SceneSpec

__all__ = [
    "Candidate",
    "EdgeFactor",
    "compile_candidates",
    "edge_factors",
    "make_candidate",
    "out_of_training_values",
    "separable",
]

Role = Literal["proxy_without_true", "true_without_proxy", "another_cause", "bypass", "shared_ancestor"]


@dataclass(frozen=True)
class EdgeFactor:
    """A factor the graph says can break one proxy's edge, and how.

    ``role`` is one of ``proxy_without_true`` / ``true_without_proxy`` (side effect),
    ``another_cause`` / ``bypass`` (instrumental) or ``shared_ancestor`` (common cause);
    ``via`` is the node of the edge it acts on.
    """

    proxy: str
    factor: str
    role: Role
    via: str

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"proxy": self.proxy, "factor": self.factor, "role": self.role, "via": self.via}


@dataclass(frozen=True)
class Candidate:
    """One candidate counterfactual scene: the factor values set, the seed, and the spec they give.

    ``spec`` equals ``scenario.sample_spec(np.random.default_rng(seed), "train", **interventions)``;
    ``seed`` also seeds the episodes played there. ``targets`` are the proxies it was compiled for.
    """

    id: str
    seed: int
    interventions: dict[str, Any]
    spec: SceneSpec
    targets: tuple[str, ...] = ()

    @property
    def factors(self) -> tuple[str, ...]:
        """The intervened factors, sorted."""
        return tuple(sorted(self.interventions))


# -- which factors break which edge ------------------------------------------------------------


def _factor_ancestors(dag: nx.DiGraph, nodes: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for node in nodes:
        out |= {a for a in nx.ancestors(dag, node) if dag.nodes[a].get("kind") == "factor"}
    return out


def edge_factors(graph: RewardGraph, proxy: str) -> tuple[EdgeFactor, ...]:
    """The factors whose interventions can break ``proxy``'s edge to the true reward, per its relation.

    Ordered by role, then by the order the factors are declared in. Factors whose training and
    intervention domains coincide are included (see :func:`separable` for the usable ones).
    """
    relation = graph.relation(proxy)
    dag = graph.dag
    order = {f.name: i for i, f in enumerate(graph.factors)}
    found: dict[str, EdgeFactor] = {}

    def add(factors: Iterable[str], role: Role, via: str) -> None:
        for name in sorted(factors, key=order.__getitem__):
            found.setdefault(name, EdgeFactor(proxy, name, role, via))

    path = relation.path
    if relation.kind == "side_effect":
        source, downstream = path[0], path[1:]
        add(_factor_ancestors(dag, [source]), "proxy_without_true", source)
        pruned = dag.subgraph(n for n in dag if n != source)
        for node in downstream:
            add(_factor_ancestors(pruned, [node]), "true_without_proxy", node)
    elif relation.kind == "instrumental":
        true, downstream = path[0], path[1:]
        pruned = dag.subgraph(n for n in dag if n != true)
        parents_of_true = {p for p in dag.predecessors(true) if dag.nodes[p].get("kind") == "factor"}
        for node in reversed(downstream):  # the proxy itself first
            reach = _factor_ancestors(pruned, [node])
            add(reach & parents_of_true, "bypass", node)
            add(reach - parents_of_true, "another_cause", node)
    else:
        source, ancestor, true = path
        add(_factor_ancestors(dag, [source]) & _factor_ancestors(dag, [true]), "shared_ancestor", ancestor)
    roles = ("proxy_without_true", "another_cause", "bypass", "true_without_proxy", "shared_ancestor")
    return tuple(sorted(found.values(), key=lambda e: (roles.index(e.role), order[e.factor])))


def _widenable(factor: Factor) -> bool:
    """Whether the factor has intervention values outside its training domain."""
    if factor.kind == "choice":
        return any(v not in factor.train for v in factor.intervene)
    return factor.intervene[0] < factor.train[0] or factor.train[1] < factor.intervene[1]


def separable(scenario: Scenario, proxy: str) -> tuple[EdgeFactor, ...]:
    """The edge factors of ``proxy`` that have values outside training to intervene with.

    Raises :class:`UnseparableProxyError` naming what to add when there are none.
    """
    relation = scenario.graph.relation(proxy)
    candidates = edge_factors(scenario.graph, proxy)
    usable = tuple(e for e in candidates if _widenable(scenario.factor(e.factor)))
    if usable:
        return usable
    path = " -> ".join(relation.path)
    if not candidates:
        where = {
            "side_effect": f"{relation.path[0]!r} or a node on the path {path}",
            "instrumental": f"{relation.path[-1]!r} or a node on the path {path} other than through the true reward",
            "common_cause": f"both {relation.path[0]!r} and {relation.path[-1]!r}",
        }[relation.kind]
        raise UnseparableProxyError(
            f"No declared factor can separate proxy {proxy!r} ({relation.kind.replace('_', ' ')}: {path}) from "
            f"the true reward: no factor causes {where}. Add a Factor to the scene generator and list it in the "
            "causes of that Measurement, with an intervention domain wider than its training domain."
        )
    names = ", ".join(repr(e.factor) for e in candidates)
    raise UnseparableProxyError(
        f"No declared factor can separate proxy {proxy!r} ({relation.kind.replace('_', ' ')}: {path}): the factors "
        f"on its edge ({names}) have no values outside their training domain. Widen the intervention domain of one "
        "of them beyond its training domain (e.g. Factor.integer(..., train=(0, 0), intervene=(0, 4)))."
    )


# -- values outside training --------------------------------------------------------------------


def out_of_training_values(factor: Factor, n: int, rng: np.random.Generator) -> list[Any]:
    """``n`` values of ``factor`` in its intervention domain but outside its training domain.

    Distinct values come first (choice and integer factors cycle through a shuffled list of
    all of them); real values are uniform over the intervention domain minus the training
    domain. Empty if the domains coincide.
    """
    if n <= 0 or not _widenable(factor):
        return []
    if factor.kind in ("choice", "integer"):
        if factor.kind == "choice":
            pool = [v for v in factor.intervene if v not in factor.train]
        else:
            lo, hi = factor.intervene
            pool = [v for v in range(int(lo), int(hi) + 1) if not factor.contains(v, "train")]
        out: list[Any] = []
        while len(out) < n:
            out.extend(pool[i] for i in rng.permutation(len(pool)).tolist())
        return out[:n]
    (lo, hi), (tlo, thi) = factor.intervene, factor.train
    below, above = tlo - lo, hi - thi
    values = []
    for _ in range(n):
        u = float(rng.uniform(0.0, below + above))
        v = lo + u if u < below else thi + (u - below)
        if factor.contains(v, "train"):  # the open ends: step just outside
            v = float(np.nextafter(tlo, -np.inf)) if u < below else float(np.nextafter(thi, np.inf))
        values.append(min(max(v, lo), hi))
    return values


# -- candidates -------------------------------------------------------------------------------


def check_interventions(scenario: Scenario, interventions: Mapping[str, Any]) -> dict[str, Any]:
    """Validate factor names and values; raise :class:`UnknownFactorError` / :class:`InterventionError`."""
    known = [f.name for f in scenario.factors]
    out = {}
    for name, value in interventions.items():
        if name not in known:
            raise UnknownFactorError(
                f"Scenario {scenario.slug!r} has no factor {name!r} to intervene on; {did_you_mean(name, known)}. "
                "To intervene on a new quantity, declare it as a Factor of the reward graph."
            )
        factor = scenario.factor(name)
        if not factor.contains(value, "intervene"):
            raise InterventionError(
                f"Value {value!r} for factor {name!r} is outside its intervention domain "
                f"{factor.describe('intervene')} (training: {factor.describe('train')}); pick a value inside it, "
                "or widen the factor's intervention domain in the scenario."
            )
        out[name] = value
    return out


def make_candidate(
    scenario: Scenario, interventions: Mapping[str, Any], seed: int, *, id: str | None = None, targets: Sequence[str] = ()
) -> Candidate:
    """The candidate scene that sets ``interventions`` and draws every other factor (and the layout)
    from training with ``default_rng(seed)``.

    Raises :class:`UnknownFactorError` or :class:`InterventionError` on a bad factor or value, and
    :class:`~sandbox.errors.GeometryError` for a scene whose layout fails :func:`~sandbox.geometry.check_geometry`.
    """
    values = check_interventions(scenario, interventions)
    seed = int(seed)
    if not 0 <= seed < 2**63:
        raise ConfigError(f"Scene seed {seed} must be a non-negative 64-bit integer.")
    spec = scenario.sample_spec(np.random.default_rng(seed), "train", **values)
    try:
        spec.check_geometry()  # a counterfactual the physics cannot play as meant would mislead the gate
    except GeometryError as exc:
        raise GeometryError(
            f"Scenario {scenario.slug!r}: the counterfactual scene {values} (seed {seed}), laid out by build_scene "
            f"({source_of(scenario.build_scene)}): {exc} Fix the recipe for these factor values, or narrow their "
            "intervention domain."
        ) from None
    name = id or "+".join(f"{k}={v}" for k, v in sorted(values.items())) or "training"
    return Candidate(name, seed, values, spec, tuple(targets))


def compile_candidates(
    scenario: Scenario,
    *,
    per_factor: int = 4,
    seed: int = 0,
    proxies: Sequence[str] | None = None,
    factors: Sequence[str] | None = None,
    pairs: bool = False,
    singles: bool = True,
    start: int = 0,
) -> list[Candidate]:
    """Candidate scenes for every proxy's edge: ``per_factor`` scenes per usable edge factor.

    Parameters
    ----------
    per_factor: scenes per (factor, or factor pair); each draws a value outside training and a seed.
    seed: seed of the compilation; the same arguments give the same candidates.
    proxies: compile for these proxies only (default: all).
    factors: intervene only on these factors (default: all the graph offers).
    pairs: also intervene on pairs of one proxy's edge factors at once (used when single factors
        do not separate a proxy).
    singles: intervene on single factors too; ``singles=False, pairs=True`` gives pairs only, except
        for a proxy with a single edge factor, which keeps its single-factor scenes.
    start: first index of the candidates' ids (to keep ids unique across rounds).

    Factors are ordered so that those breaking the fewest proxies' edges come first, since their
    scenes diagnose one edge cleanly; cue-only factors, which cause no measurement, are never among
    them. Raises :class:`UnseparableProxyError` for a proxy no declared factor can separate,
    :class:`UnknownFactorError` for an unknown name, and :class:`ConfigError` for a cue-only one.
    """
    names = [f.name for f in scenario.factors]
    for name in factors or ():
        if name not in names:
            raise UnknownFactorError(
                f"Scenario {scenario.slug!r} has no factor {name!r}; {did_you_mean(name, names)}."
            )
        if scenario.factor(name).cue:
            raise ConfigError(
                f"Factor {name!r} of {scenario.slug!r} is cue-only: it changes what the agent sees and no objective, "
                "so no scene on it can separate references. The suite never intervenes on it; the cue-invariance "
                "probe judges it (attribution.json's cue_probe). Leave it out of the factors."
            )
    proxy_names = [o.name for o in scenario.graph.proxies]
    for name in proxies or ():
        if name not in proxy_names:
            raise ConfigError(f"Scenario {scenario.slug!r} has no proxy {name!r}; {did_you_mean(name, proxy_names)}.")
    chosen = list(proxies or proxy_names)
    edges = {p: [e for e in separable(scenario, p) if factors is None or e.factor in factors] for p in proxy_names}
    for p in chosen:
        if not edges[p]:
            raise UnseparableProxyError(
                f"Proxy {p!r} can only be separated by {[e.factor for e in separable(scenario, p)]}, "
                f"none of which is among the allowed factors {list(factors or ())}; allow one of them."
            )
    breadth: dict[str, int] = {}
    for p in proxy_names:
        for e in edges[p]:
            breadth[e.factor] = breadth.get(e.factor, 0) + 1
    order = {n: i for i, n in enumerate(names)}
    groups: dict[tuple[str, ...], list[str]] = {}  # factor set -> proxies it targets
    for p in chosen:
        combos = list(itertools.combinations(sorted((e.factor for e in edges[p]), key=order.__getitem__), 2)) if pairs else []
        ones = [(e.factor,) for e in edges[p]] if singles or not combos else []
        for key in ones + combos:
            groups.setdefault(key, []).append(p)
    keys = sorted(groups, key=lambda k: (len(k), max(breadth[f] for f in k), [order[f] for f in k]))
    rng = np.random.default_rng([seed, start])
    out = []
    for key in keys:
        draws = [out_of_training_values(scenario.factor(f), per_factor, rng) for f in key]
        for k in range(per_factor):
            values = {f: draws[i][k] for i, f in enumerate(key)}
            scene_seed = int(rng.integers(2**31 - 1))
            out.append(
                make_candidate(
                    scenario, values, scene_seed, id=f"{'+'.join(key)}-{start + len(out)}", targets=groups[key]
                )
            )
    return out
