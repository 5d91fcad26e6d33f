"""``ppo_ratio`` in CPU time: the bench's PPO on a scenario over the same PPO on CartPole, alternating, in one process.

``proxy-sandbox bench`` times PPO by the wall clock, which on a shared machine moves with other processes'
load. This times the same runs (``proxies.run.bench._ppo_rate``'s settings: training's vector env for the
scenario, ``DummyVecEnv`` + ``Monitor`` for CartPole, 2,048 warm-up steps, then STEPS timed inside
``frozen_heap``) by this process's CPU time, ROUNDS alternating rounds, and prints the best rates and
their ratio; and, first, the CPU time of one agent step of training's vector env alone, with random actions
(resets included; best of ROUNDS). Run from the repository root (any tree that has ``proxies/run/bench.py``)::

    PYTHONPATH=. .venv/bin/python docs/benchmarks/ppo_cpu_ratio.py SCENARIO [ROUNDS=3] [STEPS=10000]
"""

from __future__ import annotations

import sys
import time

import gymnasium as gym
import numpy as np
import stable_baselines3
import torch
from stable_baselines3.common.logger import Logger

from proxies.run.bench import _TRAINING, _dummy_vec_env
from proxies.run.training import TrainConfig, frozen_heap, make_vec_env
from proxies.scenario.registry import get_scenario


def cpu_rate(vec, steps: int) -> float:
    """PPO steps per CPU second, timed as the bench times them."""
    model = stable_baselines3.PPO("MlpPolicy", vec, device="cpu", seed=0, verbose=0, **_TRAINING.algorithm_kwargs)
    model.set_logger(Logger(None, []))
    model.learn(2048)
    with frozen_heap():
        start = time.process_time()
        model.learn(steps, reset_num_timesteps=False)
        return steps / (time.process_time() - start)


def env_cpu_us(scenario, steps: int = 4000) -> float:
    """CPU µs per agent step of training's vector env, random actions drawn beforehand."""
    vec = make_vec_env(scenario, TrainConfig(scenario=scenario.slug))
    vec.seed(0)
    vec.reset()
    vec.action_space.seed(0)
    actions = [np.array([vec.action_space.sample() for _ in range(vec.num_envs)]) for _ in range(steps // vec.num_envs)]
    start = time.process_time()
    for action in actions:
        vec.step(action)
    return (time.process_time() - start) / (len(actions) * vec.num_envs) * 1e6


def main(name: str, rounds: int, steps: int) -> None:
    torch.set_num_threads(1)
    scenario = get_scenario(name)
    print(f"{scenario.slug}: vector env {min(env_cpu_us(scenario) for _ in range(rounds)):.1f} CPU µs per agent step")
    best = {"scenario": 0.0, "cartpole": 0.0}
    for _ in range(rounds):
        best["scenario"] = max(best["scenario"], cpu_rate(make_vec_env(scenario, TrainConfig(scenario=scenario.slug)), steps))
        best["cartpole"] = max(best["cartpole"], cpu_rate(_dummy_vec_env(lambda: gym.make("CartPole-v1")), steps))
    print(f"{scenario.slug}: PPO {best['scenario']:.0f} steps per CPU s, CartPole {best['cartpole']:.0f}, "
          f"ppo_ratio in CPU time {best['scenario'] / best['cartpole']:.3f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], int(args[1]) if len(args) > 1 else 3, int(args[2]) if len(args) > 2 else 10_000)
