"""Sweeps: many runs of one scenario over the training mix α and over seeds, resumable.

Each (α, seed) is a run directory under the sweep's folder, keyed like any run by (scenario, config
hash, seed) (:func:`proxies.run.rundir.default_run_dir`). The folder's ``sweep-config.json`` records the
scenario and the settings; a run again skips finished runs, resumes interrupted ones from their last
checkpoint and retrains damaged ones. The runs go to an executor (:mod:`proxies.run.executors`);
:mod:`proxies.run.aggregate` aggregates them.

>>> from proxies.run.sweep import SweepConfig, parse_mixes
>>> from proxies.run.config import RunConfig
>>> from proxies.run.training import TrainConfig
>>> sweep = SweepConfig(RunConfig(TrainConfig("cleaning-robot", steps=50_000)), parse_mixes("0,0.03,1"), seeds=2)
>>> [(c.train.mix, c.seed) for c in sweep.runs()]
[(0.0, 0), (0.0, 1), (0.03, 0), (0.03, 1), (1.0, 0), (1.0, 1)]
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from proxies.errors import ConfigError, Interrupted, ProxiesError, RunConfigMismatchError, SweepError
from proxies.files import check_writable, model_zip_problem, write_atomic, write_json_atomic
from proxies.present.progress import progress_display
from proxies.run import pipeline
from proxies.run.config import RunConfig
from proxies.run.executors import check_backend, make_executor
from proxies.run.rundir import default_run_dir
from proxies.scenario.scenario import Scenario
from proxies.schemas import AttributionFile, read_file, read_json_file
from proxies.signals import exit_code, terminate_raises

__all__ = [
    "SWEEP_CONFIG", "SweepConfig", "Job", "parse_mixes", "check_workers", "run_state", "run_job", "run_sweep",
    "load_sweep",
]

SWEEP_CONFIG = "sweep-config.json"
"""The file in a sweep's folder that records its scenario and settings."""
_SCHEMA_VERSION = 1


def parse_mixes(text: str | Sequence[float]) -> tuple[float, ...]:
    """The α grid from ``--mix`` (``0,0.01,0.03,1``), sorted; a :class:`~proxies.errors.ConfigError` names a bad value.

    >>> parse_mixes("0, 0.11,0.01")
    (0.0, 0.01, 0.11)
    """
    items = [s.strip() for s in text.split(",")] if isinstance(text, str) else list(text)
    values = []
    for item in items:
        try:
            value = float(item)
        except (TypeError, ValueError):
            raise ConfigError(f"--mix {item!r} is not a number; give fractions in [0, 1] separated by commas, "
                              "e.g. --mix 0,0.01,0.03,1.") from None
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            raise ConfigError(f"--mix {item!r} is outside [0, 1]; α is a fraction of training levels (3 % is 0.03).")
        values.append(value)
    if not values:
        raise ConfigError("--mix is empty; give fractions in [0, 1] separated by commas, e.g. --mix 0,0.01,0.03,1.")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ConfigError(f"--mix repeats {', '.join(map(str, repeated))}; give each α once.")
    return tuple(sorted(values))


def check_workers(workers: int) -> str | None:
    """A :class:`~proxies.errors.ConfigError` for fewer than one worker; a warning above the CPU count (else None)."""
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}.")
    cpus = os.cpu_count() or 1
    if workers > cpus:
        return (f"--workers {workers} is more than the {cpus} CPUs here: the runs will share them and none gets "
                "faster; use --workers {cpus} at most.".replace("{cpus}", str(cpus)))
    return None


@dataclass(frozen=True)
class SweepConfig:
    """A sweep: one run configuration, varied over the training mix α and over seeds."""

    base: RunConfig
    """The settings every run shares; its mix and seed are replaced by each run's."""
    mixes: tuple[float, ...]
    """The α grid, sorted increasing (:func:`parse_mixes`)."""
    seeds: int = 5
    """Seeds per α: ``first_seed``, ``first_seed + 1``, ..."""
    first_seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "mixes", parse_mixes(self.mixes))
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ConfigError(f"--seeds must be at least 1 (seeds per α), got {self.seeds!r}.")
        if self.base.train.scenes:
            raise ConfigError("A sweep varies the training mix α; a config that trains on given scenes cannot be swept.")
        dataclasses.replace(self.base.train, seed=self.first_seed + self.seeds - 1)  # a ConfigError if out of range

    def runs(self) -> list[RunConfig]:
        """Every run's config, α outer, seed inner."""
        return [
            dataclasses.replace(self.base, train=dataclasses.replace(self.base.train, mix=mix, seed=seed))
            for mix in self.mixes for seed in range(self.first_seed, self.first_seed + self.seeds)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"base": self.base.to_dict(), "mixes": list(self.mixes), "seeds": self.seeds, "first_seed": self.first_seed}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(RunConfig.from_dict(data["base"]), tuple(data["mixes"]), data["seeds"], data.get("first_seed", 0))


def _shared(config: RunConfig) -> dict[str, Any]:
    """What every run of a sweep shares (all but mix and seed), to compare two sweeps' settings."""
    data = config.to_dict()
    del data["mix"], data["seed"]
    return data


def load_sweep(out: Path) -> tuple[str, SweepConfig]:
    """The scenario slug and settings recorded in a sweep folder's ``sweep-config.json``."""
    path = out / SWEEP_CONFIG
    if not path.is_file():
        raise SweepError(f"{out} holds no sweep ({SWEEP_CONFIG} is missing); run `proxy-sandbox sweep SCENARIO --out {out}`.")
    data = read_json_file(path, f"delete it and run `proxy-sandbox sweep` again with --out {out}")
    try:
        return data["scenario"], SweepConfig.from_dict(data["sweep"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SweepError(f"{path} cannot be read ({exc}); delete it and run the sweep again.") from None


def _claim(out: Path, slug: str, sweep: SweepConfig) -> None:
    """Record the sweep in ``out``; refuse a folder that holds another scenario's sweep or other settings."""
    if (out / SWEEP_CONFIG).is_file():
        theirs, old = load_sweep(out)
        if theirs != slug:
            raise RunConfigMismatchError(
                f"--out {out} holds a sweep of {theirs!r}, not {slug!r}; choose another --out for this sweep."
            )
        if _shared(old.base) != _shared(sweep.base):
            raise RunConfigMismatchError(
                f"--out {out} holds a sweep of {slug!r} with other settings (steps, objective, algorithm or evaluation; "
                f"see {out / SWEEP_CONFIG}); choose another --out, or repeat that sweep's settings."
            )
    write_json_atomic(out / SWEEP_CONFIG, {"schema_version": _SCHEMA_VERSION, "scenario": slug, "sweep": sweep.to_dict()})


def run_state(run_dir: Path) -> str:
    """``done`` (attribution written over a whole model), ``resume`` (checkpoints), ``damaged: why`` or ``new``."""
    model = run_dir / "model.zip"
    if model.is_file():
        problem = model_zip_problem(model)
        if problem is not None:
            return f"damaged: model.zip {problem}"
        attribution = run_dir / "attribution.json"
        if attribution.is_file():
            try:
                read_file(attribution, AttributionFile, "")
            except ProxiesError:
                return "damaged: attribution.json cannot be read"
            return "done"
    if (run_dir / "checkpoints" / "resume.json").is_file():
        return "resume"
    return "new"


@dataclass(frozen=True)
class Job:
    """One run of a sweep, as an executor's worker receives it."""

    scenario: str
    """The scenario's registered name or file path."""
    config: dict[str, Any]
    """The run's :class:`~proxies.run.config.RunConfig` in JSON form."""
    run_dir: str
    report: bool = True
    ship: bool = False
    """Send the run's files back to the driver (a cluster without a shared file system)."""


def run_job(job: Job) -> dict[str, Any]:
    """Run one sweep run in this process (an executor's worker); its summary, log and timing.

    A typed error of the package is returned as ``error`` (the sweep goes on with the other runs);
    a signal stops it as anywhere else (:class:`~proxies.errors.Interrupted`, ``KeyboardInterrupt``).
    """
    log = io.StringIO()
    console = Console(file=log, width=120, force_terminal=False)
    start = time.perf_counter()
    result: dict[str, Any] = {"run_dir": job.run_dir}
    try:
        with terminate_raises():
            data = pipeline.run(job.scenario, RunConfig.from_dict(job.config), Path(job.run_dir), console=console,
                       report=job.report, progress=False)
        result["verdict"] = data["verdict"]
    except ProxiesError as exc:
        if isinstance(exc, Interrupted):
            raise
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["seconds"] = time.perf_counter() - start
    result["log"] = log.getvalue()[-4000:]
    if job.ship:
        root = Path(job.run_dir)
        result["files"] = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return result


def _land(result: dict[str, Any]) -> None:
    """Write a shipped run's files under its run directory (each atomically), where they are missing or differ."""
    root = Path(result["run_dir"])
    for name, payload in result.pop("files", {}).items():
        path = root / name
        if not path.is_file() or path.read_bytes() != payload:
            write_atomic(path, payload)


def _stage(run_dir: Path, steps: int, since: float) -> tuple[float, str]:
    """How far a running run has got (fraction, words), from the files it has written since ``since``."""

    def fresh(name: str) -> bool:
        path = run_dir / name
        return path.is_file() and path.stat().st_mtime >= since

    if fresh("attribution.json"):
        return 0.95, "pictures and report"
    if fresh("suite.json"):
        return 0.9, "attributing"
    if fresh("model.zip"):
        return 0.75, "building the suite"
    resume = run_dir / "checkpoints" / "resume.json"
    try:
        done = json.loads(resume.read_text())["steps"] if resume.is_file() else 0
    except (OSError, ValueError, KeyError):
        done = 0
    return 0.75 * min(done / steps, 1.0), f"training ({done:,}/{steps:,} steps)"


def run_sweep(
    scenario: Scenario,
    scenario_ref: str,
    sweep: SweepConfig,
    out: Path,
    *,
    backend: str = "process",
    workers: int = 2,
    address: str | None = None,
    console: Console | None = None,
    report: bool = True,
    executor_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run every (α, seed) of ``sweep`` under ``out`` that is not done yet; returns what happened to each.

    Finished runs are skipped, interrupted ones resume from their last checkpoint, damaged ones (a
    truncated ``model.zip``) are reported and trained again. A run that fails with a typed error is
    reported and the others go on. Ctrl-C (or SIGTERM) stops the workers (training saves a checkpoint;
    every file is written whole or not at all) and raises :class:`~proxies.errors.Interrupted`.

    Returns ``{"runs": [{run_dir, mix, seed, state, verdict | error, seconds}], "wall_seconds",
    "job_seconds", "workers", "backend"}``.
    """
    console = console or Console(stderr=True)
    warning = check_workers(workers)
    if warning:
        console.print(f"[bold yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    start = time.perf_counter()
    check_backend(backend, address)
    check_writable(out, "--out")
    configs = sweep.runs()
    dirs = [default_run_dir(c, scenario.slug, out) for c in configs]
    rows = [{"run_dir": str(d), "mix": c.train.mix, "seed": c.seed, "state": run_state(d)} for c, d in zip(configs, dirs)]
    _claim(out, scenario.slug, sweep)
    todo = [i for i, row in enumerate(rows) if row["state"] != "done"]
    for i in todo:
        if rows[i]["state"].startswith("damaged"):
            console.print(f"[yellow]{escape(rows[i]['run_dir'])}: {escape(rows[i]['state'])}; training it again[/]",
                          soft_wrap=True)
    skipped = len(rows) - len(todo)
    console.print(f"sweep of {scenario.slug}: {len(rows)} runs ({len(sweep.mixes)} α x {sweep.seeds} seeds), "
                  f"{skipped} already done, {len(todo)} to run on {workers} {backend} worker(s)", highlight=False)
    ship = backend == "ray" and address is not None
    jobs = [Job(scenario_ref, configs[i].to_dict(), str(dirs[i]), report, ship) for i in todo]
    job_seconds = 0.0
    if jobs:
        executor = make_executor(backend, workers, address, **(executor_options or {}))
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TimeElapsedColumn(), TimeRemainingColumn())
        try:
            with terminate_raises(), progress_display(console, *columns) as bar:
                total = bar.add_task(f"sweep ({len(jobs)} runs)", total=len(jobs))
                tasks: dict[int, int] = {}
                began = time.time()
                stream = executor.submit(run_job, jobs)
                try:
                    for index, result, exc in stream:
                        if index >= 0:
                            row = rows[todo[index]]
                            if exc is not None:
                                row["error"] = f"{type(exc).__name__}: {exc}"
                            else:
                                _land(result)
                                job_seconds += result["seconds"]
                                row.update({k: result[k] for k in ("verdict", "error", "seconds") if k in result})
                            row["state"] = "failed" if "error" in row else "done"
                            if index in tasks:
                                bar.update(tasks.pop(index), completed=1.0, description=_label(row, row["state"]))
                            bar.advance(total)
                            if "error" in row:
                                console.print(f"[red]{escape(row['run_dir'])} failed:[/] {escape(row['error'])}",
                                              soft_wrap=True)
                        _refresh(bar, tasks, rows, todo, configs, began, workers)
                except KeyboardInterrupt:
                    stream.close()
                    executor.stop()
                    raise
        except KeyboardInterrupt as exc:
            finished = sum(row["state"] == "done" for row in rows)
            raise Interrupted(
                f"sweep stopped; {finished} of {len(rows)} runs are done, and the interrupted ones kept their last "
                "checkpoint (every file is whole). Run the same command again to resume.",
                exit_code(exc) - 128,
            ) from None
        finally:
            executor.close()
    return {
        "runs": rows, "wall_seconds": time.perf_counter() - start, "job_seconds": job_seconds, "workers": workers,
        "backend": backend,
    }


def _label(row: dict[str, Any], what: str) -> str:
    return f"α={row['mix']:g} seed {row['seed']}: {what}"


def _refresh(bar: Any, tasks: dict[int, int], rows: list[dict[str, Any]], todo: list[int], configs: list[RunConfig],
             began: float, workers: int) -> None:
    """Show the runs that are under way (the first ``workers`` not finished) and how far each has got."""
    pending = [k for k, i in enumerate(todo) if rows[i]["state"] not in ("done", "failed")][:workers]
    for k in pending:
        i = todo[k]
        fraction, words = _stage(Path(rows[i]["run_dir"]), configs[i].train.steps, began)
        if k not in tasks:
            tasks[k] = bar.add_task(_label(rows[i], words), total=1.0)
        bar.update(tasks[k], completed=fraction, description=_label(rows[i], words))
