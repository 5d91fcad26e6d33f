"""A sweep's aggregate (:mod:`proxies.run.aggregate`) drawn: the dose-response plot, the HTML page, a Markdown table.

Each takes the content of ``sweep.json`` and computes nothing from runs.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from proxies.present.drawing import save_figure

__all__ = ["markdown_table", "plot_dose_response", "sweep_html"]


def plot_dose_response(result: dict[str, Any], path: Path) -> Path:
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


def sweep_html(result: dict[str, Any]) -> str:
    """``sweep.html``: the knee, the plot and the per-α table, each α linking its runs' own reports."""
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
