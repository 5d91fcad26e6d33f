"""Draw the pictures of docs/scenarios/<slug>.md: the graph, and a training scene beside a counterfactual one.

Run from the repository root: ``.venv/bin/python docs/benchmarks/scenario_pictures.py cheese-maze coin-run``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from proxies import get_scenario
from proxies.present.drawing import draw_graph, save_png

COUNTERFACTUAL = {
    "cheese-maze": {"corner_size": 5}, "coin-run": {"coin": 0.04, "start": 0.35}, "training-cue": {"lamp_colour": "red"},
    "keys-chests": {"n_keys": 5, "n_chests": 2}, "forager": {"n_fruit": 1, "n_candy": 3}, "gem-colour": {"gem_colour": "red"},
}
"""The intervention shown beside the training scene: the cheese anywhere; the coin behind the runner; the lamp red;
more keys than chests; candy beside the fruit; a red gem."""


def scene(slug: str, seed: int, **fixed) -> np.ndarray:
    """The first frame of a scene of ``slug`` (a training scene, with ``fixed`` factors set)."""
    sc = get_scenario(slug)
    env = sc.make_env(render_mode="rgb_array")
    env.reset(seed=seed, options={"spec": sc.sample_spec(np.random.default_rng(seed), **fixed)})
    return env.render()


def main(slugs: list[str]) -> None:
    images = Path("docs/images")
    for slug in slugs:
        sc = get_scenario(slug)
        draw_graph(sc.graph, images / f"{slug}-graph.png", title=sc.name)
        train, counterfactual = scene(slug, 3), scene(slug, 3, **COUNTERFACTUAL[slug])
        gap = np.full((train.shape[0], 12, 3), 255, dtype=np.uint8)
        save_png(np.hstack([train, gap, counterfactual]), images / f"{slug}-scenes.png")


if __name__ == "__main__":
    main(sys.argv[1:])
