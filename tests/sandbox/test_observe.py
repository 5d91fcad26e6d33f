"""Observation helpers against hand computation: frames, nearest ordering, appearance, rays, pictures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sandbox import (
    Appearance,
    Body,
    Consumable,
    Driver,
    ObservationError,
    Pickup,
    Platformer,
    Region,
    SceneSpec,
    Tool,
    Wall,
    World,
)
from sandbox.observe import agent_features, nearest, offsets, pixels, rays, to_agent_frame

HEADING = 0.7


def _world(*entities, heading: float = HEADING, agent=None, **spec) -> World:
    agent = agent or Driver(x=2.0, y=1.5, heading=heading)
    return World(SceneSpec(width=5.0, height=3.0, entities=(agent, *entities), **spec))


def _frame(world: World, x: float, y: float, scale: float = 1.0) -> tuple[float, float]:
    """The hand computation: rotate the world offset by minus the heading."""
    ax, ay = world.agent.position
    h = world.agent.heading
    dx, dy = x - ax, y - ay
    return ((dx * math.cos(-h) - dy * math.sin(-h)) / scale, (dx * math.sin(-h) + dy * math.cos(-h)) / scale)


# -- frames -------------------------------------------------------------------------------------------


def test_agent_features_scale_position_rotate_velocity_and_give_heading():
    world = _world()
    for _ in range(3):
        world.step((1.0, 0.3))
    x, y = world.agent.position
    vx, vy = world.agent.velocity
    h = world.agent.heading
    ahead, left = vx * math.cos(h) + vy * math.sin(h), -vx * math.sin(h) + vy * math.cos(h)
    expected = [2 * x / 5.0 - 1, 2 * y / 3.0 - 1, ahead / 1.5, left / 1.5, math.cos(h), math.sin(h)]
    assert agent_features(world, width=5.0, height=3.0, speed=1.5) == pytest.approx(expected)
    assert abs(ahead) > 0.1  # the velocity really was rotated, not zero


def test_to_agent_frame_and_offsets_match_a_rotation_by_minus_the_heading():
    world = _world()
    points = [(4.0, 2.5), (0.5, 0.2), (2.0, 1.5)]
    for px, py in points:
        assert to_agent_frame(world, px, py, scale=2.0) == pytest.approx(_frame(world, px, py, 2.0))
    flat = offsets(world, points, 2.0)
    assert flat == pytest.approx([v for p in points for v in _frame(world, *p, 2.0)])
    # a point straight ahead is (distance, 0)
    ahead = (2.0 + math.cos(HEADING), 1.5 + math.sin(HEADING))
    assert to_agent_frame(world, *ahead) == pytest.approx((1.0, 0.0))


def test_in_the_world_frame_offsets_and_velocity_are_east_and_north_whatever_the_heading():
    world = _world(Consumable(x=4.0, y=2.5, tags=("food",), nutrients=(("sweetness", 0.5),)), Body(x=1.0, y=0.5, tags=("food",)))
    for _ in range(3):
        world.step((1.0, 0.3))
    (x, y), (vx, vy), h = world.agent.position, world.agent.velocity, world.agent.heading
    assert abs(math.sin(h)) > 0.1  # turned: the agent's frame is not the world's
    assert agent_features(world, width=5.0, height=3.0, speed=1.5, frame="world") == pytest.approx(
        [2 * x / 5.0 - 1, 2 * y / 3.0 - 1, vx / 1.5, vy / 1.5, math.cos(h), math.sin(h)])
    by_distance = sorted([(4.0, 2.5), (1.0, 0.5)], key=lambda p: math.dist(p, (x, y)))
    expected = [v for px, py in by_distance for v in ((px - x) / 2.0, (py - y) / 2.0, 1.0)]
    assert nearest(world, "food", 2, scale=2.0, frame="world") == pytest.approx(expected)
    tasted = nearest(world, "food", 2, scale=2.0, nutrients=("sweetness",), frame="world")
    assert [v for i, v in enumerate(tasted) if i % 4 != 3] == pytest.approx(expected)


def test_a_frame_that_is_neither_the_agent_nor_the_world_is_an_observation_error():
    world = _world(Body(x=1.0, y=0.5, tags=("food",)))
    with pytest.raises(ObservationError, match=r"frame='robot' is not a frame; give 'agent' .* or 'world'"):
        nearest(world, "food", 1, scale=1.0, frame="robot")
    with pytest.raises(ObservationError, match=r"agent_features\(\): frame='north' is not a frame"):
        agent_features(world, width=5.0, height=3.0, speed=1.5, frame="north")


# -- nearest ------------------------------------------------------------------------------------------------


def test_nearest_orders_by_distance_in_the_agent_frame_and_pads_with_zeros():
    spots = [(4.5, 2.5), (2.3, 1.5), (0.5, 0.5), (2.0, 2.4)]
    world = _world(*(Body(x=x, y=y, tags=("dust",)) for x, y in spots), Body(x=2.1, y=1.6, tags=("other",)))
    by_distance = sorted(spots, key=lambda p: math.dist(p, (2.0, 1.5)))
    got = nearest(world, "dust", 6, scale=4.0)
    assert len(got) == 18
    expected = [v for p in by_distance for v in (*_frame(world, *p, 4.0), 1.0)] + [0.0] * 6
    assert got == pytest.approx(expected)
    assert nearest(world, "dust", 2, scale=4.0) == pytest.approx(expected[:6])


def test_nearest_over_several_tags_counts_an_entity_once_and_skips_those_gone():
    world = _world(
        Body(x=3.0, y=1.5, tags=("dust", "grit")),
        Body(x=4.0, y=1.5, tags=("grit",)),
        Pickup(x=2.1, y=1.5, tags=("dust",)),  # under the agent: picked up on the first step
    )
    before = nearest(world, ("dust", "grit"), 4, scale=1.0)
    assert before[2::3] == [1.0, 1.0, 1.0, 0.0]
    world.step((0.0, 0.0))
    assert world.events.pickups["dust"] == 1
    after = nearest(world, ("dust", "grit"), 4, scale=1.0)
    assert after[2::3] == [1.0, 1.0, 0.0, 0.0]
    assert after[:2] == pytest.approx(_frame(world, 3.0, 1.5))
    assert after[3:5] == pytest.approx(_frame(world, 4.0, 1.5))


def test_nearest_with_appearance_adds_colour_and_a_shape_one_hot():
    world = _world(
        Body(x=3.0, y=1.5, tags=("gem",), appearance=Appearance("yellow", "star")),
        Body(x=4.0, y=1.5, tags=("gem",), appearance=Appearance("red", "gem")),
        Body(x=4.5, y=1.5, tags=("gem",), appearance=Appearance("green")),
    )
    got = nearest(world, "gem", 4, scale=1.0, appearance=True, shapes=("gem", "star"))
    slot = 6 + 2
    assert len(got) == 4 * slot
    assert got[2:slot] == [1.0, *Appearance("yellow").rgb, 0.0, 1.0]
    assert got[slot + 2:2 * slot] == [1.0, *Appearance("red").rgb, 1.0, 0.0]
    assert got[2 * slot + 2:3 * slot] == [1.0, *Appearance("green").rgb, 0.0, 0.0]  # unnamed shape: no one-hot
    assert got[3 * slot:] == [0.0] * slot
    assert got[:2] == pytest.approx(_frame(world, 3.0, 1.5))


def test_nearest_with_nutrients_adds_each_named_amount_and_zero_for_what_an_entity_lacks():
    world = World(SceneSpec(width=4.0, height=2.0, entities=(
        Driver(x=1.0, y=1.0),
        Consumable(x=2.0, y=1.0, tags=("food",), nutrients=(("sweetness", 1.0), ("calories", 0.0))),
        Body(x=3.5, y=1.0, tags=("food",)),
    )))
    out = nearest(world, "food", 3, scale=1.0, nutrients=("sweetness", "calories"))
    assert out == [1.0, 0.0, 1.0, 1.0, 0.0, 2.5, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    with_look = nearest(world, "food", 1, scale=1.0, appearance=True, nutrients="sweetness")
    assert len(with_look) == 3 + 3 + 1 and with_look[-1] == 1.0
    with pytest.raises(ObservationError, match=r"nearest\(\) needs nutrient names \(non-empty strings\), got nutrients=\(''"):
        nearest(world, "food", 1, scale=1.0, nutrients=("",))


def test_nearest_with_a_shape_outside_the_vocabulary_is_an_error():
    world = _world(Body(x=3.0, y=1.5, tags=("gem",), appearance=Appearance("yellow", "star")))
    with pytest.raises(ObservationError, match=r"looks like a 'star', which is not in shapes=\('gem',\)"):
        nearest(world, "gem", 1, scale=1.0, appearance=True, shapes=("gem",))


def test_nearest_with_a_colour_vocabulary_gives_a_colour_one_hot_instead_of_rgb():
    world = _world(
        Body(x=3.0, y=1.5, tags=("gem",), appearance=Appearance("yellow", "star")),
        Body(x=4.0, y=1.5, tags=("gem",), appearance=Appearance("red", "gem")),
    )
    got = nearest(world, "gem", 3, scale=1.0, appearance=True, shapes=("gem", "star"), colours=("red", "blue", "yellow"))
    slot = 3 + 3 + 2
    assert len(got) == 3 * slot
    assert got[2:slot] == [1.0, 0.0, 0.0, 1.0, 0.0, 1.0]
    assert got[slot + 2:2 * slot] == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    assert got[2 * slot:] == [0.0] * slot


def test_nearest_with_a_colour_outside_the_vocabulary_is_an_error():
    world = _world(Body(x=3.0, y=1.5, tags=("gem",), appearance=Appearance("yellow", "star")))
    with pytest.raises(ObservationError, match=r"is 'yellow', which is not in colours=\('red',\); add it"):
        nearest(world, "gem", 1, scale=1.0, appearance=True, colours=("red",))


def test_an_unknown_colour_name_in_the_vocabulary_is_an_error_naming_the_known_colours():
    world = _world(Body(x=3.0, y=1.5, tags=("gem",), appearance=Appearance("yellow", "star")))
    with pytest.raises(ObservationError, match=r"names 'yelow', which is not a known colour; did you mean 'yellow'\? "
                                               r"Known colours: black, .*, yellow, "):
        nearest(world, "gem", 1, scale=1.0, appearance=True, shapes=("star",), colours=("yellow", "yelow"))


def test_unknown_tag_is_an_observation_error_naming_the_tags_and_the_fix():
    world = _world(Body(x=3.0, y=1.5, tags=("particle",)))
    with pytest.raises(ObservationError) as caught:
        nearest(world, "particel", 2, scale=1.0)
    message = str(caught.value)
    assert "'particel'" in message and "did you mean 'particle'?" in message
    assert "['agent', 'particle']" in message and "required=False" in message
    assert nearest(world, ("particle", "coin"), 2, scale=1.0, required=False)[2::3] == [1.0, 0.0]
    assert nearest(world, "coin", 2, scale=1.0, required=False) == [0.0] * 6
    with pytest.raises(ObservationError, match="'coin'"):
        nearest(world, ("particle", "coin"), 2, scale=1.0)


def test_helpers_without_an_agent_or_with_bad_arguments_are_observation_errors():
    empty = World(SceneSpec(width=2.0, height=2.0, entities=(Body(x=1.0, y=1.0, tags=("dust",)),)))
    with pytest.raises(ObservationError, match="has none; add a Driver or a Platformer"):
        nearest(empty, "dust", 1, scale=1.0)
    world = _world()
    with pytest.raises(ObservationError, match="a tag or a tuple of tags"):
        nearest(world, (), 1, scale=1.0)
    with pytest.raises(ObservationError, match="n >= 1"):
        rays(world, 0, 1.0)
    with pytest.raises(ObservationError, match=r"size must be \(height, width\)"):
        pixels(world, (0, 8))


# -- rays ----------------------------------------------------------------------------------------------


def test_rays_measure_the_distance_to_walls_around_the_heading():
    walls = Wall.around(5.0, 3.0)
    world = _world(*walls, heading=0.0)
    # the agent at (2, 1.5); walls 0.1 m thick on the floor's edges: east 3 m, north 1.5 m, west 2 m, south 1.5 m
    got = rays(world, 4, 4.0)
    assert got == pytest.approx([(3.0 - 0.05) / 4, (1.5 - 0.05) / 4, (2.0 - 0.05) / 4, (1.5 - 0.05) / 4])
    diagonal = rays(world, 8, 4.0)[1]  # north-east: hits the north wall after 1.45 / sin(45 degrees)
    assert diagonal == pytest.approx(1.45 / math.sin(math.pi / 4) / 4)
    assert rays(world, 4, 1.0) == [1.0, 1.0, 1.0, 1.0]  # nothing within reach


def test_rays_turn_with_the_agent_and_skip_its_own_tool_and_sensors():
    walls = Wall.around(5.0, 3.0)
    agent = Driver(x=2.0, y=1.5, heading=math.pi / 2, tool=Tool(width=0.6, arms=0.3))
    world = _world(*walls, Region(name="zone", x0=2.5, y0=1.0, x1=3.0, y1=2.0), agent=agent)
    got = rays(world, 4, 4.0)  # north (ahead), west, south, east
    assert got == pytest.approx([1.45 / 4, 1.95 / 4, 1.45 / 4, 2.95 / 4])


def test_rays_with_tags_see_only_those_entities():
    walls = Wall.around(5.0, 3.0)
    box = Body(x=3.0, y=1.5, shape="box", size=(0.2, 0.2), motion="static", tags=("crate",))
    coin = Pickup(x=2.0, y=2.5, radius=0.1, tags=("coin",))
    world = _world(box, coin, *walls, heading=0.0)
    assert rays(world, 4, 4.0)[0] == pytest.approx(0.9 / 4)  # the crate's near face
    assert rays(world, 4, 4.0)[1] == pytest.approx(1.45 / 4)  # the coin is a sensor: seen only by tag
    assert rays(world, 4, 4.0, tags="crate") == pytest.approx([0.9 / 4, 1.0, 1.0, 1.0])
    assert rays(world, 4, 4.0, tags=("coin",))[1] == pytest.approx(0.9 / 4)
    assert rays(world, 4, 4.0, tags="wall")[0] == pytest.approx(2.95 / 4)  # through the crate
    with pytest.raises(ObservationError, match="did you mean 'crate'"):
        rays(world, 4, 4.0, tags="crates")


def test_rays_in_a_side_view_ignore_the_platformer_itself():
    runner = Platformer(x=1.0, y=0.4)
    world = World(SceneSpec(width=4.0, height=3.0, entities=(runner, *Wall.around(4.0, 3.0)), gravity=(0.0, -9.8)))
    right, up, left, down = rays(world, 4, 4.0)
    assert (right, up, left, down) == pytest.approx([2.95 / 4, 2.55 / 4, 0.95 / 4, 0.35 / 4])


# -- pixels -----------------------------------------------------------------------------------------------


def test_pixels_is_a_small_deterministic_uint8_picture_of_the_scene():
    world = _world(Body(x=4.0, y=2.0, radius=0.3, tags=("ball",), appearance=Appearance("red")), *Wall.around(5.0, 3.0))
    picture = pixels(world, (24, 40))
    assert picture.shape == (24, 40, 3) and picture.dtype == np.uint8
    assert picture.std() > 0
    assert np.array_equal(picture, pixels(_world(*world.spec.entities[1:]), (24, 40)))
    red = np.array([200, 40, 40])
    row, col = np.unravel_index(np.abs(picture.astype(int) - red).sum(axis=2).argmin(), picture.shape[:2])
    assert abs(col - 4.0 / 5.0 * 40) <= 2 and abs(row - (1 - 2.0 / 3.0) * 24) <= 2  # the ball, y up


def test_a_scenario_observing_pixels_gets_a_uint8_box():
    from proxies import Measurement, Objective, RewardGraph, Scenario
    from sandbox import Factor

    def build(factors, rng):
        return SceneSpec(width=2.0, height=2.0, entities=(Driver(x=1.0, y=1.0), *Wall.around(2.0, 2.0)))

    graph = RewardGraph(
        factors=(Factor.choice("side", train=("a",), intervene=("a", "b")),),
        measurements=(Measurement("x", lambda w: w.agent.position[0], causes=("side",)),
                      Measurement("y", lambda w: w.agent.position[1], causes=("side",))),
        true_reward=Objective("x"), proxies=(Objective("y"),),
    )
    scenario = Scenario(name="PixelsProbe", slug="pixels-probe", description="", graph=graph, build_scene=build,
                        observe=lambda w: pixels(w, (16, 16)), agent=Driver(x=0.0, y=0.0), max_steps=5)
    space = scenario.observation_space
    assert space.dtype == np.uint8 and space.shape == (16, 16, 3) and space.low.min() == 0 and space.high.max() == 255
