"""The side-view platformer: a box that runs left or right and jumps when it stands on ground.

The scene needs gravity and no floor damping (``SceneSpec(gravity=(0, -9.8), damping=1.0)``):
under the top-down default, ``damping=0.05``, it runs at about three quarters of ``run_speed``
at 10 Hz control and falls far slower than gravity says. The body never rotates. It knows it
is on the ground from its contacts: one whose normal points up from below it, with a solid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pymunk
from pymunk._chipmunk import lib as _chipmunk

from sandbox.bodies.base import AgentBody, AgentControl
from sandbox.entities.base import register_kind
from sandbox.errors import SpecError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["Platformer", "RUN_AND_JUMP"]

_set_velocity = _chipmunk.cpBodySetVelocity

RUN_AND_JUMP = ((0.0, 0.0), (-1.0, 0.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 1.0), (1.0, 1.0))
"""Discrete commands: stand, left, right, jump, jump left, jump right."""


@register_kind
@dataclass(frozen=True, kw_only=True)
class Platformer(AgentBody):
    """A side-view runner. Box action ``(run, jump)``: run speed as a fraction of ``run_speed``
    (negative: left), and a jump when ``jump > 0`` and the body stands on ground."""

    kind: ClassVar[str] = "platformer"
    controls: ClassVar[tuple[str, ...]] = ("run", "jump")
    width: float = 0.5
    height: float = 0.7
    """Body size [m]."""
    run_speed: float = 3.0
    """Running speed at full action [m/s]."""
    jump_speed: float = 6.0
    """Upward speed a jump starts with [m/s]."""
    air_control: float = 0.3
    """Fraction of the way to the commanded run speed the body gets per step in the air."""
    mass: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if min(self.width, self.height, self.run_speed, self.jump_speed, self.mass) <= 0:
            raise SpecError("Platformer needs width, height, run_speed, jump_speed and mass > 0.")
        if not 0 <= self.air_control <= 1:
            raise SpecError(f"Platformer.air_control must be in [0, 1], got {self.air_control}.")

    def control(self, world: World) -> PlatformerControl:
        """Add the body (no rotation) and return the controller."""
        body = pymunk.Body(self.mass, math.inf)
        body.position = (self.x, self.y)
        shape = pymunk.Poly.create_box(body, (self.width, self.height), radius=0.02)
        shape.friction = 0.0
        world.space.add(body, shape)
        world.attach_agent(shape, self.tags)
        return PlatformerControl(self, body)


def _support(arbiter: pymunk.Arbiter, body: pymunk.Body, found: list[bool]) -> None:
    """``each_arbiter`` callback: a solid contact whose normal says the other shape is below."""
    a, b = arbiter.shapes
    if a.sensor or b.sensor:
        return
    normal = arbiter.normal if a.body is body else -arbiter.normal
    if normal.y < -0.6:
        found[0] = True


class PlatformerControl(AgentControl):
    """Sets the body's velocity each step: running, and jumping from the ground."""

    def __init__(self, spec: Platformer, body: pymunk.Body) -> None:
        super().__init__(spec, body)
        self.grounded = False
        """Whether the body stood on something solid after the last step."""
        self.facing = 1.0
        """+1 facing right, -1 facing left."""

    def apply(self, controls: tuple[float, ...]) -> None:
        run, jump = controls
        spec: Platformer = self.spec  # type: ignore[assignment]
        vx, vy = self.state[3], self.state[4]  # the body's velocity, as the world read it after the last step
        target = run * spec.run_speed
        vx = target if self.grounded else vx + (target - vx) * spec.air_control
        if jump > 0 and self.grounded:
            vy = spec.jump_speed
        if run:
            self.facing = math.copysign(1.0, run)
        _set_velocity(self.body._body, (vx, vy))  # = body.velocity = (vx, vy), without pymunk's property layer

    def after_step(self, world: World) -> None:
        found = [False]
        self.body.each_arbiter(_support, self.body, found)
        self.grounded = found[0]

    @property
    def heading(self) -> float:
        """0 facing right, pi facing left."""
        return 0.0 if self.facing > 0 else math.pi
