"""How an entity looks: a named colour and a shape name, shown by pictures and observations.

Colours come from one palette, :data:`COLOURS`, so a colour is a name a scenario can reason
about ("the gem is yellow"), and an observation can encode it (:meth:`Appearance.rgb`).

Examples
--------
>>> Appearance("yellow", "star").rgb
(0.95, 0.8, 0.15)
>>> Appearance("yelow")
Traceback (most recent call last):
...
sandbox.errors.SpecError: Unknown colour 'yelow'; did you mean 'yellow'? Known colours: ...
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sandbox.errors import SpecError

__all__ = ["Appearance", "COLOURS"]

COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (30, 30, 30),
    "charcoal": (60, 60, 60),
    "slate": (70, 70, 80),
    "grey": (150, 150, 150),
    "silver": (200, 200, 205),
    "white": (250, 250, 250),
    "pale": (215, 225, 235),
    "brown": (120, 110, 100),
    "umber": (90, 50, 30),
    "tan": (196, 160, 100),
    "red": (200, 40, 40),
    "orange": (240, 140, 30),
    "yellow": (242, 204, 38),
    "gold": (237, 180, 40),
    "green": (60, 170, 70),
    "teal": (30, 150, 150),
    "blue": (52, 101, 164),
    "purple": (130, 70, 170),
    "pink": (235, 130, 180),
}
"""The palette: colour name -> RGB [0-255]."""


@dataclass(frozen=True)
class Appearance:
    """A colour from :data:`COLOURS` and a shape name (``"gem"``, ``"star"``, ``"key"``...).

    The shape name is a label for observations and legends; the physics shape is the body's own.
    """

    colour: str = "grey"
    shape: str = ""

    def __post_init__(self) -> None:
        if self.colour not in COLOURS:
            close = difflib.get_close_matches(str(self.colour), COLOURS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SpecError(f"Unknown colour {self.colour!r}; {hint}Known colours: {', '.join(COLOURS)}.")
        if not isinstance(self.shape, str):
            raise SpecError(f"Appearance shape must be a name (a string), got {self.shape!r}.")

    @property
    def rgb(self) -> tuple[float, float, float]:
        """The colour as three fractions in [0, 1]."""
        r, g, b = COLOURS[self.colour]
        return (round(r / 255, 2), round(g / 255, 2), round(b / 255, 2))
