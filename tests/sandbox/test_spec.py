"""Scene specs: JSON round trips, rebuilt worlds, wall geometry and malformed input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sandbox import Body, Driver, Region, SandboxError, SceneSpec, SpecError, Tool, Wall, World

SETTINGS = [
    {},
    {"stains": 3},
    {"outside": 2},
    {"chute": True},
    {"pan_wall": "south"},
    {"stains": 3, "outside": 2, "chute": True, "pan_wall": "south"},
    {"dust": 1, "pan_wall": "west", "pan_offset": 0.85, "chute": True},
]
"""Scene-generator settings, each changing what the scene holds."""

_DEFAULTS = {"dust": 8, "stains": 0, "outside": 0, "chute": False, "pan_wall": "east", "pan_offset": 0.5}


def _scene(seed: int, **settings) -> SceneSpec:
    """A room with a pan on one wall, maybe a chute, dust, stains and hallway dust, and a driver
    with a scoop; the settings are stamped on as its factors."""
    factors = {**_DEFAULTS, **settings}
    rng = np.random.default_rng(seed)
    width, height, top = 4.0, 4.5, 3.0
    offset = factors["pan_offset"]
    if factors["pan_wall"] == "south":
        pan = Region(name="pan", x0=offset * 2.0, y0=0.0, x1=offset * 2.0 + 2.0, y1=0.6)
    else:
        x0 = width - 0.6 if factors["pan_wall"] == "east" else 0.0
        pan = Region(name="pan", x0=x0, y0=offset * 1.0, x1=x0 + 0.6, y1=offset * 1.0 + 2.0)
    regions = [Region(name="hallway", x0=0.0, y0=top, x1=width, y1=height, captures=False), pan]
    if factors["chute"]:
        regions.append(Region.circle("chute", 2.0, 0.5, 0.3, only=("dust",)))
    walls = [*Wall.around(width, height), Wall(x0=0, y0=top, x1=width, y1=top, openings=((0.35, 0.65),))]
    room, hallway = ((0.8, 0.8), (3.2, 2.4)), ((0.5, 3.4), (3.5, 4.1))
    things = [Body(x=x, y=y, tags=("particle", "dust")) for x, y in rng.uniform(*room, (factors["dust"], 2)).tolist()]
    stains = rng.uniform(*room, (factors["stains"], 2)).tolist()
    things += [Body(x=x, y=y, motion="static", tags=("particle", "stain")) for x, y in stains]
    things += [Body(x=x, y=y, tags=("outside",)) for x, y in rng.uniform(*hallway, (factors["outside"], 2)).tolist()]
    robot = Driver(x=2.0, y=1.6, heading=float(rng.uniform(-math.pi, math.pi)), tool=Tool(arms=0.25, tags=("broom",)))
    return SceneSpec(
        width=width, height=height, entities=(*regions, *walls, *things, robot), factors=tuple(factors.items()),
        physics_hz=40.0, control_hz=5.0,
    )


def _room(*extra, robot: Driver | None = None, **kwargs) -> SceneSpec:
    robot = robot or Driver(x=1.0, y=1.0)
    return SceneSpec(entities=(robot, *extra), **{"width": 4.0, "height": 3.0, **kwargs})


def _trajectory(spec: SceneSpec, actions: np.ndarray) -> list:
    world = World(spec)
    out = []
    for ahead, left in actions.tolist():
        world.step((ahead, left))
        out.append((world.positions, world.agent.position, world.agent.heading, world.events.to_dict()))
    return out


# -- round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "defaults")
def test_json_round_trip_gives_an_equal_spec(seed, settings):
    spec = _scene(seed, **settings)
    text = spec.to_json()
    again = SceneSpec.from_json(text)
    assert again == spec
    assert again.to_json() == text
    assert again.factor_values == spec.factor_values
    for name, value in settings.items():
        assert again.factor_values[name] == value


def test_json_round_trip_keeps_factor_values_whatever_their_declared_order():
    spec = _room(factors=(("zeta", 1), ("alpha", "east"), ("mid", True)))
    again = SceneSpec.from_json(spec.to_json())
    assert again == spec
    assert again.factor_values == {"zeta": 1, "alpha": "east", "mid": True}


def test_json_round_trip_keeps_wall_openings_and_flags():
    spec = _room(
        Wall(x0=0, y0=2, x1=4, y1=2, openings=((0.1, 0.2), (0.5, 0.75))),
        Body(x=2, y=1, motion="static", tags=("stain",), radius=0.1),
        Region(name="pan", x0=3, y0=0, x1=4, y1=1, captures=False, only=("dust",)),
        robot=Driver(x=1.0, y=1.0, tool=Tool(width=0.5, arms=0.2, tags=("broom", "scoop"))),
    )
    again = SceneSpec.from_json(spec.to_json())
    assert again == spec
    assert again.of_kind(Wall)[0].openings == ((0.1, 0.2), (0.5, 0.75))
    assert again.of_kind(Body)[0].motion == "static"
    assert again.region("pan").captures is False and again.region("pan").only == ("dust",)
    assert again.agent.tool == Tool(width=0.5, arms=0.2, tags=("broom", "scoop"))


def test_json_round_trip_keeps_physics_settings():
    spec = _room(physics_hz=120.0, control_hz=20.0, gravity=(0.0, -9.8), damping=0.5)
    again = SceneSpec.from_json(spec.to_json())
    assert again == spec
    assert (again.physics_hz, again.control_hz, again.gravity, again.damping) == (120.0, 20.0, (0.0, -9.8), 0.5)


def test_integer_coordinates_become_floats():
    robot = Driver(x=1, y=np.int64(2))
    assert type(robot.x) is float and type(robot.y) is float
    assert robot == Driver(x=1.0, y=2.0)
    assert json.loads(_room(robot=robot).to_json())["entities"][0]["y"] == 2.0


@pytest.mark.parametrize("settings", SETTINGS[-2:], ids=["all-axes", "west-chute"])
def test_rebuilt_world_from_round_tripped_spec_steps_bit_identically(settings):
    spec = _scene(3, **settings)
    actions = np.random.default_rng(11).uniform(-1, 1, size=(120, 2))
    original = _trajectory(spec, actions)
    rebuilt = _trajectory(SceneSpec.from_json(spec.to_json()), actions)
    assert len(original) == len(rebuilt) == 120
    for (pos_a, xy_a, h_a, ev_a), (pos_b, xy_b, h_b, ev_b) in zip(original, rebuilt, strict=True):
        assert np.array_equal(pos_a, pos_b, equal_nan=True)
        assert xy_a == xy_b and h_a == h_b
        assert ev_a == ev_b
    # the trajectory must actually exercise the driver and the events, or the comparison proves little
    assert original[-1][1] != spec.agent.position
    assert original[-1][3]["contacts"]


# -- walls ---------------------------------------------------------------------------------------


def test_wall_without_openings_is_one_solid_part():
    wall = Wall(x0=0, y0=0, x1=4, y1=0)
    assert wall.solid_parts == (((0.0, 0.0), (4.0, 0.0)),)


def test_wall_opening_in_the_middle_leaves_two_parts():
    wall = Wall(x0=0, y0=1, x1=10, y1=1, openings=((0.4, 0.6),))
    assert wall.solid_parts == (((0.0, 1.0), (4.0, 1.0)), ((6.0, 1.0), (10.0, 1.0)))


def test_wall_openings_at_the_ends_and_overlapping_merge():
    wall = Wall(x0=0, y0=0, x1=0, y1=10, openings=((0.8, 1.0), (0.0, 0.1), (0.3, 0.5), (0.4, 0.6)))
    parts = wall.solid_parts
    assert len(parts) == 2
    (a0, a1), (b0, b1) = parts
    assert a0 == pytest.approx((0.0, 1.0)) and a1 == pytest.approx((0.0, 3.0))
    assert b0 == pytest.approx((0.0, 6.0)) and b1 == pytest.approx((0.0, 8.0))


def test_wall_fully_open_has_no_solid_parts():
    assert Wall(x0=0, y0=0, x1=1, y1=1, openings=((0.0, 1.0),)).solid_parts == ()


def test_wall_openings_follow_the_wall_direction():
    wall = Wall(x0=4, y0=0, x1=0, y1=0, openings=((0.0, 0.25),))
    assert wall.solid_parts == (((3.0, 0.0), (0.0, 0.0)),)


def test_walls_around_enclose_the_floor():
    walls = Wall.around(4.0, 3.0, thickness=0.2)
    assert [(w.x0, w.y0, w.x1, w.y1) for w in walls] == [(0, 0, 4, 0), (4, 0, 4, 3), (4, 3, 0, 3), (0, 3, 0, 0)]
    assert all(w.thickness == 0.2 and w.tags == ("wall",) for w in walls)


# -- malformed input -------------------------------------------------------------------------------


def _scene_dict(*entities: dict, **top) -> dict:
    return {"width": 4.0, "height": 3.0, "entities": list(entities), **top}


ROBOT = {"kind": "driver", "x": 1.0, "y": 1.0}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_scene_dict(ROBOT, {"kind": "bdoy", "x": 1}), r"Unknown entity kind 'bdoy'; did you mean 'body'\?"),
        (_scene_dict({**ROBOT, "colour": "red"}), r"Driver has no field\(s\) \['colour'\]"),
        (_scene_dict({"kind": "driver", "x": 1.0}), r"Driver: .*'y'"),
        (_scene_dict(ROBOT, {"x": 1.0, "y": 2.0}), r"has no 'kind'"),
        (_scene_dict(ROBOT, ["body", 1, 2]), r"has no 'kind'"),
        ({"width": 4.0, "entities": [ROBOT]}, r"missing \['height'\]"),
        ({"height": 4.0, "width": 3.0}, r"missing \['entities'\]"),
        (_scene_dict(ROBOT, depth=2.0), r"unknown key\(s\) \['depth'\]"),
        ([ROBOT], r"must be a JSON object, got list"),
        (_scene_dict(ROBOT, factors=[["a", 1]]), r"'factors' an object"),
        (_scene_dict({**ROBOT, "x": "1"}), r"Driver.x must be a number"),
        (_scene_dict({**ROBOT, "x": True}), r"Driver.x must be a number"),
        (_scene_dict({**ROBOT, "tool": {"width": 0.5, "handle": 1}}), r"Driver: .*'handle'"),
        (_scene_dict({**ROBOT, "tags": "agent"}), r"Driver.tags must be a list"),
        (_scene_dict(ROBOT, {"kind": "body", "x": 1, "y": 1, "sensor": "no"}), r"Body.sensor must be true or false"),
        (_scene_dict(ROBOT, {"kind": "body", "x": 1, "y": 1, "appearance": {"colour": "rde"}}), r"did you mean 'red'"),
        (_scene_dict(ROBOT, {"kind": "body", "x": 1, "y": 1, "appearance": {"hue": "red"}}), r"a 'colour' and a 'shape'"),
        (_scene_dict(ROBOT, {"kind": "region", "name": 3, "x0": 0, "y0": 0, "x1": 1, "y1": 1}), r"Region.name"),
        (_scene_dict(ROBOT, {"kind": "wall", "x0": 0, "y0": 0, "x1": 1, "y1": 0, "openings": [["a", 1]]}), "openings"),
        (_scene_dict(ROBOT, width=-1.0), r"Scene size must be positive"),
        (_scene_dict(ROBOT, gravity=["down", 1]), r"gravity must be 2 finite numbers"),
    ],
)
def test_malformed_scene_data_raises_spec_error(data, match):
    with pytest.raises(SpecError, match=match):
        SceneSpec.from_dict(data)


@pytest.mark.parametrize("text", ["", "{width: 4}", '{"width": 4,', "not json at all"])
def test_non_json_text_raises_spec_error(text):
    with pytest.raises(SpecError, match="not valid JSON"):
        SceneSpec.from_json(text)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_coordinate_in_json_raises_spec_error(token):
    text = json.dumps(_scene_dict(ROBOT, {"kind": "body", "x": 1.0, "y": 1.0}))
    text = text.replace('"y": 1.0}]', f'"y": {token}}}]')
    assert token in text
    with pytest.raises(SpecError, match=r"Body.y is .*finite"):
        SceneSpec.from_json(text)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Driver(x=math.nan, y=1.0), r"Driver.x is nan"),
        (lambda: Wall(x0=0, y0=0, x1=math.inf, y1=0), r"Wall.x1 is inf"),
        (lambda: Region(name="pan", x0=0, y0=0, x1=1, y1=math.nan), r"Region.y1 is nan"),
        (lambda: _room(width=math.nan), r"SceneSpec.width is nan"),
        (lambda: _room(physics_hz=math.nan), r"SceneSpec.physics_hz is nan"),
        (lambda: _room(gravity=(0.0, math.inf)), r"gravity must be 2 finite numbers"),
        (lambda: _room(gravity=(0.0, -9.8, 0.0)), r"gravity must be 2 finite numbers \(x, y\)"),
        (lambda: Wall(x0=1, y0=2, x1=1, y1=2), r"zero length"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, thickness=0), r"thickness must be > 0"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((0.6, 0.4),)), r"opening \(0.6, 0.4\)"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((0.5, 1.5),)), r"0 <= start < end <= 1"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((-0.1, 0.5),)), r"0 <= start < end <= 1"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((0.5, 0.5),)), r"0 <= start < end <= 1"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((0.1, 0.2, 0.3),)), r"opening \(0.1, 0.2, 0.3\)"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=(0.1, 0.2)), r"not \(start, end\) pairs"),
        (lambda: Body(x=1, y=1, radius=0), r"radius must be > 0, got 0.0"),
        (lambda: Body(x=1, y=1, radius=-0.1), r"radius must be > 0"),
        (lambda: Body(x=1, y=1, mass=0), r"mass > 0"),
        (lambda: Body(x=1, y=1, motion="frozen"), r"motion 'frozen' is not one of \('static', 'dynamic', 'kinematic'\)"),
        (lambda: Driver(x=1, y=1, radius=0), r"radius > 0"),
        (lambda: Driver(x=1, y=1, max_speed=-1), r"max_speed > 0"),
        (lambda: Driver(x=1, y=1, frame="map"), r"frame must be 'robot' or 'world'"),
        (lambda: Driver(x=1, y=1, tool="broom"), r"tool must be a Tool or None"),
        (lambda: Driver(x=1, y=1, commands=((1.0,),)), r"command \(1.0,\) must be 2 numbers in \[-1, 1\] \(ahead, left\)"),
        (lambda: Driver(x=1, y=1, commands=((2.0, 0.0),)), r"must be 2 numbers in \[-1, 1\]"),
        (lambda: Tool(width=-0.1), r"Tool needs width > 0"),
        (lambda: Tool(arms=-0.1), r"arms >= 0"),
        (lambda: Region(name="pan", x0=1, y0=0, x1=1, y1=1), r"Region 'pan' needs x0 < x1"),
        (lambda: Region(name="pan", x0=2, y0=0, x1=1, y1=1), r"Region 'pan' needs x0 < x1"),
        (lambda: Region(name="pan", x0=0, y0=1, x1=1, y1=0), r"y0 < y1"),
        (lambda: _room(Driver(x=2, y=2)), r"at most one agent body, got 2; remove the extras"),
        (lambda: _room(physics_hz=100.0, control_hz=30.0), r"physics_hz \(100.0\) must be a whole multiple"),
        (lambda: _room(physics_hz=5.0, control_hz=10.0), r"whole multiple of control_hz \(10.0\)"),
        (lambda: _room(control_hz=0.0), r"whole multiple of control_hz \(0.0\)"),
        (lambda: _room(control_hz=-10.0), r"whole multiple"),
        (
            lambda: _room(Region(name="pan", x0=0, y0=0, x1=1, y1=1), Region(name="pan", x0=2, y0=2, x1=3, y1=3)),
            r"Region names must be unique.*'pan', 'pan'",
        ),
        (lambda: _room(("robot", 1, 2)), r"is not a sandbox entity; build scenes from Body, Wall"),
        (lambda: SceneSpec(width=4, height=3, entities=Driver(x=1, y=1)), r"entities must be a list of entities"),
        (lambda: SceneSpec(width=0, height=3, entities=(Driver(x=1, y=1),)), r"Scene size must be positive"),
    ],
)
def test_malformed_spec_raises_spec_error(build, match):
    with pytest.raises(SpecError, match=match):
        build()


def test_spec_error_is_a_value_error_and_a_sandbox_error():
    with pytest.raises(ValueError):
        Body(x=0, y=0, radius=0)
    assert issubclass(SpecError, SandboxError)


def test_scene_without_an_agent_is_a_valid_spec():
    spec = SceneSpec(width=4, height=3, entities=(Wall(x0=0, y0=0, x1=1, y1=0), Body(x=1, y=1)))
    assert spec.agent is None
    assert SceneSpec.from_json(spec.to_json()) == spec


def test_substeps_follow_the_rates():
    assert _room(physics_hz=120.0, control_hz=20.0).substeps == 6
    assert _room().substeps == 10


def test_spec_lookups():
    pan = Region(name="pan", x0=0, y0=0, x1=2, y1=1)
    spec = _room(pan, Body(x=3, y=2, tags=("dust",)), Body(x=3.5, y=2, tags=("dust", "big")))
    assert spec.agent == Driver(x=1.0, y=1.0)
    assert spec.region("pan") is pan and spec.region("chute") is None
    assert len(spec.of_kind(Body)) == 2
    assert [e.x for e in spec.tagged("dust")] == [3.0, 3.5] and len(spec.tagged("big")) == 1
    assert pan.centre == (1.0, 0.5) and pan.position == pan.centre
    assert pan.contains(2.0, 1.0) and not pan.contains(2.01, 0.5)
