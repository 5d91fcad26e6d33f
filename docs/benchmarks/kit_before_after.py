"""Issue #11's speed protocol: the cleaning robot on this tree against the tree before the scene kit (c98d0ac),
the same measurements in both, alternating processes, in CPU time.

Each round runs one process per tree (``before`` first, then ``after``), each measuring, with code that is the
same for both trees (only the imports differ, since the before-tree's ``proxies/`` was flat):

- ``env_us``: CPU µs per agent step of ``scenario.make_env()`` playing 10 scenes of 100 fixed random actions,
  resets included;
- ``physics_us``: CPU µs per agent step (``substeps`` physics steps) of bare ``Space.step`` on the same scenes,
  the robot's kinematic control body moving at (0.5, 0.3) m/s (the bench before the kit: ``proxies/bench.py``
  at c98d0ac; ``proxy-sandbox bench`` does the same now);
- ``ppo`` and ``cartpole``: PPO steps per CPU second with training's settings and each tree's training vector
  env (``make_vec_env``), and the same PPO on ``CartPole-v1`` in ``DummyVecEnv`` + ``Monitor``, after 2,048
  warm-up steps; every measurement after ``gc.collect()`` and inside ``gc.freeze()``, as training runs.

From these, ``env_overhead_ratio = physics_us / env_us`` and ``ppo_ratio = ppo / cartpole``, as the bench
defines them. It prints one JSON line per process, then per figure the median of each tree and the median of
the rounds' after/before ratios, with a 90 % bootstrap interval over rounds. Run from the repository root,
with .venv made (``make test`` makes it)::

    .venv/bin/python docs/benchmarks/kit_before_after.py [ROUNDS=8] [PPO_STEPS=10000] [--instructions]

CPU time on a shared virtual machine swings by tens of percent between processes running the same code, so
``--instructions`` first counts, with valgrind's callgrind (Debian's ``valgrind``), the instructions each tree
executes per agent step (env; physics, as above) and per PPO step: a count that the machine's load does not
move, taken as the difference between two sizes of each workload so that start-up and imports cancel. Per
PPO step, CartPole's share is the same code in both trees, so ``ppo_ratio`` after/before is the before-tree's
count over this tree's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

BEFORE = "c98d0ac"
"""The last commit before the scene kit."""

MEASURE = r"""
import gc, json, sys, time
import gymnasium as gym, numpy as np, pymunk, stable_baselines3, torch
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv
try:
    from proxies.scenario.registry import get_scenario
    from proxies.run.training import TrainConfig, make_vec_env
except ImportError:  # the tree before the kit
    from proxies.registry import get_scenario
    from proxies.training import TrainConfig, make_vec_env
from sandbox.world import World

torch.set_num_threads(1)
jobs = [(job.split(":")[0], int(job.split(":")[1])) for job in sys.argv[1:]]  # env:SCENES physics:SCENES ppo:STEPS cartpole:STEPS
scenario = get_scenario("cleaning-robot")
rng = np.random.default_rng(0)
specs = [scenario.sample_spec(rng) for _ in range(10)]
actions = list(rng.uniform(-1, 1, (scenario.max_steps, 2)).astype(np.float32))

def frozen():  # as training's frozen_heap: a full collection of the whole interpreter inside one
    # measurement but not another would swing it
    gc.collect()
    gc.freeze()

def env(scenes):
    env = scenario.make_env()
    frozen()
    n, start = 0, time.process_time()
    for spec in scenes:
        env.reset(seed=0, options={"spec": spec})
        for action in actions:
            n += 1
            if any(env.step(action)[2:4]):
                break
    return (time.process_time() - start) / n * 1e6

def physics(scenes):
    worlds = [World(spec) for spec in scenes]
    for world in worlds:
        next(b for b in world.space.bodies if b.body_type == pymunk.Body.KINEMATIC).velocity = (0.5, 0.3)
    frozen()
    start = time.process_time()
    for world in worlds:
        step, dt = world.space.step, 1.0 / world.spec.physics_hz
        for _ in range(scenario.max_steps * world.spec.substeps):
            step(dt)
    return (time.process_time() - start) / (len(worlds) * scenario.max_steps) * 1e6

def ppo(vec, steps):
    config = TrainConfig(scenario="bench")
    model = stable_baselines3.PPO("MlpPolicy", vec, device="cpu", seed=0, verbose=0, **config.algorithm_kwargs)
    model.set_logger(Logger(None, []))
    model.learn(2048)
    frozen()
    start = time.process_time()
    model.learn(steps, reset_num_timesteps=False)
    return steps / (time.process_time() - start)

figures = {}
for what, size in jobs:
    if what in ("env", "physics"):
        run = env if what == "env" else physics
        run(specs[:1])  # warm-up
        figures[what] = run(specs[:size])
    elif what == "ppo":
        figures[what] = ppo(make_vec_env(scenario, TrainConfig(scenario=scenario.slug)), size)
    else:
        figures[what] = ppo(DummyVecEnv([lambda: Monitor(gym.make("CartPole-v1")) for _ in range(8)]), size)
print(json.dumps(figures))
"""


def _run(tree: Path, jobs: list[str], logs: Path, under: list[str] = ()) -> str:
    """Run the measuring snippet on ``tree`` (optionally under a tool such as valgrind); its output."""
    env = {**os.environ, "PYTHONPATH": str(tree), "SB3_LOGDIR": str(logs)}
    done = subprocess.run([*under, sys.executable, "-c", MEASURE, *jobs], cwd=tree, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout + done.stderr


def measure(tree: Path, steps: int, logs: Path) -> dict[str, float]:
    """One process's figures on ``tree`` in CPU time, with the derived ratios."""
    out = _run(tree, ["env:10", "physics:10", f"ppo:{steps}", f"cartpole:{steps}"], logs)
    figures = json.loads(out.strip().splitlines()[-1])
    figures = {"env_us": figures["env"], "physics_us": figures["physics"], "ppo": figures["ppo"],
               "cartpole": figures["cartpole"]}
    return {**figures, "env_overhead_ratio": figures["physics_us"] / figures["env_us"],
            "ppo_ratio": figures["ppo"] / figures["cartpole"]}


def instructions(tree: Path, logs: Path) -> dict[str, float]:
    """Instructions per agent step (env, physics) and per PPO step on ``tree``, counted by valgrind's callgrind:
    the difference between two sizes of each workload, so that start-up and imports cancel."""
    def count(job: str) -> int:
        out = _run(tree, [job], logs, ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"])
        return int(re.search(r"Collected : (\d+)", out).group(1))

    per_step = {what: (count(f"{what}:{large}") - count(f"{what}:{small}")) / ((large - small) * unit)
                for what, small, large, unit in (("env", 2, 6, 100), ("physics", 2, 6, 100), ("ppo", 512, 2560, 1))}
    return {**per_step, "env_overhead_ratio": per_step["physics"] / per_step["env"]}


def interval(values: list[float], rng: np.random.Generator) -> tuple[float, float]:
    """A 90 % bootstrap interval of the median of ``values``."""
    draws = rng.choice(values, size=(10_000, len(values)))
    return tuple(np.quantile(np.median(draws, axis=1), [0.05, 0.95]))


def main(rounds: int, steps: int, count: bool) -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill still removes the before-tree's worktree
    root = Path.cwd()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as work:
        trees, logs = {"before": Path(work) / "before", "after": root}, Path(work) / "sb3"
        subprocess.run(["git", "worktree", "add", "--quiet", "--detach", str(trees["before"]), BEFORE], check=True)
        try:
            if count:
                counted = {tree: instructions(path, logs) for tree, path in trees.items()}
                print("instructions (callgrind), per agent step (env, physics) and per PPO step:")
                for figure in ("env", "physics", "env_overhead_ratio", "ppo"):
                    b, a = counted["before"][figure], counted["after"][figure]
                    print(f"  {figure:>18}: before {b:12.3f}  after {a:12.3f}  after/before {a / b:.3f}")
                print(f"  {'ppo_ratio':>18}: after/before {counted['before']['ppo'] / counted['after']['ppo']:.3f} "
                      "(CartPole's PPO is the same code in both trees)")
            rows = []
            for r in range(rounds):
                row = {tree: measure(path, steps, logs) for tree, path in trees.items()}
                for tree, figures in row.items():
                    print(json.dumps({"round": r, "tree": tree, **{k: round(v, 4) for k, v in figures.items()}}), flush=True)
                rows.append(row)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(trees["before"])], check=False)
    if not rows:
        return
    print(f"\n{rounds} rounds in CPU time; medians, and the median after/before ratio over rounds [90 % bootstrap interval]:")
    for figure in ("env_us", "physics_us", "env_overhead_ratio", "ppo", "cartpole", "ppo_ratio"):
        b, a = ([row[t][figure] for row in rows] for t in ("before", "after"))
        ratios = [y / x for x, y in zip(b, a)]
        low, high = interval(ratios, rng)
        print(f"  {figure:>18}: before {statistics.median(b):9.3f}  after {statistics.median(a):9.3f}  "
              f"after/before {statistics.median(ratios):.3f} [{low:.3f}, {high:.3f}]")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", nargs="?", type=int, default=8, help="CPU-time rounds (0: none)")
    parser.add_argument("ppo_steps", nargs="?", type=int, default=10_000, help="PPO steps timed per round")
    parser.add_argument("--instructions", action="store_true", help="first count instructions with valgrind (a few minutes)")
    args = parser.parse_args()
    main(args.rounds, args.ppo_steps, args.instructions)
