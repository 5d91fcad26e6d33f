"""``proxy-sandbox check``: conformance checks any scenario must pass, and the cheap pre-flight of ``train`` and ``run``.

Each check reports ``(name, passed, detail)``; a check that meets a typed error (a measurement returning a
string, an observation of the wrong shape, a body outside the walls) fails with that error's message, naming
the user's function and its file and line, and the other checks still run:

- **scene layout**: many training and intervention scenes pass :func:`sandbox.geometry.check_geometry`;
- **measurements and observations**: random-action episodes in training and intervention scenes, every
  measurement a finite number and every observation of the observation space's shape, dtype, and finite;
- the gymnasium and SB3 env checkers, and **determinism**;
- **cue-only factors** (only in a scenario that declares one): each cue set to each value outside training
  changes the scene's appearances alone (:func:`proxies.evaluate.cue.cue_pair`), and random actions, the same in
  both scenes of a pair, give every measurement the same value;
- **references**: each objective's reference — the scenario's scripted one, or else the framework's automatic
  one (:func:`proxies.evaluate.references.reference_behaviours`; its check is named ``reference <objective> (automatic)``),
  measured alike — earns more of its own objective than a random policy in training scenes (a scene with
  nothing to do fails here), and no other reference earns more of it in intervention scenes, where the
  objectives come apart.

:func:`preflight` is what ``train`` and ``run`` check before anything is written: the first scene of the
training env, its observation and one step's measurements.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from proxies.errors import CueFactorError, ProxiesError
from proxies.evaluate.cue import cue_pair
from proxies.evaluate.references import reference_behaviours
from proxies.evaluate.verify import intervention_arms
from proxies.scenario.policies import RandomPolicy
from proxies.scenario.rollout import episode_returns, play
from proxies.scenario.scenario import Scenario
from sandbox.actions import random_action
from sandbox.env import check_observation
from sandbox.errors import SandboxError, source_of

__all__ = ["run_checks", "preflight", "LAYOUT_SCENES"]

LAYOUT_SCENES = 32
"""Training scenes, and as many intervention scenes, whose layout ``check`` checks."""
_EPISODE_SCENES = 6
"""Training scenes, and as many intervention scenes, that ``check`` plays a random episode in."""

Result = tuple[str, bool, str]
_AUTOMATIC = {"MacroPlanner": "the best of the driver's macro-actions", "Planner": "random-shooting planner"}
"""How ``check`` names each kind of automatic reference."""


def _attempt(results: list[Result], name: str, check: Callable[[], tuple[bool, str]]) -> None:
    """Run one check; a typed error (the scenario's mistake) fails it with its message."""
    try:
        passed, detail = check()
    except (ProxiesError, SandboxError) as exc:
        passed, detail = False, f"{type(exc).__name__}: {exc}"
    results.append((name, bool(passed), detail))


def _layout(scenario: Scenario, scenes: int) -> tuple[bool, str]:
    for domain in ("train", "intervene"):
        for seed in range(scenes):
            spec = scenario.sample_spec(np.random.default_rng(seed), domain)
            problems = spec.geometry_problems()
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                return False, (
                    f"the {domain} scene of seed {seed} (factors {spec.factor_values}), built by build_scene "
                    f"({source_of(scenario.build_scene)}): {problems[0]}{more} Place every entity inside the floor and "
                    "keep solid bodies apart at the start."
                )
    return True, f"{scenes} training and {scenes} intervention scenes: inside the floor, no solid bodies overlapping"


def _episodes(scenario: Scenario, scenes: int) -> tuple[bool, str]:
    specs = [scenario.sample_spec(np.random.default_rng(s), d) for d in ("train", "intervene") for s in range(scenes)]
    space = scenario.observation_space

    def watch(i: int, env, obs: np.ndarray, done: bool) -> None:
        check_observation(obs, space, scenario.observe)

    episodes = play(scenario, specs, RandomPolicy, list(range(len(specs))), watch=watch)
    steps = sum(e.steps for e in episodes)
    return True, (
        f"{len(specs)} random episodes ({steps} steps): every measurement a finite number, every observation "
        f"{space.shape} {space.dtype} and finite"
    )


def _checker(scenario: Scenario, checker: Callable) -> tuple[bool, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            checker(scenario.make_env())
    except (ProxiesError, SandboxError):
        raise
    except Exception as exc:  # the checkers raise plain AssertionErrors and more
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""


def _trajectory(scenario: Scenario, seed: int, steps: int = 60) -> list[np.ndarray]:
    """The observations of random actions in a scene the env samples from the intervention domain."""
    seen: list[np.ndarray] = []
    play(scenario, [None], RandomPolicy, [seed], env={"mix": 1.0}, steps=steps, watch=lambda i, env, obs, done: seen.append(obs))
    return seen


def _determinism(scenario: Scenario) -> tuple[bool, str]:
    a, b = _trajectory(scenario, 7), _trajectory(scenario, 7)
    same = len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    return same, "same seed + actions -> identical observations"


def _cues(scenario: Scenario, scenes: int) -> tuple[bool, str]:
    """Every cue-only factor changes appearances alone, and no measurement, under the same random actions."""
    names = [m.name for m in scenario.graph.measurements]
    seeds = list(range(scenes))
    arms = [arm for f in scenario.graph.cues for arm in intervention_arms(f)]
    for arm in arms:
        draw = np.random.default_rng(0)
        pairs = [cue_pair(scenario, s, arm.factor, arm.sample(draw)) for s in seeds]
        base = episode_returns(scenario, [p[0] for p in pairs], RandomPolicy, seeds, measurements=names)
        moved = episode_returns(scenario, [p[1] for p in pairs], RandomPolicy, seeds, measurements=names)
        differ = [n for j, n in enumerate(names) if not np.array_equal(base[:, j], moved[:, j])]
        if differ:
            raise CueFactorError(
                f"the cue-only factor {arm.factor!r} at {arm.label} changes the measurement {differ[0]!r} under the same "
                "random actions: a cue must not reach a measurement. Make the measurement ignore it, or declare the "
                "factor without cue=True."
            )
    cues = ", ".join(f.name for f in scenario.graph.cues)
    return True, f"{cues}: {len(arms)} value(s) x {scenes} scene pairs differ in appearances only, measurements equal"


def _references(scenario: Scenario, episodes: int, results: list[Result]) -> None:
    """Each reference — the scenario's scripted one, or else the framework's automatic one, named as such —
    beats random at its own objective in training scenes (competence), and no other reference earns more of it
    in intervention scenes, where the objectives come apart."""
    seeds = list(range(episodes))
    train = [scenario.sample_spec(np.random.default_rng(s)) for s in seeds]
    tests = [scenario.sample_spec(np.random.default_rng(s), "intervene") for s in seeds]
    references = reference_behaviours(scenario)
    random = episode_returns(scenario, train, RandomPolicy, seeds)
    own_train = {o: episode_returns(scenario, train, ref.make, seeds) for o, ref in references.items()}
    apart = {o: episode_returns(scenario, tests, ref.make, seeds).mean(axis=0) for o, ref in references.items()}
    for j, objective in enumerate(scenario.objectives):
        automatic = references[objective].source != "scripted"
        name = f"reference {objective}" + (" (automatic)" if automatic else "")
        own, chance = own_train[objective][:, j], random[:, j]
        beats_random = bool(own.mean() > chance.mean())
        better = {o: r[j] for o, r in apart.items() if o != objective and r[j] > apart[objective][j] + 1e-9}
        detail = f"training scenes: own {own.mean():.3g} vs random {chance.mean():.3g}"
        if len(apart) > 1:
            detail += f"; intervention scenes: own {apart[objective][j]:.3g}, " + ", ".join(
                f"{o} {r[j]:.3g}" for o, r in apart.items() if o != objective
            )
        if not beats_random:
            if np.ptp(own) == 0 and np.ptp(chance) == 0 and own.mean() == chance.mean():
                detail += (
                    f"; neither the reference nor a random policy ever changes {objective!r}: the training scenes give "
                    "it nothing to do. Check the recipe (build_scene) and the factors' training domains"
                )
            elif automatic:
                detail += (
                    "; the automatic reference is no better than random: give the scenario a scripted reference for "
                    f"{objective!r} (Scenario(references={{...}})), or a denser measurement"
                )
            else:
                detail += "; the reference is no better than random: check the scripted policy"
        if better:
            others = ", ".join(sorted(better))
            detail += f"; {others} earn(s) more {objective!r} than its own reference: check the " + (
                "scripted policies, or script this one" if automatic else "scripted policies"
            )
        if automatic:
            detail = f"automatic ({_AUTOMATIC[type(references[objective].make()).__name__]}): {detail}"
        results.append((name, bool(beats_random and not better), detail + f" ({episodes} scenes each)"))


def run_checks(scenario: Scenario, episodes: int = 4) -> list[Result]:
    """``(name, passed, detail)`` for each check (see the module docstring)."""
    results: list[Result] = []
    _attempt(results, "scene layout", lambda: _layout(scenario, LAYOUT_SCENES))
    _attempt(results, "measurements and observations", lambda: _episodes(scenario, _EPISODE_SCENES))
    for name, checker in (("gymnasium check_env", gym_check_env), ("SB3 check_env", sb3_check_env)):
        _attempt(results, name, lambda checker=checker: _checker(scenario, checker))
    _attempt(results, "determinism", lambda: _determinism(scenario))
    if scenario.graph.cues:
        _attempt(results, "cue-only factors", lambda: _cues(scenario, _EPISODE_SCENES))
    found: list[Result] = []
    try:
        _references(scenario, episodes, found)
    except (ProxiesError, SandboxError) as exc:
        found = [(f"reference {o}", False, f"{type(exc).__name__}: {exc}") for o in scenario.objectives]
    results += found
    return results


def preflight(scenario: Scenario, *, objective: str | None = None, mix: float = 0.0, seed: int = 0, scenes: int = 8) -> None:
    """What ``train`` and ``run`` check before they write anything: the first scenes of the training envs (``scenes``
    of them, seeded as training seeds its envs: ``seed``, ``seed + 1``...), each scene's layout and first observation
    (shape, dtype, finite), and one random step's measurements and observation. A few milliseconds.

    Raises the typed error (:class:`~sandbox.errors.GeometryError`, :class:`~sandbox.errors.MeasurementError`,
    :class:`~sandbox.errors.ObservationError`, :class:`~proxies.errors.ConfigError`...) that names the culprit.
    """
    env = scenario.make_env(objective=objective, mix=mix)
    for i in range(scenes):
        obs, _ = env.reset(seed=seed + i)
        env.check_scene(env.world.spec)
        check_observation(obs, env.observation_space, scenario.observe)
        if i == 0:
            obs, *_ = env.step(random_action(env.action_space, np.random.default_rng(seed)))
            check_observation(obs, env.observation_space, scenario.observe)
