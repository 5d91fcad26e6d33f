"""Factors: the named exogenous parameters of a scene generator.

Each factor has a *training domain* (the values seen in training) and a wider
*intervention domain* (the values counterfactual test scenes may use; CausalWorld's
"space A" and "space B"). The training domain must lie inside the intervention domain.

Examples
--------
>>> import numpy as np
>>> balls = Factor.integer("balls", train=(4, 8), intervene=(1, 12), doc="loose balls on the floor")
>>> balls.sample(np.random.default_rng(0)) in range(4, 9)
True
>>> balls.contains(12, "intervene"), balls.contains(12, "train")
(True, False)

A *cue-only* factor (``cue=True``) changes only what the agent sees, never the physics or any
objective: a lamp that is always green in training. No measurement may list it as a cause (the
reward graph refuses that); the framework judges it with the cue-invariance probe instead of the
counterfactual suite (:mod:`proxies.evaluate.cue`).

>>> lamp = Factor.choice("lamp", train=("green",), intervene=("green", "red"), cue=True)
>>> lamp.cue, lamp.to_dict()["cue"]
(True, True)

A training mix ``mix`` draws a fraction of training scenes from the intervention domain (the
*randomized* levels). A factor whose randomized levels draw from a narrower part of it says so
with ``randomized``: a cheese in the top-right ``k`` x ``k`` square, ``k`` from 1 to 5 in the
suite, is anywhere in the maze (``k = 5``) in every randomized level, as in Langosco's.

>>> corner = Factor.integer("corner_size", train=(1, 1), intervene=(1, 5), randomized=(5, 5))
>>> corner.sample_randomized(np.random.default_rng(0)), corner.to_dict()["randomized"]
(5, [5, 5])
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sandbox.errors import SpecError

__all__ = ["Factor", "Domain"]

Domain = Literal["train", "intervene"]

KINDS = ("integer", "real", "choice")
"""The kinds of factor."""


def _finite(value: Any) -> bool:
    """Whether ``value`` is a finite real number (not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)


def _json_scalar(value: Any) -> bool:
    """Whether ``value`` is a JSON scalar: a string, a bool, None, an int or a finite float."""
    return value is None or isinstance(value, (str, bool)) or (type(value) in (int, float) and math.isfinite(value))


@dataclass(frozen=True)
class Factor:
    """One parameter of the scene generator.

    Use the constructors :meth:`integer`, :meth:`real` and :meth:`choice`.
    ``train`` and ``intervene`` are ``(low, high)`` bounds (inclusive) for numeric
    factors and tuples of allowed values for choice factors.
    """

    name: str
    kind: Literal["integer", "real", "choice"]
    train: tuple[Any, ...]
    intervene: tuple[Any, ...]
    doc: str = ""
    cue: bool = False
    """Cue-only: the factor changes only what the agent sees (appearances, the observation), never the
    physics or an objective; judged by the cue-invariance probe, never by the counterfactual suite."""
    randomized: tuple[Any, ...] | None = None
    """The part of the intervention domain that randomized training scenes (a training ``mix``) draw from,
    in the form of ``intervene``; None (the default): the whole intervention domain."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise SpecError(f"Factor name {self.name!r} must be a Python identifier (letters, digits, _).")
        if not isinstance(self.cue, bool):
            raise SpecError(
                f"Factor {self.name!r}: cue={self.cue!r} must be True (the factor changes only what the agent sees) "
                "or False (the default)."
            )
        if self.kind not in KINDS:
            close = difflib.get_close_matches(str(self.kind), KINDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SpecError(
                f"Factor {self.name!r} has the kind {self.kind!r}; {hint}a factor is one of {list(KINDS)} "
                "(declare it with Factor.integer, Factor.real or Factor.choice)."
            )
        for label in ("train", "intervene", "randomized"):
            bounds = getattr(self, label)
            if bounds is None and label == "randomized":
                continue
            if isinstance(bounds, (str, bytes, dict)) or not isinstance(bounds, Iterable):
                raise SpecError(
                    f"Factor {self.name!r}: its {label} domain {bounds!r} is not a list of values; give "
                    + ("(low, high)." if self.kind != "choice" else "a tuple of values, e.g. ('east', 'west').")
                )
            object.__setattr__(self, label, tuple(bounds))
        if self.kind == "choice":
            for label in ("train", "intervene"):
                odd = [v for v in getattr(self, label) if not _json_scalar(v)]
                if odd:
                    raise SpecError(
                        f"Factor {self.name!r}: the {label} value {odd[0]!r} is not a JSON scalar; choice values are "
                        "strings, finite numbers, booleans or None (scenes and suites are saved as JSON)."
                    )
            if not self.train or not set(self.train) <= set(self.intervene):
                raise SpecError(
                    f"Factor {self.name!r}: training values {self.train} must be a non-empty subset of "
                    f"the intervention values {self.intervene}; widen the intervention domain."
                )
            if self.randomized is not None and (not self.randomized or not set(self.randomized) <= set(self.intervene)):
                raise SpecError(
                    f"Factor {self.name!r}: randomized values {self.randomized} must be a non-empty subset of "
                    f"the intervention values {self.intervene}; pick them from it (or leave randomized out)."
                )
            return
        for label in ("train", "intervene", "randomized"):
            bounds = getattr(self, label)
            if bounds is None:
                continue
            if len(bounds) != 2 or not all(_finite(b) for b in bounds):
                raise SpecError(f"Factor {self.name!r}: {label} domain must be (low, high), two finite numbers; got {bounds!r}.")
            if self.kind == "integer" and not all(float(b).is_integer() for b in bounds):
                raise SpecError(
                    f"Factor {self.name!r} is an integer factor, but its {label} domain {bounds!r} has bounds that are "
                    f"not whole numbers; give whole bounds, e.g. ({math.ceil(bounds[0])}, {math.floor(bounds[1])}), "
                    "or declare it with Factor.real."
                )
            if not bounds[0] <= bounds[1]:
                raise SpecError(f"Factor {self.name!r}: {label} domain must be (low, high) with low <= high.")
        if self.kind == "integer":
            for label in ("train", "intervene", "randomized"):
                if getattr(self, label) is not None:
                    object.__setattr__(self, label, tuple(int(b) for b in getattr(self, label)))
        if not (self.intervene[0] <= self.train[0] and self.train[1] <= self.intervene[1]):
            raise SpecError(
                f"Factor {self.name!r}: training domain {self.train} is not inside the intervention "
                f"domain {self.intervene}; widen the intervention domain to include it."
            )
        if self.randomized is not None and not (self.intervene[0] <= self.randomized[0]
                                                and self.randomized[1] <= self.intervene[1]):
            raise SpecError(
                f"Factor {self.name!r}: randomized domain {self.randomized} is not inside the intervention "
                f"domain {self.intervene}; pick it from the intervention domain (or leave randomized out)."
            )

    @classmethod
    def integer(
        cls, name: str, *, train: tuple[int, int], intervene: tuple[int, int], doc: str = "", cue: bool = False,
        randomized: tuple[int, int] | None = None,
    ) -> Factor:
        """A whole-number factor drawn uniformly from ``low..high`` inclusive."""
        return cls(name, "integer", train, intervene, doc, cue, randomized)

    @classmethod
    def real(
        cls, name: str, *, train: tuple[float, float], intervene: tuple[float, float], doc: str = "", cue: bool = False,
        randomized: tuple[float, float] | None = None,
    ) -> Factor:
        """A real-valued factor drawn uniformly from ``[low, high]``."""
        return cls(name, "real", train, intervene, doc, cue, randomized)

    @classmethod
    def choice(
        cls, name: str, *, train: Sequence[Any], intervene: Sequence[Any], doc: str = "", cue: bool = False,
        randomized: Sequence[Any] | None = None,
    ) -> Factor:
        """A factor drawn uniformly from a set of values (strings, booleans, numbers); ``cue=True`` for one that only
        the agent's observation shows (a lamp's colour)."""
        # __post_init__ makes the domains tuples (and refuses a lone string)
        return cls(name, "choice", train, intervene, doc, cue, randomized)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``cue`` and ``randomized`` only when set, so the fingerprints of other scenarios stay as
        they were)."""
        data = {"type": "Factor", "name": self.name, "kind": self.kind, "train": list(self.train),
                "intervene": list(self.intervene), "doc": self.doc}
        if self.cue:
            data["cue"] = True
        if self.randomized is not None:
            data["randomized"] = list(self.randomized)
        return data

    def domain(self, which: Domain) -> tuple[Any, ...]:
        """The training or intervention domain."""
        if which not in ("train", "intervene"):
            raise SpecError(f"Unknown domain {which!r}; use 'train' or 'intervene'.")
        return self.train if which == "train" else self.intervene

    def sample(self, rng: np.random.Generator, which: Domain = "train") -> Any:
        """Draw a value from one domain with ``rng``."""
        return self._draw(self.domain(which), rng)

    def sample_randomized(self, rng: np.random.Generator) -> Any:
        """Draw a value for a randomized training scene (a training ``mix``): from ``randomized``, else from
        the intervention domain (then the same draw as ``sample(rng, "intervene")``)."""
        return self._draw(self.intervene if self.randomized is None else self.randomized, rng)

    def _draw(self, bounds: tuple[Any, ...], rng: np.random.Generator) -> Any:
        if self.kind == "choice":
            return bounds[int(rng.integers(len(bounds)))]
        if self.kind == "integer":
            return int(rng.integers(bounds[0], bounds[1] + 1))
        return float(rng.uniform(bounds[0], bounds[1]))

    def contains(self, value: Any, which: Domain = "intervene") -> bool:
        """Whether ``value`` lies in one domain."""
        bounds = self.domain(which)
        if self.kind == "choice":
            return value in bounds
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.kind == "integer" and int(value) != value:
            return False
        return bool(bounds[0] <= value <= bounds[1])

    def check(self, value: Any) -> None:
        """Raise :class:`SpecError` unless ``value`` is in the intervention domain."""
        if not self.contains(value, "intervene"):
            raise SpecError(
                f"Value {value!r} for factor {self.name!r} is outside its intervention domain "
                f"{self.describe('intervene')}; pick a value inside it or widen the domain."
            )

    def describe(self, which: Domain) -> str:
        """Human-readable domain, e.g. ``4..8`` or ``{east, west}``."""
        bounds = self.domain(which)
        if self.kind == "choice":
            return "{" + ", ".join(map(str, bounds)) + "}"
        return f"{bounds[0]}..{bounds[1]}"
