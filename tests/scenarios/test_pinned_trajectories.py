"""Exact trajectories, pinned: a speed-up of the kit must not change a single bit of what an env plays.

Each digest covers, for random actions in sampled scenes of both domains, every reset's
observation and info, every step's observation, reward, end flags and full ``info``, and the
world's event counters; and every field of the episodes the rollout engine plays. The digests
were taken on x86-64 Linux (CPython 3.11, pymunk 7.3); another platform's maths library may
round differently.

If a change is *meant* to alter behaviour (a scenario's recipe, the physics), re-pin with
``python tests/scenarios/test_pinned_trajectories.py`` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

import proxies
from proxies import RandomPolicy
from proxies.scenario.rollout import play
from sandbox import random_action

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
PINNED = {
    "cheese-maze": "31bfb222ab7bc989806358efc90ad6c5200c6c9643ea57f2eb05ac470436da50",
    "cleaning-robot": "18cd58b6cf5f9541203cb42fe244a98ff9ade3b6728baf35111ea6fd30d3cd2f",
    "coin-run": "80bfa96798b346c3c3d9f956561d276a26de5cb1febcc961f839825793213d4c",
    "platformer": "660ea2c7fb6529c674988b637ae3b4dbf82abf8dd76afad6c0c583aa7b8f474f",
    "keys_chests": "e3c18804850ddee73fc07cccd0bbfcbcca782a95e6ed1e378a750dd579d07f60",
    "sorting": "ab55e2d136b6ff647e20d70b6d4e32189e6bda3bb8bbc0a66f87001ce5c046b4",
    "grid_maze": "1fdf22846057e098b19a1204e7672aa485a1ad9cef1ea1568c315cdd82d7f149",
}
"""Scenario (a built-in name, or a fixture's file stem) -> the SHA-256 of :func:`digest`."""


def _scenario(name: str) -> proxies.Scenario:
    path = FIXTURES / f"{name}.py"
    return proxies.get_scenario(str(path) if path.is_file() else name)


def digest(name: str, steps: int = 250) -> str:
    """SHA-256 of env steps with random actions (episodes of both domains), and of two episodes played by a
    random policy and by each scripted reference."""
    scenario = _scenario(name)
    env = scenario.make_env(mix=0.5)
    rng = np.random.default_rng(7)
    sha = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            sha.update(part.tobytes() if isinstance(part, np.ndarray) else repr(part).encode())

    obs, info = env.reset(seed=11)
    add(env.world.spec.to_json(), obs, sorted(info.items()))
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(random_action(env.action_space, rng))
        add(obs, float(reward), terminated, truncated, sorted(info.items()), env.world.events.to_dict())
        if terminated or truncated:
            obs, info = env.reset()
            add(env.world.spec.to_json(), obs, sorted(info.items()))
    specs = [scenario.sample_spec(np.random.default_rng(seed), "intervene") for seed in (1, 2)]
    for policy in (RandomPolicy, *scenario.references.values()):  # the references make things happen
        for episode in play(scenario, specs, policy, [3, 4]):
            add(sorted(episode.start.items()), sorted(episode.end.items()), episode.rewards, episode.first_obs,
                episode.last_obs, episode.terminated)
    return sha.hexdigest()


@pytest.mark.parametrize("name", sorted(PINNED))
def test_trajectories_are_exactly_the_pinned_ones(name):
    assert digest(name) == PINNED[name], (
        f"{name} now plays different trajectories; if that is meant, re-pin (see this module's docstring)"
    )


if __name__ == "__main__":
    for scenario_name in sys.argv[1:] or sorted(PINNED):
        print(f'    "{scenario_name}": "{digest(scenario_name)}",')
