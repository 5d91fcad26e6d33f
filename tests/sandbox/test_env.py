"""SandboxEnv with a minimal hand-written Task (the sandbox layer knows nothing of proxies)."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from sandbox import ActionError, Factor, Particle, Robot, SandboxEnv, SandboxError, SceneSpec, SpecError, Wall, World


def _x(world: World) -> float:
    return world.robot_position[0]


def _contacts(world: World) -> float:
    return float(world.broom_contacts)


@dataclass
class TinyTask:
    """A corridor: drive east; a few particles lie in the way."""

    name: str = "TinyCorridor"
    factors: tuple[Factor, ...] = (
        Factor.integer("dust", train=(1, 2), intervene=(0, 4)),
        Factor.choice("side", train=("low",), intervene=("low", "high")),
    )
    max_steps: int = 12
    observation_size: int = 4
    measurements: Mapping[str, Any] = field(default_factory=lambda: {"x": _x, "contacts": _contacts})
    rewards: Mapping[str, str] = field(default_factory=lambda: {"progress": "x", "touches": "contacts"})
    true_reward: str = "progress"

    def build_scene(self, factors: Mapping[str, Any], rng: np.random.Generator) -> SceneSpec:
        y = 1.0 if factors["side"] == "low" else 2.0
        dust = [Particle(x=2.0 + i, y=y + float(rng.uniform(-0.1, 0.1))) for i in range(factors["dust"])]
        walls = [Wall(x0=0, y0=0, x1=8, y1=0), Wall(x0=0, y0=3, x1=8, y1=3), Wall(x0=8, y0=0, x1=8, y1=3)]
        return SceneSpec(
            width=8.0, height=3.0, entities=(Robot(x=1.0, y=y), *walls, *dust), factors=tuple(factors.items())
        )

    def observe(self, world: World) -> np.ndarray:
        x, y = world.robot_position
        vx, vy = world.robot_velocity
        return np.array([x / 8, y / 3, vx, vy], dtype=np.float32)


@pytest.fixture
def env() -> SandboxEnv:
    return SandboxEnv(TinyTask())


def test_env_passes_gymnasium_and_sb3_checkers():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(SandboxEnv(TinyTask()), skip_render_check=False)
        check_env(SandboxEnv(TinyTask(), render_mode="rgb_array"), skip_render_check=False)
        sb3_check_env(SandboxEnv(TinyTask()), warn=True)
    expected = ("observation space minimum value is -infinity", "maximum value is infinity", "not having a spec")
    assert [str(w.message) for w in caught if not any(e in str(w.message) for e in expected)] == []


@pytest.mark.parametrize("reward", ["progress", "touches"])
def test_returned_reward_is_the_logged_increment_of_its_measurement(reward):
    env = SandboxEnv(TinyTask(), reward=reward)
    _, info = env.reset(seed=0, options={"factors": {"dust": 2}})
    assert set(info) == {"measure/x", "measure/contacts"}
    previous = info
    first, total = info, 0.0
    for _ in range(12):
        _, r, terminated, truncated, info = env.step(np.array([1.0, 0.0], dtype=np.float32))
        assert set(info) - {"episode_returns"} == {"measure/x", "measure/contacts", "reward/progress", "reward/touches"}
        assert r == info[f"reward/{reward}"]
        assert info["reward/progress"] == info["measure/x"] - previous["measure/x"]
        assert info["reward/touches"] == info["measure/contacts"] - previous["measure/contacts"]
        previous = info
        total += r
    assert total != 0.0 and truncated
    assert info["episode_returns"] == {
        "progress": info["measure/x"] - first["measure/x"], "touches": info["measure/contacts"] - first["measure/contacts"]
    }


def test_episode_truncates_at_max_steps(env):
    env.reset(seed=0)
    flags = [env.step(env.action_space.sample())[2:4] for _ in range(12)]
    assert flags[:-1] == [(False, False)] * 11
    assert flags[-1] == (False, True)


def test_same_seed_gives_the_same_scene_and_observations(env):
    other = SandboxEnv(TinyTask())
    a, _ = env.reset(seed=3, options={"factors": {"dust": 4}})
    b, _ = other.reset(seed=3, options={"factors": {"dust": 4}})
    assert env.world.spec == other.world.spec
    assert np.array_equal(a, b)
    for _ in range(5):
        assert np.array_equal(env.step([0.5, 0.5])[0], other.step([0.5, 0.5])[0])


def test_reset_on_a_given_spec_plays_exactly_that_scene(env):
    spec = TinyTask().build_scene({"dust": 3, "side": "high"}, np.random.default_rng(1))
    obs, _ = env.reset(seed=0, options={"spec": spec})
    assert env.world.spec is spec
    assert obs.tolist() == pytest.approx([1 / 8, 2 / 3, 0.0, 0.0])


def test_reset_with_fixed_factors_samples_the_others_from_training(env):
    for seed in range(5):
        env.reset(seed=seed, options={"factors": {"side": "high"}})
        values = env.world.spec.factor_values
        assert values["side"] == "high" and values["dust"] in (1, 2)


def test_mix_draws_some_scenes_from_the_intervention_domain():
    env = SandboxEnv(TinyTask(), mix=1.0)
    sides = set()
    for seed in range(30):
        env.reset(seed=seed)
        sides.add(env.world.spec.factor_values["side"])
        assert 0 <= env.world.spec.factor_values["dust"] <= 4
    assert sides == {"low", "high"}
    train = SandboxEnv(TinyTask(), mix=0.0)
    for seed in range(10):
        train.reset(seed=seed)
        assert train.world.spec.factor_values["side"] == "low"


def test_actions_outside_the_box_are_clipped(env):
    spec = TinyTask().build_scene({"dust": 0, "side": "low"}, np.random.default_rng(0))
    env.reset(seed=0, options={"spec": spec})
    big = env.step(np.array([50.0, 0.0]))[0]
    env.reset(seed=0, options={"spec": spec})
    full = env.step(np.array([1.0, 0.0]))[0]
    assert np.array_equal(big, full)


def test_rgb_array_render_is_a_uint8_image():
    env = SandboxEnv(TinyTask(), render_mode="rgb_array")
    assert env.render() is None  # nothing to draw before reset
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.shape[0] < frame.shape[1]  # the corridor is wider than tall
    assert SandboxEnv(TinyTask()).render() is None


# -- bad input ------------------------------------------------------------------------------------------


def test_unknown_reward_is_rejected_with_the_known_ones():
    with pytest.raises(SandboxError, match=r"no reward 'progres'.*\['progress', 'touches'\]"):
        SandboxEnv(TinyTask(), reward="progres")


@pytest.mark.parametrize("mix", [-0.1, 1.5])
def test_mix_outside_the_unit_interval_is_rejected(mix):
    with pytest.raises(SandboxError, match=r"mix must be a fraction in \[0, 1\]"):
        SandboxEnv(TinyTask(), mix=mix)


def test_unknown_render_mode_is_rejected():
    with pytest.raises(SandboxError, match=r"render_mode 'rgb' is not one of"):
        SandboxEnv(TinyTask(), render_mode="rgb")


def test_unknown_reset_option_is_rejected(env):
    with pytest.raises(SandboxError, match=r"Unknown reset option\(s\) \['scene'\]; use 'spec' or 'factors'"):
        env.reset(seed=0, options={"scene": None})


def test_reset_spec_must_be_a_scene_spec(env):
    with pytest.raises(SandboxError, match=r"options\['spec'\] must be a SceneSpec, got dict"):
        env.reset(seed=0, options={"spec": {"width": 1}})


def test_unknown_factor_in_reset_is_rejected(env):
    with pytest.raises(SandboxError, match=r"no factor 'dusts'"):
        env.reset(seed=0, options={"factors": {"dusts": 2}})


@pytest.mark.parametrize(("name", "value"), [("dust", 5), ("dust", -1), ("dust", 1.5), ("side", "middle")])
def test_factor_outside_its_intervention_domain_is_rejected(env, name, value):
    with pytest.raises(SpecError, match=rf"factor '{name}' is outside its intervention domain"):
        env.reset(seed=0, options={"factors": {name: value}})


def test_step_before_reset_is_rejected(env):
    with pytest.raises(SandboxError, match=r"Call reset\(\) before step\(\)"):
        env.step(np.zeros(2, dtype=np.float32))


@pytest.mark.parametrize(
    "action",
    [[np.nan, 0.0], [0.0, np.inf], [1.0, 0.0, 0.0], ["a", "b"], np.array(["a", "b"]), np.zeros((1, 2)), np.zeros(3)],
)
def test_malformed_action_is_rejected(env, action):
    env.reset(seed=0)
    with pytest.raises(ActionError):
        env.step(action)


def test_sandbox_errors_are_one_family():
    assert issubclass(SpecError, SandboxError) and issubclass(ActionError, SandboxError)
    assert not issubclass(SandboxError, gym.error.Error)


def test_deep_copied_info_is_equal_and_shares_nothing_mutable(env):
    env.reset(seed=0)
    for _ in range(12):
        *_, info = env.step(env.action_space.sample())
    info["extra"] = np.zeros(2)  # as a vectorised env adds the terminal observation
    copied = copy.deepcopy(info)
    assert copied.keys() == info.keys() and copied["episode_returns"] == info["episode_returns"]
    assert copied["episode_returns"] is not info["episode_returns"] and copied["extra"] is not info["extra"]


def test_an_env_given_scenes_plays_only_those():
    task = TinyTask()
    scenes = [task.build_scene({"dust": 0, "side": side}, np.random.default_rng(0)) for side in ("low", "high")]
    env = SandboxEnv(task, scenes=scenes)
    env.reset(seed=0)
    played = set()
    for _ in range(12):
        env.reset()
        played.add(env.world.spec)
    assert played == set(scenes)


def test_scenes_with_a_mix_or_not_specs_are_refused():
    spec = TinyTask().build_scene({"dust": 1, "side": "low"}, np.random.default_rng(0))
    with pytest.raises(SandboxError, match="not both"):
        SandboxEnv(TinyTask(), mix=0.5, scenes=[spec])
    with pytest.raises(SandboxError, match="SceneSpec objects"):
        SandboxEnv(TinyTask(), scenes=[spec.to_json()])
