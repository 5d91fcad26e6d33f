"""Pictures for the docs and the HTML report: the reward graph, scenes, GIFs and filmstrips.

Everything here draws on a :class:`matplotlib.figure.Figure` created directly (Agg canvas),
so no GUI backend is needed and the global ``matplotlib.use`` is never touched.

The reward graph is drawn left to right: factors, then measurements by causal depth, then
objectives. The true reward is green; each proxy objective, and the edges of the graph path
that make it a proxy, take the colour of its derived relation (:data:`RELATION_COLOURS`).
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import imageio.v3 as iio
import networkx as nx
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from proxies.files import write_atomic
from proxies.scenario.graph import RewardGraph

__all__ = [
    "RELATION_COLOURS",
    "RELATION_LABELS",
    "TRUE_COLOUR",
    "draw_graph",
    "draw_quadrant",
    "graph_layout",
    "new_figure",
    "save_figure",
    "save_filmstrip",
    "save_gif",
    "save_png",
]

RELATION_COLOURS: dict[str, str] = {
    "side_effect": "#D55E00",  # vermilion
    "instrumental": "#0072B2",  # blue
    "common_cause": "#9B59B6",  # purple
}
"""Colour of each derived relation (colour-blind safe, Okabe-Ito based)."""

RELATION_LABELS: dict[str, str] = {
    "side_effect": "side effect (proxy → … → true)",
    "instrumental": "instrumental (true → … → proxy)",
    "common_cause": "common cause (shared ancestor)",
}
"""Legend text of each relation."""

TRUE_COLOUR = "#009E73"
"""Colour of the true reward."""

_FACTOR_FILL, _FACTOR_EDGE = "#F2F2F2", "#8C8C8C"
_MEASURE_FILL, _MEASURE_EDGE = "#FFF6DC", "#B8962E"
_EDGE_GREY = "#B5B5B5"
_FONT = 10.0
_CHAR_W = 0.085  # approximate width of one label character, in layout units at _FONT
_NODE_H = 0.42
_X_GAP = 3.2
_PLAIN_TEXT = {"parse_math": False, "usetex": False}
"""Names are drawn as they are written: a ``$`` in one never starts mathtext (which fails on ``$\\frac{$``)."""


# -- figures and images ---------------------------------------------------------------------


def new_figure(width: float, height: float, dpi: int = 120) -> Figure:
    """A figure with an Agg canvas attached, independent of pyplot and the global backend."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG (parents created) and return the path.

    Rendered in memory, then written atomically (:func:`proxies.files.write_atomic`): never half a picture.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white", bbox_inches="tight", pad_inches=0.15)
    return write_atomic(Path(path), buffer.getvalue())


def _as_rgb(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"Expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {array.shape}.")
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and array.size and float(np.nanmax(array)) <= 1.0:
            array = array * 255.0
        array = np.clip(array, 0, 255).astype(np.uint8)
    return array


def save_png(image: np.ndarray, path: Path) -> Path:
    """Write an RGB(A) ``uint8`` image (floats in [0, 1] are scaled) as a PNG; returns the path."""
    return write_atomic(Path(path), iio.imwrite("<bytes>", _as_rgb(image), extension=".png"))


def _same_size(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    images = [_as_rgb(f) for f in frames]
    if not images:
        raise ValueError("No frames given; pass at least one image.")
    images = [np.repeat(f[..., None], 3, axis=2) if f.ndim == 2 else f[..., :3] for f in images]
    height = max(f.shape[0] for f in images)
    width = max(f.shape[1] for f in images)
    out = []
    for f in images:
        canvas = np.full((height, width, 3), 255, dtype=np.uint8)
        canvas[: f.shape[0], : f.shape[1]] = f
        out.append(canvas)
    return out


def save_gif(frames: Sequence[np.ndarray], path: Path, fps: int = 10) -> Path:
    """Write ``frames`` (RGB arrays) as a looping GIF at ``fps`` frames per second; returns the path."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}.")
    images = _same_size(frames)
    data = iio.imwrite("<bytes>", np.stack(images), extension=".gif", duration=1000.0 / fps, loop=0)
    return write_atomic(Path(path), data)


def save_filmstrip(frames: Sequence[np.ndarray], path: Path, n: int = 6, gap: int = 4) -> Path:
    """Write ``n`` evenly spaced frames (first and last included) side by side as one PNG."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}.")
    images = _same_size(frames)
    index = np.unique(np.linspace(0, len(images) - 1, num=min(n, len(images))).round().astype(int))
    chosen = [images[i] for i in index]
    height, width = chosen[0].shape[:2]
    strip = np.full((height, len(chosen) * width + (len(chosen) - 1) * gap, 3), 255, dtype=np.uint8)
    for k, image in enumerate(chosen):
        x = k * (width + gap)
        strip[:, x : x + width] = image
    return save_png(strip, path)


# -- the reward graph -----------------------------------------------------------------------


def _layers(dag: nx.DiGraph) -> dict[str, int]:
    """Column of every node: factors 0, measurements by longest causal depth, objectives last."""
    layer: dict[str, int] = {}
    for node in nx.topological_sort(dag):
        kind = dag.nodes[node].get("kind")
        if kind == "factor":
            layer[node] = 0
        elif kind == "measurement":
            preds = [layer[p] for p in dag.predecessors(node)]
            layer[node] = 1 + max(preds, default=0)
    last = max(layer.values(), default=0) + 1
    for node, data in dag.nodes(data=True):
        if data.get("kind") == "objective":
            layer[node] = last
    return layer


def graph_layout(graph: RewardGraph, x_gap: float = _X_GAP, y_gap: float = 0.95) -> dict[str, tuple[float, float]]:
    """Layered left-to-right positions of every node of ``graph.dag``.

    Columns are causal depth (factors, measurements by depth, objectives). Every
    measurement gets its own row, so the chain of measurements reads as a staircase and
    each objective sits on its measurement's row, joined by a straight horizontal edge.
    Within a column, nodes are ordered by barycentre sweeps to reduce edge crossings;
    factors are spread over the height of the measurements, ordered by where they point.
    """
    dag = graph.dag
    layer = _layers(dag)
    n_layers = max(layer.values()) + 1
    measures = [n for n in dag.nodes if dag.nodes[n].get("kind") == "measurement"]
    factors = [n for n in dag.nodes if dag.nodes[n].get("kind") == "factor"]
    objectives = [n for n in dag.nodes if dag.nodes[n].get("kind") == "objective"]

    # Measurement rows: a staircase by column; within a column, the order that crosses
    # fewest objective rows (searched exhaustively for small graphs, else barycentres).
    columns = [[m for m in measures if layer[m] == c] for c in range(1, n_layers - 1)]
    edges = [(u, v) for u, v in dag.edges if u in layer and v in layer and layer[u] > 0 and u in measures
             and v in measures]

    def cost(order: Sequence[str]) -> float:
        row = {m: i for i, m in enumerate(order)}
        total = 0.0
        for u, v in edges:
            lo, hi = sorted((row[u], row[v]))
            total += hi - lo
            # Every measurement strictly between the two rows whose horizontal (or box) the edge cuts.
            total += 10 * sum(1 for w in order if lo < row[w] < hi and layer[w] < layer[v])
        return total

    n_orders = int(np.prod([math.factorial(len(c)) for c in columns])) if columns else 1
    if n_orders <= 5040:
        candidates = (
            [m for col in combo for m in col]
            for combo in itertools.product(*(itertools.permutations(c) for c in columns))
        )
        order = min(candidates, key=cost, default=[])
    else:
        order = []
        for column in columns:
            placed = {m: i for i, m in enumerate(order)}
            keyed = []
            for i, m in enumerate(column):
                causes = [placed[p] for p in dag.predecessors(m) if p in placed]
                keyed.append((float(np.mean(causes)) if causes else float(len(order)), i, m))
            order += [m for *_, m in sorted(keyed)]
    row = {m: float(i) for i, m in enumerate(order)}
    n_rows = max(len(measures), 1)
    m_gap = min(1.9, max(1.4 * y_gap, y_gap * (len(factors) - 1) / max(n_rows - 1, 1)))
    pos: dict[str, tuple[float, float]] = {}
    centre = (n_rows - 1) / 2
    for m in measures:
        pos[m] = (layer[m] * x_gap, -(row[m] - centre) * m_gap)

    # Factors: spread evenly and centred, in the order whose edges cross least
    # (exhaustive for up to 7 factors, else by the mean height of what they cause).
    def factor_key(f: str) -> tuple[float, int]:
        targets = [pos[t][1] for t in dag.successors(f) if t in pos]
        return (-float(np.mean(targets)) if targets else 0.0, factors.index(f))

    slots = [-(i - (len(factors) - 1) / 2) * y_gap for i in range(len(factors))]

    def crossings(order: Sequence[str]) -> float:
        segments = [((0.0, slots[i]), pos[t]) for i, f in enumerate(order) for t in dag.successors(f) if t in pos]
        return sum(_crosses(a, b) for a, b in itertools.combinations(segments, 2)) + 0.01 * sum(
            abs(slots[i] - pos[t][1]) for i, f in enumerate(order) for t in dag.successors(f) if t in pos
        )

    ordered = sorted(factors, key=factor_key)
    if 1 < len(factors) <= 7:
        ordered = list(min(itertools.permutations(ordered), key=crossings))
    for i, f in enumerate(ordered):
        pos[f] = (0.0, slots[i])

    # Objectives: on their measurement's row; several on one row are fanned out.
    by_measure: dict[str, list[str]] = {}
    for o in objectives:
        by_measure.setdefault(next(iter(dag.predecessors(o))), []).append(o)
    for m, objs in by_measure.items():
        objs.sort(key=lambda o: dag.nodes[o].get("role") != "true")
        for i, o in enumerate(objs):
            pos[o] = ((n_layers - 1) * x_gap, pos[m][1] - (i - (len(objs) - 1) / 2) * 0.9 * y_gap)
    return pos


_Segment = tuple[tuple[float, float], tuple[float, float]]


def _crosses(a: _Segment, b: _Segment) -> bool:
    """Whether two segments cross at a point inside both (shared endpoints do not count)."""
    (p1, p2), (p3, p4) = a, b

    def orient(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    d1, d2 = orient(p3, p4, p1), orient(p3, p4, p2)
    d3, d4 = orient(p1, p2, p3), orient(p1, p2, p4)
    return d1 * d2 < 0 and d3 * d4 < 0


def _bezier(a: tuple[float, float], b: tuple[float, float], rad: float, n: int = 40) -> np.ndarray:
    """Points of matplotlib's ``arc3,rad=rad`` connection from ``a`` to ``b`` (equal-aspect axes)."""
    (x1, y1), (x2, y2) = a, b
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * np.array(a) + 2 * (1 - t) * t * np.array((cx, cy)) + t**2 * np.array(b)


def _route(
    a: tuple[float, float], b: tuple[float, float], boxes: Sequence[tuple[float, float, float, float]]
) -> float:
    """The ``arc3`` curvature that keeps the edge ``a → b`` clear of the other nodes' ``boxes``."""
    best, best_cost = 0.0, float("inf")
    for rad in (0.0, 0.08, -0.08, 0.16, -0.16, 0.24, -0.24, 0.32, -0.32, 0.4, -0.4):
        points = _bezier(a, b, rad)[2:-2]
        cost = 0.0
        for x0, y0, x1, y1 in boxes:
            inside = (points[:, 0] > x0) & (points[:, 0] < x1) & (points[:, 1] > y0) & (points[:, 1] < y1)
            cost += float(inside.sum())
        cost += abs(rad)
        if cost < best_cost:
            best, best_cost = rad, cost
    return best


def _relation_edges(graph: RewardGraph) -> dict[tuple[str, str], list[str]]:
    """Edge -> the relation kinds whose path runs along it (objective edges included)."""
    dag = graph.dag
    edges: dict[tuple[str, str], list[str]] = {}

    def mark(path: Sequence[str], kind: str) -> None:
        for u, v in zip(path[:-1], path[1:], strict=True):
            if dag.has_edge(u, v):
                kinds = edges.setdefault((u, v), [])
                if kind not in kinds:
                    kinds.append(kind)

    for relation in graph.relations:
        proxy = graph.objective(relation.proxy)
        if relation.kind == "common_cause":
            proxy_measure, ancestor, true_measure = relation.path
            mark(nx.shortest_path(dag, ancestor, proxy_measure), relation.kind)
            mark(nx.shortest_path(dag, ancestor, true_measure), relation.kind)
        else:
            mark(relation.path, relation.kind)
        mark((proxy.measurement, f"R:{proxy.name}"), relation.kind)
    true = graph.true_reward
    edges.setdefault((true.measurement, f"R:{true.name}"), []).append("true")
    return edges


def _label(graph: RewardGraph, node: str, kinds: dict[str, str]) -> str:
    if node in {f.name for f in graph.cues}:
        return f"{node}\ncue: seen only"
    if not node.startswith("R:"):
        return node
    name = node[2:]
    if name == graph.true_reward.name:
        return f"{name}\ntrue reward"
    return f"{name}\nproxy · {kinds[name].replace('_', ' ')}"


def draw_graph(graph: RewardGraph, path: Path, title: str = "") -> Path:
    """Draw ``graph`` left to right (factors → measurements → objectives) as a PNG at ``path``.

    Factors are grey rounded boxes (a cue-only factor dashed, and marked so), measurements cream boxes, objectives bold boxes: the
    true reward green, each proxy in the colour of its derived relation. The edges of each
    relation's path (for a common cause: from the shared ancestor to both measurements)
    take that colour; other causal edges are light grey. Returns ``path``.
    """
    dag = graph.dag
    pos = graph_layout(graph)
    kinds = {r.proxy: r.kind for r in graph.relations}
    special = _relation_edges(graph)
    layer = _layers(dag)

    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    labels = {node: _label(graph, node, kinds) for node in dag.nodes}
    widths = {
        node: max(1.2, _CHAR_W * max(len(line) for line in text.split("\n")) + 0.35) for node, text in labels.items()
    }
    heights = {node: _NODE_H * (1 + 0.75 * text.count("\n")) for node, text in labels.items()}
    left = min(xs) - max(widths.values()) / 2 - 0.2
    right = max(xs) + max(widths.values()) / 2 + 0.2
    bottom, top = min(ys) - 0.7, max(ys) + 0.7
    scale = 0.95  # inches per layout unit
    fig = new_figure(max(6.0, (right - left) * scale), max(3.0, (top - bottom) * scale + 1.3))
    ax = fig.add_axes((0.0, 0.14, 1.0, 0.78 if title else 0.84))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.axis("off")

    patches: dict[str, FancyBboxPatch] = {}
    for node, (x, y) in pos.items():
        data = dag.nodes[node]
        w, h = widths[node], heights[node]
        weight, text_colour, lw = "normal", "#222222", 1.2
        if data.get("kind") == "factor":
            fill, edge, style = _FACTOR_FILL, _FACTOR_EDGE, "round,pad=0.02,rounding_size=0.2"
        elif data.get("kind") == "measurement":
            fill, edge, style = _MEASURE_FILL, _MEASURE_EDGE, "round,pad=0.02,rounding_size=0.06"
        else:
            colour = TRUE_COLOUR if data.get("role") == "true" else RELATION_COLOURS[kinds[node[2:]]]
            fill, edge, style, text_colour, weight = colour, colour, "square,pad=0.02", "white", "bold"
            lw = 3.0 if data.get("role") == "true" else 1.2
            if data.get("role") == "true":
                edge = "#004D38"
        dashed = data.get("kind") == "factor" and node in {f.name for f in graph.cues}  # a cue-only factor
        patch = FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle=style, facecolor=fill, edgecolor=edge, linewidth=lw, zorder=3,
            linestyle="--" if dashed else "-",
        )
        ax.add_patch(patch)
        patches[node] = patch
        ax.text(x, y, labels[node], ha="center", va="center", fontsize=_FONT, color=text_colour,
                fontweight=weight, zorder=4, linespacing=1.15, **_PLAIN_TEXT)

    margin = 0.12
    boxes = {
        node: (x - widths[node] / 2 - margin, y - heights[node] / 2 - margin,
               x + widths[node] / 2 + margin, y + heights[node] / 2 + margin)
        for node, (x, y) in pos.items()
    }
    for u, v in dag.edges:
        others = [box for node, box in boxes.items() if node not in (u, v)]
        base_rad = _route(pos[u], pos[v], others)
        marks = special.get((u, v), [])
        styles = [(RELATION_COLOURS.get(k, TRUE_COLOUR), 2.6) for k in marks] or [(_EDGE_GREY, 1.1)]
        for i, (colour, lw) in enumerate(styles):
            rad = base_rad + 0.06 * i
            arrow = FancyArrowPatch(
                pos[u], pos[v], patchA=patches[u], patchB=patches[v], arrowstyle="-|>", mutation_scale=13,
                connectionstyle=f"arc3,rad={rad}", color=colour, linewidth=lw, shrinkA=2, shrinkB=2,
                zorder=2 if colour != _EDGE_GREY else 1,
            )
            ax.add_patch(arrow)

    # Column headings.
    n_layers = max(layer.values()) + 1
    headings = {0: "factors", n_layers - 1: "objectives"}
    for c in range(1, n_layers - 1):
        headings[c] = "measurements" if n_layers == 3 else f"measurements ({c})"
    for c, text in headings.items():
        ax.text(c * _X_GAP, top - 0.05, text, ha="center", va="top",
                fontsize=_FONT - 1, color="#777777", style="italic")

    handles = [
        Patch(facecolor=_FACTOR_FILL, edgecolor=_FACTOR_EDGE, label="factor (scene parameter)"),
        Patch(facecolor=_MEASURE_FILL, edgecolor=_MEASURE_EDGE, label="measurement"),
        Patch(facecolor=TRUE_COLOUR, edgecolor="#004D38", linewidth=2, label="true reward"),
    ]
    handles += [Line2D([0], [0], color=RELATION_COLOURS[k], lw=3, label=RELATION_LABELS[k]) for k in RELATION_COLOURS]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=_FONT - 1, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    if title:
        fig.suptitle(title, fontsize=_FONT + 3, fontweight="bold", y=0.98, **_PLAIN_TEXT)
    return save_figure(fig, Path(path))


# -- the 2D robustness map ------------------------------------------------------------------------


def draw_quadrant(
    competence: float,
    goal_score: float,
    path: Path,
    *,
    competence_interval: tuple[float, float] | None = None,
    goal_interval: tuple[float, float] | None = None,
    threshold: float = 0.5,
) -> Path:
    """The agent on the 2D robustness map: competence (x) against goal score (y), as a PNG.

    Both scores are normalised (0 = random, 1 = the reference); the quadrants are split at
    ``threshold``. Intervals, when given, are drawn as error bars.
    """
    fig = new_figure(4.2, 3.8)
    ax = fig.add_subplot()
    xs = [competence, *(competence_interval or ())]
    ys = [goal_score, *(goal_interval or ())]
    lo_x, hi_x = min(-0.1, *xs) - 0.05, max(1.2, *xs) + 0.05
    lo_y, hi_y = min(-0.1, *ys) - 0.05, max(1.2, *ys) + 0.05
    ax.set_xlim(lo_x, hi_x)
    ax.set_ylim(lo_y, hi_y)
    ax.axvline(threshold, color=_EDGE_GREY, lw=1)
    ax.axhline(threshold, color=_EDGE_GREY, lw=1)
    labels = {
        (1, 1): "intended\ngeneralization", (1, 0): "goal\nmisgeneralization",
        (0, 1): "goal robust,\ncapability not", (0, 0): "capability\nfailure",
    }
    for (right, top), text in labels.items():
        x = (threshold + hi_x) / 2 if right else (lo_x + threshold) / 2
        y = (threshold + hi_y) / 2 if top else (lo_y + threshold) / 2
        ax.text(x, y, text, ha="center", va="center", fontsize=_FONT - 1, color="#888888")
    xerr = None if competence_interval is None else [[competence - competence_interval[0]], [competence_interval[1] - competence]]
    yerr = None if goal_interval is None else [[goal_score - goal_interval[0]], [goal_interval[1] - goal_score]]
    ax.errorbar([competence], [goal_score], xerr=xerr, yerr=yerr, fmt="o", color="#C0392B", ms=8, capsize=3, zorder=3)
    ax.set_xlabel("competence (at what it pursues)", fontsize=_FONT)
    ax.set_ylabel("goal score (true reward, off-distribution)", fontsize=_FONT)
    ax.tick_params(labelsize=_FONT - 1)
    fig.tight_layout()
    return save_figure(fig, path)
