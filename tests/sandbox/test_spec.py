"""Scene specs: JSON round trips, rebuilt worlds, wall geometry and malformed input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import proxies
from sandbox import Particle, Region, Robot, SceneSpec, SpecError, Wall, World

SETTINGS = [
    {},
    {"stains": 3},
    {"outside_dust": 2},
    {"chute": True},
    {"pan_wall": "south"},
    {"stains": 3, "outside_dust": 2, "chute": True, "pan_wall": "south"},
    {"dust": 1, "pan_wall": "west", "pan_offset": 0.85, "chute": True},
]


def _cleaning_spec(seed: int, **fixed) -> SceneSpec:
    scenario = proxies.get_scenario("cleaning-robot")
    return scenario.sample_spec(np.random.default_rng(seed), "intervene" if fixed else "train", **fixed)


def _room(*extra, robot: Robot | None = None, **kwargs) -> SceneSpec:
    robot = robot or Robot(x=1.0, y=1.0)
    return SceneSpec(entities=(robot, *extra), **{"width": 4.0, "height": 3.0, **kwargs})


def _trajectory(spec: SceneSpec, actions: np.ndarray) -> list:
    world = World(spec)
    out = []
    for vx, vy in actions:
        world.step(float(vx), float(vy))
        state = (world.positions.copy(), world.robot_position, world.robot_heading)
        out.append((*state, world.broom_contacts, dict(world.captures)))
    return out


# -- round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("fixed", SETTINGS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "train")
def test_json_round_trip_gives_an_equal_spec(seed, fixed):
    spec = _cleaning_spec(seed, **fixed)
    text = spec.to_json()
    again = SceneSpec.from_json(text)
    assert again == spec
    assert again.to_json() == text
    assert again.factor_values == spec.factor_values
    for name, value in fixed.items():
        assert again.factor_values[name] == value


def test_json_round_trip_keeps_factor_values_whatever_their_declared_order():
    spec = _room(factors=(("zeta", 1), ("alpha", "east"), ("mid", True)))
    again = SceneSpec.from_json(spec.to_json())
    assert again == spec
    assert again.factor_values == {"zeta": 1, "alpha": "east", "mid": True}


def test_json_round_trip_keeps_wall_openings_and_flags():
    spec = _room(
        Wall(x0=0, y0=2, x1=4, y1=2, openings=((0.1, 0.2), (0.5, 0.75))),
        Particle(x=2, y=1, movable=False, tag="stain", radius=0.1),
        Region(name="pan", x0=3, y0=0, x1=4, y1=1, captures=False),
    )
    again = SceneSpec.from_json(spec.to_json())
    assert again == spec
    assert again.of_kind(Wall)[0].openings == ((0.1, 0.2), (0.5, 0.75))
    assert again.of_kind(Particle)[0].movable is False
    assert again.region("pan").captures is False


def test_integer_coordinates_become_floats():
    robot = Robot(x=1, y=np.int64(2))
    assert type(robot.x) is float and type(robot.y) is float
    assert robot == Robot(x=1.0, y=2.0)
    assert json.loads(_room(robot=robot).to_json())["entities"][0]["y"] == 2.0


@pytest.mark.parametrize("fixed", SETTINGS[-2:], ids=["all-axes", "west-chute"])
def test_rebuilt_world_from_round_tripped_spec_steps_bit_identically(fixed):
    spec = _cleaning_spec(3, **fixed)
    actions = np.random.default_rng(11).uniform(-1, 1, size=(120, 2))
    original = _trajectory(spec, actions)
    rebuilt = _trajectory(SceneSpec.from_json(spec.to_json()), actions)
    assert len(original) == len(rebuilt) == 120
    for (pos_a, xy_a, h_a, c_a, cap_a), (pos_b, xy_b, h_b, c_b, cap_b) in zip(original, rebuilt, strict=True):
        assert np.array_equal(pos_a, pos_b, equal_nan=True)
        assert xy_a == xy_b and h_a == h_b
        assert c_a == c_b and cap_a == cap_b
    # the trajectory must actually exercise the robot, or the comparison proves little
    assert original[-1][1] != (spec.robot.x, spec.robot.y)


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


# -- malformed input -------------------------------------------------------------------------------


def _scene_dict(*entities: dict, **top) -> dict:
    return {"width": 4.0, "height": 3.0, "entities": list(entities), **top}


ROBOT = {"kind": "robot", "x": 1.0, "y": 1.0}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_scene_dict(ROBOT, {"kind": "door", "x": 1}), r"Unknown entity kind 'door'.*particle"),
        (_scene_dict({**ROBOT, "colour": "red"}), r"Robot has no field\(s\) \['colour'\]"),
        (_scene_dict({"kind": "robot", "x": 1.0}), r"Robot: .*'y'"),
        (_scene_dict(ROBOT, {"x": 1.0, "y": 2.0}), r"has no 'kind'"),
        (_scene_dict(ROBOT, ["particle", 1, 2]), r"has no 'kind'"),
        ({"width": 4.0, "entities": [ROBOT]}, r"missing \['height'\]"),
        ({"height": 4.0, "width": 3.0}, r"missing \['entities'\]"),
        (_scene_dict(ROBOT, depth=2.0), r"unknown key\(s\) \['depth'\]"),
        ([ROBOT], r"must be a JSON object, got list"),
        (_scene_dict({**ROBOT, "x": "1"}), r"Robot.x must be a number"),
        (_scene_dict({**ROBOT, "x": True}), r"Robot.x must be a number"),
        (_scene_dict(ROBOT, {"kind": "particle", "x": 1, "y": 1, "movable": "no"}), r"Particle.movable must be true"),
        (_scene_dict(ROBOT, {"kind": "region", "name": 3, "x0": 0, "y0": 0, "x1": 1, "y1": 1}), r"Region.name"),
        (_scene_dict(ROBOT, {"kind": "wall", "x0": 0, "y0": 0, "x1": 1, "y1": 0, "openings": [["a", 1]]}), "openings"),
        (_scene_dict(ROBOT, width=-1.0), r"Scene size must be positive"),
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
    text = json.dumps(_scene_dict(ROBOT, {"kind": "particle", "x": 1.0, "y": 1.0}))
    text = text.replace('"y": 1.0}]', f'"y": {token}}}]')
    assert token in text
    with pytest.raises(SpecError, match=r"Particle.y is .*finite"):
        SceneSpec.from_json(text)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Robot(x=math.nan, y=1.0), r"Robot.x is nan"),
        (lambda: Wall(x0=0, y0=0, x1=math.inf, y1=0), r"Wall.x1 is inf"),
        (lambda: Region(name="pan", x0=0, y0=0, x1=1, y1=math.nan), r"Region.y1 is nan"),
        (lambda: _room(width=math.nan), r"SceneSpec.width is nan"),
        (lambda: _room(physics_hz=math.nan), r"SceneSpec.physics_hz is nan"),
        (lambda: Wall(x0=1, y0=2, x1=1, y1=2), r"zero length"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((0.6, 0.4),)), r"opening \(0.6, 0.4\)"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((0.5, 1.5),)), r"0 <= start < end <= 1"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((-0.1, 0.5),)), r"0 <= start < end <= 1"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((0.5, 0.5),)), r"0 <= start < end <= 1"),
        (lambda: Wall(x0=0, y0=0, x1=1, y1=0, openings=((0.1, 0.2, 0.3),)), r"opening \(0.1, 0.2, 0.3\)"),
        (lambda: Particle(x=1, y=1, radius=0), r"radius must be > 0, got 0.0"),
        (lambda: Particle(x=1, y=1, radius=-0.1), r"radius must be > 0"),
        (lambda: Robot(x=1, y=1, radius=0), r"radius > 0"),
        (lambda: Robot(x=1, y=1, max_speed=-1), r"max_speed > 0"),
        (lambda: Robot(x=1, y=1, broom_width=-0.1), r"broom_width >= 0"),
        (lambda: Region(name="pan", x0=1, y0=0, x1=1, y1=1), r"Region 'pan' needs x0 < x1"),
        (lambda: Region(name="pan", x0=2, y0=0, x1=1, y1=1), r"Region 'pan' needs x0 < x1"),
        (lambda: Region(name="pan", x0=0, y0=1, x1=1, y1=0), r"y0 < y1"),
        (lambda: SceneSpec(width=4, height=3, entities=(Wall(x0=0, y0=0, x1=1, y1=0),)), r"exactly one Robot"),
        (lambda: _room(Robot(x=2, y=2)), r"exactly one Robot"),
        (lambda: _room(physics_hz=100.0, control_hz=30.0), r"physics_hz \(100.0\) must be a whole multiple"),
        (lambda: _room(physics_hz=5.0, control_hz=10.0), r"whole multiple of control_hz \(10.0\)"),
        (lambda: _room(control_hz=0.0), r"whole multiple of control_hz \(0.0\)"),
        (lambda: _room(control_hz=-10.0), r"whole multiple"),
        (
            lambda: _room(Region(name="pan", x0=0, y0=0, x1=1, y1=1), Region(name="pan", x0=2, y0=2, x1=3, y1=3)),
            r"Region names must be unique.*'pan', 'pan'",
        ),
        (lambda: _room(("robot", 1, 2)), r"is not a sandbox.spec entity"),
        (lambda: SceneSpec(width=0, height=3, entities=(Robot(x=1, y=1),)), r"Scene size must be positive"),
    ],
)
def test_malformed_spec_raises_spec_error(build, match):
    with pytest.raises(SpecError, match=match):
        build()


def test_spec_error_is_a_value_error_and_a_sandbox_error():
    import sandbox

    with pytest.raises(ValueError):
        Particle(x=0, y=0, radius=0)
    assert issubclass(SpecError, sandbox.SandboxError)


def test_substeps_follow_the_rates():
    assert _room(physics_hz=120.0, control_hz=20.0).substeps == 6
    assert _room().substeps == 10


def test_spec_lookups():
    pan = Region(name="pan", x0=0, y0=0, x1=2, y1=1)
    spec = _room(pan, Particle(x=3, y=2), Particle(x=3.5, y=2))
    assert spec.robot == Robot(x=1.0, y=1.0)
    assert spec.region("pan") is pan and spec.region("chute") is None
    assert len(spec.of_kind(Particle)) == 2
    assert pan.centre == (1.0, 0.5)
    assert pan.contains(2.0, 1.0) and not pan.contains(2.01, 0.5)
