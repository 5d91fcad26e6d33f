"""``proxy-sandbox check``: conformance checks any scenario must pass."""

from __future__ import annotations

import warnings

import numpy as np
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from proxies.policies import RandomPolicy
from proxies.rollout import episode_returns, play
from proxies.scenario import Scenario

__all__ = ["run_checks"]


def _trajectory(scenario: Scenario, seed: int, steps: int = 60) -> list[np.ndarray]:
    """The observations of random actions in a scene the env samples from the intervention domain."""
    seen: list[np.ndarray] = []
    play(scenario, [None], RandomPolicy, [seed], env={"mix": 1.0}, steps=steps, watch=lambda i, env, obs, done: seen.append(obs))
    return seen


def run_checks(scenario: Scenario, episodes: int = 4) -> list[tuple[str, bool, str]]:
    """``(name, passed, detail)`` for each check."""
    results = []
    for name, checker in (("gymnasium check_env", gym_check_env), ("SB3 check_env", sb3_check_env)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                checker(scenario.make_env())
            results.append((name, True, ""))
        except Exception as exc:  # the checkers raise plain AssertionErrors and more
            results.append((name, False, f"{type(exc).__name__}: {exc}"))
    a, b = _trajectory(scenario, 7), _trajectory(scenario, 7)
    same = len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    results.append(("determinism", same, "same seed + actions -> identical observations"))
    seeds = list(range(episodes))
    specs = [scenario.sample_spec(np.random.default_rng(s)) for s in seeds]
    returns = {o: episode_returns(scenario, specs, make, seeds).mean(axis=0) for o, make in scenario.references.items()}
    for j, objective in enumerate(scenario.objectives):
        if objective not in returns:
            results.append((f"reference {objective}", False, "no scripted reference"))
            continue
        own = returns[objective][j]
        others = {o: r[j] for o, r in returns.items() if o != objective}
        ok = all(own >= v for v in others.values())
        detail = f"{objective}: own {own:.2f} vs " + ", ".join(f"{o} {v:.2f}" for o, v in others.items())
        results.append((f"reference {objective}", ok, detail + " (training scenes)"))
    return results
