"""Training agents with stable-baselines3 on a scenario's objective.

CPU-tuned defaults (design §5): one torch thread, 8 environments stepped together
(:class:`~proxies.run.vecenv.SandboxVecEnv`), rollouts of 128 steps each (1024 per update), minibatches of 256,
10 epochs, two hidden layers of 128. On the cleaning robot these learned more in 300k steps than 2048-step
updates with 4 epochs of 512 and 64-unit layers (true-reward return 3.7 against 2.7, random 1.0).
"""

from __future__ import annotations

import contextlib
import gc
import getpass
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import stable_baselines3
import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import configure

from proxies.errors import ConfigError, Interrupted, OutputError, RunConfigMismatchError
from proxies.files import model_zip_problem, output_error, save_model, write_json_atomic
from proxies.present.progress import PlainProgress, is_terminal
from proxies.run.vecenv import SandboxVecEnv
from proxies.scenario.fingerprint import scenario_fingerprint
from proxies.scenario.scenario import Scenario
from proxies.schemas import MAX_SEED, MAX_STEPS
from proxies.seeding import derive_seed
from proxies.signals import StopRequest
from proxies.suggest import did_you_mean
from sandbox.actions import describe_space
from sandbox.spec import SceneSpec

__all__ = [
    "TrainConfig", "ACTION_SPACES", "ALGORITHMS", "MAX_STEPS", "MAX_SEED", "CHECKPOINT_EVERY", "check_algorithm",
    "resume_point", "train",
]

CHECKPOINT_EVERY = 50_000
"""Training steps between two checkpoints (``checkpoints/model_<steps>_steps.zip``) [steps]."""

ACTION_SPACES: dict[str, tuple[type[gym.Space], ...]] = {
    "PPO": (gym.spaces.Box, gym.spaces.Discrete),
    "A2C": (gym.spaces.Box, gym.spaces.Discrete),
    "SAC": (gym.spaces.Box,),
    "TD3": (gym.spaces.Box,),
    "DDPG": (gym.spaces.Box,),
    "DQN": (gym.spaces.Discrete,),
}
"""The stable-baselines3 algorithms trained here and the kinds of action space each can act in."""
ALGORITHMS = tuple(ACTION_SPACES)

_DEFAULTS: dict[str, dict[str, Any]] = {
    "PPO": {
        "n_steps": 128, "batch_size": 256, "n_epochs": 10, "learning_rate": 3e-4, "ent_coef": 0.0,
        "policy_kwargs": {"net_arch": [128, 128]},
    },
    "A2C": {"n_steps": 16},
}


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Everything that changes the result is here, and in the config hash."""

    scenario: str
    """Registered scenario name or path to a scenario file."""
    steps: int = 300_000
    """Environment steps to train for [steps]."""
    seed: int = 0
    objective: str | None = None
    """Objective to train on; None means the scenario's true reward."""
    mix: float = 0.0
    """Fraction of training episodes drawn from the intervention domain, in [0, 1]."""
    algorithm: str = "PPO"
    n_envs: int = 8
    """Environments stepped together (:class:`~proxies.run.vecenv.SandboxVecEnv`)."""
    hyperparameters: tuple[tuple[str, Any], ...] = field(default=())
    """Overrides of the algorithm's CPU-tuned defaults, as (name, value) pairs."""
    scenes: tuple[str, ...] = ()
    """If given, the only scenes to train in, as scene-spec JSON (``SceneSpec.to_json``): planted
    agents of ``validate`` train on the suite's scenes. Empty: scenes sampled by ``mix``."""
    checkpoint_every: int = CHECKPOINT_EVERY
    """Steps of one training segment [steps]: a checkpoint ends each, and the next starts from fresh
    episodes and seeds of its own, so a run resumed from a checkpoint equals an uninterrupted one."""

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 0 < self.steps <= MAX_STEPS:
            raise ConfigError(
                f"--steps must be a positive whole number of environment steps, at most {MAX_STEPS:,} (10**9), "
                f"got {self.steps!r}."
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"--seed must be a whole number from 0 to {MAX_SEED} (2**32 - 1), got {self.seed!r}.")
        if not 0.0 <= self.mix <= 1.0:
            raise ConfigError(f"--mix must be a fraction in [0, 1], got {self.mix}.")
        if self.algorithm not in ALGORITHMS:
            raise ConfigError(
                f"Unknown algorithm {self.algorithm!r}; {did_you_mean(self.algorithm, ALGORITHMS)}."
            )
        if self.n_envs < 1:
            raise ConfigError(f"n_envs must be at least 1, got {self.n_envs}.")
        if isinstance(self.checkpoint_every, bool) or not isinstance(self.checkpoint_every, int) or self.checkpoint_every < 1:
            raise ConfigError(f"checkpoint_every must be a positive whole number of steps, got {self.checkpoint_every!r}.")
        object.__setattr__(self, "hyperparameters", tuple(sorted(dict(self.hyperparameters).items())))
        object.__setattr__(self, "scenes", tuple(self.scenes))
        if self.scenes and self.mix > 0:
            raise ConfigError("Train on given scenes or on a mix of sampled ones, not both; drop --mix.")
        if not all(isinstance(scene, str) for scene in self.scenes):
            raise ConfigError("TrainConfig.scenes must be scene-spec JSON strings (SceneSpec.to_json()).")

    @property
    def algorithm_kwargs(self) -> dict[str, Any]:
        """The algorithm's defaults with this run's overrides applied."""
        return {**_DEFAULTS.get(self.algorithm, {}), **dict(self.hyperparameters)}

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``hyperparameters`` as a dict)."""
        data = asdict(self)
        data["hyperparameters"] = dict(self.hyperparameters)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"Unknown training setting(s) {sorted(unknown)}; known: {sorted(known)}.")
        data = dict(data)
        data["hyperparameters"] = tuple(dict(data.get("hyperparameters", {})).items())
        return cls(**data)

    @property
    def config_hash(self) -> str:
        """Short hash of everything but the seed: runs that differ only by seed share it."""
        data = self.to_dict()
        del data["seed"]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:8]


def check_algorithm(algorithm: str, space: gym.Space) -> None:
    """Raise :class:`ConfigError` if ``algorithm`` cannot act in the action space ``space``, naming those that can."""
    if not isinstance(space, ACTION_SPACES[algorithm]):
        able = [name for name, kinds in ACTION_SPACES.items() if isinstance(space, kinds)]
        raise ConfigError(
            f"{algorithm} cannot act in the scenario's action space {describe_space(space)}; "
            f"train with {' or '.join(able) or 'another algorithm'} (--algorithm)."
        )


class _LogObjectives(BaseCallback):
    """Logs the mean episode return of every objective (true reward and proxies) to TensorBoard."""

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            for name, value in info.get("episode_returns", {}).items():
                self.logger.record_mean(f"objectives/{name}", value)
        return True


class _RichProgress(BaseCallback):
    """A rich progress bar over training steps (in a terminal), or plain lines
    (:class:`~proxies.present.progress.PlainProgress`)."""

    def __init__(self, total: int, label: str, console: Console | None = None) -> None:
        super().__init__()
        console = console or Console(stderr=True)
        self._progress: Any
        if is_terminal(console):
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} steps"),
                TimeRemainingColumn(), transient=False, console=console,
            )
        else:
            self._progress = PlainProgress(console)
        self._label, self._total = label, total
        self._task: int | None = None

    def _on_training_start(self) -> None:  # once per segment; the bar spans them all
        if self._task is None:
            self._task = self._progress.add_task(self._label, total=self._total)
            self._progress.start()

    def _on_step(self) -> bool:
        self._progress.update(self._task, completed=min(self.num_timesteps, self._total))
        return True

    def _on_training_end(self) -> None:
        self._progress.update(self._task, completed=min(self.num_timesteps, self._total))

    def close(self) -> None:
        """Stop the display (after the last segment)."""
        if self._task is not None:
            self._progress.stop()


class _StopOnSignal(BaseCallback):
    """Stops learning (returns False) once a :class:`~proxies.signals.StopRequest` has seen a signal."""

    def __init__(self, stop: StopRequest) -> None:
        super().__init__()
        self._stop = stop

    def _on_step(self) -> bool:
        return not self._stop.requested


class _WholeRunSchedule(BaseCallback):
    """Keeps the algorithm's schedules (learning rate, clip range) over the whole run, not one segment:
    ``learn`` on a segment would otherwise count progress from the segment's own length."""

    def __init__(self, total: int) -> None:
        super().__init__()
        self._total = total

    def _on_training_start(self) -> None:
        self.model._total_timesteps = self._total

    def _on_step(self) -> bool:
        return True


def _inductor_default_dir() -> str:
    """Where torch puts its inductor cache by default: ``$TMPDIR/torchinductor_<user>``.

    Computed here, as ``torch._inductor.runtime.cache_dir_utils.default_cache_dir`` does, because
    importing that module imports ``torch._dynamo`` and so makes the folder.
    """
    try:
        user = getpass.getuser()
    except (KeyError, ModuleNotFoundError, OSError):
        user = f"uid_{os.getuid()}" if hasattr(os, "getuid") else "unknown_user"
    return os.path.join(tempfile.gettempdir(), "torchinductor_" + re.sub(r'[\\/:*?"<>|]', "_", user))


def quiet_torch_cache() -> None:
    """Import ``torch._dynamo`` (building an optimizer does) without leaving an empty inductor cache folder.

    Importing it creates ``$TMPDIR/torchinductor_<user>`` (``torch._dynamo.package`` asks for its cache
    folder at import), though nothing here compiles. The folder is removed again when this import made
    it and left it empty; torch makes it anew whenever it needs it. Does nothing when
    ``TORCHINDUCTOR_CACHE_DIR`` is set (then the folder is the user's choice).
    """
    if "torch._dynamo" in sys.modules or "TORCHINDUCTOR_CACHE_DIR" in os.environ:
        return
    folder = _inductor_default_dir()
    existed = os.path.exists(folder)
    import torch._dynamo  # noqa: F401 - the import that makes the folder

    if not existed and os.environ.get("TORCHINDUCTOR_CACHE_DIR", folder) == folder:
        try:
            os.rmdir(folder)
        except OSError:
            pass


def make_vec_env(scenario: Scenario, config: TrainConfig) -> SandboxVecEnv:
    """The training environments: ``n_envs`` copies stepped together, seeded from ``config.seed``."""
    scenes = [SceneSpec.from_json(text) for text in config.scenes]
    vec = SandboxVecEnv(lambda: scenario.make_env(objective=config.objective, mix=config.mix, scenes=scenes), config.n_envs)
    vec.seed(config.seed)
    return vec


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the objects alive now (torch, the model, every import) out of the garbage collector's
    full collections while the block runs, so that each such collection scans only what training
    made since (what scanning all of them cost is measured in docs/performance.md). Unfrozen after the block."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


RESUME_FILE = "resume.json"
"""The file in ``checkpoints/`` naming the last segment's checkpoint and what trained it."""


def _owner(scenario: Scenario, config: TrainConfig) -> dict[str, Any]:
    """What made a checkpoint, in its JSON form (as ``resume.json`` reads back)."""
    return json.loads(json.dumps({"config": config.to_dict(), "scenario": scenario_fingerprint(scenario)["hash"]}))


def resume_point(scenario: Scenario, config: TrainConfig, run_dir: Path) -> tuple[Path, int] | None:
    """The last whole segment checkpoint that ``config`` and today's ``scenario`` made in ``run_dir``, if any.

    Raises :class:`~proxies.errors.RunConfigMismatchError` when the checkpoints there were made by another
    config (checkpoints of an earlier version of the scenario are ignored: it is trained afresh).
    """
    path = run_dir / "checkpoints" / RESUME_FILE
    try:
        data = json.loads(path.read_text())
        owner, name, steps = {"config": data["config"], "scenario": data["scenario"]}, data["file"], int(data["steps"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none, or unreadable: train from the start (each segment rewrites it whole)
    mine = _owner(scenario, config)
    if owner["config"] != mine["config"]:
        raise RunConfigMismatchError(
            f"{path.parent} holds checkpoints of another training config than this one; choose another --out, "
            "or delete that folder to train afresh."
        )
    checkpoint = path.parent / Path(name).name
    if owner["scenario"] != mine["scenario"] or not checkpoint.is_file() or model_zip_problem(checkpoint) is not None:
        return None
    return checkpoint, steps


def train(scenario: Scenario, config: TrainConfig, run_dir: Path, *, progress: bool = True) -> BaseAlgorithm:
    """Train an agent and save ``model.zip``, ``training.json`` and TensorBoard/CSV logs in ``run_dir``.

    Training runs in segments of ``config.checkpoint_every`` steps. Each starts from fresh episodes
    with seeds of its own (:func:`proxies.seeding.derive_seed` of the run's seed and the step count)
    and ends with a checkpoint (``checkpoints/model_<steps>_steps.zip`` and ``checkpoints/resume.json``).
    A run killed (even with ``kill -9``) and started again resumes from the last checkpoint, losing at
    most one segment, and ends with the same model as an uninterrupted run (on-policy algorithms, on
    CPU with one torch thread: the checkpoint holds the weights and the optimizer's state; an
    off-policy algorithm's replay buffer is not saved, so it resumes with an empty one).

    Every model file is written atomically (:func:`proxies.files.save_model`): a crash mid-save leaves
    the previous file intact. Ctrl-C (SIGINT) or SIGTERM stops training at the next step, saves the
    model so far as a checkpoint and raises :class:`~proxies.errors.Interrupted` naming it
    (``model.zip`` is left as it was). With ``progress``, a rich bar in a terminal, else plain lines
    (every tenth, or every 30 s). Returns the trained model.
    """
    if config.objective is not None:
        scenario.check_objective(config.objective)
    check_algorithm(config.algorithm, scenario.action_space)
    torch.set_num_threads(1)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, run_dir, "--out") from None
    quiet_torch_cache()
    point = resume_point(scenario, config, run_dir)
    env = make_vec_env(scenario, config)
    algorithm = getattr(stable_baselines3, config.algorithm)
    if point is None:
        model = algorithm("MlpPolicy", env, seed=config.seed, device="cpu", verbose=0, **config.algorithm_kwargs)
    else:
        model = algorithm.load(point[0], env=env, device="cpu")
    try:
        model.set_logger(configure(str(run_dir / "logs"), ["tensorboard", "csv"]))
    except OSError as exc:
        raise output_error(exc, run_dir / "logs", "--out") from None
    resumed_from = model.num_timesteps
    with StopRequest() as stop:
        callbacks: list[BaseCallback] = [_StopOnSignal(stop), _LogObjectives(), _WholeRunSchedule(config.steps)]
        bar = None
        if progress:
            label = f"training {scenario.slug} on {config.objective or scenario.true_reward}"
            bar = _RichProgress(config.steps, label)
            callbacks.append(bar)
        start = time.perf_counter()
        try:
            with frozen_heap():
                while model.num_timesteps < config.steps and not stop.requested:
                    _segment(model, config, CallbackList(callbacks))
                    if not stop.requested:
                        _checkpoint(scenario, config, model, run_dir)
        except OSError as exc:  # the TensorBoard/CSV writers hit a full or read-only disk
            raise output_error(exc, run_dir / "logs", "--out") from None
        finally:
            if bar is not None:
                bar.close()
        elapsed = max(time.perf_counter() - start, 1e-9)
        if stop.requested:
            raise _stopped(stop, model, config, run_dir)
        save_model(model, run_dir / "model.zip")
        trained = model.num_timesteps - resumed_from
        write_json_atomic(
            run_dir / "training.json",
            {"steps": config.steps, "trained_steps": model.num_timesteps, "resumed_from": resumed_from,
             "seconds": elapsed, "steps_per_s": trained / elapsed},
        )
    if stop.requested:  # the signal came while the finished model was being saved
        raise Interrupted(
            f"stopped by {stop.name} after training finished; {run_dir / 'model.zip'} was saved in full first.", stop.signum
        )
    return model


def _segment(model: BaseAlgorithm, config: TrainConfig, callback: CallbackList) -> None:
    """Train from fresh episodes and seeds of the segment's own up to the next multiple of ``checkpoint_every``."""
    done = model.num_timesteps
    target = min((done // config.checkpoint_every + 1) * config.checkpoint_every, config.steps)
    model.set_random_seed(derive_seed(config.seed, "training_segment", done))  # torch, numpy, action space, envs
    model._last_obs = None  # learn() then resets the environments with those seeds
    model.learn(total_timesteps=target - done, callback=callback, reset_num_timesteps=False)


def _checkpoint(scenario: Scenario, config: TrainConfig, model: BaseAlgorithm, run_dir: Path) -> None:
    """The segment's checkpoint, then ``resume.json`` naming it (so it never names a half-written one)."""
    name = f"model_{model.num_timesteps}_steps.zip"
    save_model(model, run_dir / "checkpoints" / name)
    write_json_atomic(
        run_dir / "checkpoints" / RESUME_FILE, {**_owner(scenario, config), "file": name, "steps": model.num_timesteps}
    )


def _stopped(stop: StopRequest, model: BaseAlgorithm, config: TrainConfig, run_dir: Path) -> Interrupted:
    """Save the model trained so far as a checkpoint; the error that says where it is."""
    try:
        checkpoint = save_model(model, run_dir / "checkpoints" / f"model_{model.num_timesteps}_steps.zip")
    except OutputError as exc:
        return Interrupted(f"training stopped by {stop.name}; the checkpoint could not be saved: {exc}", stop.signum)
    final = run_dir / "model.zip"
    left = f"{final} is the earlier model, unchanged" if final.exists() else f"no {final.name} was written"
    return Interrupted(
        f"training stopped by {stop.name} after {model.num_timesteps:,} of {config.steps:,} steps; the model so far is "
        f"saved in {checkpoint} ({left}). Run the command again to train in full.",
        stop.signum,
    )


