"""Building the documentation site (``mkdocs build --strict``) for the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "docs" / "mkdocs" / "mkdocs.yml"


def build_site(site: Path) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of docs/ into ``site``."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(CONFIG), "-d", str(site)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )
