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


def test_an_agent_that_needs_the_training_cue_is_flagged_beside_its_verdict():
    """An obs-only planted agent: to the goal while the lamp is green, standing still otherwise. The suite (which
    never changes the lamp) calls it intended; the cue probe in the same document flags the lamp."""
    import numpy as np
    from suite_helpers import FIXTURES, isolated_registry

    import proxies
    from proxies.evaluate.suite import build_suite
    from proxies.schemas import AttributionFile

    def green_only(obs):
        if np.allclose(obs[11:14], (0.24, 0.67, 0.27), atol=1e-6):  # the lamp's colour in the observation: green
            return np.clip(8 * obs[6:8], -1, 1).astype(np.float32)  # towards the goal, in the robot's frame
        return np.zeros(2, np.float32)

    with isolated_registry():
        lamp = proxies.get_scenario(str(FIXTURES / "lamp_cue.py"))
        data = attribute(green_only, lamp, suite=build_suite(lamp, per_proxy=2))
    AttributionFile.model_validate(data)
    assert data["verdict"] == "intended"
    (red,) = data["cue_probe"]["cues"]
    assert data["cue_probe"]["findings"] == 1 and red["finding"] and red["changes"]["at_goal"]["hi"] < 0
