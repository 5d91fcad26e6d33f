"""The aggregate of a sweep: per training mix α, IQM and bootstrap intervals over seeds, verdicts, the knee.

Per α, over the seeds whose run is done (:func:`proxies.run.sweep.run_state`):

- the interquartile mean (IQM) and its 95 % stratified percentile bootstrap interval
  (:mod:`proxies.stats`, after Agarwal et al. 2021) of the in-distribution true-reward score,
  of the off-distribution true-reward score (``goal_score``, on the counterfactual suite) and of
  each objective's pursuit weight;
- the fraction of seeds per verdict;
- the seeds attributed *together* (:func:`proxies.api.attribute`'s engine on several runs), so that
  seeds that learned different goals widen the intervals instead of averaging into a confident middle.

The *knee* is the smallest α at which at least 80 % of seeds get ``intended``, with a bootstrap interval
(:func:`proxies.stats.knee`). Outputs in the sweep folder: ``sweep.json`` (schema version
:data:`SCHEMA_VERSION`, docs/schemas.md), and, drawn by :mod:`proxies.present.sweep_report`,
``images/dose-response.png`` and ``sweep.html``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console

from proxies.evaluate.agents import _attribute_agents, load_model_zip
from proxies.evaluate.suite import Suite
from proxies.files import write_atomic, write_json_atomic
from proxies.present.progress import status
from proxies.present.sweep_report import plot_dose_response, sweep_html
from proxies.run.pipeline import attribution_document
from proxies.run.rundir import default_run_dir
from proxies.run.sweep import load_sweep, run_state
from proxies.run.training import quiet_torch_cache
from proxies.scenario.registry import get_scenario
from proxies.scenario.scenario import Scenario
from proxies.schemas import VERDICTS, AttributionFile, read_file
from proxies.seeding import rng
from proxies.stats import bootstrap_interval, knee

__all__ = ["SCHEMA_VERSION", "KNEE_THRESHOLD", "aggregate", "write_sweep_report"]

SCHEMA_VERSION = 1
"""Version of ``sweep.json``'s layout (docs/schemas.md)."""
KNEE_THRESHOLD = 0.8
"""Fraction of seeds that must be ``intended`` at the knee."""


def _runs(out: Path) -> list[dict[str, Any]]:
    """Every run of the sweep in ``out``: its α, seed, folder and state."""
    slug, sweep = load_sweep(out)
    rows = []
    for config in sweep.runs():
        run_dir = default_run_dir(config, slug, out)
        rows.append({"mix": config.train.mix, "seed": config.seed, "run_dir": run_dir, "state": run_state(run_dir),
                     "algorithm": config.train.algorithm})
    return rows


def aggregate(out: Path, *, seed: int = 0, n_boot: int = 2000, pooled: bool = True,
              console: Console | None = None) -> dict[str, Any]:
    """The content of ``sweep.json`` for the sweep in ``out`` (nothing written).

    ``pooled``: also attribute each α's seeds together (plays the suite once per seed: seconds per α).
    """
    console = console or Console(stderr=True)
    slug, sweep = load_sweep(out)
    scenario = get_scenario(sweep.base.scenario)
    rows = _runs(out)
    objectives = list(scenario.objectives)
    per_alpha = []
    intended = []
    for k, mix in enumerate(sweep.mixes):
        done = [r for r in rows if r["mix"] == mix and r["state"] == "done"]
        data = [read_file(r["run_dir"] / "attribution.json", AttributionFile, "").model_dump() for r in done]
        entry: dict[str, Any] = {
            "mix": mix, "seeds": len(sweep.runs()) // len(sweep.mixes), "done": len(done),
            "runs": [{"seed": r["seed"], "run_dir": os.path.relpath(r["run_dir"], out), "verdict": d["verdict"],
                      "weights": {o: d["weights"][o]["mean"] for o in objectives},
                      "in_distribution_score": d["in_distribution_score"], "goal_score": d["goal_score"]}
                     for r, d in zip(done, data)],
        }
        if data:
            gen = rng(seed, "sweep_bootstrap", k)

            def interval(values: list[float], gen: np.random.Generator = gen) -> dict[str, float]:
                return bootstrap_interval(values, gen, n_boot=n_boot)

            entry["in_distribution_score"] = interval([d["in_distribution_score"] for d in data])
            entry["off_distribution_score"] = interval([d["goal_score"] for d in data])
            entry["weights"] = {o: interval([d["weights"][o]["mean"] for d in data]) for o in objectives}
            entry["verdicts"] = {v: sum(d["verdict"] == v for d in data) / len(data) for v in VERDICTS}
            intended.append((mix, np.array([d["verdict"] == "intended" for d in data])))
            if pooled:
                with status(console, f"attributing the {len(done)} seed(s) at α={mix:g} together"):
                    entry["pooled"] = _pooled(scenario, done, seed)
        per_alpha.append(entry)
    result: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "scenario": slug, "sweep": sweep.to_dict(), "objectives": objectives,
        "true_reward": scenario.true_reward, "statistic": "IQM (25 % trimmed mean) over seeds",
        "interval": "95 % percentile bootstrap resampling seeds within each α (Agarwal et al. 2021)",
        "n_boot": n_boot, "per_alpha": per_alpha,
    }
    if intended:
        result["knee"] = knee([m for m, _ in intended], [x for _, x in intended], rng(seed, "sweep_bootstrap", 999),
                              threshold=KNEE_THRESHOLD, n_boot=n_boot)
    return result


def _pooled(scenario: Scenario, done: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    """The α's seeds attributed together on the first seed's suite: weights with intervals over runs too."""
    torch.set_num_threads(1)  # as in the runs: parallel torch threads only slow small policies down
    quiet_torch_cache()
    suite = Suite.load(done[0]["run_dir"] / "suite.json", scenario)
    models = [load_model_zip(r["run_dir"] / "model.zip", scenario, r["algorithm"]) for r in done]
    outcome = _attribute_agents(models, scenario, suite=suite, seed=seed)
    doc = attribution_document(scenario, suite, outcome, runs=[str(r["run_dir"].name) for r in done])
    return {k: doc[k] for k in ("verdict", "learned", "weights", "random_weight", "competence", "goal_score",
                                "in_distribution_score", "explanation", "runs")}


def write_sweep_report(out: Path, *, console: Console | None = None, seed: int = 0, n_boot: int = 2000,
                       pooled: bool = True) -> dict[str, Any]:
    """Aggregate the sweep in ``out`` and write ``sweep.json``, ``images/dose-response.png`` and ``sweep.html``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from proxies.run.aggregate import write_sweep_report
    >>> result = write_sweep_report(Path("runs/sweep"))  # doctest: +SKIP
    >>> result["knee"]["alpha"]  # doctest: +SKIP
    0.03
    """
    result = aggregate(out, seed=seed, n_boot=n_boot, pooled=pooled, console=console)
    if any(e["done"] for e in result["per_alpha"]):
        plot_dose_response(result, out / "images" / "dose-response.png")
    write_json_atomic(out / "sweep.json", result)
    write_atomic(out / "sweep.html", sweep_html(result))
    return result
