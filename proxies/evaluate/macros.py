"""Macro-actions: the automatic reference of a scenario whose agent is a :class:`~sandbox.bodies.Driver`.

Random shooting over single actions (:class:`~proxies.evaluate.references.Planner`) cannot see far
enough to push a thing into a bin: the objective moves only when the thing falls in, many
steps after the pushing starts. For a driver the automatic reference instead chooses among
*macro-actions*: closed-loop programs built from the kit's driving primitives
(:mod:`sandbox.bodies.driving`), each read off the scene itself:

- ``push <tag> into <region>``: push every dynamic body with that tag into that region, one
  at a time (a :class:`~sandbox.bodies.driving.Pusher`, routed round walls); with several
  regions, also ``push <tag> into the nearest of <regions>``; and ``push <tag> into <region>,
  then every <wider tag>`` (the bodies with one tag first, then all the region takes);
- ``rattle <tag>``: get the nearest body with that tag into the scoop and wiggle there;
- ``go to <region>``: drive into that region and stay;
- ``drive <direction>``: drive east, north, west or south, to the wall.

:class:`MacroPlanner` plays every macro for a whole episode in a world rebuilt from the
scene's spec (a live space is never copied), scores each by the objective's gain, and then
follows the best one. The macros' outcomes depend only on the scene, so one
:class:`MacroScores` (kept by the references of one suite build, or one ``check``) scores a
scene once for every objective and every episode played there. The choice is made on the
undisturbed scene; a jostled episode starts elsewhere, and the closed-loop macro copes.

Examples
--------
>>> import proxies
>>> robot = proxies.get_scenario("cleaning-robot")
>>> spec = robot.sample_spec(np.random.default_rng(0))
>>> [m.name for m in driving_macros(spec)][:3]
['push particle into dustpan', 'rattle particle', 'go to hallway']
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

from proxies.errors import PolicyError
from proxies.scenario.policies import Policy
from proxies.scenario.scenario import Scenario
from sandbox.actions import parse_action
from sandbox.bodies.driver import Driver
from sandbox.bodies.driving import Floor, Pusher, action, drive, forward, in_scoop, into, movable
from sandbox.entities import Body, Region
from sandbox.spec import SceneSpec
from sandbox.world import World

__all__ = ["Macro", "MacroPlanner", "MacroScores", "driving_macros", "takes_macros"]

_DIRECTIONS = {"east": (1.0, 0.0), "north": (0.0, 1.0), "west": (-1.0, 0.0), "south": (0.0, -1.0)}
_CACHED = 256
"""Scenes whose macro outcomes one :class:`MacroScores` keeps."""


class PushInto(Pusher):
    """Push every dynamic body tagged ``tag`` into the nearest of ``regions``, the nearest way round
    walls; a body already inside one (which does not capture it) is left alone."""

    def __init__(self, tag: str, regions: tuple[str, ...], then: str | None = None) -> None:
        self.tag, self.regions, self.first, self.then = tag, regions, tag, then

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Start with the first tag's bodies."""
        self.tag = self.first
        super().reset(world, rng)

    def act(self, obs: np.ndarray | None, world: World) -> np.ndarray:
        """Push the bodies tagged ``tag`` in first; once they are all gone, those tagged ``then`` (if given)."""
        if self.then is not None and self.tag == self.first and not movable(world, self.first):
            self.tag = self.then
        return super().act(obs, world)

    def goal(self, world: World, x: float, y: float) -> tuple[float, float] | None:
        regions = [world.regions[name] for name in self.regions]
        if any(r.contains(x, y) for r in regions):
            return None
        target = min((into(r, x, y) for r in regions), key=lambda p: math.dist(p, (x, y)))
        floor = Floor.of(world)
        return target if floor.sees((x, y), target) else floor.waypoint((x, y), target)


class Rattle:
    """Get the nearest dynamic body tagged ``tag`` into the scoop and wiggle there, hard left and
    right in turn, so that it keeps knocking against the driver (contacts begin again and again)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Start wiggling to the left."""
        self.wiggle = 1.2

    def act(self, obs: np.ndarray | None, world: World) -> np.ndarray:
        things = movable(world, self.tag)
        if not things:
            return action(world, (0.0, 0.0))
        agent, positions, floor = world.agent, world.positions, Floor.of(world)
        robot, heading = agent.position, agent.heading  # type: ignore[union-attr]
        c, s = math.cos(heading), math.sin(heading)

        def cost(p: list[float]) -> float:  # the distance, 1 m more behind the driver or round a wall
            dx, dy = p[0] - robot[0], p[1] - robot[1]
            return math.hypot(dx, dy) + (0.0 if dx * c + dy * s > 0 else 1.0) + (0.0 if floor.sees(robot, p) else 3.0)

        i = min(things, key=lambda i: cost(positions[i].tolist()))
        (x, y), size = positions[i].tolist(), getattr(world.spec.entities[i], "extent", 0.0)
        if in_scoop(world, x, y, size=size, slack=0.05, inset=0.0):
            self.wiggle = -self.wiggle  # hard left, then hard right
            return action(world, (0.5 * math.cos(heading + self.wiggle), 0.5 * math.sin(heading + self.wiggle)))
        if not floor.sees(robot, (x, y)):
            return action(world, drive(world, *floor.waypoint(robot, (x, y))))
        spec = agent.spec  # type: ignore[union-attr]
        tip = spec.radius + (spec.tool.reach if spec.tool else 0.0) + size
        return action(world, forward(world, x - robot[0], y - robot[1], math.dist(robot, (x, y)) - tip))


class GoTo:
    """Drive into ``region`` (to its centre, round walls) and stay there."""

    def __init__(self, region: str) -> None:
        self.region = region

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Nothing to remember."""

    def act(self, obs: np.ndarray | None, world: World) -> np.ndarray:
        centre = world.regions[self.region].centre
        return action(world, drive(world, *Floor.of(world).waypoint(world.agent.position, centre)))  # type: ignore[union-attr]


class Heading:
    """Drive at full speed in one world direction (into the wall, and along it)."""

    def __init__(self, direction: tuple[float, float]) -> None:
        self.direction = direction

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Nothing to remember."""

    def act(self, obs: np.ndarray | None, world: World) -> np.ndarray:
        return action(world, self.direction)


@dataclass(frozen=True)
class Macro:
    """One macro-action: a name and a factory of its closed-loop policy."""

    name: str
    make: Callable[[], Policy] = field(compare=False)


def takes_macros(scenario: Scenario) -> bool:
    """Whether the scenario's agent is a driver steered by velocities (a ``Box`` action space), whose automatic
    reference chooses among macro-actions."""
    return isinstance(scenario.agent, Driver) and isinstance(scenario.action_space, gym.spaces.Box)


def driving_macros(spec: SceneSpec) -> list[Macro]:
    """The macro-actions of a driver's scene, read off its entities (see the module docstring)."""
    members: dict[str, list[int]] = {}  # tag -> the dynamic bodies with it
    for i, e in enumerate(spec.entities):
        if isinstance(e, Body) and e.motion == "dynamic":
            for t in e.tags:
                members.setdefault(t, []).append(i)
    distinct = {tuple(m): t for t, m in reversed(members.items())}  # one tag per set of bodies: the first
    tags = [t for t, m in members.items() if distinct[tuple(m)] == t]
    regions = [e for e in spec.entities if isinstance(e, Region)]
    def takes(region: Region, tag: str) -> bool:  # whether pushing the bodies with ``tag`` into ``region`` is a goal
        if not region.detects:
            return False  # it only marks an area
        if not (region.captures and region.only):
            return True
        return all(set(spec.entities[i].tags) & set(region.only) for i in members[tag])  # it captures each of them

    out = []
    for t in tags:
        into_ = [r.name for r in regions if takes(r, t)]
        out += [Macro(f"push {t} into {r}", lambda t=t, r=r: PushInto(t, (r,))) for r in into_]
        if len(into_) > 1:
            out.append(Macro(f"push {t} into the nearest of {', '.join(into_)}", lambda t=t, r=tuple(into_): PushInto(t, r)))
    for region in regions:  # some bodies first, then all: pursues what the first ones bring most of
        wider = [t for t in tags if takes(region, t)]
        if wider:
            every = max(wider, key=lambda t: len(members[t]))
            name = region.name
            out += [
                Macro(f"push {t} into {name}, then every {every}", lambda t=t, r=name, e=every: PushInto(t, (r,), e))
                for t in wider
                if set(members[t]) < set(members[every])
            ]
    out += [Macro(f"rattle {t}", lambda t=t: Rattle(t)) for t in tags]
    out += [Macro(f"go to {r.name}", lambda r=r.name: GoTo(r)) for r in regions]
    out += [Macro(f"drive {name}", lambda d=d: Heading(d)) for name, d in _DIRECTIONS.items()]
    return out


class MacroScores:
    """Every macro's outcome in a scene: the change of each objective's measurement over one whole
    episode from the spec. Computed once per scene and kept (the most recent :data:`_CACHED` scenes)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        graph = scenario.graph
        self._measures = [graph.measurement_fns[graph.objective(o).measurement] for o in scenario.objectives]
        self._kept: OrderedDict[SceneSpec, tuple[list[Macro], np.ndarray]] = OrderedDict()

    def __call__(self, spec: SceneSpec) -> tuple[list[Macro], np.ndarray]:
        """The scene's macros and their outcomes, ``(n_macros, n_objectives)`` (columns as ``scenario.objectives``)."""
        found = self._kept.get(spec)
        if found is None:
            macros = driving_macros(spec)
            found = macros, np.array([self._play(spec, m) for m in macros])
            self._kept[spec] = found
            if len(self._kept) > _CACHED:
                self._kept.popitem(last=False)
        return found

    def _play(self, spec: SceneSpec, macro: Macro) -> list[float]:
        scenario, measures = self.scenario, self._measures
        world = World(spec)
        policy = macro.make()
        policy.reset(world, np.random.default_rng(0))
        start = [m(world) for m in measures]
        space = scenario.action_space
        for _ in range(scenario.max_steps):
            world.step(parse_action(space, policy.act(None, world)))
            if scenario.terminated(world):
                break
        return [m(world) - s for m, s in zip(measures, start)]


class MacroPlanner:
    """Pursues one objective by following the macro-action that earns most of it over a whole
    episode in the scene (ties: the first in :func:`driving_macros`' order). Deterministic given the scene."""

    def __init__(self, scenario: Scenario, objective: str, scores: MacroScores | None = None) -> None:
        self.scenario = scenario
        self.objective = scenario.check_objective(objective)
        self._column = scenario.objectives.index(self.objective)
        self.scores = scores or MacroScores(scenario)

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Score the macros in the freshly built scene and start the best one."""
        if world.steps != 0:
            raise PolicyError(
                f"The macro planner for {self.objective!r} must start with a freshly built world (it plays each "
                f"macro-action from the scene's spec), but this one has taken {world.steps} steps; reset the env first."
            )
        macros, outcomes = self.scores(world.spec)
        best = int(np.argmax(outcomes[:, self._column]))
        self.chosen = macros[best].name
        self._policy = macros[best].make()
        self._policy.reset(world, rng)

    def act(self, obs: np.ndarray, world: World) -> np.ndarray:
        """The chosen macro's action."""
        return self._policy.act(obs, world)
