"""The aggregate of a sweep: per training mix α, IQM and bootstrap intervals over seeds, verdicts, the knee.

Per α, over the seeds whose run is done (:func:`proxies.run.sweep.run_state`):

- the interquartile mean (IQM) and its 95 % stratified percentile bootstrap interval
  (:mod:`proxies.stats`, after Agarwal et al. 2021) of the in-distribution true-reward score,
  of the off-distribution true-reward score (``goal_score``, on the counterfactual suite) and of
  each objective's pursuit weight;
- the fraction of seeds per verdict;
- the seeds attributed *together* (:func:`proxies.evaluate.agents.attribute_agent` on several runs), so that
  seeds that learned different goals widen the intervals instead of averaging into a confident middle.

The *knee* is the smallest α at which at least 80 % of seeds get ``intended``, with a bootstrap interval
(:func:`proxies.stats.knee`). Outputs in the sweep folder: ``sweep.json`` (schema version
:data:`SCHEMA_VERSION`, docs/schemas.md), ``images/dose-response.png`` and ``sweep.html``.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from rich.console import Console

from proxies.evaluate.agents import attribute_agent, load_model_zip
from proxies.evaluate.suite import Suite
from proxies.files import write_atomic, write_json_atomic
from proxies.present.drawing import save_figure
from proxies.present.progress import status
from proxies.run.pipeline import attribution_document
from proxies.run.rundir import default_run_dir
from proxies.run.sweep import load_sweep, run_state
from proxies.run.training import quiet_torch_cache
from proxies.scenario.registry import get_scenario
from proxies.scenario.scenario import Scenario
from proxies.schemas import AttributionFile, read_file
from proxies.seeding import rng
from proxies.stats import bootstrap_interval, knee

__all__ = ["SCHEMA_VERSION", "VERDICTS", "KNEE_THRESHOLD", "aggregate", "markdown_table", "write_sweep_report"]

SCHEMA_VERSION = 1
"""Version of ``sweep.json``'s layout (docs/schemas.md)."""
VERDICTS = ("intended", "misgeneralized", "mixed", "capability_failure")
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
    outcome = attribute_agent(models, scenario, suite=suite, seed=seed)
    doc = attribution_document(scenario, suite, outcome, runs=[str(r["run_dir"].name) for r in done])
    return {k: doc[k] for k in ("verdict", "learned", "weights", "random_weight", "competence", "goal_score",
                                "in_distribution_score", "explanation", "runs")}


def _plot(result: dict[str, Any], path: Path) -> Path:
    """Weight on each objective against α (symmetric-log x: α = 0 shows), IQM with interval bands, knee marked."""
    rows = [e for e in result["per_alpha"] if e["done"]]
    mixes = np.array([e["mix"] for e in rows])
    fig = Figure(figsize=(9, 4.2))
    FigureCanvasAgg(fig)
    weights, scores = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for o in result["objectives"]:
        mean = [e["weights"][o]["mean"] for e in rows]
        line, = weights.plot(mixes, mean, marker="o", label=o + (" (true reward)" if o == result["true_reward"] else ""))
        weights.fill_between(mixes, [e["weights"][o]["lo"] for e in rows], [e["weights"][o]["hi"] for e in rows],
                             color=line.get_color(), alpha=0.2)
    for key, label in (("in_distribution_score", "in-distribution"), ("off_distribution_score", "off-distribution")):
        line, = scores.plot(mixes, [e[key]["mean"] for e in rows], marker="o", label=label)
        scores.fill_between(mixes, [e[key]["lo"] for e in rows], [e[key]["hi"] for e in rows],
                            color=line.get_color(), alpha=0.2)
    k = result.get("knee") or {}
    for ax in (weights, scores):
        ax.set_xscale("symlog", linthresh=0.01)
        ax.set_xlabel("training mix α (symmetric log; linear below 0.01)")
        ax.grid(alpha=0.3)
        if k.get("alpha") is not None:
            ax.axvline(k["alpha"], color="black", linestyle="--", linewidth=1)
            ax.axvspan(k["lo"], k["hi"] if k["hi"] is not None else mixes.max(), color="grey", alpha=0.12)
    weights.set_ylabel("pursuit weight (IQM over seeds, 95 % CI)")
    scores.set_ylabel("true-reward score (IQM, 95 % CI)")
    knee_text = "no knee on this grid" if k.get("alpha") is None else f"knee α = {k['alpha']:g}"
    weights.set_title(f"{result['scenario']}: what the agents pursue ({knee_text})", fontsize=10)
    scores.set_title("capability in and off the training distribution", fontsize=10)
    weights.legend(fontsize=8)
    scores.legend(fontsize=8)
    return save_figure(fig, path)


def _cell(interval: dict[str, float] | None) -> str:
    return "–" if interval is None else f"{interval['mean']:.2f} [{interval['lo']:.2f}, {interval['hi']:.2f}]"


def _html(result: dict[str, Any]) -> str:
    esc = html.escape
    k = result.get("knee") or {}
    knee_text = ("no α of the grid has ≥80 % of seeds intended" if k.get("alpha") is None else
                 f"knee α = {k['alpha']:g} (95 % bootstrap interval {k['lo']:g} – "
                 f"{'above the grid' if k['hi'] is None else format(k['hi'], 'g')})")
    head = "".join(f"<th>{esc(o)} weight</th>" for o in result["objectives"])
    body = []
    for e in result["per_alpha"]:
        if not e["done"]:
            body.append(f"<tr><td>{e['mix']:g}</td><td>0/{e['seeds']}</td><td colspan=9>no finished run</td></tr>")
            continue
        verdicts = ", ".join(f"{esc(v)} {f:.0%}" for v, f in e["verdicts"].items() if f)
        links = " ".join(f"<a href='{esc(r['run_dir'])}/report.html'>s{r['seed']}</a>" for r in e["runs"])
        cells = "".join(f"<td>{_cell(e['weights'][o])}</td>" for o in result["objectives"])
        body.append(
            f"<tr><td>{e['mix']:g}</td><td>{e['done']}/{e['seeds']}</td><td>{verdicts}</td>{cells}"
            f"<td>{_cell(e['in_distribution_score'])}</td><td>{_cell(e['off_distribution_score'])}</td>"
            f"<td>{esc(e['pooled']['verdict']) if 'pooled' in e else '–'}</td><td>{links}</td></tr>"
        )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Sweep: {esc(result['scenario'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:4px 8px;font-size:13px}}</style></head><body>
<h1>Sweep over the training mix α: {esc(result['scenario'])}</h1>
<p>{esc(result['statistic'])}; intervals: {esc(result['interval'])}. {esc(knee_text)}.</p>
<img src="images/dose-response.png" alt="dose-response plot" style="max-width:100%">
<table><tr><th>α</th><th>seeds done</th><th>verdicts</th>{head}<th>in-distribution score</th>
<th>off-distribution score</th><th>seeds together</th><th>runs</th></tr>
{''.join(body)}</table></body></html>
"""


def write_sweep_report(out: Path, *, console: Console | None = None, seed: int = 0, n_boot: int = 2000,
                       pooled: bool = True) -> dict[str, Any]:
    """Aggregate the sweep in ``out`` and write ``sweep.json``, ``images/dose-response.png`` and ``sweep.html``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from proxies.present.sweep_report import write_sweep_report
    >>> result = write_sweep_report(Path("runs/sweep"))  # doctest: +SKIP
    >>> result["knee"]["alpha"]  # doctest: +SKIP
    0.03
    """
    result = aggregate(out, seed=seed, n_boot=n_boot, pooled=pooled, console=console)
    if any(e["done"] for e in result["per_alpha"]):
        _plot(result, out / "images" / "dose-response.png")
    write_json_atomic(out / "sweep.json", result)
    write_atomic(out / "sweep.html", _html(result))
    return result


def markdown_table(result: dict[str, Any]) -> str:
    """The per-α table of ``sweep.json`` as Markdown (for docs and experiment logs)."""
    objectives = result["objectives"]
    lines = [
        "| α | seeds | verdicts | " + " | ".join(f"{o} weight" for o in objectives) + " | in-dist. score | off-dist. score |",
        "|---" * (5 + len(objectives)) + "|",
    ]
    for e in result["per_alpha"]:
        if not e["done"]:
            continue
        verdicts = ", ".join(f"{v} {f:.0%}" for v, f in e["verdicts"].items() if f)
        cells = " | ".join(_cell(e["weights"][o]) for o in objectives)
        lines.append(f"| {e['mix']:g} | {e['done']} | {verdicts} | {cells} | {_cell(e['in_distribution_score'])} | "
                     f"{_cell(e['off_distribution_score'])} |")
    return "\n".join(lines)
