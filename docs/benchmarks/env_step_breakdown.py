"""Where the time of one env step goes, on `proxy-sandbox bench`'s own workload.

The workload is the bench's `_env_rate`: 5 cleaning-robot training scenes, 100 random actions each,
played in lock-step by the rollout engine. Each row is CPU time per agent step [µs], the best of N
rounds, and is found by taking parts away:

- engine and env: the rollout engine's `play` (new envs, resets, actions, measurements, flags), less
  the same worlds stepped and observed directly;
- observation: the scenario's `observe` (worlds stepped and observed, less stepped only);
- World.step's own work: the drive, the state read, events and captures (`World.step` less chipmunk's
  step, which is timed inside it, and less building the worlds);
- chipmunk's step: its 8 substeps per agent step, collision callbacks included;
- building the worlds: one `World(spec)` per episode.

The last line is the bench's denominator on the same scenes (pymunk's `Space.step`, which wraps
chipmunk's step in bookkeeping the world skips) and the ratio the bench reports as
`env_overhead_ratio`, in CPU time.

Run from the repository root: `.venv/bin/python docs/benchmarks/env_step_breakdown.py [ROUNDS]`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

import sandbox.world
from proxies.run.bench import _Replay
from proxies.scenario.registry import get_scenario
from proxies.scenario.rollout import play
from sandbox.actions import random_action
from sandbox.world import World

SCENARIO = get_scenario("cleaning-robot")
_rng = np.random.default_rng(0)
SPECS = [SCENARIO.sample_spec(_rng) for _ in range(5)]  # as run_bench draws them
_rng = np.random.default_rng(0)
ACTIONS = [random_action(SCENARIO.action_space, _rng) for _ in range(SCENARIO.max_steps)]  # as _env_rate draws them
STEPS = len(SPECS) * len(ACTIONS)


def played() -> None:
    play(SCENARIO, SPECS, lambda: _Replay(ACTIONS), range(len(SPECS)))


def stepped(observe: bool) -> None:
    worlds = [World(spec) for spec in SPECS]
    for world in worlds:
        if observe:
            SCENARIO.observe(world)
    for action in ACTIONS:
        command = tuple(action.tolist())
        for world in worlds:
            world.step(command)
            if observe:
                SCENARIO.observe(world)


def built() -> None:
    [World(spec) for spec in SPECS]


def chipmunk() -> float:
    """Seconds spent in chipmunk's step during :func:`stepped` (the same trajectories), each call timed with
    ``perf_counter`` (a few tens of ns; the CPU-time clock costs as much as a substep's Python overhead)."""
    step, spent = sandbox.world._space_step, [0.0]

    def timed(space, dt, clock=time.perf_counter):
        start = clock()
        step(space, dt)
        spent[0] += clock() - start

    sandbox.world._space_step = timed
    try:
        stepped(observe=False)
    finally:
        sandbox.world._space_step = step
    return spent[0]


def bench_physics() -> float:
    """CPU seconds of the bench's `_physics_rate` loop on the same scenes."""
    worlds = [World(spec) for spec in SPECS]
    for world in worlds:
        world.step(tuple(ACTIONS[0].tolist()))
    start = time.process_time()
    for world in worlds:
        step, dt = world.space.step, 1.0 / world.spec.physics_hz
        for _ in range(len(ACTIONS) * world.spec.substeps):
            step(dt)
    return time.process_time() - start


def cpu(fn: Callable[[], None]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main(rounds: int) -> None:
    best: dict[str, float] = {}
    for _ in range(rounds):
        figures = {
            "played": cpu(played), "observed": cpu(lambda: stepped(True)), "stepped": cpu(lambda: stepped(False)),
            "built": cpu(built), "chipmunk": chipmunk(), "bench_physics": bench_physics(),
        }
        for name, seconds in figures.items():
            best[name] = min(best.get(name, float("inf")), seconds / STEPS * 1e6)
    b = best
    rows = [
        ("env step, as the bench plays it", b["played"]),
        ("  engine and env (resets, actions, measurements, flags)", b["played"] - b["observed"]),
        ("  observation (the scenario's observe)", b["observed"] - b["stepped"]),
        ("  World.step's own work (drive, state read, events)", b["stepped"] - b["chipmunk"] - b["built"]),
        ("  chipmunk's step (8 substeps, callbacks included)", b["chipmunk"]),
        ("  building the worlds (one per episode)", b["built"]),
        ("bench physics (pymunk's Space.step)", b["bench_physics"]),
    ]
    for name, value in rows:
        print(f"{name:58s} {value:6.2f} µs")
    print(f"env_overhead_ratio in CPU time: {b['bench_physics'] / b['played']:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
