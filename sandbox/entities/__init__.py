"""Scene entities: an open set of frozen, JSON round-trippable kinds.

Built in: :class:`Body` (circle, box, polygon, segment; static, dynamic or kinematic),
:class:`Wall` (with openings), :class:`Region` (box, circle, polygon; capturing or detecting),
:class:`Pickup`, :class:`Consumable` and :class:`Lock`. Agent bodies live in
:mod:`sandbox.bodies`. A scenario registers a kind of its own with :func:`register_kind`.
"""

from sandbox.entities.base import Entity, entity_from_dict, entity_kinds, register_kind
from sandbox.entities.bodies import MOTIONS, SHAPES, Body, Consumable, Lock, Pickup
from sandbox.entities.regions import Region
from sandbox.entities.walls import Wall

__all__ = [
    "Body",
    "Consumable",
    "Entity",
    "Lock",
    "MOTIONS",
    "Pickup",
    "Region",
    "SHAPES",
    "Wall",
    "entity_from_dict",
    "entity_kinds",
    "register_kind",
]
