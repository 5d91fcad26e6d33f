"""``proxy-sandbox watch``: the recording path, and every bad input refused with a typed error naming the fix."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
from fake_run import make_run_dir
from typer.testing import CliRunner

import proxies
from proxies.cli import app
from proxies.errors import ConfigError, InterventionError, OutputError, SuiteMismatchError
from proxies.run.watch import check_record, parse_factors, pick_policy, pick_scene, watch

runner = CliRunner()


def test_recording_writes_every_step_with_the_counts_band(tmp_path):
    film = tmp_path / "keys.gif"
    result = runner.invoke(app, ["watch", "keys-chests", "--factor", "n_keys=5", "--policy", "reference:keys_collected",
                                 "--record", str(film)], env={"DISPLAY": ""})
    assert result.exit_code == 0, result.output
    frames = iio.imread(film)
    keys = proxies.get_scenario("keys-chests")
    assert 2 <= len(frames) <= keys.max_steps + 1
    assert "reference: keys_collected in n_keys=5" in result.output


def test_recording_an_mp4_writes_a_film_of_the_same_frames(tmp_path):
    film = tmp_path / "keys.mp4"
    result = runner.invoke(app, ["watch", "keys-chests", "--factor", "n_keys=5", "--policy", "reference:keys_collected",
                                 "--record", str(film)], env={"DISPLAY": ""})
    assert result.exit_code == 0, result.output
    gif = tmp_path / "keys.gif"
    runner.invoke(app, ["watch", "keys-chests", "--factor", "n_keys=5", "--policy", "reference:keys_collected",
                        "--record", str(gif)], env={"DISPLAY": ""})
    frames, reference = iio.imread(film), iio.imread(gif)
    assert len(frames) == len(reference)  # every step, as in the .gif
    # the encoder pads each side up to a multiple of 16 pixels (its macro blocks), no more
    assert all(0 <= m - g < 16 and m % 16 == 0 for m, g in zip(frames.shape[1:3], reference.shape[1:3]))


def test_the_frames_show_the_counts_changing(tmp_path):
    keys = proxies.get_scenario("keys-chests")
    spec, seed, _ = pick_scene(keys, scene=None, factors={"n_keys": 5}, seed=0)
    frames = watch(keys, pick_policy(keys, "reference:keys_collected"), spec, seed, record=tmp_path / "f.gif")
    band = 6 + 12 * (2 + len(keys.objectives))
    assert not np.array_equal(frames[0][:band], frames[-1][:band]), "the step and the counts are redrawn"
    assert (tmp_path / "f.gif").is_file()


def test_a_suite_scene_is_picked_by_number_or_id():
    keys = proxies.get_scenario("keys-chests")
    spec, seed, caption = pick_scene(keys, scene="1", factors={}, seed=0)
    again, _, same = pick_scene(keys, scene=caption.split(":")[0].removeprefix("scene "), factors={}, seed=0)
    assert spec == again and caption == same
    with pytest.raises(ConfigError, match=r"the suite has scenes 1\.\.2"):
        pick_scene(keys, scene="9", factors={}, seed=0)
    with pytest.raises(ConfigError, match="not both"):
        pick_scene(keys, scene="1", factors={"n_keys": 5}, seed=0)


@pytest.mark.parametrize(
    ("policy", "error", "message"),
    [
        ("referenc:keys", ConfigError, "did you mean 'reference:keys_collected'"),
        ("reference:key", ConfigError, "no objective 'key'"),
        ("best", ConfigError, "neither a run directory nor a known policy"),
    ],
)
def test_an_unknown_policy_is_refused(policy, error, message):
    with pytest.raises(error, match=message):
        pick_policy(proxies.get_scenario("keys-chests"), policy)


def test_a_run_of_another_scenario_is_refused(tmp_path):
    run = make_run_dir(tmp_path, gifs=False)  # a cleaning-robot run
    with pytest.raises(SuiteMismatchError, match="is a run of 'cleaning-robot', not of 'keys-chests'"):
        pick_policy(proxies.get_scenario("keys-chests"), str(run))


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["n_keys=9"], r"outside its intervention domain 1\.\.5"),
        (["n_keys=many"], "is not a number"),
        (["n_keys"], "is not NAME=VALUE"),
    ],
)
def test_a_factor_outside_its_intervention_domain_is_refused(items, message):
    with pytest.raises(InterventionError, match=message):
        parse_factors(proxies.get_scenario("keys-chests"), items)


def test_an_unknown_factor_gets_a_suggestion():
    with pytest.raises(ConfigError, match="did you mean 'n_keys'"):
        parse_factors(proxies.get_scenario("keys-chests"), ["n_key=2"])


def test_no_display_and_no_record_is_refused(monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(OutputError, match="--record FILM.gif"):
        check_record(None)
    result = runner.invoke(app, ["watch", "keys-chests"])
    assert result.exit_code == 2 and "No display" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--record", "film.png"], "ending in .gif or .mp4"),
        (["--record", "missing/film.gif"], "does not exist"),
        (["--speed", "0", "--record", "film.gif"], "--speed must be a positive"),
    ],
)
def test_bad_recording_options_are_refused(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["watch", "keys-chests", *args])
    assert result.exit_code == 2 and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_mp4_without_an_encoder_names_the_package_or_gif(tmp_path, monkeypatch):
    monkeypatch.setattr("proxies.run.watch._mp4_encoder", lambda: False)
    with pytest.raises(ConfigError, match=r"pip install 'proxy-sandbox\[video\]'"):
        check_record(tmp_path / "film.mp4")


def test_with_a_display_the_frames_go_to_a_window(monkeypatch):
    """The window path: every frame is handed to the window (no real window is opened: pyplot's state is left alone)."""
    monkeypatch.setenv("DISPLAY", ":99")
    shown = []
    monkeypatch.setattr("proxies.run.watch._Window.__init__", lambda self, fps: None)
    monkeypatch.setattr("proxies.run.watch._Window.show", lambda self, frame: shown.append(frame.shape))
    monkeypatch.setattr("proxies.run.watch._Window.close", lambda self: None)
    gem = proxies.get_scenario("gem-colour")
    spec, seed, _ = pick_scene(gem, scene=None, factors={"gem_colour": "red"}, seed=0)
    frames = watch(gem, pick_policy(gem, "random"), spec, seed, speed=4)
    assert len(shown) == len(frames) >= 2
