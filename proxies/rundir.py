"""Run directories: where one run's config, model, suite, attribution and report live.

A run directory is keyed by (scenario, config hash, seed). Files are written atomically
(temporary file, then rename), so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from proxies.errors import RunDirError
from proxies.training import TrainConfig

__all__ = ["default_run_dir", "write_json", "read_json", "prepare", "load_config", "require"]

_MAKERS = {
    "config.json": "proxy-sandbox train",
    "model.zip": "proxy-sandbox train",
    "suite.json": "proxy-sandbox run (or proxy-sandbox suite)",
    "attribution.json": "proxy-sandbox attribute RUN_DIR",
}


def default_run_dir(config: TrainConfig, slug: str, root: Path = Path("runs")) -> Path:
    """``runs/<scenario>-<config hash>-s<seed>``."""
    return root / f"{slug}-{config.config_hash}-s{config.seed}"


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str))
    os.replace(tmp, path)
    return path


def require(run_dir: Path, name: str) -> Path:
    """The path of a file the run directory must hold, or a :class:`RunDirError` saying how to make it."""
    if not run_dir.is_dir():
        raise RunDirError(f"Run directory {run_dir} does not exist; create it with `proxy-sandbox train` or `proxy-sandbox run`.")
    path = run_dir / name
    if not path.is_file():
        maker = _MAKERS.get(name, "proxy-sandbox run")
        raise RunDirError(f"{run_dir} is incomplete: it has no {name}. Make it with `{maker}`.")
    return path


def read_json(run_dir: Path, name: str) -> Any:
    """Read one of the run directory's JSON files."""
    path = require(run_dir, name)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{path} is not valid JSON ({exc}); delete it and re-run the step that makes it.") from None


def load_config(run_dir: Path) -> TrainConfig:
    """The training config of a run."""
    return TrainConfig.from_dict(read_json(run_dir, "config.json"))


def prepare(run_dir: Path, config: TrainConfig) -> None:
    """Create ``run_dir`` for ``config``; refuse to reuse one that holds a different run."""
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"{run_dir} exists and is not a directory; choose another --out.")
    existing = run_dir / "config.json"
    if existing.is_file():
        try:
            old = TrainConfig.from_dict(json.loads(existing.read_text()))
        except (json.JSONDecodeError, TypeError, ValueError):
            old = None
        if old != config:
            raise RunDirError(
                f"{run_dir} already holds a different run (see its config.json); choose another --out "
                "or delete that directory."
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "images").mkdir(exist_ok=True)
    write_json(existing, config.to_dict())
