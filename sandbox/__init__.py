"""Physics and environment layer: a general kit for 2D physics scenes.

Scene specs and entities (:mod:`sandbox.entities`), agent bodies with their own action spaces
(:mod:`sandbox.bodies`), worlds and their event counters (:mod:`sandbox.world`,
:mod:`sandbox.events`), observation helpers (:mod:`sandbox.observe`), authoring helpers
(:mod:`sandbox.layout`), the gymnasium env and rendering. It knows nothing of proxies or
attribution; see :mod:`proxies` for that.
"""

from sandbox.actions import describe_space, parse_action, random_action
from sandbox.appearance import COLOURS, Appearance
from sandbox.bodies import COMPASS, RUN_AND_JUMP, AgentBody, AgentControl, Driver, GridWalker, Platformer, Tool
from sandbox.entities import Body, Consumable, Entity, Lock, Pickup, Region, Wall, entity_kinds, register_kind
from sandbox.env import SandboxEnv
from sandbox.errors import ActionError, GeometryError, MeasurementError, ObservationError, SandboxError, SpecError
from sandbox.events import Events
from sandbox.factors import Domain, Factor
from sandbox.geometry import MAX_ENTITIES, check_geometry
from sandbox.registration import env_id, register_env
from sandbox.render import render_spec, render_world
from sandbox.spec import SceneSpec
from sandbox.task import Task
from sandbox.world import World

__all__ = [
    "COLOURS",
    "COMPASS",
    "MAX_ENTITIES",
    "RUN_AND_JUMP",
    "ActionError",
    "AgentBody",
    "AgentControl",
    "Appearance",
    "Body",
    "Consumable",
    "Domain",
    "Driver",
    "Entity",
    "Events",
    "Factor",
    "GeometryError",
    "Lock",
    "MeasurementError",
    "ObservationError",
    "Pickup",
    "GridWalker",
    "Platformer",
    "Region",
    "SandboxEnv",
    "SandboxError",
    "SceneSpec",
    "SpecError",
    "Task",
    "Tool",
    "Wall",
    "World",
    "check_geometry",
    "describe_space",
    "entity_kinds",
    "env_id",
    "parse_action",
    "random_action",
    "register_env",
    "register_kind",
    "render_spec",
    "render_world",
]
