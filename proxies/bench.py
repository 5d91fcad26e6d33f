"""``proxy-sandbox bench``: throughput figures measured side by side in one process.

- ``env_steps_per_s``: the cleaning-robot env stepping random actions (resets included);
- ``physics_steps_per_s``: bare ``space.step`` on the same scenes with the same substeps,
  counted in agent steps (``substeps`` physics steps each). The env itself calls chipmunk's
  step without pymunk's Python wrapper (see ``sandbox.world._space_step``), which saves about
  a third of ``space.step``'s cost on these small scenes;
- ``ppo_steps_per_s`` / ``ppo_cartpole_steps_per_s``: SB3 PPO with identical settings on
  the cleaning robot and on ``CartPole-v1``.
Each figure is the best of ``repeats`` alternating measurements, to damp machine noise.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
import stable_baselines3
import torch
from rich.console import Console
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from proxies.registry import get_scenario
from proxies.training import TrainConfig
from sandbox.world import World

__all__ = ["run_bench"]


def _env_rate(scenario, specs, actions) -> float:
    env = scenario.make_env()
    start = time.perf_counter()
    steps = 0
    for spec in specs:
        env.reset(seed=0, options={"spec": spec})
        for action in actions:
            env.step(action)
        steps += len(actions)
    return steps / (time.perf_counter() - start)


def _physics_rate(specs, n_steps: int) -> float:
    worlds = [World(spec) for spec in specs]
    start = time.perf_counter()
    for world in worlds:
        step, dt = world.space.step, 1.0 / world.spec.physics_hz
        world.control.velocity = (0.5, 0.3)
        for _ in range(n_steps * world.spec.substeps):
            step(dt)
    elapsed = time.perf_counter() - start
    return len(worlds) * n_steps / elapsed


def _ppo_rate(make_env, steps: int) -> float:
    config = TrainConfig(scenario="bench")
    vec = DummyVecEnv([lambda: Monitor(make_env()) for _ in range(config.n_envs)])
    model = stable_baselines3.PPO("MlpPolicy", vec, device="cpu", seed=0, verbose=0, **config.algorithm_kwargs)
    model.set_logger(Logger(None, []))  # records nothing and, unlike configure(None, []), creates no folder
    model.learn(2048)  # warm-up: first update, allocations
    start = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    return steps / (time.perf_counter() - start)


def run_bench(*, steps: int = 30_000, repeats: int = 4, console: Console | None = None) -> dict[str, Any]:
    """Measure and return the throughput figures and their ratios."""
    console = console or Console(stderr=True)
    torch.set_num_threads(1)
    scenario = get_scenario("cleaning-robot")
    rng = np.random.default_rng(0)
    specs = [scenario.sample_spec(rng) for _ in range(5)]
    actions = list(rng.uniform(-1, 1, (scenario.max_steps, 2)).astype(np.float32))
    best = {"env": 0.0, "physics": 0.0, "ppo": 0.0, "cartpole": 0.0}
    with console.status("benchmarking env, physics and PPO"):
        for _ in range(repeats):
            best["env"] = max(best["env"], _env_rate(scenario, specs, actions))
            best["physics"] = max(best["physics"], _physics_rate(specs, scenario.max_steps))
            best["ppo"] = max(best["ppo"], _ppo_rate(scenario.make_env, steps))
            best["cartpole"] = max(best["cartpole"], _ppo_rate(lambda: gym.make("CartPole-v1"), steps))
    return {
        "env_steps_per_s": best["env"],
        "physics_steps_per_s": best["physics"],
        "env_overhead_ratio": best["env"] / best["physics"],
        "ppo_steps_per_s": best["ppo"],
        "ppo_cartpole_steps_per_s": best["cartpole"],
        "ppo_ratio": best["ppo"] / best["cartpole"],
    }
