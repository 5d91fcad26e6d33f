"""Driving primitives on small scenes: drive to a point, round a wall through a doorway, push a ball into a region."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sandbox import Body, Driver, Platformer, Region, SandboxError, SceneSpec, Tool, Wall, World
from sandbox.bodies.driving import (
    Floor,
    Pusher,
    action,
    back_off,
    carry,
    drive,
    forward,
    in_scoop,
    into,
    movable,
    push_direction,
    turn_angle,
)

SCOOP = Tool(arms=0.25)


def open_floor(*entities, driver: Driver | None = None) -> World:
    """A walled 4 x 3 m floor with a driver at (1, 1) facing east (5 agent steps a second)."""
    driver = driver or Driver(x=1.0, y=1.0, tool=SCOOP)
    return World(SceneSpec(width=4.0, height=3.0, entities=(*Wall.around(4.0, 3.0), *entities, driver),
                           physics_hz=40, control_hz=5))


def two_rooms(driver: Driver) -> World:
    """A 4 x 4 m floor split at y = 2 by a wall with a 1.2 m doorway in the middle."""
    walls = (*Wall.around(4.0, 4.0), Wall(x0=0.0, y0=2.0, x1=4.0, y1=2.0, openings=((0.35, 0.65),)))
    return World(SceneSpec(width=4.0, height=4.0, entities=(*walls, driver), physics_hz=40, control_hz=5))


def test_turn_angle_is_signed_and_wrapped():
    assert turn_angle(0.0, 0.0, 1.0) == pytest.approx(math.pi / 2)
    assert turn_angle(0.0, 0.0, -1.0) == pytest.approx(-math.pi / 2)
    assert turn_angle(3.0, 1.0, 0.0) == pytest.approx(-3.0)
    assert -math.pi <= turn_angle(-3.0, -1.0, -0.01) < math.pi


def test_drive_slows_down_near_the_point():
    world = open_floor()
    assert drive(world, 3.0, 1.0) == pytest.approx((1.0, 0.0))
    assert math.hypot(*drive(world, 1.2, 1.0)) == pytest.approx(0.8)
    assert drive(world, 1.0, 1.0) == (0.0, 0.0)


def test_drive_gets_the_driver_to_a_point():
    world = open_floor()
    for _ in range(25):
        world.step(tuple(action(world, drive(world, 3.0, 2.2)).tolist()))
    assert math.dist(world.agent.position, (3.0, 2.2)) < 0.1


def test_a_world_frame_driver_takes_the_command_as_its_action():
    world = open_floor(driver=Driver(x=1.0, y=1.0, heading=1.0, frame="world"))
    assert action(world, (0.5, -0.5)).tolist() == [0.5, -0.5]
    robot = open_floor(driver=Driver(x=1.0, y=1.0, heading=math.pi / 2))
    assert action(robot, (1.0, 0.0)) == pytest.approx([0.0, -1.0])  # east is to its right


def test_back_off_moves_away_from_the_heading():
    world = open_floor()  # facing east
    vx, vy = back_off(world, 0.5)
    assert vx < 0 and vy < 0  # backwards, to the right: its front swings left
    assert math.hypot(vx, vy) == pytest.approx(0.15)


def test_forward_turns_while_backing_off_with_no_room_and_drives_with_room():
    world = open_floor()  # facing east; told to go west
    vx, _ = forward(world, -1.0, 0.01, room=0.1)
    assert vx < 0 and math.hypot(*forward(world, -1.0, 0.01, room=0.1)) < 0.2
    ahead = forward(world, 1.0, 0.0, room=0.0)
    assert ahead == pytest.approx((1.0, 0.0))
    wide = forward(world, -1.0, 0.01, room=5.0)
    assert math.hypot(*wide) == pytest.approx(1.0) and abs(turn_angle(0.0, *wide)) <= 1.75 + 1e-9


def test_carry_turns_at_most_max_turn():
    world = open_floor()
    vx, vy = carry(world, 0.0, 1.0)
    assert math.atan2(vy, vx) == pytest.approx(0.9) and math.hypot(vx, vy) == pytest.approx(0.5)
    assert carry(world, 1.0, 0.1) == pytest.approx((math.cos(math.atan2(0.1, 1.0)), math.sin(math.atan2(0.1, 1.0))))


def test_in_scoop_is_between_the_head_and_the_arm_tips():
    world = open_floor()  # centre (1, 1), facing east; head at 0.25-0.33 m, arm tips at 0.58 m
    assert in_scoop(world, 1.45, 1.0, size=0.08)
    assert not in_scoop(world, 1.75, 1.0, size=0.08)  # beyond the tips
    assert not in_scoop(world, 0.55, 1.0, size=0.08)  # behind
    assert not in_scoop(world, 1.45, 1.28, size=0.08)  # at an arm
    assert in_scoop(world, 1.45, 1.28, size=0.08, inset=0.0)


def test_into_aims_at_the_nearest_point_inside_a_region():
    goal = Region(name="goal", x0=3.0, y0=1.0, x1=4.0, y1=2.0)
    assert into(goal, 1.0, 1.5) == pytest.approx((3.15, 1.5))
    assert into(goal, 5.0, 0.0) == pytest.approx((3.85, 1.15))


def test_floor_knows_where_the_driver_fits_and_which_lines_are_free():
    world = two_rooms(Driver(x=1.0, y=1.0))
    floor = Floor.of(world)
    assert floor.clear(1.0, 1.0) and not floor.clear(1.0, 1.8) and not floor.clear(0.2, 1.0)
    assert floor.clear(2.0, 2.0)  # in the doorway
    assert not floor.sees((1.0, 1.0), (1.0, 3.0))  # through the wall
    assert floor.sees((2.0, 1.0), (2.0, 3.0))  # through the doorway
    assert floor.passes((2.0, 1.0), (2.0, 3.0))
    assert floor.sees((1.5, 1.0), (1.5, 3.0)) and not floor.passes((1.5, 1.0), (1.5, 3.0))  # grazes the door post
    assert floor.fits_from((1.0, 1.0), 3.0, 1.5) and not floor.fits_from((1.0, 1.0), 1.0, 3.0)


def test_a_driver_may_start_or_end_next_to_a_wall_but_not_graze_one_on_the_way():
    world = two_rooms(Driver(x=1.0, y=1.0))
    floor = Floor.of(world)
    assert floor.passes((1.0, 0.3), (1.0, 1.5))  # starts touching the south wall, drives away
    assert floor.passes((1.0, 1.0), (1.0, 0.3))  # ends touching it
    assert floor.passes((0.3, 0.3), (0.3, 1.5))  # along the west wall, just touching it
    assert floor.sees((1.0, 1.0), (2.2, 3.0)) and not floor.passes((1.0, 1.0), (2.2, 3.0))  # the door post


def test_floor_is_built_once_per_scene():
    world = two_rooms(Driver(x=1.0, y=1.0))
    again = World(world.spec)
    assert Floor.of(again) is Floor.of(world)
    assert Floor.of(two_rooms(Driver(x=1.0, y=1.5))) is not Floor.of(world)


def test_episodes_in_lock_step_keep_their_floors_however_many_scenes():
    worlds = [two_rooms(Driver(x=1.0 + 0.05 * i, y=1.0)) for i in range(2 * Floor._CACHED)]  # more than the cache
    floors = [Floor.of(world) for world in worlds]
    assert all(Floor.of(world) is floor for world, floor in zip(worlds, floors))  # a step later: none rebuilt


def test_waypoint_goes_straight_when_it_can_and_through_the_doorway_when_not():
    world = two_rooms(Driver(x=1.0, y=1.0))
    floor = Floor.of(world)
    assert floor.waypoint((1.0, 1.0), (3.0, 1.5)) == (3.0, 1.5)
    x, y = floor.waypoint((1.0, 1.0), (1.0, 3.0))
    assert floor.passes((1.0, 1.0), (x, y)) and y > 1.0 and 1.4 < x < 2.6  # towards the doorway


def test_a_driver_following_waypoints_reaches_the_other_room():
    world = two_rooms(Driver(x=0.8, y=1.0, tool=SCOOP))
    floor, goal = Floor.of(world), (3.2, 3.2)
    for _ in range(60):
        world.step(tuple(action(world, drive(world, *floor.waypoint(world.agent.position, goal))).tolist()))
    assert math.dist(world.agent.position, goal) < 0.2


def test_push_direction_turns_along_a_wall_where_the_driver_cannot_get_behind():
    world = open_floor()
    ux, uy = push_direction(world, 2.0, 1.5, (3.5, 1.5), size=0.08)
    assert (ux, uy) == pytest.approx((1.0, 0.0))  # open floor: straight at the goal
    ux, uy = push_direction(world, 0.2, 1.5, (0.2, 0.3), size=0.08)  # against the west wall, goal south
    assert uy < -0.9 and ux < 0  # turned so that the driver fits behind (off the wall): along the wall
    assert Floor.of(world).clear(0.2 - 0.46 * ux, 1.5 - 0.46 * uy) and not Floor.of(world).clear(0.2, 1.96)


class ToTheGoal(Pusher):
    tag = "ball"

    def goal(self, world, x, y):
        return into(world.region("goal"), x, y)


def test_a_pusher_pushes_balls_into_a_region():
    balls = [Body(x=x, y=y, radius=0.08, tags=("ball",)) for x, y in ((2.0, 2.2), (1.6, 0.6), (2.4, 1.3))]
    world = open_floor(Region(name="goal", x0=3.3, y0=0.8, x1=3.95, y1=2.2), *balls)
    pusher = ToTheGoal()
    pusher.reset(world, np.random.default_rng(0))
    assert movable(world, "ball") == [5, 6, 7]
    for _ in range(100):
        world.step(tuple(pusher.act(np.zeros(1), world).tolist()))
        if world.events.captures["goal"] == 3:
            break
    assert world.events.captures["goal"] == 3


def test_a_pusher_leaves_alone_what_it_has_no_goal_for():
    class Nowhere(Pusher):
        tag = "ball"

        def goal(self, world, x, y):
            return None

    world = open_floor(Body(x=2.0, y=2.0, tags=("ball",)))
    pusher = Nowhere()
    pusher.reset(world, np.random.default_rng(0))
    assert pusher.act(np.zeros(1), world).tolist() == [0.0, 0.0]


def test_driving_primitives_need_a_driver():
    world = World(SceneSpec(width=4.0, height=3.0, entities=(Platformer(x=1.0, y=1.0),), gravity=(0.0, -9.8)))
    with pytest.raises(SandboxError, match="Driver"):
        forward(world, 1.0, 0.0, 1.0)
