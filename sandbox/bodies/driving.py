"""Driving primitives for a :class:`~sandbox.bodies.Driver`, with or without a scoop :class:`~sandbox.bodies.Tool`.

For scripted reference behaviours: turn, drive to a point, back off while turning, drive
tool-first with little room, carry a held thing, push a thing to a goal; and, from the scene's
walls, where the driver fits and which way leads round a wall (:class:`Floor`). :class:`Pusher`
is a reference policy built on them that pushes things one at a time to where they belong.

Every command is a velocity in the world's frame as fractions of the driver's full speed
(``(vx, vy)``, length at most 1); :func:`action` turns it into the driver's action. Only walls
(:class:`~sandbox.entities.Wall` entities) are obstacles; bodies are pushed, not planned round.

Examples
--------
>>> from sandbox import Driver, SceneSpec, Wall, World
>>> world = World(SceneSpec(width=4, height=2, entities=(*Wall.around(4, 2), Driver(x=1, y=1))))
>>> drive(world, 3.0, 1.0)
(1.0, 0.0)
>>> Floor.of(world).clear(0.1, 1.0), Floor.of(world).clear(2.0, 1.0)
(False, True)
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np
import pymunk

from sandbox.bodies.driver import _TURN_RATE, Driver
from sandbox.entities import Region, Wall
from sandbox.errors import SandboxError

if TYPE_CHECKING:
    from sandbox.spec import SceneSpec
    from sandbox.world import World

__all__ = [
    "CLEARANCE",
    "Floor",
    "Pusher",
    "action",
    "approach",
    "back_off",
    "carry",
    "drive",
    "forward",
    "in_scoop",
    "into",
    "movable",
    "push",
    "push_direction",
    "turn_angle",
]

Point = tuple[float, float]
Velocity = tuple[float, float]
"""A command: world-frame velocity as fractions of the driver's full speed."""

CLEARANCE = 0.02
"""Gap kept between the driver's chassis and a wall [m] when asking where it fits."""
_STEER_LIMIT = 1.75
"""Widest turn [rad] a forward command asks for: short of the 120 degrees (``_REVERSE_BEYOND``)
beyond which the driver reverses instead."""
_TURNS = (0.0, 0.3, -0.3, 0.6, -0.6, 0.9, -0.9, 1.2, -1.2, 1.5, -1.5)
"""Deviations from the straight push [rad] tried, in order, when the driver cannot fit behind a thing."""
_FILTER = pymunk.ShapeFilter()


def _driver(world: World) -> Driver:
    spec = world.agent.spec if world.agent is not None else None
    if not isinstance(spec, Driver):
        raise SandboxError(f"Driving primitives need a Driver as the scene's agent, got {type(spec).__name__}.")
    return spec


def _reach(spec: Driver, size: float) -> float:
    """Driver's centre to the centre of a thing of radius ``size`` touching the middle of its front [m]."""
    return spec.radius + (spec.tool.thickness if spec.tool else 0.0) + size


def _arms(spec: Driver) -> float:
    return spec.tool.arms if spec.tool else 0.0


def turn_angle(heading: float, dx: float, dy: float) -> float:
    """Signed angle [rad] from ``heading`` to the direction ``(dx, dy)``, in [-pi, pi).

    >>> round(turn_angle(0.0, 0.0, 1.0), 4)
    1.5708
    """
    return (math.atan2(dy, dx) - heading + math.pi) % (2 * math.pi) - math.pi


def action(world: World, velocity: Velocity) -> np.ndarray:
    """The driver's action for a world-frame command (in its own frame for ``frame="robot"``)."""
    if _driver(world).frame == "world":
        return np.array(velocity, dtype=np.float64)
    return np.array(world.agent.frame(*velocity))  # type: ignore[union-attr]


def drive(world: World, x: float, y: float, *, slow_within: float = 0.4) -> Velocity:
    """Towards ``(x, y)`` at full speed, slowing down over the last ``slow_within`` metres (to 30 %
    of full speed at the point)."""
    rx, ry = world.agent.position  # type: ignore[union-attr]
    dx, dy = x - rx, y - ry
    gap = math.hypot(dx, dy)
    if gap < 1e-9:
        return (0.0, 0.0)
    scale = min(1.0, 0.3 + gap / slow_within) / gap
    return (dx * scale, dy * scale)


def back_off(world: World, turn: float, *, speed: float = 0.15) -> Velocity:
    """Back off slowly, told to go a little to one side, which turns the driver by up to 1 rad
    towards ``turn`` [rad] (positive: left) while its front moves away from what lies ahead."""
    back = world.agent.heading + math.pi + min(max(turn, -1.0), 1.0)  # type: ignore[union-attr]
    return (math.cos(back) * speed, math.sin(back) * speed)


def approach(world: World, x: float, y: float, ux: float, uy: float) -> Velocity:
    """To ``(x, y)``, on the way to drive in direction ``(ux, uy)`` from there.

    Going against that direction, the driver backs up (turning first if need be), so that it
    arrives facing the way it will go on, with no turning round in tight spots.
    """
    agent = world.agent
    rx, ry = agent.position  # type: ignore[union-attr]
    dx, dy = x - rx, y - ry
    if dx * ux + dy * uy < -0.5 * math.hypot(dx, dy):
        turn = turn_angle(agent.heading, -dx, -dy)  # type: ignore[union-attr]
        if abs(turn) > 0.9:
            return back_off(world, turn)
    return drive(world, x, y)


def forward(world: World, dx: float, dy: float, room: float) -> Velocity:
    """Front (tool) first in direction ``(dx, dy)``, with ``room`` metres to turn in.

    The driver turns at 1.2 rad/s, and reverses instead of turning round when told to go more
    than 120 degrees away from its heading. So while it faces the wrong way it drives only as
    fast as lets it finish turning within ``room``; with too little room, it turns while slowly
    backing off (:func:`back_off`), which keeps its front clear of what lies ahead.
    """
    spec, heading = _driver(world), world.agent.heading  # type: ignore[union-attr]
    turn = turn_angle(heading, dx, dy)
    speed = 1.0 if abs(turn) < 0.25 else min(1.0, room * _TURN_RATE / (abs(turn) * spec.max_speed))
    if speed < 0.3:
        return back_off(world, turn)
    turn = min(max(turn, -_STEER_LIMIT), _STEER_LIMIT)
    return (math.cos(heading + turn) * speed, math.sin(heading + turn) * speed)


def carry(world: World, dx: float, dy: float, *, max_turn: float = 0.9) -> Velocity:
    """Carry a thing held in the scoop in direction ``(dx, dy)``, turning at most ``max_turn`` [rad]
    off the heading at a time (any more and the thing slips out), tighter turns at half speed."""
    heading = world.agent.heading  # type: ignore[union-attr]
    turn = turn_angle(heading, dx, dy)
    speed = 1.0 if abs(turn) < 0.5 else 0.5
    turn = min(max(turn, -max_turn), max_turn)
    return (math.cos(heading + turn) * speed, math.sin(heading + turn) * speed)


def in_scoop(world: World, x: float, y: float, *, size: float, slack: float = 0.0, inset: float = 0.1) -> bool:
    """Whether a thing of radius ``size`` centred at ``(x, y)`` is held in front of the driver: beyond
    its chassis, no further than the tips of its tool's arms (plus ``slack``), and at least ``inset``
    inside the tool's ends [m]."""
    spec = _driver(world)
    rx, ry = world.agent.position  # type: ignore[union-attr]
    ahead, aside = world.agent.frame(x - rx, y - ry)  # type: ignore[union-attr]
    width = spec.tool.width if spec.tool else 2 * spec.radius
    return spec.radius - 0.05 < ahead < _reach(spec, size) + _arms(spec) + slack and abs(aside) < width / 2 - inset


def into(region: Region, x: float, y: float, *, margin: float = 0.15) -> Point:
    """The point of a box ``region``, shrunk by ``margin`` (at most a quarter of its size), nearest
    to ``(x, y)``: where to push a thing at ``(x, y)`` to get it in by the shortest way.

    >>> into(Region(name="goal", x0=2, y0=0, x1=3, y1=1), 0.0, 0.5)
    (2.15, 0.5)
    """
    m = min(margin, (region.x1 - region.x0) / 4, (region.y1 - region.y0) / 4)
    return (min(max(x, region.x0 + m), region.x1 - m), min(max(y, region.y0 + m), region.y1 - m))


def movable(world: World, tag: str) -> list[int]:
    """Indices (spec order) of the dynamic bodies with ``tag`` still in the scene."""
    entities, present = world.spec.entities, world.present
    return [i for i in world.tagged(tag).tolist() if present[i] and getattr(entities[i], "motion", "") == "dynamic"]


def push_direction(world: World, x: float, y: float, goal: Point, *, size: float) -> Velocity:
    """Unit direction to push the thing at ``(x, y)``: towards ``goal``, turned as little as possible
    for the driver to fit behind it (a thing against a wall is pushed along the wall)."""
    floor, behind = Floor.of(world), _reach(_driver(world), size) + 0.05
    base = math.atan2(goal[1] - y, goal[0] - x)
    for turn in _TURNS:
        ux, uy = math.cos(base + turn), math.sin(base + turn)
        if floor.fits_from((x, y), x - ux * behind, y - uy * behind):
            return ux, uy
    return math.cos(base), math.sin(base)


def push(world: World, x: float, y: float, goal: Point, *, size: float, lined_up: float = 0.3) -> Velocity:
    """Scoop up the thing of radius ``size`` at ``(x, y)`` and carry it to ``goal``.

    With the thing in its scoop, the driver carries it towards the goal. If the thing lies
    roughly on the way from the driver to the goal (the driver within ``acos(lined_up)`` of the
    line of the push, behind the thing; use more, e.g. 0.9, where there is no room to turn with
    it), the driver drives straight at it, front first. Otherwise it first drives to a spot
    behind it (seen from the goal), going round the thing, or past it in a lane beside it, so as
    not to knock it the wrong way, and so that it need not turn round with it; round walls by
    :meth:`Floor.waypoint`.
    """
    spec, floor = _driver(world), Floor.of(world)
    rx, ry = world.agent.position  # type: ignore[union-attr]
    dx, dy = x - rx, y - ry
    if in_scoop(world, x, y, size=size):
        return carry(world, goal[0] - x, goal[1] - y)
    reach = _reach(spec, size)
    tip = reach + _arms(spec)
    ux, uy = push_direction(world, x, y, goal, size=size)
    along, lateral = -(dx * ux + dy * uy), dy * ux - dx * uy  # the driver in the push's frame
    gap = math.hypot(dx, dy)
    if -along > lined_up * gap and floor.sees((rx, ry), (x, y)):  # roughly on the way
        return forward(world, dx, dy, gap - tip)
    back = tip + 0.3
    if along > -0.5 * back:  # beside or ahead of the thing: round it, on the side the driver is on
        side = 0.8 if lateral >= 0 else -0.8
        sx, sy = x + side * uy - 0.5 * ux, y - side * ux - 0.5 * uy
        if floor.fits_from((x, y), sx, sy):
            return approach(world, *floor.waypoint((rx, ry), (sx, sy)), ux, uy)
    # behind it: to a spot on the line of the push, the further back the further off the line the
    # driver is, so that it comes in along the line, already facing the way it will push
    back += min(abs(lateral), 1.0)
    while back > reach and not floor.fits_from((x, y), x - ux * back, y - uy * back):
        back -= 0.2
    if along > 0.1 - back and abs(lateral) < 0.4:  # the thing is in the way: pass beside it
        for side in (0.42, -0.42) if lateral >= 0 else (-0.42, 0.42):
            if floor.fits_from((x, y), x + side * uy, y - side * ux):
                # sidestep into a lane beside the thing, then go along the lane past it
                ahead_of = along if abs(lateral - side) > 0.12 else -back
                sx, sy = x + ahead_of * ux + side * uy, y + ahead_of * uy - side * ux
                return approach(world, *floor.waypoint((rx, ry), (sx, sy)), ux, uy)
    return approach(world, *floor.waypoint((rx, ry), (x - back * ux, y - back * uy)), ux, uy)


class Floor:
    """Where a driver of a given size fits among a scene's walls, and routes round them.

    Built once per scene and kept (:meth:`of`); the occupancy grid for :meth:`waypoint` is
    built on first use. Only :class:`~sandbox.entities.Wall` entities are obstacles.

    Parameters
    ----------
    spec: the scene.
    radius: the driver's radius [m]; it fits where its centre is ``radius + CLEARANCE`` from every wall.
    cell: side of the occupancy grid's cells [m].
    """

    _cache: dict[int, Floor] = {}
    _CACHED = 16

    def __init__(self, spec: SceneSpec, radius: float, *, cell: float = 0.1) -> None:
        self.spec, self.radius, self.cell = spec, radius, cell
        self.margin = radius + CLEARANCE
        self.space = space = pymunk.Space()
        for wall in spec.of_kind(Wall):
            for a, b in wall.solid_parts:  # type: ignore[attr-defined]
                space.add(pymunk.Segment(space.static_body, a, b, wall.thickness / 2))  # type: ignore[attr-defined]
        self._grid: tuple[list[list[int]], np.ndarray, list[Point]] | None = None
        self._distances: dict[int, list[int]] = {}

    @classmethod
    def of(cls, world: World) -> Floor:
        """The floor of ``world``'s scene for its driver: built once per scene, kept in the world's memo (episodes
        played in lock-step each keep their own) and, for the last few scenes, by the spec (a planner's look-ahead
        rebuilds worlds from one spec)."""
        floor = world.memo.get(cls)
        if floor is not None:
            return floor
        spec = world.spec
        floor = cls._cache.get(id(spec))
        if floor is None or floor.spec is not spec:
            floor = cls(spec, _driver(world).radius)
            if len(cls._cache) >= cls._CACHED:
                del cls._cache[next(iter(cls._cache))]
            cls._cache[id(spec)] = floor
        world.memo[cls] = floor
        return floor

    def clear(self, x: float, y: float, margin: float | None = None) -> bool:
        """Whether the driver's centre can be at ``(x, y)``: on the floor, at least ``margin``
        (default: its radius and the clearance) from every wall."""
        m = self.margin if margin is None else margin
        if not (m <= x <= self.spec.width - m and m <= y <= self.spec.height - m):
            return False
        return self.space.point_query_nearest((x, y), m, _FILTER) is None

    def sees(self, a: Point, b: Point) -> bool:
        """Whether no wall crosses the straight line from ``a`` to ``b``."""
        return self.space.segment_query_first(a, b, 0.0, _FILTER) is None

    def fits_from(self, start: Point, x: float, y: float) -> bool:
        """Whether the driver fits at ``(x, y)`` (:meth:`clear`) on the same side of the walls as
        ``start`` (:meth:`sees`)."""
        return self.clear(x, y) and self.sees(start, (x, y))

    def passes(self, a: Point, b: Point) -> bool:
        """Whether the driver can drive straight from ``a`` to ``b``: no wall crosses the line, and
        its chassis comes no closer to a wall on the way than at either end (it may start next to
        one and drive away from it, or end next to one)."""
        if not self.sees(a, b):
            return False
        length = math.dist(a, b)
        if length < 1e-9:
            return True
        ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
        step, r = min(0.01, length / 2), self.radius
        # (a space's segment query with a radius misses shapes whose boxes the bare line misses)
        near = pymunk.BB(min(a[0], b[0]) - r, min(a[1], b[1]) - r, max(a[0], b[0]) + r, max(a[1], b[1]) + r)
        for shape in self.space.bb_query(near, _FILTER):
            if shape.segment_query(a, b, r) is None:
                continue
            # the distance to a straight wall along a line is convex: its least is at an end
            # exactly when it grows from that end inwards
            distance = shape.point_query
            if distance((a[0] + ux * step, a[1] + uy * step)).distance >= distance(a).distance:
                continue
            if distance((b[0] - ux * step, b[1] - uy * step)).distance >= distance(b).distance:
                continue
            return False
        return True

    def waypoint(self, start: Point, goal: Point) -> Point:
        """Where to drive next on the way from ``start`` to ``goal``: the goal itself when the driver
        can drive there straight (:meth:`passes`), else the furthest point it can drive to straight
        along a shortest route on the occupancy grid; the goal when no route is found."""
        if self.passes(start, goal):
            return goal
        neighbours, free, centres = self._occupancy()
        here, target = self._nearest_free(start), self._nearest_free(goal)
        dist = self._distances.get(target)
        if dist is None:
            dist = self._distances[target] = _bfs(neighbours, target)
            if len(self._distances) > 64:
                del self._distances[next(iter(self._distances))]
        if dist[here] < 0:
            return goal
        best = centres[here]
        while dist[here] > 0:
            here = min(neighbours[here], key=lambda n: dist[n] if dist[n] >= 0 else math.inf)
            point = centres[here]
            if not self.passes(start, point):
                break
            best = point
        return best

    def _occupancy(self) -> tuple[list[list[int]], np.ndarray, list[Point]]:
        """The floor's grid: each cell's free neighbours (4-connected), which cells are free, their centres."""
        if self._grid is None:
            cols, rows = math.ceil(self.spec.width / self.cell), math.ceil(self.spec.height / self.cell)
            centres = [((c + 0.5) * self.cell, (r + 0.5) * self.cell) for r in range(rows) for c in range(cols)]
            free = np.array([self.clear(x, y) for x, y in centres], dtype=bool)
            neighbours: list[list[int]] = [[] for _ in centres]
            for i in np.flatnonzero(free).tolist():
                r, c = divmod(i, cols)
                for j, ok in ((i - cols, r > 0), (i + cols, r < rows - 1), (i - 1, c > 0), (i + 1, c < cols - 1)):
                    if ok and free[j]:
                        neighbours[i].append(j)
            self._grid = (neighbours, free, centres)
            self._free_xy = np.where(free[:, None], np.asarray(centres), np.inf)
        return self._grid

    def _nearest_free(self, point: Point) -> int:
        """The free cell whose centre is nearest to ``point`` (its own cell when that is free)."""
        _, free, _ = self._occupancy()
        cols = math.ceil(self.spec.width / self.cell)
        c, r = int(point[0] // self.cell), int(point[1] // self.cell)
        i = r * cols + c
        if 0 <= c < cols and 0 <= i < len(free) and free[i]:
            return i
        xy = self._free_xy  # walled-in cells are infinitely far
        return int(np.argmin((xy[:, 0] - point[0]) ** 2 + (xy[:, 1] - point[1]) ** 2))


def _bfs(neighbours: list[list[int]], goal: int) -> list[int]:
    """Steps from every cell to ``goal`` (-1 where it cannot be reached)."""
    dist = [-1] * len(neighbours)
    dist[goal] = 0
    queue = deque([goal])
    while queue:
        here = queue.popleft()
        step = dist[here] + 1
        for near in neighbours[here]:
            if dist[near] < 0:
                dist[near] = step
                queue.append(near)
    return dist


class Pusher:
    """A reference policy that pushes things one at a time to where each should go, choosing the
    cheapest next: the driving to it, the pushing to its goal, what is left beyond, and a penalty
    for a thing that cannot be pushed straight at its goal (such things tend to end up stuck in a
    corner). A thing that makes no progress for ``patience`` seconds is left alone for twice as long.

    Subclasses say which things count (``tag``: the dynamic bodies with it) and where each should
    go (:meth:`goal`); optionally how far it has to go beyond that goal (:meth:`beyond`) and how
    well lined up the driver must be to drive straight at it (:meth:`lined_up`).
    """

    tag: str = ""
    """Tag of the things to push."""
    patience: float = 3.0
    """Seconds without progress before giving up on a thing (for twice as long)."""
    bend_penalty: float = 4.0
    """Cost [m] of a push that must start at right angles to the goal (less for a smaller bend)."""

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """Forget the last episode's target and bans."""
        self.target: int | None = None
        self.best = math.inf
        self.stalled = 0
        self.banned: dict[int, int] = {}
        self._patience = round(self.patience * world.spec.control_hz)

    def goal(self, world: World, x: float, y: float) -> Point | None:
        """Where the thing at ``(x, y)`` should go next, or None if it should be left alone."""
        raise NotImplementedError(f"{type(self).__name__} must say where each thing goes: implement goal().")

    def beyond(self, world: World, goal: Point) -> float:
        """How far a thing still has to go once at ``goal`` [m] (0: the goal is final)."""
        return 0.0

    def lined_up(self, world: World, x: float, y: float) -> float:
        """``lined_up`` of :func:`push` for the thing at ``(x, y)``."""
        return 0.3

    def _size(self, world: World, index: int) -> float:
        return getattr(world.spec.entities[index], "extent", 0.0)

    def _choose(self, world: World, positions: np.ndarray) -> None:
        """Target the thing that is quickest to drive to and push to its goal."""
        rx, ry = world.agent.position  # type: ignore[union-attr]
        best, self.target = math.inf, None
        for i in movable(world, self.tag):
            if self.banned.get(i, -1) >= world.steps:
                continue
            x, y = positions[i].tolist()
            goal = self.goal(world, x, y)
            if goal is None:
                continue
            ux, uy = push_direction(world, x, y, goal, size=self._size(world, i))
            left = math.hypot(goal[0] - x, goal[1] - y)
            bend = 1.0 - (ux * (goal[0] - x) + uy * (goal[1] - y)) / max(left, 1e-9)
            cost = math.hypot(x - rx, y - ry) + left + self.beyond(world, goal) + self.bend_penalty * bend
            if cost < best:
                best, self.target = cost, i
        self.best, self.stalled = math.inf, 0

    def act(self, obs: np.ndarray, world: World) -> np.ndarray:
        """The action that pushes the current target on (a new target when it is gone or stuck)."""
        positions = world.positions
        stuck = self.stalled > self._patience
        if self.target is None or not world.present[self.target] or stuck:
            if self.target is not None and stuck:
                self.banned[self.target] = world.steps + 2 * self._patience
            self._choose(world, positions)
        if self.target is None:
            return action(world, (0.0, 0.0))
        x, y = positions[self.target].tolist()
        goal = self.goal(world, x, y)
        if goal is None:
            self.target = None
            return action(world, (0.0, 0.0))
        left = math.hypot(goal[0] - x, goal[1] - y)
        if left < self.best - 0.02:
            self.best, self.stalled = left, 0
        elif math.dist(world.agent.position, (x, y)) < 1.0:  # type: ignore[union-attr]  # at it, getting nowhere
            self.stalled += 1
        size = self._size(world, self.target)
        return action(world, push(world, x, y, goal, size=size, lined_up=self.lined_up(world, x, y)))
