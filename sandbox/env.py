"""A gymnasium environment driven by any :class:`~sandbox.task.Task`.

Each step's ``info`` carries every measurement (``measure/<name>``) and every reward's
per-step value (``reward/<name>``); the scalar returned as the reward *is*
``info["reward/<training reward>"]``, the same number, never re-summed. The last step of
an episode adds ``info["episode_returns"]``: every reward's return over the episode.

What the task's functions return is checked where it is produced, so that a mistake is a typed
error naming the function and its file and line, not a NaN in training or a broadcast error in
stable-baselines3:

- every measurement, at every step: a finite real number (a ``str``, a ``bool``, inf or NaN is a
  :class:`~sandbox.errors.MeasurementError`); the common case, a ``float``, costs one type test
  and one subtraction;
- the observation, at every reset: the observation space's shape and dtype (an
  :class:`~sandbox.errors.ObservationError`);
- the scene's layout (:func:`~sandbox.geometry.check_geometry`), for the first scene of every env.

With the environment variable ``SANDBOX_DEBUG=1`` (read when an env is made), every scene's layout
is checked, and every observation is checked for its shape, dtype and finiteness.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from sandbox.actions import describe_space, parse_action, takes
from sandbox.errors import MeasurementError, ObservationError, SandboxError, source_of
from sandbox.factors import Domain
from sandbox.render import render_world
from sandbox.spec import SceneSpec
from sandbox.task import Task
from sandbox.world import World

__all__ = ["SandboxEnv", "StepInfo", "debug_checks", "check_measurement", "check_observation"]


def debug_checks() -> bool:
    """Whether ``SANDBOX_DEBUG=1`` asks for every scene and observation to be checked."""
    return os.environ.get("SANDBOX_DEBUG", "") == "1"


_REAL_KINDS = frozenset("iuf")
"""numpy dtype kinds of real numbers (signed, unsigned, floating)."""


def check_measurement(name: str, fn: Any, value: Any, step: int) -> float:
    """``value`` as a float if it is a finite real number, else :class:`~sandbox.errors.MeasurementError`
    naming the measurement, its function's file and line, and the fix.

    An ``int``, a ``float``, a numpy integer or floating scalar (or a 0-d array of one) is a number; a
    ``str`` (even ``"1.0"``), a ``bool``, ``None``, inf and NaN are not.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in _REAL_KINDS:
        value = value[()]
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        number = float(value)
        if math.isfinite(number):
            return number
        problem = f"{number} (not a finite number)"
        fix = (
            "return a finite number: guard divisions by zero, and read positions only of entities still in the scene "
            "(world.where(tag) leaves out those captured, eaten or picked up; world.positions has NaN rows for them)"
        )
    else:
        problem = f"{value!r} (a {type(value).__name__})"
        fix = (
            "return a number (int or float), not a string or a bool: e.g. float(world.events.captures['pan']), "
            "or float(condition) for a condition"
        )
    when = "at the episode's start" if step == 0 else f"after step {step}"
    raise MeasurementError(f"Measurement {name!r} ({source_of(fn)}) returned {problem} {when}; {fix}.")


def check_observation(obs: Any, space: gym.Space, observe: Any = None, *, finite: bool = True) -> None:
    """Raise :class:`~sandbox.errors.ObservationError` unless ``obs`` is a numpy array of ``space``'s shape
    and dtype (and, with ``finite``, holds no NaN or inf), naming ``observe``'s file and line."""
    where = f"observe() ({source_of(observe)})" if observe is not None else "The observation"
    shape, dtype = getattr(space, "shape", None), getattr(space, "dtype", None)
    if not isinstance(obs, np.ndarray):
        raise ObservationError(
            f"{where} returned a {type(obs).__name__}, not a numpy array; return np.array([...], dtype=np.float32)."
        )
    if obs.shape != shape:
        raise ObservationError(
            f"{where} returned an observation of shape {obs.shape}, but the observation space (derived from the "
            f"first observation of a training scene) has shape {shape}: an observation must have the same size in "
            "every scene and at every step. Give a fixed number of slots for things that come and go, with a "
            "presence flag (sandbox.observe.nearest(world, tag, k, ...) pads the missing ones)."
        )
    if obs.dtype != dtype:
        raise ObservationError(
            f"{where} returned {obs.dtype} values, but the observation space holds {dtype}; build it with "
            f"np.array([...], dtype=np.{dtype})."
        )
    if finite and obs.dtype.kind == "f" and not np.isfinite(obs).all():
        bad = np.flatnonzero(~np.isfinite(obs.ravel()))
        raise ObservationError(
            f"{where} returned {obs.ravel()[bad[0]]} at index {int(bad[0])} (of {len(bad)} entries that are not "
            "finite); an observation must hold finite numbers: guard divisions by zero, and leave out (or flag "
            "absent) entities that left the scene, whose positions are NaN."
        )


_ATOMIC = frozenset((float, int, bool, str))
"""Types a deep copy may share."""


class StepInfo(dict):
    """A step's ``info``: a dict whose deep copy copies only what is not a number or a string.

    Vectorised envs deep-copy every info of every step (SB3's ``DummyVecEnv`` does); with a
    float per measurement and per reward, ``copy.deepcopy``'s generic walk would cost more
    than the rest of the env's Python code.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> StepInfo:
        out = StepInfo(self)
        for key, value in self.items():
            if type(value) not in _ATOMIC:
                out[key] = copy.deepcopy(value, memo)
        return out


class SandboxEnv(gym.Env[np.ndarray, np.ndarray]):
    """Generic 2D physics environment for a task.

    Parameters
    ----------
    task:
        The scenario: scene generator, observation, measurements and rewards.
    reward:
        Which of the task's rewards trains the agent (the true reward by default).
    mix:
        Fraction in [0, 1] of episodes whose factors are drawn from the intervention
        domain (each factor's ``randomized`` part of it, where it names one) instead of the
        training domain.
    scenes:
        If given, every episode plays one of these scenes (drawn with the env's generator)
        instead of a sampled one, unless ``reset`` is given a spec or factors: training on a
        fixed set, e.g. a counterfactual suite.
    render_mode:
        ``"rgb_array"`` (headless) or ``"human"`` (a matplotlib window), or None.

    ``reset(options={"spec": spec})`` plays a given scene (a counterfactual);
    ``reset(options={"factors": {...}})`` fixes some factors and samples the rest.
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 10}

    def __init__(
        self,
        task: Task,
        *,
        reward: str | None = None,
        mix: float = 0.0,
        render_mode: str | None = None,
        scenes: Sequence[SceneSpec] = (),
    ) -> None:
        reward = task.true_reward if reward is None else reward
        if reward not in task.rewards:
            raise SandboxError(f"Task {task.name!r} has no reward {reward!r}; choose one of {sorted(task.rewards)}.")
        if not 0.0 <= mix <= 1.0:
            raise SandboxError(f"mix must be a fraction in [0, 1], got {mix}.")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise SandboxError(f"render_mode {render_mode!r} is not one of {self.metadata['render_modes']}.")
        if scenes and mix > 0:
            raise SandboxError("Give scenes to play or a mix of sampled scenes, not both.")
        if not all(isinstance(spec, SceneSpec) for spec in scenes):
            raise SandboxError("scenes must be SceneSpec objects; load saved ones with SceneSpec.from_json.")
        self.task, self.reward_name, self.mix, self.render_mode = task, reward, mix, render_mode
        self.scenes = tuple(scenes)
        self.observation_space = task.observation_space
        self.action_space = task.action_space
        box = isinstance(self.action_space, gym.spaces.Box) and bool((self.action_space.low == -1).all())
        self._box_shape = self.action_space.shape if box and bool((self.action_space.high == 1).all()) else None
        """The shape of a Box(-1, 1) action space, whose in-range actions skip parse_action (every step)."""
        self._n_actions = int(self.action_space.n) if isinstance(self.action_space, gym.spaces.Discrete) else 0
        """The size of a Discrete action space (0 for a Box), whose in-range int actions skip parse_action."""
        names = tuple(task.measurements)
        self._measures = tuple(task.measurements.values())
        self._measure_keys = tuple(f"measure/{name}" for name in names)
        self._returns = tuple((name, names.index(m)) for name, m in task.rewards.items())
        self._rewards = tuple((f"reward/{name}", i) for name, i in self._returns)
        self._reward_index = dict(self._returns)[reward]
        self._names = names
        self._max_steps = task.max_steps
        self._terminates = getattr(task, "terminate", True) is not None
        """False for a task that declares it never ends early (``terminate=None``): step() then skips the call."""
        space = self.observation_space
        self._obs_box = (space.shape, space.dtype) if isinstance(space, gym.spaces.Box) else None
        """The observation space's shape and dtype, checked at every reset (a Box space; None otherwise)."""
        self._debug = debug_checks()
        """``SANDBOX_DEBUG=1``: check every scene's layout and every observation."""
        self._check_steps = bool(self._debug and self._obs_box)
        """Whether every step's observation is checked (``SANDBOX_DEBUG=1``)."""
        self._scenes_checked = 0
        self.world: World | None = None
        self._viewer: Any = None

    def sample_factors(self, rng: np.random.Generator, domain: Domain | None = None) -> dict[str, Any]:
        """Draw every factor from one domain (by default: a randomized scene with probability ``mix``, each factor
        drawn from its ``randomized`` part of the intervention domain, else a training scene)."""
        if domain is None and self.mix > 0 and rng.random() < self.mix:
            return {f.name: f.sample_randomized(rng) for f in self.task.factors}
        return {f.name: f.sample(rng, domain or "train") for f in self.task.factors}

    def reset(
        self, *, seed: int | None = None, options: Mapping[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode in a sampled scene, or in ``options["spec"]``."""
        super().reset(seed=seed)
        options = dict(options or {})
        spec = options.pop("spec", None)
        fixed = options.pop("factors", {})
        sampled = False
        if options:
            raise SandboxError(f"Unknown reset option(s) {sorted(options)}; use 'spec' or 'factors'.")
        if spec is None and self.scenes and not fixed:
            spec = self.scenes[int(self.np_random.integers(len(self.scenes)))]
        if spec is None:
            factors = self.sample_factors(self.np_random)
            known = {f.name: f for f in self.task.factors}
            for name, value in fixed.items():
                if name not in known:
                    raise SandboxError(f"Task {self.task.name!r} has no factor {name!r}; known: {sorted(known)}.")
                known[name].check(value)
                factors[name] = value
            spec = self.task.make_scene(factors, self.np_random)
            sampled = True
        elif not isinstance(spec, SceneSpec):
            raise SandboxError(f"options['spec'] must be a SceneSpec, got {type(spec).__name__}.")
        if not takes(self.action_space, spec.agent):
            raise SandboxError(
                f"The scene's agent body ({type(spec.agent).__name__ if spec.agent else 'none'}) does not take the "
                f"task's action space {describe_space(self.action_space)}; give every scene the task's agent body."
            )
        if not self._scenes_checked or self._debug:
            self.check_scene(spec, sampled=sampled)
        self.world = world = World(spec)
        self._first = self._last = self._before = self._measure(world)
        try:
            obs = self.task.observe(world)
        except ObservationError as exc:  # a helper's complaint (an unknown tag): say whose observe() it is
            raise ObservationError(f"Task {self.task.name!r}: observe() ({source_of(self.task.observe)}): {exc}") from None
        if self._obs_box and (type(obs) is not np.ndarray or obs.shape != self._obs_box[0] or obs.dtype != self._obs_box[1]):
            check_observation(obs, self.observation_space, self.task.observe, finite=False)
        if self._debug and self._obs_box:
            check_observation(obs, self.observation_space, self.task.observe)
        return obs, dict(zip(self._measure_keys, self._last))

    def check_scene(self, spec: SceneSpec, *, sampled: bool = True) -> None:
        """Check the scene's layout (:func:`~sandbox.geometry.check_geometry`); the error names where it came from
        (``sampled``: built by the task's recipe; else given). Done at the first reset of every env, and at every
        reset with ``SANDBOX_DEBUG=1``."""
        from sandbox.errors import GeometryError

        try:
            spec.check_geometry()
        except GeometryError as exc:
            recipe = getattr(self.task, "build_scene", None)
            label, recipe = ("build_scene", recipe) if recipe is not None else ("make_scene", self.task.make_scene)
            origin = (
                f"Task {self.task.name!r}: the scene built by {label} ({source_of(recipe)}) for the factors "
                f"{spec.factor_values}" if sampled else f"Task {self.task.name!r}: the scene given"
            )
            raise GeometryError(f"{origin}: {exc}") from None
        self._scenes_checked += 1

    def _measure(self, world: World) -> list[float]:
        """Every measurement of the world now, each checked to be a finite real number (as :meth:`step` does)."""
        values = [fn(world) for fn in self._measures]
        return [v if type(v) is float and not v - v else check_measurement(name, fn, v, world.steps)
                for name, fn, v in zip(self._names, self._measures, values)]

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Drive for one agent step; the reward is the chosen reward's increment."""
        obs, reward, terminated, truncated = self.advance(action)
        return obs, reward, terminated, truncated, self.step_info(ended=terminated or truncated)

    def step_info(self, *, ended: bool = False) -> StepInfo:
        """The last step's ``info``, as :meth:`step` returns it (with ``ended``, the episode's returns too).

        After :meth:`advance`, which builds none, this builds the info of the step it took: the rollout
        engine asks for it only at an episode's end.
        """
        values, last = self._last, self._before
        info = StepInfo(zip(self._measure_keys, values))
        for key, i in self._rewards:
            info[key] = values[i] - last[i]
        if ended:
            info["episode_returns"] = self.episode_returns()
        return info

    def advance(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool]:
        """:meth:`step` without its ``info`` (what a vectorised env that keeps its own statistics needs):
        ``(obs, reward, terminated, truncated)``."""
        world = self.world
        if world is None:
            raise SandboxError("Call reset() before step().")
        if type(action) is np.ndarray and action.shape == self._box_shape and action.dtype.kind == "f":  # a Box action
            values = action.tolist()
            world.step(tuple(values) if -1.0 <= min(values) and max(values) <= 1.0 else parse_action(self.action_space, action))
        elif (type(action) is np.int64 or type(action) is int) and 0 <= action < self._n_actions:  # a Discrete action
            world.step(int(action))
        else:
            world.step(parse_action(self.action_space, action))
        self._before = self._last
        self._last = values = []
        append = values.append
        for fn in self._measures:  # one loop, no comprehension: checking costs less than float() on each did
            v = fn(world)
            if type(v) is not float or v - v:  # not a float, or inf/NaN (v - v is then NaN, which is true)
                v = check_measurement(self._names[len(values)], fn, v, world.steps)
            append(v)
        terminated = self.task.terminated(world) if self._terminates else False
        if type(terminated) is not bool:
            if not isinstance(terminated, np.bool_):  # numpy comparisons give np.bool_: taken as the bool it is
                fn = getattr(self.task, "terminate", None)
                where = f" ({source_of(fn)})" if fn is not None else ""
                raise SandboxError(
                    f"Task {self.task.name!r}: its termination{where} returned {terminated!r}; it must return True or "
                    "False (e.g. world.events.pickups['goal'] > 0)."
                )
            terminated = bool(terminated)
        truncated = not terminated and world.steps >= self._max_steps
        if self.render_mode == "human":
            self.render()
        obs = self.task.observe(world)
        if self._check_steps:
            check_observation(obs, self.observation_space, self.task.observe)
        return obs, values[self._reward_index] - self._before[self._reward_index], terminated, truncated

    def episode_returns(self) -> dict[str, float]:
        """Every reward's return so far in this episode (the measurement now minus at the reset)."""
        values, first = self._last, self._first
        return {name: values[i] - first[i] for name, i in self._returns}

    def render(self) -> np.ndarray | None:
        """An RGB image of the world (``rgb_array``) or a window update (``human``)."""
        if self.world is None or self.render_mode is None:
            return None
        frame = render_world(self.world)
        if self.render_mode == "rgb_array":
            return frame
        import matplotlib.pyplot as plt

        if self._viewer is None:
            plt.ion()
            _, ax = plt.subplots()
            ax.set_axis_off()
            self._viewer = ax.imshow(frame)
        self._viewer.set_data(frame)
        plt.pause(1.0 / self.metadata["render_fps"])
        return None

    def close(self) -> None:
        """Close the human-mode window, if any."""
        if self._viewer is not None:
            import matplotlib.pyplot as plt

            plt.close(self._viewer.figure)
            self._viewer = None
