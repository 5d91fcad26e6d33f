"""Counters a world keeps each step, for measurements to read by name.

Every counter is a :class:`Tally` (a ``defaultdict(int)``), so an event that never happened
reads 0 (and reading it costs no Python call, unlike ``Counter``'s, which matters every step):

- ``contacts[(agent_tag, other_tag)]`` — contacts begun between one of the agent's shapes
  (the chassis is tagged ``"agent"``, a tool ``"tool"``) and a tagged shape;
- ``entries[(region, tag)]`` — times a thing with that tag began touching the named region (the
  agent's body counts under its tags; its tool's shapes do not);
- ``captures[region]`` and ``captured[tag]`` — bodies a capturing region took off the floor;
- ``pickups[item]`` — items picked up; ``inventory[item]`` — items held now;
- ``eaten[tag]`` and ``nutrients[name]`` — consumables eaten, and their nutrients summed;
- ``unlocked[tag]`` — locks opened (each used up one item it ``needs``).

Examples
--------
>>> events = Events()
>>> events.contacts[("tool", "ball")] += 1
>>> events.contact("ball", "tool"), events.pickups["key"]
(1, 0)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Events", "Tally"]


class Tally(defaultdict):
    """Counts by key; a key never counted reads 0.

    >>> tally = Tally()
    >>> tally.add(("a", "b", "a"))
    >>> tally["a"], tally["z"]
    (2, 0)
    """

    def __init__(self) -> None:
        super().__init__(int)

    def add(self, keys: Iterable[Hashable]) -> None:
        """Count one of each key."""
        for key in keys:
            self[key] += 1

    def __repr__(self) -> str:
        return f"Tally({dict(self)!r})"


@dataclass
class Events:
    """The event counters of one world (see the module docstring)."""

    contacts: Tally = field(default_factory=Tally)
    entries: Tally = field(default_factory=Tally)
    captures: Tally = field(default_factory=Tally)
    captured: Tally = field(default_factory=Tally)
    pickups: Tally = field(default_factory=Tally)
    inventory: Tally = field(default_factory=Tally)
    eaten: Tally = field(default_factory=Tally)
    nutrients: Tally = field(default_factory=Tally)
    unlocked: Tally = field(default_factory=Tally)

    def contact(self, a: str, b: str) -> int:
        """Contacts begun between tags ``a`` and ``b``, in either order."""
        if a == b:
            return self.contacts[(a, b)]
        return self.contacts[(a, b)] + self.contacts[(b, a)]

    def to_dict(self) -> dict[str, Any]:
        """Every counter as plain data (pairs joined as ``"a|b"``), for logs and discovery."""
        def plain(tally: Tally) -> dict[str, Any]:
            return {"|".join(k) if isinstance(k, tuple) else k: v for k, v in sorted(tally.items()) if v}

        return {name: plain(getattr(self, name)) for name in self.__dataclass_fields__}
