"""The layout check: bodies inside the floor, no solid bodies starting inside one another, a bounded entity count."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox import (
    MAX_ENTITIES,
    Body,
    Consumable,
    Driver,
    GeometryError,
    Lock,
    Pickup,
    Platformer,
    Region,
    SceneSpec,
    SpecError,
    Tool,
    Wall,
)
from sandbox.geometry import OVERLAP_TOLERANCE

ROOM = Wall.around(4.0, 3.0)
ROBOT = Driver(x=1.0, y=1.0)


def _scene(*entities, agent=ROBOT, **kwargs) -> SceneSpec:
    return SceneSpec(width=4.0, height=3.0, entities=(agent, *ROOM, *entities), **kwargs)


@pytest.mark.parametrize(
    "entities",
    [
        (),
        (Body(x=2.0, y=2.0), Body(x=2.3, y=2.0)),  # apart
        # statics may touch
        (Body(x=2.0, y=2.0, motion="static", shape="box", size=(1.0, 1.0)), Body(x=2.4, y=2.0, motion="static")),
        (Body(x=2.0, y=0.12, motion="static", shape="box", size=(0.6, 0.2)),),  # a static crate on the floor wall
        (Region(name="pan", x0=0.0, y0=0.0, x1=1.5, y1=1.5), Body(x=3.0, y=1.0)),  # a region over the robot
        (Pickup(x=1.1, y=1.0, tags=("key",)), Consumable(x=1.0, y=1.1, tags=("food",))),  # sensors over the robot
        (Body(x=1.0, y=1.2, sensor=True),),  # a sensor body
        (Body(x=2.0, y=2.0), Body(x=2.0 + 0.16 - OVERLAP_TOLERANCE / 2, y=2.0)),  # a resting contact
        (Body(x=0.125, y=1.5),),  # resting against the west wall
    ],
    ids=["empty", "apart", "statics", "crate", "region", "sensors", "sensor-body", "resting", "by-the-wall"],
)
def test_a_sound_layout_passes(entities):
    spec = _scene(*entities)
    assert spec.geometry_problems() == []
    spec.check_geometry()


@pytest.mark.parametrize(
    ("entities", "agent", "problem"),
    [
        ((), Driver(x=-1.0, y=1.0),
         r"Driver 'agent' \(entity 0\) at \(-1, 1\) reaches x -1.25..-0.75, outside the floor \[0, 4\] x \[0, 3\] m"),
        ((), Driver(x=1.0, y=2.9), r"Driver 'agent' \(entity 0\) at \(1, 2.9\) reaches y 2.65..3.15"),
        ((Body(x=4.5, y=1.0),), ROBOT, r"Body \(entity 5\) at \(4.5, 1\) reaches x 4.42..4.58, outside the floor"),
        ((Body(x=2.0, y=2.0, shape="box", size=(0.4, 0.4), angle=0.785),), Driver(x=3.0, y=1.0), None),
        ((Region(name="pit", x0=3.5, y0=1.0, x1=4.5, y1=2.0),), ROBOT,
         r"Region 'pit' \(entity 5\) at \(4, 1.5\) reaches x 3.5..4.5"),
        ((Pickup(x=1.0, y=3.05, tags=("key",)),), ROBOT, r"Pickup 'key' \(entity 5\) at \(1, 3.05\) reaches y 2.97..3.13"),
        ((Body(x=2.0, y=2.0), Body(x=2.05, y=2.0)), ROBOT,
         r"Body \(entity 5\) at \(2, 2\) starts 0.11 m deep inside Body \(entity 6\)"),
        ((Body(x=2.0, y=2.0, motion="static", radius=0.3),), Driver(x=2.2, y=2.0),
         r"Driver 'agent' \(entity 0\) .* deep inside Body"),
        ((Body(x=2.0, y=0.02),), ROBOT,
         r"Body \(entity 5\) at \(2, 0.02\) (reaches y -0.06..0.1|starts .* deep inside Wall 'wall')"),
        ((Lock(x=2.0, y=2.0, needs="key"), Body(x=2.02, y=2.0, motion="kinematic")), ROBOT, r"deep inside Lock"),
        ((Body(x=1.0, y=1.0),), ROBOT, r"starts 0.33 m deep inside"),
    ],
    ids=["agent-west", "agent-north", "body-east", "turned-box", "region", "pickup", "dynamic-pair", "agent-in-static",
         "in-a-wall", "kinematic-in-lock", "under-the-robot"],
)
def test_a_layout_that_cannot_be_simulated_as_meant_is_refused(entities, agent, problem):
    spec = _scene(*entities, agent=agent)
    if problem is None:  # a box turned 45 degrees reaches further than its half width: still inside here
        spec.check_geometry()
        return
    with pytest.raises(GeometryError, match=problem) as caught:
        spec.check_geometry()
    assert "Place every entity inside the floor" in str(caught.value) and "at most 2,000 entities" in str(caught.value)


def test_the_platformer_is_checked_by_its_box_and_may_stand_on_the_ground():
    ground = Wall(x0=0.0, y0=0.0, x1=6.0, y1=0.0)
    standing = SceneSpec(width=6.0, height=3.0, entities=(Platformer(x=1.0, y=0.41), ground), gravity=(0, -9.8), damping=1.0)
    standing.check_geometry()
    sunk = SceneSpec(width=6.0, height=3.0, entities=(Platformer(x=1.0, y=0.2), ground), gravity=(0, -9.8), damping=1.0)
    with pytest.raises(GeometryError, match=r"Platformer 'agent' \(entity 0\) at \(1, 0.2\) reaches y -0.17..0.57"):
        sunk.check_geometry()


def test_the_agents_tool_may_start_against_things():
    robot = Driver(x=1.0, y=1.0, tool=Tool(arms=0.25))
    _scene(Body(x=1.45, y=1.24), agent=robot).check_geometry()  # in the scoop's arm: it is pushed aside


def test_a_scene_with_more_entities_than_the_limit_is_refused_at_once(monkeypatch):
    import sandbox.world

    def no_world(spec):
        raise AssertionError("a world was built for a scene that is refused by its count alone")

    monkeypatch.setattr(sandbox.world, "World", no_world)
    dust = Body(x=1.0, y=1.0)
    with pytest.raises(GeometryError, match=r"The scene has 20,005 entities, more than the 2,000 a scene may hold"):
        _scene(*(dust.at(float(x), 2.0) for x in np.linspace(0.5, 3.5, 20_000))).check_geometry()
    monkeypatch.undo()
    assert MAX_ENTITIES == 2_000
    _scene(*(dust.at(0.5 + 0.1 * (i % 30), 1.5 + 0.15 * (i // 30)) for i in range(MAX_ENTITIES - 5 - 5)))


def test_a_spec_that_passed_is_not_checked_again(monkeypatch):
    import sandbox.geometry

    spec = _scene(Body(x=2.0, y=2.0))
    spec.check_geometry()
    monkeypatch.setattr(sandbox.geometry, "geometry_problems", lambda spec: ["checked again"])
    for _ in range(3):
        spec.check_geometry()
    with pytest.raises(GeometryError, match="checked again"):
        _scene(Body(x=2.0, y=2.0)).check_geometry()  # an equal spec not yet checked is checked
    monkeypatch.undo()
    assert SceneSpec.from_json(spec.to_json()) == spec  # the mark is not part of the spec


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Body(x=1.0, y=1.0, shape="box", size=(float("inf"), 1.0)),
         r"Body.size must be \(width, height\): two finite numbers"),
        (lambda: Body(x=1.0, y=1.0, shape="polygon", vertices=((0, 0), (1, float("nan")), (0, 1))),
         r"Body.vertices must be \(x, y\)"),
        (lambda: Body(x=1.0, y=1.0, velocity=(float("inf"), 0.0)), r"Body.velocity must be \(vx, vy\)"),
        (lambda: Body(x=1.0, y=1.0, shape="box", size=("wide", 1.0)), r"Body.size must be"),
        (lambda: Region.polygon("zone", [(0, 0), (1, 0), (float("inf"), 1)]), r"Region.x1 is inf; give a finite number"),
    ],
    ids=["inf-size", "nan-vertex", "inf-velocity", "string-size", "inf-region"],
)
def test_sizes_must_be_finite_numbers(build, match):
    with pytest.raises(SpecError, match=match):
        build()
