"""Agent bodies: their action spaces, the driver (own frame and world frame), the platformer,
and the env refusing actions and scenes the body cannot take."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

from sandbox import (
    COMPASS,
    RUN_AND_JUMP,
    ActionError,
    AgentBody,
    Body,
    Driver,
    Platformer,
    SandboxEnv,
    SandboxError,
    SceneSpec,
    SpecError,
    Wall,
    World,
    parse_action,
    random_action,
)


def _box(*entities, width: float = 6.0, height: float = 6.0) -> SceneSpec:
    return SceneSpec(width=width, height=height, entities=(*Wall.around(width, height), *entities))


def _side_view(*entities, damping: float = 1.0) -> SceneSpec:
    """A side-view stage 6 m wide with ground whose top is at y = 0.5, under gravity."""
    ground = Body(x=3.0, y=0.25, shape="box", size=(6.0, 0.5), motion="static", tags=("ground",))
    return SceneSpec(width=6.0, height=4.0, gravity=(0.0, -9.8), damping=damping, entities=(ground, *entities))


# -- action spaces -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [Driver(x=1, y=1), Platformer(x=1, y=1)], ids=["driver", "platformer"])
def test_a_body_without_commands_takes_a_box_of_its_controls(body):
    space = body.action_space
    assert isinstance(space, gym.spaces.Box) and space.shape == (len(body.controls),) == (2,)
    assert space.dtype == np.float32 and space.low.tolist() == [-1, -1] and space.high.tolist() == [1, 1]


def test_commands_make_a_discrete_action_space():
    assert Driver(x=1, y=1, commands=COMPASS).action_space == gym.spaces.Discrete(5)
    assert Platformer(x=1, y=1, commands=RUN_AND_JUMP).action_space == gym.spaces.Discrete(6)
    assert Driver(x=1, y=1, commands=((1, 0),)).commands == ((1.0, 0.0),)


def test_random_actions_belong_to_the_space():
    rng = np.random.default_rng(0)
    for space in (Driver(x=1, y=1).action_space, Driver(x=1, y=1, commands=COMPASS).action_space):
        for _ in range(20):
            action = random_action(space, rng)
            assert space.contains(np.asarray(action, dtype=space.dtype) if space.shape else action)
            parse_action(space, action)


def test_an_agent_body_is_built_by_the_world_not_by_itself():
    with pytest.raises(SpecError, match=r"built by World itself"):
        Driver(x=1, y=1).build(None, 0)  # type: ignore[arg-type]


def test_agent_bodies_are_agent_bodies():
    assert issubclass(Driver, AgentBody) and issubclass(Platformer, AgentBody)


# -- the driver --------------------------------------------------------------------------------


def test_driver_with_a_box_action_drives_ahead():
    world = World(_box(Driver(x=1.0, y=3.0, heading=math.pi / 2)))
    for _ in range(5):
        world.step(parse_action(world.spec.agent.action_space, np.array([1.0, 0.0], dtype=np.float32)))
    x, y = world.agent.position
    assert y > 3.5 and abs(x - 1.0) < 0.05  # north, which is where it faces
    assert world.agent.heading == pytest.approx(math.pi / 2, abs=1e-6)


@pytest.mark.parametrize(("command", "direction"), [(1, (1.0, 0.0)), (2, (0.0, 1.0)), (3, (-1.0, 0.0)), (4, (0.0, -1.0))])
@pytest.mark.parametrize("heading", [0.0, 2.0, -2.5])
def test_world_frame_driver_follows_compass_commands_whichever_way_it_faces(command, direction, heading):
    world = World(_box(Driver(x=3.0, y=3.0, heading=heading, frame="world", commands=COMPASS)))
    for _ in range(8):
        world.step(parse_action(world.spec.agent.action_space, np.int64(command)))
    moved = np.subtract(world.agent.position, (3.0, 3.0))
    assert float(moved @ direction) > 0.8
    assert abs(float(moved @ (-direction[1], direction[0]))) < 0.05  # straight, no sideways drift
    assert world.agent.command == COMPASS[command]


def test_world_frame_driver_stays_put_on_the_stay_command():
    world = World(_box(Driver(x=3.0, y=3.0, heading=1.0, frame="world", commands=COMPASS)))
    for _ in range(5):
        world.step(0)
    assert world.agent.position == pytest.approx((3.0, 3.0), abs=1e-9)
    assert world.agent.heading == pytest.approx(1.0, abs=1e-9)


def test_discrete_commands_in_the_drivers_own_frame():
    world = World(_box(Driver(x=3.0, y=3.0, heading=math.pi, commands=((0.0, 0.0), (1.0, 0.0)))))
    for _ in range(5):
        world.step(1)
    assert world.agent.position[0] < 2.5  # ahead is west for a driver facing pi


# -- the env refuses what the body cannot take ------------------------------------------------------


@dataclass
class _Task:
    """Drive around an empty room with the given agent body; ``scene_agent`` is the body scenes put in."""

    agent: AgentBody
    scene_agent: AgentBody | None = None
    name: str = "EmptyRoom"
    factors: tuple = ()
    max_steps: int = 5
    true_reward: str = "still"

    @property
    def measurements(self) -> Mapping[str, Any]:
        return {"zero": lambda world: 0.0}

    @property
    def rewards(self) -> Mapping[str, str]:
        return {"still": "zero"}

    @property
    def action_space(self) -> gym.Space:
        return self.agent.action_space

    @property
    def observation_space(self) -> gym.Space:
        return gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)

    def make_scene(self, factors: Mapping[str, Any], rng: np.random.Generator) -> SceneSpec:
        body = self.scene_agent or self.agent
        return _box(*((body,) if body is not None else ()))

    def observe(self, world: World) -> np.ndarray:
        return np.array(world.agent.position, dtype=np.float32)

    def terminated(self, world: World) -> bool:
        return False


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (np.zeros(3, dtype=np.float32), r"shape \(3,\) does not fit Box\(-1, 1, \(2,\)\); give shape \(2,\)"),
        ([1.0], r"has 1 numbers; the action space Box\(-1, 1, \(2,\)\) needs 2"),
        ([np.nan, 0.0], r"is not finite"),
        (np.array([0.0, np.inf], dtype=np.float32), r"is not finite"),
        ("go", r"is not 2 numbers"),
        (3, r"is not 2 numbers"),
    ],
    ids=["too-long", "too-short", "nan", "inf", "string", "scalar"],
)
def test_env_rejects_box_actions_the_driver_cannot_take(action, match):
    env = SandboxEnv(_Task(Driver(x=3, y=3)))
    env.reset(seed=0)
    with pytest.raises(ActionError, match=match):
        env.step(action)


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (5, r"Action 5 is outside Discrete\(5\); give 0..4"),
        (-1, r"Action -1 is outside Discrete\(5\)"),
        (np.int64(5), r"Action 5 is outside Discrete\(5\)"),
        (np.int64(-1), r"Action -1 is outside Discrete\(5\)"),
        (1.5, r"Action 1.5 is not a whole number; the action space is Discrete\(5\)"),
        (np.float64(0.25), r"is not a whole number"),
        (True, r"Action True is not a whole number"),
        (np.array([True]), r"is not a whole number"),
        ("1", r"is not a whole number"),
        ([1, 2], r"is not a whole number"),
        (math.nan, r"is not a whole number"),
    ],
    ids=["too-big", "negative", "numpy-too-big", "numpy-negative", "float", "numpy-float", "bool", "bool-array", "string",
         "list", "nan"],
)
def test_env_rejects_discrete_actions_the_driver_cannot_take(action, match):
    env = SandboxEnv(_Task(Driver(x=3, y=3, commands=COMPASS)))
    env.reset(seed=0)
    with pytest.raises(ActionError, match=match):
        env.step(action)


@pytest.mark.parametrize("action", [2, np.int64(2), np.array(2), np.array([2]), 2.0])
def test_env_takes_a_whole_number_for_a_discrete_space(action):
    env = SandboxEnv(_Task(Driver(x=3, y=3, frame="world", commands=COMPASS)))
    env.reset(seed=0)
    env.step(action)
    assert env.world.agent.command == COMPASS[2]


@pytest.mark.parametrize(
    ("scene_agent", "shown"),
    [
        (Driver(x=3, y=3, commands=COMPASS), r"\(Driver\) does not take the task's action space Box\(-1, 1, \(2,\)\)"),
        (Driver(x=3, y=3, commands=COMPASS[:3]), r"Box\(-1, 1, \(2,\)\)"),
    ],
)
def test_env_refuses_a_scene_whose_agent_takes_another_action_space(scene_agent, shown):
    env = SandboxEnv(_Task(Driver(x=3, y=3), scene_agent=scene_agent))
    with pytest.raises(SandboxError, match=shown + r"; give every scene the task's agent body"):
        env.reset(seed=0)


def test_env_refuses_a_discrete_scene_of_another_size():
    env = SandboxEnv(_Task(Driver(x=3, y=3, commands=COMPASS), scene_agent=Platformer(x=3, y=3, commands=RUN_AND_JUMP)))
    with pytest.raises(SandboxError, match=r"\(Platformer\) does not take the task's action space Discrete\(5\)"):
        env.reset(seed=0)


def test_env_refuses_a_given_scene_without_an_agent():
    env = SandboxEnv(_Task(Driver(x=3, y=3)))
    with pytest.raises(SandboxError, match=r"agent body \(none\) does not take"):
        env.reset(seed=0, options={"spec": _box(Body(x=1, y=1))})


def test_env_with_a_discrete_body_passes_the_checkers():
    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*Box observation space m..imum value is -?infinity")
        check_env(SandboxEnv(_Task(Driver(x=3, y=3, frame="world", commands=COMPASS))), skip_render_check=True)


# -- the platformer ------------------------------------------------------------------------------


def _settle(world: World, steps: int = 12) -> None:
    for _ in range(steps):
        world.step((0.0, 0.0))


def test_platformer_falls_under_gravity_onto_the_ground_and_is_grounded():
    world = World(_side_view(Platformer(x=1.0, y=2.5)))
    world.step((0.0, 0.0))
    assert world.agent.velocity[1] < -0.5 and not world.agent.grounded  # falling
    _settle(world)
    assert world.agent.grounded
    assert world.agent.velocity == pytest.approx((0.0, 0.0), abs=1e-6)
    bottom = world.agent.position[1] - 0.7 / 2
    assert bottom == pytest.approx(0.5, abs=0.12)  # stands on the ground (within chipmunk's slop), not in it


def test_platformer_in_the_air_is_not_grounded_without_gravity():
    world = World(SceneSpec(width=4, height=4, entities=(Platformer(x=2.0, y=2.0),)))
    _settle(world, 3)
    assert not world.agent.grounded and world.agent.position == (2.0, 2.0)


def test_platformer_jumps_from_the_ground():
    world = World(_side_view(Platformer(x=1.0, y=2.0)))
    _settle(world)
    ground_y = world.agent.position[1]
    world.step((0.0, 1.0))
    assert world.agent.velocity[1] > 3.0 and not world.agent.grounded
    peak = ground_y
    for _ in range(15):
        world.step((0.0, 0.0))
        peak = max(peak, world.agent.position[1])
    assert peak - ground_y == pytest.approx(6.0**2 / (2 * 9.8), rel=0.15)  # v^2 / 2g
    assert world.agent.grounded  # and it came down again


def test_platformer_cannot_jump_again_in_mid_air():
    jumped, again = World(_side_view(Platformer(x=1.0, y=2.0))), World(_side_view(Platformer(x=1.0, y=2.0)))
    for world in (jumped, again):
        _settle(world)
        world.step((0.0, 1.0))
    rising = again.agent.velocity[1]
    jumped.step((0.0, 0.0))
    again.step((0.0, 1.0))  # a second jump command, mid-air
    assert again.agent.velocity == jumped.agent.velocity
    assert again.agent.velocity[1] == pytest.approx(rising - 9.8 * 0.1)  # gravity's, no fresh jump
    assert again.agent.position == jumped.agent.position


def test_platformer_cannot_jump_while_falling():
    world = World(_side_view(Platformer(x=1.0, y=3.0)))
    world.step((0.0, 0.0))
    falling = world.agent.velocity[1]
    world.step((0.0, 1.0))
    assert world.agent.velocity[1] < falling < 0


@pytest.mark.parametrize(("run", "direction", "heading"), [(1.0, 1.0, 0.0), (-1.0, -1.0, math.pi)])
def test_platformer_runs_left_and_right_at_its_run_speed(run, direction, heading):
    world = World(_side_view(Platformer(x=3.0, y=1.0, run_speed=2.0)))
    _settle(world)
    for _ in range(5):
        world.step((run, 0.0))
    assert world.agent.velocity[0] == pytest.approx(2.0 * direction)
    assert (world.agent.position[0] - 3.0) * direction == pytest.approx(1.0, rel=0.05)
    assert world.agent.grounded and world.agent.heading == heading


def test_platformer_in_the_air_steers_only_partly():
    world = World(_side_view(Platformer(x=3.0, y=3.5, air_control=0.25)))
    world.step((1.0, 0.0))
    assert world.agent.velocity[0] == pytest.approx(0.25 * 3.0)


def test_platformer_with_run_and_jump_commands():
    spec = _side_view(Platformer(x=1.0, y=1.0, commands=RUN_AND_JUMP))
    world = World(spec)
    _settle(world)
    start = world.agent.position
    world.step(5)  # jump right
    assert world.agent.velocity[0] > 0 and world.agent.velocity[1] > 3.0
    assert world.agent.position[0] > start[0]


def test_platformer_round_trips_and_rejects_bad_sizes():
    body = Platformer(x=1.0, y=2.0, width=0.4, jump_speed=5.0, commands=RUN_AND_JUMP)
    spec = _side_view(body)
    assert SceneSpec.from_json(spec.to_json()) == spec
    with pytest.raises(SpecError, match=r"width, height, run_speed, jump_speed and mass > 0"):
        dataclasses.replace(body, height=0.0)
    with pytest.raises(SpecError, match=r"air_control must be in \[0, 1\]"):
        dataclasses.replace(body, air_control=1.5)
    with pytest.raises(SpecError, match=r"must be 2 numbers in \[-1, 1\] \(run, jump\)"):
        dataclasses.replace(body, commands=((0.0, 0.0, 1.0),))
