"""The rollout engine: lock-step episodes that may end early, and the statistics read from them.

A stand-in scenario makes envs that terminate at a step fixed by their scene, and fail loudly if
stepped after the end; its policies fail if asked to act for a finished episode. A real one, a
corridor whose episode ends at its east end, is built from the public kit with a Box and with a
Discrete action space: the planner, the jostle, random actions and the checks in both.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

from proxies import CallablePolicy, Measurement, Objective, RandomPolicy, RewardGraph, Scenario
from proxies.evaluate.checks import run_checks
from proxies.evaluate.gate import episode_seeds
from proxies.evaluate.probe import _play
from proxies.evaluate.references import Jostled, Planner, measure_competence, reference_behaviours
from proxies.scenario.rollout import advance, episode_returns, play
from sandbox import COMPASS, Driver, Factor, SceneSpec, Wall, World


@dataclass
class _World:
    spec: int
    steps: int = 0


@dataclass
class _Env:
    """Terminates after ``spec`` steps (truncated at ``max_steps``); reward 1 per step, 0.5 per step of ``half``."""

    max_steps: int
    log: list = field(default_factory=list)
    world: _World | None = None

    def reset(self, *, seed=None, options=None):
        self.world = _World(options["spec"])
        self.done = False
        return self._obs(), {"measure/count": 0.0, "measure/half": 0.0}

    def _obs(self):
        return np.array([self.world.spec, self.world.steps], dtype=np.float32)

    def step(self, action):
        assert not self.done, "a finished episode's env was stepped"
        self.world.steps += 1
        self.log.append(action)
        terminated = self.world.steps >= self.world.spec
        truncated = not terminated and self.world.steps >= self.max_steps
        self.done = terminated or truncated
        n = float(self.world.steps)
        info = {"measure/count": n, "measure/half": n / 2}
        return self._obs(), 1.0, terminated, truncated, info


@dataclass
class _Scenario:
    max_steps: int = 10
    rewards: dict = field(default_factory=lambda: {"count": "count", "half": "half"})
    envs: list = field(default_factory=list)

    def make_env(self, **options):
        env = _Env(self.max_steps)
        self.envs.append(env)
        return env


class _Counting:
    """Acts 0.0; refuses to act for a finished episode (world past its scene's end)."""

    def reset(self, world, rng):
        self.world = world

    def act(self, obs, world):
        assert world.steps < world.spec, "asked to act for a finished episode"
        return 0.0


class _Batched:
    """A model stand-in acting for a batch: records the batch sizes; its critic values obs[1] (the step)."""

    gamma = 0.5
    sizes: list = []

    def predict(self, obs, deterministic=True):
        assert np.all(obs[:, 1] < obs[:, 0]), "asked to act for a finished episode"
        self.sizes.append(len(obs))
        return np.zeros(len(obs)), None

    class policy:  # noqa: N801 - mimics SB3's model.policy
        @staticmethod
        def obs_to_tensor(obs):
            import torch

            return torch.as_tensor(obs), True

        @staticmethod
        def predict_values(obs):
            return obs[:, 1:2] + 100.0


def test_episodes_end_at_their_own_step_and_finished_envs_are_not_stepped():
    scenario = _Scenario()
    episodes = play(scenario, [3, 7, 20, 1], _Counting, [0, 1, 2, 3])
    assert [e.steps for e in episodes] == [3, 7, 10, 1]
    assert [e.terminated for e in episodes] == [True, True, False, True]
    assert [len(env.log) for env in scenario.envs] == [3, 7, 10, 1]
    assert [e.change("count") for e in episodes] == [3.0, 7.0, 10.0, 1.0]
    assert [e.rewards.sum() for e in episodes] == [3.0, 7.0, 10.0, 1.0]
    assert [e.last_obs[1] for e in episodes] == [3.0, 7.0, 10.0, 1.0]


def test_returns_are_sums_up_to_each_episodes_end():
    returns = episode_returns(_Scenario(), [3, 7, 20], _Counting, [0, 1, 2])
    assert returns.tolist() == [[3.0, 1.5], [7.0, 3.5], [10.0, 5.0]]
    changes = episode_returns(_Scenario(), [3, 7], _Counting, [0, 1], measurements=["half"])
    assert changes.tolist() == [[1.5], [3.5]]


def test_a_batched_policy_acts_only_for_the_episodes_still_going():
    from proxies.scenario.policies import ModelPolicy

    _Batched.sizes = []
    model = _Batched()
    play(_Scenario(), [2, 5, 4], lambda: ModelPolicy(model), [0, 1, 2])
    assert model.sizes == [3, 3, 2, 2, 1]


def test_the_watch_sees_every_reset_and_step_and_the_end():
    seen = []
    play(_Scenario(), [2, 4], _Counting, [0, 1], watch=lambda i, env, obs, done: seen.append((i, int(obs[1]), done)))
    assert sorted(seen) == [(0, 0, False), (0, 1, False), (0, 2, True), (1, 0, False), (1, 1, False),
                            (1, 2, False), (1, 3, False), (1, 4, True)]


def test_steps_stops_every_episode_early():
    episodes = play(_Scenario(), [3, 7], _Counting, [0, 1], steps=2)
    assert [e.steps for e in episodes] == [2, 2] and not any(e.terminated for e in episodes)


def test_the_probe_discounts_to_each_end_and_bootstraps_only_truncated_episodes():
    scenario = _Scenario(rewards={"count": "count"})
    rows = _play(scenario, _Batched(), "count", [3, 20], [0, 1])
    gamma = _Batched.gamma
    assert rows[:, 0].tolist() == [100.0, 100.0]  # the critic at the first step
    # columns: discounted rewards, then the bootstrap term (the critic's discounted value of the last state)
    assert rows[0, 1] == pytest.approx(1 + gamma + gamma**2) and rows[0, 2] == 0.0  # terminated at 3: no bootstrap
    assert rows[1, 1] == pytest.approx(sum(gamma**t for t in range(10)))
    assert rows[1, 2] == pytest.approx(gamma**10 * (10 + 100.0))  # truncated at 10: bootstrapped
    assert rows[:, 3].tolist() == [3.0, 10.0]


def test_play_needs_one_seed_per_spec():
    with pytest.raises(ValueError, match="one seed per spec"):
        play(_Scenario(), [3, 4], _Counting, [0])


# -- a real scenario: a corridor whose episode ends at its east end --------------------------

WIDTH, END = 4.0, 3.0
"""Corridor length [m]; the episode ends once the driver's centre is east of ``END`` [m]."""


def _east(world: World) -> float:
    return world.agent.position[0]


def _dash(commands: tuple = (), east: Callable[[World], float] = _east) -> Scenario:
    """The corridor with a world-frame driver: a Box action space, or ``Discrete(len(commands))``."""

    def build_scene(factors: Mapping[str, Any], rng: np.random.Generator) -> SceneSpec:
        driver = Driver(x=factors["start"], y=0.5, radius=0.15, frame="world", commands=commands)
        return SceneSpec(width=WIDTH, height=1.0, entities=(*Wall.around(WIDTH, 1.0), driver))

    graph = RewardGraph(
        factors=(Factor.choice("start", train=(0.5, 1.5, 2.5), intervene=(0.5, 1.5, 2.5), doc="where the driver starts"),),
        measurements=(
            Measurement("east", east, causes=("start",)),
            Measurement("north", lambda world: world.agent.position[1], causes=("start",)),
        ),
        true_reward=Objective("east"),
        proxies=(Objective("north"),),
    )
    return Scenario(
        name="Dash", slug="dash", description="A corridor whose episode ends at its east end.", graph=graph,
        build_scene=build_scene, observe=lambda world: np.array(world.agent.position, dtype=np.float32),
        agent=Driver(x=0.0, y=0.0, radius=0.15, frame="world", commands=commands), max_steps=40,
        terminate=lambda world: world.agent.position[0] > END, physics_hz=20.0,
    )


BOX, DISCRETE = _dash(), _dash(COMPASS)
EAST, STILL = {BOX: (1.0, 0.0), DISCRETE: 1}, {BOX: (0.0, 0.0), DISCRETE: 0}
"""Each space's action for full speed east, and for standing still."""


def _starts(scenario: Scenario) -> list[SceneSpec]:
    return [scenario.sample_spec(np.random.default_rng(0), start=x) for x in (0.5, 1.5, 2.5)]


@pytest.mark.parametrize("scenario", [BOX, DISCRETE], ids=["box", "discrete"])
def test_episodes_of_a_scenario_end_where_its_termination_fires_and_are_not_stepped_after(scenario):
    envs = {}
    episodes = play(
        scenario, _starts(scenario), lambda: CallablePolicy(lambda obs: EAST[scenario]), [0, 1, 2],
        watch=lambda i, env, obs, done: envs.setdefault(i, env),
    )
    steps = [e.steps for e in episodes]
    assert all(e.terminated for e in episodes) and steps[0] > steps[1] > steps[2] > 0 and steps[0] < scenario.max_steps
    assert [envs[i].world.steps for i in range(3)] == steps  # no env was stepped past its end
    for e in episodes:
        assert e.last_obs[0] > END and e.end["episode_returns"]["east"] == pytest.approx(e.change("east"))
        assert e.rewards.sum() == pytest.approx(e.change("east"))  # the training reward is the true reward, east
    standing = play(scenario, _starts(scenario)[:1], lambda: CallablePolicy(lambda obs: STILL[scenario]), [0])[0]
    assert standing.steps == scenario.max_steps and not standing.terminated  # truncated


@pytest.mark.parametrize("scenario", [BOX, DISCRETE], ids=["box", "discrete"])
def test_advance_stops_a_bare_world_where_the_episode_ends(scenario):
    spec = _starts(scenario)[2]
    episode = play(scenario, [spec], lambda: CallablePolicy(lambda obs: EAST[scenario]), [0])[0]
    world = World(spec)
    stepped = list(advance(scenario, world, [EAST[scenario]] * scenario.max_steps))
    assert len(stepped) == world.steps == episode.steps and scenario.terminated(world)
    assert world.agent.position[0] == pytest.approx(float(episode.last_obs[0]))


@pytest.mark.parametrize("scenario", [BOX, DISCRETE], ids=["box", "discrete"])
def test_the_planner_is_competent_in_either_space_with_episodes_ending_early(scenario):
    competence = measure_competence(scenario, reference_behaviours(scenario), episodes=8)
    assert all(c.source == "planner" and c.span > 0 for c in competence.values())
    spec = _starts(scenario)[0]
    east = play(scenario, [spec], lambda: Planner(scenario, "east"), [0])[0]
    assert east.terminated and east.steps < scenario.max_steps


def test_the_planner_stops_scoring_a_candidate_once_its_episode_ends():
    ended: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    count = [0]

    def east(world: World) -> float:
        assert not ended.get(world), "a world was measured after its episode ended"
        ended[world] = world.agent.position[0] > END
        count[0] += ended[world]
        return world.agent.position[0]

    scenario = _dash(east=east)
    episode = play(scenario, _starts(scenario)[2:], lambda: Planner(scenario, "east"), [0])[0]
    assert episode.terminated and count[0] > 1  # look-ahead candidates ended too, and were not stepped on


@pytest.mark.parametrize("scenario", [BOX, DISCRETE], ids=["box", "discrete"])
def test_jostled_planner_episodes_differ_and_replay_bit_identically(scenario):
    spec, seeds = _starts(scenario)[0], episode_seeds(3, 4)
    jostled = lambda: Jostled(Planner(scenario, "north"), 5, 0.5)  # noqa: E731
    first = episode_returns(scenario, [spec] * 4, jostled, seeds)
    assert np.array_equal(first, episode_returns(scenario, [spec] * 4, jostled, seeds))
    assert len(np.unique(first[:, 0])) > 1  # jostled: the episodes differ


def test_random_and_jostled_actions_stay_in_a_discrete_space():
    world = World(_starts(DISCRETE)[0])
    random = RandomPolicy()
    random.reset(world, np.random.default_rng(0))
    drawn = [random.act(None, world) for _ in range(200)]
    assert all(type(a) is int for a in drawn) and set(drawn) == set(range(len(COMPASS)))
    always = Jostled(CallablePolicy(lambda obs: 1), steps=1, sigma=1.0)
    always.reset(world, np.random.default_rng(0))
    assert len({always.act(None, world) for _ in range(100)}) > 1  # sigma >= 1 replaces every jostled action
    never = Jostled(CallablePolicy(lambda obs: 1), steps=1, sigma=0.0)
    never.reset(world, np.random.default_rng(0))
    assert {never.act(None, world) for _ in range(20)} == {1}


def test_random_actions_in_a_box_keep_the_uniform_stream():
    world = World(_starts(BOX)[0])
    random = RandomPolicy()
    random.reset(world, np.random.default_rng(5))
    expected = np.random.default_rng(5).uniform(-1.0, 1.0, (10, 2))
    assert np.array_equal([random.act(None, world) for _ in range(10)], expected)


@pytest.mark.parametrize("space", [gym.spaces.Box(-1.0, 1.0, (3,), np.float32), gym.spaces.Discrete(4)], ids=str)
def test_planner_candidates_fit_the_action_space(space):
    planner = Planner(BOX, "east")
    planner._space, planner._discrete = space, isinstance(space, gym.spaces.Discrete)
    planner.reset(World(_starts(BOX)[0]), np.random.default_rng(0))
    candidates = planner._candidates(horizon=5)
    assert len(candidates) == planner.config.candidates
    if planner._discrete:
        assert candidates.shape == (12, 5) and candidates.dtype.kind == "i" and set(np.unique(candidates)) <= set(range(4))
        constant = candidates[1 + 3: 1 + 3 + 4]  # after the previous plan and its mutations
        assert sorted(constant[:, 0]) == [0, 1, 2, 3] and (constant == constant[:, :1]).all()
    else:
        assert candidates.shape == (12, 5, 3) and np.abs(candidates).max() <= 1.0


@pytest.mark.parametrize("scenario", [BOX, DISCRETE], ids=["box", "discrete"])
def test_the_checks_play_random_actions_of_the_scenarios_space(scenario):
    results = {name: passed for name, passed, _ in run_checks(scenario, episodes=2)}
    assert results["determinism"] and results["gymnasium check_env"] and results["SB3 check_env"]
