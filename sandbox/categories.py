"""Collision categories of a world's shapes, and the query filter that reads only solid ones.

The world puts sensors (regions, pickups, consumables) and the agent's own shapes in the one
category :data:`PASSED`. Every shape keeps pymunk's default mask (all categories), so collisions
are exactly those of pymunk's default filter. A space query with :data:`SOLIDS` passes through
these shapes inside chipmunk, where filtering a query's hits in Python costs a callback and a
result object per shape hit.

Examples
--------
>>> from sandbox import Driver, Pickup, SceneSpec, Wall, World
>>> world = World(SceneSpec(width=4.0, height=2.0, entities=(
...     Driver(x=1.0, y=1.0), Pickup(x=2.0, y=1.0, tags=("coin",)), *Wall.around(4.0, 2.0))))
>>> [type(hit.shape).__name__ for hit in world.space.segment_query((0.5, 1.0), (4.5, 1.0), 0.0, SOLIDS)]
['Segment']
"""

from __future__ import annotations

import pymunk

__all__ = ["PASSED", "PASSED_FILTER", "SOLIDS"]

PASSED = 1 << 31
"""The collision category of sensors and of the agent's shapes."""
SOLIDS = pymunk.ShapeFilter(mask=pymunk.ShapeFilter.ALL_MASKS() ^ PASSED)
"""A query filter that sees every solid shape but the agent's own."""
PASSED_FILTER = pymunk.ShapeFilter(categories=PASSED)
"""The filter the world gives sensors and the agent's shapes."""
