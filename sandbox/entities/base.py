"""The base of every scene entity, and the open registry of entity kinds.

An entity is plain, frozen, JSON-serialisable data. Its ``kind`` names it in JSON; its
:meth:`Entity.build` puts it into a live :class:`~sandbox.world.World`. A scenario can add a
kind of its own: subclass :class:`Entity` (or :class:`~sandbox.entities.Body`), give it a new
``kind``, decorate it with :func:`register_kind`, and implement ``build`` with the world's
public building API (:meth:`World.attach`).

Examples
--------
>>> from sandbox.entities import Body
>>> body = Body(x=1.0, y=2.0, tags=("ball",))
>>> entity_from_dict(body.to_dict()) == body
True
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import numbers
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sandbox.appearance import Appearance
from sandbox.errors import SpecError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["Entity", "register_kind", "entity_kinds", "entity_from_dict", "finite_pair"]

_KINDS: dict[str, type[Entity]] = {}


@functools.cache
def _field_kinds(cls: type) -> tuple[tuple[str, str], ...]:
    """``(name, annotation)`` of a dataclass's fields, annotations as written (``"float"``...), also
    for a kind declared in a module without ``from __future__ import annotations`` (types, not strings)."""
    return tuple(
        (f.name, f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type)))
        for f in dataclasses.fields(cls)
    )


_SEQUENCES = (list, tuple)


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def _tuples(value: Any) -> Any:
    """Lists (from JSON) to tuples, recursively; a tuple that holds no sequence is returned as it is."""
    if type(value) is tuple and not any(type(v) in _SEQUENCES for v in value):
        return value
    if isinstance(value, _SEQUENCES):
        return tuple(_tuples(v) for v in value)
    return value


def _check_scalar(owner: str, name: str, kind: str, value: Any) -> Any:
    """The value as a plain float, bool or str, or :class:`SpecError` for a wrong type or a non-finite number."""
    if kind == "float":
        if type(value) is not float:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                raise SpecError(f"{owner}.{name} must be a number, got {value!r}.")
            value = float(value)
        if not math.isfinite(value):
            raise SpecError(f"{owner}.{name} is {value}; give a finite number.")
    elif kind == "bool":
        if type(value) is not bool:
            if not isinstance(value, np.bool_):
                raise SpecError(f"{owner}.{name} must be true or false, got {value!r}.")
            value = bool(value)
    elif kind == "str" and not isinstance(value, str):
        raise SpecError(f"{owner}.{name} must be a string, got {value!r}.")
    return value


_PLAIN = {"float": float, "bool": bool, "str": str}


def finite_pair(owner: str, name: str, value: Any, what: str = "(x, y)") -> tuple[float, float]:
    """``value`` as two finite floats (an ``(x, y)`` point, a ``(width, height)`` size), or :class:`SpecError`."""
    if type(value) is tuple and len(value) == 2 and type(value[0]) is float and type(value[1]) is float:
        if value[0] - value[0] == 0.0 and value[1] - value[1] == 0.0:  # finite: the common case, fast
            return value
    ok = isinstance(value, (tuple, list)) and len(value) == 2 and all(
        isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and math.isfinite(v) for v in value
    )
    if not ok:
        raise SpecError(f"{owner}.{name} must be {what}: two finite numbers each, got {value!r}.")
    return (float(value[0]), float(value[1]))


def normalise_fields(obj: object) -> None:
    """Coerce a frozen dataclass's fields in place: scalars checked (finite floats, bools, strings),
    JSON lists turned into tuples, an :class:`Appearance` given as a dict built.

    Scenes are built at every reset, so the common case (the right types already) is kept cheap.
    """
    owner = type(obj).__name__
    for name, kind in _field_kinds(type(obj)):
        value = original = getattr(obj, name)
        plain = _PLAIN.get(kind)
        if plain is not None:
            if type(value) is plain and (plain is not float or value - value == 0.0):  # finite
                continue
            value = _check_scalar(owner, name, kind, value)
        elif kind.startswith("tuple"):
            if isinstance(value, (str, dict)) or not isinstance(value, _SEQUENCES):
                raise SpecError(f"{owner}.{name} must be a list, got {value!r}.")
            value = _tuples(value)
        elif kind == "Appearance" and isinstance(value, dict):
            try:
                value = Appearance(**value)
            except TypeError as exc:
                raise SpecError(f"{owner}.{name}: {exc}; an appearance has a 'colour' and a 'shape'.") from None
        if value is not original:
            object.__setattr__(obj, name, value)


def _check_tags(owner: str, tags: tuple[Any, ...]) -> None:
    if not all(isinstance(t, str) and t for t in tags):
        raise SpecError(f"{owner} tags must be non-empty strings, got {tags!r}.")
    duplicate = sorted({t for t in tags if tags.count(t) > 1})
    if duplicate:
        raise SpecError(f"{owner} has the tag(s) {duplicate} more than once; give each tag once.")


@dataclass(frozen=True, kw_only=True)
class Entity:
    """Base of every scene entity: tags to find it by, an appearance to draw it with.

    Subclasses set ``kind`` (its name in JSON) and implement :meth:`build`.
    """

    kind: ClassVar[str] = "entity"
    tags: tuple[str, ...] = ()
    """Names that measurements, observations and event counters find the entity by."""
    appearance: Appearance = field(default_factory=Appearance)

    def __post_init__(self) -> None:
        normalise_fields(self)
        _check_tags(type(self).__name__, self.tags)
        if not isinstance(self.appearance, Appearance):
            raise SpecError(f"{type(self).__name__}.appearance must be an Appearance, got {self.appearance!r}.")

    @property
    def position(self) -> tuple[float, float] | None:
        """Where the entity starts [m], or None for one without a single position (a wall)."""
        return None

    def at(self, x: float, y: float, **angle: float) -> Entity:
        """A copy of this entity placed at ``(x, y)`` [m] (and, given as ``angle=`` or ``heading=``,
        turned) [rad]: the way a recipe places a template. Only the new values are checked, so this
        is several times cheaper than ``dataclasses.replace``, which matters at every reset.

        >>> from sandbox.entities import Body
        >>> ball = Body(x=0.0, y=0.0, tags=("ball",))
        >>> ball.at(1.0, 2).position
        (1.0, 2.0)
        """
        names = _field_names(type(self))
        moved = {"x": x, "y": y, **angle}
        unknown = set(moved) - names
        if unknown or not {"x", "y"} <= names:
            raise SpecError(f"{type(self).__name__} cannot be placed with {sorted(moved)}; it has the fields {sorted(names)}.")
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for name, value in moved.items():
            new.__dict__[name] = _check_scalar(type(self).__name__, name, "float", value)
        return new

    def build(self, world: World, index: int) -> None:
        """Put the entity into a world being built (``index``: its place in the spec)."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to build itself; implement build().")

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form with a ``kind`` tag (tuples as lists)."""

        def plain(value: Any) -> Any:
            return [plain(v) for v in value] if isinstance(value, (tuple, list)) else value

        return {"kind": self.kind, **{k: plain(v) for k, v in dataclasses.asdict(self).items()}}


def _origin(cls: type) -> tuple[str, str]:
    """Where a class is defined: its source file (its module's name if it has none) and its name.

    The same file imported under two module names (installed, and loaded by path) defines the
    same kinds; two files that each define a ``Gem`` of kind ``"gem"`` do not.
    """
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    return (os.path.realpath(file) if file else cls.__module__, cls.__qualname__)


def register_kind(cls: type[Entity]) -> type[Entity]:
    """Class decorator: make an entity kind known to JSON loading (idempotent for the same class)."""
    if not (isinstance(cls, type) and issubclass(cls, Entity)) or cls.kind == "entity":
        raise SpecError(f"{cls!r} is not an Entity subclass with a kind of its own; set kind = '...'.")
    known = _KINDS.get(cls.kind)
    if known is not None and _origin(known) != _origin(cls):
        raise SpecError(
            f"Entity kind {cls.kind!r} is already registered by {known.__qualname__} ({_origin(known)[0]}); "
            "choose another name."
        )
    _KINDS[cls.kind] = cls
    return cls


def entity_kinds() -> dict[str, type[Entity]]:
    """Every registered entity kind by name."""
    return dict(_KINDS)


def entity_from_dict(data: Any) -> Entity:
    """Inverse of :meth:`Entity.to_dict`; :class:`SpecError` on malformed data."""
    if not isinstance(data, dict) or "kind" not in data:
        raise SpecError(f"Entity {data!r} has no 'kind'; use one of {sorted(_KINDS)}.")
    fields = dict(data)
    kind = fields.pop("kind")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        close = difflib.get_close_matches(str(kind), _KINDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SpecError(
            f"Unknown entity kind {kind!r}; {hint}known kinds: {sorted(_KINDS)} (a scenario's own kind must be "
            "registered with sandbox.register_kind before its scenes are loaded)."
        )
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(fields) - known
    if unknown:
        raise SpecError(f"{cls.__name__} has no field(s) {sorted(unknown)}; known fields: {sorted(known)}.")
    try:
        return cls(**fields)
    except TypeError as exc:
        raise SpecError(f"{cls.__name__}: {exc}; see the fields of {cls.__module__}.{cls.__name__}.") from None
