"""Films of references playing a scene side by side, with every objective's running count on the frame."""

from __future__ import annotations

import numpy as np

import proxies
from proxies import RandomPolicy
from proxies.present.films import count_text, draw_panel, film_side_by_side, frames_digest, side_by_side


def test_a_panel_adds_a_band_with_a_line_per_objective_above_the_frame():
    frame = np.zeros((40, 60, 3), dtype=np.uint8)
    two = draw_panel(frame, "reference: a", 3, {"a": 1.0, "b": 2.5}, true_reward="a")
    three = draw_panel(frame, "reference: a", 3, {"a": 1.0, "b": 2.5, "c": 0.0})
    assert two.shape[1] == 60 and three.shape[0] > two.shape[0] > 40
    assert (two[-40:] == 0).all(), "the frame itself is not drawn over"
    assert (two[:-40] != 255).any(), "the band holds text"
    assert not np.array_equal(draw_panel(frame, "t", 3, {"a": 1.0}), draw_panel(frame, "t", 4, {"a": 1.0}))


def test_counts_are_written_whole_or_to_two_decimals():
    assert [count_text(v) for v in (3.0, 2.5, 0.28585864501312536, -1.0)] == ["3", "2.5", "0.29", "-1"]


def test_panels_go_side_by_side_on_white():
    a, b = np.zeros((10, 5, 3), np.uint8), np.zeros((7, 4, 3), np.uint8)
    out = side_by_side([a, b])
    assert out.shape == (10, 5 + 6 + 4, 3) and (out[:, 5:11] == 255).all() and (out[7:, 11:] == 255).all()


def test_every_policy_plays_the_same_scene_and_the_film_ends_on_what_each_achieved():
    keys = proxies.get_scenario("keys-chests")
    spec = keys.sample_spec(np.random.default_rng(1), n_keys=5, n_chests=4)
    refs = dict(keys.references)
    played = film_side_by_side(keys, spec, 1, {"keys": refs["keys_collected"], "random": RandomPolicy}, frames=8)
    assert played.returns["keys"]["keys_collected"] == 5, "the key collector takes all five keys"
    assert played.returns["random"]["keys_collected"] < 5 and played.steps["keys"] <= keys.max_steps
    assert 2 <= len(played.frames) <= 8 + 2 and len({f.shape for f in played.frames}) == 1
    again = film_side_by_side(keys, spec, 1, {"keys": refs["keys_collected"], "random": RandomPolicy}, frames=8)
    assert frames_digest(again.frames) == frames_digest(played.frames), "the same scene, seed and policies give the same film"
