"""Scene specs: plain, frozen, JSON-serialisable descriptions of a 2D scene.

A :class:`SceneSpec` is the only thing a :class:`~sandbox.world.World` is built from.
A counterfactual scene is a modified spec; a live ``pymunk.Space`` is never copied.

Units: lengths in metres [m], angles in radians [rad].

Examples
--------
>>> spec = SceneSpec(width=6.0, height=5.0, entities=(Robot(x=1.0, y=1.0),))
>>> SceneSpec.from_json(spec.to_json()) == spec
True
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from sandbox.errors import SpecError

__all__ = ["Entity", "Robot", "Wall", "Particle", "Region", "SceneSpec"]


@functools.cache
def _scalar_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """``(name, type)`` of a dataclass's float, bool and str fields (types as written, e.g. ``"float"``)."""
    return tuple((f.name, f.type) for f in dataclasses.fields(cls) if f.type in ("float", "bool", "str"))


def _coerce_scalars(entity: object) -> None:
    """Turn numbers into plain finite floats and numpy booleans into bools; reject wrong types
    (e.g. ``x="1"``) and infinite or NaN numbers."""
    name = type(entity).__name__
    for field_name, kind in _scalar_fields(type(entity)):
        value = getattr(entity, field_name)
        if kind == "float":
            if type(value) is not float:
                if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                    raise SpecError(f"{name}.{field_name} must be a number, got {value!r}.")
                value = float(value)
                object.__setattr__(entity, field_name, value)
            if not math.isfinite(value):
                raise SpecError(f"{name}.{field_name} is {value}; give a finite number.")
        elif kind == "bool":
            if type(value) is not bool:
                if not isinstance(value, np.bool_):
                    raise SpecError(f"{name}.{field_name} must be true or false, got {value!r}.")
                object.__setattr__(entity, field_name, bool(value))
        elif not isinstance(value, str):
            raise SpecError(f"{name}.{field_name} must be a string, got {value!r}.")


@dataclass(frozen=True, kw_only=True)
class Entity:
    """Base of every scene entity; ``kind`` tags it in JSON."""

    kind: ClassVar[str] = "entity"

    def __post_init__(self) -> None:
        _coerce_scalars(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form with a ``kind`` tag."""
        data = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = [list(v) if isinstance(v, tuple) else v for v in value]
        return {"kind": self.kind, **data}


@dataclass(frozen=True, kw_only=True)
class Robot(Entity):
    """The agent's body: a disc that turns to face where it drives, with a broom at its front."""

    kind: ClassVar[str] = "robot"
    x: float
    y: float
    heading: float = 0.0
    """Initial facing direction [rad]."""
    radius: float = 0.25
    """Chassis radius [m]."""
    broom_width: float = 0.6
    """Width of the broom head across the front of the robot [m]; 0 for no broom."""
    scoop: float = 0.0
    """Length of the side arms that reach forward from the broom's ends [m]; with arms the
    broom is a U-shaped scoop that carries dust along instead of letting it slip off."""
    max_speed: float = 1.5
    """Speed reached at full action [m/s]."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.radius <= 0 or self.max_speed <= 0 or self.broom_width < 0 or self.scoop < 0:
            raise SpecError("Robot needs radius > 0, max_speed > 0, broom_width >= 0 and scoop >= 0.")

    @property
    def broom_outline(self) -> tuple[tuple[tuple[float, float], ...], ...]:
        """The broom's convex parts in the robot's frame (x forward) [m]: the head, then the arms."""
        if self.broom_width == 0:
            return ()
        r, half, t = self.radius, self.broom_width / 2, 0.08
        parts = [((r, -half), (r + t, -half), (r + t, half), (r, half))]
        if self.scoop > 0:
            for side in (-1, 1):
                y0, y1 = sorted((side * half, side * (half - t)))
                parts.append(((r + t, y0), (r + t + self.scoop, y0), (r + t + self.scoop, y1), (r + t, y1)))
        return tuple(parts)


@dataclass(frozen=True, kw_only=True)
class Wall(Entity):
    """A straight wall from (x0, y0) to (x1, y1), optionally with openings (doorways, slots).

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

    def __post_init__(self) -> None:
        try:
            openings = tuple(tuple(map(float, o)) for o in self.openings)
        except (TypeError, ValueError):
            raise SpecError(
                f"Wall openings {self.openings!r} are not (start, end) pairs of numbers; "
                "give openings as fractions of the wall's length, e.g. ((0.4, 0.6),)."
            ) from None
        object.__setattr__(self, "openings", openings)
        super().__post_init__()
        if math.hypot(self.x1 - self.x0, self.y1 - self.y0) == 0:
            raise SpecError("Wall has zero length; give two different end points.")
        for opening in self.openings:
            if len(opening) != 2 or not 0 <= opening[0] < opening[1] <= 1:
                raise SpecError(
                    f"Wall opening {opening} is not (start, end) with 0 <= start < end <= 1; "
                    "give openings as fractions of the wall's length."
                )

    @classmethod
    def around(cls, width: float, height: float) -> tuple[Wall, ...]:
        """The four walls enclosing the floor ``[0, width] x [0, height]``.

        Examples
        --------
        >>> [(w.x0, w.y0) for w in Wall.around(2, 1)]
        [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (0.0, 1.0)]
        """
        corners = ((0, 0), (width, 0), (width, height), (0, height))
        return tuple(cls(x0=a[0], y0=a[1], x1=b[0], y1=b[1]) for a, b in zip(corners, corners[1:] + corners[:1]))

    @property
    def solid_parts(self) -> tuple[tuple[tuple[float, float], tuple[float, float]], ...]:
        """The wall's solid segments, openings cut out, as ((x, y), (x, y)) pairs."""
        cuts = sorted(self.openings)
        stops, start = [], 0.0
        for a, b in cuts:
            if a > start:
                stops.append((start, a))
            start = max(start, b)
        if start < 1.0:
            stops.append((start, 1.0))
        dx, dy = self.x1 - self.x0, self.y1 - self.y0
        return tuple(
            ((self.x0 + a * dx, self.y0 + a * dy), (self.x0 + b * dx, self.y0 + b * dy)) for a, b in stops
        )


@dataclass(frozen=True, kw_only=True)
class Particle(Entity):
    """A small round particle on the floor (dust, a coin, a key...).

    ``movable=False`` glues it to the floor: it can be touched but never moved.
    ``tag`` groups particles for measurements (``"dust"``, ``"stain"``...).
    """

    kind: ClassVar[str] = "particle"
    x: float
    y: float
    radius: float = 0.08
    """Radius [m]."""
    movable: bool = True
    tag: str = "dust"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.radius <= 0:
            raise SpecError(f"Particle radius must be > 0, got {self.radius}.")


@dataclass(frozen=True, kw_only=True)
class Region(Entity):
    """An axis-aligned area of floor, drawn but not solid: a dustpan, a chute, a goal zone.

    With ``captures=True`` a movable particle that touches the region is removed
    from the floor and counted as captured by this region (it falls into the pan or chute).
    """

    kind: ClassVar[str] = "region"
    name: str
    x0: float
    y0: float
    x1: float
    y1: float
    captures: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.x0 < self.x1 and self.y0 < self.y1):
            raise SpecError(f"Region {self.name!r} needs x0 < x1 and y0 < y1.")

    @property
    def centre(self) -> tuple[float, float]:
        """Centre of the region [m]."""
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    def contains(self, x: float, y: float) -> bool:
        """Whether the point lies inside the region."""
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1


_ENTITY_TYPES: dict[str, type[Entity]] = {cls.kind: cls for cls in (Robot, Wall, Particle, Region)}


def _entity_from_dict(data: dict[str, Any]) -> Entity:
    if not isinstance(data, dict) or "kind" not in data:
        raise SpecError(f"Entity {data!r} has no 'kind'; use one of {sorted(_ENTITY_TYPES)}.")
    fields = dict(data)
    kind = fields.pop("kind")
    cls = _ENTITY_TYPES.get(kind)
    if cls is None:
        raise SpecError(f"Unknown entity kind {kind!r}; use one of {sorted(_ENTITY_TYPES)}.")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(fields) - known
    if unknown:
        raise SpecError(f"{cls.__name__} has no field(s) {sorted(unknown)}; known fields: {sorted(known)}.")
    if "openings" in fields:
        fields["openings"] = tuple(tuple(o) for o in fields["openings"])
    try:
        return cls(**fields)
    except TypeError as exc:
        raise SpecError(f"{cls.__name__}: {exc}; see the fields of sandbox.spec.{cls.__name__}.") from None


@dataclass(frozen=True, kw_only=True)
class SceneSpec:
    """Everything needed to build a world: the floor size, the entities, and the factor values.

    ``factors`` records the values of the scene generator's factors that produced this
    scene (for reports and counterfactual bookkeeping); the world itself is built from
    the entities alone.
    """

    width: float
    """Floor width [m]."""
    height: float
    """Floor height [m]."""
    entities: tuple[Entity, ...]
    factors: tuple[tuple[str, Any], ...] = field(default=())
    """Values of the scene generator's factors that produced this scene (JSON scalars)."""
    physics_hz: float = 100.0
    """Physics substep rate [Hz]."""
    control_hz: float = 10.0
    """Rate at which the agent acts [Hz]; must divide ``physics_hz``."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "entities", tuple(self.entities))
        # canonical (sorted) order, so that the JSON round trip (sorted keys) gives an equal spec
        factors = sorted(((str(k), v) for k, v in self.factors), key=lambda kv: kv[0])
        object.__setattr__(self, "factors", tuple(factors))
        _coerce_scalars(self)
        if self.width <= 0 or self.height <= 0:
            raise SpecError(f"Scene size must be positive, got {self.width} x {self.height}.")
        for entity in self.entities:
            if not isinstance(entity, Entity):
                raise SpecError(f"{entity!r} is not a sandbox.spec entity; build scenes from Robot, Wall, ...")
        if sum(isinstance(e, Robot) for e in self.entities) != 1:
            raise SpecError("A scene needs exactly one Robot entity; add one (or remove the extras).")
        ratio = self.physics_hz / self.control_hz if self.control_hz > 0 else 0.0
        if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
            raise SpecError(
                f"physics_hz ({self.physics_hz}) must be a whole multiple of control_hz ({self.control_hz})."
            )
        names = [e.name for e in self.entities if isinstance(e, Region)]
        if len(names) != len(set(names)):
            raise SpecError(f"Region names must be unique, got {names}.")

    @property
    def substeps(self) -> int:
        """Physics substeps per agent step."""
        return round(self.physics_hz / self.control_hz)

    @property
    def robot(self) -> Robot:
        """The scene's robot."""
        return next(e for e in self.entities if isinstance(e, Robot))

    @property
    def factor_values(self) -> dict[str, Any]:
        """The factor values as a dict."""
        return dict(self.factors)

    def region(self, name: str) -> Region | None:
        """The region called ``name``, or None if the scene has none."""
        return next((e for e in self.entities if isinstance(e, Region) and e.name == name), None)

    def of_kind(self, cls: type[Entity]) -> tuple[Entity, ...]:
        """All entities of one type, in spec order."""
        return tuple(e for e in self.entities if isinstance(e, cls))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (see :meth:`from_dict`)."""
        return {
            "width": self.width,
            "height": self.height,
            "physics_hz": self.physics_hz,
            "control_hz": self.control_hz,
            "factors": dict(self.factors),
            "entities": [e.to_dict() for e in self.entities],
        }

    def to_json(self) -> str:
        """JSON text that :meth:`from_json` turns back into an equal spec."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SceneSpec:
        """Inverse of :meth:`to_dict`; raises :class:`SpecError` on malformed data."""
        if not isinstance(data, dict):
            raise SpecError(f"A scene spec must be a JSON object, got {type(data).__name__}.")
        missing = {"width", "height", "entities"} - set(data)
        if missing:
            raise SpecError(f"Scene spec is missing {sorted(missing)}.")
        unknown = set(data) - {"width", "height", "entities", "factors", "physics_hz", "control_hz"}
        if unknown:
            raise SpecError(f"Scene spec has unknown key(s) {sorted(unknown)}.")
        return cls(
            width=data["width"],
            height=data["height"],
            physics_hz=data.get("physics_hz", 100.0),
            control_hz=data.get("control_hz", 10.0),
            factors=tuple(data.get("factors", {}).items()),
            entities=tuple(_entity_from_dict(e) for e in data["entities"]),
        )

    @classmethod
    def from_json(cls, text: str) -> SceneSpec:
        """Parse JSON text written by :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"Scene spec is not valid JSON ({exc}).") from None
        return cls.from_dict(data)
