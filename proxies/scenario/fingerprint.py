"""What made a run: a fingerprint of the scenario's definition and of the package.

``config.json`` and ``suite.json`` record :func:`scenario_fingerprint`; :func:`changes` compares a
recorded fingerprint with today's scenario and names what differs, so ``attribute`` and ``report``
can warn (or, with ``--strict``, refuse) when a run's scenario has been edited since it was made,
and a suite is refused for a scenario it was not built for.

The parts, each a short SHA-256 of a canonical JSON form:

- ``source``: the text of the module that defines the scenario (its file);
- ``graph``: the reward graph (:meth:`~proxies.scenario.graph.RewardGraph.to_dict`) and every factor's domains;
- ``agent``: the agent body's spec;
- ``settings``: the name, slug, ``max_steps`` and the physics and control rates;

plus ``version``, the installed ``proxy-sandbox`` version.

Examples
--------
>>> from proxies import get_scenario
>>> robot = get_scenario("cleaning-robot")
>>> changes(scenario_fingerprint(robot), robot)
[]
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import sys
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from proxies.scenario.scenario import Scenario

__all__ = ["PARTS", "scenario_fingerprint", "package_version", "changes", "describe_changes"]

PARTS = ("source", "graph", "agent", "settings")
"""The hashed parts of a scenario's definition, in the order changes are named."""


def package_version() -> str:
    """The installed ``proxy-sandbox`` version (``"unknown"`` when it is not installed)."""
    try:
        return metadata.version("proxy-sandbox")
    except metadata.PackageNotFoundError:
        return "unknown"


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(obj: Any) -> Any:
    """A JSON-able form of a spec object: its ``to_dict()``, its dataclass fields, else its repr."""
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        try:
            return to_dict()
        except Exception:  # a half-migrated kit object: fall back on its fields
            pass
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"type": type(obj).__name__, **{f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if isinstance(obj, (list, tuple)):
        return [_plain(x) for x in obj]
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return repr(obj)


def _module_source(scenario: Scenario) -> tuple[str, str | None]:
    """The source text of the module defining the scenario, and its file (``""``, None if unavailable)."""
    module = sys.modules.get(getattr(scenario.build_scene, "__module__", "") or "")
    if module is None:
        return "", None
    try:
        return inspect.getsource(module), getattr(module, "__file__", None)
    except (OSError, TypeError):
        return "", getattr(module, "__file__", None)


def scenario_fingerprint(scenario: Scenario) -> dict[str, Any]:
    """``{"scenario", "version", "hash", "parts": {part: digest}, "file"}`` of ``scenario`` today.

    ``hash`` covers the parts and the version; two fingerprints are equal when their hashes are.
    """
    source, file = _module_source(scenario)
    graph = scenario.graph
    parts = {
        "source": _digest(source),
        "graph": _digest({"graph": graph.to_dict(), "factors": [_plain(f) for f in graph.factors]}),
        "agent": _digest(_plain(getattr(scenario, "agent", None))),
        "settings": _digest({
            "name": scenario.name, "slug": scenario.slug, "max_steps": scenario.max_steps,
            "physics_hz": scenario.physics_hz, "control_hz": scenario.control_hz,
        }),
    }
    version = package_version()
    return {
        "scenario": scenario.slug,
        "version": version,
        "hash": _digest({"parts": parts, "version": version}),
        "parts": parts,
        "file": file,
    }


def changes(recorded: Mapping[str, Any] | None, scenario: Scenario | Mapping[str, Any]) -> list[str]:
    """What differs between a recorded fingerprint and ``scenario`` (or another fingerprint).

    Returns names such as ``"source"``, ``"graph"`` or ``"version 0.1.0 -> 0.2.0"``; empty when
    they agree. A missing record gives ``["no fingerprint recorded"]``.
    """
    now = scenario_fingerprint(scenario) if isinstance(scenario, Scenario) else dict(scenario)
    if not recorded:
        return ["no fingerprint recorded"]
    found = []
    if recorded.get("scenario") != now.get("scenario"):
        found.append(f"scenario {recorded.get('scenario')!r} -> {now.get('scenario')!r}")
    old_parts, new_parts = recorded.get("parts") or {}, now.get("parts") or {}
    found += [part for part in PARTS if old_parts.get(part) != new_parts.get(part)]
    if recorded.get("version") != now.get("version"):
        found.append(f"version {recorded.get('version')} -> {now.get('version')}")
    if not found and recorded.get("hash") != now.get("hash"):
        found.append("hash")
    return found


def describe_changes(found: list[str]) -> str:
    """``"source, graph and version 0.1.0 -> 0.2.0"``: the changes, for a message.

    >>> describe_changes(["source", "graph"])
    'source and graph'
    """
    return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
