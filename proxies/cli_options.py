"""Command-line options that several commands share, declared once.

``@shared_options("steps", "seed", ...)`` adds the named options to a typer command, which receives
their values together as one ``options`` dict argument: ``train``, ``run`` and ``sweep`` declare
none of them by hand.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from proxies.schemas import MAX_SEED

__all__ = ["count", "shared_options", "OPTIONS"]


def count(text: str) -> int:
    """A whole number given as ``300000``, ``3e5`` or ``300_000`` (exactly: ``1e26`` is 10**26)."""
    if isinstance(text, int):  # the default
        return text
    try:
        value = Decimal(text.replace("_", "").strip())
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not a whole number; give e.g. 300000 or 3e5.") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise typer.BadParameter(f"{text!r} is not a whole number; give e.g. 300000 or 3e5.")
    return int(value)


OPTIONS: dict[str, tuple[Any, Any]] = {
    "steps": (int, typer.Option(300_000, parser=count, help="Environment steps to train for (at most 10**9; 3e5 works too).")),
    "seed": (int, typer.Option(0, help=f"Seed of the run, a whole number from 0 to {MAX_SEED}.")),
    "objective": (typing.Optional[str], typer.Option(None, help="Objective to train on (default: the true reward).")),  # noqa: UP045
    "mix": (float, typer.Option(0.0, help="Fraction in [0, 1] of training scenes drawn from the intervention domain.")),
    "algorithm": (str, typer.Option("PPO", help="stable-baselines3 algorithm name.")),
    "out": (typing.Optional[Path], typer.Option(None, help="Run directory (default: runs/<scenario>-<hash>-s<seed>).")),  # noqa: UP045
}
"""The shared options by parameter name: (type, typer option)."""


def shared_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the options ``names`` (keys of :data:`OPTIONS`) to a command that takes ``options: dict``."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(fn)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in inspect.signature(fn).parameters.values() if p.name != "options"]
        added = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=OPTIONS[n][1], annotation=OPTIONS[n][0])
                 for n in names]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            options = {n: kwargs.pop(n) for n in names}
            return fn(*args, **kwargs, options=options)

        wrapper.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in (*own, *added)}
        return wrapper

    return decorate
