"""Property-based fuzzing of scene specs and of every scenario's generator (Hypothesis, bounded for CI).

(a) Random valid specs, drawn over every entity kind (bodies of every shape and motion, walls with
    openings, regions of every shape, pickups, consumables, locks, a driver with or without a tool, a
    platformer under gravity), round-trip through JSON and rebuild bit-identical worlds: the same actions
    give the same trajectory.
(b) Random factor values across each scenario's intervention domain (every registered scenario and every
    fixture) never crash the generator, never give a scene that fails :func:`sandbox.geometry.check_geometry`,
    and never give a NaN observation, measurement or reward in a random-policy episode.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import proxies
from sandbox import (
    COLOURS,
    RUN_AND_JUMP,
    Appearance,
    Body,
    Consumable,
    Driver,
    Lock,
    Pickup,
    Platformer,
    Region,
    SceneSpec,
    Tool,
    Wall,
    World,
    random_action,
)
from sandbox.env import check_observation

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scenarios"))
from test_conformance import IDS, SCENARIOS  # noqa: E402 - the conformance tests' scenario list, reused

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
"""Examples per property: 25 in CI (the same ones every run); ``FUZZ_EXAMPLES=2000`` searches longer, and afresh."""
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# -- (a) random valid specs ------------------------------------------------------------------------------

sizes = st.floats(0.05, 0.5)
angles = st.floats(-math.pi, math.pi)
looks = st.builds(Appearance, st.sampled_from(sorted(COLOURS)), st.sampled_from(["", "gem", "star", "key"]))
tags = st.lists(st.sampled_from(["ball", "dust", "gem", "key", "chest", "food", "crate"]), max_size=2, unique=True).map(tuple)


@st.composite
def polygon(draw) -> tuple[tuple[float, float], ...]:
    """A convex polygon around the origin: 3 to 6 corners on a circle, at increasing angles."""
    n = draw(st.integers(3, 6))
    radius = draw(sizes)
    start = draw(angles)
    turns = [start + 2 * math.pi * k / n for k in range(n)]
    return tuple((radius * math.cos(a), radius * math.sin(a)) for a in turns)


@st.composite
def body(draw, width: float, height: float, cls: type = Body, **fixed) -> Body:
    """A body of any shape and motion (or a pickup, consumable or lock), somewhere on the floor."""
    shape = draw(st.sampled_from(["circle", "box", "polygon", "segment"]))
    fields = {
        "x": draw(st.floats(0.5, width - 0.5)), "y": draw(st.floats(0.5, height - 0.5)), "angle": draw(angles),
        "shape": shape, "radius": draw(sizes), "tags": draw(tags), "appearance": draw(looks),
        "friction": draw(st.floats(0.0, 1.0)), "elasticity": draw(st.floats(0.0, 0.5)), **fixed,
    }
    if shape == "box":
        fields["size"] = (draw(sizes), draw(sizes))
    elif shape == "polygon":
        fields["vertices"] = draw(polygon())
    elif shape == "segment":
        a, b = draw(angles), draw(sizes)
        fields["vertices"] = ((-b * math.cos(a), -b * math.sin(a)), (b * math.cos(a), b * math.sin(a)))
    if cls is Body:
        fields["motion"] = motion = draw(st.sampled_from(["static", "dynamic", "kinematic"]))
        fields["mass"] = draw(st.floats(0.01, 2.0))
        fields["sensor"] = draw(st.booleans())
        if motion != "static":
            fields["velocity"] = (draw(st.floats(-1, 1)), draw(st.floats(-1, 1)))
    return cls(**fields)


@st.composite
def region(draw, width: float, height: float) -> Region:
    kind = draw(st.sampled_from(["box", "circle", "polygon"]))
    name = draw(st.sampled_from(["goal", "pit", "pan", "zone"]))
    x, y = draw(st.floats(0.5, width - 0.5)), draw(st.floats(0.5, height - 0.5))
    options = {"captures": draw(st.booleans()), "tags": draw(tags)}
    if not options["captures"]:
        options["detects"] = draw(st.booleans())
    if kind == "circle":
        return Region.circle(name, x, y, draw(sizes), **options)
    if kind == "polygon":
        return Region.polygon(name, [(x + px, y + py) for px, py in draw(polygon())], **options)
    w, h = draw(sizes), draw(sizes)
    return Region(name=name, x0=x - w, y0=y - h, x1=x + w, y1=y + h, **options)


@st.composite
def wall(draw, width: float, height: float) -> Wall:
    x0, y0 = draw(st.floats(0.0, width)), draw(st.floats(0.0, height))
    x1, y1 = draw(st.floats(0.0, width)), draw(st.floats(0.0, height))
    if math.hypot(x1 - x0, y1 - y0) < 0.1:
        x1 = x0 + 0.5 if x0 + 0.5 <= width else x0 - 0.5
    cuts = sorted(draw(st.lists(st.floats(0.0, 1.0), max_size=4)))
    openings = tuple((a, b) for a, b in zip(cuts[::2], cuts[1::2]) if a < b)
    return Wall(x0=x0, y0=y0, x1=x1, y1=y1, thickness=draw(st.floats(0.02, 0.2)), openings=openings)


@st.composite
def scenes(draw) -> SceneSpec:
    """A valid scene: walls round the floor and inside it, an agent, and a few entities of every kind."""
    width, height = draw(st.floats(2.0, 8.0)), draw(st.floats(2.0, 8.0))
    side_view = draw(st.booleans())
    x, y = draw(st.floats(0.6, width - 0.6)), draw(st.floats(0.6, height - 0.6))
    if side_view:
        commands = draw(st.sampled_from([(), RUN_AND_JUMP]))
        agent = Platformer(x=x, y=y, width=draw(st.floats(0.2, 0.6)), height=draw(st.floats(0.2, 0.8)), commands=commands)
    else:
        tool = draw(st.one_of(st.none(), st.builds(Tool, width=st.floats(0.2, 0.8), arms=st.floats(0.0, 0.3),
                                                   tags=st.just(("broom",)))))
        agent = Driver(x=x, y=y, heading=draw(angles), radius=draw(st.floats(0.1, 0.3)), tool=tool,
                       frame=draw(st.sampled_from(["robot", "world"])))
    entities = [agent, *Wall.around(width, height)]
    entities += draw(st.lists(wall(width, height), max_size=2))
    entities += draw(st.lists(body(width, height), max_size=5))
    entities += draw(st.lists(body(width, height, Pickup, item="key"), max_size=2))
    entities += draw(st.lists(body(width, height, Consumable, nutrients=(("sweetness", 1.0), ("calories", 0.5))), max_size=2))
    entities += draw(st.lists(body(width, height, Lock, needs="key"), max_size=2))
    named = {}
    for r in draw(st.lists(region(width, height), max_size=3)):
        named.setdefault(r.name, r)  # region names are unique
    entities += list(named.values())
    order = draw(st.permutations(range(len(entities))))
    gravity = (0.0, -9.8) if side_view else (0.0, 0.0)
    return SceneSpec(width=width, height=height, entities=tuple(entities[i] for i in order), gravity=gravity,
                     damping=1.0 if side_view else draw(st.floats(0.05, 1.0)), factors=(("seed", draw(st.integers(0, 9))),))


def _trajectory(spec: SceneSpec, seed: int, steps: int = 15) -> list[np.ndarray]:
    world = World(spec)
    rng = np.random.default_rng(seed)
    space = spec.agent.action_space
    out = [world.positions]
    for _ in range(steps):
        action = random_action(space, rng)
        world.step(action if isinstance(action, int) else tuple(action.tolist()))
        out += [world.positions, np.array(world.agent.state), world.present.astype(float)]
    out.append(np.array(sorted((str(k), v) for k, v in world.events.contacts.items()), dtype=object).ravel())
    return out


@FUZZ
@given(spec=scenes(), seed=st.integers(0, 2**31 - 1))
def test_random_specs_round_trip_through_json_and_rebuild_the_same_world(spec, seed):
    again = SceneSpec.from_json(spec.to_json())
    assert again == spec
    assert again.to_json() == spec.to_json()
    for a, b in zip(_trajectory(spec, seed), _trajectory(again, seed), strict=True):
        if a.dtype == object:
            assert a.tolist() == b.tolist()
        else:
            assert np.array_equal(a, b, equal_nan=True)


# -- (b) every scenario's generator across its intervention domain ----------------------------------------


LAYOUTS = 8
"""Scenes laid out (and checked) per drawn set of factor values; the first one is played too."""


def _factor_values(factor):
    lo_hi = factor.intervene
    if factor.kind == "choice":
        return st.sampled_from(lo_hi)
    if factor.kind == "integer":
        return st.integers(int(lo_hi[0]), int(lo_hi[1]))
    return st.floats(float(lo_hi[0]), float(lo_hi[1]))


@pytest.mark.parametrize("name", SCENARIOS, ids=IDS)
def test_random_factor_values_give_sound_scenes_and_finite_episodes(name):
    scenario = proxies.get_scenario(name)
    space, observe = scenario.observation_space, scenario.observe
    values = st.fixed_dictionaries({f.name: _factor_values(f) for f in scenario.factors})

    @FUZZ
    @given(factors=values, seed=st.integers(0, 2**31 - 1))
    def episode(factors, seed):
        for k in range(1, LAYOUTS):  # several layouts of these factor values (a layout check is cheap)
            scenario.make_scene(factors, np.random.default_rng([seed, k])).check_geometry()
        rng = np.random.default_rng(seed)
        spec = scenario.make_scene(factors, rng)  # never crashes
        spec.check_geometry()  # inside the walls, nothing solid overlapping
        env = scenario.make_env()
        obs, info = env.reset(seed=seed, options={"spec": spec})
        check_observation(obs, space, observe)
        for _ in range(scenario.max_steps):
            obs, reward, terminated, truncated, info = env.step(random_action(scenario.action_space, rng))
            check_observation(obs, space, observe)  # shape, dtype, finite
            assert math.isfinite(reward)
            assert all(math.isfinite(v) for k, v in info.items() if k.startswith(("measure/", "reward/")))
            if terminated or truncated:
                break

    episode()
