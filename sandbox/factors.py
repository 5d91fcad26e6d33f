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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sandbox.errors import SpecError

__all__ = ["Factor", "Domain"]

Domain = Literal["train", "intervene"]


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "train", tuple(self.train))
        object.__setattr__(self, "intervene", tuple(self.intervene))
        if not self.name.isidentifier():
            raise SpecError(f"Factor name {self.name!r} must be a Python identifier (letters, digits, _).")
        if self.kind == "choice":
            if not self.train or not set(self.train) <= set(self.intervene):
                raise SpecError(
                    f"Factor {self.name!r}: training values {self.train} must be a non-empty subset of "
                    f"the intervention values {self.intervene}; widen the intervention domain."
                )
            return
        for label, bounds in (("train", self.train), ("intervene", self.intervene)):
            if len(bounds) != 2 or not bounds[0] <= bounds[1]:
                raise SpecError(f"Factor {self.name!r}: {label} domain must be (low, high) with low <= high.")
        if not (self.intervene[0] <= self.train[0] and self.train[1] <= self.intervene[1]):
            raise SpecError(
                f"Factor {self.name!r}: training domain {self.train} is not inside the intervention "
                f"domain {self.intervene}; widen the intervention domain to include it."
            )

    @classmethod
    def integer(cls, name: str, *, train: tuple[int, int], intervene: tuple[int, int], doc: str = "") -> Factor:
        """A whole-number factor drawn uniformly from ``low..high`` inclusive."""
        return cls(name, "integer", train, intervene, doc)

    @classmethod
    def real(cls, name: str, *, train: tuple[float, float], intervene: tuple[float, float], doc: str = "") -> Factor:
        """A real-valued factor drawn uniformly from ``[low, high]``."""
        return cls(name, "real", train, intervene, doc)

    @classmethod
    def choice(cls, name: str, *, train: Sequence[Any], intervene: Sequence[Any], doc: str = "") -> Factor:
        """A factor drawn uniformly from a set of values (strings, booleans, numbers)."""
        return cls(name, "choice", tuple(train), tuple(intervene), doc)

    def domain(self, which: Domain) -> tuple[Any, ...]:
        """The training or intervention domain."""
        if which not in ("train", "intervene"):
            raise SpecError(f"Unknown domain {which!r}; use 'train' or 'intervene'.")
        return self.train if which == "train" else self.intervene

    def sample(self, rng: np.random.Generator, which: Domain = "train") -> Any:
        """Draw a value from one domain with ``rng``."""
        bounds = self.domain(which)
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
