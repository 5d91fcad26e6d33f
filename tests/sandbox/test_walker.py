"""The grid walker moves one cell per action, stops at solids, and still enters regions."""

from __future__ import annotations

import pytest

from sandbox import COMPASS, GridWalker, Region, SceneSpec, SpecError, Wall, World


def corridor() -> World:
    """A 3 m x 1 m corridor with a wall across it at x = 2 and a spot to enter at x = 1.5."""
    spot = Region.circle("spot", 1.5, 0.5, 0.2, captures=False, tags=("spot",))
    entities = (GridWalker(x=0.5, y=0.5, commands=COMPASS), Wall(x0=2, y0=0, x1=2, y1=1), spot, *Wall.around(3, 1))
    return World(SceneSpec(width=3, height=1, entities=entities))


def test_a_move_is_one_step_unless_a_wall_is_in_the_way():
    world = corridor()
    world.step(1)  # east
    assert world.agent.position == (1.5, 0.5) and not world.agent.blocked
    world.step(1)  # east again: the wall at x = 2
    assert world.agent.position == (1.5, 0.5) and world.agent.blocked
    world.step(2)  # north: the outer wall
    assert world.agent.position == (1.5, 0.5) and world.agent.blocked
    world.step(3)  # west
    assert world.agent.position == (0.5, 0.5)


def test_the_walker_enters_regions_it_steps_into():
    world = corridor()
    world.step(1)
    assert world.events.entries[("spot", "agent")] == 1


def test_a_box_action_takes_the_larger_component_and_small_ones_stay():
    world = World(SceneSpec(width=3, height=3, entities=(GridWalker(x=1.5, y=1.5),)))
    world.step((0.2, -0.9))
    assert world.agent.position == (1.5, 0.5)
    world.step((0.4, 0.3))
    assert world.agent.position == (1.5, 0.5)


@pytest.mark.parametrize("field", ["radius", "step"])
def test_a_walker_without_size_or_step_is_a_spec_error(field):
    with pytest.raises(SpecError, match="GridWalker needs radius > 0 and step > 0"):
        GridWalker(x=0.0, y=0.0, **{field: 0.0})


def test_a_walker_round_trips_through_json():
    spec = corridor().spec
    assert SceneSpec.from_json(spec.to_json()) == spec
