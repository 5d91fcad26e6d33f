"""The grid walker: a top-down disc that moves one cell per action, as in a grid world.

Mazes are hard for a learner with a continuous driver: it must centre itself in a corridor
before it can turn. The walker instead steps exactly ``step`` metres east, north, west or south
per action, unless a solid shape (a wall, a body) lies in the way, which it finds with a pymunk
segment query as thick as the walker; blocked, it stays. It is a dynamic body set in place each
step (a kinematic one would never touch static sensors), so regions still see it enter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pymunk

from sandbox.bodies.base import AgentBody, AgentControl
from sandbox.categories import SOLIDS
from sandbox.entities.base import register_kind
from sandbox.errors import SpecError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["GridWalker"]


@register_kind
@dataclass(frozen=True, kw_only=True)
class GridWalker(AgentBody):
    """A disc that steps ``step`` metres per action. Box action ``(east, north)``: the larger
    component (by magnitude, above 0.5) picks the direction; ``COMPASS`` gives a Discrete set."""

    kind: ClassVar[str] = "walker"
    controls: ClassVar[tuple[str, ...]] = ("east", "north")
    radius: float = 0.25
    """Disc radius [m]; the segment query that checks the way is this thick."""
    step: float = 1.0
    """Distance of one move [m] (a maze's cell side)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.radius > 0 and self.step > 0):
            raise SpecError(f"GridWalker needs radius > 0 and step > 0 [m]; got radius {self.radius}, step {self.step}.")

    def control(self, world: World) -> WalkerControl:
        """Add the disc (no rotation, no gravity felt: it is placed each step) and return the controller."""
        body = pymunk.Body(1.0, math.inf)
        body.position = (self.x, self.y)
        body.velocity_func = _still
        shape = pymunk.Circle(body, self.radius)
        shape.friction = 0.0
        world.space.add(body, shape)
        world.attach_agent(shape, self.tags)
        return WalkerControl(self, body, world.space)


def _still(body: pymunk.Body, gravity: tuple[float, float], damping: float, dt: float) -> None:
    """Velocity function: the walker never drifts (no gravity, no pushes carry over)."""
    body.velocity = (0.0, 0.0)


class WalkerControl(AgentControl):
    """Moves the disc one step if the way is clear."""

    def __init__(self, spec: GridWalker, body: pymunk.Body, space: pymunk.Space) -> None:
        super().__init__(spec, body)
        self._space = space
        self.blocked = False
        """Whether the last move was stopped by something solid."""

    def apply(self, controls: tuple[float, ...]) -> None:
        east, north = controls
        if max(abs(east), abs(north)) <= 0.5:
            self.blocked = False
            return
        spec: GridWalker = self.spec  # type: ignore[assignment]
        dx, dy = (math.copysign(spec.step, east), 0.0) if abs(east) >= abs(north) else (0.0, math.copysign(spec.step, north))
        x, y = self.body.position
        # sensors and the walker's own disc are passed through inside chipmunk (their collision category)
        self.blocked = bool(self._space.segment_query((x, y), (x + dx, y + dy), spec.radius * 0.9, SOLIDS))
        if not self.blocked:
            self.body.position = (x + dx, y + dy)
            self._space.reindex_shapes_for_body(self.body)

    @property
    def heading(self) -> float:
        """Always 0: the walker has no facing (observations stay in the world frame)."""
        return 0.0
