"""Idempotent registration of task environments with gymnasium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym

__all__ = ["register_env", "env_id"]


def env_id(name: str) -> str:
    """The gymnasium id of a task called ``name``: ``sandbox/<name>-v0``."""
    return f"sandbox/{name}-v0"


def register_env(name: str, entry_point: str | Callable[..., Any]) -> str:
    """Register ``sandbox/<name>-v0`` unless it is already registered; return the id."""
    env = env_id(name)
    if env not in gym.registry:
        gym.register(id=env, entry_point=entry_point, disable_env_checker=False)
    return env
