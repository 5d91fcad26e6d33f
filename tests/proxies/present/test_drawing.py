"""Pictures: the reward graph, PNGs, GIFs and filmstrips."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

import proxies
from proxies import Measurement, Objective, RewardGraph
from proxies.present.drawing import draw_graph, graph_layout, save_filmstrip, save_gif, save_png
from sandbox import Factor
from sandbox.render import render_spec


def _zero(world: object) -> float:
    return 0.0


def common_cause_graph() -> RewardGraph:
    """One factor (the level layout) causes both the true measurement and the proxy's."""
    return RewardGraph(
        factors=(
            Factor.real("coin_x", train=(0.9, 1.0), intervene=(0.0, 1.0)),
            Factor.integer("enemies", train=(0, 2), intervene=(0, 5)),
        ),
        measurements=(
            Measurement("coin_collected", _zero, causes=("coin_x",)),
            Measurement("x_progress", _zero, causes=("coin_x", "enemies")),
        ),
        true_reward=Objective("coin_collected"),
        proxies=(Objective("x_progress"),),
    )


def _is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_cleaning_robot_graph(tmp_path: Path) -> None:
    graph = proxies.get_scenario("cleaning-robot").graph
    out = draw_graph(graph, tmp_path / "sub" / "graph.png", title="cleaning-robot")
    assert out == tmp_path / "sub" / "graph.png"
    assert _is_png(out)
    image = iio.imread(out)
    assert image.shape[0] > 300 and image.shape[1] > 600


def test_draw_common_cause_graph(tmp_path: Path) -> None:
    graph = common_cause_graph()
    assert graph.relation("x_progress").kind == "common_cause"
    assert _is_png(draw_graph(graph, tmp_path / "cc.png"))


def test_layout_is_layered_and_labels_do_not_overlap() -> None:
    graph = proxies.get_scenario("cleaning-robot").graph
    pos = graph_layout(graph)
    kinds = {n: d["kind"] for n, d in graph.dag.nodes(data=True)}
    xs = {kind: {pos[n][0] for n in pos if kinds[n] == kind} for kind in ("factor", "measurement", "objective")}
    assert max(xs["factor"]) < min(xs["measurement"]) and max(xs["measurement"]) < min(xs["objective"])
    for u, v in graph.dag.edges:
        assert pos[u][0] < pos[v][0]  # every edge points right
    points = list(pos.values())
    assert len(set(points)) == len(points)
    for i, (x1, y1) in enumerate(points):
        for x2, y2 in points[i + 1 :]:
            assert x1 != x2 or abs(y1 - y2) >= 0.9  # nodes in one column keep a row apart


def test_save_png_gif_filmstrip(tmp_path: Path) -> None:
    spec = proxies.get_scenario("cleaning-robot").sample_spec(np.random.default_rng(0))
    frame = render_spec(spec, scale=16.0)
    png = save_png(frame, tmp_path / "a" / "scene.png")
    assert np.array_equal(iio.imread(png)[..., :3], frame)
    frames = [frame, np.roll(frame, 3, axis=1), np.roll(frame, 6, axis=1), frame]
    gif = save_gif(frames, tmp_path / "agent.gif", fps=5)
    assert gif.read_bytes()[:3] == b"GIF"
    assert len(iio.imread(gif, index=None)) == len(frames)
    strip = iio.imread(save_filmstrip(frames * 3, tmp_path / "strip.png", n=6, gap=4))
    assert strip.shape[0] == frame.shape[0]
    assert strip.shape[1] == 6 * frame.shape[1] + 5 * 4


def test_save_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        save_gif([], tmp_path / "x.gif")
    with pytest.raises(ValueError, match="shape"):
        save_png(np.zeros((2, 2, 7), dtype=np.uint8), tmp_path / "x.png")


def test_names_are_drawn_as_written_and_never_start_mathtext(tmp_path):
    """A ``$`` in a title (or a label) draws as a ``$``: matplotlib's mathtext would fail on ``$\\frac{$``."""
    graph = proxies.get_scenario("cleaning-robot").graph
    path = draw_graph(graph, tmp_path / "graph.png", title="$\\frac{$ costs $5 and $10")
    assert iio.imread(path).shape[2] in (3, 4)
