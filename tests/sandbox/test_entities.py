"""Entities: every kind round-trips through JSON and rebuilds a world that steps bit-identically;
a scenario's own kind; malformed entities; and each entity drawn in its own colour.

This module deliberately has no ``from __future__ import annotations``: the scenario-registered
kind below is declared with real type annotations, as a user's module without it would be.
"""

import dataclasses
import importlib.util
import math
import sys
import textwrap
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

import sandbox.entities.base as entity_base
from sandbox import (
    COLOURS,
    COMPASS,
    RUN_AND_JUMP,
    Appearance,
    Body,
    Consumable,
    Driver,
    Entity,
    GridWalker,
    Lock,
    Pickup,
    Platformer,
    Region,
    SceneSpec,
    SpecError,
    Tool,
    Wall,
    World,
    entity_kinds,
    register_kind,
    render_spec,
    render_world,
)
from sandbox.entities import entity_from_dict
from sandbox.render import DEFAULT_SCALE


@register_kind
@dataclass(frozen=True, kw_only=True)
class Crate(Body):
    """A scenario's own kind: a heavy box with a label and stickers, pushed like any body."""

    kind: ClassVar[str] = "test_crate"
    label: str = "heavy"
    stickers: tuple[str, ...] = ()
    fragile: bool = False
    shape: str = "box"
    size: tuple[float, float] = (0.3, 0.3)
    mass: float = 0.5


DRIVER = Driver(x=0.8, y=1.5, tool=Tool(arms=0.2, tags=("broom",)))
"""Starts west of every entity below and drives through them."""

TOP_DOWN = {
    "body-circle-dynamic": Body(x=1.8, y=1.5, tags=("dust",)),
    "body-circle-static": Body(x=1.8, y=1.4, motion="static", radius=0.15, tags=("stain",)),
    "body-circle-kinematic": Body(x=1.8, y=2.2, motion="kinematic", velocity=(0.0, -0.4), tags=("cart",)),
    "body-box-dynamic": Body(x=1.8, y=1.5, shape="box", size=(0.3, 0.2), angle=0.4, mass=0.2, friction=0.9),
    "body-box-static": Body(x=2.2, y=1.3, shape="box", size=(0.2, 0.6), angle=-0.3, motion="static", elasticity=0.5),
    "body-box-kinematic": Body(x=2.8, y=1.5, shape="box", size=(0.4, 0.4), motion="kinematic", velocity=(-0.3, 0.0)),
    "body-polygon-dynamic": Body(x=1.8, y=1.5, shape="polygon", vertices=((-0.1, -0.1), (0.15, 0.0), (-0.1, 0.12)), mass=0.1),
    "body-polygon-static": Body(
        x=2.0, y=1.7, shape="polygon", vertices=((0, 0), (0.3, 0), (0.1, 0.3)), motion="static", angle=1.0
    ),
    "body-polygon-kinematic": Body(
        x=2.0, y=1.2, shape="polygon", vertices=((0, 0), (0.3, 0), (0.1, 0.3)), motion="kinematic", velocity=(0.0, 0.2)
    ),
    "body-segment-dynamic": Body(x=1.8, y=1.5, shape="segment", vertices=((0, -0.2), (0, 0.2)), radius=0.03, mass=0.2),
    "body-segment-static": Body(x=2.0, y=1.5, shape="segment", vertices=((-0.2, -0.3), (0.2, 0.3)), motion="static", radius=0.05),
    "body-segment-kinematic": Body(
        x=2.0, y=1.5, shape="segment", vertices=((0, -0.3), (0, 0.3)), motion="kinematic", velocity=(0.1, 0.0), angle=0.2
    ),
    "body-sensor": Body(x=1.8, y=1.5, sensor=True, tags=("ghost",), appearance=Appearance("purple", "ghost")),
    "wall-with-openings": Wall(x0=2.4, y0=0.0, x1=2.4, y1=3.0, openings=((0.4, 0.6), (0.9, 1.0)), thickness=0.2),
    "region-box": Region(name="pan", x0=2.4, y0=1.0, x1=3.4, y1=2.0, only=("dust",)),
    "region-circle": Region.circle("pool", 2.5, 1.5, 0.5, captures=False),
    "region-polygon": Region.polygon("wedge", ((2.2, 0.8), (3.5, 1.5), (2.2, 2.2)), appearance=Appearance("teal")),
    "pickup": Pickup(x=1.8, y=1.5, tags=("key",), appearance=Appearance("gold", "key")),
    "pickup-item": Pickup(x=1.8, y=1.5, shape="box", size=(0.1, 0.2), item="coin", tags=("gold",)),
    "consumable": Consumable(x=1.8, y=1.5, tags=("apple",), nutrients=(("sweetness", 1.0), ("calories", 2.0))),
    "lock": Lock(x=2.2, y=1.5, shape="box", size=(0.3, 0.6), needs="key", tags=("chest",)),
    "crate": Crate(x=1.8, y=1.5, label="glass", stickers=("this way up",), fragile=True),
}
"""One of every top-down kind and variant, each in a 4 m x 3 m room with ``DRIVER``."""


def _room(*entities, driver: Driver | GridWalker = DRIVER) -> SceneSpec:
    return SceneSpec(width=4.0, height=3.0, entities=(*Wall.around(4.0, 3.0), driver, *entities))


def _stage(*entities, body: Platformer | None = None) -> SceneSpec:
    ground = Body(x=3.0, y=0.25, shape="box", size=(6.0, 0.5), motion="static", tags=("ground",))
    body = body or Platformer(x=0.8, y=1.0)
    walls = Wall.around(6.0, 4.0)
    return SceneSpec(width=6.0, height=4.0, gravity=(0.0, -9.8), damping=1.0, entities=(*walls, ground, body, *entities))


SCENES = {
    **{name: _room(entity) for name, entity in TOP_DOWN.items()},
    "lock-and-key": _room(TOP_DOWN["pickup"], dataclasses.replace(TOP_DOWN["lock"], x=2.6)),
    "driver-world-frame": _room(driver=Driver(x=2.0, y=1.5, heading=2.0, frame="world", max_speed=1.0, radius=0.2)),
    "driver-commands": _room(Body(x=2.0, y=1.5), driver=Driver(x=1.0, y=1.5, commands=COMPASS, tags=("agent", "me"))),
    "platformer": _stage(Pickup(x=2.0, y=0.9, tags=("coin",)), Body(x=3.5, y=1.0, shape="box", size=(0.5, 0.5), motion="static")),
    "walker-commands": _room(Body(x=2.0, y=1.5), driver=GridWalker(x=1.0, y=1.5, commands=COMPASS, step=0.3)),
    "platformer-commands": _stage(body=Platformer(x=1.0, y=1.0, commands=RUN_AND_JUMP, width=0.4, jump_speed=5.0)),
}


def _actions(spec: SceneSpec, steps: int = 40) -> list:
    """A fixed sequence of actions the scene's agent can take: mostly ahead (or right), with wobble and jumps."""
    rng = np.random.default_rng(0)
    space = spec.agent.action_space
    if spec.agent.commands:
        return [int(a) for a in rng.integers(space.n, size=steps)]
    return [(1.0, float(u)) if isinstance(spec.agent, Driver) else (0.8, float(u > 0.8)) for u in rng.uniform(-0.5, 1, steps)]


def _trajectory(spec: SceneSpec) -> list:
    world = World(spec)
    out = []
    for action in _actions(spec):
        world.step(action)
        poses = [world.pose(i) for i in range(len(spec.entities))]
        out.append((world.positions.tobytes(), world.agent.state, poses, world.events.to_dict(), world.present.tolist()))
    return out


# -- round trips -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENES))
def test_every_kind_round_trips_through_json_to_an_equal_spec(name):
    spec = SCENES[name]
    text = spec.to_json()
    again = SceneSpec.from_json(text)
    assert again == spec and again.to_json() == text
    assert [type(e) for e in again.entities] == [type(e) for e in spec.entities]
    for entity in spec.entities:
        assert entity_from_dict(entity.to_dict()) == entity


@pytest.mark.parametrize("name", list(SCENES))
def test_every_kind_rebuilds_a_world_that_steps_bit_identically(name):
    spec = SCENES[name]
    original = _trajectory(spec)
    assert _trajectory(SceneSpec.from_json(spec.to_json())) == original
    assert original[-1][1][:2] != spec.agent.position  # the agent did move, so the comparison means something


def test_every_builtin_kind_is_covered_here():
    covered = {type(e).kind for spec in SCENES.values() for e in spec.entities}
    builtin = {kind for kind, cls in entity_kinds().items() if cls.__module__.startswith("sandbox.")}
    assert builtin - covered == set()
    assert {"body", "wall", "region", "pickup", "consumable", "lock", "driver", "platformer", "walker", "test_crate"} <= covered


@pytest.mark.parametrize("motion", ["static", "dynamic", "kinematic"])
@pytest.mark.parametrize("shape", ["circle", "box", "polygon", "segment"])
def test_every_shape_and_motion_builds_with_its_pymunk_shape(shape, motion):
    sizes = {"polygon": {"vertices": ((0, 0), (0.2, 0), (0, 0.2))}, "segment": {"vertices": ((0, 0), (0.2, 0.1))}}
    body = Body(x=3.0, y=2.0, shape=shape, motion=motion, tags=("thing",), **sizes.get(shape, {}))
    world = World(_room(body))
    (shape_,) = [s for s in world.space.shapes if s.body is not world.agent.body and s.collision_type == 3]
    expected = {"circle": "Circle", "box": "Poly", "polygon": "Poly", "segment": "Segment"}[shape]
    assert type(shape_).__name__ == expected
    assert shape_.body.body_type == {"static": 2, "dynamic": 0, "kinematic": 1}[motion]
    if motion == "dynamic":
        assert shape_.body.mass == pytest.approx(body.mass)
    x0, y0, x1, y1 = shape_.cache_bb()
    assert x0 <= 3.0 + 0.01 and x1 >= 3.0 - 0.01 and y0 <= 2.0 + 0.01 and y1 >= 2.0 - 0.01  # placed where it stands


def test_a_kinematic_body_keeps_its_velocity_through_contacts():
    world = World(_room(Body(x=1.0, y=0.5, motion="kinematic", velocity=(1.0, 0.0), tags=("cart",)), Body(x=2.0, y=0.5)))
    for _ in range(10):
        world.step((0.0, 0.0))
    assert world.where("cart")[0] == pytest.approx((2.0, 0.5))
    assert world.positions[-1][0] > 2.1  # it pushed the loose body aside


def test_a_static_body_turned_by_its_angle():
    bar = Body(x=2.0, y=1.5, shape="box", size=(1.0, 0.1), angle=math.pi / 2, motion="static")
    world = World(_room(bar))
    (shape,) = [s for s in world.space.shapes if s.collision_type == 3]
    x0, y0, x1, y1 = shape.cache_bb()
    assert (x1 - x0, y1 - y0) == pytest.approx((0.1, 1.0))


def test_wall_openings_leave_only_the_solid_parts_in_the_space():
    wall = TOP_DOWN["wall-with-openings"]
    world = World(SceneSpec(width=4.0, height=3.0, entities=(wall,)))
    segments = sorted((s.a.y, s.b.y) for s in world.space.shapes)
    assert np.allclose(segments, [(0.0, 1.2), (1.8, 2.7)])
    assert all(s.a.x == s.b.x == 2.4 for s in world.space.shapes)
    assert all(s.radius == pytest.approx(0.1) for s in world.space.shapes)


@pytest.mark.parametrize(
    ("region", "inside", "outside"),
    [
        (Region(name="box", x0=0, y0=0, x1=2, y1=1), [(0, 0), (2, 1), (1.0, 0.5)], [(2.01, 0.5), (1.0, -0.01)]),
        (Region.circle("disc", 1.0, 1.0, 0.5), [(1.0, 1.0), (1.5, 1.0), (1.3, 1.3)], [(1.4, 1.4), (1.51, 1.0)]),
        (Region.polygon("tri", ((0, 0), (2, 0), (0, 2))), [(0.5, 0.5), (0.1, 1.8), (1.8, 0.1)], [(1.1, 1.1), (1.9, 1.9)]),
        (
            Region.polygon("vee", ((0, 0), (1, 1), (2, 0), (2, 2), (0, 2))),  # not convex: contains() still exact
            [(0.5, 1.5), (1.0, 1.5), (1.9, 0.5)],
            [(1.0, 0.5), (0.2, 0.1)],
        ),
    ],
    ids=["box", "circle", "triangle", "concave"],
)
def test_region_contains(region, inside, outside):
    assert all(region.contains(x, y) for x, y in inside)
    assert not any(region.contains(x, y) for x, y in outside)


def test_region_helpers_fill_the_box_and_centre():
    pool = Region.circle("pool", 2.0, 1.0, 0.5)
    assert pool.bounds == (1.5, 0.5, 2.5, 1.5) and pool.centre == (2.0, 1.0) and pool.shape == "circle"
    wedge = Region.polygon("wedge", [(0, 0), (3, 1), (0, 2)])
    assert wedge.bounds == (0, 0, 3, 2) and wedge.vertices == ((0, 0), (3, 1), (0, 2))


def test_integer_and_numpy_numbers_become_plain_floats():
    body = Body(x=1, y=np.float32(2.5), mass=np.int64(2))
    assert (type(body.x), type(body.y), type(body.mass)) == (float, float, float)
    crate = Crate(x=np.int64(1), y=2, mass=3, fragile=np.bool_(True))
    assert (type(crate.x), type(crate.mass), type(crate.fragile)) == (float, float, bool)


def test_defaults_of_the_built_in_kinds():
    assert Pickup(x=0, y=0, tags=("key",)).item == "key"
    assert Pickup(x=0, y=0, tags=("key",)).sensor and Pickup(x=0, y=0, tags=("key",)).motion == "static"
    assert Lock(x=0, y=0, needs="key").motion == "static" and not Lock(x=0, y=0, needs="key").sensor
    assert Wall(x0=0, y0=0, x1=1, y1=0).tags == ("wall",) and Driver(x=0, y=0).tags == ("agent",)
    assert Consumable(x=0, y=0, nutrients=(("calories", 1),)).nutrients == (("calories", 1.0),)


# -- a scenario's own kind -------------------------------------------------------------------------


def test_a_registered_kind_round_trips_and_builds():
    crate = TOP_DOWN["crate"]
    assert entity_kinds()["test_crate"] is Crate
    data = crate.to_dict()
    assert data["kind"] == "test_crate" and data["stickers"] == ["this way up"] and data["fragile"] is True
    again = entity_from_dict(data)
    assert type(again) is Crate and again == crate and again.stickers == ("this way up",)
    world = World(_room(crate))
    for _ in range(10):
        world.step((1.0, 0.0))
    assert world.positions[-1][0] > 1.9  # pushed like any body
    assert world.events.contacts[("broom", "test_crate")] == 0  # it has no tags


def test_a_registered_kind_checks_its_own_fields():
    with pytest.raises(SpecError, match=r"Crate.label must be a string, got 3"):
        Crate(x=1, y=1, label=3)
    with pytest.raises(SpecError, match=r"Crate.fragile must be true or false, got 'yes'"):
        Crate(x=1, y=1, fragile="yes")
    with pytest.raises(SpecError, match=r"Crate.stickers must be a list"):
        Crate(x=1, y=1, stickers="up")


def test_registering_the_same_class_again_is_harmless():
    assert register_kind(Crate) is Crate
    assert entity_kinds()["test_crate"] is Crate


def test_re_registering_a_kind_name_with_another_class_is_refused(monkeypatch):
    monkeypatch.setattr(entity_base, "_KINDS", dict(entity_base._KINDS))

    @dataclass(frozen=True, kw_only=True)
    class Barrel(Body):
        kind: ClassVar[str] = "test_crate"

    with pytest.raises(SpecError, match=r"Entity kind 'test_crate' is already registered by Crate .*; choose another name"):
        register_kind(Barrel)
    assert entity_kinds()["test_crate"] is Crate

    @dataclass(frozen=True, kw_only=True)
    class Door(Body):
        kind: ClassVar[str] = "wall"

    with pytest.raises(SpecError, match=r"'wall' is already registered by Wall"):
        register_kind(Door)


def _import_file(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


GEM_FILE = """
from dataclasses import dataclass
from typing import ClassVar

from sandbox import Body, register_kind


@register_kind
@dataclass(frozen=True, kw_only=True)
class Gem(Body):
    kind: ClassVar[str] = "test_gem"
    {field}
"""


def test_two_files_defining_the_same_kind_name_clash_but_one_file_imported_twice_does_not(tmp_path, monkeypatch):
    """Two scenarios that each declare a ``Gem`` of kind ``"gem"`` must not silently swap each
    other's class; the same file loaded under two module names (installed, and by path) may."""
    monkeypatch.setattr(entity_base, "_KINDS", dict(entity_base._KINDS))
    for name in ("_test_gems_a", "_test_gems_a_again", "_test_gems_b"):
        monkeypatch.setitem(sys.modules, name, None)  # so that the modules imported below are gone afterwards
    first, second = tmp_path / "gems_a.py", tmp_path / "other" / "gems_b.py"
    second.parent.mkdir()
    first.write_text(textwrap.dedent(GEM_FILE.format(field="colour_name: str = 'yellow'")))
    second.write_text(textwrap.dedent(GEM_FILE.format(field="points: float = 1.0")))
    a = _import_file(first, "_test_gems_a")
    again = _import_file(first, "_test_gems_a_again")
    assert entity_kinds()["test_gem"] is again.Gem and a.Gem is not again.Gem
    clash = r"Entity kind 'test_gem' is already registered by Gem \(.*gems_a.py\); choose another name"
    with pytest.raises(SpecError, match=clash):
        _import_file(second, "_test_gems_b")


@pytest.mark.parametrize("cls", [int, Entity, Body.__mro__[-1]], ids=["int", "Entity", "object"])
def test_only_entity_kinds_with_a_name_of_their_own_can_be_registered(cls):
    with pytest.raises(SpecError, match=r"is not an Entity subclass with a kind of its own; set kind = '...'"):
        register_kind(cls)


def test_an_entity_kind_must_say_how_to_build_itself(monkeypatch):
    monkeypatch.setattr(entity_base, "_KINDS", dict(entity_base._KINDS))

    @register_kind
    @dataclass(frozen=True, kw_only=True)
    class Marker(Entity):
        kind: ClassVar[str] = "test_marker"

    spec = SceneSpec(width=2, height=2, entities=(Marker(tags=("flag",)),))
    assert SceneSpec.from_json(spec.to_json()) == spec
    with pytest.raises(NotImplementedError, match=r"Marker does not say how to build itself; implement build\(\)"):
        World(spec)


# -- malformed entities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: entity_from_dict({"kind": "pickpu", "x": 1, "y": 1}), r"Unknown entity kind 'pickpu'; did you mean 'pickup'\?"),
        (lambda: entity_from_dict({"kind": "regoin", "name": "a"}), r"did you mean 'region'\? known kinds: \[.*'body'.*\]"),
        (lambda: entity_from_dict({"kind": "xyzzy"}), r"Unknown entity kind 'xyzzy'; known kinds: .*register_kind"),
        (lambda: Body(x=1, y=1, tags=("dust", "big", "dust")), r"tag\(s\) \['dust'\] more than once; give each tag once"),
        (lambda: Driver(x=1, y=1, tags=("agent", "agent")), r"Driver has the tag\(s\) \['agent'\] more than once"),
        (lambda: Body(x=1, y=1, tags=("dust", "")), r"Body tags must be non-empty strings"),
        (lambda: Body(x=1, y=1, tags=(3,)), r"Body tags must be non-empty strings"),
        (lambda: Body(x=1, y=1, appearance=Appearance("purpel")), r"'purpel'; did you mean 'purple'\? Known colours: black"),
        (lambda: Appearance("ultraviolet"), r"Unknown colour 'ultraviolet'; Known colours: black, "),
        (lambda: Appearance("red", 3), r"Appearance shape must be a name \(a string\), got 3"),
        (lambda: Body(x=1, y=1, appearance="red"), r"Body.appearance must be an Appearance, got 'red'"),
        (lambda: Body(x=1, y=1, shape="sphere"), r"Body.shape 'sphere' is not one of \('circle', 'box', 'polygon', 'segment'\)"),
        (lambda: Body(x=1, y=1, shape="polygon", vertices=((0, 0), (1, 0))), r"polygon Body needs at least 3 \(x, y\) vertices"),
        (lambda: Body(x=1, y=1, shape="polygon"), r"A polygon Body needs at least 3 \(x, y\) vertices, got \(\)"),
        (lambda: Body(x=1, y=1, shape="polygon", vertices=((0, 0), (1, 0), (1,))), r"needs at least 3 \(x, y\) vertices"),
        (lambda: Body(x=1, y=1, shape="segment", vertices=((0, 0), (1, 0), (1, 1))), r"segment Body needs exactly 2 end points"),
        (lambda: Body(x=1, y=1, shape="box", size=(0.2, 0)), r"Body.size must be \(width, height\) > 0"),
        (lambda: Body(x=1, y=1, friction=-1), r"friction >= 0"),
        (lambda: Region(name="pan", x0=1, y0=0, x1=0.5, y1=1), r"Region 'pan' needs x0 < x1 and y0 < y1"),
        (lambda: Region(name="pan", x0=0, y0=0, x1=1, y1=2, shape="circle"), r"a circle's box must be square; use Region.circle"),
        (lambda: Region(name="pan", x0=0, y0=0, x1=1, y1=1, shape="star"), r"shape 'star' is not 'box', 'circle' or 'polygon'"),
        (lambda: Region(name="pan", x0=0, y0=0, x1=1, y1=1, shape="polygon"), r"at least 3 vertices; use Region.polygon"),
        (
            lambda: Region(name="pan", x0=0, y0=0, x1=5, y1=1, shape="polygon", vertices=((0, 0), (1, 0), (0, 1))),
            r"the box must be the polygon's bounds; use Region.polygon",
        ),
        (lambda: Pickup(x=1, y=1), r"A Pickup needs an item name \(item='key'\) or a tag"),
        (lambda: Lock(x=1, y=1, needs=""), r"A Lock needs the name of the item that opens it \(needs='key'\)"),
        (lambda: Consumable(x=1, y=1, nutrients=(("sugar", 1), ("sugar", 2))), r"\(name, amount\) pairs with distinct names"),
        (lambda: Consumable(x=1, y=1, nutrients=(("sugar",),)), r"\(name, amount\) pairs"),
        (lambda: Consumable(x=1, y=1, nutrients=(("sugar", math.inf),)), r"amounts must be finite numbers"),
        (lambda: Consumable(x=1, y=1, nutrients=(("sugar", "lots"),)), r"amounts must be finite numbers"),
        (lambda: SceneSpec(width=2, height=2, entities=(Pickup(x=1, y=1, tags=("key",)),)), r"Pickup entities but no agent body"),
        (
            lambda: SceneSpec(width=2, height=2, entities=(Consumable(x=1, y=1), Lock(x=1, y=0.5, needs="key"))),
            r"has Consumable, Lock entities but no agent body to touch them; add a Driver or a Platformer",
        ),
        (
            lambda: SceneSpec(width=2, height=2, entities=(Driver(x=1, y=1), Platformer(x=1, y=1))),
            r"at most one agent body, got 2; remove the extras",
        ),
        (lambda: entity_from_dict({"kind": "body", "x": 1, "y": 1, "colour": "red"}), r"Body has no field\(s\) \['colour'\]"),
        (lambda: entity_from_dict({"kind": "body", "x": 1}), r"Body: .*'y'; see the fields of sandbox.entities.bodies.Body"),
    ],
)
def test_malformed_entity_raises_a_spec_error_naming_the_problem(build, match):
    with pytest.raises(SpecError, match=match):
        build()


# -- drawn in their own colours ----------------------------------------------------------------------


def _pixel(image: np.ndarray, spec: SceneSpec, x: float, y: float) -> tuple[int, int, int]:
    """The pixel at world point ``(x, y)`` [m] (y up) of an image drawn at ``DEFAULT_SCALE``."""
    row, col = int((spec.height - y) * DEFAULT_SCALE), int(x * DEFAULT_SCALE)
    return tuple(int(v) for v in image[row, col])


def _reddish(rgb) -> bool:
    r, g, b = rgb
    return r > 150 and g < 100 and b < 100


def test_a_body_is_drawn_in_its_appearance_colour():
    spec = _room(Body(x=3.0, y=2.0, radius=0.2, appearance=Appearance("red")))
    for image in (render_spec(spec), render_world(World(spec))):
        assert image.shape == (3 * DEFAULT_SCALE, 4 * DEFAULT_SCALE, 3) and image.dtype == np.uint8
        assert _pixel(image, spec, 3.0, 2.0) == COLOURS["red"] and _reddish(_pixel(image, spec, 3.0, 2.0))
        assert not _reddish(_pixel(image, spec, 3.0, 1.5))  # the floor beside it is not


def test_bodies_of_different_colours_are_told_apart():
    spec = _room(
        Body(x=2.5, y=2.0, radius=0.15, appearance=Appearance("yellow", "gem")),
        Body(x=3.3, y=2.0, shape="box", size=(0.3, 0.3), appearance=Appearance("green", "star")),
        Pickup(x=2.5, y=0.8, radius=0.15, tags=("key",), appearance=Appearance("purple")),
    )
    image = render_spec(spec)
    gem, star, key = _pixel(image, spec, 2.5, 2.0), _pixel(image, spec, 3.3, 2.0), _pixel(image, spec, 2.5, 0.8)
    assert (gem, star, key) == (COLOURS["yellow"], COLOURS["green"], COLOURS["purple"])
    assert min(np.abs(np.subtract(a, b)).sum() for a, b in [(gem, star), (gem, key), (star, key)]) > 100


def test_regions_walls_and_the_agent_are_drawn_in_their_colours():
    spec = _room(Region(name="pan", x0=3.0, y0=0.2, x1=3.8, y1=1.0, appearance=Appearance("tan")))
    image = render_spec(spec)
    assert _pixel(image, spec, 3.4, 0.6) == COLOURS["tan"]
    assert _pixel(image, spec, 2.0, 0.02) == COLOURS["slate"]  # the south wall
    assert _pixel(image, spec, 0.65, 1.6) == COLOURS["blue"]  # the driver's chassis


def test_things_that_left_the_scene_are_not_drawn():
    spec = _room(Pickup(x=1.5, y=1.5, radius=0.1, tags=("key",), appearance=Appearance("red")))
    world = World(spec)
    assert _reddish(_pixel(render_world(world), spec, 1.5, 1.5))
    for _ in range(8):
        world.step((1.0, 0.0))
    assert not world.present[-1]
    image = render_world(world)
    assert not any(_reddish(tuple(p)) for p in image.reshape(-1, 3)[:: 7].tolist())


def test_a_moved_body_is_drawn_where_it_is_now():
    spec = _room(Body(x=1.6, y=1.5, radius=0.1, appearance=Appearance("red")))
    world = World(spec)
    for _ in range(8):
        world.step((1.0, 0.0))
    x, y = world.positions[-1]
    assert x > 1.9
    image = render_world(world)
    assert _reddish(_pixel(image, spec, x, y)) and not _reddish(_pixel(image, spec, 1.6, 1.5))
