"""Every registered scenario, and every fixture scenario file, goes through the same conformance tests.

The built-in scenarios are found through their entry points; the fixture files in
``tests/fixtures/scenarios/`` are loaded by path (as ``proxy-sandbox check path/to/file.py`` does),
``edge_goal_miswired.py`` too: its graph is deliberately wrong, yet it is a valid scenario.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from importlib import metadata
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

import proxies
from proxies import ConfigError, RandomPolicy, Scenario
from proxies.run.vecenv import SandboxVecEnv
from proxies.scenario.registry import ENTRY_POINT_GROUP
from proxies.scenario.rollout import episode_returns, play
from sandbox import SandboxEnv, SandboxError, SceneSpec, SpecError, random_action

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
BUILTIN = sorted({ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})
FILES = sorted(str(path) for path in FIXTURES.glob("*.py"))
SCENARIOS = [*BUILTIN, *FILES]
IDS = [*BUILTIN, *(Path(path).stem for path in FILES)]
EXPECTED_WARNINGS = (
    "A Box observation space minimum value is -infinity",  # flat egocentric features are unbounded by design
    "A Box observation space maximum value is infinity",
    "Not able to test alternative render modes due to the environment not having a spec",
)


@pytest.fixture(params=SCENARIOS, ids=IDS)
def scenario(request) -> Scenario:
    return proxies.get_scenario(request.param)


class _SceneEnv(SandboxEnv):
    """A scenario env that always plays one given scene, so the checkers exercise that scene."""

    def __init__(self, scenario: Scenario, spec: SceneSpec) -> None:
        super().__init__(scenario)
        self._spec = spec

    def reset(self, *, seed=None, options=None):
        return super().reset(seed=seed, options={"spec": self._spec, **(options or {})})


def _check(env: gym.Env) -> None:
    """Run both checkers; fail on any warning that is not a known, deliberate one."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
        sb3_check_env(env, warn=True)
    unexpected = [str(w.message) for w in caught if not any(e in str(w.message) for e in EXPECTED_WARNINGS)]
    assert unexpected == []


def _counterfactual_specs(scenario: Scenario, n: int = 4) -> list[SceneSpec]:
    """Intervention-domain scenes: random ones, and ones with every factor at a domain edge."""
    specs = [scenario.sample_spec(np.random.default_rng(seed), "intervene") for seed in range(n)]
    for edge in (0, -1):
        fixed = {f.name: f.intervene[edge] for f in scenario.factors}
        specs.append(scenario.sample_spec(np.random.default_rng(99), "intervene", **fixed))
    return specs


def _actions(scenario: Scenario, n: int, seed: int = 0) -> list:
    """``n`` random actions of the scenario's own action space (a Box or a Discrete set)."""
    rng = np.random.default_rng(seed)
    return [random_action(scenario.action_space, rng) for _ in range(n)]


_TRAJECTORY = """
import hashlib, sys
import numpy as np
import proxies
from sandbox import random_action


def trajectory_digest(name, seed, steps):
    \"\"\"SHA-256 of a random-action rollout: the scene, every observation, reward, agent state, end flag.\"\"\"
    scenario = proxies.get_scenario(name)
    env = scenario.make_env(mix=0.5)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    digest = hashlib.sha256(env.unwrapped.world.spec.to_json().encode() + obs.tobytes())
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(random_action(env.action_space, rng))
        state = np.array([reward, *env.unwrapped.world.agent.state, terminated, truncated], dtype=np.float64)
        digest.update(obs.tobytes() + state.tobytes())
        if terminated or truncated:
            obs, _ = env.reset()
            digest.update(env.unwrapped.world.spec.to_json().encode() + obs.tobytes())
    return digest.hexdigest()


if __name__ == "__main__":
    print(trajectory_digest(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""
_namespace: dict = {}
exec(compile(_TRAJECTORY, "<trajectory>", "exec"), _namespace)
trajectory_digest = _namespace["trajectory_digest"]


def _trajectory(env: gym.Env, spec: SceneSpec, actions: list) -> list[bytes]:
    """Observation bytes and infos of playing ``actions`` from ``spec`` (stopping where the episode ends)."""
    obs, info = env.reset(seed=0, options={"spec": spec})
    out = [obs.tobytes(), repr(sorted(info.items())).encode()]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        out += [obs.tobytes(), repr((reward, terminated, truncated, sorted(info.items()))).encode()]
        if terminated or truncated:
            break
    return out


def _training_specs(scenario: Scenario, n: int = 3) -> list[SceneSpec]:
    return [scenario.sample_spec(np.random.default_rng(100 + seed)) for seed in range(n)]


# -- checkers --------------------------------------------------------------------------------------


def test_env_passes_gymnasium_and_sb3_checkers(scenario):
    _check(scenario.make_env().unwrapped)
    _check(scenario.make_env(render_mode="rgb_array").unwrapped)


def test_counterfactual_scenes_pass_gymnasium_and_sb3_checkers(scenario):
    for spec in _counterfactual_specs(scenario):
        _check(_SceneEnv(scenario, spec))


def test_counterfactual_scene_reset_plays_that_scene(scenario):
    env = scenario.make_env()
    for spec in _counterfactual_specs(scenario, n=2):
        obs, info = env.reset(seed=0, options={"spec": spec})
        assert env.unwrapped.world.spec is spec
        assert env.observation_space.contains(obs)
        for action in _actions(scenario, 10):
            obs, _, terminated, truncated, _ = env.step(action)
            assert env.observation_space.contains(obs) and np.isfinite(obs).all()
            if terminated or truncated:
                break


# -- determinism and specs -----------------------------------------------------------------------------


def test_same_seed_and_actions_give_bit_identical_trajectories_across_processes(scenario, request):
    name = request.node.callspec.params["scenario"]
    steps = min(2 * scenario.max_steps, 120)
    here = trajectory_digest(name, 3, steps)
    assert trajectory_digest(name, 3, steps) == here  # in-process: a second run is identical
    result = subprocess.run(
        [sys.executable, "-c", _TRAJECTORY, name, "3", str(steps)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == here


def test_spec_json_round_trip_rebuilds_the_same_trajectory(scenario):
    env = scenario.make_env()
    for i, spec in enumerate([*_training_specs(scenario, 2), *_counterfactual_specs(scenario, n=2)]):
        rebuilt = SceneSpec.from_json(spec.to_json())
        assert rebuilt == spec
        actions = _actions(scenario, 30, seed=i)
        assert _trajectory(env, rebuilt, actions) == _trajectory(env, spec, actions)


# -- registration -----------------------------------------------------------------------------------


def test_gymnasium_make_builds_the_scenario_env(scenario):
    env = gym.make(scenario.env_id)
    assert isinstance(env.unwrapped, SandboxEnv) and env.unwrapped.task is scenario
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    env.step(env.action_space.sample())
    env.close()


def test_gymnasium_make_passes_objective_and_render_mode(scenario):
    objective = scenario.objectives[-1]
    env = gym.make(scenario.env_id, objective=objective, render_mode="rgb_array")
    assert env.unwrapped.reward_name == objective and env.render_mode == "rgb_array"
    env.reset(seed=0)
    _, reward, _, _, info = env.step(env.action_space.sample())
    assert reward == info[f"reward/{objective}"]


def test_registration_is_idempotent(scenario):
    before = (dict(proxies.list_scenarios()), len(gym.registry), gym.registry[scenario.env_id])
    assert proxies.register_scenario(scenario) is scenario
    assert proxies.register_scenario(scenario) is scenario
    import scenarios  # noqa: F401 - importing again must change nothing

    after = (dict(proxies.list_scenarios()), len(gym.registry), gym.registry[scenario.env_id])
    assert after == before
    assert gym.make(scenario.env_id).unwrapped.task is scenario


def test_reimporting_the_builtin_scenarios_registers_nothing_twice(tmp_path):
    script = (
        "import importlib, gymnasium as gym, proxies, scenarios\n"
        "proxies.list_scenarios()\n"
        "ids = sorted(k for k in gym.registry if k.startswith('sandbox/'))\n"
        "for module in [getattr(scenarios, m) for m in scenarios.__all__]:\n"
        "    importlib.reload(module)\n"
        "importlib.reload(scenarios)\n"
        "assert sorted(k for k in gym.registry if k.startswith('sandbox/')) == ids, ids\n"
        "assert sorted(proxies.list_scenarios()) == sorted(proxies.list_scenarios())\n"
        "for slug, sc in proxies.list_scenarios().items():\n"
        "    env = gym.make(sc.env_id)\n"
        "    env.reset(seed=0)\n"
        "    env.step(env.action_space.sample())\n"
        "print(len(ids))\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", script],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= len(BUILTIN)


# -- actions, info, rewards, observations ------------------------------------------------------------------


def test_action_space_is_the_scenario_agents(scenario):
    env = scenario.make_env()
    assert env.action_space == scenario.action_space == scenario.agent.action_space
    assert isinstance(env.action_space, (gym.spaces.Box, gym.spaces.Discrete))
    env.reset(seed=0)
    assert env.unwrapped.world.spec.agent.action_space == scenario.action_space  # every scene's agent takes it
    env.action_space.seed(0)
    for _ in range(5):
        env.step(env.action_space.sample())


def test_every_objective_trains_on_exactly_its_logged_reward(scenario):
    measure_keys = {f"measure/{m}" for m in scenario.measurements}
    reward_keys = {f"reward/{o}" for o in scenario.objectives}
    for objective in scenario.objectives:
        env = scenario.make_env(objective=objective)
        policy = scenario.references[objective]() if objective in scenario.references else None
        obs, info = env.reset(seed=1, options={"factors": {f.name: f.train[0] for f in scenario.factors}})
        assert measure_keys <= set(info)
        if policy is not None:
            policy.reset(env.unwrapped.world, np.random.default_rng(0))
        rewards = []
        for action in _actions(scenario, scenario.max_steps, seed=1):
            if policy is not None:
                action = policy.act(obs, env.unwrapped.world)
            obs, reward, terminated, truncated, info = env.step(action)
            assert set(info) >= measure_keys | reward_keys
            assert all(isinstance(info[k], float) and np.isfinite(info[k]) for k in measure_keys | reward_keys)
            assert type(reward) is float and reward == info[f"reward/{objective}"]
            rewards.append(reward)
            if terminated or truncated:
                break
        if policy is not None:
            assert any(r != 0.0 for r in rewards), f"the {objective!r} reference never earned {objective!r}"


def test_training_vec_env_plays_exactly_what_dummy_vec_env_over_monitor_plays(scenario):
    """Seeded alike, the training vector env gives the observations, rewards, dones and episode
    statistics of SB3's DummyVecEnv over Monitor wrappers (so either trains the same agent)."""
    n, steps = 3, 2 * scenario.max_steps + 5  # every env finishes and restarts at least once

    def run(vec):
        vec.seed(11)
        record = [vec.reset()]
        actions = _actions(scenario, steps * n, seed=5)
        for t in range(steps):
            obs, rewards, dones, infos = vec.step(np.array(actions[t * n:(t + 1) * n]))
            episodes = [(i, info["episode"]["r"], info["episode"]["l"], info["episode_returns"],
                         info["TimeLimit.truncated"], info["terminal_observation"].tolist())
                        for i, info in enumerate(infos) if "episode" in info]
            record.append((obs, rewards, dones, episodes))
        return record

    ours = run(SandboxVecEnv(scenario.make_env, n))
    theirs = run(DummyVecEnv([lambda: Monitor(scenario.make_env()) for _ in range(n)]))
    assert np.array_equal(ours[0], theirs[0])
    for (obs, rewards, dones, episodes), (obs2, rewards2, dones2, episodes2) in zip(ours[1:], theirs[1:]):
        assert np.array_equal(obs, obs2) and np.array_equal(rewards, rewards2) and np.array_equal(dones, dones2)
        assert episodes == episodes2
    assert sum(len(step[3]) for step in ours[1:]) >= n


def test_rewards_are_increments_of_their_measurements(scenario):
    env = scenario.make_env()
    _, first = env.reset(seed=2)
    previous = first
    sums = dict.fromkeys(scenario.objectives, 0.0)
    for action in _actions(scenario, 60, seed=2):
        _, _, terminated, truncated, info = env.step(action)
        for o in scenario.objectives:
            measure = f"measure/{scenario.graph.objective(o).measurement}"
            assert info[f"reward/{o}"] == info[measure] - previous[measure]
            sums[o] += info[f"reward/{o}"]
        previous = info
        if terminated or truncated:
            assert set(info["episode_returns"]) == set(scenario.objectives)
            break
    for o in scenario.objectives:
        measure = f"measure/{scenario.graph.objective(o).measurement}"
        assert sums[o] == pytest.approx(info[measure] - first[measure])


def test_observations_match_the_space_and_are_finite(scenario):
    env = scenario.make_env(mix=0.5)
    space = env.observation_space
    assert space == scenario.observation_space and space.dtype in (np.float32, np.uint8)
    assert int(np.prod(space.shape)) == scenario.observation_size
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        for action in _actions(scenario, 25, seed):
            assert obs.shape == space.shape and obs.dtype == space.dtype
            assert np.isfinite(obs).all()
            obs, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                obs, _ = env.reset()


# -- episode ends ----------------------------------------------------------------------------------------


def test_episode_truncates_at_max_steps(scenario):
    """Every episode ends by ``max_steps`` at the latest: terminated before it, or truncated exactly at it."""
    env = scenario.make_env()
    ends = []
    for seed in range(3):
        env.reset(seed=seed)
        for step, action in enumerate(_actions(scenario, scenario.max_steps, seed), start=1):
            _, _, terminated, truncated, info = env.step(action)
            assert not (terminated and truncated)
            assert truncated == (step == scenario.max_steps and not terminated)
            assert ("episode_returns" in info) == (terminated or truncated)
            if terminated:
                assert scenario.terminate is not None, "a scenario without termination terminated"
                break
        assert terminated or truncated, f"the episode of seed {seed} did not end by max_steps"
        ends.append((step, terminated))
    assert all(step <= scenario.max_steps for step, _ in ends)
    if scenario.terminate is None:
        assert ends == [(scenario.max_steps, False)] * 3


def test_early_termination_ends_the_episode_with_its_returns(scenario):
    """A scenario that ends episodes early ends them with terminated True, truncated False and every
    objective's return in the info; one without termination never terminates."""
    if scenario.terminate is None:
        episodes = play(scenario, _training_specs(scenario), RandomPolicy, [0, 1, 2])
        assert [(e.terminated, e.steps) for e in episodes] == [(False, scenario.max_steps)] * 3
        return
    reference = scenario.references.get(scenario.true_reward)
    if reference is None:
        pytest.skip("no scripted reference for the true reward to end an episode with")
    specs = _training_specs(scenario)
    episodes = play(scenario, specs, reference, [0, 1, 2])
    ended = [i for i, e in enumerate(episodes) if e.terminated]
    assert ended, f"the {scenario.true_reward!r} reference never ended an episode early in training scenes"
    for i in ended:
        returns = episodes[i].end["episode_returns"]
        assert episodes[i].steps <= scenario.max_steps and set(returns) == set(scenario.objectives)
        assert returns[scenario.true_reward] == pytest.approx(episodes[i].rewards.sum())
    # the env itself, stepped by hand: terminated True, truncated False, the returns in that step's info
    env, policy, i = scenario.make_env(), reference(), ended[0]
    obs, _ = env.reset(seed=i, options={"spec": specs[i]})
    policy.reset(env.unwrapped.world, np.random.default_rng(i))
    for _ in range(scenario.max_steps):
        obs, _, terminated, truncated, info = env.step(policy.act(obs, env.unwrapped.world))
        if terminated or truncated:
            break
    assert (terminated, truncated) == (True, False) and "episode_returns" in info
    assert scenario.terminated(env.unwrapped.world) is True


# -- references -------------------------------------------------------------------------------------------


def test_scripted_references_beat_random_on_their_own_objective(scenario):
    if not scenario.references:
        pytest.skip("no scripted references (the framework plans its own)")
    specs, seeds = _training_specs(scenario), [0, 1, 2]
    column = {o: i for i, o in enumerate(scenario.objectives)}
    random = episode_returns(scenario, specs, RandomPolicy, seeds).mean(axis=0)
    for objective, reference in scenario.references.items():
        own = episode_returns(scenario, specs, reference, seeds).mean(axis=0)
        assert own[column[objective]] > random[column[objective]], (
            f"the {objective!r} reference earns {own[column[objective]]:.3g} of it, random {random[column[objective]]:.3g}"
        )


def test_each_reference_does_best_at_its_own_objective_in_counterfactual_scenes(scenario):
    """Where the objectives come apart, no other reference earns more of an objective than its own one."""
    if len(scenario.references) < 2:
        pytest.skip("fewer than two scripted references to compare")
    specs, seeds = [scenario.sample_spec(np.random.default_rng(200 + s), "intervene") for s in range(4)], [0, 1, 2, 3]
    column = {o: i for i, o in enumerate(scenario.objectives)}
    means = {o: episode_returns(scenario, specs, ref, seeds).mean(axis=0) for o, ref in scenario.references.items()}
    for objective, own in means.items():
        for other, theirs in means.items():
            assert own[column[objective]] >= theirs[column[objective]] - 1e-9, (
                f"the {other!r} reference earns more {objective!r} ({theirs[column[objective]]:.3g}) "
                f"than the {objective!r} reference ({own[column[objective]]:.3g})"
            )


def test_rgb_array_render_is_a_uint8_image(scenario):
    env = scenario.make_env(render_mode="rgb_array")
    env.reset(seed=0)
    env.step(env.action_space.sample())
    frame = env.render()
    assert isinstance(frame, np.ndarray) and frame.dtype == np.uint8
    assert frame.ndim == 3 and frame.shape[2] == 3 and min(frame.shape[:2]) >= 32
    assert frame.std() > 0  # not a blank image
    assert env.metadata["render_fps"] > 0


# -- bad input -------------------------------------------------------------------------------------------


def test_unknown_objective_is_a_config_error_with_a_suggestion(scenario):
    typo = scenario.objectives[0][:-1]
    with pytest.raises(ConfigError, match=rf"no objective '{typo}'; did you mean '{scenario.objectives[0]}'"):
        scenario.make_env(objective=typo)


@pytest.mark.parametrize("mix", [-0.01, 1.01])
def test_mix_outside_the_unit_interval_is_a_config_error(scenario, mix):
    with pytest.raises(ConfigError, match=r"mix must be a fraction in \[0, 1\]"):
        scenario.make_env(mix=mix)


def test_unknown_render_mode_is_rejected(scenario):
    with pytest.raises(SandboxError, match="render_mode 'rgbarray'"):
        scenario.make_env(render_mode="rgbarray")


def test_unknown_reset_option_is_rejected(scenario):
    with pytest.raises(SandboxError, match=r"Unknown reset option\(s\) \['seed'\]"):
        scenario.make_env().reset(options={"seed": 1})


def test_unknown_factor_in_reset_is_rejected(scenario):
    name = scenario.factors[0].name
    with pytest.raises(SandboxError, match=rf"no factor '{name}x'"):
        scenario.make_env().reset(seed=0, options={"factors": {f"{name}x": 1}})


def test_factor_outside_its_intervention_domain_is_rejected(scenario):
    env = scenario.make_env()
    for factor in scenario.factors:
        bad = "not-a-value" if factor.kind == "choice" else factor.intervene[1] + 1
        with pytest.raises(SpecError, match=rf"factor '{factor.name}' is outside its intervention domain"):
            env.reset(seed=0, options={"factors": {factor.name: bad}})
        with pytest.raises(SpecError, match=rf"factor '{factor.name}'"):
            scenario.sample_spec(np.random.default_rng(0), **{factor.name: bad})


def test_step_before_reset_is_rejected(scenario):
    with pytest.raises(SandboxError, match=r"reset\(\) before step\(\)"):
        scenario.make_env().step(_actions(scenario, 1)[0])
