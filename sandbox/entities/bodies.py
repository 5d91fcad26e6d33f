"""Bodies: solid things with a shape, and the interactive ones built on them.

- :class:`Body` — a circle, box, polygon or segment; static, dynamic or kinematic.
- :class:`Pickup` — collected into the agent's inventory when the agent touches it (a key, a coin).
- :class:`Consumable` — eaten when the agent touches it, adding its named nutrients (food).
- :class:`Lock` — a chest or door that uses up one inventory item of a tag when touched, and opens.

Units: metres [m], radians [rad], kilograms [kg], metres per second [m/s].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pymunk

from sandbox.entities.base import Entity, finite_pair, register_kind
from sandbox.errors import SpecError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["Body", "Pickup", "Consumable", "Lock", "SHAPES", "MOTIONS"]

SHAPES = ("circle", "box", "polygon", "segment")
"""Physics shapes a body can have."""
MOTIONS = ("static", "dynamic", "kinematic")
"""How a body moves: never, under forces, or at its set velocity."""


@register_kind
@dataclass(frozen=True, kw_only=True)
class Body(Entity):
    """A physical thing in the scene.

    ``shape`` picks which size fields count: ``radius`` for a circle; ``size`` (width, height)
    for a box; ``vertices`` (in the body's own frame, around its position) for a polygon (its
    convex hull) or a segment (two end points, ``radius`` thick on each side).
    """

    kind: ClassVar[str] = "body"
    role: ClassVar[str] = "solid"
    """What touching it does (``solid``: nothing but physics); read by the world's event counters."""
    x: float
    y: float
    angle: float = 0.0
    """Initial orientation [rad]."""
    shape: str = "circle"
    radius: float = 0.08
    """Circle radius, or a segment's half thickness [m]."""
    size: tuple[float, float] = (0.2, 0.2)
    """Box width and height [m]."""
    vertices: tuple[tuple[float, float], ...] = ()
    """Polygon corners or segment end points in the body's frame [m]."""
    motion: str = "dynamic"
    mass: float = 0.05
    """Mass of a dynamic body [kg]."""
    friction: float = 0.5
    elasticity: float = 0.0
    sensor: bool = False
    """A sensor is touched (events count it) but never pushes back."""
    velocity: tuple[float, float] = (0.0, 0.0)
    """Initial velocity [m/s] (a kinematic body keeps it)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        if self.shape not in SHAPES:
            raise SpecError(f"{name}.shape {self.shape!r} is not one of {SHAPES}.")
        if self.motion not in MOTIONS:
            raise SpecError(f"{name}.motion {self.motion!r} is not one of {MOTIONS}.")
        if self.radius <= 0 and self.shape in ("circle", "segment"):
            raise SpecError(f"{name}.radius must be > 0, got {self.radius}.")
        if self.shape == "box":
            object.__setattr__(self, "size", finite_pair(name, "size", self.size, "(width, height)"))
        if self.shape == "box" and not (len(self.size) == 2 and min(self.size) > 0):
            raise SpecError(f"{name}.size must be (width, height) > 0, got {self.size}.")
        needed = {"polygon": 3, "segment": 2}.get(self.shape, 0)
        if needed and (len(self.vertices) < needed or any(len(v) != 2 for v in self.vertices)):
            raise SpecError(f"A {self.shape} {name} needs at least {needed} (x, y) vertices, got {self.vertices}.")
        if self.shape == "segment" and len(self.vertices) != 2:
            raise SpecError(f"A segment {name} needs exactly 2 end points, got {len(self.vertices)}.")
        if needed:
            object.__setattr__(self, "vertices", tuple(finite_pair(name, "vertices", v, "(x, y) points") for v in self.vertices))
        if self.velocity != (0.0, 0.0):
            object.__setattr__(self, "velocity", finite_pair(name, "velocity", self.velocity, "(vx, vy)"))
        if self.mass <= 0 or self.friction < 0 or self.elasticity < 0:
            raise SpecError(f"{name} needs mass > 0, friction >= 0 and elasticity >= 0.")

    @property
    def position(self) -> tuple[float, float]:
        """Initial centre [m]."""
        return (self.x, self.y)

    @property
    def extent(self) -> float:
        """Radius of a circle around the position that holds the whole shape [m]."""
        if self.shape == "circle":
            return self.radius
        if self.shape == "box":
            return math.hypot(*self.size) / 2
        return max(math.hypot(*v) for v in self.vertices) + (self.radius if self.shape == "segment" else 0.0)

    def outline(self) -> tuple[tuple[float, float], ...]:
        """The shape's corners in the body's frame [m] (a box's four; none for a circle)."""
        if self.shape == "box":
            w, h = self.size[0] / 2, self.size[1] / 2
            return ((-w, -h), (w, -h), (w, h), (-w, h))
        return self.vertices if self.shape != "circle" else ()

    def make_shape(self, body: pymunk.Body, transform: pymunk.Transform | None = None) -> pymunk.Shape:
        """The pymunk shape on ``body`` (a static one is placed by ``transform``)."""
        t = transform or pymunk.Transform.identity()
        if self.shape == "circle":
            return pymunk.Circle(body, self.radius, (t.tx, t.ty))
        if self.shape == "segment":
            a, b = (t @ pymunk.Vec2d(*v) for v in self.vertices)
            return pymunk.Segment(body, a, b, self.radius)
        return pymunk.Poly(body, self.outline(), transform=t)

    def build(self, world: World, index: int) -> None:
        """Add the body and its shape to the world."""
        if self.motion == "static":
            # fixed bodies hang on the space's static body, placed where they stand
            body = world.space.static_body
            place = pymunk.Transform.translation(self.x, self.y) @ pymunk.Transform.rotation(self.angle)
            shape = self.make_shape(body, place)
        else:
            body = pymunk.Body(body_type=pymunk.Body.DYNAMIC if self.motion == "dynamic" else pymunk.Body.KINEMATIC)
            body.position = (self.x, self.y)
            if self.angle:  # pymunk's property setters cost a microsecond each: set only what differs
                body.angle = self.angle
            if self.velocity != (0.0, 0.0):
                body.velocity = self.velocity
            shape = self.make_shape(body)
            if self.motion == "dynamic":
                shape.mass = self.mass
        shape.friction = self.friction
        if self.elasticity:
            shape.elasticity = self.elasticity
        if self.sensor:
            shape.sensor = True
        world.attach(index, body, shape, role=self.role)


@register_kind
@dataclass(frozen=True, kw_only=True)
class Pickup(Body):
    """Collected into the agent's inventory when the agent touches it.

    ``item`` is the inventory name it adds one of (its first tag when not given).
    """

    kind: ClassVar[str] = "pickup"
    role: ClassVar[str] = "pickup"
    item: str = ""
    motion: str = "static"
    sensor: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.item:
            if not self.tags:
                raise SpecError("A Pickup needs an item name (item='key') or a tag to take it from.")
            object.__setattr__(self, "item", self.tags[0])


@register_kind
@dataclass(frozen=True, kw_only=True)
class Consumable(Body):
    """Eaten when the agent touches it: it leaves the scene and adds its nutrients.

    ``nutrients`` are ``(name, amount)`` pairs, e.g. ``(("sweetness", 1.0), ("calories", 0.0))``.
    """

    kind: ClassVar[str] = "consumable"
    role: ClassVar[str] = "consumable"
    nutrients: tuple[tuple[str, float], ...] = ()
    motion: str = "static"
    sensor: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        names = [n for n, _ in self.nutrients] if all(len(p) == 2 for p in self.nutrients) else None
        if names is None or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
            raise SpecError(f"Consumable nutrients must be (name, amount) pairs with distinct names, got {self.nutrients}.")
        amounts = [a for _, a in self.nutrients]
        if not all(isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) for a in amounts):
            raise SpecError(f"Consumable nutrient amounts must be finite numbers, got {self.nutrients}.")
        object.__setattr__(self, "nutrients", tuple((n, float(a)) for n, a in self.nutrients))


@register_kind
@dataclass(frozen=True, kw_only=True)
class Lock(Body):
    """A chest or a door: touched by the agent holding an item ``needs``, it uses one up and opens
    (it leaves the scene, and the world counts it as unlocked). Without the item it is solid."""

    kind: ClassVar[str] = "lock"
    role: ClassVar[str] = "lock"
    needs: str
    """The inventory item that opens it (e.g. ``"key"``)."""
    motion: str = "static"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.needs:
            raise SpecError("A Lock needs the name of the item that opens it (needs='key').")
