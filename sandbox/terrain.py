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

import pymunk

from sandbox.errors import ObservationError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["ground_heights"]

_SOLIDS = pymunk.ShapeFilter()


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
    mine = agent.body.shapes
    x = agent.position[0]
    feet = min(shape.bb.bottom for shape in mine)
    top, bottom = feet + above, feet - depth
    query, out = world.space.segment_query, []
    for dx in offsets:
        hits = query((x + dx, top), (x + dx, bottom), 0.0, _SOLIDS)
        alpha = min((h.alpha for h in hits if not h.shape.sensor and h.shape not in mine), default=1.0)
        out.append((top + (bottom - top) * alpha - feet) / depth)
    return out
