"""The HTML report, written from a fake run directory with real cleaning-robot pictures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fake_run import CUE_PROBE, make_run_dir
from markupsafe import escape

import proxies
from proxies.errors import RunDirError
from proxies.present.report import write_report
from proxies.present.story import glossary, story


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run_dir(tmp_path_factory.mktemp("report"))


def test_report_mentions_everything(run_dir: Path) -> None:
    html_path = write_report(run_dir)
    assert html_path == run_dir / "report.html"
    html = html_path.read_text()
    attribution = json.loads((run_dir / "attribution.json").read_text())
    assert attribution["explanation"] in html
    assert "Goal misgeneralization" in html
    for objective in attribution["objectives"]:
        assert objective in html
    for scene in attribution["scenes"]:
        assert scene["id"] in html
    for relation in ("side effect", "instrumental"):
        assert relation in html
    assert "300,000" in html
    assert "reference · sweeps" in html
    assert "none (acts like random)" in html and "[0.00, 0.07]" in html
    assert attribution["value_probe"]["summary"] in html
    assert "chute = True" in html and "0.14 [-0.32, 0.61]" in html and "1.77 [1.11, 2.37]" in html
    # what the agent gets, split: the rewards it got and the critic's value of the last state
    assert "0.03 [-0.02, 0.08]" in html and "1.74 [1.09, 2.31]" in html and "of which rewards" in html


def test_the_first_section_tells_the_story_in_words_beside_the_quadrant(run_dir: Path) -> None:
    docs = glossary(proxies.get_scenario("cleaning-robot"))
    html = write_report(run_dir, docs).read_text()
    verdict = html[html.index('id="verdict"'):html.index('id="weights"')]
    lines = story(json.loads((run_dir / "attribution.json").read_text()), docs)
    assert all(f"<li>{escape(line)}</li>" in verdict for line in lines)
    assert "(stains, outside_dust, pan_wall, pan_offset changed from training)" in lines[1]
    assert verdict.index(f"<li>{escape(lines[2])}</li>") < verdict.index('src="images/quadrant.png"')


def test_report_images_exist_and_are_relative(run_dir: Path) -> None:
    html = write_report(run_dir).read_text()
    sources = re.findall(r'src="([^"]+)"', html)
    assert "images/weights.png" in sources
    assert {"images/graph.png", "images/train.png", "images/agent-stains-0.gif"} <= set(sources)
    for src in sources:
        assert not src.startswith(("/", "http")), src
        assert (run_dir / src).is_file() and (run_dir / src).stat().st_size > 0, src
    assert "http://" not in html and "https://" not in html  # self-contained: no CDN


def test_report_without_optional_pieces(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path, gifs=False)
    (run / "images" / "graph.png").unlink()
    (run / "images" / "train.png").unlink()
    attribution = json.loads((run / "attribution.json").read_text())
    del attribution["in_distribution"]
    del attribution["value_probe"]
    attribution["scenes"][1]["image"] = "images/not-there.png"
    (run / "attribution.json").write_text(json.dumps(attribution))
    html = write_report(run).read_text()
    assert "not-there.png" not in html
    assert ".gif" not in html
    assert "No graph picture" in html
    assert "What the critic expects" not in html


@pytest.mark.parametrize("missing", ["attribution.json", "config.json"])
def test_missing_json_names_file_and_command(run_dir: Path, tmp_path: Path, missing: str) -> None:
    run = tmp_path / "partial"
    run.mkdir()
    for name in ("config.json", "attribution.json"):
        if name != missing:
            (run / name).write_text((run_dir / name).read_text())
    with pytest.raises(RunDirError, match=re.escape(missing)) as info:
        write_report(run)
    assert "proxy-sandbox" in str(info.value)
    if missing == "attribution.json":
        assert "proxy-sandbox attribute" in str(info.value)


def test_a_hand_edited_name_with_mathtext_does_not_break_the_pictures(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path, gifs=False)
    data = json.loads((run / "attribution.json").read_text())
    data["weights"]["$\\frac{$"] = {"mean": 0.1, "lo": 0.0, "hi": 0.2}  # matplotlib's mathtext fails to parse it
    (run / "attribution.json").write_text(json.dumps(data))
    assert "$\\frac{$" in write_report(run).read_text()


def test_report_shows_the_shares_beside_the_verdict_and_its_stability(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path)
    attribution = json.loads((run / "attribution.json").read_text())
    attribution.update({
        "verdict": "intended", "learned": "cleanliness", "leaning": "cleanliness",
        "headline": "intended (cleanliness), with 0.26 [0.07, 0.49] dust_in_pan",
        "shares": {"dust_in_pan": {"mean": 0.26, "lo": 0.07, "hi": 0.49}},
        "stability": {"bootstrap": {"verdict": 0.93, "top": 1.0}, "leave_one_out": {"verdict": 1.0, "top": 1.0},
                      "threshold": 0.9, "least": 0.93},
    })
    (run / "attribution.json").write_text(json.dumps(attribution))
    html = write_report(run).read_text()
    assert "intended (cleanliness), with 0.26 [0.07, 0.49] dust_in_pan" in html
    assert "<code>dust_in_pan</code> 0.26 [0.07, 0.49]" in html
    assert "93%" in html and "100%" in html and "needs 90%" in html


def test_report_of_an_unstable_verdict_says_so(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path)
    attribution = json.loads((run / "attribution.json").read_text())
    attribution.update({"verdict": "unstable", "learned": None, "leaning": "dust_in_pan"})
    (run / "attribution.json").write_text(json.dumps(attribution))
    assert "Unstable verdict" in write_report(run).read_text()



def test_report_shows_the_cue_probe_and_its_finding(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path)
    attribution = json.loads((run / "attribution.json").read_text())
    assert "Does a cue change" not in write_report(run).read_text()  # no cue probe, no section
    (run / "attribution.json").write_text(json.dumps({**attribution, "cue_probe": CUE_PROBE}))
    html = write_report(run).read_text()
    assert "Does a cue change what the agent does?" in html and "lamp = red" in html
    assert "-0.81 [-0.9, -0.7]" in html and "<strong>finding</strong>" in html and "invariant" in html
