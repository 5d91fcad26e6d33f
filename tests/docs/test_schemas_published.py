"""The JSON Schemas published in docs/schemas/ are the ones the package checks its files against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proxies.schemas import AttributionFile, ConfigFile

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


@pytest.mark.parametrize(("name", "model"), [("attribution", AttributionFile), ("config", ConfigFile)])
def test_the_published_schema_matches_the_model(name, model):
    published = json.loads((DOCS / f"{name}.schema.json").read_text())
    assert published == model.model_json_schema(), (
        f"docs/schemas/{name}.schema.json is stale; regenerate it (docs/schemas.md says how)"
    )
