"""``proxy-sandbox bench --sweep``: runs per hour of a sweep on 1 worker and on 2, side by side, and its overhead.

The same small sweep (``runs`` runs of ``steps`` training steps each, default evaluation) is run
into a fresh temporary folder per worker count, alternating ``repeats`` times (1, 2, 1, 2, ...);
each figure is the best of its repeats, to damp the noise of a shared machine. Figures:

- ``runs_per_hour``: runs over the sweep's wall time;
- ``speedup``: 2 workers' runs per hour over 1 worker's (the target on 2 cores is at least 1.7);
- ``overhead_fraction``: with 1 worker, the share of the wall time spent outside the runs themselves
  (training, suite, attribution, pictures): planning, state checks, workers starting, results coming
  back and the progress display (the target is under 2 %).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from proxies.run.config import RunConfig
from proxies.run.sweep import SweepConfig, run_sweep
from proxies.run.training import TrainConfig
from proxies.scenario.registry import get_scenario

__all__ = ["bench_sweep"]


def bench_sweep(scenario: str = "cleaning-robot", *, runs: int = 4, steps: int = 20_000, repeats: int = 2,
                worker_counts: tuple[int, ...] = (1, 2), console: Console | None = None) -> dict[str, Any]:
    """Measure the sweep on each worker count; returns the figures (nothing is kept on disk)."""
    console = console or Console(stderr=True)
    sc = get_scenario(scenario)
    mixes = tuple(round(i / max(runs - 1, 1), 6) for i in range(runs))
    sweep = SweepConfig(RunConfig(TrainConfig(scenario, steps=steps)), mixes, seeds=1)
    rows: dict[int, dict[str, Any]] = {}
    for _ in range(repeats):
        for workers in worker_counts:
            with tempfile.TemporaryDirectory(prefix="sweep-bench-") as folder:
                result = run_sweep(sc, scenario, sweep, Path(folder) / "sweep", workers=workers, console=console,
                                   report=False)
            wall, inner = result["wall_seconds"], result["job_seconds"]
            row = {
                "workers": workers, "runs": runs, "wall_seconds": wall, "run_seconds": inner,
                "runs_per_hour": runs / wall * 3600, "overhead_fraction": max(wall - inner / workers, 0.0) / wall,
            }
            if workers not in rows or row["runs_per_hour"] > rows[workers]["runs_per_hour"]:
                rows[workers] = row
    figures: dict[str, Any] = {"scenario": sc.slug, "steps": steps, "cpus": os.cpu_count(), "rows": list(rows.values())}
    if 1 in rows and 2 in rows:
        figures["speedup"] = rows[2]["runs_per_hour"] / rows[1]["runs_per_hour"]
        figures["overhead_fraction"] = rows[1]["overhead_fraction"]
    return figures
