"""Where the cheese lies in cheese-maze's randomized training mazes (``make_env(mix=1.0)``).

Prints the fraction of 2,000 resets with the cheese on the top-right corner cell, and within one
cell of it (docs/scenarios/cheese-maze.md, "Randomized mazes put the cheese anywhere")::

    PYTHONPATH=. .venv/bin/python docs/benchmarks/cheese_where.py
"""

from __future__ import annotations

from proxies import get_scenario
from scenarios.cheese_maze import CORNER, cell_of


def main(resets: int = 2000) -> None:
    """Reset a fully randomized env ``resets`` times and count where the cheese is."""
    env = get_scenario("cheese-maze").make_env(mix=1.0)
    on = near = 0
    for seed in range(resets):
        env.reset(seed=seed)
        r, c = cell_of(*env.world.region("cheese").centre)
        on += (r, c) == CORNER
        near += max(abs(r - CORNER[0]), abs(c - CORNER[1])) <= 1
    print(f"cheese on the corner cell {on / resets:.3f}, within one cell of it {near / resets:.3f}")


if __name__ == "__main__":
    main()
