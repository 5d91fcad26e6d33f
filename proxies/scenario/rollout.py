"""The rollout engine: every loop that plays a policy goes through :func:`play`.

Episodes of a batch run in lock-step, so a trained model acts for all of them in one forward
pass per step (a policy with ``act_batch``). An episode ends when the scenario's termination
fires (``terminated``) or at ``max_steps`` (truncated); a finished episode's env is not stepped
again and its policy is not asked to act, while the others go on. Every figure read from an
:class:`Episode` (returns, its steps, its rewards) stops at the episode's own end.

The planner's look-ahead steps bare :class:`~sandbox.world.World` objects (no env, no
observation: several times cheaper) through :func:`advance`, which stops where the episode
would end.

Examples
--------
>>> from proxies import RandomPolicy, get_scenario
>>> robot = get_scenario("cleaning-robot")
>>> specs = [robot.sample_spec(np.random.default_rng(s)) for s in (0, 1)]
>>> [e.steps for e in play(robot, specs, RandomPolicy, [0, 1])] == [robot.max_steps] * 2
True
>>> episode_returns(robot, specs, RandomPolicy, [0, 1]).shape == (2, len(robot.objectives))
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from proxies.scenario.policies import Policy
from proxies.scenario.scenario import Scenario
from sandbox.actions import Action
from sandbox.env import SandboxEnv
from sandbox.spec import SceneSpec
from sandbox.world import World

__all__ = ["Episode", "Watch", "advance", "episode_returns", "play"]

Watch = Callable[[int, SandboxEnv, np.ndarray, bool], None]
"""``watch(index, env, obs, done)``: called after each episode's reset and after each of its steps."""


@dataclass(frozen=True, eq=False)
class Episode:
    """One played episode, up to its own end."""

    start: Mapping[str, Any]
    """The reset's info: every measurement at the start (``measure/<name>``)."""
    end: Mapping[str, Any]
    """The last step's info (the reset's, for an episode of no steps)."""
    rewards: np.ndarray
    """The training reward of each step [objective units]."""
    first_obs: np.ndarray
    last_obs: np.ndarray
    terminated: bool
    """Whether the scenario's termination ended it (else it was truncated, or stopped by ``steps``)."""

    @property
    def steps(self) -> int:
        """Agent steps taken."""
        return len(self.rewards)

    def change(self, measurement: str) -> float:
        """How much ``measurement`` changed over the episode (an objective's return, for its measurement)."""
        key = f"measure/{measurement}"
        return float(self.end[key] - self.start[key])


def play(
    scenario: Scenario,
    specs: Sequence[SceneSpec | None],
    make_policy: Callable[[], Policy],
    seeds: Sequence[int],
    *,
    env: Mapping[str, Any] | None = None,
    steps: int | None = None,
    watch: Watch | None = None,
) -> list[Episode]:
    """Play one episode per ``(spec, seed)`` pair in lock-step, each with its own policy.

    Parameters
    ----------
    specs: the scenes; ``None`` lets the env sample its own from the seed.
    make_policy: a factory of per-episode policies, each reset with ``default_rng(seed)``.
    seeds: the episodes' seeds (of the env's reset and of the policy's generator).
    env: keyword arguments of ``scenario.make_env`` (``objective``, ``mix``, ``render_mode``).
    steps: stop every episode after at most this many steps (default: the scenario's ``max_steps``).
    watch: called as ``watch(index, env, obs, done)`` after every reset and step of episode ``index``.
    """
    if len(specs) != len(seeds):
        raise ValueError(f"play needs one seed per spec, got {len(specs)} specs and {len(seeds)} seeds")
    limit = scenario.max_steps if steps is None else min(int(steps), scenario.max_steps)
    envs = [scenario.make_env(**(env or {})) for _ in specs]
    sandbox = [isinstance(e, SandboxEnv) for e in envs]
    policies = [make_policy() for _ in specs]
    batch = getattr(policies[0], "act_batch", None) if policies else None
    obs, starts, ends, first = [], [], [], []
    for i, (e, policy, spec, seed) in enumerate(zip(envs, policies, specs, seeds)):
        o, info = e.reset(seed=int(seed), options=None if spec is None else {"spec": spec})
        policy.reset(e.world, np.random.default_rng(int(seed)))
        obs.append(o)
        first.append(o)
        starts.append(info)
        ends.append(info)
        if watch is not None:
            watch(i, e, o, limit == 0)
    rewards: list[list[float]] = [[] for _ in specs]
    terminated = [False] * len(specs)
    active = list(range(len(specs)))
    for _ in range(limit):
        if batch is not None:
            actions = batch(np.stack([obs[i] for i in active]))
        else:
            actions = [policies[i].act(obs[i], envs[i].world) for i in active]
        going = []
        for i, action in zip(active, actions):
            e = envs[i]
            if sandbox[i]:  # a SandboxEnv builds no info but the last step's (below)
                obs[i], reward, terminated[i], truncated = e.advance(action)
            else:
                obs[i], reward, terminated[i], truncated, ends[i] = e.step(action)
            rewards[i].append(float(reward))
            done = terminated[i] or truncated or len(rewards[i]) == limit
            if watch is not None:
                watch(i, e, obs[i], done)
            if not done:
                going.append(i)
            elif sandbox[i]:
                ends[i] = e.step_info(ended=terminated[i] or truncated)
        active = going
        if not active:
            break
    return [
        Episode(start, end, np.asarray(r, dtype=np.float64), o0, o, t)
        for start, end, r, o0, o, t in zip(starts, ends, rewards, first, obs, terminated)
    ]


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
    objective's measurement at the episode's end minus at its start, i.e. the sum of its
    per-step rewards. With ``measurements`` (names of the scenario's measurements), the
    columns are instead those measurements' changes over the episode, in that order.
    """
    names = list(scenario.rewards.values() if measurements is None else measurements)
    episodes = play(scenario, specs, make_policy, seeds)
    return np.array([[e.change(m) for m in names] for e in episodes])


def advance(scenario: Scenario, world: World, actions: Iterable[Action]) -> Iterator[World]:
    """Step a bare ``world`` through ``actions`` (parsed, as ``World.step`` takes them), yielding it
    after each step, until they run out or the scenario's termination fires (the episode ends there).

    ``max_steps`` is the caller's to respect: a bare world does not count towards it.
    """
    step, terminated = world.step, scenario.terminated
    for action in actions:
        step(action)
        yield world
        if terminated(world):
            return
