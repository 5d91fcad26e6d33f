"""The top-down driver: a disc driven like pymunk's ``examples/tank.py``, with an optional tool.

A kinematic control body is moved by the action, and a pivot joint (``max_bias = 0``) drags
the driver after it, so the floor has friction and walls and loose things push back. A gear
joint turns the driver to face the direction it drives in, so its tool leads; told to go more
than 120 degrees away from its heading, it backs up instead of turning round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pymunk
from pymunk._chipmunk import lib as _chipmunk

from sandbox.bodies.base import AgentBody, AgentControl
from sandbox.entities.base import normalise_fields, register_kind
from sandbox.errors import SpecError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["Driver", "Tool", "COMPASS"]

COMPASS = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))
"""Discrete commands for a world-frame driver: stay, east, north, west, south."""

_DRIVE_FORCE = 30.0
"""Largest force the drive applies [N]."""
_TURN_TORQUE = 3.0
"""Largest torque the steering applies [N m]."""
_TURN_RATE = 1.2
"""Fastest turn [rad/s] (the gear joint's max_bias)."""
_TURN_THRESHOLD = 0.1
"""Below this fraction of full speed the driver keeps its heading."""
_REVERSE_BEYOND = 2 * math.pi / 3
"""A command more than this far from the heading [rad] makes the driver reverse instead of turning."""
_TAU = 2 * math.pi
_set_velocity, _set_angle = _chipmunk.cpBodySetVelocity, _chipmunk.cpBodySetAngle
"""Chipmunk's setters, for the control body each step (pymunk's properties add a Python layer)."""


@dataclass(frozen=True)
class Tool:
    """A pushing blade across the driver's front; with ``arms`` it is a U-shaped scoop that carries things along."""

    width: float = 0.6
    """Width of the head across the front [m]."""
    arms: float = 0.0
    """Length of the side arms reaching forward from the head's ends [m]; 0 for a plain blade."""
    thickness: float = 0.08
    """Thickness of the head and arms [m]."""
    tags: tuple[str, ...] = ("tool",)
    """Tags of the tool's shapes, for contact counters (``world.events.contacts[("tool", "ball")]``)."""

    def __post_init__(self) -> None:
        normalise_fields(self)
        if self.width <= 0 or self.arms < 0 or self.thickness <= 0:
            raise SpecError(f"Tool needs width > 0, arms >= 0 and thickness > 0; got {self}.")

    def outline(self, radius: float) -> tuple[tuple[tuple[float, float], ...], ...]:
        """The tool's convex parts in the driver's frame (x forward) [m]: the head, then the arms."""
        half, t = self.width / 2, self.thickness
        parts = [((radius, -half), (radius + t, -half), (radius + t, half), (radius, half))]
        if self.arms > 0:
            for side in (-1, 1):
                y0, y1 = sorted((side * half, side * (half - t)))
                parts.append(((radius + t, y0), (radius + t + self.arms, y0), (radius + t + self.arms, y1), (radius + t, y1)))
        return tuple(parts)

    @property
    def reach(self) -> float:
        """How far in front of the chassis the tool reaches [m]."""
        return self.thickness + self.arms


@register_kind
@dataclass(frozen=True, kw_only=True)
class Driver(AgentBody):
    """A round top-down driver. Box action ``(ahead, left)``: the velocity to drive at, as fractions
    of ``max_speed``, in the driver's own frame (``frame="robot"``) or the world's (``frame="world"``)."""

    kind: ClassVar[str] = "driver"
    controls: ClassVar[tuple[str, ...]] = ("ahead", "left")
    radius: float = 0.25
    """Chassis radius [m]."""
    max_speed: float = 1.5
    """Speed at full action [m/s]."""
    tool: Tool | None = None
    frame: str = "robot"
    """``robot``: actions are (ahead, left) of the driver; ``world``: (east, north)."""

    def __post_init__(self) -> None:
        if isinstance(self.tool, dict):
            object.__setattr__(self, "tool", Tool(**self.tool))
        super().__post_init__()
        if self.radius <= 0 or self.max_speed <= 0:
            raise SpecError(f"Driver needs radius > 0 and max_speed > 0; got radius {self.radius}, max_speed {self.max_speed}.")
        if self.tool is not None and not isinstance(self.tool, Tool):
            raise SpecError(f"Driver.tool must be a Tool or None, got {self.tool!r}.")
        if self.frame not in ("robot", "world"):
            raise SpecError(f"Driver.frame must be 'robot' or 'world', got {self.frame!r}.")

    @property
    def tool_outline(self) -> tuple[tuple[tuple[float, float], ...], ...]:
        """The tool's convex parts in the driver's frame (none without a tool)."""
        return self.tool.outline(self.radius) if self.tool else ()

    def control(self, world: World) -> DriverControl:
        """Add the control body, the chassis and the tool; return the controller."""
        space = world.space
        control = pymunk.Body(body_type=pymunk.Body.KINEMATIC)
        control.position, control.angle = (self.x, self.y), self.heading
        body = pymunk.Body()
        body.position, body.angle = (self.x, self.y), self.heading
        chassis = pymunk.Circle(body, self.radius)
        chassis.mass, chassis.friction = 1.0, 0.5
        space.add(control, body, chassis)
        world.attach_agent(chassis, self.tags)
        for part in self.tool_outline:
            shape = pymunk.Poly(body, part)
            shape.mass, shape.friction = 0.05, 0.8
            space.add(shape)
            world.attach_agent(shape, self.tool.tags, tool=True)  # type: ignore[union-attr]
        drive = pymunk.PivotJoint(control, body, (0, 0), (0, 0))
        drive.max_bias, drive.max_force = 0.0, _DRIVE_FORCE
        steer = pymunk.GearJoint(control, body, 0.0, 1.0)
        steer.error_bias, steer.max_bias, steer.max_force = 0.0, _TURN_RATE, _TURN_TORQUE
        space.add(drive, steer)
        return DriverControl(self, body, control)


class DriverControl(AgentControl):
    """Drives the control body; the chassis follows through the joints."""

    def __init__(self, spec: Driver, body: pymunk.Body, control: pymunk.Body) -> None:
        super().__init__(spec, body)
        self._control = control._body
        self._speed, self._world_frame = spec.max_speed, spec.frame == "world"

    def apply(self, controls: tuple[float, ...]) -> None:
        """Drive at ``controls``: turn to face that way, or back up when it points behind."""
        ahead, aside = controls
        current = self.state[2]
        c, s = math.cos(current), math.sin(current)
        if self._world_frame:
            ahead, aside = ahead * c + aside * s, aside * c - ahead * s
        speed = self._speed
        _set_velocity(self._control, ((ahead * c - aside * s) * speed, (ahead * s + aside * c) * speed))
        if ahead * ahead + aside * aside > _TURN_THRESHOLD * _TURN_THRESHOLD:
            turn = math.atan2(aside, ahead)
            if abs(turn) > _REVERSE_BEYOND:  # drive backwards rather than turn around
                turn = (turn + _TAU) % _TAU - math.pi
            _set_angle(self._control, current + turn)
        else:
            _set_angle(self._control, current)
