"""The reward graph: factors, measurements and objectives, and the causal edges between them.

A scenario declares its causal structure once; the relation of every proxy to the true
reward is *derived* from it (*Risks from Learned Optimization*, §3):

- ``side_effect``: a directed path proxy → … → true reward (sweeping causes cleanliness);
- ``instrumental``: a directed path true reward → … → proxy (cleaning fills the dustpan);
- ``common_cause``: no directed path either way, but a shared ancestor (the level layout
  puts the coin at the right edge: it causes both "coin collected" and "reached the edge").

Mind the naming trap: in everyday speech collecting keys is "instrumental" to opening
chests, yet keys → chests is the *side-effect* direction here.

Declaring edges
---------------
A measurement's causal parents are declared in one of two places, by what kind of cause
they are:

- *computed from*: the parameters of its function after the world. ``def score(world,
  cleanliness)`` is called with the current value of the measurement ``cleanliness`` (or,
  for a factor, the scene's value of it) and gets the edge ``cleanliness → score``;
- *physically caused by*: ``causes=(...)``, for what the function does not read (the broom
  sweeping dust is what makes the room clean, yet ``cleanliness`` just counts captured dust).

Examples
--------
>>> from sandbox import Factor
>>> def tidy(world, clean):
...     return 2.0 * clean
>>> graph = RewardGraph(
...     factors=(Factor.integer("dust", train=(2, 4), intervene=(1, 6)),),
...     measurements=(
...         Measurement("sweeps", lambda w: 0.0, causes=("dust",)),
...         Measurement("clean", lambda w: 1.0, causes=("sweeps",)),
...         Measurement("tidy", tidy),
...     ),
...     true_reward=Objective("clean"),
...     proxies=(Objective("sweeps"), Objective("tidy")),
... )
>>> graph.relation("sweeps").kind, graph.relation("tidy").kind
('side_effect', 'instrumental')
>>> graph.measurement_fns["tidy"](None)
2.0
"""

from __future__ import annotations

import inspect
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


def _check_name(what: str, name: Any) -> None:
    """:class:`GraphError` unless ``name`` is a Python identifier (it names a node, a keyword parameter of
    another measurement's function, and a label in the pictures: no spaces, no ``$``)."""
    if not isinstance(name, str) or not name.isidentifier():
        suggestion = "".join(c if c.isalnum() or c == "_" else "_" for c in str(name)).strip("_") or "score"
        if suggestion[0].isdigit():
            suggestion = f"_{suggestion}"
        raise GraphError(
            f"{what} name {name!r} is not a Python identifier (letters, digits and _, not starting with a digit); "
            f"name it e.g. {suggestion!r} (and say what it means in doc=...)."
        )


def _first_line(fn: Any) -> str:
    """The first line of a function's docstring, or ''."""
    doc = inspect.getdoc(fn) if callable(fn) else None
    return doc.strip().splitlines()[0] if doc else ""


@dataclass(frozen=True)
class Measurement:
    """A named quantity computed from the world, cumulative over the episode.

    Parameters
    ----------
    name: the node's name (a Python identifier, so other measurements can take it as a parameter).
    fn: ``fn(world, *inputs) -> float``. Parameters after the world without a default value
        are its :attr:`inputs`: each names a measurement or factor, whose value it is called
        with, and each is a causal edge into this measurement.
    causes: factors and measurements that cause this one physically, without ``fn`` reading them.
    doc: one line for the docs.
    unit: the unit, e.g. ``particles``.
    """

    name: str
    fn: Callable[..., float] = field(compare=False)
    causes: tuple[str, ...] = ()
    doc: str = ""
    unit: str = ""

    def __post_init__(self) -> None:
        _check_name("Measurement", self.name)
        if isinstance(self.causes, str):
            raise GraphError(
                f"Measurement {self.name!r} has causes={self.causes!r}, a string; "
                f"give a tuple of names, e.g. causes=({self.causes!r},)."
            )
        object.__setattr__(self, "causes", tuple(self.causes))
        if not self.doc:
            object.__setattr__(self, "doc", _first_line(self.fn))

    @classmethod
    def of(cls, fn: Callable[..., float], *, causes: tuple[str, ...] = (), unit: str = "") -> Measurement:
        """A measurement named after its function, documented by its docstring's first line.

        >>> def dust_in_pan(world) -> float:
        ...     'Particles that fell into the dustpan.'
        >>> m = Measurement.of(dust_in_pan, unit="particles")
        >>> m.name, m.doc
        ('dust_in_pan', 'Particles that fell into the dustpan.')
        """
        name = getattr(fn, "__name__", None)
        if not isinstance(name, str) or not name.isidentifier():
            raise GraphError(f"Measurement.of needs a named function, got {fn!r}; use Measurement(name, fn) instead.")
        return cls(name, fn, causes=causes, unit=unit)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of ``fn``'s parameters after the world that have no default: what it is computed from."""
        try:
            params = list(inspect.signature(self.fn).parameters.values())
        except (TypeError, ValueError):  # not callable, or a builtin without a signature
            return ()
        named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return tuple(p.name for p in params[1:] if p.kind in named and p.default is inspect.Parameter.empty)

    @property
    def parents(self) -> tuple[str, ...]:
        """Every node with an edge into this one: :attr:`inputs`, then :attr:`causes`."""
        return tuple(dict.fromkeys((*self.inputs, *self.causes)))


def _takes_nothing(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` has a signature and it has no parameters at all."""
    try:
        return not inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class _Computed:
    """``world -> value`` of a measurement whose function reads other measurements and factors.

    ``inputs`` pairs each parameter name with the evaluator of that measurement, or with
    None for a factor (whose value is read from the scene spec).
    """

    name: str
    fn: Callable[..., float]
    inputs: tuple[tuple[str, Callable[[Any], float] | None], ...]

    @property
    def __wrapped__(self) -> Callable[..., float]:
        """The measurement's own function (so that errors name its file and line, :func:`sandbox.errors.source_of`)."""
        return self.fn

    def __call__(self, world: Any) -> float:
        factors = world.spec.factor_values if any(get is None for _, get in self.inputs) else {}
        values = {}
        for key, get in self.inputs:
            if get is not None:
                values[key] = get(world)
            elif key in factors:
                values[key] = factors[key]
            else:
                raise GraphError(
                    f"Measurement {self.name!r} reads factor {key!r}, but this scene's spec does not record it; "
                    "build scenes with the scenario's build_scene (it records every factor value)."
                )
        return self.fn(world, **values)


@dataclass(frozen=True)
class Objective:
    """A per-step reward: the increment of one measurement (by default the one of the same name)."""

    name: str
    measurement: str = ""
    doc: str = ""

    def __post_init__(self) -> None:
        _check_name("Objective", self.name)
        if not self.measurement:
            object.__setattr__(self, "measurement", self.name)
        _check_name(f"Objective {self.name!r}: its measurement", self.measurement)


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
            g.add_edges_from((parent, m.name) for parent in m.parents)
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
    def cues(self) -> tuple[Factor, ...]:
        """The cue-only factors (``Factor(..., cue=True)``): judged by the cue-invariance probe, not by the suite."""
        return tuple(f for f in self.factors if f.cue)

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

    @cached_property
    def measurement_fns(self) -> Mapping[str, Callable[[Any], float]]:
        """Measurement name -> function of the world alone (inputs filled in), in declaration order."""
        by_name = {m.name: m for m in self.measurements}
        fns: dict[str, Callable[[Any], float]] = {}
        for node in nx.topological_sort(self.dag):
            m = by_name.get(node)
            if m is not None:
                inputs = tuple((key, fns.get(key)) for key in m.inputs)
                fns[node] = _Computed(m.name, m.fn, inputs) if inputs else m.fn
        return {m.name: fns[m.name] for m in self.measurements}

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"true_reward", "nodes": [{"name", "kind"}], "edges": [{"source", "target"}], "proxies"}``.

        Nodes and edges are those of :attr:`dag` (objective nodes are named ``R:<objective>``);
        ``proxies`` holds each proxy's derived relation (:meth:`Relation.to_dict`).
        """
        return {
            "true_reward": self.true_reward.name,
            "nodes": [{"name": n, "kind": kind} for n, kind in self.dag.nodes(data="kind")],
            "edges": [{"source": u, "target": v} for u, v in self.dag.edges],
            "proxies": [r.to_dict() for r in self.relations],
        }

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
            if _takes_nothing(m.fn):
                raise GraphError(
                    f"Measurement {m.name!r} has a function that takes no arguments; it is called with the world "
                    f"first, e.g. def {m.name}(world): ..."
                )
            if m.name in m.causes:
                raise GraphError(f"Measurement {m.name!r} lists itself as a cause; remove {m.name!r} from its causes.")
            if m.name in m.inputs:
                raise GraphError(
                    f"Measurement {m.name!r} is computed from itself (its function has a parameter {m.name!r}); "
                    "rename the parameter or give it a default value."
                )
            for key in m.inputs:
                if key not in names:
                    raise GraphError(
                        f"Measurement {m.name!r} is computed from unknown {key!r} (a parameter of its function); "
                        f"{did_you_mean(key, names)}. Name a measurement or factor, or give the parameter a default."
                    )
            for cause in m.causes:
                if cause not in names:
                    raise GraphError(
                        f"Measurement {m.name!r} lists unknown cause {cause!r}; {did_you_mean(cause, names)}."
                    )
        cues = {f.name for f in self.cues}
        for m in self.measurements:
            read = [c for c in m.parents if c in cues]
            if read:
                how = "is computed from" if read[0] in m.inputs else "lists as a cause"
                raise GraphError(
                    f"Measurement {m.name!r} {how} the cue-only factor {read[0]!r}; a cue changes only what the agent "
                    f"sees, never a measurement. Remove {read[0]!r} from the "
                    f"{'parameters of its function' if read[0] in m.inputs else 'causes'} of {m.name!r}, or declare the "
                    "factor without cue=True."
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
