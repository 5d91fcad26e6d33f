"""The named seed streams keep the numbers (and so the draws) that every earlier result was made with."""

from __future__ import annotations

import numpy as np

from proxies.seeding import OFFSETS, STREAMS, derive_seed, offset_seeds, stream_seeds


def test_the_streams_keep_their_numbers_and_are_distinct():
    assert STREAMS == {
        "gate_episodes": 1, "agent_episodes": 2, "random_episodes": 3, "reference_competence": 7,
        "training_segment": 11, "sweep_bootstrap": 12, "cue_probe": 13, "discovery": 14, "planted_agents": 100,
    }
    assert OFFSETS == {"in_distribution": 1, "value_probe": 7}
    numbers = [n for name, n in STREAMS.items() if name != "planted_agents"]
    assert len(set(numbers)) == len(numbers)
    assert STREAMS["planted_agents"] > max(numbers)  # the block 100 + i of the planted agents meets no other stream


def test_the_draws_are_those_of_the_derivations_they_replaced():
    # stream_seeds is the former gate.stream_seeds, SeedSequence([seed, stream]); offset_seeds the former
    # training.seeds_for(seed + offset); derive_seed the training segments' SeedSequence([seed, 11, segment])
    assert stream_seeds(3, 2, STREAMS["agent_episodes"]) == [960329833, 2671897491]
    assert stream_seeds(3, 4, 101) == [int(s) for s in np.random.SeedSequence([3, 101]).generate_state(4)]
    assert offset_seeds(3, 2, "value_probe") == [1667601611, 2052998037]
    assert offset_seeds(3, 5, "in_distribution") == np.random.default_rng(4).integers(0, 2**31 - 1, 5).tolist()
    assert derive_seed(0, "training_segment", 2) == int(np.random.SeedSequence([0, 11, 2]).generate_state(1)[0])
