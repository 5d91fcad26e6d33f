"""The HTML report of a run: verdict, pursuit weights, in-distribution returns, graph and scenes.

``write_report(run_dir)`` reads ``config.json`` and ``attribution.json`` from the run
directory, draws ``images/weights.png`` and renders ``report.html`` next to them. Images
are referenced relatively (``images/...``), so the run directory can be moved or zipped
as a whole; the page itself needs no network (no CDN, inline CSS).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from proxies.errors import RunDirError
from proxies.files import write_atomic
from proxies.present.drawing import RELATION_COLOURS, RELATION_LABELS, TRUE_COLOUR, draw_quadrant, new_figure, save_figure
from proxies.present.story import story
from proxies.schemas import AttributionFile, ConfigFile, read_file, read_json_file
from proxies.stats import signed_interval

__all__ = ["write_report", "draw_weights", "VERDICT_TEXT"]

VERDICT_TEXT: dict[str, str] = {
    "intended": "Intended generalization",
    "misgeneralized": "Goal misgeneralization",
    "capability_failure": "Capability failure",
    "mixed": "Mixed",
    "unstable": "Unstable verdict",
}
"""Heading shown for each verdict."""

_VERDICT_COLOURS = {
    "intended": "#009E73",
    "misgeneralized": "#D55E00",
    "capability_failure": "#7F7F7F",
    "mixed": "#9B59B6",
    "unstable": "#B8860B",
}

_REQUIRED = {
    "config.json": "`proxy-sandbox train` writes it when a run starts; train into RUN_DIR",
    "attribution.json": "run `proxy-sandbox attribute RUN_DIR` first",
}


_SCHEMAS = {"config.json": ConfigFile, "attribution.json": AttributionFile}


def _read_json(run_dir: Path, name: str) -> dict[str, Any]:
    """The file's content, every field checked against its schema (:mod:`proxies.schemas`)."""
    path = run_dir / name
    if not path.is_file():
        raise RunDirError(f"{path} is missing; {_REQUIRED[name]}, then write the report again.")
    fix = f"{_REQUIRED[name]} to rewrite it"
    read_file(path, _SCHEMAS[name], fix)
    return read_json_file(path, fix)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if math.isnan(value) else float(value)


def _fmt(value: Any, digits: int = 2) -> str:
    number = _number(value)
    if number is None:
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    return f"{number:.{digits}f}"


def _steps(value: Any) -> str:
    number = _number(value)
    return f"{int(number):,}" if number is not None else _fmt(value)


def draw_weights(
    weights: dict[str, dict[str, float]],
    objectives: list[str],
    path: Path,
    true_reward: str = "",
    colours: dict[str, str] | None = None,
) -> Path:
    """Horizontal bar chart of pursuit weights with their confidence intervals, as a PNG.

    ``weights`` maps objective -> ``{"mean", "lo", "hi"}``; bars follow ``objectives``'
    order, the true reward green and others in ``colours`` (e.g. by relation) or slate.
    """
    names = [o for o in objectives if o in weights] + [o for o in weights if o not in objectives]
    means = [_number(weights[o].get("mean")) or 0.0 for o in names]
    lows = [_number(weights[o].get("lo")) for o in names]
    highs = [_number(weights[o].get("hi")) for o in names]
    err = [
        [max(0.0, m - lo) if lo is not None else 0.0 for m, lo in zip(means, lows, strict=True)],
        [max(0.0, hi - m) if hi is not None else 0.0 for m, hi in zip(means, highs, strict=True)],
    ]
    fig = new_figure(6.0, 0.55 * len(names) + 0.9)
    ax = fig.add_subplot(1, 1, 1)
    y = list(range(len(names)))[::-1]
    fill = [TRUE_COLOUR if n == true_reward else (colours or {}).get(n, "#5B7FA6") for n in names]
    ax.barh(y, means, xerr=err, color=fill, height=0.6, capsize=4, error_kw={"ecolor": "#333333", "lw": 1.2})
    ax.set_yticks(y, names, parse_math=False, usetex=False)  # names as written: a "$" never starts mathtext
    ax.set_xlim(0, 1.0 if max([*means, *(h or 0 for h in highs)], default=0) <= 1.0 else None)
    ax.set_xlabel("pursuit weight (whiskers: bootstrap interval)")
    for yi, m, hi in zip(y, means, highs, strict=True):
        ax.text(max(m, hi or m) + 0.02, yi, f"{m:.2f}", va="center", fontsize=9, color="#333333")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#E5E5E5")
    ax.set_axisbelow(True)
    fig.tight_layout()
    return save_figure(fig, path)


def _image(run_dir: Path, rel: str | None) -> str | None:
    """``rel`` if it names an existing file inside ``run_dir``, else ``None``."""
    if not rel:
        return None
    return rel if (run_dir / rel).is_file() else None


def _outcome_rows(outcomes: dict[str, dict[str, Any]], objectives: list[str]) -> list[dict[str, Any]]:
    def order(name: str) -> tuple[int, int, str]:
        if name == "agent":
            return 0, 0, name
        if name.startswith("reference"):
            target = name.partition(":")[2]
            return 1, objectives.index(target) if target in objectives else len(objectives), name
        return (3 if name == "random" else 2), 0, name

    rows = []
    for who in sorted(outcomes, key=order):
        values = outcomes[who] or {}
        label = who.replace("reference:", "reference · ") if who.startswith("reference:") else who
        rows.append({"who": label, "agent": who == "agent", "values": [_fmt(values.get(o)) for o in objectives]})
    return rows


def _stability(stability: dict[str, Any]) -> dict[str, str] | None:
    """The verdict's stability as the report shows it (percentages), or ``None`` when not recorded."""
    if not stability:
        return None

    def pct(part: str) -> str:
        value = _number((stability.get(part) or {}).get("verdict"))
        return "—" if value is None else f"{value:.0%}"

    threshold = _number(stability.get("threshold"))
    return {"bootstrap": pct("bootstrap"), "leave_one_out": pct("leave_one_out"),
            "threshold": "—" if threshold is None else f"{threshold:.0%}"}


def _context(
    run_dir: Path, config: dict[str, Any], attribution: dict[str, Any], docs: Mapping[str, str] | None
) -> dict[str, Any]:
    objectives = list(attribution.get("objectives") or [])
    weights = attribution.get("weights") or {}
    for name in weights:
        if name not in objectives:
            objectives.append(name)
    true_reward = objectives[0] if objectives else ""
    verdict = str(attribution.get("verdict", "unknown"))
    scenario = attribution.get("scenario") or config.get("scenario") or "unknown scenario"

    weights_png = None
    if weights:
        by_relation = {r.get("name"): RELATION_COLOURS.get(r.get("relation", ""), "#5B7FA6")
                       for r in attribution.get("relations") or []}
        weights_png = draw_weights(weights, objectives, run_dir / "images" / "weights.png", true_reward, by_relation)
        weights_png = weights_png.relative_to(run_dir).as_posix()

    quadrant_png = None
    competence, goal_score = _number(attribution.get("competence")), _number(attribution.get("goal_score"))
    if competence is not None and goal_score is not None:
        bands = attribution.get("intervals") or {}

        def band(key: str) -> tuple[float, float] | None:
            b = bands.get(key) or {}
            lo, hi = _number(b.get("lo")), _number(b.get("hi"))
            return None if lo is None or hi is None else (lo, hi)

        quadrant_png = draw_quadrant(
            competence, goal_score, run_dir / "images" / "quadrant.png",
            competence_interval=band("competence"), goal_interval=band("goal_score"),
        ).relative_to(run_dir).as_posix()

    in_dist = attribution.get("in_distribution") or {}
    in_rows = []
    for who in ("agent", "reference", "random", *sorted(set(in_dist) - {"agent", "reference", "random"})):
        if who in in_dist:
            in_rows.append({"who": who, "agent": who == "agent",
                            "values": [_fmt((in_dist[who] or {}).get(o)) for o in objectives]})

    relations = []
    for rel in attribution.get("relations") or []:
        kind = rel.get("relation", "")
        path = rel.get("path") or []
        arrow = " ← " if kind == "common_cause" else " → "
        if kind == "common_cause" and len(path) == 3:
            shown = f"{path[0]} ← {path[1]} → {path[2]}"
        else:
            shown = arrow.join(str(p) for p in path)
        relations.append({"name": rel.get("name", ""), "relation": kind.replace("_", " "), "path": shown,
                          "colour": RELATION_COLOURS.get(kind, "#555555"), "help": RELATION_LABELS.get(kind, "")})

    scenes = []
    for scene in attribution.get("scenes") or []:
        interventions = scene.get("interventions") or {}
        scenes.append({
            "id": scene.get("id", "?"),
            "separates": list(scene.get("separates") or []),
            "interventions": [(k, _fmt(v)) for k, v in interventions.items()],
            "image": _image(run_dir, scene.get("image")),
            "gif": _image(run_dir, scene.get("gif")),
            "rows": _outcome_rows(scene.get("outcomes") or {}, objectives),
        })

    probe = attribution.get("value_probe") or {}

    def change(entry: dict[str, Any], key: str) -> str:
        b = entry.get(key) or {}
        return f"{_fmt(b.get('mean'))} [{_fmt(b.get('lo'))}, {_fmt(b.get('hi'))}]"

    probe_rows = [
        {"setting": f"{p.get('factor')} = {_fmt(p.get('value'))}", "expected": change(p, "expected"),
         "achieved": change(p, "achieved"), "returned": change(p, "returned"), "bootstrap": change(p, "bootstrap"),
         "disagree": bool(p.get("disagree"))}
        for p in probe.get("interventions") or [] if isinstance(p, dict)
    ]

    cue = attribution.get("cue_probe") or {}  # changes in three significant digits: a small one is not a zero
    cue_rows = [
        {"setting": f"{c.get('factor')} = {_fmt(c.get('value'))}", "pairs": c.get("pairs"),
         "changes": [signed_interval(c["changes"][o]) if o in (c.get("changes") or {}) else "—" for o in objectives],
         "finding": bool(c.get("finding"))}
        for c in cue.get("cues") or [] if isinstance(c, dict)
    ]

    discovery = _discovery(run_dir)

    shown_config = [(k, _steps(v) if k == "steps" else str(v)) for k, v in config.items()
                    if not isinstance(v, (dict, list))]
    learned = attribution.get("learned")
    return {
        "scenario": scenario,
        "config": config,
        "config_items": shown_config,
        "steps": _steps(config.get("steps")),
        "verdict": verdict,
        "verdict_title": VERDICT_TEXT.get(verdict, verdict.replace("_", " ").capitalize()),
        "verdict_colour": _VERDICT_COLOURS.get(verdict, "#555555"),
        "explanation": attribution.get("explanation") or "",
        "story": story(attribution, docs),
        "shares": [
            {"name": o, "mean": _fmt(w.get("mean")), "lo": _fmt(w.get("lo")), "hi": _fmt(w.get("hi"))}
            for o, w in (attribution.get("shares") or {}).items()
        ],
        "stability": _stability(attribution.get("stability") or {}),
        "learned": learned,
        "objectives": objectives,
        "true_reward": true_reward,
        "weights": [
            {"name": o, "mean": _fmt(weights[o].get("mean")), "lo": _fmt(weights[o].get("lo")),
             "hi": _fmt(weights[o].get("hi")), "learned": o == learned, "true": o == true_reward}
            for o in objectives if o in weights
        ] + [
            {"name": "none (acts like random)", "mean": _fmt(w.get("mean")), "lo": _fmt(w.get("lo")),
             "hi": _fmt(w.get("hi")), "learned": False, "true": False}
            for w in [attribution.get("random_weight")] if w
        ],
        "weights_png": weights_png,
        "quadrant_png": quadrant_png,
        "competence": _fmt(attribution.get("competence")),
        "goal_score": _fmt(attribution.get("goal_score")),
        "quadrant": attribution.get("quadrant"),
        "in_rows": in_rows,
        "probe_rows": probe_rows,
        "probe_summary": probe.get("summary") or "",
        "probe_reward": probe.get("reward") or true_reward,
        "cue_rows": cue_rows,
        "cue_summary": cue.get("summary") or "",
        "cue_findings": int(cue.get("findings") or 0),
        "relations": relations,
        "graph_png": _image(run_dir, "images/graph.png"),
        "train_png": _image(run_dir, "images/train.png"),
        "scenes": scenes,
        "relation_colours": RELATION_COLOURS,
        "discovery": discovery,
    }


def _discovery(run_dir: Path) -> dict[str, Any] | None:
    """The section of ``discovery.json`` (written by ``proxy-sandbox discover``), or ``None`` without one."""
    path = run_dir / "discovery.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        leads = []
        for lead in data.get("leads") or []:
            scenes = [data["scenes"][str(i)] for i in lead.get("parting") or []]
            leads.append({
                "name": lead["name"], "kind": lead["kind"],
                "evidence": f"weight {_fmt(lead.get('weight'))}" if lead["kind"] == "candidate" else
                f"{lead.get('feature')} at {lead.get('arm')}, effect {_fmt(lead.get('effect'))} sd",
                "scenes": ["; ".join(f"{k} = {_fmt(v)}" for k, v in (s.get("factors") or {}).items()) for s in scenes],
            })
        return {"summary": data.get("summary") or "", "leads": leads, "gif": _image(run_dir, data.get("gif"))}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # an unreadable discovery.json leaves the section out, as other optional pieces


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_report(run_dir: Path, docs: Mapping[str, str] | None = None) -> Path:
    """Render ``run_dir/report.html`` (and ``run_dir/images/weights.png``); returns the HTML path.

    Its first screen tells the attribution's story (:func:`~proxies.present.story.story`) beside the quadrant
    picture; ``docs`` (:func:`~proxies.present.story.glossary`) puts the objectives' and factors' names in words.

    Raises :class:`~proxies.errors.RunDirError` naming the missing file and the command
    that makes it when ``config.json`` or ``attribution.json`` is absent. Optional pieces
    (graph, training scene, scene images, GIFs, in-distribution numbers) are left out of
    the page when missing.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"Run directory {run_dir} does not exist; train into it with `proxy-sandbox train`.")
    config = _read_json(run_dir, "config.json")
    attribution = _read_json(run_dir, "attribution.json")
    html = _environment().get_template("report.html").render(**_context(run_dir, config, attribution, docs))
    return write_atomic(run_dir / "report.html", html)
