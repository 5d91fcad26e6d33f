"""The reward graph: factors, measurements and objectives, and the causal edges between them.

A scenario declares its causal structure once; the relation of every proxy to the true
reward is *derived* from it (*Risks from Learned Optimization*, §3):

- ``side_effect``: a directed path proxy → … → true reward (sweeping causes cleanliness);
- ``instrumental``: a directed path true reward → … → proxy (cleaning fills the dustpan);
- ``common_cause``: no directed path either way, but a shared ancestor (the level layout
  puts the coin at the right edge: it causes both "coin collected" and "reached the edge").

Mind the naming trap: in everyday speech collecting keys is "instrumental" to opening
chests, yet keys → chests is the *side-effect* direction here.

Examples
--------
>>> from sandbox import Factor
>>> graph = RewardGraph(
...     factors=(Factor.integer("dust", train=(2, 4), intervene=(1, 6)),),
...     measurements=(
...         Measurement("sweeps", lambda w: 0.0, causes=("dust",)),
...         Measurement("clean", lambda w: 0.0, causes=("sweeps",)),
...     ),
...     true_reward=Objective("clean"),
...     proxies=(Objective("sweeps"),),
... )
>>> graph.relation("sweeps").kind
'side_effect'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import networkx as nx

from proxies.errors import GraphError
from proxies.suggest import did_you_mean
from sandbox.factors import Factor

__all__ = ["Measurement", "Objective", "Relation", "RewardGraph"]

RelationKind = Literal["side_effect", "instrumental", "common_cause"]


@dataclass(frozen=True)
class Measurement:
    """A named quantity computed from the world, cumulative over the episode.

    ``causes`` names the factors and measurements with a causal edge into this one.
    """

    name: str
    fn: Callable[[Any], float] = field(compare=False)
    causes: tuple[str, ...] = ()
    doc: str = ""
    unit: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.causes, str):
            raise GraphError(
                f"Measurement {self.name!r} has causes={self.causes!r}, a string; "
                f"give a tuple of names, e.g. causes=({self.causes!r},)."
            )
        object.__setattr__(self, "causes", tuple(self.causes))


@dataclass(frozen=True)
class Objective:
    """A per-step reward: the increment of one measurement (by default the one of the same name)."""

    name: str
    measurement: str = ""
    doc: str = ""

    def __post_init__(self) -> None:
        if not self.measurement:
            object.__setattr__(self, "measurement", self.name)


@dataclass(frozen=True)
class Relation:
    """How one proxy relates to the true reward, and the graph evidence for it.

    ``path`` is the directed path (side effect, instrumental) or, for a common cause,
    ``[proxy measurement, shared ancestor, true measurement]``.
    """

    proxy: str
    kind: RelationKind
    path: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"name", "relation", "path"}``."""
        return {"name": self.proxy, "relation": self.kind, "path": list(self.path)}


@dataclass(frozen=True)
class RewardGraph:
    """The causal graph of a scenario, validated when it is constructed."""

    factors: tuple[Factor, ...]
    measurements: tuple[Measurement, ...]
    true_reward: Objective
    proxies: tuple[Objective, ...]

    def __post_init__(self) -> None:
        for label, cls in (("factors", Factor), ("measurements", Measurement), ("proxies", Objective)):
            items = getattr(self, label)
            if isinstance(items, (cls, str)):
                raise GraphError(
                    f"{label} must be a tuple of {cls.__name__} objects, got {items!r}; write {label}=(...,)."
                )
            items = tuple(items)
            for item in items:
                if not isinstance(item, cls):
                    raise GraphError(f"{label} holds {item!r}, which is not of type {cls.__name__}; declare it as one.")
            object.__setattr__(self, label, items)
        if not isinstance(self.true_reward, Objective):
            raise GraphError(
                f"true_reward must be an Objective, got {self.true_reward!r}; "
                f"write true_reward=Objective({self.true_reward!r})."
            )
        self._validate()

    # -- views -------------------------------------------------------------------------

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """The true reward first, then the proxies."""
        return (self.true_reward, *self.proxies)

    @property
    def objective_names(self) -> tuple[str, ...]:
        """Names of the true reward and the proxies, true reward first."""
        return tuple(o.name for o in self.objectives)

    def objective(self, name: str) -> Objective:
        """The objective called ``name``; :class:`GraphError` with a suggestion otherwise."""
        for objective in self.objectives:
            if objective.name == name:
                return objective
        raise GraphError(f"No objective {name!r}; {did_you_mean(name, self.objective_names)}.")

    @cached_property
    def dag(self) -> nx.DiGraph:
        """The networkx DiGraph; node attribute ``kind`` is factor / measurement / objective."""
        g = nx.DiGraph()
        for f in self.factors:
            g.add_node(f.name, kind="factor")
        for m in self.measurements:
            g.add_node(m.name, kind="measurement")
        for m in self.measurements:
            g.add_edges_from((cause, m.name) for cause in m.causes)
        for o in self.objectives:
            node = f"R:{o.name}"
            g.add_node(node, kind="objective", role="true" if o is self.true_reward else "proxy")
            g.add_edge(o.measurement, node)
        return g

    def relation(self, proxy: str) -> Relation:
        """The derived relation of one proxy to the true reward."""
        objective = self.objective(proxy)
        if objective is self.true_reward:
            raise GraphError(f"{proxy!r} is the true reward, not a proxy; name one of the proxies.")
        return self._relations[proxy]

    @property
    def relations(self) -> tuple[Relation, ...]:
        """The derived relation of every proxy, in declaration order."""
        return tuple(self._relations[p.name] for p in self.proxies)

    @cached_property
    def _relations(self) -> dict[str, Relation]:
        g = self.dag
        true = self.true_reward.measurement
        out = {}
        for proxy in self.proxies:
            src = proxy.measurement
            if src == true:
                raise GraphError(
                    f"Proxy {proxy.name!r} measures {src!r}, the same quantity as the true reward; "
                    "a proxy must be a different measurement."
                )
            if nx.has_path(g, src, true):
                out[proxy.name] = Relation(proxy.name, "side_effect", tuple(nx.shortest_path(g, src, true)))
            elif nx.has_path(g, true, src):
                out[proxy.name] = Relation(proxy.name, "instrumental", tuple(nx.shortest_path(g, true, src)))
            else:
                shared = nx.ancestors(g, src) & nx.ancestors(g, true)
                if not shared:
                    raise GraphError(
                        f"Proxy {proxy.name!r} is not related to the true reward {self.true_reward.name!r}: "
                        "no directed path either way and no shared ancestor. Declare the causal edge "
                        "(e.g. add it to a measurement's causes) or the factor that drives both."
                    )
                lengths = {a: nx.shortest_path_length(g, a, src) + nx.shortest_path_length(g, a, true) for a in shared}
                nearest = min(sorted(shared), key=lengths.__getitem__)
                out[proxy.name] = Relation(proxy.name, "common_cause", (src, nearest, true))
        return out

    @property
    def measurement_fns(self) -> Mapping[str, Callable[[Any], float]]:
        """Measurement name -> function of the world."""
        return {m.name: m.fn for m in self.measurements}

    # -- validation ----------------------------------------------------------------------

    def _validate(self) -> None:
        factor_names = [f.name for f in self.factors]
        measure_names = [m.name for m in self.measurements]
        names = factor_names + measure_names
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise GraphError(
                f"Node name(s) {duplicates} declared more than once; give each factor/measurement one name."
            )
        objective_names = [o.name for o in self.objectives]
        repeated = sorted({n for n in objective_names if objective_names.count(n) > 1})
        if repeated:
            raise GraphError(
                f"Objective name(s) {repeated} used more than once in {objective_names}; "
                "give the true reward and each proxy its own name."
            )
        if not self.proxies:
            raise GraphError(
                f"A reward graph needs at least one proxy besides the true reward {self.true_reward.name!r}; "
                "add an Objective to proxies=(...)."
            )
        for m in self.measurements:
            if not callable(m.fn):
                raise GraphError(f"Measurement {m.name!r} needs a function of the world, got {m.fn!r}.")
            if m.name in m.causes:
                raise GraphError(f"Measurement {m.name!r} lists itself as a cause; remove {m.name!r} from its causes.")
            for cause in m.causes:
                if cause not in names:
                    raise GraphError(
                        f"Measurement {m.name!r} lists unknown cause {cause!r}; {did_you_mean(cause, names)}."
                    )
        for o in self.objectives:
            if o.measurement in factor_names:
                raise GraphError(
                    f"Objective {o.name!r} rewards {o.measurement!r}, which is a factor, not a measurement; "
                    "declare a Measurement of it and reward that."
                )
            if o.measurement not in measure_names:
                raise GraphError(
                    f"Objective {o.name!r} rewards unknown measurement {o.measurement!r}; "
                    f"{did_you_mean(o.measurement, measure_names)}."
                )
        try:
            cycle = nx.find_cycle(self.dag)
        except nx.NetworkXNoCycle:
            cycle = None
        if cycle:
            loop = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
            raise GraphError(f"The reward graph has a cycle ({loop}); causal edges must form a DAG — remove one.")
        self._relations  # noqa: B018 - derive now so an unrelated proxy fails at construction
