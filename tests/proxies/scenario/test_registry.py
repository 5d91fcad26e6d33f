"""Finding scenarios by name and loading user scenario files."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import proxies
import proxies.scenario.registry as registry
from proxies import Scenario, ScenarioFileError, ScenarioNotFoundError, get_scenario
from proxies.errors import EntryPointError, ProxiesError

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
    agent=room.ROBOT,
    max_steps=15,
    physics_hz=room.PHYSICS_HZ,
    control_hz=room.CONTROL_HZ,
)
'''


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch, tmp_path_factory):
    """Keep scenarios, gym ids and modules registered by a test from leaking into other tests."""
    proxies.list_scenarios()  # built-ins first, so the copy holds them
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    env_ids, modules = set(gym.registry), set(sys.modules)
    yield
    for env_id in set(gym.registry) - env_ids:
        del gym.registry[env_id]
    temp = str(tmp_path_factory.getbasetemp())
    for name in set(sys.modules) - modules:  # scenario files, and the siblings they imported from tmp_path
        if name.startswith(USER_PREFIX) or str(getattr(sys.modules[name], "__file__", None)).startswith(temp):
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
    assert not [name for name in sys.modules if name.startswith(f"{USER_PREFIX}broken")]


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


def test_loading_the_same_file_twice_gives_the_same_scenario(tmp_path, monkeypatch):
    path = _tiny(tmp_path)
    first = get_scenario(str(path))
    env_ids, modules = set(gym.registry), set(sys.modules)
    monkeypatch.chdir(tmp_path)
    assert get_scenario(str(path)) is first
    assert get_scenario("tiny.py") is first and get_scenario("./tiny.py") is first  # the same file, spelt otherwise
    assert set(gym.registry) == env_ids and set(sys.modules) == modules
    assert len([s for s in proxies.list_scenarios() if s == "tiny-clean"]) == 1


def test_files_with_the_same_name_in_different_folders_are_different_scenarios(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = get_scenario(str(_tiny(tmp_path / "a", name="TinyA", slug="tiny-a")))
    second = get_scenario(str(_tiny(tmp_path / "b", name="TinyB", slug="tiny-b")))
    assert (first.slug, second.slug) == ("tiny-a", "tiny-b")


def test_scenario_is_preferred_when_a_file_defines_several(tmp_path):
    text = TINY_SCENARIO.format(name="Base", slug="base") + (
        "\nimport dataclasses\nSCENARIO = dataclasses.replace(TINY, name='Chosen', slug='chosen')\n"
    )
    assert get_scenario(str(_write(tmp_path, "several.py", text))).slug == "chosen"
    assert "base" not in registry._REGISTRY


def test_scenario_that_is_not_a_scenario_is_a_scenario_file_error(tmp_path):
    path = _write(tmp_path, "wrong.py", "SCENARIO = 'cleaning-robot'\n")
    with pytest.raises(ScenarioFileError, match=r"wrong\.py sets SCENARIO to a str; set it to a Scenario"):
        get_scenario(str(path))


def test_a_fixed_file_is_imported_afresh(tmp_path):
    path = _write(tmp_path, "draft.py", "X = 1\n")
    with pytest.raises(ScenarioFileError, match="defines 0 Scenario objects"):
        get_scenario(str(path))
    path.write_text(TINY_SCENARIO.format(name="Draft", slug="draft"))
    assert get_scenario(str(path)).slug == "draft"


# -- by path: importing the files beside it ------------------------------------------------------------------


def _beacon_and_variant(tmp_path: Path) -> tuple[Path, Path]:
    beacon = _tiny(tmp_path, "beacon_base.py", name="Beacon", slug="beacon")
    _write(tmp_path, "beacon_settings.py", "MAX_STEPS = 9\n")
    variant = _write(
        tmp_path,
        "beacon_variant.py",
        """
        import dataclasses

        import beacon_base
        from beacon_settings import MAX_STEPS

        SCENARIO = dataclasses.replace(beacon_base.TINY, name="BeaconVariant", slug="beacon-variant", max_steps=MAX_STEPS)
        """,
    )
    return beacon, variant


def test_scenario_file_imports_the_files_beside_it(tmp_path):
    _, variant = _beacon_and_variant(tmp_path)
    path = list(sys.path)
    scenario = get_scenario(str(variant))
    assert (scenario.name, scenario.slug, scenario.max_steps) == ("BeaconVariant", "beacon-variant", 9)
    assert sys.path == path  # its folder was on sys.path only while the file ran
    assert sys.modules["beacon_settings"].MAX_STEPS == 9  # siblings stay imported under their own names
    assert get_scenario(str(variant)) is scenario
    env = gym.make(scenario.env_id)
    env.reset(seed=0)
    env.step(env.action_space.sample())
    env.close()


def test_scenario_file_importing_a_missing_sibling_is_a_scenario_file_error(tmp_path):
    path, before = _write(tmp_path, "lonely.py", "import no_such_sibling_here\n"), list(sys.path)
    with pytest.raises(ScenarioFileError, match=r"lonely\.py failed: ModuleNotFoundError: .*no_such_sibling_here"):
        get_scenario(str(path))
    assert sys.path == before


def test_a_file_loading_another_by_path_gets_the_same_scenario(tmp_path):
    base, _ = _beacon_and_variant(tmp_path)
    _write(
        tmp_path,
        "by_path.py",
        f"""
        import dataclasses
        from proxies import get_scenario

        BASE = get_scenario({str(base)!r})
        SCENARIO = dataclasses.replace(BASE, name="ByPath", slug="by-path")
        """,
    )
    first = get_scenario(str(base))
    assert get_scenario(str(tmp_path / "by_path.py")).slug == "by-path"
    assert get_scenario(str(base)) is first and registry._REGISTRY["beacon"] is first


# -- installed packages: entry points --------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeEntryPoint:
    """An entry point of an installed distribution, whose module fails to import."""

    name: str
    value: str
    dist: SimpleNamespace
    group: str = registry.ENTRY_POINT_GROUP

    def load(self):
        raise ImportError(f"cannot import name 'Beacon' from {self.value!r}")


@pytest.fixture
def install(monkeypatch):
    """Add entry points to those the installed packages declare: ``install(ep, ...)``."""
    real = importlib.metadata.entry_points

    def add(*extra):
        monkeypatch.setattr(importlib.metadata, "entry_points", lambda **kw: [*real(**kw), *extra])

    return add


def _entry_point(name: str, value: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=value, group=registry.ENTRY_POINT_GROUP)


def _package(tmp_path: Path, monkeypatch, module: str, text: str) -> None:
    """An importable module ``module``, as an installed package would provide."""
    _write(tmp_path, f"{module}.py", text)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_builtins_are_declared_as_entry_points():
    declared = {ep.name: ep.value for ep in importlib.metadata.entry_points(group=registry.ENTRY_POINT_GROUP)}
    assert declared["cleaning-robot"] == "scenarios.cleaning_robot"
    assert get_scenario("cleaning-robot") is sys.modules["scenarios.cleaning_robot"].SCENARIO


@pytest.mark.parametrize(
    ("declared", "check"),
    [
        ("real(**kw)", "assert proxies.get_scenario('cleaning-robot').slug == 'cleaning-robot'"),
        (  # without its entry point, the built-in is not found
            "[]",
            "assert 'cleaning-robot' not in proxies.list_scenarios()\n"
            "try:\n    proxies.get_scenario('cleaning-robot')\nexcept proxies.ScenarioNotFoundError:\n    pass\n"
            "else:\n    raise AssertionError('found without its entry point')\n"
            "assert 'scenarios' not in sys.modules, 'proxies imported scenarios by name'",
        ),
    ],
    ids=["declared", "undeclared"],
)
def test_builtins_are_found_only_through_entry_points(tmp_path, declared, check):
    script = (
        "import importlib.metadata as md, sys, proxies\n"
        "assert 'scenarios' not in sys.modules, 'importing proxies imported scenarios'\n"
        f"real = md.entry_points; md.entry_points = lambda **kw: {declared}\n"
        f"{check}\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_registered_names_are_found_without_reading_entry_points(monkeypatch):
    def unread(**kw):
        raise AssertionError("entry points were read")

    monkeypatch.setattr(importlib.metadata, "entry_points", unread)
    assert get_scenario("cleaning-robot").slug == "cleaning-robot"


def test_installed_package_scenario_is_found_by_its_entry_point_name(tmp_path, monkeypatch, install):
    _package(tmp_path, monkeypatch, "thirdparty_beacon", TINY_SCENARIO.format(name="ThirdBeacon", slug="third-beacon"))
    install(_entry_point("third-beacon", "thirdparty_beacon"))
    assert "thirdparty_beacon" not in sys.modules  # declared, not yet imported
    scenario = get_scenario("third-beacon")
    assert scenario.slug == "third-beacon" and scenario.env_id in gym.registry
    assert proxies.list_scenarios()["third-beacon"] is scenario


def test_entry_point_that_fails_to_import_names_the_package(install):
    install(FakeEntryPoint("beacon", "beacon_scenarios.beacon", SimpleNamespace(name="beacon-scenarios")))
    with pytest.raises(EntryPointError) as caught:
        get_scenario("beacon")
    message = str(caught.value)
    assert "'beacon' = 'beacon_scenarios.beacon'" in message and "failed to import: ImportError: cannot import" in message
    assert "Fix the package 'beacon-scenarios' or uninstall it (pip uninstall beacon-scenarios)" in message
    assert isinstance(caught.value, ProxiesError)


def test_entry_point_of_an_unknown_distribution_names_its_top_package(install):
    install(_entry_point("ghost", "ghost_scenarios_pkg.ghost"))  # a real load: no such module
    with pytest.raises(
        EntryPointError, match=r"of the package that provides 'ghost_scenarios_pkg' failed to import: ModuleNotFoundError"
    ):
        get_scenario("ghost")


def test_broken_entry_point_does_not_hide_the_others(install):
    install(FakeEntryPoint("beacon", "beacon_scenarios.beacon", SimpleNamespace(name="beacon-scenarios")))
    assert get_scenario("cleaning-robot").slug == "cleaning-robot"
    with pytest.raises(ScenarioNotFoundError, match=r"did you mean 'beacon'\?"):  # declared names are suggested, unloaded
        get_scenario("beakon")
    with pytest.warns(RuntimeWarning, match=r"Skipping a scenario: .*'beacon-scenarios'.*uninstall"):
        listed = proxies.list_scenarios()
    assert "cleaning-robot" in listed and "beacon" not in listed


def test_entry_point_module_without_scenario_is_an_entry_point_error(tmp_path, monkeypatch, install):
    _package(tmp_path, monkeypatch, "thirdparty_empty", "X = 1\n")
    install(_entry_point("empty", "thirdparty_empty"))
    with pytest.raises(EntryPointError, match=r"'empty' = 'thirdparty_empty'.* defines 0 Scenario objects; .*SCENARIO"):
        get_scenario("empty")


def test_entry_point_named_otherwise_than_its_slug_is_an_entry_point_error(tmp_path, monkeypatch, install):
    _package(tmp_path, monkeypatch, "thirdparty_misnamed", TINY_SCENARIO.format(name="Misnamed", slug="misnamed"))
    install(_entry_point("mis-named", "thirdparty_misnamed"))
    with pytest.raises(EntryPointError, match=r"loads the scenario 'misnamed'; name the entry point after the slug"):
        get_scenario("mis-named")


def test_entry_point_naming_an_object_is_an_entry_point_error(install):
    install(_entry_point("joiner", "os.path:join"))
    with pytest.raises(EntryPointError, match=r"names a function, not a module; point it at the module"):
        get_scenario("joiner")



# -- a scenario file's own mistakes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "match"),
    [
        ("import sys\nsys.exit(0)\n", r"exits.py called sys.exit\(0\) \(SystemExit\): a scenario file must not exit"),
        ("raise SystemExit('bye')\n", r"called sys.exit\('bye'\)"),
        ("raise KeyboardInterrupt\n", r"raised KeyboardInterrupt without any Ctrl-C: a scenario file must not raise it"),
        ("x = 1\nx = 1 / 0\n", r"failed: ZeroDivisionError: division by zero \(line 2 of the file\)"),
    ],
    ids=["sys.exit", "SystemExit", "KeyboardInterrupt", "line"],
)
def test_a_file_that_exits_or_raises_at_import_is_a_scenario_file_error(tmp_path, code, match):
    path = _write(tmp_path, "exits.py", code)
    with pytest.raises(ScenarioFileError, match=match):
        get_scenario(str(path))
    assert not [name for name in sys.modules if name.startswith(USER_PREFIX) and "exits" in name]


@pytest.mark.parametrize(
    ("name", "slug", "match"),
    [
        ("My Scenario", "my-scenario", r"name 'My Scenario' cannot be a gymnasium id .* name it e.g. 'MyScenario'"),
        ("my_scenario", "my-scenario", r"name 'my_scenario' cannot be a gymnasium id .* name it e.g. 'MyScenario'"),
        ("9Lives", "nine-lives", r"starting with a letter; name it e.g. 'Lives'"),
        ("Tiny", "Tiny_Clean", r"slug 'Tiny_Clean' cannot be a command-line name and a folder name: .*use 'tiny-clean'"),
        ("Tiny", "../../x", r"slug '../../x' .*lowercase letters, digits and dashes .*use 'x'"),
        ("Tiny", "tiny clean", r"use 'tiny-clean'"),
        ("Tiny", "", r"slug ''"),
    ],
)
def test_a_scenario_name_or_slug_that_cannot_be_an_id_is_refused_with_the_fix(name, slug, match):
    from proxies import ConfigError

    robot = get_scenario("cleaning-robot")
    with pytest.raises(ConfigError, match=match):
        Scenario(name=name, slug=slug, description="", graph=robot.graph, build_scene=robot.build_scene,
                 observe=robot.observe, agent=robot.agent, max_steps=10)


@pytest.mark.parametrize("field", ["build_scene", "observe", "terminate"])
def test_a_scenario_function_that_is_not_callable_is_refused(field):
    import dataclasses

    from proxies import ConfigError

    with pytest.raises(ConfigError, match=rf"{field} must be a function"):
        dataclasses.replace(get_scenario("cleaning-robot"), **{field: "not a function"})


def test_an_error_of_a_kit_helper_inside_build_scene_names_the_recipe():
    import dataclasses

    from sandbox import SpecError
    from sandbox.layout import scatter

    def recipe(factors, rng):
        scatter(rng, -1, (0, 0, 1, 1), gap=0.1)

    scenario = dataclasses.replace(get_scenario("cleaning-robot"), name="Helper", slug="helper", build_scene=recipe)
    with pytest.raises(SpecError, match=r"Scenario 'Helper': build_scene \(.*test_registry.py:\d+\) for the factors \{.*\}: "
                                        r"scatter's n=-1 is negative"):
        scenario.sample_spec(np.random.default_rng(0))
