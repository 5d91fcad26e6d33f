"""Named seed streams: every random draw that is not the scenario's own comes from one of these.

Two derivations, both kept so that results stay bit-identical to the runs that made the docs' figures:

- a *stream* (:data:`STREAMS`) is a number mixed into ``np.random.SeedSequence([seed, stream, *keys])``
  (:func:`stream_seeds`, :func:`derive_seed`, :func:`rng`), so two uses of one seed never draw the
  same numbers;
- an *offset* (:data:`OFFSETS`) is added to the seed of a generator, ``default_rng(seed + offset)``
  (:func:`offset_seeds`): the older derivation of the in-distribution scenes and the value probe.

The root seeds themselves (a run's seed, a scene's seed) are used as they are.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STREAMS", "OFFSETS", "derive_seed", "offset_seeds", "rng", "stream_seeds"]

STREAMS: dict[str, int] = {
    "gate_episodes": 1,  # a candidate scene's jostled reference episodes (its own seed plays the first)
    "agent_episodes": 2,  # an agent's episodes in each suite scene
    "random_episodes": 3,  # the random baseline's episodes in each suite scene
    "reference_competence": 7,  # the training scenes in which each reference is tested against random
    "training_segment": 11,  # each training segment between checkpoints (keys: the segment's index)
    "sweep_bootstrap": 12,  # the sweep report's bootstrap (keys: the α's index; 999 for the knee)
    "cue_probe": 13,  # the scene pairs of the cue-invariance probe (their seeds; then the values and the bootstrap)
    "discovery": 14,  # discovery's scan pairs (seeds; values; key 1: bootstrap; keys 2, arm, pair: a later look's value)
    "planted_agents": 100,  # the first of a block: validation's i-th planted agent plays stream 100 + i
}
"""The streams by name; their numbers are distinct, and the planted agents' block lies above all others."""

OFFSETS: dict[str, int] = {
    "in_distribution": 1,  # the training scenes of the in-distribution comparison
    "value_probe": 7,  # the scene pairs of the critic's value probe
}
"""The offsets by name (a different derivation from :data:`STREAMS`: equal numbers draw different seeds)."""


def stream_seeds(seed: int, n: int, stream: int) -> list[int]:
    """``n`` seeds from stream number ``stream`` of ``seed`` (e.g. ``STREAMS["agent_episodes"]``).

    >>> stream_seeds(5, 3, STREAMS["agent_episodes"]) == stream_seeds(5, 3, STREAMS["agent_episodes"])
    True
    >>> stream_seeds(5, 3, STREAMS["agent_episodes"]) != stream_seeds(5, 3, STREAMS["random_episodes"])
    True
    """
    return [int(s) for s in np.random.SeedSequence([int(seed), int(stream)]).generate_state(n)]


def offset_seeds(seed: int, n: int, offset: str) -> list[int]:
    """``n`` distinct episode seeds from ``default_rng(seed + OFFSETS[offset])`` (no global RNG)."""
    return np.random.default_rng(seed + OFFSETS[offset]).integers(0, 2**31 - 1, n).tolist()


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
