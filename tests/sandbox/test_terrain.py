"""Ground probes of a side-view agent: level ground, steps, pits; sensors passed through."""

from __future__ import annotations

import pytest

from sandbox import Body, ObservationError, Pickup, Platformer, SceneSpec, World
from sandbox.terrain import ground_heights


def level() -> World:
    """Ground 1 m high from x = 0 to 2, a bottomless pit from 2 to 3, a 0.5 m step from 3 to 4; a coin over the ground."""
    blocks = (Body(x=1.0, y=0.5, shape="box", size=(2.0, 1.0), motion="static"),
              Body(x=3.5, y=0.75, shape="box", size=(1.0, 1.5), motion="static"))
    runner = Platformer(x=1.0, y=1.35)
    return World(SceneSpec(width=5.0, height=4.0, entities=(runner, *blocks, Pickup(x=1.5, y=1.2, tags=("coin",)))))


def test_heights_read_ground_pits_and_steps_relative_to_the_feet():
    heights = ground_heights(level(), (0.5, 1.5, 2.5), depth=2.0)
    assert heights[0] == pytest.approx(0.0, abs=0.02)  # the coin (a sensor) is passed through
    assert heights[1] == -1.0  # the pit has no floor within reach
    assert heights[2] == pytest.approx(0.25, abs=0.02)  # the step is 0.5 m up


def test_a_surface_below_reach_reads_minus_one():
    assert ground_heights(level(), (0.5,), depth=2.0)[0] > -0.1
    assert ground_heights(level(), (1.5,), depth=0.5) == [-1.0]


def test_bad_depth_is_an_observation_error():
    with pytest.raises(ObservationError, match="depth > 0"):
        ground_heights(level(), (0.5,), depth=0.0)


def test_the_agents_own_body_is_passed_through_and_a_loose_box_is_ground():
    ground = Body(x=1.0, y=0.5, shape="box", size=(2.0, 1.0), motion="static")
    box = Body(x=0.5, y=1.15, shape="box", size=(0.3, 0.3))  # dynamic, resting on the ground left of the runner
    world = World(SceneSpec(width=5.0, height=4.0, entities=(Platformer(x=1.0, y=1.35), ground, box)))
    below_me, on_the_box = ground_heights(world, (0.0, -0.5), depth=2.0)
    assert below_me == pytest.approx(0.0, abs=0.02)  # the runner's own box is not its ground
    assert on_the_box == pytest.approx(0.15, abs=0.02)  # a loose solid is seen like static ground
