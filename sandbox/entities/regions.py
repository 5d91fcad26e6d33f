"""Regions: areas of floor that are drawn and detected, never solid.

A region counts the tagged things that enter it (``world.events.entries``), unless it only marks an
area (``detects=False``). With
``captures=True`` it also takes every dynamic body that touches it off the floor (it falls into
a bin or a hole), optionally only bodies with one of the tags in ``only``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pymunk

from sandbox.appearance import Appearance
from sandbox.entities.base import Entity, finite_pair, register_kind
from sandbox.errors import SpecError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["Region"]


@register_kind
@dataclass(frozen=True, kw_only=True)
class Region(Entity):
    """A named area: a box (``x0, y0, x1, y1``), a circle (:meth:`circle`) or a convex polygon
    (:meth:`polygon`).

    Examples
    --------
    >>> Region(name="goal", x0=0, y0=0, x1=2, y1=1).contains(1.5, 0.5)
    True
    >>> Region.circle("pool", 0.0, 0.0, 1.0).contains(0.8, 0.8)
    False
    """

    kind: ClassVar[str] = "region"
    name: str
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0
    shape: str = "box"
    """``box`` (the corners above), ``circle`` (centred in the box, which must be square) or ``polygon``."""
    vertices: tuple[tuple[float, float], ...] = ()
    """A polygon's corners [m] in order; the box is then their bounds (:meth:`polygon` fills it)."""
    captures: bool = True
    only: tuple[str, ...] = ()
    """Tags of the bodies it captures (empty: any dynamic body but the agent)."""
    detects: bool = True
    """Whether the world detects what touches it (entries, captures). A region that only marks an
    area (drawn, and tested with :meth:`contains`) sets False and costs nothing per step: a sensor
    overlapping the agent costs several microseconds a step."""
    appearance: Appearance = Appearance("silver")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.x0 < self.x1 and self.y0 < self.y1):
            raise SpecError(f"Region {self.name!r} needs x0 < x1 and y0 < y1.")
        if self.shape not in ("box", "circle", "polygon"):
            raise SpecError(f"Region {self.name!r}: shape {self.shape!r} is not 'box', 'circle' or 'polygon'.")
        if self.shape == "circle" and not math.isclose(self.x1 - self.x0, self.y1 - self.y0):
            raise SpecError(f"Region {self.name!r}: a circle's box must be square; use Region.circle(name, x, y, r).")
        if self.captures and not self.detects:
            raise SpecError(f"Region {self.name!r} captures but does not detect; a capturing region must detect (detects=True).")
        if self.shape == "polygon":
            owner = f"Region {self.name!r}"
            object.__setattr__(self, "vertices", tuple(finite_pair(owner, "vertices", v, "(x, y) points") for v in self.vertices))
            if len(self.vertices) < 3:
                raise SpecError(f"Region {self.name!r}: a polygon needs at least 3 vertices; use Region.polygon.")
            xs, ys = zip(*self.vertices)
            if not all(math.isclose(a, b) for a, b in zip((min(xs), min(ys), max(xs), max(ys)), self.bounds)):
                raise SpecError(f"Region {self.name!r}: the box must be the polygon's bounds; use Region.polygon.")

    @classmethod
    def circle(cls, name: str, x: float, y: float, radius: float, **kwargs) -> Region:
        """A round region of ``radius`` [m] centred on ``(x, y)``."""
        return cls(name=name, x0=x - radius, y0=y - radius, x1=x + radius, y1=y + radius, shape="circle", **kwargs)

    @classmethod
    def polygon(cls, name: str, vertices, **kwargs) -> Region:
        """A convex polygonal region with the given corners [m]."""
        xs, ys = zip(*vertices)
        return cls(name=name, x0=min(xs), y0=min(ys), x1=max(xs), y1=max(ys), shape="polygon",
                   vertices=tuple(map(tuple, vertices)), **kwargs)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` [m]."""
        return (self.x0, self.y0, self.x1, self.y1)

    @functools.cached_property
    def centre(self) -> tuple[float, float]:
        """Centre of the region's box [m] (observations read it every step: computed once)."""
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    @property
    def position(self) -> tuple[float, float]:
        """The centre [m]."""
        return self.centre

    def contains(self, x: float, y: float) -> bool:
        """Whether the point lies inside the region."""
        if not (self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1):
            return False
        if self.shape == "circle":
            cx, cy = self.centre
            return math.hypot(x - cx, y - cy) <= (self.x1 - self.x0) / 2
        if self.shape == "polygon":
            inside, points = False, self.vertices
            for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1]):
                if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
                    inside = not inside
            return inside
        return True

    def build(self, world: World, index: int) -> None:
        """A sensor on the static body, so that entries (and captures) are detected (none if it does not detect)."""
        if not self.detects:
            return
        body = world.space.static_body
        if self.shape == "circle":
            shape = pymunk.Circle(body, (self.x1 - self.x0) / 2, self.centre)
        elif self.shape == "polygon":
            shape = pymunk.Poly(body, self.vertices)
        else:
            shape = pymunk.Poly.create_box_bb(body, pymunk.BB(*self.bounds))
        shape.sensor = True
        world.attach(index, body, shape, role="region")
