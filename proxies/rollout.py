"""Running policies on scenes and collecting every objective's return.

Episodes in a batch run in lock-step (every episode lasts ``max_steps``), so a trained
model acts for all of them in one forward pass per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from proxies.policies import Policy
from proxies.scenario import Scenario
from sandbox.spec import SceneSpec

__all__ = ["episode_returns"]


def episode_returns(
    scenario: Scenario,
    specs: Sequence[SceneSpec],
    make_policy: Callable[[], Policy],
    seeds: Sequence[int],
    *,
    measurements: Sequence[str] | None = None,
) -> np.ndarray:
    """Play one episode per ``(spec, seed)`` pair and return ``(n, n_objectives)`` returns.

    Columns follow ``scenario.objectives`` (true reward first). A return is the
    objective's measurement at the end minus at the start, i.e. the sum of its
    per-step rewards. With ``measurements`` (names of the scenario's measurements), the
    columns are instead those measurements' changes over the episode, in that order.
    """
    if len(specs) != len(seeds):
        raise ValueError("episode_returns needs one seed per spec")
    envs = [scenario.make_env() for _ in specs]
    policies = [make_policy() for _ in specs]
    batch = getattr(policies[0], "act_batch", None)
    obs, starts = [], []
    for env, policy, spec, seed in zip(envs, policies, specs, seeds):
        o, info = env.reset(seed=int(seed), options={"spec": spec})
        policy.reset(env.world, np.random.default_rng(int(seed)))
        obs.append(o)
        starts.append(info)
    infos = starts
    for _ in range(scenario.max_steps):
        if batch is not None:
            actions = batch(np.stack(obs))
        else:
            actions = [p.act(o, e.world) for p, o, e in zip(policies, obs, envs)]
        obs, infos = [], []
        for env, action in zip(envs, actions):
            o, _, _, _, info = env.step(action)
            obs.append(o)
            infos.append(info)
    names = scenario.rewards.values() if measurements is None else measurements
    keys = [f"measure/{m}" for m in names]
    return np.array([[end[k] - start[k] for k in keys] for start, end in zip(starts, infos)])
