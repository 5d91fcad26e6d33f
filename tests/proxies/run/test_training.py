"""Training configuration and a tiny training run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from proxies import ConfigError, get_scenario
from proxies.run.training import TrainConfig, check_algorithm, train
from sandbox import SpecError


def test_config_hash_ignores_the_seed_but_not_the_settings():
    a = TrainConfig("cleaning-robot", steps=100, seed=0)
    assert a.config_hash == TrainConfig("cleaning-robot", steps=100, seed=1).config_hash
    assert a.config_hash != TrainConfig("cleaning-robot", steps=100, mix=0.5).config_hash


def test_config_round_trips_through_json():
    config = TrainConfig("cleaning-robot", steps=100, objective="sweeps", hyperparameters=(("n_epochs", 2),))
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    spec = get_scenario("cleaning-robot").sample_spec(np.random.default_rng(0), "intervene")
    on_scenes = TrainConfig("cleaning-robot", steps=100, scenes=(spec.to_json(),))
    assert TrainConfig.from_dict(json.loads(json.dumps(on_scenes.to_dict()))) == on_scenes
    assert on_scenes.config_hash != TrainConfig("cleaning-robot", steps=100).config_hash


def test_scenes_and_mix_together_are_refused():
    spec = get_scenario("cleaning-robot").sample_spec(np.random.default_rng(0))
    with pytest.raises(ConfigError, match="not both"):
        TrainConfig("cleaning-robot", mix=0.5, scenes=(spec.to_json(),))
    with pytest.raises(ConfigError, match="scene-spec JSON"):
        TrainConfig("cleaning-robot", scenes=(spec,))


def test_a_config_with_a_corrupt_scene_fails_with_a_spec_error(tmp_path):
    config = TrainConfig("cleaning-robot", steps=100, scenes=('{"width": 1',))
    with pytest.raises(SpecError, match="not valid JSON"):
        train(get_scenario("cleaning-robot"), config, tmp_path, progress=False)


@pytest.mark.parametrize(
    "kwargs",
    [{"steps": 0}, {"steps": -1}, {"steps": 1.5}, {"mix": 1.01}, {"mix": -0.5}, {"algorithm": "DQM"}, {"n_envs": 0}],
)
def test_bad_settings_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        TrainConfig("cleaning-robot", **kwargs)


def test_an_algorithm_that_cannot_act_in_the_scenarios_space_is_refused_naming_those_that_can(tmp_path):
    import gymnasium as gym

    with pytest.raises(ConfigError, match=r"DQN cannot act in .*Box.*PPO or A2C or SAC or TD3 or DDPG"):
        train(get_scenario("cleaning-robot"), TrainConfig("cleaning-robot", steps=100, algorithm="DQN"), tmp_path)
    with pytest.raises(ConfigError, match=r"SAC cannot act in .* Discrete\(3\); train with PPO or A2C or DQN"):
        check_algorithm("SAC", gym.spaces.Discrete(3))
    check_algorithm("DQN", gym.spaces.Discrete(3))
    assert not (tmp_path / "logs").exists()  # refused before anything was written


def test_unknown_setting_in_a_config_file_is_refused():
    with pytest.raises(ConfigError, match="Unknown training setting"):
        TrainConfig.from_dict({"scenario": "cleaning-robot", "stepz": 10})


def test_training_logs_every_objective_and_saves_the_model(tmp_path):
    scenario = get_scenario("cleaning-robot")
    config = TrainConfig("cleaning-robot", steps=2048, objective="sweeps", n_envs=2,
                         hyperparameters=(("n_steps", 512), ("batch_size", 256)))
    train(scenario, config, tmp_path, progress=False)
    assert (tmp_path / "model.zip").is_file()
    header = (tmp_path / "logs" / "progress.csv").read_text().splitlines()[0]
    for objective in scenario.objectives:
        assert f"objectives/{objective}" in header
    assert list((tmp_path / "logs").glob("events.out.tfevents.*"))
