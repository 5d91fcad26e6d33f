"""Resumable training: killed with SIGKILL and started again, a run ends with the model of an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from proxies import get_scenario
from proxies.errors import RunConfigMismatchError
from proxies.run.rundir import prepare
from proxies.run.training import TrainConfig, resume_point, train

ROOT = Path(__file__).resolve().parents[3]
CONFIG = dict(scenario="cleaning-robot", steps=6144, n_envs=2, checkpoint_every=1024,
              hyperparameters=(("n_steps", 128), ("batch_size", 128), ("n_epochs", 2)))

CHILD = """
import sys
from pathlib import Path
from proxies import get_scenario
from proxies.run.training import TrainConfig, train
config = TrainConfig(**{config!r})
train(get_scenario("cleaning-robot"), config, Path(sys.argv[1]), progress=False)
"""


def _parameters(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.policy.parameters()]


def _kill_after_a_checkpoint(run_dir: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(config=CONFIG), str(run_dir)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    resume = run_dir / "checkpoints" / "resume.json"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and child.poll() is None:
            if resume.is_file() and json.loads(resume.read_text())["steps"] >= 2048:
                break
            time.sleep(0.05)
        assert child.poll() is None, "the child ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow
def test_a_run_killed_with_sigkill_resumes_and_equals_an_uninterrupted_one(tmp_path):
    scenario = get_scenario("cleaning-robot")
    config = TrainConfig(**CONFIG)
    whole = _parameters(train(scenario, config, tmp_path / "whole", progress=False))
    _kill_after_a_checkpoint(tmp_path / "killed")
    assert not (tmp_path / "killed" / "model.zip").exists()
    point = resume_point(scenario, config, tmp_path / "killed")
    assert point is not None and 2048 <= point[1] < config.steps
    resumed = _parameters(train(scenario, config, tmp_path / "killed", progress=False))
    record = json.loads((tmp_path / "killed" / "training.json").read_text())
    assert record["resumed_from"] == point[1]
    assert all(torch.equal(a, b) for a, b in zip(whole, resumed))


def test_segments_make_training_deterministic_and_another_config_is_refused(tmp_path):
    scenario = get_scenario("cleaning-robot")
    config = TrainConfig(**{**CONFIG, "steps": 1024, "checkpoint_every": 512})
    first = _parameters(train(scenario, config, tmp_path / "a", progress=False))
    second = _parameters(train(scenario, config, tmp_path / "b", progress=False))
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    other = TrainConfig(**{**CONFIG, "steps": 1024, "checkpoint_every": 512, "mix": 0.5})
    with pytest.raises(RunConfigMismatchError, match="another training config"):
        train(scenario, other, tmp_path / "a", progress=False)
    with pytest.raises(RunConfigMismatchError, match="different run"):
        prepare(tmp_path / "a", config, scenario)
        prepare(tmp_path / "a", other, scenario)


def test_a_damaged_checkpoint_is_not_resumed_from(tmp_path):
    scenario = get_scenario("cleaning-robot")
    config = TrainConfig(**{**CONFIG, "steps": 512, "checkpoint_every": 512})
    train(scenario, config, tmp_path, progress=False)
    point = resume_point(scenario, config, tmp_path)
    assert point is not None
    point[0].write_bytes(point[0].read_bytes()[:100])  # truncated, as by a full disk
    assert resume_point(scenario, config, tmp_path) is None
