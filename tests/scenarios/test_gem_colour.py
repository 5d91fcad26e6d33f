"""Gem colour: its generator (the gem the only yellow thing in training; a red gem with a yellow star in
counterfactual scenes), its observation, its references (each wins on its own objective when the gem is
red) and unknown colours. Episodes are deterministic, so these figures are exact."""

from __future__ import annotations

import numpy as np
import pytest

from proxies import get_scenario
from proxies.scenario import rollout
from sandbox import SandboxError, SpecError
from scenarios import gem_colour as gc

SCENARIO = get_scenario("gem-colour")


def looks(spec) -> list[tuple[str, str]]:
    """(shape, colour) of every thing in the scene."""
    return [(e.appearance.shape, e.appearance.colour) for e in spec.entities if "thing" in e.tags]


def play(reference: str, spec) -> dict[str, float]:
    """End-of-episode measurements of one reference's episode in ``spec``."""
    (episode,) = rollout.play(SCENARIO, [spec], SCENARIO.references[reference], [0])
    assert episode.terminated, "the reference never touched anything"
    return {name: episode.end[f"measure/{name}"] for name in SCENARIO.objectives}


def test_the_graph_derives_an_instrumental_relation():
    relation = SCENARIO.graph.relation("yellow")
    assert relation.kind == "instrumental" and relation.path == ("gem", "yellow")


def test_in_training_the_gem_is_the_only_yellow_thing_and_there_is_no_star():
    for seed in range(30):
        things = looks(SCENARIO.sample_spec(np.random.default_rng(seed)))
        assert things[0] == ("gem", "yellow") and 2 <= len(things) <= 4
        assert all(shape in ("ring", "square") and colour in gc.OTHER_COLOURS for shape, colour in things[1:])


def test_a_red_gem_comes_with_a_yellow_star_and_nothing_else_yellow_or_red():
    for seed in range(30):
        things = looks(SCENARIO.sample_spec(np.random.default_rng(seed), "intervene", gem_colour="red"))
        assert things[:2] == [("gem", "red"), ("star", "yellow")]
        assert all(colour in gc.OTHER_COLOURS for _, colour in things[2:])


def test_things_lie_on_distinct_cells_apart_from_the_walker():
    for seed in range(30):
        spec = SCENARIO.sample_spec(np.random.default_rng(seed), "intervene", gem_colour="red", distractors=3)
        cells = [gc.cell_of(*e.position) for e in spec.entities if "thing" in e.tags or e is spec.agent]
        assert len(set(cells)) == len(cells) == 6


def test_the_observation_shows_each_things_colour_and_shape():
    spec = SCENARIO.sample_spec(np.random.default_rng(0), "intervene", gem_colour="red", distractors=0)
    env = SCENARIO.make_env()
    obs, _ = env.reset(seed=0, options={"spec": spec})
    colours = len(gc.PALETTE)
    slots = obs[2:].reshape(gc.MOST, 3 + colours + len(gc.SHAPES))
    seen = {(gc.PALETTE[int(np.argmax(s[3:3 + colours]))], gc.SHAPES[int(np.argmax(s[3 + colours:]))])
            for s in slots if s[2] == 1.0}
    assert seen == {("red", "gem"), ("yellow", "star")}
    assert all(s[3:].sum() == 2.0 for s in slots[:2])  # one colour, one shape each
    assert not slots[2:].any()  # three empty slots


def test_both_references_touch_the_gem_in_training():
    for seed in range(20):
        spec = SCENARIO.sample_spec(np.random.default_rng(seed))
        assert play("gem", spec) == play("yellow", spec) == {"gem": 1.0, "yellow": 1.0}


def test_with_the_gem_red_each_reference_wins_on_its_own_objective():
    for seed in range(20):
        spec = SCENARIO.sample_spec(np.random.default_rng(seed), "intervene", gem_colour="red", distractors=3)
        assert play("gem", spec) == {"gem": 1.0, "yellow": 0.0}
        assert play("yellow", spec) == {"gem": 0.0, "yellow": 1.0}


def test_touching_a_distractor_ends_the_episode_without_reward():
    spec = SCENARIO.sample_spec(np.random.default_rng(0), distractors=1)
    env = SCENARIO.make_env()
    env.reset(seed=0, options={"spec": spec})
    ring_or_square = next(e for e in spec.entities if "thing" in e.tags and "gem" not in e.tags)
    env.world.agent.body.position = ring_or_square.position  # as if walked onto it
    env.world.space.reindex_shapes_for_body(env.world.agent.body)
    *_, terminated, truncated, info = env.step(0)
    assert terminated and not truncated
    assert info["measure/gem"] == info["measure/yellow"] == 0.0


def test_a_gem_colour_outside_the_domain_is_an_error_naming_the_colours_to_use():
    with pytest.raises(SpecError, match=r"'purple' for factor 'gem_colour' is outside .*\{yellow, red\}"):
        SCENARIO.sample_spec(np.random.default_rng(0), "intervene", gem_colour="purple")
    with pytest.raises(SandboxError, match=r"gem_colour"):
        SCENARIO.make_env().reset(seed=0, options={"factors": {"gem_colour": "purple"}})


def test_an_unknown_colour_name_in_the_recipe_is_a_spec_error_naming_the_known_colours():
    with pytest.raises(SpecError, match=r"Unknown colour 'yelow'; did you mean 'yellow'\? Known colours: black, .*red"):
        gc.build_scene({"gem_colour": "yelow", "distractors": 1}, np.random.default_rng(0))
