"""The documentation site builds with ``mkdocs build --strict`` (every link and image resolves, every API page
renders from its docstrings), into a temporary folder."""

from __future__ import annotations

from docs_site import build_site


def test_the_site_builds_strictly(tmp_path):
    result = build_site(tmp_path / "site")
    assert result.returncode == 0, result.stderr[-4000:]
    site = tmp_path / "site"
    for page in ("index.html", "cli/index.html", "api/index.html", "relations/side-effect/index.html",
                 "scenarios/keys-chests/index.html", "scenarios/results/keys-chests/index.html"):
        assert (site / page).is_file(), page
    api = (site / "api" / "index.html").read_text()
    assert "build_scene" in api and "RewardGraph" in api, "the API reference is rendered from the docstrings"
    assert list((site / "scenarios" / "media" / "keys-chests").glob("film-*.gif"))
