"""Factors: sampling, domain membership, and malformed declarations."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox import Factor, SpecError

DUST = Factor.integer("dust", train=(4, 8), intervene=(1, 12), doc="dust particles")
OFFSET = Factor.real("offset", train=(0.35, 0.65), intervene=(0.15, 0.85))
WALL = Factor.choice("wall", train=("east",), intervene=("east", "west", "south"))
CHUTE = Factor.choice("chute", train=(False,), intervene=(False, True))


@pytest.mark.parametrize("factor", [DUST, OFFSET, WALL, CHUTE], ids=lambda f: f.name)
@pytest.mark.parametrize("domain", ["train", "intervene"])
def test_samples_stay_in_the_domain(factor, domain):
    rng = np.random.default_rng(0)
    values = [factor.sample(rng, domain) for _ in range(300)]
    assert all(factor.contains(v, domain) for v in values)
    assert all(factor.contains(v, "intervene") for v in values)


def test_integer_samples_are_ints_covering_the_whole_inclusive_range():
    rng = np.random.default_rng(1)
    values = [DUST.sample(rng, "intervene") for _ in range(500)]
    assert all(type(v) is int for v in values)
    assert set(values) == set(range(1, 13))
    assert set(DUST.sample(rng) for _ in range(300)) == set(range(4, 9))


def test_real_samples_are_floats_spread_over_the_interval():
    rng = np.random.default_rng(2)
    values = np.array([OFFSET.sample(rng, "intervene") for _ in range(500)])
    assert all(type(v) is float for v in values.tolist())
    assert values.min() < 0.25 and values.max() > 0.75


def test_choice_samples_reach_every_value_and_training_only_the_training_values():
    rng = np.random.default_rng(3)
    assert {WALL.sample(rng, "intervene") for _ in range(200)} == {"east", "west", "south"}
    assert {WALL.sample(rng, "train") for _ in range(50)} == {"east"}
    assert {CHUTE.sample(rng, "train") for _ in range(50)} == {False}


def test_sampling_is_reproducible_from_the_generator():
    a = [DUST.sample(np.random.default_rng(5), "intervene") for _ in range(3)]
    b = [DUST.sample(np.random.default_rng(5), "intervene") for _ in range(3)]
    assert a == b
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    assert [OFFSET.sample(rng_a) for _ in range(20)] == [OFFSET.sample(rng_b) for _ in range(20)]


@pytest.mark.parametrize(
    ("factor", "value", "train", "intervene"),
    [
        (DUST, 4, True, True),
        (DUST, 8, True, True),
        (DUST, 1, False, True),
        (DUST, 12, False, True),
        (DUST, 0, False, False),
        (DUST, 13, False, False),
        (DUST, 5.5, False, False),
        (DUST, 5.0, True, True),
        (DUST, True, False, False),
        (DUST, "5", False, False),
        (DUST, None, False, False),
        (OFFSET, 0.5, True, True),
        (OFFSET, 0.2, False, True),
        (OFFSET, 0.85, False, True),
        (OFFSET, 0.9, False, False),
        (OFFSET, float("nan"), False, False),
        (WALL, "east", True, True),
        (WALL, "south", False, True),
        (WALL, "north", False, False),
        (CHUTE, True, False, True),
        (CHUTE, False, True, True),
    ],
)
def test_contains_checks_each_domain(factor, value, train, intervene):
    assert factor.contains(value, "train") is train
    assert factor.contains(value, "intervene") is intervene
    assert factor.contains(value) is intervene  # the intervention domain by default


def test_check_accepts_intervention_values_and_rejects_others_with_the_domain():
    DUST.check(12)
    WALL.check("south")
    with pytest.raises(SpecError, match=r"'dust' is outside its intervention domain 1\.\.12"):
        DUST.check(13)
    with pytest.raises(SpecError, match=r"'wall'.*\{east, west, south\}"):
        WALL.check("north")


def test_describe_names_the_domain():
    assert DUST.describe("train") == "4..8"
    assert WALL.describe("intervene") == "{east, west, south}"


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Factor.integer("dust", train=(0, 20), intervene=(1, 12)), r"'dust': training domain \(0, 20\) is not"),
        (lambda: Factor.integer("dust", train=(1, 12), intervene=(2, 12)), r"not inside the intervention"),
        (lambda: Factor.real("offset", train=(0.1, 0.9), intervene=(0.2, 0.8)), r"'offset': training domain"),
        (lambda: Factor.choice("wall", train=("north",), intervene=("east", "west")), r"'wall': training values"),
        (lambda: Factor.choice("wall", train=(), intervene=("east",)), r"non-empty subset"),
        (lambda: Factor.integer("dust", train=(5, 4), intervene=(1, 12)), r"'dust': train domain must be \(low,"),
        (lambda: Factor.integer("dust", train=(4, 8), intervene=(12, 1)), r"intervene domain must be \(low, high\)"),
        (lambda: Factor.real("offset", train=(0.5,), intervene=(0.0, 1.0)), r"train domain must be \(low, high\)"),
        (lambda: Factor.integer("2dust", train=(4, 8), intervene=(1, 12)), r"'2dust' must be a Python identifier"),
        (lambda: Factor.integer("dust level", train=(4, 8), intervene=(1, 12)), r"identifier"),
        (lambda: Factor.integer("", train=(4, 8), intervene=(1, 12)), r"identifier"),
    ],
)
def test_malformed_factor_raises_spec_error(build, match):
    with pytest.raises(SpecError, match=match):
        build()


def test_unknown_domain_name_raises_spec_error():
    with pytest.raises(SpecError, match=r"Unknown domain 'test'; use 'train' or 'intervene'"):
        DUST.sample(np.random.default_rng(0), "test")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="Unknown domain"):
        DUST.contains(5, "training")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Factor("dust", "integr", (1, 2), (0, 3)), r"kind 'integr'; did you mean 'integer'\?"),
        (lambda: Factor("dust", "float", (1, 2), (0, 3)), r"kind 'float'; a factor is one of \['integer', 'real', 'choice'\]"),
        (lambda: Factor.integer("dust", train=(0.5, 3.5), intervene=(0, 4)),
         r"integer factor, but its train domain \(0.5, 3.5\) has bounds that are not whole numbers; give whole "
         r"bounds, e.g. \(1, 3\), or declare it with Factor.real"),
        (lambda: Factor.integer("dust", train=(1, 3), intervene=(0, 4.5)), r"its intervene domain \(0, 4.5\) has bounds"),
        (lambda: Factor.real("offset", train=(0.0, float("inf")), intervene=(0.0, 1.0)), r"two finite numbers; got \(0.0, inf\)"),
        (lambda: Factor.real("offset", train=("0", "1"), intervene=(0.0, 1.0)), r"two finite numbers; got \('0', '1'\)"),
        (lambda: Factor.real("offset", train=(True, 1.0), intervene=(0.0, 1.0)), r"two finite numbers"),
        (lambda: Factor.choice("wall", train=(["east"],), intervene=(["east"], "west")),
         r"the train value \['east'\] is not a JSON scalar"),
        (lambda: Factor.choice("wall", train=("east",), intervene=("east", float("nan"))),
         r"the intervene value nan is not a JSON scalar"),
        (lambda: Factor.choice("wall", train=("east",), intervene=("east", np.int64(3))), r"not a JSON scalar"),
        (lambda: Factor.choice("wall", train="east", intervene=("east",)), r"train domain 'east' is not a list of values"),
        (lambda: Factor(3, "integer", (1, 2), (0, 3)), r"Factor name 3 must be a Python identifier"),
    ],
    ids=["kind-typo", "kind-unknown", "fractional-train", "fractional-intervene", "infinite", "strings", "bool", "list-choice",
         "nan-choice", "numpy-choice", "string-domain", "name-not-str"],
)
def test_a_malformed_factor_declaration_names_the_fix(build, match):
    with pytest.raises(SpecError, match=match):
        build()


def test_whole_float_bounds_of_an_integer_factor_become_ints():
    factor = Factor.integer("dust", train=(1.0, 3.0), intervene=(0, 4))
    assert factor.train == (1, 3) and all(type(b) is int for b in factor.train)
    assert Factor.choice("light", train=(None, True, 2, 0.5, "on"), intervene=(None, True, 2, 0.5, "on")).contains(0.5)


def test_a_cue_factor_says_so_in_its_json_and_a_plain_one_keeps_its_old_json():
    lamp = Factor.choice("lamp", train=("green",), intervene=("green", "red"), cue=True)
    plain = Factor.integer("dust", train=(2, 4), intervene=(1, 6))
    assert lamp.cue and lamp.to_dict()["cue"] is True
    assert not plain.cue and "cue" not in plain.to_dict()  # scenario fingerprints without cues stay as they were


@pytest.mark.parametrize("cue", ["yes", 1, None])
def test_a_cue_flag_that_is_not_a_bool_raises_spec_error(cue):
    with pytest.raises(SpecError, match=r"cue=.* must be True .* or False"):
        Factor.choice("lamp", train=("green",), intervene=("green", "red"), cue=cue)


def test_randomized_scenes_draw_from_the_randomized_domain_or_else_the_whole_intervention_domain():
    corner = Factor.integer("corner_size", train=(1, 1), intervene=(1, 5), randomized=(5, 5))
    rng = np.random.default_rng(0)
    assert {corner.sample_randomized(rng) for _ in range(50)} == {5}
    assert {corner.sample(rng, "intervene") for _ in range(200)} == {1, 2, 3, 4, 5}  # the suite's domain is unchanged
    wall = Factor.choice("wall", train=("east",), intervene=("east", "west", "south"), randomized=("west",))
    assert {wall.sample_randomized(rng) for _ in range(20)} == {"west"}
    for factor in (DUST, OFFSET, WALL):  # without ``randomized``: the same draw as from the intervention domain
        assert factor.sample_randomized(np.random.default_rng(3)) == factor.sample(np.random.default_rng(3), "intervene")


def test_a_randomized_domain_is_in_the_json_only_when_set():
    corner = Factor.integer("corner_size", train=(1, 1), intervene=(1, 5), randomized=(5.0, 5.0))
    assert corner.randomized == (5, 5) and corner.to_dict()["randomized"] == [5, 5]
    assert "randomized" not in DUST.to_dict()  # the fingerprints of scenarios without it stay as they were


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Factor.integer("k", train=(1, 1), intervene=(1, 5), randomized=(5, 6)),
         r"'k': randomized domain \(5, 6\) is not inside the intervention domain \(1, 5\); pick it from"),
        (lambda: Factor.real("x", train=(0.4, 0.6), intervene=(0.0, 1.0), randomized=(-0.5, 0.5)), r"'x': randomized domain"),
        (lambda: Factor.integer("k", train=(1, 1), intervene=(1, 5), randomized=(4.5, 5)),
         r"its randomized domain \(4.5, 5\) has bounds that are not whole numbers"),
        (lambda: Factor.integer("k", train=(1, 1), intervene=(1, 5), randomized=(5, 4)),
         r"randomized domain must be \(low, high\)"),
        (lambda: Factor.choice("wall", train=("east",), intervene=("east", "west"), randomized=("north",)),
         r"'wall': randomized values \('north',\) must be a non-empty subset of the intervention values"),
        (lambda: Factor.choice("wall", train=("east",), intervene=("east", "west"), randomized=()), r"non-empty subset"),
        (lambda: Factor.choice("wall", train=("east",), intervene=("east",), randomized="east"),
         r"randomized domain 'east' is not a list of values"),
    ],
    ids=["integer-outside", "real-outside", "fractional", "reversed", "choice-outside", "choice-empty", "string"],
)
def test_a_randomized_domain_outside_the_intervention_domain_raises_spec_error(build, match):
    with pytest.raises(SpecError, match=match):
        build()
