"""Worlds: determinism (in-process and across processes), captures, fixed bodies, contacts, driving, damping."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from sandbox import Body, Driver, Region, SceneSpec, SpecError, Tool, Wall, World

TRAJECTORY_SCRIPT = """
import hashlib
import math

import numpy as np

from sandbox import Body, Driver, Region, SceneSpec, Tool, Wall, World


def busy_spec(seed):
    '''A room with a doorway to a hallway, a pan, a chute, loose and glued particles, and a
    driver with a scoop: everything a world does at once, laid out from one seed.'''
    rng = np.random.default_rng(seed)
    width, height, top = 4.0, 4.5, 3.0
    entities = [
        Region(name="hallway", x0=0.0, y0=top, x1=width, y1=height, captures=False),
        Region(name="pan", x0=width - 0.6, y0=0.5, x1=width, y1=2.5),
        Region(name="chute", x0=0.0, y0=0.9, x1=0.5, y1=2.1),
        *Wall.around(width, height),
        Wall(x0=0.0, y0=top, x1=width, y1=top, openings=((0.35, 0.65),)),
    ]
    for tags, motion, (x0, y0, x1, y1), n in [
        (("particle", "dust"), "dynamic", (0.9, 0.5, 3.2, 2.5), 12),
        (("particle", "stain"), "static", (0.9, 0.5, 3.2, 2.5), 2),
        (("particle", "outside"), "dynamic", (0.5, 3.45, 3.5, 4.05), 2),
    ]:
        for x, y in rng.uniform((x0, y0), (x1, y1), size=(n, 2)).tolist():
            entities.append(Body(x=x, y=y, motion=motion, tags=tags))
    heading = float(rng.uniform(-math.pi, math.pi))
    entities.append(Driver(x=2.0, y=1.5, heading=heading, tool=Tool(arms=0.25, tags=("broom",))))
    return SceneSpec(width=width, height=height, entities=tuple(entities), physics_hz=40.0, control_hz=5.0)


def trajectory_hash(seed, steps=150):
    world = World(busy_spec(seed))
    actions = np.random.default_rng(seed + 1000).uniform(-1, 1, size=(steps, 2))
    digest = hashlib.sha256()
    for ahead, left in actions.tolist():
        world.step((ahead, left))
        digest.update(world.positions.tobytes())
        digest.update(np.array([*world.agent.position, world.agent.heading, *world.agent.velocity]).tobytes())
        digest.update(repr(world.events.to_dict()).encode())
    return digest.hexdigest()
"""

_NS: dict = {}
exec(TRAJECTORY_SCRIPT, _NS)
trajectory_hash = _NS["trajectory_hash"]
busy_spec = _NS["busy_spec"]

BROOM = Tool(tags=("broom",))


def _box(*entities, width: float = 6.0, height: float = 6.0, **kwargs) -> SceneSpec:
    return SceneSpec(width=width, height=height, entities=(*Wall.around(width, height), *entities), **kwargs)


def _driver(x: float, y: float, heading: float = 0.0, **kwargs) -> Driver:
    return Driver(x=x, y=y, heading=heading, **{"tool": BROOM, **kwargs})


def _drive(world: World, vx: float, vy: float, steps: int) -> None:
    """Drive at ``(vx, vy)`` in the world's frame."""
    for _ in range(steps):
        world.step(world.agent.frame(vx, vy))


# -- determinism ------------------------------------------------------------------------------


def test_same_spec_and_actions_give_bit_identical_trajectories():
    assert trajectory_hash(4) == trajectory_hash(4)


def test_different_actions_give_different_trajectories():
    assert trajectory_hash(4) != trajectory_hash(5)


def test_busy_scene_exercises_every_event():
    """The determinism tests prove little unless the trajectory captures, sweeps and enters."""
    world = World(busy_spec(4))
    for action in np.random.default_rng(1004).uniform(-1, 1, size=(150, 2)).tolist():
        world.step(tuple(action))
    events = world.events
    assert events.contacts[("broom", "dust")] > 0 and events.contacts[("broom", "stain")] > 0
    assert events.captures["pan"] > 0 and events.captures["chute"] > 0
    assert events.entries[("pan", "dust")] > 0 and events.entries[("hallway", "outside")] > 0


def test_trajectory_is_unchanged_by_building_other_worlds_in_between():
    first = trajectory_hash(6)
    for seed in (1, 2, 3):
        other = World(busy_spec(seed))
        _drive(other, 0.7, -0.4, 30)
    assert trajectory_hash(6) == first


def test_interleaved_worlds_step_independently():
    spec = busy_spec(8)
    actions = np.random.default_rng(0).uniform(-1, 1, size=(80, 2)).tolist()
    alone = World(spec)
    for ahead, left in actions:
        alone.step((ahead, left))
    a, b = World(spec), World(spec)
    for ahead, left in actions:
        a.step((ahead, left))
        b.step((-left, ahead))  # a different world stepping at the same time
    assert np.array_equal(a.positions, alone.positions, equal_nan=True)
    assert a.agent.position == alone.agent.position and a.agent.heading == alone.agent.heading
    assert a.events == alone.events and a.events != b.events


def test_stepping_chipmunk_directly_matches_pymunks_space_step(monkeypatch):
    """The world calls chipmunk's step without pymunk's wrapper (see ``sandbox.world._space_step``);
    a pymunk upgrade that made the two differ must show here."""
    direct = trajectory_hash(11)
    spaces, calls = {}, []

    def wrapped(handle, dt):
        calls.append(dt)
        spaces[handle].step(dt)

    original_init = World.__init__

    def init(self, spec):
        original_init(self, spec)
        spaces[self.space._space] = self.space

    monkeypatch.setattr(World, "__init__", init)
    monkeypatch.setattr("sandbox.world._space_step", wrapped)
    assert trajectory_hash(11) == direct
    assert len(calls) == 150 * 8  # pymunk's step was the one used: 150 agent steps of 8 substeps


def test_batched_state_read_agrees_with_pymunks_bodies():
    """The world reads its state through chipmunk's batched iterator (see ``World._read_state``);
    what it reads must be what pymunk's own body properties say, also after a capture has
    removed a body and moving entities sit between fixed ones."""
    spec = _box(
        Body(x=2.0, y=3.0, tags=("dust",)),
        Body(x=4.0, y=4.0, motion="static", tags=("stain",)),
        Body(x=3.0, y=2.0, tags=("dust",)),
        _driver(1.0, 3.0),
        Body(x=2.0, y=4.5, motion="kinematic", velocity=(0.3, 0.0), tags=("cart",)),
        Region(name="pan", x0=3.6, y0=2.5, x1=4.6, y1=3.5),
    )
    world = World(spec)
    agent = world.agent.body
    for step in range(30):
        world.step((1.0, 0.0))
        assert world.agent.state == (*agent.position, agent.angle, *agent.velocity)
        dynamic = sorted(tuple(b.position) for b in world.space.bodies if b.body_type == b.DYNAMIC and b is not agent)
        assert sorted(map(tuple, world.where("dust").tolist())) == dynamic, step
        (cart,) = (b for b in world.space.bodies if b.body_type == b.KINEMATIC and b.velocity == (0.3, 0.0))
        assert world.where("cart").tolist() == [list(cart.position)], step
    assert world.events.captures["pan"] == 1  # the read was checked across a removal


def test_trajectory_is_bit_identical_across_processes(tmp_path):
    script = TRAJECTORY_SCRIPT + "\nprint(trajectory_hash(4))\nprint(trajectory_hash(9))\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [trajectory_hash(4), trajectory_hash(9)]


def test_world_is_built_only_from_a_scene_spec():
    from sandbox import SandboxError

    with pytest.raises(SandboxError, match=r"built from a SceneSpec, got dict; build one with SceneSpec"):
        World({"width": 1.0})  # type: ignore[arg-type]


def test_scene_without_an_agent_builds_but_cannot_step():
    from sandbox import SandboxError

    world = World(_box(Body(x=1.0, y=1.0)))
    assert world.agent is None
    assert world.positions[-1].tolist() == [1.0, 1.0]
    with pytest.raises(SandboxError, match="no agent body to act; add a Driver or a Platformer"):
        world.step((0.0, 0.0))


# -- captures and fixed bodies -----------------------------------------------------------------


def test_body_pushed_into_a_capturing_region_is_removed_and_counted():
    spec = _box(
        _driver(1.0, 3.0),
        Body(x=2.0, y=3.0, tags=("dust",)),
        Body(x=2.0, y=5.0, tags=("dust",)),
        Region(name="pan", x0=4.0, y0=2.5, x1=5.0, y1=3.5),
        Region(name="chute", x0=0.2, y0=0.2, x1=0.8, y1=0.8),
    )
    world = World(spec)
    dust = world.tagged("dust").tolist()
    assert dust == [5, 6]
    assert world.events.captures == {} and world.where("dust").shape == (2, 2)
    _drive(world, 1.0, 0.0, 30)
    assert world.events.captures == {"pan": 1}
    assert world.events.captured == {"dust": 1}
    assert [world.captured_by[i] for i in dust] == ["pan", None]
    assert [bool(world.present[i]) for i in dust] == [False, True]
    assert np.isnan(world.positions[5]).all()
    assert world.positions[6].tolist() == [2.0, 5.0]
    assert world.where("dust").tolist() == [[2.0, 5.0]]
    assert world.tagged("dust").tolist() == dust  # captured bodies keep their place in the spec
    assert world.pose(5) is None
    live = [shape.body for shape in world.space.shapes if shape.body is not world.space.static_body]
    assert all(body in world.space.bodies for body in live)
    assert len(world.space.bodies) == 3  # control body, driver, the one body left
    _drive(world, 1.0, 0.0, 10)
    assert world.events.captures == {"pan": 1}  # counted once


def test_non_capturing_region_leaves_bodies_on_the_floor():
    spec = _box(
        _driver(1.0, 3.0),
        Body(x=2.0, y=3.0, tags=("dust",)),
        Region(name="hall", x0=3.5, y0=2.0, x1=5.5, y1=4.0, captures=False),
    )
    world = World(spec)
    _drive(world, 1.0, 0.0, 20)
    assert world.events.captures == {}
    assert world.present.tolist()[-2] is True
    assert world.regions["hall"].contains(*world.where("dust")[0])
    assert world.events.entries[("hall", "dust")] == 1


def test_body_starting_inside_a_capturing_region_is_captured_on_the_first_step():
    spec = _box(_driver(1.0, 1.0), Body(x=4.5, y=4.5), Region(name="pan", x0=4.0, y0=4.0, x1=5.0, y1=5.0))
    world = World(spec)
    world.step((0.0, 0.0))
    assert world.events.captures == {"pan": 1}


def test_static_body_never_moves_and_is_never_captured():
    spec = _box(
        _driver(1.0, 3.0),
        Body(x=2.0, y=3.0, motion="static", tags=("stain",)),
        Region(name="pan", x0=1.8, y0=2.8, x1=2.2, y1=3.2),  # the stain lies inside a capturing region
    )
    world = World(spec)
    stain = int(world.tagged("stain")[0])
    for vx, vy in [(1.0, 0.0)] * 20 + [(1.0, 0.3)] * 10 + [(-1.0, 0.0)] * 5 + [(1.0, -0.2)] * 15:
        world.step(world.agent.frame(vx, vy))
        assert world.where("stain").tolist() == [[2.0, 3.0]]
    assert world.events.captures == {}
    assert world.captured_by[stain] is None and world.present[stain]
    assert world.events.contacts[("broom", "stain")] >= 1  # the driver did push against it
    assert math.dist(world.agent.position, (2.0, 3.0)) > 0.25  # and it stayed solid


def test_present_mask_is_read_only():
    world = World(_box(_driver(1.0, 1.0), Body(x=3.0, y=3.0)))
    with pytest.raises(ValueError):
        world.present[-1] = False


def test_positions_are_a_fresh_copy_each_time():
    world = World(_box(_driver(1.0, 1.0), Body(x=3.0, y=3.0)))
    before = world.positions
    before[-1] = (9.0, 9.0)
    assert world.positions[-1].tolist() == [3.0, 3.0]


def test_walls_have_no_position_and_regions_sit_at_their_centre():
    world = World(_box(_driver(1.0, 1.0), Region(name="pan", x0=1.0, y0=2.0, x1=3.0, y1=4.0)))
    assert np.isnan(world.positions[:4]).all()
    assert world.positions[-1].tolist() == [2.0, 3.0]
    assert world.pose(0) is None


def test_unknown_region_name_lists_the_scenes_regions():
    from sandbox import SandboxError

    world = World(_box(_driver(1.0, 1.0), Region(name="pan", x0=1.0, y0=2.0, x1=3.0, y1=4.0)))
    assert world.region("pan") is world.spec.entities[-1]
    with pytest.raises(SandboxError, match=r"no region 'bin'; its regions are \['pan'\]"):
        world.region("bin")


# -- tool contacts -------------------------------------------------------------------------------


def test_tool_contacts_count_contact_begins_not_contact_duration():
    world = World(_box(_driver(1.0, 3.0), Body(x=2.0, y=3.0, motion="static", tags=("stain",))))
    assert world.events.contacts[("broom", "stain")] == 0
    _drive(world, 1.0, 0.0, 15)
    assert world.events.contacts[("broom", "stain")] == 1  # pressed against the stain for many steps: one contact
    _drive(world, -1.0, 0.0, 5)  # back off (reversing)
    assert world.events.contacts[("broom", "stain")] == 1
    _drive(world, 1.0, 0.0, 10)
    assert world.events.contacts[("broom", "stain")] == 2


def test_chassis_contact_is_not_a_tool_contact():
    world = World(_box(_driver(2.0, 3.0), Body(x=1.2, y=3.0, motion="static", tags=("stain",))))
    _drive(world, -1.0, 0.0, 10)  # back into the stain: the chassis touches it, the broom does not
    assert world.agent.position[0] > 1.2 + 0.25
    assert world.agent.position[0] < 1.7  # it did reach the stain
    assert world.events.contacts[("broom", "stain")] == 0
    assert world.events.contacts[("agent", "stain")] == 1


def test_driver_without_a_tool_never_counts_tool_contacts():
    world = World(_box(Driver(x=1.0, y=3.0), Body(x=2.0, y=3.0, tags=("dust",))))
    _drive(world, 1.0, 0.0, 20)
    assert [pair for pair in world.events.contacts if pair[0] != "agent"] == []
    assert world.where("dust")[0][0] > 2.5  # pushed by the chassis instead


def test_wall_contacts_are_not_counted():
    world = World(_box(_driver(3.0, 3.0)))
    _drive(world, 1.0, 0.0, 40)  # drives into the east wall
    assert world.agent.position[0] > 5.0
    assert world.events.contacts == {}


# -- driving ------------------------------------------------------------------------------------


@pytest.mark.parametrize("heading", [0.0, 1.0, -2.5])
def test_driver_reverses_rather_than_turning_around(heading):
    world = World(_box(_driver(3.0, 3.0, heading)))
    back = (-math.cos(heading), -math.sin(heading))
    _drive(world, *back, 6)
    turned = (world.agent.heading - heading + math.pi) % (2 * math.pi) - math.pi
    assert abs(turned) < 0.3
    moved = np.subtract(world.agent.position, (3.0, 3.0))
    assert float(moved @ back) > 0.5  # it did drive backwards


def test_driver_turns_to_face_a_sideways_command():
    world = World(_box(_driver(3.0, 3.0)))
    _drive(world, 0.0, 1.0, 20)  # it turns at about 1.2 rad/s
    assert abs(world.agent.heading - math.pi / 2) < 0.3
    assert world.agent.position[1] > 3.5


def test_small_command_keeps_the_heading():
    world = World(_box(_driver(3.0, 3.0, 0.4)))
    _drive(world, 0.0, -0.05, 5)
    assert world.agent.heading == pytest.approx(0.4, abs=1e-6)


def test_walls_keep_the_driver_inside():
    world = World(_box(_driver(3.0, 3.0)))
    _drive(world, 1.0, 0.0, 60)
    x, y = world.agent.position
    assert 5.0 < x < 6.0 - 0.25 + 0.05
    assert world.steps == 60


def test_wall_opening_lets_the_driver_through():
    door = Wall(x0=0, y0=3, x1=6, y1=3, openings=((0.35, 0.65),))
    closed = Wall(x0=0, y0=3, x1=6, y1=3)
    for wall, through in [(door, True), (closed, False)]:
        spec = SceneSpec(width=6.0, height=6.0, entities=(wall, _driver(3.0, 1.5, math.pi / 2)))
        world = World(spec)
        _drive(world, 0.0, 1.0, 25)
        assert (world.agent.position[1] > 3.5) is through


@pytest.mark.parametrize("heading", [0.0, math.pi / 2, -2.5])
def test_step_commands_are_in_the_drivers_frame(heading):
    world = World(_box(_driver(3.0, 3.0, heading)))
    for _ in range(5):
        world.step((1.0, 0.0))  # straight ahead, whichever way the driver faces
    moved = np.subtract(world.agent.position, (3.0, 3.0))
    assert moved @ (math.cos(heading), math.sin(heading)) > 0.5
    assert abs(moved @ (-math.sin(heading), math.cos(heading))) < 0.05


def test_driver_reaches_its_top_speed():
    world = World(_box(_driver(1.0, 3.0, max_speed=1.2)))
    for _ in range(5):
        world.step((1.0, 0.0))
    assert math.hypot(*world.agent.velocity) == pytest.approx(1.2, rel=0.02)
    assert world.agent.frame(*world.agent.velocity)[0] == pytest.approx(1.2, rel=0.02)  # all of it ahead
    assert world.agent.command == (1.0, 0.0)


def test_frame_turns_world_vectors_into_ahead_and_left():
    world = World(_box(_driver(3.0, 3.0, math.pi / 2)))
    ahead, left = world.agent.frame(0.0, 1.0)
    assert (ahead, left) == pytest.approx((1.0, 0.0))
    assert world.agent.frame(1.0, 0.0) == pytest.approx((0.0, -1.0))  # east is to its right


# -- damping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("damping", [1.0, 0.5, 0.05])
def test_damping_is_the_fraction_of_a_free_bodys_speed_left_after_a_second(damping):
    """A body coasting from 1 m/s covers the integral of ``damping ** t`` over one second."""
    spec = _box(_driver(1.0, 1.0), Body(x=1.0, y=4.0, velocity=(1.0, 0.0)), damping=damping)
    world = World(spec)
    for _ in range(10):  # 10 agent steps of 0.1 s
        world.step((0.0, 0.0))
    travelled = world.positions[-1][0] - 1.0
    expected = 1.0 if damping == 1.0 else (damping - 1.0) / math.log(damping)
    assert travelled == pytest.approx(expected, rel=0.02)


def test_damping_outside_the_unit_interval_is_refused():
    with pytest.raises(SpecError, match=r"damping must be in \(0, 1\] \(1: no damping\), got 0.0"):
        _box(_driver(1.0, 1.0), damping=0.0)
