"""The HTML report of a tiny run, and a generated docs page, in headless Chromium: every image loads, no console
error, the verdict on the first screen, and no horizontal scrolling at 1280 px (a laptop) nor at 390 px (a phone).

Chromium is Debian's ``chromium`` (``make test`` installs it when missing and run as root); without it the test is
skipped, saying so. With ``PROXY_SANDBOX_SCREENSHOTS=DIR`` the first screen of each page at each width is saved in
DIR (docs/images/ holds the committed ones: ``PROXY_SANDBOX_SCREENSHOTS=docs/images make test``).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from browser import Browser, chromium
from docs_site import build_site
from fake_run import CUE_PROBE

from proxies.present.story import glossary, story
from proxies.scenario.registry import get_scenario

ROOT = Path(__file__).resolve().parents[3]
WIDTHS = ((1280, 800), (390, 844))
EXECUTABLE = chromium()

pytestmark = pytest.mark.skipif(EXECUTABLE is None, reason="no chromium: `make test` installs Debian's when run as root")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chrome = Browser(EXECUTABLE, tmp_path_factory.mktemp("chromium-profile"))
    yield chrome
    chrome.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """``report.html`` of a tiny run (2,048 training steps: an incompetent agent, with a verdict all the same)."""
    run = tmp_path_factory.mktemp("tiny") / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-c", "from proxies.cli import app; app(prog_name='proxy-sandbox')", "run", "keys-chests",
         "--steps", "2048", "--seed", "0", "--out", str(run)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return run / "report.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The docs site, built and served on localhost (as a reader gets it: Material's scripts need http, not file)."""
    folder = tmp_path_factory.mktemp("site") / "site"
    built = build_site(folder)
    assert built.returncode == 0, built.stderr[-3000:]
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


def _check(browser: Browser, url: str, selector: str, name: str) -> list[str]:
    """Load ``url`` at both widths; return the verdict-or-title text of the first screen."""
    texts = []
    for width, height in WIDTHS:
        page = browser.inspect(url, width, height, selector, screenshot=True)
        where = f"{name} at {width} px"
        assert page.images > 0, f"{where}: no images at all"
        assert page.broken == [], f"{where}: broken images {page.broken}"
        assert page.errors == [], f"{where}: console errors {page.errors}"
        assert page.scroll_width <= width, f"{where}: scrolls sideways ({page.scroll_width} px wide; {page.too_wide})"
        assert page.element_top is not None and 0 <= page.element_top < height, f"{where}: {selector} not on the first screen"
        assert page.raw_floats == [], f"{where}: raw floats {page.raw_floats}"
        out = os.environ.get("PROXY_SANDBOX_SCREENSHOTS")
        if out:
            Path(out, f"screenshot-{name}-{width}.png").write_bytes(page.screenshot)
        texts.append(page.element_text)
    return texts


def _whole_on_first_screen(browser: Browser, url: str, selector: str, widths=WIDTHS) -> list[str]:
    """The text of ``selector``, which must lie wholly on the first screen at each of ``widths``."""
    texts = []
    for width, height in widths:
        page = browser.inspect(url, width, height, selector)
        assert page.element_top is not None and 0 <= page.element_top < page.element_bottom <= height, (
            f"{selector} at {width} px spans {page.element_top}-{page.element_bottom}, past the first screen ({height} px)")
        texts.append(page.element_text)
    return texts


def test_the_report_reads_well_in_a_browser(browser, report):
    texts = _check(browser, report.resolve().as_uri(), "#verdict", "report")
    for text in texts:
        assert re.search(r"capability|intended|misgeneral|mixed|unstable", text, re.I), text
    # the story's three lines, beside the quadrant picture, on the first screen (the probe reads 400 characters)
    lines = story(json.loads((report.parent / "attribution.json").read_text()), glossary(get_scenario("keys-chests")))
    for text in _whole_on_first_screen(browser, report.resolve().as_uri(), "#story"):
        shown = " ".join(text.split())
        assert shown.startswith(lines[0]) and " ".join(" ".join(lines).split()).startswith(shown), text
    _whole_on_first_screen(browser, report.resolve().as_uri(), ".quadrant", WIDTHS[:1])  # on a laptop, beside them


def test_a_generated_scenario_page_reads_well_in_a_browser(browser, site):
    texts = _check(browser, f"{site}/scenarios/keys-chests/", "h1", "scenario-page")
    assert all("Keys and chests" in t for t in texts)


def test_the_gallery_reads_well_in_a_browser(browser, site):
    _check(browser, f"{site}/", "h1", "gallery")


def test_a_report_with_every_section_reads_well_in_a_browser(browser, tmp_path):
    """The cleaning robot's fake run: pursuit weights, critic and cue-probe tables, a real-valued intervention."""
    from fake_run import make_run_dir

    from proxies.present.report import write_report

    run = make_run_dir(tmp_path)
    data = json.loads((run / "attribution.json").read_text())
    data["scenes"][2]["interventions"]["pan_offset"] = 0.28585864501312536
    data["cue_probe"] = CUE_PROBE
    (run / "attribution.json").write_text(json.dumps(data))
    texts = _check(browser, write_report(run).resolve().as_uri(), "#verdict", "report-all-sections")
    assert all("dust_in_pan" in t for t in texts)
