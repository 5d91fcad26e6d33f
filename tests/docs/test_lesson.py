"""docs/lessons/three-relations.ipynb runs from top to bottom (nbclient, the dev extra) at a tiny training budget."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

LESSON = Path(__file__).resolve().parents[2] / "docs" / "lessons" / "three-relations.ipynb"


def test_the_lesson_runs_and_reads_the_relations_and_the_attribution(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSON_STEPS", "2048")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(LESSON.parents[2]), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(LESSON, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "commit it without outputs"
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(
        out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs
    )
    assert "sweeps     side_effect   sweeps → clean" in text
    assert "pan        instrumental  clean → pan" in text
    assert "near_door  common_cause" in text
    assert "('side_effect', 'keys_collected → chests_opened')" in text
    assert "reference: keys_collected    chests_opened = 0, keys_collected = 5" in text, "the key collector hoards"
    assert "verdict **" in text
    assert (tmp_path / "lesson" / "run" / "model.zip").is_file()
