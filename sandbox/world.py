"""A live pymunk world built from a :class:`~sandbox.spec.SceneSpec`.

The robot is driven like pymunk's ``examples/tank.py``: a kinematic control body is
moved by the action, and a pivot joint (with ``max_bias = 0``) drags the robot after
it, so the floor has friction and walls and dust push back. A gear joint turns the
robot to face the direction it is driving, so its broom leads.

Worlds are never copied: to branch, build a new world from the spec and replay actions.
"""

from __future__ import annotations

import math

import numpy as np
import pymunk
import pymunk.batch
from pymunk._chipmunk import ffi as _ffi
from pymunk._chipmunk import lib as _chipmunk

from sandbox.spec import Particle, Region, Robot, SceneSpec, Wall

__all__ = ["World", "CHASSIS", "BROOM", "PARTICLE", "WALL", "TRAP"]

CHASSIS, BROOM, PARTICLE, WALL, TRAP = 1, 2, 3, 4, 5
"""pymunk collision types of the world's shapes."""

_ITERATIONS = 5
"""Impulse-solver iterations per physics step (chipmunk's default is 10; a top-down scene with few
simultaneous contacts needs fewer, and each one costs time)."""
_DAMPING = 0.05
"""Fraction of a free body's velocity left after one second (floor friction)."""
_DRIVE_FORCE = 30.0
"""Largest force the drive applies to the robot [N]."""
_TURN_TORQUE = 3.0
"""Largest torque the steering applies to the robot [N m]."""
_TURN_THRESHOLD = 0.1
"""Below this fraction of full speed the robot keeps its heading."""
_REVERSE_BEYOND = 2 * math.pi / 3
"""A command more than this far from the heading [rad] makes the robot reverse instead of turning."""
_TAU = 2 * math.pi
_space_step = _chipmunk.cpSpaceStep
"""Chipmunk's own step. ``pymunk.Space.step`` wraps it in Python bookkeeping (locking, deferred
adds and removes, post-step callbacks) that adds half again to the step's cost on scenes this
small, and that this world never needs: its collision callbacks only record, and captured
particles are removed between agent steps. ``tests/sandbox/test_world.py`` checks that both give
bit-identical trajectories (pymunk is pinned below 8, where this private module could move)."""
_set_velocity, _set_angle = _chipmunk.cpBodySetVelocity, _chipmunk.cpBodySetAngle
"""Chipmunk's setters, for the control body each step (pymunk's properties add a Python layer)."""
_each_body, _BATCHED = _chipmunk.cpSpaceEachBody, _ffi.addressof(_chipmunk, "pmSpaceBodyGetIteratorFuncBatched")
"""What ``pymunk.batch.get_space_bodies`` calls, for the per-step read with prepared arguments."""
_FLOAT_BYTES = _ffi.sizeof("cpFloat")
_STATE = pymunk.batch.BodyFields.POSITION | pymunk.batch.BodyFields.ANGLE | pymunk.batch.BodyFields.VELOCITY
"""Fields of the batched read after each step: per body a row (x, y, angle, vx, vy)."""


def _count_broom_contact(arbiter: pymunk.Arbiter, space: pymunk.Space, counter: list[int]) -> None:
    """Collision ``begin`` callback: one more broom-particle contact."""
    counter[0] += 1


def _note_capture(arbiter: pymunk.Arbiter, space: pymunk.Space, pending: list[tuple]) -> None:
    """Collision ``begin`` callback: a particle reached a capturing region (handled after the step)."""
    pending.append(arbiter.shapes)


class World:
    """The physics of one scene: robot, walls, particles and regions.

    Parameters
    ----------
    spec:
        The scene to build.

    Attributes
    ----------
    spec: the spec the world was built from.
    particles: the spec's particles, in spec order.
    captured_by: for each particle, the name of the region that captured it, or None.
    broom_contacts: number of times the broom began touching a particle.
    steps: agent steps taken since the world was built.
    command: the last drive command ``(ahead, aside)``.
    """

    def __init__(self, spec: SceneSpec) -> None:
        self.spec = spec
        self.space = pymunk.Space()
        self.space.damping, self.space.iterations = _DAMPING, _ITERATIONS
        self.steps = 0
        self.command: tuple[float, float] = (0.0, 0.0)
        """The last ``step``'s drive command ``(ahead, aside)``; zeros before the first step."""
        self._dt = 1.0 / spec.physics_hz
        self._substeps = spec.substeps
        self._counter = [0]
        self.space.on_collision(BROOM, PARTICLE, begin=_count_broom_contact, data=self._counter)

        for wall in spec.of_kind(Wall):
            for a, b in wall.solid_parts:
                shape = pymunk.Segment(self.space.static_body, a, b, wall.thickness / 2)
                shape.friction, shape.collision_type = 0.6, WALL
                self.space.add(shape)

        self._build_robot(spec.robot)

        self.particles: tuple[Particle, ...] = spec.of_kind(Particle)  # type: ignore[assignment]
        self.fixed_positions = np.array(
            [(p.x, p.y) for p in self.particles if not p.movable], dtype=np.float64
        ).reshape(-1, 2)
        """Centres of the particles glued to the floor [m]."""
        self.captured_by: list[str | None] = [None] * len(self.particles)
        self._free = np.array([p.movable for p in self.particles], dtype=bool)
        self._index: dict[pymunk.Shape, int] = {}  # movable particle shape -> particle index
        for i, particle in enumerate(self.particles):
            if particle.movable:
                body = pymunk.Body()
                body.position = (particle.x, particle.y)
                shape = pymunk.Circle(body, particle.radius)
                shape.mass = 0.05
                self.space.add(body, shape)
                self._index[shape] = i
            else:
                shape = pymunk.Circle(self.space.static_body, particle.radius, (particle.x, particle.y))
                self.space.add(shape)
            shape.friction, shape.collision_type = 0.5, PARTICLE

        self.regions: dict[str, Region] = {r.name: r for r in spec.of_kind(Region)}  # type: ignore[attr-defined]
        """The scene's regions by name."""
        self.captures: dict[str, int] = dict.fromkeys(self.regions, 0)
        """How many particles each region has captured."""
        self.captured_tags: dict[str, int] = dict.fromkeys((p.tag for p in self.particles), 0)
        """How many particles of each tag have been captured (by any region)."""
        self.movable_count = int(self._free.sum())
        """Number of movable particles in the scene."""
        self._traps: dict[pymunk.Shape, str] = {}
        for region in spec.of_kind(Region):
            if region.captures:  # type: ignore[attr-defined]
                box = pymunk.Poly.create_box_bb(
                    self.space.static_body, pymunk.BB(region.x0, region.y0, region.x1, region.y1)  # type: ignore[attr-defined]
                )
                box.sensor, box.collision_type = True, TRAP
                self.space.add(box)
                self._traps[box] = region.name  # type: ignore[attr-defined]
        self._pending: list[tuple[pymunk.Shape, pymunk.Shape]] = []
        self.space.on_collision(PARTICLE, TRAP, begin=_note_capture, data=self._pending)
        self._buffer = pymunk.batch.Buffer()
        self._batched = _ffi.new("pmBatchedData *")
        self._batched.fields = _STATE.value
        self._batched.floatArray = self._buffer._float_arr
        self._batched.intArray = self._buffer._int_arr
        self._index_bodies()

    def _build_robot(self, robot: Robot) -> None:
        self.control = pymunk.Body(body_type=pymunk.Body.KINEMATIC)
        self.control.position = (robot.x, robot.y)
        self.control.angle = robot.heading
        self.robot = pymunk.Body()
        self.robot.position = (robot.x, robot.y)
        self.robot.angle = robot.heading
        chassis = pymunk.Circle(self.robot, robot.radius)
        chassis.mass, chassis.friction, chassis.collision_type = 1.0, 0.5, CHASSIS
        self.space.add(self.control, self.robot, chassis)
        for part in robot.broom_outline:
            broom = pymunk.Poly(self.robot, part)
            broom.mass, broom.friction, broom.collision_type = 0.05, 0.8, BROOM
            self.space.add(broom)
        drive = pymunk.PivotJoint(self.control, self.robot, (0, 0), (0, 0))
        drive.max_bias, drive.max_force = 0.0, _DRIVE_FORCE
        steer = pymunk.GearJoint(self.control, self.robot, 0.0, 1.0)
        steer.error_bias, steer.max_bias, steer.max_force = 0.0, 1.2, _TURN_TORQUE
        self.space.add(drive, steer)
        self._max_speed = robot.max_speed

    # -- stepping -----------------------------------------------------------------------

    def step(self, ahead: float, aside: float) -> None:
        """Drive for one agent step at ``(ahead, aside)``: a velocity in the robot's own frame
        (forward, to the left), each a fraction of full speed in [-1, 1].

        The robot turns to face the direction it drives in, or backs up (keeping its heading)
        when that direction points more than 120 degrees away from where it faces.
        """
        self.command = (ahead, aside)
        speed, current, control = self._max_speed, self._robot_state[2], self.control._body
        c, s = math.cos(current), math.sin(current)
        _set_velocity(control, ((ahead * c - aside * s) * speed, (ahead * s + aside * c) * speed))
        if ahead * ahead + aside * aside > _TURN_THRESHOLD * _TURN_THRESHOLD:
            turn = math.atan2(aside, ahead)
            if abs(turn) > _REVERSE_BEYOND:  # drive backwards rather than turn around
                turn = (turn + _TAU) % _TAU - math.pi
            _set_angle(control, current + turn)
        else:
            _set_angle(control, current)
        space, dt = self.space._space, self._dt
        for _ in range(self._substeps):
            _space_step(space, dt)
        self.steps += 1
        if self._pending:
            self._capture()
        else:
            self._read_state()

    def _index_bodies(self) -> None:
        """Find where the movable particles sit in pymunk's batched body data.

        pymunk lists the robot's two bodies first (they are added first and never removed),
        then the movable particles in its own order, then static bodies.
        """
        buffer = self._buffer
        buffer.clear()
        pymunk.batch.get_space_bodies(self.space, pymunk.batch.BodyFields.BODY_ID, buffer)
        ids = np.frombuffer(buffer.int_buf(), dtype=np.int64).tolist()
        by_id = {shape.body.id: i for shape, i in self._index.items()}
        self._rows = slice(2, 2 + len(by_id))
        assert ids[:2] == [self.control.id, self.robot.id] and all(b in by_id for b in ids[self._rows])
        self._order = np.array([by_id[b] for b in ids[self._rows]], dtype=np.intp)
        self._read_state()

    def _read_state(self) -> None:
        """Read every body's state with one batched call (the robot's row, the particles' rows)."""
        floats = self._buffer._float_arr
        floats.num = 0
        _each_body(self.space._space, _BATCHED, self._batched)  # = pymunk.batch.get_space_bodies(space, _STATE, buffer)
        state = np.frombuffer(_ffi.buffer(floats.arr, _FLOAT_BYTES * floats.num), dtype=np.float64).reshape(-1, 5)
        self._robot_state = tuple(state[1].tolist())
        self._free_xy = state[self._rows, :2]

    def _capture(self) -> None:
        """Take the particles that reached a capturing region off the floor."""
        for particle_shape, trap in self._pending:
            i = self._index.pop(particle_shape, None)
            if i is None:
                continue  # already taken by another region this step
            self._free[i] = False
            self.captured_by[i] = self._traps[trap]
            self.captures[self._traps[trap]] += 1
            self.captured_tags[self.particles[i].tag] += 1
            self.space.remove(particle_shape.body, particle_shape)
        self._pending.clear()
        self._index_bodies()

    # -- state ----------------------------------------------------------------------------

    @property
    def broom_contacts(self) -> int:
        """Times the broom began touching a particle since the world was built."""
        return self._counter[0]

    @property
    def robot_state(self) -> tuple[float, float, float, float, float]:
        """Robot centre [m], heading [rad] and velocity [m/s]: ``(x, y, heading, vx, vy)``."""
        return self._robot_state

    @property
    def robot_position(self) -> tuple[float, float]:
        """Robot centre [m]."""
        return self._robot_state[0], self._robot_state[1]

    @property
    def robot_velocity(self) -> tuple[float, float]:
        """Robot velocity [m/s]."""
        return self._robot_state[3], self._robot_state[4]

    @property
    def robot_heading(self) -> float:
        """Robot facing direction [rad]."""
        return self._robot_state[2]

    def robot_frame(self, vx: float, vy: float) -> tuple[float, float]:
        """A vector in the world's frame (an offset, a velocity) as (ahead, left) in the robot's frame.

        ``step(*world.robot_frame(vx, vy))`` drives at ``(vx, vy)`` in the world's frame.
        """
        heading = self._robot_state[2]
        c, s = math.cos(heading), math.sin(heading)
        return vx * c + vy * s, vy * c - vx * s

    @property
    def free_positions(self) -> np.ndarray:
        """``(m, 2)`` centres [m] of the movable particles still on the floor, in no fixed order."""
        return self._free_xy

    @property
    def positions(self) -> np.ndarray:
        """``(n, 2)`` centres [m] of all particles in spec order; NaN for captured ones."""
        out = np.full((len(self.particles), 2), np.nan)
        for i, p in enumerate(self.particles):
            if not p.movable:
                out[i] = (p.x, p.y)
        out[self._order] = self._free_xy
        return out

    @property
    def free(self) -> np.ndarray:
        """Boolean mask of particles that are movable and still on the floor (read-only view)."""
        view = self._free.view()
        view.flags.writeable = False
        return view

