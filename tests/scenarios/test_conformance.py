"""Every registered scenario goes through the same conformance tests."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import proxies
from proxies import ConfigError, Scenario
from sandbox import SandboxEnv, SandboxError, SceneSpec, SpecError

SCENARIOS = sorted(proxies.list_scenarios())
EXPECTED_WARNINGS = (
    "A Box observation space minimum value is -infinity",  # flat egocentric features are unbounded by design
    "A Box observation space maximum value is infinity",
    "Not able to test alternative render modes due to the environment not having a spec",
)


@pytest.fixture(params=SCENARIOS)
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


def _rollout_actions(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, 2)).astype(np.float32)


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
        for action in _rollout_actions(10):
            obs, *_ = env.step(action)
            assert env.observation_space.contains(obs) and np.isfinite(obs).all()


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
        "ids = sorted(k for k in gym.registry if k.startswith('sandbox/'))\n"
        "for module in [getattr(scenarios, m) for m in scenarios.__all__]:\n"
        "    importlib.reload(module)\n"
        "importlib.reload(scenarios)\n"
        "assert sorted(k for k in gym.registry if k.startswith('sandbox/')) == ids, ids\n"
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
    assert int(result.stdout) >= len(SCENARIOS)


# -- info, rewards, observations ------------------------------------------------------------------------


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
        for step in range(scenario.max_steps):
            action = policy.act(obs, env.unwrapped.world) if policy else _rollout_actions(1, step)[0]
            obs, reward, terminated, truncated, info = env.step(np.asarray(action, dtype=np.float32))
            assert set(info) >= measure_keys | reward_keys
            assert all(isinstance(info[k], float) and np.isfinite(info[k]) for k in measure_keys | reward_keys)
            assert type(reward) is float and reward == info[f"reward/{objective}"]
            rewards.append(reward)
            if terminated or truncated:
                break
        if policy is not None:
            assert any(r != 0.0 for r in rewards), f"the {objective!r} reference never earned {objective!r}"


def test_rewards_are_increments_of_their_measurements(scenario):
    env = scenario.make_env()
    _, first = env.reset(seed=2)
    previous = first
    sums = dict.fromkeys(scenario.objectives, 0.0)
    for action in _rollout_actions(60, seed=2):
        *_, info = env.step(action)
        for o in scenario.objectives:
            measure = f"measure/{scenario.graph.objective(o).measurement}"
            assert info[f"reward/{o}"] == info[measure] - previous[measure]
            sums[o] += info[f"reward/{o}"]
        previous = info
    for o in scenario.objectives:
        measure = f"measure/{scenario.graph.objective(o).measurement}"
        assert sums[o] == pytest.approx(info[measure] - first[measure])


def test_observations_match_the_space_and_are_finite(scenario):
    env = scenario.make_env(mix=0.5)
    assert env.observation_space.shape == (scenario.observation_size,)
    assert env.observation_space.dtype == np.float32
    assert env.action_space == gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        for action in _rollout_actions(25, seed):
            assert obs.shape == env.observation_space.shape and obs.dtype == np.float32
            assert np.isfinite(obs).all()
            obs, *_ = env.step(action)


def test_episode_truncates_at_max_steps(scenario):
    env = scenario.make_env()
    env.reset(seed=0)
    zero = np.zeros(2, dtype=np.float32)
    for _ in range(scenario.max_steps - 1):
        _, _, terminated, truncated, _ = env.step(zero)
        assert not truncated
        if terminated:
            pytest.skip("the episode terminated before max_steps")
    assert env.step(zero)[3] is True


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
        scenario.make_env().step(np.zeros(2, dtype=np.float32))
