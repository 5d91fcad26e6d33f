"""Sweeps: the α grid, the folder's claim, run states, and tiny sweeps on the process pool and on Ray."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from proxies import get_scenario
from proxies.errors import ConfigError, RunConfigMismatchError, SweepError
from proxies.evaluate.gate import GateConfig
from proxies.run.config import EvaluationConfig, RunConfig
from proxies.run.executors import RayExecutor, make_executor
from proxies.run.sweep import SweepConfig, _claim, check_workers, load_sweep, parse_mixes, run_state, run_sweep
from proxies.run.training import TrainConfig

TINY = RunConfig(
    TrainConfig("cleaning-robot", steps=1024, n_envs=2, checkpoint_every=512,
                hyperparameters=(("n_steps", 128), ("batch_size", 128), ("n_epochs", 1))),
    EvaluationConfig(per_proxy=1, per_factor=2, rounds=3, gate=GateConfig(episodes=4), episodes=2, n_boot=200,
                     probe_pairs=4),
)
"""A sweep run of about ten seconds: a few training updates and a one-scene-per-proxy suite."""


@pytest.mark.parametrize(("text", "problem"), [
    ("0,1.5", "outside"), ("-0.1", "outside"), ("0,0.01,0.01", "repeats"), ("0,abc", "not a number"),
    ("", "not a number"), ("nan", "outside"), ("0,,1", "not a number"),
])
def test_a_bad_alpha_list_is_refused_naming_the_value(text, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_mixes(text)


def test_the_alpha_grid_is_sorted_and_every_run_keyed_by_config_and_seed():
    sweep = SweepConfig(TINY, (0.1, 0.0), seeds=2)
    assert sweep.mixes == (0.0, 0.1)
    runs = sweep.runs()
    assert [(r.train.mix, r.seed) for r in runs] == [(0.0, 0), (0.0, 1), (0.1, 0), (0.1, 1)]
    assert runs[0].config_hash == runs[1].config_hash != runs[2].config_hash
    assert SweepConfig.from_dict(json.loads(json.dumps(sweep.to_dict()))) == sweep


def test_zero_seeds_or_workers_are_refused_and_too_many_workers_warned():
    with pytest.raises(ConfigError, match="--seeds must be at least 1"):
        SweepConfig(TINY, (0.0,), seeds=0)
    with pytest.raises(ConfigError, match="--workers must be at least 1"):
        check_workers(0)
    assert check_workers(1) is None
    assert "more than the" in check_workers((os.cpu_count() or 1) + 1)


def test_ray_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    with pytest.raises(SweepError, match=r"pip install 'proxy-sandbox\[ray\]'"):
        make_executor("ray", 1)


def test_an_unreachable_or_malformed_ray_address_is_a_clear_error():
    pytest.importorskip("ray", reason="Ray is not installed (the [ray] extra)")
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SweepError, match="no Ray cluster answers there"):
        RayExecutor(1, f"127.0.0.1:{port}")
    with pytest.raises(SweepError, match="is not host:port"):
        RayExecutor(1, "nowhere")


def test_unknown_backend_and_an_address_without_ray_are_refused():
    with pytest.raises(SweepError, match="Unknown --backend"):
        make_executor("dask", 1)
    with pytest.raises(SweepError, match="--address applies to --backend ray only"):
        make_executor("process", 1, "127.0.0.1:6379")


def test_a_folder_holding_another_sweep_is_refused_and_left_alone(tmp_path):
    other = tmp_path / "sweep-config.json"
    other.write_text(json.dumps({"schema_version": 1, "scenario": "coin-run",
                                 "sweep": SweepConfig(TINY, (0.0,), 1).to_dict()}))
    before = other.read_bytes()
    scenario = get_scenario("cleaning-robot")
    with pytest.raises(RunConfigMismatchError, match="holds a sweep of 'coin-run'"):
        run_sweep(scenario, "cleaning-robot", SweepConfig(TINY, (0.0,), 1), tmp_path, workers=1,
                  console=Console(file=open(os.devnull, "w")))
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["sweep-config.json"]
    with pytest.raises(SweepError, match="holds no sweep"):
        load_sweep(tmp_path / "nothing")


def test_a_folder_holding_a_sweep_with_other_settings_is_refused_but_a_wider_grid_is_not(tmp_path):
    _claim(tmp_path, "cleaning-robot", SweepConfig(TINY, (0.0,), 1))
    _claim(tmp_path, "cleaning-robot", SweepConfig(TINY, (0.0, 0.5), 3))  # more α and seeds: the same sweep, grown
    longer = RunConfig(TrainConfig(**{**TINY.train.to_dict(), "hyperparameters": (("n_steps", 128),), "steps": 2048}))
    with pytest.raises(RunConfigMismatchError, match="with other settings"):
        _claim(tmp_path, "cleaning-robot", SweepConfig(longer, (0.0,), 1))
    assert load_sweep(tmp_path)[1].mixes == (0.0, 0.5)


def test_run_states_from_the_files_a_run_holds(tmp_path):
    assert run_state(tmp_path) == "new"
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "resume.json").write_text("{}")
    assert run_state(tmp_path) == "resume"
    (tmp_path / "model.zip").write_bytes(b"PK\x03\x04 truncated")
    assert run_state(tmp_path).startswith("damaged: model.zip")


def _results(out: Path) -> dict[str, dict]:
    """Each run's attribution (timings left out) and training record, by run folder name."""
    found = {}
    for path in sorted(out.glob("*/attribution.json")):
        data = json.loads(path.read_text())
        data.pop("seconds")
        found[path.parent.name] = data
    return found


@pytest.mark.slow
def test_a_tiny_sweep_gives_identical_runs_on_the_process_pool_and_on_ray_and_retrains_a_damaged_model(tmp_path):
    scenario = get_scenario("cleaning-robot")
    sweep = SweepConfig(TINY, (0.0, 1.0), seeds=1)
    quiet = Console(file=open(os.devnull, "w"))
    result = run_sweep(scenario, "cleaning-robot", sweep, tmp_path / "process", workers=2, console=quiet, report=False)
    assert [r["state"] for r in result["runs"]] == ["done", "done"], result
    pool = _results(tmp_path / "process")
    assert len(pool) == 2

    pytest.importorskip("ray", reason="Ray is not installed (pip install 'proxy-sandbox[ray]'): the Ray half is skipped")
    short = tempfile.mkdtemp(prefix="ray")  # Ray's sockets need a short path; removed below
    handlers = [signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)]
    try:
        run_sweep(scenario, "cleaning-robot", sweep, tmp_path / "ray", backend="ray", workers=2, console=quiet,
                  report=False, executor_options={"temp_dir": short})
    finally:
        shutil.rmtree(short, ignore_errors=True)
    assert _results(tmp_path / "ray") == pool
    assert [signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)] == handlers  # ray.init's are gone

    # a truncated model.zip is reported and trained again; the finished run is skipped
    damaged = next(iter(sorted((tmp_path / "process").glob("*/model.zip"))))
    damaged.write_bytes(damaged.read_bytes()[:200])
    again = run_sweep(scenario, "cleaning-robot", sweep, tmp_path / "process", workers=1, console=quiet, report=False)
    ran = [r for r in again["runs"] if "seconds" in r]
    assert [r["run_dir"] for r in ran] == [str(damaged.parent)]
    assert _results(tmp_path / "process") == pool
