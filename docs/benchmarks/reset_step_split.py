"""CPU time of the cleaning robot's env, split into building a world, a reset and a step; runs on this
tree and on the tree before the scene kit (c98d0ac, whose ``proxies/`` was flat), so the two compare
like for like, with the same loop and the same random actions.

    PYTHONPATH=. .venv/bin/python docs/benchmarks/reset_step_split.py [ROUNDS]
    (cd BEFORE_TREE && PYTHONPATH=. /path/to/.venv/bin/python /path/to/reset_step_split.py [ROUNDS])

Prints the medians over ``ROUNDS`` rounds (10 scenes of 100 steps each) of: ``World(spec)`` alone,
``env.reset`` and ``env.step`` [µs], with the garbage collector on and off.
"""

import gc
import statistics
import sys
import time

import numpy as np

try:
    from proxies.scenario.registry import get_scenario
except ImportError:  # the tree before the kit
    from proxies.registry import get_scenario
from sandbox.world import World


def main(rounds: int) -> None:
    scenario = get_scenario("cleaning-robot")
    rng = np.random.default_rng(0)
    specs = [scenario.sample_spec(rng) for _ in range(10)]
    actions = list(rng.uniform(-1, 1, (scenario.max_steps, 2)).astype(np.float32))
    env = scenario.make_env()

    def one_round() -> tuple[float, float, float]:
        t = time.process_time()
        for spec in specs:
            World(spec)
        world = (time.process_time() - t) / len(specs)
        reset = step = 0.0
        n = 0
        for spec in specs:
            t = time.process_time()
            env.reset(seed=0, options={"spec": spec})
            reset += time.process_time() - t
            t = time.process_time()
            for action in actions:
                _, _, terminated, truncated, _ = env.step(action)
                n += 1
                if terminated or truncated:
                    break
            step += time.process_time() - t
        return world * 1e6, reset / len(specs) * 1e6, step / n * 1e6

    for label, collect in (("gc on", True), ("gc off", False)):
        (gc.enable if collect else gc.disable)()
        one_round()
        rows = [one_round() for _ in range(rounds)]
        world, reset, step = (statistics.median(r[i] for r in rows) for i in range(3))
        print(f"{label}: World() {world:.0f} µs, reset {reset:.0f} µs, step {step:.1f} µs (median of {rounds})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
