"""The benchmark's figures: present, positive, and ratios of the rates printed beside them.

Timings are not asserted (the machine running the tests may be slow and noisy); the targets are
checked by reading ``proxy-sandbox bench --json``.
"""

import json
from pathlib import Path

import pytest
from suite_helpers import LAMPS, isolated_registry
from typer.testing import CliRunner

import proxies.run.bench as bench
from proxies.cli import app
from proxies.run.bench import PLATFORMER, run_bench

MAIN = {
    "env_steps_per_s", "physics_steps_per_s", "env_overhead_ratio",
    "ppo_steps_per_s", "ppo_cartpole_steps_per_s", "ppo_ratio", "ppo_dummy_vec_steps_per_s", "ppo_dummy_vec_ratio",
}
"""The asked-for scenario's figures, at the top level."""
PER_SCENARIO = MAIN - {"ppo_cartpole_steps_per_s"}


@pytest.fixture(scope="module")
def figures():
    with isolated_registry():
        yield run_bench(steps=1024, repeats=1)


def test_bench_reports_every_figure_as_a_positive_rate(figures):
    assert set(figures) == MAIN | {"scenario", "scenarios", "notes"}
    assert figures["scenario"] == "cleaning-robot"
    assert all(figures[key] > 0 for key in MAIN)
    for row in figures["scenarios"].values():
        assert set(row) == PER_SCENARIO and all(value > 0 for value in row.values())


def test_bench_ratios_are_the_ratios_of_its_rates(figures):
    assert figures["env_overhead_ratio"] == pytest.approx(figures["env_steps_per_s"] / figures["physics_steps_per_s"])
    assert figures["ppo_ratio"] == pytest.approx(figures["ppo_steps_per_s"] / figures["ppo_cartpole_steps_per_s"])
    for row in figures["scenarios"].values():
        assert row["env_overhead_ratio"] == pytest.approx(row["env_steps_per_s"] / row["physics_steps_per_s"])
        assert row["ppo_ratio"] == pytest.approx(row["ppo_steps_per_s"] / figures["ppo_cartpole_steps_per_s"])
        assert row["ppo_dummy_vec_ratio"] == pytest.approx(
            row["ppo_dummy_vec_steps_per_s"] / figures["ppo_cartpole_steps_per_s"]
        )
    assert figures["scenarios"]["cleaning-robot"] == {key: figures[key] for key in PER_SCENARIO}


def test_bench_measures_the_platformer_beside_the_scenario(figures):
    assert PLATFORMER.is_file(), f"bench looks for the platformer fixture at {PLATFORMER}, which a source checkout has"
    assert len(figures["scenarios"]) == 2 and figures["notes"] == []


def test_bench_takes_a_scenario_path_and_says_when_the_platformer_is_absent(monkeypatch):
    monkeypatch.setattr(bench, "PLATFORMER", Path("/nonexistent/platformer.py"))
    monkeypatch.setattr(bench, "_ppo_rate", lambda vec, steps: 1000.0)  # PPO is measured above
    with isolated_registry():
        result = CliRunner().invoke(app, ["bench", "--scenario", str(LAMPS), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["scenario"] == "noref-lamps" and list(figures["scenarios"]) == ["noref-lamps"]
    assert "platformer" in figures["notes"][0] and "absent" in figures["notes"][0]
    assert figures["ppo_ratio"] == 1.0
