"""Physics and environment layer: scene specs, worlds (pymunk), the gymnasium env, rendering.

It knows nothing of proxies or attribution; see :mod:`proxies` for that.
"""

from sandbox.env import SandboxEnv
from sandbox.errors import ActionError, SandboxError, SpecError
from sandbox.factors import Domain, Factor
from sandbox.registration import env_id, register_env
from sandbox.render import render_spec, render_world
from sandbox.spec import Entity, Particle, Region, Robot, SceneSpec, Wall
from sandbox.task import Task
from sandbox.world import World

__all__ = [
    "ActionError",
    "Domain",
    "Entity",
    "Factor",
    "Particle",
    "Region",
    "Robot",
    "SandboxEnv",
    "SandboxError",
    "SceneSpec",
    "SpecError",
    "Task",
    "Wall",
    "World",
    "env_id",
    "register_env",
    "render_spec",
    "render_world",
]
