"""Side-view terrain sensing: how high the ground is beside the agent, for platformer observations.

Examples
--------
>>> from sandbox import Body, Platformer, SceneSpec, World
>>> ground = Body(x=1.0, y=0.5, shape="box", size=(2.0, 1.0), motion="static", tags=("ground",))
>>> world = World(SceneSpec(width=4.0, height=3.0, entities=(Platformer(x=0.5, y=1.35), ground)))
>>> [round(h, 1) for h in ground_heights(world, (0.5, 2.0), depth=2.0)]  # ground, then a drop
[0.0, -1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pymunk._chipmunk import ffi as _ffi
from pymunk._chipmunk import lib as _chipmunk

from sandbox.categories import SOLIDS
from sandbox.errors import ObservationError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["ground_heights"]

_bb, _first_hit = _chipmunk.cpShapeGetBB, _chipmunk.cpSpaceSegmentQueryFirst
"""Chipmunk's nearest-hit segment query (what ``pymunk.Space.segment_query_first`` calls), called directly with one
result struct for all the probes: with the :data:`~sandbox.categories.SOLIDS` filter it passes through sensors and
the agent's shapes inside chipmunk, where ``Space.segment_query`` costs a Python callback and result object per
shape hit (about 60 % of coin-run's env step; docs/performance.md)."""


def ground_heights(world: World, offsets: Sequence[float], *, depth: float, above: float = 1.5) -> list[float]:
    """For each horizontal offset ``dx`` [m] from the agent, the height of the first solid surface
    below the point ``above`` metres over the agent's feet, relative to its feet [m], as a fraction
    of ``depth``: 0 level ground, positive a step up, -1 nothing within ``depth`` below the feet
    (a pit). Sensors (regions, pickups) and the agent's own shapes are passed through.

    The agent's feet are the bottom of its bounding box.
    """
    agent = world.agent
    if agent is None:
        raise ObservationError("ground_heights() needs an agent; add a Platformer to the scene.")
    if not depth > 0 or not above > 0:
        raise ObservationError(f"ground_heights() needs depth > 0 and above > 0 [m], got depth={depth!r}, above={above!r}.")
    x = agent.position[0]
    feet = min(_bb(shape._shape).b for shape in agent.body.shapes)  # = shape.bb.bottom, without a BB object
    top, bottom = feet + above, feet - depth
    space, hit, out = world.space._space, _ffi.new("cpSegmentQueryInfo *"), []
    for dx in offsets:
        _first_hit(space, (x + dx, top), (x + dx, bottom), 0.0, SOLIDS, hit)  # leaves alpha 1 when nothing is hit
        out.append((top + (bottom - top) * hit.alpha - feet) / depth)
    return out
