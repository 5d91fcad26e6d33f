"""The generated docs pages are current, like a lock file: regenerating them from the scenarios gives the
committed Markdown and, picture by picture and film by film, the same fingerprints (``media.lock.json``).

The films are rendered and fingerprinted but not encoded here (encoding is the slow part), so the
test compares what each film shows, not its GIF bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from proxies.cli import app
from proxies.present.pages import GENERATED, MANIFEST
from proxies.run.docs import installed_slugs, write_docs

DOCS = Path(__file__).resolve().parents[2] / "docs"
FIX = "run `proxy-sandbox docs` from the repository root and commit docs/"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    write_docs(out, encode=False, cli=typer.main.get_command(app))
    return out


def test_every_generated_page_is_the_committed_one(regenerated):
    pages = sorted(p.relative_to(regenerated) for p in regenerated.rglob("*.md"))
    assert pages, "nothing was generated"
    for rel in pages:
        committed = DOCS / rel
        assert committed.is_file(), f"docs/{rel} is missing; {FIX}"
        assert committed.read_text() == (regenerated / rel).read_text(), f"docs/{rel} is stale; {FIX}"


def test_every_picture_and_film_is_the_committed_one(regenerated):
    manifest = json.loads((regenerated / MANIFEST).read_text())
    assert json.loads((DOCS / MANIFEST).read_text()) == manifest, f"a picture or film of the pages is stale; {FIX}"
    missing = [rel for rel in manifest if not (DOCS / rel).is_file()]
    assert not missing, f"pictures or films missing from docs/: {missing}; {FIX}"


def test_no_generated_page_is_left_over():
    """A page of a scenario that is no longer installed goes too."""
    generated = {p.stem for p in (DOCS / "scenarios").glob("*.md") if p.read_text().startswith(GENERATED)}
    assert generated == set(installed_slugs())


def test_the_gallery_covers_every_registered_scenario():
    index = (DOCS / "index.md").read_text()
    for slug in installed_slugs():
        assert f"(scenarios/{slug}.md)" in index
        assert f'src="scenarios/media/{slug}/film-' in index


def test_the_cli_reference_has_every_command():
    reference = (DOCS / "cli.md").read_text()
    for name in typer.main.get_command(app).list_commands(None):
        assert f"## `proxy-sandbox {name}`" in reference


def test_the_committed_media_stay_small():
    for slug in installed_slugs():
        size = sum(p.stat().st_size for p in (DOCS / "scenarios" / "media" / slug).iterdir())
        assert size < 1_000_000, f"docs/scenarios/media/{slug} holds {size} bytes; keep films few-framed and small"


def test_each_page_links_to_its_hand_written_results():
    for slug in installed_slugs():
        assert f"(results/{slug}.md)" in (DOCS / "scenarios" / f"{slug}.md").read_text()
        assert (DOCS / "scenarios" / "results" / f"{slug}.md").is_file()
