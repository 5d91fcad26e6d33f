"""Validation on planted agents: references, per-episode mixtures and a do-nothing agent.

Runs on the cheap edge-goal fixture scenario (loaded by path); figures are compared with
tolerances, never with the scene numbers (the scenario may be retuned).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from suite_helpers import FIXTURES, isolated_registry
from typer.testing import CliRunner

from proxies.cli import app
from proxies.errors import ConfigError
from proxies.evaluate.agents import _attribute_policy, play_suite
from proxies.evaluate.suite import build_suite
from proxies.run.validate import DEFAULT_WEIGHTS, MixturePolicy, validate
from proxies.scenario.policies import CallablePolicy, RandomPolicy

EDGE_GOAL = FIXTURES / "edge_goal.py"


@pytest.fixture(scope="module")
def edge_goal():
    """The edge-goal scenario and its suite, built once."""
    import proxies

    with isolated_registry():
        scenario = proxies.get_scenario(str(EDGE_GOAL))
        yield scenario, build_suite(scenario, seed=0)


@pytest.fixture(scope="module")
def validation(edge_goal):
    scenario, suite = edge_goal
    return validate(scenario, suite=suite)


def test_planted_references_are_recovered_top1(validation):
    references = [c for c in validation.cases if c.kind == "reference"]
    assert len(references) == 2
    assert all(c.top1_correct for c in references)
    assert validation.top1_accuracy == 1.0


def test_mixture_weights_are_recovered_within_tolerance(validation):
    mixtures = [c for c in validation.cases if c.kind == "mixture"]
    assert len(mixtures) == len(DEFAULT_WEIGHTS)  # one proxy
    assert validation.mixture_mae <= 0.15
    assert validation.ci_coverage >= 0.6


def test_validation_json_has_the_documented_fields(validation):
    data = json.loads(json.dumps(validation.to_dict()))
    assert {"cases", "top1_accuracy", "mixture_mae", "ci_coverage"} <= set(data)
    case = data["cases"][0]
    assert {"agent", "planted", "estimated", "top1_correct"} <= set(case)
    for estimate in case["estimated"].values():
        assert estimate["lo"] <= estimate["mean"] <= estimate["hi"]


def test_an_agent_that_does_nothing_names_no_objective(edge_goal):
    scenario, suite = edge_goal
    outcome = _attribute_policy(scenario, suite, lambda: CallablePolicy(lambda obs: [0.0, 0.0]), in_distribution=False)
    a = outcome.attribution
    assert a.verdict == "capability_failure"
    assert a.learned is None


def test_a_random_agent_gets_its_weight_on_the_random_baseline(edge_goal):
    scenario, suite = edge_goal
    outcome = _attribute_policy(scenario, suite, RandomPolicy, in_distribution=False, stream=77)
    a = outcome.attribution
    assert a.verdict == "capability_failure" and a.learned is None
    assert sum(w["mean"] for w in a.weights.values()) < 0.5


def test_played_episodes_have_the_documented_shape(edge_goal):
    scenario, suite = edge_goal
    returns = play_suite(scenario, suite, RandomPolicy, episodes=3)
    assert returns.shape == (len(suite.scenes), 3, len(scenario.objectives))
    assert np.all(np.isfinite(returns))


def test_a_mixture_needs_weights_summing_to_one():
    with pytest.raises(ConfigError, match="summing to 1"):
        MixturePolicy([RandomPolicy, RandomPolicy], [0.5, 0.6])


def test_validate_rejects_bad_settings(edge_goal):
    scenario, suite = edge_goal
    with pytest.raises(ConfigError):
        validate(scenario, suite=suite, weights=(0.0, 0.5))


def test_validate_command_prints_json_and_timing(edge_goal, tmp_path):
    scenario, suite = edge_goal
    suite.save(tmp_path / "suite.json")
    with isolated_registry():
        result = CliRunner().invoke(
            app, ["validate", str(EDGE_GOAL), "--json", "--budget", "0", "--suite", str(tmp_path / "suite.json")]
        )
    assert result.exit_code == 0, result.output
    start = result.stdout.index("{")
    data = json.loads(result.stdout[start:])
    assert data["top1_accuracy"] == 1.0
    assert "one attribution took" in result.stderr


@pytest.mark.parametrize("args", [("--budget", "-1"), ("--episodes", "1"), ("--seeds", "0")])
def test_validate_command_rejects_a_bad_budget_seed_or_episode_count(args):
    result = CliRunner().invoke(app, ["validate", "cleaning-robot", *args])
    assert result.exit_code == 2, result.output
    assert "--budget must be >= 0, --seeds >= 1 and --episodes >= 2" in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_validate_trains_an_agent_per_objective_and_seed(edge_goal, tmp_path):
    scenario, suite = edge_goal
    result = validate(scenario, suite=suite, budget=1024, seeds=2, weights=(0.5,), episodes=2, work_dir=tmp_path)
    trained = [c for c in result.cases if c.kind == "trained"]
    assert [c.agent for c in trained] == [f"trained:{o}:seed={s}" for o in scenario.objectives for s in (0, 1)]
    assert all(c.planted[c.agent.split(":")[1]] == 1.0 for c in trained)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"trained-{o}-s{s}" for o in scenario.objectives for s in (0, 1)
    )
    # run again on the same folder: the trained agents are reused, not retrained
    models = sorted(tmp_path.glob("*/model.zip"))
    stamps = [m.stat().st_mtime_ns for m in models]
    again = validate(scenario, suite=suite, budget=1024, seeds=2, weights=(0.5,), episodes=2, work_dir=tmp_path)
    assert [m.stat().st_mtime_ns for m in models] == stamps
    assert [c.estimated for c in again.cases] == [c.estimated for c in result.cases]


def test_validate_out_holding_another_run_is_refused_and_left_untouched(edge_goal, tmp_path):
    scenario, suite = edge_goal
    suite.save(tmp_path / "suite.json")
    other = tmp_path / "out" / f"trained-{scenario.objectives[0]}-s0"
    other.mkdir(parents=True)
    (other / "config.json").write_text(json.dumps({"scenario": "cleaning-robot", "steps": 999}))
    before = (other / "config.json").read_text()
    with isolated_registry():
        result = CliRunner().invoke(
            app,
            ["validate", str(EDGE_GOAL), "--budget", "1024", "--episodes", "2", "--suite", str(tmp_path / "suite.json"),
             "--out", str(tmp_path / "out")],
        )
    assert result.exit_code == 2, result.output
    assert "already holds a different run" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert (other / "config.json").read_text() == before


def test_weak_agents_and_partial_proxy_learners_are_validated(validation):
    kinds = {c.kind for c in validation.cases}
    assert {"weak", "partial"} <= kinds
    data = json.loads(json.dumps(validation.to_dict()))
    for key in ("weak_false_mixed", "partial_false_intended", "partial_coverage"):
        assert 0.0 <= data[key] <= 1.0
    assert {"bootstrap", "leave_one_out", "stable"} <= set(data["stability"])
    assert {"weak", "partial"} <= set(data["by_kind"])


def test_a_weak_proxy_agent_is_never_a_false_mixture(validation):
    weak = [c for c in validation.cases if c.kind == "weak" and c.proxy is not None]
    assert weak
    for case in weak:
        assert case.verdict != "mixed", case.to_dict()
        if case.verdict not in ("capability_failure", "unstable"):
            assert case.learned == case.proxy, case.to_dict()
    assert validation.weak_false_mixed == 0.0


def test_partial_proxy_learners_are_rarely_called_plainly_intended(validation):
    partial = [c for c in validation.cases if c.kind == "partial"]
    assert len(partial) == 6  # one proxy
    # a rate, not a rule: a learner that drew few proxy episodes in the fixture's 8 scenes can miss (at most 1 of 6)
    assert validation.partial_false_intended <= 1 / 6
    for case in partial:  # the verdict carries the proxy's share exactly when its interval clears zero
        if case.verdict == "intended":
            assert (case.proxy in case.shares) == (case.estimated[case.proxy]["lo"] > 0), case.to_dict()


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def reset(self, world, rng) -> None:
        pass

    def act(self, obs, world):
        return self.name


class _World:
    def __init__(self, spec) -> None:
        self.spec = spec


def test_a_partial_learner_follows_the_true_reference_in_training_scenes_only(edge_goal):
    from proxies.run.validate import PartialPolicy

    scenario, suite = edge_goal
    policy = PartialPolicy(scenario, lambda: _Marker("true"), lambda: _Marker("proxy"), 0.5)
    training = _World(scenario.sample_spec(np.random.default_rng(0)))
    counterfactual = _World(suite.scenes[0].spec)
    chosen = {"training": [], "counterfactual": []}
    for seed in range(40):
        for name, world in (("training", training), ("counterfactual", counterfactual)):
            policy.reset(world, np.random.default_rng(seed))
            chosen[name].append(policy.act(None, world))
    assert set(chosen["training"]) == {"true"}
    assert 5 < chosen["counterfactual"].count("proxy") < 35


def test_a_weak_agent_acts_randomly_about_as_often_as_asked(edge_goal):
    from types import SimpleNamespace

    from proxies.run.validate import WeakPolicy

    scenario, _ = edge_goal
    world = SimpleNamespace(agent=SimpleNamespace(spec=SimpleNamespace(action_space=scenario.action_space)))
    still = np.zeros(scenario.action_space.shape, dtype=np.float32)
    policy = WeakPolicy(lambda: CallablePolicy(lambda obs: still, scenario.action_space), 0.5)
    policy.reset(world, np.random.default_rng(0))
    random_steps = sum(not np.array_equal(policy.act(None, world), still) for _ in range(400))
    assert 150 < random_steps < 250
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        WeakPolicy(RandomPolicy, 1.0)


def test_stability_by_size_refuses_an_empty_or_zero_size(edge_goal):
    from proxies.run.validate import stability_by_size

    scenario, _ = edge_goal
    for sizes in ([], [0, 2]):
        with pytest.raises(ConfigError, match="at least 1"):
            stability_by_size(scenario, sizes)


def test_validate_sizes_must_be_numbers():
    result = CliRunner().invoke(app, ["validate", "cleaning-robot", "--sizes", "2,x"])
    assert result.exit_code != 0 and "--sizes takes scenes per proxy" in result.output
