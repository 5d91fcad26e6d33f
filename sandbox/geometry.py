"""Checking a scene's layout before it is simulated: :func:`check_geometry`.

A recipe can lay out a scene that pymunk will simulate without complaint and wrongly: a robot
outside the walls (it never meets the dust), a particle scattered inside a wall or inside another
one (the solver shoots them apart on the first step), twenty thousand particles (each step takes
seconds). :func:`check_geometry` refuses such a scene with a :class:`~sandbox.errors.GeometryError`
that names the entities and the fix:

- at most :data:`MAX_ENTITIES` entities (``SceneSpec`` refuses more when it is built);
- every entity with a position lies inside the floor ``[0, width] x [0, height]``, by its whole
  extent (a body by its shape, the agent by its chassis, a region by its area);
- no solid body that moves (dynamic or kinematic, the agent's chassis included) starts inside
  another solid shape (a moving body, a static one, a wall) by more than :data:`OVERLAP_TOLERANCE`.
  Static bodies may touch each other and the walls; regions and sensors (pickups, consumables,
  lamps) may overlap anything; the agent's tool may start against things (it pushes them aside).

The shapes checked are the ones the world builds (:class:`~sandbox.world.World`), so an entity kind a
scenario registers is checked like the built-in ones.

Examples
--------
>>> from sandbox import Body, Driver, SceneSpec, Wall
>>> room = Wall.around(2.0, 2.0)
>>> check_geometry(SceneSpec(width=2.0, height=2.0, entities=(*room, Driver(x=1.0, y=1.0))))
>>> check_geometry(SceneSpec(width=2.0, height=2.0, entities=(*room, Driver(x=3.0, y=1.0))))
Traceback (most recent call last):
...
sandbox.errors.GeometryError: The scene's layout cannot be simulated as meant: Driver 'agent' (entity 4) at (3, 1) ...
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pymunk

from sandbox.errors import GeometryError

if TYPE_CHECKING:
    from sandbox.spec import SceneSpec

__all__ = ["MAX_ENTITIES", "OVERLAP_TOLERANCE", "check_geometry", "geometry_problems", "too_many"]

MAX_ENTITIES = 2_000
"""Most entities a scene may hold. A pymunk step costs about a microsecond per body, and every
contact a Python callback: a scene of thousands of loose bodies steps too slowly to train on."""

OVERLAP_TOLERANCE = 0.02
"""How deep [m] a moving body may start inside another solid shape: slighter overlaps are resting
contacts (a body laid on the ground), which pymunk resolves gently; deeper ones are a layout error."""

_EDGE = 1e-6
"""Slack [m] of the floor test, for bodies laid exactly against the floor's edge."""
_SHOWN = 5
"""Problems listed in a message (then a count of the rest)."""


def too_many(n: int) -> str:
    """The sentence that refuses a scene of ``n`` entities (more than :data:`MAX_ENTITIES`)."""
    return (
        f"The scene has {n:,} entities, more than the {MAX_ENTITIES:,} a scene may hold (each physics step would "
        "take too long to train on); use fewer, larger bodies."
    )


def _name(spec: SceneSpec, index: int) -> str:
    entity = spec.entities[index]
    label = getattr(entity, "name", None) or (entity.tags[0] if entity.tags else "")
    what = f"{type(entity).__name__} {label!r}" if label else type(entity).__name__
    position = entity.position
    where = f" at ({position[0]:.3g}, {position[1]:.3g})" if position is not None else ""
    return f"{what} (entity {index}){where}"


def _outside(spec: SceneSpec, index: int, bb: tuple[float, float, float, float]) -> str | None:
    left, bottom, right, top = bb
    if not all(math.isfinite(v) for v in bb):
        return f"{_name(spec, index)} has a size that is not finite; give finite sizes [m]."
    width, height = spec.width, spec.height
    parts = []
    if left < -_EDGE or right > width + _EDGE:
        parts.append(f"x {left:.3g}..{right:.3g}")
    if bottom < -_EDGE or top > height + _EDGE:
        parts.append(f"y {bottom:.3g}..{top:.3g}")
    if not parts:
        return None
    return f"{_name(spec, index)} reaches {' and '.join(parts)}, outside the floor [0, {width:g}] x [0, {height:g}] m."


def geometry_problems(spec: SceneSpec) -> list[str]:
    """Every layout problem of ``spec`` (see the module docstring), one sentence each; empty if none."""
    from sandbox.entities import Region
    from sandbox.world import TOOL, World

    entities = spec.entities
    if len(entities) > MAX_ENTITIES:
        return [too_many(len(entities))]
    problems: list[str] = []
    world = World(spec)
    agent_index = next((i for i, e in enumerate(entities) if e is spec.agent), -1)
    # shapes by entity: the agent's chassis (not its tool), and every entity's own
    owned: dict[int, list[pymunk.Shape]] = {}
    for shape in world._agent_tags:
        if shape.collision_type != TOOL:
            owned.setdefault(agent_index, []).append(shape)
    for shape, index in world._owner.items():
        owned.setdefault(index, []).append(shape)
    static = world.space.static_body
    for index, entity in enumerate(entities):
        if entity.position is None:
            continue  # a wall: it may stand anywhere, the floor's edge included
        shapes = owned.get(index)
        if shapes:
            boxes = [shape.cache_bb() for shape in shapes]
            bb = (min(b.left for b in boxes), min(b.bottom for b in boxes),
                  max(b.right for b in boxes), max(b.top for b in boxes))
        elif isinstance(entity, Region):
            bb = entity.bounds  # a region that only marks an area builds no shape
        else:
            x, y = entity.position
            bb = (x, y, x, y)
        problem = _outside(spec, index, bb)
        if problem:
            problems.append(problem)
    # moving solid bodies must not start inside other solid shapes
    owner = {shape: index for index, shapes in owned.items() for shape in shapes}
    reported: set[tuple[int, int]] = set()
    for index, shapes in sorted(owned.items()):
        for shape in shapes:
            if shape.sensor or shape.body is static or shape.body.body_type == pymunk.Body.STATIC:
                continue
            for hit in world.space.shape_query(shape):
                other = hit.shape
                if other is None or other.sensor or other.body is shape.body or other.collision_type == TOOL:
                    continue
                points = hit.contact_point_set.points
                depth = -min((p.distance for p in points), default=0.0)
                if depth <= OVERLAP_TOLERANCE:
                    continue
                j = owner.get(other, -1)
                pair = (min(index, j), max(index, j))
                if pair in reported:
                    continue
                reported.add(pair)
                what = _name(spec, j) if j >= 0 else "a shape"
                problems.append(f"{_name(spec, index)} starts {depth:.3g} m deep inside {what}.")
    return problems


def check_geometry(spec: SceneSpec) -> None:
    """Raise :class:`~sandbox.errors.GeometryError` naming the layout problems of ``spec``, if any.

    A spec that passed is remembered (on the object), so checking it again costs nothing.
    """
    if spec.__dict__.get("_geometry_checked"):
        return
    problems = geometry_problems(spec)
    if problems:
        shown = " ".join(problems[:_SHOWN])
        more = f" (and {len(problems) - _SHOWN} more problems)" if len(problems) > _SHOWN else ""
        raise GeometryError(
            f"The scene's layout cannot be simulated as meant: {shown}{more} Place every entity inside the floor, "
            f"keep solid bodies apart at the start (deeper overlaps than {OVERLAP_TOLERANCE} m are refused) and use at "
            f"most {MAX_ENTITIES:,} entities; check the scene recipe (build_scene)."
        )
    object.__setattr__(spec, "_geometry_checked", True)
