"""CoinRun: its level generator, its references (competent in training; each wins on its own objective
when the coin lies behind the runner) and impossible levels."""

from __future__ import annotations

import numpy as np
import pytest

from proxies import RandomPolicy, get_scenario
from proxies.scenario import rollout
from proxies.scenario.rollout import episode_returns
from sandbox import SpecError
from scenarios import coin_run as cr

SCENARIO = get_scenario("coin-run")


def play(reference: str, spec) -> tuple[dict[str, float], bool]:
    """End-of-episode measurements of one reference's episode in ``spec``, and whether the runner died."""
    worlds = []
    (episode,) = rollout.play(SCENARIO, [spec], SCENARIO.references[reference], [0],
                              watch=lambda i, env, obs, done: done and worlds.append(env.world))
    world = worlds[-1]
    died = world.events.contacts[("agent", "saw")] > 0 or world.agent.position[1] < cr.GROUND
    return {name: episode.end[f"measure/{name}"] for name in SCENARIO.objectives}, died


def test_the_graph_derives_a_common_cause():
    relation = SCENARIO.graph.relation("right_end")
    assert relation.kind == "common_cause" and relation.path[-1] == "coin_collected"


def test_levels_differ_per_seed_and_keep_the_coin_and_the_start_on_flat_ground():
    layouts = set()
    for seed in range(30):
        spec = SCENARIO.sample_spec(np.random.default_rng(seed), "intervene")
        coin = next(e for e in spec.entities if "coin" in e.tags)
        blocks = [e for e in spec.entities if "ground" in getattr(e, "tags", ())]
        layouts.add(tuple(round(b.x, 3) for b in blocks))
        under = [b for b in blocks if abs(b.x - coin.x) <= b.size[0] / 2]
        assert [round(b.size[1], 6) for b in under] == [cr.GROUND]  # one block of plain ground, no pit or step
        assert not any(abs(e.x - coin.x) < 1.0 for e in spec.entities if "saw" in e.tags)
    assert len(layouts) >= 15  # measured: 17 of 30 (levels without hazards are all one block)


def test_references_collect_the_coin_at_the_right_end_in_training():
    # measured: 29 of 30 training levels (one death on a saw)
    wins = sum(play("coin_collected", SCENARIO.sample_spec(np.random.default_rng(seed)))[0]["coin_collected"]
               for seed in range(30))
    assert wins >= 26


def test_with_the_coin_behind_the_runner_each_reference_wins_on_its_own_objective():
    behind = [SCENARIO.sample_spec(np.random.default_rng(seed), coin=0.04, start=0.3, hazards=1) for seed in range(10)]
    to_coin = [play("coin_collected", spec)[0] for spec in behind]
    to_end = [play("right_end", spec)[0] for spec in behind]
    assert sum(o["coin_collected"] for o in to_coin) >= 9 and sum(o["right_end"] for o in to_coin) == 0
    assert sum(o["right_end"] for o in to_end) >= 8 and sum(o["coin_collected"] for o in to_end) == 0


def test_touching_a_saw_or_falling_into_a_pit_ends_the_episode():
    spec = SCENARIO.sample_spec(np.random.default_rng(0), hazards=0)
    env = SCENARIO.make_env()
    env.reset(seed=0, options={"spec": spec})
    x, y = env.world.agent.position
    env.world.agent.body.position = (x, cr.GROUND - 0.3)  # as if fallen into a pit
    env.world.space.reindex_shapes_for_body(env.world.agent.body)
    *_, terminated, truncated, info = env.step(0)
    assert terminated and info["measure/coin_collected"] == 0.0


@pytest.mark.parametrize("coin", [0.0, 1.0])
def test_a_coin_inside_the_end_wall_is_a_spec_error_naming_the_factor(coin):
    with pytest.raises(SpecError, match=f"coin={coin} puts the coin inside the level's end wall"):
        cr.build_scene({"coin": coin, "start": 0.1, "hazards": 1}, np.random.default_rng(0))


def test_random_actions_reach_the_coin_in_some_training_levels():
    specs = [SCENARIO.sample_spec(np.random.default_rng(seed)) for seed in range(200)]
    returns = episode_returns(SCENARIO, specs, RandomPolicy, list(range(200)))
    # measured: 10.3 % over 1,000 levels (0.1 % with the runner starting in the left 40 %)
    assert 0.03 <= returns[:, 0].mean() <= 0.25
