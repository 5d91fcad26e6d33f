"""``proxy-sandbox docs``: bad output folders are refused before anything is built."""

from __future__ import annotations

from typer.testing import CliRunner

from proxies.cli import app


def test_docs_out_pointing_into_a_file_is_refused(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    result = CliRunner().invoke(app, ["docs", "--out", str(target)])
    assert result.exit_code == 2
    assert "is an existing file, not a folder" in result.output and "give a folder" in result.output
    assert target.read_text() == "keep me"


def test_docs_out_under_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(app, ["docs", "--out", str(tmp_path / "notes.txt" / "docs")])
    assert result.exit_code == 2 and "no folder can be made under it" in result.output


def test_docs_of_one_scenario_writes_its_page_and_keeps_the_manifest_of_the_others(tmp_path):
    (tmp_path / "media.lock.json").write_text('{"scenarios/media/other/graph.png": "x"}')
    result = CliRunner().invoke(app, ["docs", "--out", str(tmp_path), "--scenario", "gem-colour"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "scenarios" / "gem-colour.md").read_text()
    assert "## The counterfactual scenes" in page and "| `gem_colour` | choice | {yellow} | {yellow, red} |" in page
    assert (tmp_path / "scenarios" / "media" / "gem-colour" / "graph.png").is_file()
    assert not (tmp_path / "index.md").exists(), "the gallery needs every scenario"
    manifest = (tmp_path / "media.lock.json").read_text()
    assert "scenarios/media/other/graph.png" in manifest and "scenarios/media/gem-colour/train.png" in manifest
