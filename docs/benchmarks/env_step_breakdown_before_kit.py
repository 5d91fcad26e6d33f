"""``env_step_breakdown.py``'s table for the tree before the scene kit (c98d0ac), on that tree's own bench workload.

That tree's bench played its 5 cleaning-robot scenes one after the other with ``env.step`` (100 uniform actions
drawn after the scenes, ``reset(seed=0)`` per scene), and timed bare physics with the robot's control body set
moving at (0.5, 0.3) m/s. The rows are the same as ``env_step_breakdown.py``'s (CPU µs per agent step, best of
ROUNDS, found by taking parts away). Run it with that tree's code, from this repository's root::

    git worktree add --detach /tmp/before-kit c98d0ac
    (cd /tmp/before-kit && PYTHONPATH=/tmp/before-kit "$OLDPWD/.venv/bin/python" \\
        "$OLDPWD/docs/benchmarks/env_step_breakdown_before_kit.py" 10)
    git worktree remove --force /tmp/before-kit
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
from proxies.registry import get_scenario  # c98d0ac's flat proxies/

import sandbox.world
from sandbox.world import World

SCENARIO = get_scenario("cleaning-robot")
_rng = np.random.default_rng(0)
SPECS = [SCENARIO.sample_spec(_rng) for _ in range(5)]
ACTIONS = list(_rng.uniform(-1, 1, (SCENARIO.max_steps, 2)).astype(np.float32))  # as its run_bench drew them
COMMANDS = [tuple(min(max(v, -1.0), 1.0) for v in a.tolist()) for a in ACTIONS]  # as its env.step clipped them
STEPS = len(SPECS) * len(ACTIONS)
ENV = SCENARIO.make_env()


def played() -> None:
    for spec in SPECS:
        ENV.reset(seed=0, options={"spec": spec})
        for action in ACTIONS:
            ENV.step(action)


def stepped(observe: bool) -> None:
    worlds = [World(spec) for spec in SPECS]
    for world in worlds:
        if observe:
            SCENARIO.observe(world)
    for command in COMMANDS:
        for world in worlds:
            world.step(*command)
            if observe:
                SCENARIO.observe(world)


def built() -> None:
    [World(spec) for spec in SPECS]


def chipmunk() -> float:
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
    """CPU seconds of that tree's ``_physics_rate`` loop."""
    worlds = [World(spec) for spec in SPECS]
    start = time.process_time()
    for world in worlds:
        step, dt = world.space.step, 1.0 / world.spec.physics_hz
        world.control.velocity = (0.5, 0.3)
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
        ("  engine and env (resets, actions, measurements, info)", b["played"] - b["observed"]),
        ("  observation (the scenario's observe)", b["observed"] - b["stepped"]),
        ("  World.step's own work (drive, state read, captures)", b["stepped"] - b["chipmunk"] - b["built"]),
        ("  chipmunk's step (8 substeps, callbacks included)", b["chipmunk"]),
        ("  building the worlds (one per episode)", b["built"]),
        ("bench physics (pymunk's Space.step)", b["bench_physics"]),
    ]
    for name, value in rows:
        print(f"{name:58s} {value:6.2f} µs")
    print(f"env_overhead_ratio in CPU time: {b['bench_physics'] / b['played']:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
