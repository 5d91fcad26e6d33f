"""Finding scenarios by name and loading user scenario files."""

from __future__ import annotations

import sys
import textwrap
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import proxies
import proxies.registry as registry
from proxies import Scenario, ScenarioFileError, ScenarioNotFoundError, get_scenario

USER_PREFIX = "_proxy_sandbox_user_"

TINY_SCENARIO = '''
"""A user's scenario: the cleaning robot's room, with shorter episodes."""

from proxies import Scenario
from scenarios import cleaning_robot as room

TINY = Scenario(
    name="{name}",
    slug="{slug}",
    description="The cleaning robot's room with 15-step episodes.",
    graph=room.GRAPH,
    build_scene=room.build_scene,
    observe=room.observe,
    observation_size=room.OBSERVATION_SIZE,
    max_steps=15,
)
'''


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch):
    """Keep scenarios, gym ids and modules registered by a test from leaking into other tests."""
    proxies.list_scenarios()  # built-ins first, so the copy holds them
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    env_ids, modules = set(gym.registry), set(sys.modules)
    yield
    for env_id in set(gym.registry) - env_ids:
        del gym.registry[env_id]
    for name in set(sys.modules) - modules:
        if name.startswith(USER_PREFIX):
            del sys.modules[name]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _tiny(tmp_path: Path, file: str = "tiny.py", name: str = "TinyClean", slug: str = "tiny-clean") -> Path:
    return _write(tmp_path, file, TINY_SCENARIO.format(name=name, slug=slug))


# -- by name ---------------------------------------------------------------------------------------------


def test_known_slug_gives_the_registered_scenario():
    scenario = get_scenario("cleaning-robot")
    assert isinstance(scenario, Scenario)
    assert scenario.slug == "cleaning-robot" and scenario.env_id == "sandbox/CleaningRobot-v0"
    assert get_scenario("cleaning-robot") is scenario
    assert proxies.list_scenarios()["cleaning-robot"] is scenario


def test_list_scenarios_is_sorted_by_slug():
    slugs = list(proxies.list_scenarios())
    assert slugs == sorted(slugs) and "cleaning-robot" in slugs


@pytest.mark.parametrize("name", ["cleaning-robo", "Cleaning-Robot", "cleanin-robot"])
def test_misspelt_name_suggests_the_close_one(name):
    with pytest.raises(ScenarioNotFoundError, match=rf"No scenario called '{name}'; did you mean 'cleaning-robot'\?"):
        get_scenario(name)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ScenarioNotFoundError, match=r"Known: .*cleaning-robot.*own scenario file"):
        get_scenario("zzzz")


def test_scenario_not_found_is_a_lookup_error():
    with pytest.raises(LookupError):
        get_scenario("nope")


# -- by path: errors ----------------------------------------------------------------------------------------


def test_missing_file_is_a_scenario_file_error(tmp_path):
    with pytest.raises(ScenarioFileError, match=r"missing\.py is not a Python file"):
        get_scenario(str(tmp_path / "missing.py"))


def test_directory_is_a_scenario_file_error(tmp_path):
    with pytest.raises(ScenarioFileError, match="is not a Python file"):
        get_scenario(str(tmp_path))


def test_file_that_is_not_python_is_a_scenario_file_error(tmp_path):
    path = _write(tmp_path, "scenario.txt", TINY_SCENARIO.format(name="Txt", slug="txt"))
    with pytest.raises(ScenarioFileError, match=r"scenario\.txt is not a Python file"):
        get_scenario(str(path))


def test_file_defining_no_scenario_is_a_scenario_file_error(tmp_path):
    path = _write(tmp_path, "empty.py", "from proxies import Scenario\nX = 1\n")
    with pytest.raises(ScenarioFileError, match=r"defines 0 Scenario objects; .*exactly one"):
        get_scenario(str(path))


def test_file_defining_two_scenarios_is_a_scenario_file_error(tmp_path):
    text = TINY_SCENARIO.format(name="TwinA", slug="twin-a") + (
        "\nimport dataclasses\nOTHER = dataclasses.replace(TINY, name='TwinB', slug='twin-b')\n"
    )
    path = _write(tmp_path, "twins.py", text)
    with pytest.raises(ScenarioFileError, match=r"twins\.py defines 2 Scenario objects"):
        get_scenario(str(path))
    assert "twin-a" not in registry._REGISTRY and "twin-b" not in registry._REGISTRY


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("raise RuntimeError('the dustpan is missing')\n", r"failed: RuntimeError: the dustpan is missing"),
        ("import no_such_module_anywhere\n", r"failed: ModuleNotFoundError: .*no_such_module_anywhere"),
        ("def broken(:\n", r"failed: SyntaxError"),
        (
            "from proxies import Measurement, Objective, RewardGraph\n"
            "G = RewardGraph(factors=(), measurements=(Measurement('a', len),), "
            "true_reward=Objective('a'), proxies=(Objective('b'),))\n",
            r"failed: GraphError: Objective 'b' rewards unknown measurement 'b'",
        ),
    ],
    ids=["raises", "bad-import", "syntax-error", "bad-graph"],
)
def test_file_that_fails_on_import_is_a_scenario_file_error(tmp_path, source, match):
    path = _write(tmp_path, "broken.py", source)
    with pytest.raises(ScenarioFileError, match=match) as caught:
        get_scenario(str(path))
    assert "broken.py" in str(caught.value) and "Fix the file" in str(caught.value)
    assert f"{USER_PREFIX}broken" not in sys.modules


# -- by path: a valid user scenario ------------------------------------------------------------------------------


def test_user_scenario_file_loads_and_registers(tmp_path):
    scenario = get_scenario(str(_tiny(tmp_path)))
    assert isinstance(scenario, Scenario)
    assert (scenario.name, scenario.slug, scenario.max_steps) == ("TinyClean", "tiny-clean", 15)
    assert get_scenario("tiny-clean") is scenario
    assert proxies.list_scenarios()["tiny-clean"] is scenario
    assert scenario.env_id in gym.registry


def test_user_scenario_env_runs_and_passes_the_checker(tmp_path):
    scenario = get_scenario(str(_tiny(tmp_path)))
    env = scenario.make_env(objective="sweeps")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deliberate infinite observation bounds
        check_env(env)
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    for step in range(1, 16):
        obs, reward, terminated, truncated, info = env.step(rng.uniform(-1, 1, 2).astype(np.float32))
        assert env.observation_space.contains(obs)
        assert reward == info["reward/sweeps"]
        assert truncated is (step == 15) and not terminated


def test_user_scenario_works_through_gymnasium_make(tmp_path):
    scenario = get_scenario(str(_tiny(tmp_path, name="TinyCleanMake", slug="tiny-clean-make")))
    env = gym.make("sandbox/TinyCleanMake-v0")
    assert env.unwrapped.task is scenario
    env.reset(seed=1)
    env.step(env.action_space.sample())
    env.close()


def test_loading_the_same_file_twice_gives_an_equal_scenario(tmp_path):
    path = _tiny(tmp_path)
    first = get_scenario(str(path))
    second = get_scenario(str(path))
    assert first == second
    assert len([s for s in proxies.list_scenarios() if s == "tiny-clean"]) == 1

