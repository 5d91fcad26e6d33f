"""Counters a world keeps each step, for measurements to read by name.

Every counter is a :class:`collections.Counter`, so an event that never happened reads 0:

- ``contacts[(agent_tag, other_tag)]`` — contacts begun between one of the agent's shapes
  (the chassis is tagged ``"agent"``, a tool ``"tool"``) and a tagged shape;
- ``entries[(region, tag)]`` — times a thing with that tag began touching the named region;
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

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Events"]


@dataclass
class Events:
    """The event counters of one world (see the module docstring)."""

    contacts: Counter[tuple[str, str]] = field(default_factory=Counter)
    entries: Counter[tuple[str, str]] = field(default_factory=Counter)
    captures: Counter[str] = field(default_factory=Counter)
    captured: Counter[str] = field(default_factory=Counter)
    pickups: Counter[str] = field(default_factory=Counter)
    inventory: Counter[str] = field(default_factory=Counter)
    eaten: Counter[str] = field(default_factory=Counter)
    nutrients: Counter[str] = field(default_factory=Counter)
    unlocked: Counter[str] = field(default_factory=Counter)

    def contact(self, a: str, b: str) -> int:
        """Contacts begun between tags ``a`` and ``b``, in either order."""
        if a == b:
            return self.contacts[(a, b)]
        return self.contacts[(a, b)] + self.contacts[(b, a)]

    def to_dict(self) -> dict[str, Any]:
        """Every counter as plain data (pairs joined as ``"a|b"``), for logs and discovery."""
        def plain(counter: Counter) -> dict[str, int]:
            return {"|".join(k) if isinstance(k, tuple) else k: v for k, v in sorted(counter.items())}

        return {name: plain(getattr(self, name)) for name in self.__dataclass_fields__}
