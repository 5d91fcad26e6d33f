"""Finding scenarios: by registered name, through installed packages' entry points, or by file path.

A scenario module defines one module-level ``SCENARIO = Scenario(...)`` (a module without
``SCENARIO`` may instead define exactly one :class:`Scenario` under any name). The loader takes it
and calls :func:`register_scenario` on it, the same way for both kinds of module:

- **installed** — a package declares the module as an entry point in the ``proxy_sandbox.scenarios``
  group, named after the scenario's slug (the built-ins are declared in this project's
  ``pyproject.toml``)::

      [project.entry-points."proxy_sandbox.scenarios"]
      cleaning-robot = "scenarios.cleaning_robot"

- **a file** — ``get_scenario("path/to/my_scenario.py")``. While the file runs, its folder is first
  on ``sys.path``, so it can ``import`` the files beside it; the folder is taken off again
  afterwards, so import siblings at the top of the file, not inside functions called later.
  Siblings stay imported under their own names (``import beacon`` gives ``beacon``). Loading the
  same file again returns the same :class:`Scenario` object and registers nothing twice.

Entry points are read lazily: only when a name is not registered yet, or when listing. A broken
entry point (its module fails to import, or defines no scenario) raises :class:`EntryPointError`
when its own name is asked for; :func:`list_scenarios` warns about it and lists the others, so one
broken third-party package never hides the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from types import ModuleType

from proxies.errors import EntryPointError, ScenarioFileError, ScenarioNotFoundError
from proxies.scenario.scenario import Scenario
from proxies.suggest import did_you_mean
from sandbox.registration import register_env

__all__ = ["ENTRY_POINT_GROUP", "register_scenario", "get_scenario", "list_scenarios"]

ENTRY_POINT_GROUP = "proxy_sandbox.scenarios"
"""The entry-point group in which installed packages declare their scenario modules."""

_USER_PREFIX = "_proxy_sandbox_user_"
"""Prefix of the ``sys.modules`` names under which scenario files are imported."""

_REGISTRY: dict[str, Scenario] = {}


def register_scenario(scenario: Scenario) -> Scenario:
    """Make ``scenario`` findable by its slug and by ``gymnasium.make(scenario.env_id)``; idempotent.

    The loaders call it for every scenario they load; a scenario module need not (but may) call it.

    Examples
    --------
    >>> from proxies import get_scenario
    >>> robot = get_scenario("cleaning-robot")
    >>> register_scenario(robot) is robot
    True
    """
    _REGISTRY[scenario.slug] = scenario
    register_env(scenario.name, scenario.make_env)
    return scenario


def _scenario_of(module: ModuleType, where: str, error: type[Exception], fix: str = "") -> Scenario:
    """The module's ``SCENARIO``, or else the one Scenario it defines; else ``error`` naming ``where``."""
    if "SCENARIO" in vars(module):
        if isinstance(module.SCENARIO, Scenario):
            return module.SCENARIO
        raise error(f"{where} sets SCENARIO to a {type(module.SCENARIO).__name__}; set it to a Scenario(...).{fix}")
    found = [v for v in vars(module).values() if isinstance(v, Scenario)]
    if len(found) != 1:
        raise error(
            f"{where} defines {len(found)} Scenario objects; a scenario module must define exactly one, "
            f"as a module-level SCENARIO = Scenario(...).{fix}"
        )
    return found[0]


# -- installed packages: entry points --------------------------------------------------------------------


def _entry_points() -> dict[str, metadata.EntryPoint]:
    """The scenario entry points of the installed packages, by name (the first one wins a name)."""
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def _load_entry_point(ep: metadata.EntryPoint) -> Scenario:
    """Import an entry point's module and register its scenario; :class:`EntryPointError` if that fails."""
    dist = getattr(getattr(ep, "dist", None), "name", None)
    package = f"the package {dist!r}" if dist else f"the package that provides {ep.value.split(':')[0].split('.')[0]!r}"
    where = f"The scenario entry point {ep.name!r} = {ep.value!r} (group {ENTRY_POINT_GROUP!r}) of {package}"
    fix = f" Fix {package} or uninstall it" + (f" (pip uninstall {dist})." if dist else ".")
    try:
        module = ep.load()
    except SystemExit as exc:  # sys.exit() at import must not end the command
        raise EntryPointError(f"{where} called sys.exit({exc.code!r}) at import; a scenario module must not exit.{fix}") from None
    except Exception as exc:  # third-party code can fail in any way; report whose it is
        raise EntryPointError(f"{where} failed to import: {type(exc).__name__}: {exc}.{fix}") from exc
    if not isinstance(module, ModuleType):
        raise EntryPointError(f"{where} names a {type(module).__name__}, not a module; point it at the module.{fix}")
    scenario = _scenario_of(module, where, EntryPointError, fix)
    if scenario.slug != ep.name:
        raise EntryPointError(
            f"{where} loads the scenario {scenario.slug!r}; name the entry point after the slug "
            f"({scenario.slug} = {ep.value!r}).{fix}"
        )
    return register_scenario(scenario)


# -- a user's file ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _signals_noted() -> Iterator[list[int]]:
    """While a file is imported, note a real Ctrl-C (SIGINT) in the list yielded, then raise as Python would, so
    that a ``KeyboardInterrupt`` the file raises itself can be told from one the user asked for."""
    noted: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield noted
        return

    def note(signum: int, frame: object) -> None:
        noted.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


def _user_frame(exc: BaseException, file: Path) -> str:
    """`` (line N of the file)``: the last line of ``file`` in the exception's traceback, or ``""``."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if Path(frame.f_code.co_filename).resolve() == file:
            line = lineno
    return f" (line {line} of the file)" if line is not None else ""


def _load_file(path: Path) -> Scenario:
    """Import a scenario file (once per resolved path), with its folder on ``sys.path``, and register it."""
    if not path.is_file() or path.suffix != ".py":
        raise ScenarioFileError(
            f"{path} is not a Python file; give a registered scenario name or the path to a .py file "
            "that defines a Scenario."
        )
    resolved = path.resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
    module_name = f"{_USER_PREFIX}{path.stem}_{digest}"
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, resolved)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        folder = str(resolved.parent)
        sys.path.insert(0, folder)
        try:
            with _signals_noted() as signalled:
                spec.loader.exec_module(module)
        except SystemExit as exc:  # sys.exit() in the file: never let it end the command (with exit code 0)
            sys.modules.pop(module_name, None)
            raise ScenarioFileError(
                f"Importing {path} called sys.exit({exc.code!r}) (SystemExit): a scenario file must not exit. Remove "
                "the call, or keep script code under `if __name__ == \"__main__\":`."
            ) from None
        except KeyboardInterrupt as exc:
            sys.modules.pop(module_name, None)
            if signalled or getattr(exc, "signum", None) is not None:
                raise  # a real Ctrl-C or SIGTERM: stop the command
            raise ScenarioFileError(
                f"Importing {path} raised KeyboardInterrupt without any Ctrl-C: a scenario file must not raise it. "
                "Fix the file and retry."
            ) from None
        except Exception as exc:  # a user's file can fail in any way; report it as theirs
            sys.modules.pop(module_name, None)
            raise ScenarioFileError(
                f"Importing {path} failed: {type(exc).__name__}: {exc}{_user_frame(exc, resolved)}. Fix the file and retry."
            ) from exc
        finally:
            if folder in sys.path:
                sys.path.remove(folder)
    try:
        scenario = _scenario_of(module, str(path), ScenarioFileError)
    except ScenarioFileError:
        sys.modules.pop(module_name, None)  # so that the fixed file is imported afresh
        raise
    return register_scenario(scenario)


# -- lookup -------------------------------------------------------------------------------------------------


def list_scenarios() -> dict[str, Scenario]:
    """All registered scenarios by slug, sorted, after loading every installed entry point.

    An entry point that fails to load is skipped with a warning that names its package and the fix
    (``get_scenario`` of its name raises that error).

    Examples
    --------
    >>> "cleaning-robot" in list_scenarios()
    True
    """
    for ep in _entry_points().values():
        try:
            _load_entry_point(ep)
        except EntryPointError as exc:
            warnings.warn(f"Skipping a scenario: {exc}", RuntimeWarning, stacklevel=2)
    return dict(sorted(_REGISTRY.items()))


def get_scenario(name_or_path: str) -> Scenario:
    """The scenario registered (or installed) as ``name_or_path``, or the one defined in that ``.py`` file.

    Raises :class:`ScenarioNotFoundError` for an unknown name (with the close ones), :class:`ScenarioFileError`
    for a file that is missing, fails to import or defines no single scenario, and :class:`EntryPointError`
    for an installed scenario whose package is broken.

    Examples
    --------
    >>> get_scenario("cleaning-robot").env_id
    'sandbox/CleaningRobot-v0'
    """
    if name_or_path.endswith(".py") or "/" in name_or_path or Path(name_or_path).exists():
        return _load_file(Path(name_or_path))
    if name_or_path in _REGISTRY:
        return _REGISTRY[name_or_path]
    installed = _entry_points()
    if name_or_path in installed:
        return _load_entry_point(installed[name_or_path])
    raise ScenarioNotFoundError(
        f"No scenario called {name_or_path!r}; {did_you_mean(name_or_path, {*_REGISTRY, *installed})} "
        "(or give the path to your own scenario file)."
    )
