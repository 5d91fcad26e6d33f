"""Candidate objectives generated from a scene's vocabulary, for proxy discovery.

The scene kit gives every scene a vocabulary the framework can read without the author's help:
the agent's position, the regions and tagged entities of the spec, and the event counters of
:mod:`sandbox.events`. :func:`generate_candidates` turns it into a bounded library of simple
objectives, in this order (the first :data:`MAX_CANDIDATES` are kept):

- ``progress``: progress along each axis (``east``, ``west``, ``north``, ``south``): the agent's
  coordinate, in room widths or heights, so an episode's return is how far it went that way;
- ``region``: being in each named region (1 while the agent's centre is inside it);
- ``count``: each event counter seen in the vocabulary episodes: contacts per tag pair, region
  entries per (region, tag), captures per region and per tag, pickups, things eaten, nutrients,
  locks opened;
- ``near``: closeness to the nearest entity of each tag (minus the distance, in room diagonals).

A candidate is a :class:`Candidate`: a name (a measurement name, prefixed ``found_``), what it
reads, and a measurement function of the world. :func:`with_candidates` makes a copy of the
scenario whose graph also holds every candidate as a proxy objective (caused by every non-cue
factor, so it is related to the true reward by a common cause), and from which hidden
objectives are left out, so that the framework's automatic references
(:func:`proxies.evaluate.references.reference_behaviours`) pursue candidates like any objective.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from proxies.errors import ConfigError
from proxies.scenario.graph import Measurement, Objective, RewardGraph
from proxies.scenario.scenario import Scenario
from proxies.suggest import did_you_mean
from sandbox.entities import Region, Wall
from sandbox.spec import SceneSpec
from sandbox.world import World

__all__ = ["Candidate", "MAX_CANDIDATES", "generate_candidates", "with_candidates", "COUNTERS"]

MAX_CANDIDATES = 24
"""Candidates kept at most (the library's bound): every one gets a reference, played on every scene."""
COUNTERS = ("contacts", "entries", "captures", "captured", "pickups", "eaten", "nutrients", "unlocked")
"""The event counters (:class:`sandbox.events.Events`) whose keys make ``count`` candidates (not ``inventory``: a
level, not a count)."""
_AXES = {"east": (0, 1.0), "west": (0, -1.0), "north": (1, 1.0), "south": (1, -1.0)}

Kind = Literal["progress", "region", "count", "near"]


def _ident(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_").lower()


class _Progress:
    """The agent's coordinate along one axis, in room sizes (picklable, unlike a lambda)."""

    def __init__(self, axis: int, sign: float) -> None:
        self.axis, self.sign = axis, sign

    def __call__(self, world: World) -> float:
        size = world.spec.width if self.axis == 0 else world.spec.height
        return self.sign * world.agent.position[self.axis] / size


class _InRegion:
    def __init__(self, region: str) -> None:
        self.region = region

    def __call__(self, world: World) -> float:
        region = world.regions.get(self.region)
        return 0.0 if region is None else float(region.contains(*world.agent.position))


class _Count:
    def __init__(self, counter: str, key: Any) -> None:
        self.counter, self.key = counter, key

    def __call__(self, world: World) -> float:
        return float(getattr(world.events, self.counter).get(self.key, 0))


class _Near:
    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __call__(self, world: World) -> float:
        where = world.where(self.tag)
        if len(where) == 0:
            return 0.0
        x, y = world.agent.position
        nearest = min(math.hypot(px - x, py - y) for px, py in where.tolist())
        return -nearest / math.hypot(world.spec.width, world.spec.height)


@dataclass(frozen=True)
class Candidate:
    """One generated objective: what it reads off the scene, and the measurement that reads it."""

    kind: Kind
    key: tuple[str, ...]
    """What it reads: an axis (``("east",)``), a region, a counter and its key (``("contacts", "broom", "particle")``),
    or a tag."""

    @property
    def name(self) -> str:
        """The measurement (and objective) name, e.g. ``found_contacts_broom_particle``."""
        return "found_" + _ident("_".join((self.kind if self.kind != "progress" else "", *self.key)))

    @property
    def label(self) -> str:
        """What a reader sees, e.g. ``contacts broom|particle``, ``progress east``, ``in region goal``."""
        if self.kind == "progress":
            return f"progress {self.key[0]}"
        if self.kind == "region":
            return f"in region {self.key[0]}"
        if self.kind == "near":
            return f"near {self.key[0]}"
        return f"{self.key[0]} {'|'.join(self.key[1:])}"

    @property
    def doc(self) -> str:
        """One line for the graph and the report."""
        return {
            "progress": "agent's progress along the axis [room sizes]",
            "region": "1 while the agent is in the region",
            "near": "minus the distance to the nearest entity with the tag [room diagonals]",
            "count": "the event counter",
        }[self.kind] + f" ({self.label}; generated)"

    def measure(self) -> Any:
        """The measurement function of the world."""
        if self.kind == "progress":
            return _Progress(*_AXES[self.key[0]])
        if self.kind == "region":
            return _InRegion(self.key[0])
        if self.kind == "near":
            return _Near(self.key[0])
        counter, *key = self.key
        return _Count(counter, tuple(key) if len(key) > 1 else key[0])

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the cache keeps the library this way)."""
        return {"kind": self.kind, "key": list(self.key), "name": self.name, "label": self.label}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Candidate:
        """Inverse of :meth:`to_dict`."""
        return cls(data["kind"], tuple(data["key"]))


def generate_candidates(
    specs: Sequence[SceneSpec], events: Iterable[Mapping[str, Mapping[str, Any]]], *, limit: int = MAX_CANDIDATES
) -> tuple[Candidate, ...]:
    """The candidate library of scenes ``specs`` whose episodes counted ``events`` (``Events.to_dict()`` forms).

    Progress along each axis, then each region of the specs, each counter key seen, then each entity tag
    (walls and the agent's own tags left out), first ``limit`` kept.

    >>> from sandbox import Events
    >>> seen = Events(); seen.contacts[("broom", "dust")] += 1
    >>> [c.label for c in generate_candidates([], [seen.to_dict()])]
    ['progress east', 'progress west', 'progress north', 'progress south', 'contacts broom|dust']
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"The candidate library needs a limit of at least 1 candidate, got {limit!r}.")
    out: list[Candidate] = [Candidate("progress", (axis,)) for axis in _AXES]
    regions, tags = {}, {}
    for spec in specs:
        agent_tags = set(spec.agent.tags) if spec.agent is not None else set()
        for entity in spec.entities:
            if isinstance(entity, Region):
                regions.setdefault(entity.name, None)
            elif not isinstance(entity, Wall):
                for tag in getattr(entity, "tags", ()):
                    if tag not in agent_tags:
                        tags.setdefault(tag, None)
    out += [Candidate("region", (name,)) for name in regions]
    seen: dict[tuple[str, ...], None] = {}
    for counts in events:
        for counter in COUNTERS:
            for key in counts.get(counter, {}):
                seen.setdefault((counter, *str(key).split("|")), None)
    out += [Candidate("count", key) for key in sorted(seen)]
    out += [Candidate("near", (tag,)) for tag in tags]
    unique = list(dict.fromkeys(out))
    return tuple(unique[:limit])


def with_candidates(scenario: Scenario, candidates: Sequence[Candidate], hide: Sequence[str] = ()) -> Scenario:
    """A copy of ``scenario`` whose graph adds ``candidates`` as proxies and leaves the objectives ``hide`` out.

    The hidden objectives' measurements stay (other measurements may be computed from them); their
    objectives and scripted references go. Raises :class:`~proxies.errors.ConfigError` for an unknown or
    the true objective in ``hide``.
    """
    graph = scenario.graph
    for name in hide:
        scenario.check_objective(name)
        if name == scenario.true_reward:
            raise ConfigError(f"Cannot hide the true reward {name!r}; hide proxies only (one of {graph.objective_names[1:]}).")
    taken = {m.name for m in graph.measurements} | {f.name for f in graph.factors}
    clash = [c.name for c in candidates if c.name in taken]
    if clash:
        raise ConfigError(
            f"Scenario {scenario.slug!r} already has a node called {clash[0]!r}; rename it (the prefix found_ is "
            f"reserved for generated candidates), {did_you_mean(clash[0], sorted(taken))}."
        )
    causes = tuple(f.name for f in graph.factors if not f.cue)
    new = RewardGraph(
        factors=graph.factors,
        measurements=(*graph.measurements,
                      *(Measurement(c.name, c.measure(), causes=causes, doc=c.doc) for c in candidates)),
        true_reward=graph.true_reward,
        proxies=(*(p for p in graph.proxies if p.name not in hide), *(Objective(c.name, doc=c.doc) for c in candidates)),
    )
    references = {k: v for k, v in scenario.references.items() if k not in hide}
    return dataclasses.replace(scenario, graph=new, references=references)
