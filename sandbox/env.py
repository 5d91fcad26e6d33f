"""A gymnasium environment driven by any :class:`~sandbox.task.Task`.

Each step's ``info`` carries every measurement (``measure/<name>``) and every reward's
per-step value (``reward/<name>``); the scalar returned as the reward *is*
``info["reward/<training reward>"]``, the same number, never re-summed. The last step of
an episode adds ``info["episode_returns"]``: every reward's return over the episode.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from sandbox.actions import describe_space, parse_action, takes
from sandbox.errors import SandboxError
from sandbox.factors import Domain
from sandbox.render import render_world
from sandbox.spec import SceneSpec
from sandbox.task import Task
from sandbox.world import World

__all__ = ["SandboxEnv", "StepInfo"]


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
        domain instead of the training domain.
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
        names = tuple(task.measurements)
        self._measures = tuple(task.measurements.values())
        self._measure_keys = tuple(f"measure/{name}" for name in names)
        self._returns = tuple((name, names.index(m)) for name, m in task.rewards.items())
        self._rewards = tuple((f"reward/{name}", i) for name, i in self._returns)
        self._reward_key = f"reward/{reward}"
        self.world: World | None = None
        self._viewer: Any = None

    def sample_factors(self, rng: np.random.Generator, domain: Domain | None = None) -> dict[str, Any]:
        """Draw every factor from one domain (by default: intervention with probability ``mix``)."""
        if domain is None:
            domain = "intervene" if self.mix > 0 and rng.random() < self.mix else "train"
        return {f.name: f.sample(rng, domain) for f in self.task.factors}

    def reset(
        self, *, seed: int | None = None, options: Mapping[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode in a sampled scene, or in ``options["spec"]``."""
        super().reset(seed=seed)
        options = dict(options or {})
        spec = options.pop("spec", None)
        fixed = options.pop("factors", {})
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
        elif not isinstance(spec, SceneSpec):
            raise SandboxError(f"options['spec'] must be a SceneSpec, got {type(spec).__name__}.")
        if not takes(self.action_space, spec.agent):
            raise SandboxError(
                f"The scene's agent body ({type(spec.agent).__name__ if spec.agent else 'none'}) does not take the "
                f"task's action space {describe_space(self.action_space)}; give every scene the task's agent body."
            )
        self.world = World(spec)
        self._first = self._last = [float(fn(self.world)) for fn in self._measures]
        return self.task.observe(self.world), dict(zip(self._measure_keys, self._last))

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Drive for one agent step; the reward is the chosen reward's increment."""
        world = self.world
        if world is None:
            raise SandboxError("Call reset() before step().")
        if type(action) is np.ndarray and action.shape == self._box_shape and action.dtype.kind == "f":  # a Box action
            values = action.tolist()
            world.step(tuple(values) if -1.0 <= min(values) and max(values) <= 1.0 else parse_action(self.action_space, action))
        else:
            world.step(parse_action(self.action_space, action))
        last = self._last
        values = self._last = [float(fn(world)) for fn in self._measures]
        info = StepInfo(zip(self._measure_keys, values))
        for key, i in self._rewards:
            info[key] = values[i] - last[i]
        terminated = self.task.terminated(world)
        if type(terminated) is not bool:
            if not isinstance(terminated, np.bool_):  # numpy comparisons give np.bool_: taken as the bool it is
                raise SandboxError(
                    f"Task {self.task.name!r}: its termination returned {terminated!r}; it must return True or False "
                    "(e.g. world.events.pickups['goal'] > 0)."
                )
            terminated = bool(terminated)
        truncated = not terminated and world.steps >= self.task.max_steps
        if terminated or truncated:
            first = self._first
            info["episode_returns"] = {name: values[i] - first[i] for name, i in self._returns}
        if self.render_mode == "human":
            self.render()
        return self.task.observe(world), info[self._reward_key], terminated, truncated, info

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
