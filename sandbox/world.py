"""A live pymunk world built from a :class:`~sandbox.spec.SceneSpec`.

The agent's body is built first (``world.agent``), then every other entity in spec order, each
by its own :meth:`~sandbox.entities.Entity.build`. While it steps, the world keeps the event
counters of :mod:`sandbox.events`: contacts begun by the agent's shapes, region entries and
captures, pickups, things eaten, locks opened, and the inventory.

Worlds are never copied: to branch, build a new world from the spec and replay actions.

What a measurement, an observation or a reference may read (all public):

- ``spec``, ``steps``, ``events``, ``agent`` (position, heading, velocity, command, frame());
- ``positions`` (every entity's centre, NaN once it left the scene), ``present``,
  ``captured_by``, ``where(tag)``, ``tagged(tag)``, ``regions`` and ``region(name)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pymunk
import pymunk.batch
from pymunk._chipmunk import ffi as _ffi
from pymunk._chipmunk import lib as _chipmunk

from sandbox.actions import Action
from sandbox.bodies.base import AgentControl
from sandbox.categories import PASSED_FILTER
from sandbox.entities import Body, Consumable, Lock, Pickup, Region, Wall
from sandbox.errors import SandboxError
from sandbox.events import Events
from sandbox.spec import SceneSpec

__all__ = ["World", "AGENT", "REGION", "THING", "TOOL"]

AGENT, REGION, THING, TOOL = 1, 2, 3, 4
"""pymunk collision types: the agent's body, region sensors, every other entity's shapes but
walls' (0), and the shapes of the agent's tool. Each counted event costs a Python callback, so
some are not counted: contacts with walls (a wall is touched all the time), and region entries
of the tool (the agent's own entry is counted)."""

_ITERATIONS = 5
"""Impulse-solver iterations per physics step (chipmunk's default is 10; scenes with few
simultaneous contacts need fewer, and each one costs time)."""
_space_step = _chipmunk.cpSpaceStep
"""Chipmunk's own step. ``pymunk.Space.step`` wraps it in Python bookkeeping (locking, deferred
adds and removes, post-step callbacks) that adds half again to the step's cost on small scenes,
and that this world never needs: its collision callbacks only record, and what they record is
handled between agent steps. ``tests/sandbox/test_world.py`` checks that both give bit-identical
trajectories (pymunk is pinned below 8, where this private module could move)."""
_each_body, _BATCHED = _chipmunk.cpSpaceEachBody, _ffi.addressof(_chipmunk, "pmSpaceBodyGetIteratorFuncBatched")
"""What ``pymunk.batch.get_space_bodies`` calls, for the per-step read with prepared arguments."""
_FLOAT_BYTES = _ffi.sizeof("cpFloat")
_STATE = pymunk.batch.BodyFields.POSITION | pymunk.batch.BodyFields.ANGLE | pymunk.batch.BodyFields.VELOCITY
"""Fields of the batched read after each step: per body a row (x, y, angle, vx, vy)."""


def _note_agent(arbiter: pymunk.Arbiter, space: pymunk.Space, pending: list) -> None:
    """Collision ``begin`` callback: an agent shape touched something (handled after the step)."""
    pending.append((AGENT, arbiter.shapes))


def _note_region(arbiter: pymunk.Arbiter, space: pymunk.Space, pending: list) -> None:
    """Collision ``begin`` callback: something touched a region (handled after the step)."""
    pending.append((REGION, arbiter.shapes))


class World:
    """The physics of one scene.

    Parameters
    ----------
    spec:
        The scene to build.

    Attributes
    ----------
    spec: the spec the world was built from.
    space: the pymunk space (for entity kinds that build themselves; read-only for everyone else).
    steps: agent steps taken since the world was built.
    events: the event counters (:class:`~sandbox.events.Events`).
    agent: the agent's controller (:class:`~sandbox.bodies.AgentControl`), or None in a scene without one.
    present: per entity (spec order), whether it is still in the scene (not captured, picked up, eaten or opened).
    captured_by: per entity, the name of the region that captured it, or None.
    regions: the scene's regions by name.
    memo: what observation helpers work out once per scene and keep, by a key of their own (an
        entity's looks and nutrients, which never change).
    """

    def __init__(self, spec: SceneSpec) -> None:
        if not isinstance(spec, SceneSpec):
            raise SandboxError(f"A World is built from a SceneSpec, got {type(spec).__name__}; build one with SceneSpec(...).")
        self.spec = spec
        self.space = space = pymunk.Space()
        space.damping, space.iterations, space.gravity = spec.damping, _ITERATIONS, spec.gravity
        self._static = space.static_body
        self.steps = 0
        self.events = Events()
        entities = spec.entities
        self._dt, self._substeps = 1.0 / spec.physics_hz, spec.substeps
        self._owner: dict[pymunk.Shape, int] = {}
        self._agent_tags: dict[pymunk.Shape, tuple[str, ...]] = {}
        self._parts: dict[int, tuple[pymunk.Body, tuple[pymunk.Shape, ...]]] = {}
        self._moving: list[int] = []  # entities with a body of their own, in spec order
        self._pending: list[tuple[int, tuple[pymunk.Shape, pymunk.Shape]]] = []
        self._present = np.ones(len(entities), dtype=bool)
        self.captured_by: list[str | None] = [None] * len(entities)
        self.regions: dict[str, Region] = {e.name: e for e in entities if isinstance(e, Region)}
        self._tagged: dict[str, np.ndarray] = {}
        for i, entity in enumerate(entities):
            for tag in entity.tags:
                self._tagged.setdefault(tag, []).append(i)  # type: ignore[attr-defined]
        self._tagged = {tag: np.array(ix, dtype=np.intp) for tag, ix in self._tagged.items()}
        self._xy = np.array([e.position or (math.nan, math.nan) for e in entities], dtype=np.float64).reshape(-1, 2)
        """Every entity's centre now (updated in place after each step)."""
        self.memo: dict[Any, Any] = {}
        self._where: dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]] = {}
        """tag -> indices of the present entities with it; their rows in the batched read (None unless every one
        has a body of its own); and their centres (when none has, as they then never move)."""

        agent = spec.agent
        self.agent: AgentControl | None = agent.control(self) if agent is not None else None
        self._agent_index = next((i for i, e in enumerate(entities) if e is agent), -1)
        for i, entity in enumerate(entities):
            if entity is not agent:
                entity.build(self, i)
        for mine in (AGENT, TOOL):
            space.on_collision(mine, THING, begin=_note_agent, data=self._pending)
        for other in (AGENT, THING):
            space.on_collision(REGION, other, begin=_note_region, data=self._pending)

        self._buffer = pymunk.batch.Buffer()
        self._batched = _ffi.new("pmBatchedData *")
        self._batched.fields = _STATE.value
        self._batched.floatArray = self._buffer._float_arr
        self._batched.intArray = self._buffer._int_arr
        self._index_bodies()

    # -- building (for entity kinds' build methods) ----------------------------------------

    def attach(self, index: int, body: pymunk.Body, *shapes: pymunk.Shape, role: str = "solid") -> None:
        """Add an entity's body (unless it is the space's static body) and shapes to the space.

        ``role`` says what touching it does: ``solid`` (nothing but physics), ``region``,
        ``pickup``, ``consumable`` or ``lock``. Sensor shapes are put in the collision category
        :data:`~sandbox.categories.PASSED` (solid-only queries pass through them).
        """
        if body is not self._static:
            self.space.add(body, *shapes)
            self._moving.append(index)
        else:
            self.space.add(*shapes)
        kind = REGION if role == "region" else 0 if isinstance(self.spec.entities[index], Wall) else THING
        for shape in shapes:
            self._owner[shape] = index
            if kind:  # walls (0) are never sensors
                shape.collision_type = kind
                if shape.sensor:
                    shape.filter = PASSED_FILTER
        self._parts[index] = (body, shapes)

    def attach_agent(self, shape: pymunk.Shape, tags: tuple[str, ...], *, tool: bool = False) -> None:
        """Mark a shape already in the space as part of the agent (``tool=True``: of its tool, whose
        region entries are not counted), with the tags its contacts count under; it goes in the collision
        category :data:`~sandbox.categories.PASSED`."""
        shape.collision_type = TOOL if tool else AGENT
        shape.filter = PASSED_FILTER
        self._agent_tags[shape] = tuple(tags)

    # -- stepping -----------------------------------------------------------------------

    def step(self, action: Action) -> None:
        """One agent step: apply the (parsed) action, step the physics, then count what happened."""
        agent = self.agent
        if agent is None:
            raise SandboxError("This scene has no agent body to act; add a Driver or a Platformer to its entities.")
        agent.command = command = agent.spec.commands[action] if type(action) is int else action
        agent.apply(command)
        space, dt = self.space._space, self._dt
        for _ in range(self._substeps):
            _space_step(space, dt)
        self.steps += 1
        if self._pending:
            self._handle_events()
        else:
            self._read_state()
        if agent.after_step is not None:
            agent.after_step(self)

    def _index_bodies(self) -> None:
        """Find where the agent and each moving entity sit in pymunk's batched body data
        (pymunk's own order, which changes when bodies are removed)."""
        buffer = self._buffer
        buffer.clear()
        pymunk.batch.get_space_bodies(self.space, pymunk.batch.BodyFields.BODY_ID, buffer)
        row = {body_id: r for r, body_id in enumerate(np.frombuffer(buffer.int_buf(), dtype=np.int64).tolist())}
        self._agent_row = row[self.agent.body.id] if self.agent is not None else -1
        moving = [i for i in self._moving if self._present[i]]
        self._moving_index = np.array(moving, dtype=np.intp)
        self._moving_rows = np.array([row[self._parts[i][0].id] for i in moving], dtype=np.intp)
        self._row_of = dict(zip(moving, self._moving_rows.tolist()))
        if self.agent is not None:
            self._row_of[self._agent_index] = self._agent_row
        self._where.clear()
        floats = self._buffer._float_arr
        floats.num = 0
        _each_body(self.space._space, _BATCHED, self._batched)  # sizes pymunk's buffer to every body's state
        self._state = np.frombuffer(_ffi.buffer(floats.arr, _FLOAT_BYTES * floats.num), dtype=np.float64).reshape(-1, 5)
        """Every body's ``(x, y, angle, vx, vy)``, in pymunk's order: a view of pymunk's buffer, which each read
        overwrites. The buffer does not move, since bodies are only ever removed, and each removal re-indexes."""
        self._agent_state = self._state[self._agent_row] if self.agent is not None else None
        self._read_state()

    def _read_state(self) -> None:
        """Read every body's state with one batched call, into ``_state`` (and the agent's row into ``agent.state``)."""
        self._buffer._float_arr.num = 0
        _each_body(self.space._space, _BATCHED, self._batched)  # = pymunk.batch.get_space_bodies(space, _STATE, buffer)
        if self._agent_state is not None:
            self.agent.state = tuple(self._agent_state.tolist())  # type: ignore[union-attr]
        self._stale = True

    def _refresh(self) -> np.ndarray:
        """Bring every entity's centre up to date with the last read (done only when asked for)."""
        if self._stale:
            state = self._state
            self._xy[self._moving_index] = state[self._moving_rows, :2]
            if self.agent is not None:
                self._xy[self._agent_index] = self.agent.state[:2]
            self._stale = False
        return self._xy

    def _handle_events(self) -> None:
        """Count the contacts and entries noted during the step; take captured, picked, eaten and
        opened entities out of the scene."""
        removed = False
        for source, (a, b) in self._pending:  # shapes in their handler's order: the agent's or the region's first
            removed |= self._agent_touched(a, b) if source == AGENT else self._region_touched(a, b)
        self._pending.clear()
        if removed:
            self._index_bodies()
        else:
            self._read_state()

    def _agent_touched(self, mine: pymunk.Shape, other: pymunk.Shape) -> bool:
        index = self._owner.get(other)
        if index is None or not self._present[index]:
            return False
        entity, events = self.spec.entities[index], self.events
        for tag in self._agent_tags[mine]:
            for other_tag in entity.tags:
                events.contacts[(tag, other_tag)] += 1
        if isinstance(entity, Pickup):
            events.pickups[entity.item] += 1
            events.inventory[entity.item] += 1
        elif isinstance(entity, Consumable):
            events.eaten.add(entity.tags)
            for name, amount in entity.nutrients:
                events.nutrients[name] += amount
        elif isinstance(entity, Lock) and events.inventory[entity.needs] > 0:
            events.inventory[entity.needs] -= 1
            events.unlocked.add(entity.tags or (entity.needs,))
        else:
            return False
        return self._remove(index)

    def _region_touched(self, sensor: pymunk.Shape, other: pymunk.Shape) -> bool:
        region = self.spec.entities[self._owner[sensor]]
        events = self.events
        if other in self._agent_tags:
            for tag in self._agent_tags[other]:
                events.entries[(region.name, tag)] += 1
            return False
        index = self._owner.get(other)
        if index is None or not self._present[index]:
            return False
        entity = self.spec.entities[index]
        for tag in entity.tags:
            events.entries[(region.name, tag)] += 1
        takes = isinstance(entity, Body) and entity.role == "solid" and entity.motion == "dynamic" and region.captures  # type: ignore[attr-defined]
        if not takes or (region.only and not set(region.only) & set(entity.tags)):  # type: ignore[attr-defined]
            return False
        self.captured_by[index] = region.name  # type: ignore[attr-defined]
        events.captures[region.name] += 1  # type: ignore[attr-defined]
        events.captured.add(entity.tags)
        return self._remove(index)

    def _remove(self, index: int) -> bool:
        """Take an entity out of the scene; True if it had a body of its own (the rows move)."""
        body, shapes = self._parts[index]
        self.space.remove(*shapes)
        self._present[index] = False
        self._xy[index] = np.nan
        self._where.clear()
        if body is self.space.static_body:
            return False
        self.space.remove(body)
        return True

    # -- state ----------------------------------------------------------------------------

    @property
    def present(self) -> np.ndarray:
        """Per entity (spec order), whether it is still in the scene (read-only view)."""
        view = self._present.view()
        view.flags.writeable = False
        return view

    @property
    def positions(self) -> np.ndarray:
        """``(n_entities, 2)`` centres [m] in spec order: where each entity is now; NaN for one that
        has left the scene and for walls. A fresh array each step (safe to keep)."""
        return self._refresh().copy()

    def entity_of(self, shape: pymunk.Shape) -> int | None:
        """The index (spec order) of the entity a pymunk shape belongs to; None for the agent's shapes."""
        return self._owner.get(shape)

    def tagged(self, tag: str) -> np.ndarray:
        """Indices (spec order) of the entities with ``tag``, present or not; empty if none has it."""
        return self._tagged.get(tag, np.empty(0, dtype=np.intp))

    def where(self, tag: str) -> np.ndarray:
        """``(m, 2)`` centres [m] of the entities with ``tag`` still in the scene, in spec order
        (walls, which have no centre, left out)."""
        found = self._where.get(tag)
        if found is None:
            index = self.tagged(tag)
            index = index[self._present[index] & ~np.isnan(self._xy[index, 0])]
            rows = [self._row_of.get(i) for i in index.tolist()]
            fixed = self._xy[index] if rows and rows.count(None) == len(rows) else None
            found = self._where[tag] = (index, None if None in rows else np.array(rows, dtype=np.intp), fixed)
        index, rows, fixed = found
        if rows is not None:  # all with bodies of their own: straight from the last read (one take, no refresh)
            return self._state.take(rows, axis=0)[:, :2]
        if fixed is not None:  # all on the static body: where they were built, until one leaves (clears _where)
            return fixed.copy()
        return self._refresh()[index]

    def region(self, name: str) -> Region:
        """The region called ``name``; :class:`SandboxError` naming the scene's regions if there is none."""
        try:
            return self.regions[name]
        except KeyError:
            raise SandboxError(f"The scene has no region {name!r}; its regions are {sorted(self.regions)}.") from None

    def pose(self, index: int) -> tuple[float, float, float] | None:
        """``(x, y, angle)`` of entity ``index`` now [m, rad]; None once it has left the scene or for a wall."""
        entity = self.spec.entities[index]
        if index == self._agent_index:
            x, y = self.agent.position  # type: ignore[union-attr]
            return (x, y, self.agent.heading)  # type: ignore[union-attr]
        if not self._present[index] or entity.position is None:
            return None
        body = self._parts[index][0] if index in self._parts else None  # a region that detects nothing has no parts
        if body is None or body is self.space.static_body:
            return (*entity.position, getattr(entity, "angle", 0.0))
        return (body.position.x, body.position.y, body.angle)
