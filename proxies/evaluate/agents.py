"""Playing agents on the counterfactual suite and attributing them: the engine of :func:`proxies.api.attribute`.

The agent plays ``episodes`` episodes in every scene of the counterfactual suite. A trained
model is deterministic and so is the world built from a scene's spec, so, as the gate does for
the references (:mod:`proxies.evaluate.gate`), each episode is *jostled*: its first ``jostle_steps``
actions get Gaussian noise, from that episode's own seed. The agent's seeds come from a stream
of their own (``SeedSequence([scene seed, stream])``), distinct from the references', so a
reference re-played as an "agent" is not trivially exact. The random baseline plays its own
``episodes`` per scene. :func:`proxies.evaluate.attribution.attribute` then bootstraps over scenes and
episodes.

Loading a model zip unpickles code stored in it: attribute only files you trust.
"""

from __future__ import annotations

import dataclasses
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import stable_baselines3

from proxies.errors import PolicyError, RunDirError
from proxies.evaluate.attribution import Attribution, attribute
from proxies.evaluate.cue import cue_probe
from proxies.evaluate.references import Jostled, reference_factories
from proxies.evaluate.suite import Suite, build_suite, check_usable
from proxies.scenario.policies import CallablePolicy, ModelPolicy, Policy, RandomPolicy
from proxies.scenario.registry import get_scenario
from proxies.scenario.rollout import episode_returns, play
from proxies.scenario.scenario import Scenario
from proxies.seeding import STREAMS, offset_seeds, stream_seeds
from sandbox.actions import describe_space

__all__ = [
    "ALGORITHMS",
    "SUITE_EPISODES",
    "episodes_per_scene",
    "AgentOutcome",
    "load_model_zip",
    "play_suite",
    "reference_episodes",
    "with_cue_probe",
]

SUITE_EPISODES = 8
"""Least episodes per scene for the agent and for the random baseline."""
SUITE_TOTAL_EPISODES = 48
"""Least episodes over the whole suite: a small suite gets more episodes per scene."""
IN_DISTRIBUTION_EPISODES = 16
"""Training-domain episodes for the in-distribution comparison."""


def episodes_per_scene(suite: Suite, episodes: int | None = None) -> int:
    """``episodes`` if given, else :data:`SUITE_EPISODES`, raised so the suite gets :data:`SUITE_TOTAL_EPISODES`."""
    if episodes is not None:
        return episodes
    return max(SUITE_EPISODES, -(-SUITE_TOTAL_EPISODES // max(1, len(suite.scenes))))
ALGORITHMS = ("PPO", "A2C", "SAC", "TD3", "DDPG", "DQN")
"""stable-baselines3 algorithms tried, in order, when a zip's algorithm is not given."""


def play_suite(
    scenario: Scenario,
    suite: Suite,
    make_policy: Callable[[], Policy],
    *,
    episodes: int = SUITE_EPISODES,
    stream: int = STREAMS["agent_episodes"],
    jostle: bool = True,
) -> np.ndarray:
    """Returns ``(n_scenes, episodes, n_objectives)`` of ``episodes`` jostled episodes per scene.

    The jostle (steps and noise) is the suite gate's, so the agent's episodes are played
    like the references' were.
    """
    if episodes < 1:
        raise PolicyError(f"Play at least 1 episode per scene, got {episodes}.")
    steps = int(suite.gate["jostle_steps"]) if jostle else 0
    sigma = float(suite.gate["jostle"]) if jostle else 0.0
    specs, seeds = [], []
    for scene in suite.scenes:
        specs += [scene.spec] * episodes
        seeds += stream_seeds(scene.seed, episodes, stream)
    make = make_policy if steps == 0 or sigma == 0 else (lambda: Jostled(make_policy(), steps, sigma))
    rows = episode_returns(scenario, specs, make, seeds)
    return rows.reshape(len(suite.scenes), episodes, len(scenario.objectives))


def reference_episodes(scenario: Scenario, suite: Suite) -> np.ndarray:
    """The references' recorded returns ``(n_objectives, n_scenes, episodes, n_objectives)`` from the suite.

    Uses each scene's per-episode returns, without the undisturbed first episode when there are at
    least three (agents play jostled episodes only); a suite without them gives its means as one episode.
    """
    objectives = scenario.objectives
    out = []
    for o in objectives:
        rows = []
        for scene in suite.scenes:
            if scene.reference_episodes.get(o):
                rows.append(np.asarray(scene.reference_episodes[o], dtype=np.float64))
            elif scene.reference_returns and o in scene.reference_returns:
                rows.append(np.array([[scene.reference_returns[o][j] for j in objectives]]))
            else:
                raise RunDirError(
                    f"Scene {scene.id!r} of the suite has no returns for the reference of {o!r}; rebuild the suite "
                    "with `proxy-sandbox suite SCENARIO --out DIR`."
                )
        n = min(len(r) for r in rows)
        # episode 0 is the gate's undisturbed one; agents play jostled episodes only, so compare like with like
        first = 1 if n >= 3 else 0
        out.append(np.stack([r[first:n] for r in rows]))
    n = min(r.shape[1] for r in out)
    return np.stack([r[:, :n] for r in out])


def in_distribution_table(scenario: Scenario, agent: Callable[[], Policy], seed: int) -> tuple[dict[str, Any], float]:
    """Mean returns of the agent, the true-reward reference and random on training scenes, and
    the agent's true-reward score on them (0 = random, 1 = reference)."""
    seeds = offset_seeds(seed, IN_DISTRIBUTION_EPISODES, "in_distribution")
    specs = [scenario.sample_spec(np.random.default_rng(s)) for s in seeds]
    rows = {
        "agent": episode_returns(scenario, specs, agent, seeds),
        "reference": episode_returns(scenario, specs, reference_factories(scenario)[scenario.true_reward], seeds),
        "random": episode_returns(scenario, specs, RandomPolicy, seeds),
    }
    table = {name: dict(zip(scenario.objectives, map(float, r.mean(axis=0)))) for name, r in rows.items()}
    true = scenario.true_reward
    span = max(table["reference"][true] - table["random"][true], 1e-9)
    return table, (table["agent"][true] - table["random"][true]) / span


@dataclass(frozen=True)
class AgentOutcome:
    """An attribution with the returns behind it."""

    attribution: Attribution
    agent: np.ndarray
    """``(n_scenes, episodes, n_objectives)`` the agent's returns (for several runs, their mean)."""
    random: np.ndarray
    """``(n_scenes, episodes, n_objectives)`` the random baseline's returns."""
    references: np.ndarray
    """``(n_objectives, n_scenes, episodes, n_objectives)`` the references' recorded returns."""
    seconds: float
    """Wall-clock time of the attribution (rollouts and bootstrap) [s]."""
    in_distribution_score: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """More evidence on the agent, by its key in ``attribution.json``: ``cue_probe``
    (:meth:`~proxies.evaluate.cue.CueProbe.to_dict`, :func:`with_cue_probe`)."""
    suite: Suite | None = None
    """The suite the agent was attributed on (:func:`_attribute_agents` may have built it)."""


def _attribute_policy(
    scenario: Scenario,
    suite: Suite,
    make_policy: Callable[[], Policy] | Sequence[Callable[[], Policy]],
    *,
    episodes: int | None = None,
    stream: int = STREAMS["agent_episodes"],
    random: np.ndarray | None = None,
    in_distribution: bool = True,
    seed: int = 0,
    n_boot: int = 1000,
) -> AgentOutcome:
    """Play a policy on the suite (and on training scenes) and attribute it.

    ``make_policy`` may list several training runs of one agent (seeds): each plays the suite,
    the bootstrap resamples runs too, and the in-distribution figures are the runs' means.
    ``random`` reuses a random baseline already played with :func:`play_suite` (validation
    attributes many agents on one suite); ``in_distribution=False`` skips the training-scene check.
    """
    check_usable(suite, scenario)
    start = time.perf_counter()
    makers = list(make_policy) if isinstance(make_policy, Sequence) else [make_policy]
    episodes = episodes_per_scene(suite, episodes)
    runs = [play_suite(scenario, suite, make, episodes=episodes, stream=stream) for make in makers]
    if random is None:
        random = play_suite(scenario, suite, RandomPolicy, episodes=episodes, stream=STREAMS["random_episodes"],
                            jostle=False)
    refs = reference_episodes(scenario, suite)
    table: dict[str, Any] = {}
    score = None
    if in_distribution:
        tables, scores = zip(*(in_distribution_table(scenario, make, seed) for make in makers))
        table = {row: {o: float(np.mean([t[row][o] for t in tables])) for o in tables[0][row]} for row in tables[0]}
        score = float(np.mean(scores))
    result = attribute(
        scenario.objectives, runs, refs, random, in_distribution_score=score, in_distribution=table,
        in_distribution_competence=_competence_in_training(scenario, suite, table), seed=seed, n_boot=n_boot,
    )
    return AgentOutcome(result, np.mean(runs, axis=0), random, refs, time.perf_counter() - start, score, suite=suite)


def with_cue_probe(
    outcome: AgentOutcome, scenario: Scenario, make_policy: Callable[[], Policy] | Sequence[Callable[[], Policy]],
    seed: int = 0,
) -> AgentOutcome:
    """``outcome`` with the cue-invariance probe of the agent (:func:`~proxies.evaluate.cue.cue_probe`) in its
    ``extra``, for a scenario that declares cue-only factors; ``outcome`` itself for any other."""
    if not scenario.graph.cues:
        return outcome
    probe = cue_probe(scenario, make_policy, seed=seed)
    return dataclasses.replace(outcome, extra={**outcome.extra, "cue_probe": probe.to_dict()})


def _competence_in_training(scenario: Scenario, suite: Suite, table: dict[str, Any]) -> list[float] | None:
    """The agent's normalised score on each objective in training scenes: its return there minus random's, over
    the objective's span as the suite measured it (its reference minus random). ``None`` without the
    in-distribution table, or for a suite that records no competence of its references."""
    if not table or any(o not in suite.competence for o in scenario.objectives):
        return None
    spans = [max(float(suite.competence[o]["span"]), 1e-9) for o in scenario.objectives]
    return [(table["agent"][o] - table["random"][o]) / span for o, span in zip(scenario.objectives, spans)]


def _check_spaces(model: Any, scenario: Scenario, path: Path) -> None:
    """Refuse a model that does not see the scenario's observations or act in its action space."""
    expected = (scenario.observation_size,)
    shape = getattr(model.observation_space, "shape", None)
    if shape != expected:
        raise PolicyError(
            f"The model in {path} expects observations of shape {shape}, but {scenario.slug!r} gives {expected}; "
            "attribute it with the scenario it was trained on (--scenario)."
        )
    space = getattr(model, "action_space", None)
    if space is not None and space != scenario.action_space:
        raise PolicyError(
            f"The model in {path} acts in {describe_space(space)}, but {scenario.slug!r} takes actions in "
            f"{describe_space(scenario.action_space)}; attribute it with the scenario it was trained on (--scenario)."
        )


def load_model_zip(path: Path, scenario: Scenario, algorithm: str | None = None) -> Any:
    """Load a stable-baselines3 model zip and check it acts in ``scenario``.

    Loading unpickles code stored in the zip: load only files you trust. Without ``algorithm``
    every algorithm of :data:`ALGORITHMS` is tried in turn.

    Raises :class:`~proxies.errors.PolicyError` for a missing or corrupt zip, an unknown
    algorithm, or a model for a different observation or action space.
    """
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"No model zip at {path}; give the path of a model saved by stable-baselines3 (model.zip).")
    if not zipfile.is_zipfile(path):
        raise PolicyError(f"{path} is not a zip archive (corrupt or not a model); give a model saved by stable-baselines3.")
    names = [algorithm] if algorithm else list(ALGORITHMS)
    errors = []
    for name in names:
        cls = getattr(stable_baselines3, name, None)
        if cls is None:
            raise PolicyError(f"stable-baselines3 has no algorithm {name!r}; use one of {', '.join(ALGORITHMS)}.")
        try:
            model = cls.load(path, device="cpu")
        except Exception as exc:  # SB3 raises many kinds on a damaged or foreign zip
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        _check_spaces(model, scenario, path)
        return model
    raise PolicyError(
        f"{path} could not be loaded as a stable-baselines3 model ({'; '.join(errors)[:400]}); the zip is corrupt or "
        "not a model: retrain it, or name its algorithm."
    )


def _check_callable(fn: Callable[[np.ndarray], Any], scenario: Scenario, suite: Suite) -> None:
    """Let ``fn`` act for one step in the suite's first scene, so a wrong action fails before any rollout."""
    scene = suite.scenes[0]
    play(scenario, [scene.spec], lambda: CallablePolicy(fn, scenario.action_space), [scene.seed], steps=1)


def _policy_factory(agent: Any, scenario: Scenario, suite: Suite, algorithm: str | None) -> Callable[[], Policy]:
    """A factory of per-episode policies for a model zip path, a loaded SB3 model or a callable."""
    if isinstance(agent, (str, Path)):
        model = load_model_zip(Path(agent), scenario, algorithm)
        return lambda: ModelPolicy(model)
    if hasattr(agent, "predict") and hasattr(agent, "observation_space"):
        _check_spaces(agent, scenario, Path("<model>"))
        return lambda: ModelPolicy(agent)
    if callable(agent):
        _check_callable(agent, scenario, suite)
        return lambda: CallablePolicy(agent, scenario.action_space)
    raise PolicyError(
        f"Cannot attribute a {type(agent).__name__}; give a model zip path, an SB3 model or a callable obs -> action."
    )


def _attribute_agents(
    agent: str | Path | Callable[[np.ndarray], Any] | Any,
    scenario: Scenario | str,
    *,
    suite: Suite | str | Path | None = None,
    algorithm: str | None = None,
    episodes: int | None = None,
    in_distribution: bool = True,
    seed: int = 0,
) -> AgentOutcome:
    """Attribute agents on ``scenario``'s counterfactual suite (the engine of :func:`proxies.api.attribute`).

    ``agent`` is the path of a stable-baselines3 model zip (loading it executes pickled code:
    trust the file), a loaded SB3 model, or a plain callable ``obs -> action``; or a list of
    these, several training runs (seeds) of one agent, attributed together. ``suite`` is a
    :class:`~proxies.evaluate.suite.Suite`, the path of a ``suite.json``, or ``None`` to build one
    (tens of seconds).
    """
    scenario = get_scenario(scenario) if isinstance(scenario, str) else scenario
    if suite is None:
        suite = build_suite(scenario, reference_factories(scenario), seed=seed)
    elif not isinstance(suite, Suite):
        suite = Suite.load(Path(suite))
    if suite.scenario != scenario.slug:
        raise RunDirError(
            f"The suite was built for {suite.scenario!r}, not {scenario.slug!r}; build one for this scenario."
        )
    runs = agent if isinstance(agent, (list, tuple)) else [agent]
    makers = [_policy_factory(a, scenario, suite, algorithm) for a in runs]
    outcome = _attribute_policy(scenario, suite, makers, episodes=episodes, in_distribution=in_distribution, seed=seed)
    return with_cue_probe(outcome, scenario, makers, seed)
