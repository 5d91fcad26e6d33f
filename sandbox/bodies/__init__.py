"""Agent bodies, each owning its action space and its controller.

- :class:`Driver` — top-down, drives and turns, with an optional :class:`Tool` (a blade or a scoop);
- :class:`Platformer` — side view, runs and jumps when grounded (the scene needs gravity);
- :class:`GridWalker` — top-down, one cell per action, blocked by solids (mazes).

Driving primitives for scripted references live in :mod:`sandbox.bodies.driving`.
"""

from sandbox.bodies.base import AgentBody, AgentControl
from sandbox.bodies.driver import COMPASS, Driver, Tool
from sandbox.bodies.platformer import RUN_AND_JUMP, Platformer
from sandbox.bodies.walker import GridWalker

__all__ = ["AgentBody", "AgentControl", "COMPASS", "Driver", "GridWalker", "Platformer", "RUN_AND_JUMP", "Tool"]
