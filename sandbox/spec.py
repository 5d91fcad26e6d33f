"""Scene specs: plain, frozen, JSON-serialisable descriptions of a 2D scene.

A :class:`SceneSpec` is the only thing a :class:`~sandbox.world.World` is built from.
A counterfactual scene is a modified spec; a live ``pymunk.Space`` is never copied.

Units: lengths in metres [m], angles in radians [rad], accelerations in [m/s²].

Examples
--------
>>> from sandbox.bodies import Driver
>>> spec = SceneSpec(width=6.0, height=5.0, entities=(Driver(x=1.0, y=1.0),))
>>> SceneSpec.from_json(spec.to_json()) == spec
True
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from sandbox.bodies.base import AgentBody
from sandbox.entities import Consumable, Entity, Lock, Pickup, Region, entity_from_dict
from sandbox.entities.base import normalise_fields
from sandbox.errors import GeometryError, SpecError
from sandbox.geometry import MAX_ENTITIES, check_geometry, geometry_problems, too_many

__all__ = ["SceneSpec"]

_KEYS = ("width", "height", "entities", "factors", "physics_hz", "control_hz", "gravity", "damping")


@dataclass(frozen=True, kw_only=True)
class SceneSpec:
    """Everything needed to build a world: the floor size, the entities, physics settings, and
    the factor values that produced it.

    ``factors`` records the values of the scene generator's factors (for reports and
    counterfactual bookkeeping); the world itself is built from the rest. A scenario's
    framework stamps the factors and the rates onto every spec its recipe returns.
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
    gravity: tuple[float, float] = (0.0, 0.0)
    """Gravity [m/s²]: none for a top-down floor, ``(0, -9.8)`` for a side view."""
    damping: float = 0.05
    """Fraction of a free body's velocity left after one second (floor friction; 1 for none)."""

    def __post_init__(self) -> None:
        if not isinstance(self.entities, (list, tuple)):
            raise SpecError(f"SceneSpec.entities must be a list of entities, got {type(self.entities).__name__}.")
        if len(self.entities) > MAX_ENTITIES:
            raise GeometryError(too_many(len(self.entities)))
        object.__setattr__(self, "entities", tuple(self.entities))
        # canonical (sorted) order, so that the JSON round trip (sorted keys) gives an equal spec
        object.__setattr__(self, "factors", tuple(sorted(((str(k), v) for k, v in self.factors), key=lambda kv: kv[0])))
        normalise_fields(self)
        if not all(isinstance(g, numbers.Real) and not isinstance(g, bool) for g in self.gravity):
            raise SpecError(f"SceneSpec.gravity must be 2 finite numbers (x, y) [m/s²], got {self.gravity}.")
        object.__setattr__(self, "gravity", tuple(float(g) for g in self.gravity))
        if self.width <= 0 or self.height <= 0:
            raise SpecError(f"Scene size must be positive, got {self.width} x {self.height}.")
        if len(self.gravity) != 2 or not all(math.isfinite(g) for g in self.gravity):
            raise SpecError(f"SceneSpec.gravity must be 2 finite numbers (x, y) [m/s²], got {self.gravity}.")
        if not 0 < self.damping <= 1:
            raise SpecError(f"SceneSpec.damping must be in (0, 1] (1: no damping), got {self.damping}.")
        for entity in self.entities:
            if not isinstance(entity, Entity):
                raise SpecError(f"{entity!r} is not a sandbox entity; build scenes from Body, Wall, Region, Driver, ...")
        agents = [e for e in self.entities if isinstance(e, AgentBody)]
        if len(agents) > 1:
            raise SpecError(f"A scene has at most one agent body, got {len(agents)}; remove the extras.")
        if not agents:
            touched = sorted({type(e).__name__ for e in self.entities if isinstance(e, (Pickup, Consumable, Lock))})
            if touched:
                raise SpecError(
                    f"The scene has {', '.join(touched)} entities but no agent body to touch them; add a Driver or a "
                    "Platformer to its entities."
                )
        ratio = self.physics_hz / self.control_hz if self.control_hz > 0 else 0.0
        if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
            raise SpecError(f"physics_hz ({self.physics_hz}) must be a whole multiple of control_hz ({self.control_hz}).")
        names = [e.name for e in self.entities if isinstance(e, Region)]
        if len(names) != len(set(names)):
            raise SpecError(f"Region names must be unique, got {names}.")

    def check_geometry(self) -> None:
        """Raise :class:`~sandbox.errors.GeometryError` if the layout cannot be simulated as meant: an
        entity outside the floor, moving solid bodies starting inside other solid shapes, too many
        entities (see :mod:`sandbox.geometry`). Cheap to call again on a spec that passed."""
        check_geometry(self)

    def geometry_problems(self) -> list[str]:
        """The layout problems :meth:`check_geometry` would name, one sentence each (empty: none)."""
        return geometry_problems(self)

    @property
    def substeps(self) -> int:
        """Physics substeps per agent step."""
        return round(self.physics_hz / self.control_hz)

    @property
    def agent(self) -> AgentBody | None:
        """The scene's agent body, or None if it has none."""
        return next((e for e in self.entities if isinstance(e, AgentBody)), None)

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

    def tagged(self, tag: str) -> tuple[Entity, ...]:
        """All entities with ``tag``, in spec order."""
        return tuple(e for e in self.entities if tag in e.tags)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (see :meth:`from_dict`)."""
        return {
            "width": self.width,
            "height": self.height,
            "physics_hz": self.physics_hz,
            "control_hz": self.control_hz,
            "gravity": list(self.gravity),
            "damping": self.damping,
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
        unknown = set(data) - set(_KEYS)
        if unknown:
            raise SpecError(f"Scene spec has unknown key(s) {sorted(unknown)}; known keys: {list(_KEYS)}.")
        if not isinstance(data["entities"], list) or not isinstance(data.get("factors", {}), dict):
            raise SpecError("Scene spec 'entities' must be a list and 'factors' an object.")
        fields = {k: data[k] for k in _KEYS if k in data and k not in ("entities", "factors")}
        return cls(
            **fields,
            factors=tuple(data.get("factors", {}).items()),
            entities=tuple(entity_from_dict(e) for e in data["entities"]),
        )

    @classmethod
    def from_json(cls, text: str) -> SceneSpec:
        """Parse JSON text written by :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"Scene spec is not valid JSON ({exc}).") from None
        return cls.from_dict(data)
