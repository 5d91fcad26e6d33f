"""Shared helpers of the counterfactual-suite tests: load the no-reference fixture scenario
without leaking it into the registries other tests see."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gymnasium as gym

import proxies
import proxies.scenario.registry as registry
from proxies import Scenario

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
LAMPS = FIXTURES / "noref_lamps.py"
"""A tiny corridor scenario with two proxies (common cause, instrumental) and no scripted references."""


@contextmanager
def isolated_registry() -> Iterator[None]:
    """Undo the scenarios, gym ids and modules registered inside the block."""
    proxies.list_scenarios()
    saved, env_ids, modules = dict(registry._REGISTRY), set(gym.registry), set(sys.modules)
    try:
        yield
    finally:
        registry._REGISTRY.clear()
        registry._REGISTRY.update(saved)
        for env_id in set(gym.registry) - env_ids:
            del gym.registry[env_id]
        for name in set(sys.modules) - modules:
            if name.startswith("_proxy_sandbox_user_"):
                del sys.modules[name]


def load_lamps() -> Scenario:
    """The lamps scenario, loaded by path as a user's scenario is."""
    return proxies.get_scenario(str(LAMPS))
