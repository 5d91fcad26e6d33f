"""Finding scenarios: by registered name, or by the path of a user's scenario file.

Built-in scenarios live in the ``scenarios`` package and register themselves when it is
imported; :mod:`proxies` imports it lazily, only when a name is looked up.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from proxies.errors import ScenarioFileError, ScenarioNotFoundError
from proxies.scenario import Scenario
from proxies.suggest import did_you_mean
from sandbox.registration import register_env

__all__ = ["register_scenario", "get_scenario", "list_scenarios"]

_REGISTRY: dict[str, Scenario] = {}


def register_scenario(scenario: Scenario) -> Scenario:
    """Make ``scenario`` findable by its slug and by ``gymnasium.make(scenario.env_id)``; idempotent."""
    _REGISTRY[scenario.slug] = scenario
    register_env(scenario.name, scenario.make_env)
    return scenario


def _load_builtins() -> None:
    importlib.import_module("scenarios")


def list_scenarios() -> dict[str, Scenario]:
    """All registered scenarios by slug (built-ins included)."""
    _load_builtins()
    return dict(sorted(_REGISTRY.items()))


def _load_file(path: Path) -> Scenario:
    if not path.is_file() or path.suffix != ".py":
        raise ScenarioFileError(
            f"{path} is not a Python file; give a registered scenario name or the path to a .py file "
            "that defines a Scenario."
        )
    module_name = f"_proxy_sandbox_user_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a user's file can fail in any way; report it as theirs
        del sys.modules[module_name]
        raise ScenarioFileError(f"Importing {path} failed: {type(exc).__name__}: {exc}. Fix the file and retry.") from exc
    found = [v for v in vars(module).values() if isinstance(v, Scenario)]
    if len(found) != 1:
        raise ScenarioFileError(
            f"{path} defines {len(found)} Scenario objects; a scenario file must define exactly one "
            "(e.g. SCENARIO = Scenario(...))."
        )
    return register_scenario(found[0])


def get_scenario(name_or_path: str) -> Scenario:
    """The scenario registered as ``name_or_path``, or the one defined in that ``.py`` file."""
    if name_or_path.endswith(".py") or "/" in name_or_path or Path(name_or_path).exists():
        return _load_file(Path(name_or_path))
    if name_or_path not in _REGISTRY:
        _load_builtins()
    try:
        return _REGISTRY[name_or_path]
    except KeyError:
        raise ScenarioNotFoundError(
            f"No scenario called {name_or_path!r}; {did_you_mean(name_or_path, _REGISTRY)} "
            "(or give the path to your own scenario file)."
        ) from None
