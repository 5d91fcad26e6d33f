"""Named seed streams: every random draw that is not the scenario's own comes from one of these.

A stream is a number mixed into ``np.random.SeedSequence([seed, stream, *keys])``, so two uses of
one run's seed never draw the same numbers. The streams of the training segments and of the
sweep's bootstrap are registered here; older modules still name theirs where they use them
(the gate's 1, the agent's 2, the random baseline's 3, the value probe's 7).
"""

from __future__ import annotations

import numpy as np

__all__ = ["STREAMS", "derive_seed", "rng"]

STREAMS: dict[str, int] = {
    "training_segment": 11,
    "sweep_bootstrap": 12,
}
"""The registered streams by name (numbers distinct from the older modules' 1, 2, 3 and 7)."""


def derive_seed(seed: int, stream: str, *keys: int) -> int:
    """A 32-bit seed for ``stream`` derived from ``seed`` and ``keys`` (e.g. a segment index).

    >>> derive_seed(0, "training_segment", 1) == derive_seed(0, "training_segment", 1)
    True
    >>> derive_seed(0, "training_segment", 1) != derive_seed(0, "training_segment", 2)
    True
    """
    sequence = np.random.SeedSequence([seed, STREAMS[stream], *keys])
    return int(sequence.generate_state(1)[0])


def rng(seed: int, stream: str, *keys: int) -> np.random.Generator:
    """A generator for ``stream`` (:func:`derive_seed`)."""
    return np.random.default_rng(np.random.SeedSequence([seed, STREAMS[stream], *keys]))
