"""proxies.api.attribute, the one attribute function: what it refuses before any work."""

from __future__ import annotations

import pytest

from proxies.api import attribute
from proxies.errors import ConfigError, RunDirError
from proxies.evaluate.suite import Suite
from proxies.run.rundir import prepare
from proxies.run.training import TrainConfig


@pytest.fixture
def run_dir(tmp_path):
    prepare(tmp_path / "run", TrainConfig(scenario="cleaning-robot", steps=1000))
    (tmp_path / "run" / "model.zip").write_bytes(b"never unpickled")
    return tmp_path / "run"


def test_no_agent_is_refused_naming_what_to_give():
    with pytest.raises(ConfigError, match="at least one agent: a run directory, a model zip"):
        attribute([])


@pytest.mark.parametrize(
    "kwargs", [{"scenario": "cleaning-robot"}, {"algorithm": "PPO"}, {"suite": Suite(scenario="x", scenes=())}]
)
def test_a_run_directory_with_settings_of_its_own_is_refused(run_dir, kwargs):
    before = sorted(p.name for p in run_dir.rglob("*"))
    with pytest.raises(ConfigError, match="is a run directory: it is attributed with its own config.json"):
        attribute(run_dir, **kwargs)
    assert sorted(p.name for p in run_dir.rglob("*")) == before  # nothing written


def test_a_run_directory_is_attributed_on_its_own_suite(run_dir):
    with pytest.raises(RunDirError, match="No suite"):
        attribute(str(run_dir))  # a str names a run directory as well as a Path
