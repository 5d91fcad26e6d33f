"""Worlds: determinism (in-process and across processes), captures, fixed particles, contacts, driving."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from sandbox import Particle, Region, Robot, SceneSpec, Wall, World

TRAJECTORY_SCRIPT = """
import hashlib

import numpy as np

import proxies
from sandbox import World


def cleaning_spec(seed):
    scenario = proxies.get_scenario("cleaning-robot")
    fixed = dict(stains=2, outside_dust=2, chute=True, pan_wall="south")
    return scenario.sample_spec(np.random.default_rng(seed), "intervene", **fixed)


def trajectory_hash(seed, steps=150):
    world = World(cleaning_spec(seed))
    actions = np.random.default_rng(seed + 1000).uniform(-1, 1, size=(steps, 2))
    digest = hashlib.sha256()
    for vx, vy in actions.tolist():
        world.step(vx, vy)
        digest.update(world.positions.tobytes())
        digest.update(np.array([*world.robot_position, world.robot_heading, *world.robot_velocity]).tobytes())
        digest.update(repr((world.broom_contacts, sorted(world.captures.items()))).encode())
    return digest.hexdigest()
"""

_NS: dict = {}
exec(TRAJECTORY_SCRIPT, _NS)
trajectory_hash = _NS["trajectory_hash"]
cleaning_spec = _NS["cleaning_spec"]


def _box(*entities, width: float = 6.0, height: float = 6.0) -> SceneSpec:
    walls = (
        Wall(x0=0, y0=0, x1=width, y1=0),
        Wall(x0=width, y0=0, x1=width, y1=height),
        Wall(x0=width, y0=height, x1=0, y1=height),
        Wall(x0=0, y0=height, x1=0, y1=0),
    )
    return SceneSpec(width=width, height=height, entities=(*walls, *entities))


def _drive(world: World, vx: float, vy: float, steps: int) -> None:
    """Drive at ``(vx, vy)`` in the world's frame."""
    for _ in range(steps):
        world.step(*world.robot_frame(vx, vy))


# -- determinism ------------------------------------------------------------------------------


def test_same_spec_and_actions_give_bit_identical_trajectories():
    assert trajectory_hash(4) == trajectory_hash(4)


def test_different_actions_give_different_trajectories():
    assert trajectory_hash(4) != trajectory_hash(5)


def test_trajectory_is_unchanged_by_building_other_worlds_in_between():
    first = trajectory_hash(6)
    for seed in (1, 2, 3):
        other = World(cleaning_spec(seed))
        _drive(other, 0.7, -0.4, 30)
    assert trajectory_hash(6) == first


def test_interleaved_worlds_step_independently():
    spec = cleaning_spec(8)
    actions = np.random.default_rng(0).uniform(-1, 1, size=(80, 2)).tolist()
    alone = World(spec)
    for vx, vy in actions:
        alone.step(vx, vy)
    a, b = World(spec), World(spec)
    for vx, vy in actions:
        a.step(vx, vy)
        b.step(-vy, vx)  # a different world stepping at the same time
    assert np.array_equal(a.positions, alone.positions, equal_nan=True)
    assert a.robot_position == alone.robot_position and a.robot_heading == alone.robot_heading
    assert a.broom_contacts == alone.broom_contacts and a.captures == alone.captures


def test_stepping_chipmunk_directly_matches_pymunks_space_step(monkeypatch):
    """The world calls chipmunk's step without pymunk's wrapper (see ``sandbox.world._space_step``);
    a pymunk upgrade that made the two differ must show here."""
    direct = trajectory_hash(11)
    spaces = {}

    def wrapped(handle, dt):
        spaces[handle].step(dt)

    original_init = World.__init__

    def init(self, spec):
        original_init(self, spec)
        spaces[self.space._space] = self.space

    monkeypatch.setattr(World, "__init__", init)
    monkeypatch.setattr("sandbox.world._space_step", wrapped)
    assert trajectory_hash(11) == direct


def test_batched_state_read_agrees_with_pymunks_bodies():
    """The world reads its state through chipmunk's batched iterator (see ``World._read_state``);
    what it reads must be what pymunk's own body properties say."""
    spec = _box(Robot(x=1.0, y=3.0, heading=0.0), Particle(x=2.0, y=3.0), Particle(x=3.0, y=2.0))
    world = World(spec)
    for _ in range(5):
        world.step(1.0, 0.3)
    robot = world.robot
    assert world.robot_state == (*robot.position, robot.angle, *robot.velocity)
    bodies = sorted(tuple(b.position) for b in world.space.bodies if b.body_type == b.DYNAMIC and b is not robot)
    assert sorted(map(tuple, world.free_positions.tolist())) == bodies


def test_trajectory_is_bit_identical_across_processes(tmp_path):
    script = TRAJECTORY_SCRIPT + "\nprint(trajectory_hash(4))\nprint(trajectory_hash(9))\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [trajectory_hash(4), trajectory_hash(9)]


# -- captures and fixed particles ----------------------------------------------------------------


def test_particle_pushed_into_a_capturing_region_is_removed_and_counted():
    spec = _box(
        Robot(x=1.0, y=3.0, heading=0.0),
        Particle(x=2.0, y=3.0),
        Particle(x=2.0, y=5.0),
        Region(name="pan", x0=4.0, y0=2.5, x1=5.0, y1=3.5),
        Region(name="chute", x0=0.2, y0=0.2, x1=0.8, y1=0.8),
    )
    world = World(spec)
    assert world.captures == {"pan": 0, "chute": 0}
    assert world.movable_count == 2 and len(world.free_positions) == 2
    _drive(world, 1.0, 0.0, 30)
    assert world.captures == {"pan": 1, "chute": 0}
    assert world.captured_by == ["pan", None]
    assert world.free.tolist() == [False, True]
    assert np.isnan(world.positions[0]).all()
    assert world.positions[1].tolist() == [2.0, 5.0]
    assert world.free_positions.shape == (1, 2)
    assert world.movable_count == 2  # captured particles still count as the scene's movable dust
    live = [shape.body for shape in world.space.shapes if shape.body is not world.space.static_body]
    assert all(body in world.space.bodies for body in live)
    assert len(world.space.bodies) == 3  # control body, robot, the one particle left
    _drive(world, 1.0, 0.0, 10)
    assert world.captures == {"pan": 1, "chute": 0}  # counted once


def test_non_capturing_region_leaves_particles_on_the_floor():
    spec = _box(
        Robot(x=1.0, y=3.0, heading=0.0),
        Particle(x=2.0, y=3.0),
        Region(name="hall", x0=3.5, y0=2.0, x1=5.5, y1=4.0, captures=False),
    )
    world = World(spec)
    _drive(world, 1.0, 0.0, 20)
    assert world.captures == {"hall": 0}
    assert world.free.tolist() == [True]
    assert world.regions["hall"].contains(*world.positions[0])


def test_particle_starting_inside_a_capturing_region_is_captured_on_the_first_step():
    spec = _box(Robot(x=1.0, y=1.0), Particle(x=4.5, y=4.5), Region(name="pan", x0=4.0, y0=4.0, x1=5.0, y1=5.0))
    world = World(spec)
    world.step(0.0, 0.0)
    assert world.captures == {"pan": 1}


def test_static_particle_never_moves_and_is_never_captured():
    stain = Particle(x=2.0, y=3.0, movable=False, tag="stain")
    spec = _box(
        Robot(x=1.0, y=3.0, heading=0.0),
        stain,
        Region(name="pan", x0=1.8, y0=2.8, x1=2.2, y1=3.2),  # the stain lies inside a capturing region
    )
    world = World(spec)
    assert world.free.tolist() == [False]
    assert world.fixed_positions.tolist() == [[2.0, 3.0]]
    assert world.free_positions.shape == (0, 2)
    for vx, vy in [(1.0, 0.0)] * 20 + [(1.0, 0.3)] * 10 + [(-1.0, 0.0)] * 5 + [(1.0, -0.2)] * 15:
        world.step(vx, vy)
        assert world.positions.tolist() == [[2.0, 3.0]]
    assert world.captures == {"pan": 0}
    assert world.captured_by == [None]
    assert world.broom_contacts >= 1  # the robot did push against it
    assert math.dist(world.robot_position, (2.0, 3.0)) > 0.25  # and it stayed solid


def test_free_mask_is_read_only():
    world = World(_box(Robot(x=1.0, y=1.0), Particle(x=3.0, y=3.0)))
    with pytest.raises(ValueError):
        world.free[0] = False


# -- broom contacts -------------------------------------------------------------------------------


def test_broom_contacts_count_contact_begins_not_contact_duration():
    world = World(_box(Robot(x=1.0, y=3.0, heading=0.0), Particle(x=2.0, y=3.0, movable=False)))
    assert world.broom_contacts == 0
    _drive(world, 1.0, 0.0, 15)
    assert world.broom_contacts == 1  # pressed against the stain for many steps: one contact
    _drive(world, -1.0, 0.0, 5)  # back off (reversing)
    assert world.broom_contacts == 1
    _drive(world, 1.0, 0.0, 10)
    assert world.broom_contacts == 2


def test_chassis_contact_is_not_a_broom_contact():
    world = World(_box(Robot(x=2.0, y=3.0, heading=0.0), Particle(x=1.2, y=3.0, movable=False)))
    _drive(world, -1.0, 0.0, 10)  # back into the particle: the chassis touches it, the broom does not
    assert world.robot_position[0] > 1.2 + 0.25
    assert world.robot_position[0] < 1.7  # it did reach the particle
    assert world.broom_contacts == 0


def test_robot_without_broom_never_counts_contacts():
    world = World(_box(Robot(x=1.0, y=3.0, heading=0.0, broom_width=0.0), Particle(x=2.0, y=3.0)))
    _drive(world, 1.0, 0.0, 20)
    assert world.broom_contacts == 0
    assert world.positions[0][0] > 2.5  # pushed by the chassis instead


# -- driving ------------------------------------------------------------------------------------


@pytest.mark.parametrize("heading", [0.0, 1.0, -2.5])
def test_robot_reverses_rather_than_turning_around(heading):
    world = World(_box(Robot(x=3.0, y=3.0, heading=heading)))
    back = (-math.cos(heading), -math.sin(heading))
    _drive(world, *back, 6)
    turned = (world.robot_heading - heading + math.pi) % (2 * math.pi) - math.pi
    assert abs(turned) < 0.3
    moved = np.subtract(world.robot_position, (3.0, 3.0))
    assert float(moved @ back) > 0.5  # it did drive backwards


def test_robot_turns_to_face_a_sideways_command():
    world = World(_box(Robot(x=3.0, y=3.0, heading=0.0)))
    _drive(world, 0.0, 1.0, 20)  # it turns at about 1.2 rad/s
    assert abs(world.robot_heading - math.pi / 2) < 0.3
    assert world.robot_position[1] > 3.5


def test_small_command_keeps_the_heading():
    world = World(_box(Robot(x=3.0, y=3.0, heading=0.4)))
    _drive(world, 0.0, -0.05, 5)
    assert world.robot_heading == pytest.approx(0.4, abs=1e-6)


def test_walls_keep_the_robot_inside():
    world = World(_box(Robot(x=3.0, y=3.0, heading=0.0)))
    _drive(world, 1.0, 0.0, 60)
    x, y = world.robot_position
    assert 5.0 < x < 6.0 - 0.25 + 0.05
    assert world.steps == 60


def test_wall_opening_lets_the_robot_through():
    door = Wall(x0=0, y0=3, x1=6, y1=3, openings=((0.35, 0.65),))
    closed = Wall(x0=0, y0=3, x1=6, y1=3)
    for wall, through in [(door, True), (closed, False)]:
        spec = SceneSpec(width=6.0, height=6.0, entities=(wall, Robot(x=3.0, y=1.5, heading=math.pi / 2)))
        world = World(spec)
        _drive(world, 0.0, 1.0, 25)
        assert (world.robot_position[1] > 3.5) is through


@pytest.mark.parametrize("heading", [0.0, math.pi / 2, -2.5])
def test_step_commands_are_in_the_robots_frame(heading):
    world = World(_box(Robot(x=3.0, y=3.0, heading=heading)))
    for _ in range(5):
        world.step(1.0, 0.0)  # straight ahead, whichever way the robot faces
    moved = np.subtract(world.robot_position, (3.0, 3.0))
    assert moved @ (math.cos(heading), math.sin(heading)) > 0.5
    assert abs(moved @ (-math.sin(heading), math.cos(heading))) < 0.05
