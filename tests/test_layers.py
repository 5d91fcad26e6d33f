"""The import layers of pyproject.toml's [tool.importlinter] contracts hold (docs/architecture.md)."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_every_import_contract_of_the_project_is_kept(capsys):
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 kept, 0 broken" in out


def test_a_contract_the_code_breaks_is_reported(tmp_path, capsys):
    config = tmp_path / "pyproject.toml"  # the stages upside down: proxies.run imports proxies.scenario
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["proxies"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "upside down"\ntype = "layers"\n'
        'containers = ["proxies"]\nlayers = ["scenario", "run"]\n'
    )
    code = lint_imports(config_filename=str(config), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 1
    assert "upside down BROKEN" in out
    assert "proxies.run" in out and "proxies.scenario" in out
