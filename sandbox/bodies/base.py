"""The agent's body: an entity that owns its action space and its controller.

An :class:`AgentBody` in a scene spec is built first into the world, as an
:class:`AgentControl` (``world.agent``) that turns each action into forces or velocities and
reads the body's state back. ``commands`` turns any body's continuous controls into a small
``Discrete`` action set: action ``i`` applies ``commands[i]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import gymnasium as gym
import numpy as np
import pymunk

from sandbox.appearance import Appearance
from sandbox.entities.base import Entity
from sandbox.errors import SpecError

if TYPE_CHECKING:
    from sandbox.world import World

__all__ = ["AgentBody", "AgentControl"]


@dataclass(frozen=True, kw_only=True)
class AgentBody(Entity):
    """Base of the bodies an agent can have. Subclasses set ``controls`` and implement :meth:`control`."""

    controls: ClassVar[tuple[str, ...]] = ()
    """Names of the continuous controls, each in [-1, 1] (the Box action's entries)."""
    x: float
    y: float
    heading: float = 0.0
    """Initial facing direction [rad]."""
    commands: tuple[tuple[float, ...], ...] = ()
    """If given, the action space is ``Discrete(len(commands))`` and action ``i`` applies these controls."""
    tags: tuple[str, ...] = ("agent",)
    appearance: Appearance = Appearance("blue")

    def __post_init__(self) -> None:
        super().__post_init__()
        size = len(self.controls)
        for command in self.commands:
            if len(command) != size or not all(isinstance(c, (int, float)) and -1 <= c <= 1 for c in command):
                raise SpecError(
                    f"{type(self).__name__} command {command} must be {size} numbers in [-1, 1] "
                    f"({', '.join(self.controls)}); give commands as tuples like {(0.0,) * size}."
                )
        object.__setattr__(self, "commands", tuple(tuple(float(c) for c in cmd) for cmd in self.commands))

    @property
    def position(self) -> tuple[float, float]:
        """Initial centre [m]."""
        return (self.x, self.y)

    @property
    def action_space(self) -> gym.Space:
        """``Box(-1, 1, (len(controls),))``, or ``Discrete(len(commands))`` when commands are given."""
        if self.commands:
            return gym.spaces.Discrete(len(self.commands))
        return gym.spaces.Box(-1.0, 1.0, (len(self.controls),), np.float32)

    def build(self, world: World, index: int) -> None:
        """Agent bodies are built by the world itself, first (see :meth:`control`)."""
        raise SpecError("An agent body is built by World itself; do not call build() on it.")

    def control(self, world: World) -> AgentControl:
        """Add the body to ``world`` (its bodies first in the space) and return its controller."""
        raise NotImplementedError(f"{type(self).__name__} must implement control(world).")


class AgentControl:
    """The live agent: applies actions, and reads the body's state (set by the world after each step).

    Attributes
    ----------
    spec: the agent body it was built from.
    body: the pymunk body whose state is the agent's.
    command: the last step's controls (zeros before the first step).
    """

    def __init__(self, spec: AgentBody, body: pymunk.Body) -> None:
        self.spec, self.body = spec, body
        self.command: tuple[float, ...] = (0.0,) * len(spec.controls)
        self.state: tuple[float, float, float, float, float] = (spec.x, spec.y, spec.heading, 0.0, 0.0)
        """``(x, y, angle, vx, vy)`` of the body [m, rad, m/s], read by the world after each step."""

    def apply(self, controls: tuple[float, ...]) -> None:
        """Turn the controls into forces or velocities (the world calls it with ``commands[i]`` for a
        Discrete action ``i``, and records them as ``command``)."""
        raise NotImplementedError

    after_step: Callable[[World], None] | None = None
    """Called with the world once the physics has stepped and the state is read (a platformer
    senses the ground there); None, the default, costs nothing per step."""

    @property
    def position(self) -> tuple[float, float]:
        """Centre [m]."""
        return self.state[0], self.state[1]

    @property
    def velocity(self) -> tuple[float, float]:
        """Velocity [m/s]."""
        return self.state[3], self.state[4]

    @property
    def heading(self) -> float:
        """Facing direction [rad]."""
        return self.state[2]

    def frame(self, vx: float, vy: float) -> tuple[float, float]:
        """A world-frame vector (an offset, a velocity) as ``(ahead, left)`` in the agent's frame."""
        heading = self.heading
        c, s = math.cos(heading), math.sin(heading)
        return vx * c + vy * s, vy * c - vx * s
