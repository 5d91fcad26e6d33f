"""Walls: straight, static segments, optionally with openings (doorways, slots)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pymunk

from sandbox.appearance import Appearance
from sandbox.entities.base import Entity, register_kind
from sandbox.errors import SpecError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["Wall"]


@register_kind
@dataclass(frozen=True, kw_only=True)
class Wall(Entity):
    """A straight wall from (x0, y0) to (x1, y1), optionally with openings.

    ``openings`` are ``(start, end)`` fractions of the wall's length in [0, 1], e.g.
    ``((0.4, 0.6),)`` leaves the middle fifth of the wall open.
    """

    kind: ClassVar[str] = "wall"
    x0: float
    y0: float
    x1: float
    y1: float
    thickness: float = 0.1
    """Wall thickness [m]."""
    openings: tuple[tuple[float, float], ...] = ()
    friction: float = 0.6
    tags: tuple[str, ...] = ("wall",)
    appearance: Appearance = Appearance("slate")

    def __post_init__(self) -> None:
        try:
            if not all(isinstance(o, (list, tuple)) for o in self.openings):
                raise TypeError
            object.__setattr__(self, "openings", tuple(tuple(map(float, o)) for o in self.openings))
        except (TypeError, ValueError):
            raise SpecError(
                f"Wall openings {self.openings!r} are not (start, end) pairs of numbers; "
                "give openings as fractions of the wall's length, e.g. ((0.4, 0.6),)."
            ) from None
        super().__post_init__()
        if math.hypot(self.x1 - self.x0, self.y1 - self.y0) == 0:
            raise SpecError("Wall has zero length; give two different end points.")
        if self.thickness <= 0:
            raise SpecError(f"Wall thickness must be > 0, got {self.thickness}.")
        for opening in self.openings:
            if len(opening) != 2 or not 0 <= opening[0] < opening[1] <= 1:
                raise SpecError(
                    f"Wall opening {opening} is not (start, end) with 0 <= start < end <= 1; "
                    "give openings as fractions of the wall's length."
                )

    @classmethod
    def around(cls, width: float, height: float, **kwargs) -> tuple[Wall, ...]:
        """The four walls enclosing the floor ``[0, width] x [0, height]``.

        Examples
        --------
        >>> [(w.x0, w.y0) for w in Wall.around(2, 1)]
        [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (0.0, 1.0)]
        """
        corners = ((0, 0), (width, 0), (width, height), (0, height))
        return tuple(
            cls(x0=a[0], y0=a[1], x1=b[0], y1=b[1], **kwargs) for a, b in zip(corners, corners[1:] + corners[:1])
        )

    @property
    def solid_parts(self) -> tuple[tuple[tuple[float, float], tuple[float, float]], ...]:
        """The wall's solid segments, openings cut out, as ((x, y), (x, y)) pairs."""
        stops, start = [], 0.0
        for a, b in sorted(self.openings):
            if a > start:
                stops.append((start, a))
            start = max(start, b)
        if start < 1.0:
            stops.append((start, 1.0))
        dx, dy = self.x1 - self.x0, self.y1 - self.y0
        return tuple(((self.x0 + a * dx, self.y0 + a * dy), (self.x0 + b * dx, self.y0 + b * dy)) for a, b in stops)

    def build(self, world: World, index: int) -> None:
        """One static segment per solid part."""
        static, radius = world.space.static_body, self.thickness / 2
        shapes = [pymunk.Segment(static, a, b, radius) for a, b in self.solid_parts]
        for shape in shapes:
            shape.friction = self.friction
        world.attach(index, static, *shapes, role="solid")
