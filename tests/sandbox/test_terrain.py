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
