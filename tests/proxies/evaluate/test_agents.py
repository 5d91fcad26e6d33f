"""Attributing any policy: bad inputs give typed errors that say what is wrong."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from typer.testing import CliRunner

import proxies
from proxies.api import attribute
from proxies.cli import app
from proxies.errors import PolicyError, RunDirError
from proxies.evaluate.agents import load_model_zip
from proxies.evaluate.suite import Scene, Suite
from proxies.run.rundir import prepare
from proxies.run.training import TrainConfig
from proxies.scenario.policies import CallablePolicy, ModelPolicy


@pytest.fixture(scope="module")
def robot():
    return proxies.get_scenario("cleaning-robot")


@pytest.fixture(scope="module")
def tiny_suite(robot):
    """One training scene as a suite (enough to check a policy before any rollout)."""
    spec = robot.sample_spec(np.random.default_rng(3))
    return Suite(scenario=robot.slug, scenes=(Scene(id="s", seed=3, interventions={}, spec=spec),))


def test_a_corrupt_zip_is_a_policy_error(robot, tmp_path):
    path = tmp_path / "model.zip"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(PolicyError, match="not a zip"):
        load_model_zip(path, robot)


def test_a_zip_that_is_not_a_model_is_a_policy_error(robot, tmp_path):
    path = tmp_path / "model.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(PolicyError, match="could not be loaded"):
        load_model_zip(path, robot, "PPO")


def test_a_model_for_another_observation_space_is_a_policy_error(robot, tmp_path):
    import gymnasium as gym
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", gym.make("Pendulum-v1"), n_steps=64, device="cpu")
    model.save(tmp_path / "pendulum.zip")
    with pytest.raises(PolicyError, match="expects observations of shape"):
        load_model_zip(tmp_path / "pendulum.zip", robot)


def test_a_model_acts_on_one_torch_thread(robot, tmp_path):
    import torch
    from stable_baselines3 import PPO

    PPO("MlpPolicy", robot.make_env(), n_steps=64, device="cpu").save(tmp_path / "model.zip")
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        ModelPolicy(load_model_zip(tmp_path / "model.zip", robot, "PPO"))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize(
    "action", [[np.nan, 0.0], [0.0, 0.0, 0.0], [[0.1, 0.2]], [2.0, 0.0], "left"], ids=str
)
def test_a_callable_with_out_of_space_actions_is_a_policy_error(robot, tiny_suite, action):
    with pytest.raises(PolicyError, match="must return 2 finite numbers"):
        attribute(lambda obs: action, robot, suite=tiny_suite)


def test_a_callable_policy_accepts_an_in_space_action(robot):
    assert CallablePolicy(lambda obs: (0.5, -1.0), robot.action_space).act(np.zeros(3), None).tolist() == [0.5, -1.0]


@pytest.mark.parametrize("answer", [3, np.int64(0), np.array([2]), 1.0])
def test_a_callable_policy_in_a_discrete_space_accepts_whole_numbers_in_range(answer):
    import gymnasium as gym

    assert CallablePolicy(lambda obs: answer, gym.spaces.Discrete(4)).act(np.zeros(3), None) == int(np.ravel(answer)[0])


@pytest.mark.parametrize("answer", [4, -1, 1.5, [0.0, 1.0], "left"], ids=str)
def test_a_callable_policy_in_a_discrete_space_refuses_other_answers_naming_the_space(answer):
    import gymnasium as gym

    with pytest.raises(PolicyError, match=r"whole number in 0\.\.3 \(the scenario's action space, Discrete\(4\)\)"):
        CallablePolicy(lambda obs: answer, gym.spaces.Discrete(4)).act(np.zeros(3), None)


def test_a_suite_for_another_scenario_is_refused(robot, tiny_suite):
    other = Suite(scenario="edge-goal", scenes=tiny_suite.scenes)
    with pytest.raises(RunDirError, match="built for"):
        attribute(lambda obs: [0.0, 0.0], robot, suite=other)


def test_a_run_directory_without_a_suite_is_a_run_dir_error(tmp_path):
    prepare(tmp_path / "run", TrainConfig(scenario="cleaning-robot", steps=1000))
    (tmp_path / "run" / "model.zip").write_bytes(b"never unpickled")
    with pytest.raises(RunDirError, match="No suite"):
        attribute(tmp_path / "run")
    result = CliRunner().invoke(app, ["attribute", str(tmp_path / "run"), "--json"])
    assert result.exit_code == 2
    assert "No suite" in result.output


def test_attributing_a_zip_needs_the_scenario(tmp_path):
    path = tmp_path / "model.zip"
    path.write_bytes(b"x")
    result = CliRunner().invoke(app, ["attribute", str(path)])
    assert result.exit_code == 2
    assert "--scenario" in result.output


def test_attribute_help_warns_that_loading_a_zip_executes_code():
    result = CliRunner().invoke(app, ["attribute", "--help"])
    assert result.exit_code == 0
    assert "unpickles" in result.output
