"""``proxy-sandbox bench``: throughput figures measured side by side in one process.

For the scenario asked for (the cleaning robot by default) and for the platformer fixture
(``tests/fixtures/scenarios/platformer.py``, when this is a source checkout that has it):

- ``env_steps_per_s``: the env played by the rollout engine with random actions from the
  scenario's action space, drawn beforehand (resets, and episodes ending early, included);
- ``physics_steps_per_s``: bare ``space.step`` on the same scenes with the same substeps,
  counted in agent steps (``substeps`` physics steps each), with the agent set going as the bench
  before the scene kit did, so that the ratio below compares across versions: the kinematic body that
  drags the agent (the top-down driver's control body) moving at (0.5, 0.3) m/s, pushing into dust and walls; a body without
  one (the platformer) by one random agent step;
- ``env_overhead_ratio``: the first over the second;
- ``ppo_steps_per_s`` and ``ppo_ratio``: SB3 PPO with identical settings on the scenario, in
  training's vector env (:class:`~proxies.run.vecenv.SandboxVecEnv`), and its rate over
  ``ppo_cartpole_steps_per_s``, the same PPO on ``CartPole-v1`` in SB3's ``DummyVecEnv`` with
  ``Monitor`` wrappers, in the same run;
- ``ppo_dummy_vec_steps_per_s`` and ``ppo_dummy_vec_ratio``: the same with the scenario also in ``DummyVecEnv``
  and ``Monitor`` (what training used before :class:`~proxies.run.vecenv.SandboxVecEnv`).

PPO is timed as training runs it, inside :func:`~proxies.run.training.frozen_heap`: full garbage
collections scan only what the run made, not the whole interpreter, whose scans, falling inside the
timed window or not, swung the figure (measured in docs/performance.md).

The asked-for scenario's figures are also at the top level of the result. Each figure is the best
of ``repeats`` alternating measurements, to damp machine noise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pymunk
import stable_baselines3
import torch
from rich.console import Console
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

from proxies.run.training import TrainConfig, frozen_heap, make_vec_env
from proxies.scenario.registry import get_scenario
from proxies.scenario.rollout import play
from proxies.scenario.scenario import Scenario
from sandbox.actions import parse_action, random_action
from sandbox.spec import SceneSpec
from sandbox.world import World

__all__ = ["PLATFORMER", "run_bench"]

PLATFORMER = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "scenarios" / "platformer.py"
"""The side-view fixture benchmarked beside the asked-for scenario (present in a source checkout)."""


class _Replay:
    """Plays a fixed list of actions (drawn beforehand, so that drawing them is not timed)."""

    def __init__(self, actions: Sequence[Any]) -> None:
        self.actions = actions

    def reset(self, world: World, rng: np.random.Generator) -> None:
        """No per-episode state."""

    def act(self, obs: np.ndarray, world: World) -> Any:
        """The action for this step of the episode."""
        return self.actions[world.steps]


def _env_rate(scenario: Scenario, specs: Sequence[SceneSpec]) -> float:
    rng = np.random.default_rng(0)
    actions = [random_action(scenario.action_space, rng) for _ in range(scenario.max_steps)]
    start = time.perf_counter()
    episodes = play(scenario, specs, lambda: _Replay(actions), range(len(specs)))
    return sum(e.steps for e in episodes) / (time.perf_counter() - start)


def _physics_rate(scenario: Scenario, specs: Sequence[SceneSpec]) -> float:
    worlds = [World(spec) for spec in specs]
    rng = np.random.default_rng(0)
    for world in worlds:  # set the agent going (see the module docstring); then the bare physics
        joined = (body for joint in world.agent.body.constraints for body in (joint.a, joint.b))
        control = next((body for body in joined if body.body_type == pymunk.Body.KINEMATIC), None)
        if control is not None:
            control.velocity = (0.5, 0.3)
        else:
            world.step(parse_action(scenario.action_space, random_action(scenario.action_space, rng)))
    n_steps = scenario.max_steps
    start = time.perf_counter()
    for world in worlds:
        step, dt = world.space.step, 1.0 / world.spec.physics_hz
        for _ in range(n_steps * world.spec.substeps):
            step(dt)
    return len(worlds) * n_steps / (time.perf_counter() - start)


_TRAINING = TrainConfig(scenario="bench")
"""Training's default settings: every PPO here runs with them."""


def _ppo_rate(vec: VecEnv, steps: int) -> float:
    model = stable_baselines3.PPO("MlpPolicy", vec, device="cpu", seed=0, verbose=0, **_TRAINING.algorithm_kwargs)
    model.set_logger(Logger(None, []))  # records nothing and, unlike configure(None, []), creates no folder
    model.learn(2048)  # warm-up: first update, allocations
    with frozen_heap():  # as training does: the interpreter's own heap is not what is measured
        start = time.perf_counter()
        model.learn(steps, reset_num_timesteps=False)
        return steps / (time.perf_counter() - start)


def _dummy_vec_env(make_env: Callable[[], gym.Env]) -> DummyVecEnv:
    """SB3's own vector env over ``Monitor`` wrappers, with training's number of envs."""
    return DummyVecEnv([lambda: Monitor(make_env()) for _ in range(_TRAINING.n_envs)])


def run_bench(
    scenario: str = "cleaning-robot", *, steps: int = 30_000, repeats: int = 4, console: Console | None = None
) -> dict[str, Any]:
    """Measure the throughput figures of ``scenario`` (a name or a path) and of the platformer fixture.

    Returns the asked-for scenario's figures at the top level (with its slug as ``scenario``),
    every benchmarked scenario's under ``scenarios``, and under ``notes`` what was left out and why.
    """
    console = console or Console(stderr=True)
    torch.set_num_threads(1)
    main = get_scenario(scenario)
    measured, notes = [main], []
    if PLATFORMER.is_file():
        platformer = get_scenario(str(PLATFORMER))
        if platformer.slug != main.slug:
            measured.append(platformer)
    else:
        notes.append(f"the platformer fixture {PLATFORMER} is absent (not a source checkout): only {main.slug} measured")
    rng = np.random.default_rng(0)
    specs = {sc.slug: [sc.sample_spec(rng) for _ in range(5)] for sc in measured}
    best = {(sc.slug, figure): 0.0 for sc in measured for figure in ("env", "physics", "ppo", "ppo_dummy")}
    cartpole = 0.0
    with console.status(f"benchmarking env, physics and PPO on {', '.join(specs)} and CartPole"):
        for _ in range(repeats):
            for sc in measured:
                rates = {
                    "env": _env_rate(sc, specs[sc.slug]),
                    "physics": _physics_rate(sc, specs[sc.slug]),
                    "ppo": _ppo_rate(make_vec_env(sc, TrainConfig(scenario=sc.slug)), steps),
                    "ppo_dummy": _ppo_rate(_dummy_vec_env(sc.make_env), steps),
                }
                for figure, rate in rates.items():
                    best[sc.slug, figure] = max(best[sc.slug, figure], rate)
            cartpole = max(cartpole, _ppo_rate(_dummy_vec_env(lambda: gym.make("CartPole-v1")), steps))
    figures = {
        slug: {
            "env_steps_per_s": best[slug, "env"],
            "physics_steps_per_s": best[slug, "physics"],
            "env_overhead_ratio": best[slug, "env"] / best[slug, "physics"],
            "ppo_steps_per_s": best[slug, "ppo"],
            "ppo_ratio": best[slug, "ppo"] / cartpole,
            "ppo_dummy_vec_steps_per_s": best[slug, "ppo_dummy"],
            "ppo_dummy_vec_ratio": best[slug, "ppo_dummy"] / cartpole,
        }
        for slug in specs
    }
    top = figures[main.slug]
    return {
        "scenario": main.slug,
        **{k: top[k] for k in ("env_steps_per_s", "physics_steps_per_s", "env_overhead_ratio", "ppo_steps_per_s")},
        "ppo_cartpole_steps_per_s": cartpole,
        "ppo_ratio": top["ppo_ratio"],
        "ppo_dummy_vec_steps_per_s": top["ppo_dummy_vec_steps_per_s"],
        "ppo_dummy_vec_ratio": top["ppo_dummy_vec_ratio"],
        "scenarios": figures,
        "notes": notes,
    }
