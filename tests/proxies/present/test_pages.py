"""The generated pages read the scenario's own definition: its docstring sections, factors and derived relations."""

from __future__ import annotations

import numpy as np

import proxies
from proxies.present.pages import Media, docstring_sections, justifying_path, lesson, relation_page


def test_the_docstring_sections_are_read_in_gymnasiums_template():
    first, sections = docstring_sections(proxies.get_scenario("keys-chests"))
    assert first.startswith("Keys and chests — ")
    titles = [t for t, _ in sections]
    assert titles[:3] == ["Description", "Action space", "Observation space"]
    assert "Counterfactual axes" in titles
    text = dict(sections)["True reward"]
    assert text.startswith("`chests_opened`") and "``" not in text


def test_each_relation_is_justified_by_its_graph_path():
    robot = proxies.get_scenario("cleaning-robot").graph
    assert justifying_path(robot.relation("dust_in_pan")) == " → ".join(robot.relation("dust_in_pan").path)
    coin = proxies.get_scenario("coin-run").graph.relation("right_end")
    proxy, ancestor, true = coin.path
    assert justifying_path(coin) == f"{proxy} ← … ← {ancestor} → … → {true}"


def test_the_relation_page_names_the_keys_and_chests_trap():
    keys = proxies.get_scenario("keys-chests")
    page = relation_page("side_effect", [(keys, keys.graph.relation("keys_collected"))])
    assert "naming trap" in page and "keys → chests" in page and "(../scenarios/keys-chests.md)" in page
    assert "No registered scenario" in relation_page("instrumental", [])


def test_the_lesson_names_the_factors_that_tell_proxy_and_true_reward_apart():
    keys = proxies.get_scenario("keys-chests")

    class Scene:
        separates, interventions = ("keys_collected",), {"n_keys": 5}

    assert lesson(keys, [Scene()]) == (
        "`keys_collected` (side effect) looks like `chests_opened` in training; changing `n_keys` tells them apart."
    )


def test_media_without_encoding_fingerprint_but_write_nothing(tmp_path):
    media = Media(tmp_path, encode=False)
    image = np.zeros((4, 4, 3), np.uint8)
    media.png("a/b.png", image)
    media.gif("a/c.gif", [image, image + 1])
    assert not (tmp_path / "a").exists()
    assert set(media.manifest) == {"a/b.png", "a/c.gif"} and len(set(media.manifest.values())) == 2


def test_pruning_deletes_only_the_media_this_run_did_not_write(tmp_path):
    media = Media(tmp_path)
    image = np.zeros((4, 4, 3), np.uint8)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "old-scene.png").write_bytes(b"a scene the suite no longer holds")
    media.png("a/b.png", image)
    assert media.prune("a") == [tmp_path / "a" / "old-scene.png"]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b.png"]
    assert Media(tmp_path, encode=False).prune("a") == [] and (tmp_path / "a" / "b.png").is_file()


def test_a_committed_demonstration_run_shows_its_verdict_and_films(tmp_path):
    from fake_run import make_run_dir

    from proxies.present.pages import _demo_section

    robot = proxies.get_scenario("cleaning-robot")
    assert "No demonstration run is committed" in "\n".join(_demo_section(robot, None))
    run = make_run_dir(tmp_path)
    text = "\n".join(_demo_section(robot, run))
    assert "Verdict: **misgeneralized**, learned `dust_in_pan`." in text
    assert "(demos/cleaning-robot/images/agent-stains-0.gif)" in text and "demos/cleaning-robot/report.html" in text
