"""SandboxEnv with a minimal hand-written Task (the sandbox layer knows nothing of proxies),
and early termination, also through a tiny ``proxies.Scenario``."""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from sandbox import ActionError, Body, Driver, Factor, SandboxEnv, SandboxError, SceneSpec, SpecError, Tool, Wall, World

ROBOT = Driver(x=1.0, y=1.0, tool=Tool(tags=("broom",)))


def _x(world: World) -> float:
    return world.agent.position[0]


def _contacts(world: World) -> float:
    return float(world.events.contacts[("broom", "dust")])


@dataclass
class TinyTask:
    """A corridor: drive east; a few dust particles lie in the way. ``until`` ends an episode early."""

    name: str = "TinyCorridor"
    factors: tuple[Factor, ...] = (
        Factor.integer("dust", train=(1, 2), intervene=(0, 4)),
        Factor.choice("side", train=("low",), intervene=("low", "high")),
    )
    max_steps: int = 12
    measurements: Mapping[str, Any] = field(default_factory=lambda: {"x": _x, "contacts": _contacts})
    rewards: Mapping[str, str] = field(default_factory=lambda: {"progress": "x", "touches": "contacts"})
    true_reward: str = "progress"
    agent: Driver = ROBOT
    until: Callable[[World], Any] | None = None

    @property
    def action_space(self) -> gym.Space:
        return self.agent.action_space

    @property
    def observation_space(self) -> gym.Space:
        return gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)

    def make_scene(self, factors: Mapping[str, Any], rng: np.random.Generator) -> SceneSpec:
        y = 1.0 if factors["side"] == "low" else 2.0
        dust = [Body(x=2.0 + i, y=y + float(rng.uniform(-0.1, 0.1)), tags=("dust",)) for i in range(factors["dust"])]
        walls = [Wall(x0=0, y0=0, x1=8, y1=0), Wall(x0=0, y0=3, x1=8, y1=3), Wall(x0=8, y0=0, x1=8, y1=3)]
        robot = dataclasses.replace(self.agent, x=1.0, y=y)
        return SceneSpec(width=8.0, height=3.0, entities=(robot, *walls, *dust), factors=tuple(factors.items()))

    def observe(self, world: World) -> np.ndarray:
        x, y = world.agent.position
        vx, vy = world.agent.velocity
        return np.array([x / 8, y / 3, vx, vy], dtype=np.float32)

    def terminated(self, world: World) -> bool:
        return False if self.until is None else self.until(world)


@pytest.fixture
def env() -> SandboxEnv:
    return SandboxEnv(TinyTask())


EAST = np.array([1.0, 0.0], dtype=np.float32)


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
    first, total, touched = info, 0.0, 0.0
    for _ in range(12):
        _, r, terminated, truncated, info = env.step(EAST)
        assert set(info) - {"episode_returns"} == {"measure/x", "measure/contacts", "reward/progress", "reward/touches"}
        assert r == info[f"reward/{reward}"] and type(r) is float
        assert info["reward/progress"] == info["measure/x"] - previous["measure/x"]
        assert info["reward/touches"] == info["measure/contacts"] - previous["measure/contacts"]
        previous = info
        total += r
        touched += info["reward/touches"]
    assert total != 0.0 and truncated and not terminated
    assert touched > 0  # the broom did touch the dust, so both rewards were exercised
    assert info["episode_returns"] == {
        "progress": info["measure/x"] - first["measure/x"], "touches": info["measure/contacts"] - first["measure/contacts"]
    }


def test_episode_truncates_at_max_steps(env):
    env.reset(seed=0)
    flags = [env.step(env.action_space.sample())[2:4] for _ in range(12)]
    assert flags[:-1] == [(False, False)] * 11
    assert flags[-1] == (False, True)


def test_episode_returns_come_only_with_the_last_step(env):
    env.reset(seed=0)
    infos = [env.step(EAST)[4] for _ in range(12)]
    assert ["episode_returns" in info for info in infos] == [False] * 11 + [True]


def test_step_info_after_advance_is_the_info_step_returns(env):
    stepped = SandboxEnv(TinyTask())
    env.reset(seed=1, options={"factors": {"dust": 3}})
    stepped.reset(seed=1, options={"factors": {"dust": 3}})
    for n in range(1, 13):
        *_, terminated, truncated, info = stepped.step(EAST)
        env.advance(EAST)
        assert env.step_info(ended=terminated or truncated) == info
        assert ("episode_returns" in info) == (n == 12)
    assert env.step_info() == {k: v for k, v in info.items() if k != "episode_returns"}


def test_same_seed_gives_the_same_scene_and_observations(env):
    other = SandboxEnv(TinyTask())
    a, _ = env.reset(seed=3, options={"factors": {"dust": 4}})
    b, _ = other.reset(seed=3, options={"factors": {"dust": 4}})
    assert env.world.spec == other.world.spec
    assert np.array_equal(a, b)
    for _ in range(5):
        assert np.array_equal(env.step([0.5, 0.5])[0], other.step([0.5, 0.5])[0])


def test_reset_on_a_given_spec_plays_exactly_that_scene(env):
    spec = TinyTask().make_scene({"dust": 3, "side": "high"}, np.random.default_rng(1))
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


def test_mix_draws_each_factor_from_its_randomized_domain_where_it_names_one():
    task = TinyTask(factors=(Factor.integer("dust", train=(1, 2), intervene=(0, 4), randomized=(4, 4)),
                             Factor.choice("side", train=("low",), intervene=("low", "high"))))
    env = SandboxEnv(task, mix=1.0)
    sides = set()
    for seed in range(30):
        env.reset(seed=seed)
        sides.add(env.world.spec.factor_values["side"])
        assert env.world.spec.factor_values["dust"] == 4
    assert sides == {"low", "high"}


def test_actions_outside_the_box_are_clipped(env):
    spec = TinyTask().make_scene({"dust": 0, "side": "low"}, np.random.default_rng(0))
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


# -- termination -------------------------------------------------------------------------------------------


def _past(x: float) -> Callable[[World], bool]:
    def until(world: World) -> bool:
        return world.agent.position[0] > x

    return until


def test_termination_ends_the_episode_with_its_returns():
    env = SandboxEnv(TinyTask(until=_past(1.5)))
    _, first = env.reset(seed=0, options={"factors": {"dust": 0}})
    steps = []
    while True:
        _, r, terminated, truncated, info = env.step(EAST)
        steps.append((terminated, truncated))
        if terminated or truncated:
            break
    assert steps[-1] == (True, False) and len(steps) < 12
    assert all(flags == (False, False) for flags in steps[:-1])
    assert env.world.agent.position[0] > 1.5
    assert info["episode_returns"]["progress"] == info["measure/x"] - first["measure/x"]
    assert set(info["episode_returns"]) == {"progress", "touches"}


def test_termination_on_the_last_step_is_not_also_a_truncation():
    env = SandboxEnv(TinyTask(until=lambda world: world.steps >= 12))
    env.reset(seed=0)
    flags = [env.step(EAST)[2:4] for _ in range(12)]
    assert flags[-1] == (True, False) and flags[:-1] == [(False, False)] * 11


def test_a_numpy_bool_from_a_comparison_counts_as_a_termination():
    """``np.float64(x) > 1.5`` is ``np.True_``: common enough in a scenario to be taken as the bool it is."""
    env = SandboxEnv(TinyTask(until=lambda world: np.asarray(world.agent.position)[0] > 1.5))
    env.reset(seed=0, options={"factors": {"dust": 0}})
    results = [env.step(EAST)[2] for _ in range(4)]
    assert all(type(t) is bool for t in results)
    assert results[-1] is True and results[0] is False


@pytest.mark.parametrize("value", [1, 0, 1.0, None, "yes", np.array([True]), np.int64(1)], ids=repr)
def test_termination_returning_a_non_bool_names_the_fix(value):
    env = SandboxEnv(TinyTask(until=lambda world: value))
    env.reset(seed=0)
    with pytest.raises(SandboxError, match=r"Task 'TinyCorridor': its termination returned .*; it must return True or False"):
        env.step(EAST)


def _tiny_scenario(terminate: Callable[[World], Any]):
    """A proxies.Scenario with a two-objective RewardGraph whose episode ends when ``terminate`` says so."""
    proxies = pytest.importorskip("proxies")
    task = TinyTask()
    graph = proxies.RewardGraph(
        factors=task.factors,
        measurements=(
            proxies.Measurement("x", _x, causes=("side",)),
            proxies.Measurement("contacts", _contacts, causes=("dust", "x")),
        ),
        true_reward=proxies.Objective("x"),
        proxies=(proxies.Objective("contacts"),),
    )
    return proxies.Scenario(
        name="TinyEnding", slug="tiny-ending", description="Drive east until past a line.", graph=graph,
        build_scene=task.make_scene, observe=task.observe, agent=ROBOT, max_steps=12, terminate=terminate,
    )


def test_a_scenarios_terminate_ends_the_episode():
    env = _tiny_scenario(_past(1.5)).make_env()
    env.reset(seed=0, options={"factors": {"dust": 0}})
    for _ in range(12):
        *_, terminated, truncated, info = env.step(EAST)
        if terminated or truncated:
            break
    assert (terminated, truncated) == (True, False) and env.world.steps < 12
    assert set(info["episode_returns"]) == {"x", "contacts"}


def test_a_scenarios_terminate_returning_a_number_names_the_fix():
    env = _tiny_scenario(lambda world: world.steps).make_env()
    env.reset(seed=0)
    expected = r"Task 'TinyEnding': its termination \(.*test_env.py:\d+\) returned 1; it must return True or False"
    with pytest.raises(SandboxError, match=expected):
        env.step(EAST)


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
    [
        [np.nan, 0.0], [0.0, np.inf], [1.0, 0.0, 0.0], ["a", "b"], np.array(["a", "b"]), np.zeros((1, 2)), np.zeros(3),
        np.zeros((2, 2)), np.array(0.5), 0.5, None,
    ],
    ids=repr,
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
    scenes = [task.make_scene({"dust": 0, "side": side}, np.random.default_rng(0)) for side in ("low", "high")]
    env = SandboxEnv(task, scenes=scenes)
    env.reset(seed=0)
    played = set()
    for _ in range(12):
        env.reset()
        played.add(env.world.spec)
    assert played == set(scenes)


def test_scenes_with_a_mix_or_not_specs_are_refused():
    spec = TinyTask().make_scene({"dust": 1, "side": "low"}, np.random.default_rng(0))
    with pytest.raises(SandboxError, match="not both"):
        SandboxEnv(TinyTask(), mix=0.5, scenes=[spec])
    with pytest.raises(SandboxError, match="SceneSpec objects"):
        SandboxEnv(TinyTask(), scenes=[spec.to_json()])


# -- what the task's functions return is checked where it is produced ------------------------------------


def _measuring(value: Callable[[World], Any]) -> SandboxEnv:
    """The corridor, with its ``contacts`` measurement replaced by ``value``."""
    return SandboxEnv(TinyTask(measurements={"x": _x, "contacts": value}))


@pytest.mark.parametrize(
    ("value", "problem"),
    [("1.0", r"'1.0' \(a str\)"), (True, r"True \(a bool\)"), (np.bool_(True), r"(np\.)?True_? \(a bool\)"),
     (None, r"None \(a NoneType\)"),
     (float("inf"), r"inf \(not a finite number\)"), (float("nan"), r"nan \(not a finite number\)"),
     (np.float32("-inf"), r"-inf \(not a finite number\)"), ([1.0], r"\[1.0\] \(a list\)")],
    ids=repr,
)
def test_a_measurement_that_is_not_a_finite_number_is_a_typed_error_naming_it(value, problem):
    from sandbox import MeasurementError

    def contacts(world):
        return value if world.steps >= 2 else 0.0

    env = _measuring(contacts)
    env.reset(seed=0)
    env.step(EAST)
    expected = rf"Measurement 'contacts' \(.*test_env.py:\d+\) returned {problem} after step 2; "
    with pytest.raises(MeasurementError, match=expected):
        env.step(EAST)
    with pytest.raises(MeasurementError, match=r"at the episode's start"):
        _measuring(lambda world: value).reset(seed=0)


@pytest.mark.parametrize("value", [3, np.int64(3), np.float32(3.0), np.float64(3.0), np.array(3.0)], ids=repr)
def test_numbers_of_every_kind_are_measurements_and_become_floats(value):
    env = _measuring(lambda world: value)
    _, info = env.reset(seed=0)
    *_, info = env.step(EAST)
    assert type(info["measure/contacts"]) is float and info["measure/contacts"] == 3.0
    assert info["reward/touches"] == 0.0


def test_an_observation_of_another_shape_is_a_typed_error_at_reset():
    from sandbox import ObservationError

    class Growing(TinyTask):
        def observe(self, world):
            return np.zeros(4 + len(world.where("dust")), dtype=np.float32)  # one more slot per dust particle

    env = SandboxEnv(Growing())
    with pytest.raises(ObservationError, match=r"observe\(\) \(.*test_env.py:\d+\) returned an observation of shape \(\d,\), "
                                               r"but the observation space .* has shape \(4,\).*presence flag"):
        for seed in range(5):
            env.reset(seed=seed)


def test_an_observation_of_another_dtype_is_a_typed_error_at_reset():
    from sandbox import ObservationError

    class Doubles(TinyTask):
        def observe(self, world):
            return super().observe(world).astype(np.float64)

    with pytest.raises(ObservationError, match=r"returned float64 values, but the observation space holds float32"):
        SandboxEnv(Doubles()).reset(seed=0)


class _Spilling(TinyTask):
    """Every scene but an env's first has dust beyond the east wall; observations turn NaN after step 2."""

    def make_scene(self, factors, rng):
        spec = super().make_scene(factors, rng)
        self.made = getattr(self, "made", 0) + 1
        spill = (Body(x=9.0, y=1.0, tags=("dust",)),) if self.made > 1 else ()
        return dataclasses.replace(spec, entities=(*spec.entities, *spill))

    def observe(self, world):
        obs = super().observe(world)
        return obs if world.steps < 3 else obs * np.float32("nan")


def test_by_default_only_the_first_scene_and_the_observations_shape_are_checked():
    env = SandboxEnv(_Spilling())
    env.reset(seed=0)
    env.reset(seed=1)  # a scene with dust outside the walls: not checked (the layout check costs a rebuild)
    for _ in range(4):
        obs, *_ = env.step(EAST)
    assert np.isnan(obs).all()  # observations are checked only for their shape and dtype


def test_sandbox_debug_checks_every_scene_and_every_observation(monkeypatch):
    from sandbox import GeometryError, ObservationError

    monkeypatch.setenv("SANDBOX_DEBUG", "1")
    env = SandboxEnv(_Spilling())
    env.reset(seed=0)
    expected = r"the scene built by make_scene \(.*test_env.py:\d+\) .*Body 'dust' .* outside the floor \[0, 8\] x \[0, 3\] m"
    with pytest.raises(GeometryError, match=expected):
        env.reset(seed=1)
    env.task.made = -99  # no more spills
    env.reset(seed=0)
    for _ in range(2):
        env.step(EAST)
    expected = r"observe\(\) \(.*test_env.py:\d+\) returned nan at index 0 .*must hold finite numbers"
    with pytest.raises(ObservationError, match=expected):
        env.step(EAST)


def test_the_first_scene_of_every_env_is_checked_for_its_layout():
    from sandbox import GeometryError

    class Outside(TinyTask):
        def make_scene(self, factors, rng):
            spec = super().make_scene(factors, rng)
            return dataclasses.replace(spec, entities=tuple(e.at(-2.0, 1.0) if e is spec.agent else e for e in spec.entities))

    with pytest.raises(GeometryError, match=r"Task 'TinyCorridor': the scene built by make_scene .*Driver 'agent' \(entity 0\) "
                                            r"at \(-2, 1\) reaches x -2.25..-1.75, outside the floor"):
        SandboxEnv(Outside()).reset(seed=0)
