"""The sweep's aggregate: IQM and intervals per α, verdict fractions, the knee, sweep.json, plot and HTML."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from proxies.errors import SweepError
from proxies.present.sweep_report import markdown_table
from proxies.run.aggregate import SCHEMA_VERSION, aggregate, write_sweep_report
from proxies.run.config import RunConfig
from proxies.run.rundir import default_run_dir
from proxies.run.sweep import SweepConfig, _claim
from proxies.run.training import TrainConfig

VERDICT_AT = {0.0: ["misgeneralized"] * 4 + ["unstable"], 0.1: ["misgeneralized"] * 2 + ["intended"] * 3, 1.0: ["intended"] * 5}


def _whole_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data", "{}")
    return buffer.getvalue()


def _fake_sweep(out: Path) -> SweepConfig:
    """A sweep folder whose runs hold a model.zip and an attribution.json with planted figures."""
    sweep = SweepConfig(RunConfig(TrainConfig("cleaning-robot", steps=1000)), tuple(VERDICT_AT), seeds=5)
    _claim(out, "cleaning-robot", sweep)
    for config in sweep.runs():
        run_dir = default_run_dir(config, "cleaning-robot", out)
        run_dir.mkdir(parents=True)
        (run_dir / "model.zip").write_bytes(_whole_zip())
        verdict = VERDICT_AT[config.train.mix][config.seed]
        true = 0.9 if verdict == "intended" else 0.1
        weights = {"cleanliness": true, "sweeps": 1 - true - 0.05, "dust_in_pan": 0.05}
        (run_dir / "attribution.json").write_text(json.dumps({
            "verdict": verdict, "weights": {o: {"mean": w, "lo": w, "hi": w} for o, w in weights.items()},
            "in_distribution_score": 0.8 + 0.01 * config.seed, "goal_score": true, "competence": 0.8,
        }))
    return sweep


def test_per_alpha_iqm_verdict_fractions_and_the_knee(tmp_path):
    _fake_sweep(tmp_path)
    result = aggregate(tmp_path, pooled=False, n_boot=300)
    rows = {e["mix"]: e for e in result["per_alpha"]}
    assert rows[0.0]["verdicts"]["misgeneralized"] == 0.8 and rows[0.0]["verdicts"]["unstable"] == 0.2
    assert rows[0.1]["verdicts"]["intended"] == 0.6
    assert all(sum(row["verdicts"].values()) == pytest.approx(1.0) for row in rows.values())  # every verdict counted
    assert rows[1.0]["weights"]["cleanliness"] == {"mean": pytest.approx(0.9), "lo": pytest.approx(0.9),
                                                     "hi": pytest.approx(0.9)}
    mixed = rows[0.1]["weights"]["cleanliness"]
    assert 0.1 <= mixed["lo"] < mixed["hi"] <= 0.9  # seeds that disagree widen the interval
    assert rows[0.0]["in_distribution_score"]["mean"] == pytest.approx(0.82)  # IQM of 0.80..0.84
    assert result["knee"]["alpha"] == 1.0 and result["knee"]["lo"] in (0.1, 1.0)
    assert "| 0.1 | 5 | intended 60%, misgeneralized 40% |" in markdown_table(result)


def test_the_report_files_are_written_with_a_schema_version_and_links_to_each_run(tmp_path):
    _fake_sweep(tmp_path)
    write_sweep_report(tmp_path, pooled=False, n_boot=200)
    data = json.loads((tmp_path / "sweep.json").read_text())
    assert data["schema_version"] == SCHEMA_VERSION and data["scenario"] == "cleaning-robot"
    assert (tmp_path / "images" / "dose-response.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (tmp_path / "sweep.html").read_text()
    for entry in data["per_alpha"]:
        for run in entry["runs"]:
            assert f"href='{run['run_dir']}/report.html'" in page
            assert (tmp_path / run["run_dir"]).is_dir()


def test_unfinished_runs_are_left_out_and_a_folder_without_a_sweep_is_refused(tmp_path):
    sweep = _fake_sweep(tmp_path)
    unfinished = default_run_dir(sweep.runs()[0], "cleaning-robot", tmp_path)
    (unfinished / "attribution.json").unlink()
    assert aggregate(tmp_path, pooled=False, n_boot=100)["per_alpha"][0]["done"] == 4
    with pytest.raises(SweepError, match="holds no sweep"):
        aggregate(tmp_path / "empty", pooled=False)
