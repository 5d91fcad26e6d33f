"""The bench's denominator (bare ``space.step`` on the cleaning robot's bench scenes), set going two ways.

``proxy-sandbox bench`` times pymunk's ``Space.step`` on the same 5 scenes as the env. Until Round 5 of
docs/performance.md it first set the robot going by one random agent step; the tree before the scene kit
(c98d0ac) set the robot's control body moving at (0.5, 0.3) m/s and left it so (the robot kept pushing into
dust and walls, a costlier physics load), and the bench now does that again. This script times both on this tree's scenes, each with the
hallway as built (an area only, no sensor shape) and as a detecting sensor (as a region was before the kit),
in CPU time per agent step (``substeps`` physics steps), best and median of ROUNDS alternating rounds.

Run from the repository root: ``.venv/bin/python docs/benchmarks/bench_denominator.py [ROUNDS]``.
"""

from __future__ import annotations

import dataclasses
import sys
import time

import numpy as np

from proxies.scenario.registry import get_scenario
from sandbox import Region, SceneSpec, World
from sandbox.actions import parse_action, random_action

SCENARIO = get_scenario("cleaning-robot")
_rng = np.random.default_rng(0)
SPECS = [SCENARIO.sample_spec(_rng) for _ in range(5)]  # as run_bench draws them


def sensed(spec: SceneSpec) -> SceneSpec:
    """The scene with its hallway a detecting region (a sensor shape in the space)."""
    entities = tuple(dataclasses.replace(e, detects=True) if isinstance(e, Region) and e.name == "hallway" else e
                     for e in spec.entities)
    return dataclasses.replace(spec, entities=entities)


def physics(specs: list[SceneSpec], start: str) -> float:
    """CPU µs per agent step of bare ``Space.step`` on ``specs``, the robot set going by ``start``."""
    worlds = [World(spec) for spec in specs]
    rng = np.random.default_rng(0)
    for world in worlds:
        if start == "one random agent step":  # this tree's bench
            world.step(parse_action(SCENARIO.action_space, random_action(SCENARIO.action_space, rng)))
        else:  # the before-tree's bench: the kinematic control body at (0.5, 0.3) m/s
            control = next(b for b in world.space.bodies if b.body_type == b.KINEMATIC)
            control.velocity = (0.5, 0.3)
    begin = time.process_time()
    for world in worlds:
        step, dt = world.space.step, 1.0 / world.spec.physics_hz
        for _ in range(SCENARIO.max_steps * world.spec.substeps):
            step(dt)
    return (time.process_time() - begin) / (len(worlds) * SCENARIO.max_steps) * 1e6


def main(rounds: int) -> None:
    cases = [(start, hallway) for start in ("one random agent step", "control body at (0.5, 0.3) m/s")
             for hallway in ("area only", "sensor")]
    times: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
    for _ in range(rounds):
        for start, hallway in cases:
            times[start, hallway].append(physics(SPECS if hallway == "area only" else [sensed(s) for s in SPECS], start))
    for (start, hallway), values in times.items():
        values.sort()
        print(f"{start:32s} hallway {hallway:9s}  best {values[0]:6.2f}  median {values[len(values) // 2]:6.2f} µs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
