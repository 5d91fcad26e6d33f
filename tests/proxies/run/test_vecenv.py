"""The training vector env (its equivalence with DummyVecEnv over Monitor is a conformance test)."""

import gc

import numpy as np
import pytest

from proxies import ConfigError, get_scenario
from proxies.run.training import TrainConfig, frozen_heap, make_vec_env
from proxies.run.vecenv import SandboxVecEnv


@pytest.fixture(scope="module")
def robot():
    return get_scenario("cleaning-robot")


def test_make_env_returning_one_env_twice_is_a_config_error(robot):
    env = robot.make_env()
    with pytest.raises(ConfigError, match="new env on every call"):
        SandboxVecEnv(lambda: env, 2)


def test_attributes_and_methods_reach_every_env_asked_for(robot):
    vec = SandboxVecEnv(robot.make_env, 3)
    vec.seed(0)
    vec.reset()
    assert vec.get_attr("reward_name") == [robot.true_reward] * 3
    vec.set_attr("mix", 0.5, indices=[1])
    assert vec.get_attr("mix") == [0.0, 0.5, 0.0]
    assert vec.env_method("episode_returns", indices=0) == [dict.fromkeys(robot.objectives, 0.0)]
    assert vec.env_is_wrapped(object) == [False] * 3
    vec.close()


def test_training_trains_in_it_seeded_from_the_config(robot):
    vec = make_vec_env(robot, TrainConfig(scenario=robot.slug, seed=4, n_envs=2))
    assert isinstance(vec, SandboxVecEnv) and vec.num_envs == 2
    first = vec.reset()
    again = make_vec_env(robot, TrainConfig(scenario=robot.slug, seed=4, n_envs=2)).reset()
    assert np.array_equal(first, again) and not np.array_equal(first[0], first[1])


def test_frozen_heap_unfreezes_even_when_the_block_fails():
    with pytest.raises(RuntimeError):
        with frozen_heap():
            assert gc.get_freeze_count() > 0
            raise RuntimeError("training failed")
    assert gc.get_freeze_count() == 0
