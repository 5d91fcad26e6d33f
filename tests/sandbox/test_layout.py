"""Layout helpers: scatter reproduces the cleaning robot's old draws, walls from grids, BFS, mazes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sandbox import SpecError
from sandbox.layout import Grid, place, random_maze, scatter, walls_from_grid


def _old_scatter(rng, n, box, avoid, gap):
    """Verbatim copy of ``scenarios/cleaning_robot.py``'s ``_scatter`` before it moved to the kit."""
    x0, y0, x1, y1 = box
    u = rng.random(128 * n).tolist()

    def candidate(i: int) -> tuple[float, float]:
        return x0 + (x1 - x0) * u[2 * i], y0 + (y1 - y0) * u[2 * i + 1]

    taken, points, tried, gap2 = list(avoid), [], 0, gap * gap
    while len(points) < n and tried < 64 * n:
        x, y = candidate(tried)
        tried += 1
        for qx, qy in taken:
            if (x - qx) * (x - qx) + (y - qy) * (y - qy) < gap2:
                break
        else:
            points.append((x, y))
            taken.append((x, y))
    missing = n - len(points)  # a crowded box: the rest is placed as far apart as the candidates allow
    return points + [None] * missing


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [0, 1, 5, 40])
@pytest.mark.parametrize("gap", [0.0, 0.45, 0.9, 3.0])
@pytest.mark.parametrize("box", [(0.5, 0.5, 5.5, 3.5), (0, 4, 6, 5)])
def test_scatter_reproduces_the_old_draws_exactly(seed, n, gap, box):
    """Exactly the old points wherever the box has room for them (every training scene of the cleaning robot);
    in a crowded box, the old ones that kept their gap, then the rest far apart (see the next test)."""
    avoid = [(1.0, 1.0), (3.0, 2.0)]
    old_rng, new_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    new, old = scatter(new_rng, n, box, avoid=avoid, gap=gap), _old_scatter(old_rng, n, box, avoid, gap)
    assert len(new) == len(old) == n
    assert [p for p, q in zip(new, old) if q is not None] == [q for q in old if q is not None]
    assert new_rng.random() == old_rng.random()  # and leaves the generator in the same state


def test_scatter_in_a_crowded_box_places_the_rest_as_far_apart_as_it_can():
    rng = np.random.default_rng(4)
    points = scatter(rng, 30, (0, 0, 1.5, 1.5), avoid=[(0.75, 0.75)], gap=0.45)
    again = scatter(np.random.default_rng(4), 30, (0, 0, 1.5, 1.5), avoid=[(0.75, 0.75)], gap=0.45)
    assert points == again and len(points) == 30
    closest = min(math.dist(p, q) for i, p in enumerate(points) for q in [*points[i + 1:], (0.75, 0.75)])
    u = np.random.default_rng(4).random(128 * 30).reshape(-1, 2) * 1.5  # every candidate it could have taken
    anywhere = min(math.dist(p, q) for i, p in enumerate(map(tuple, u[-30:])) for q in map(tuple, u[-30:][i + 1:]))
    assert closest > 2 * anywhere  # far better spread than the old "last candidates, wherever they fall"


def test_scatter_refuses_more_points_than_a_scene_may_hold_at_once():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    with pytest.raises(SpecError, match="more than the 2,000 entities a scene may hold"):
        scatter(rng, 20_000, (0, 0, 4, 4), gap=0.45)
    assert rng.bit_generator.state == before  # refused before drawing a single candidate


def test_scatter_keeps_its_gap_and_stays_in_the_box():
    points = scatter(np.random.default_rng(1), 12, (0, 0, 6, 3), avoid=[(3, 1.5)], gap=0.5)
    assert len(points) == 12
    assert all(0 <= x <= 6 and 0 <= y <= 3 for x, y in points)
    others = [*points, (3, 1.5)]
    assert all(math.dist(p, q) >= 0.5 for i, p in enumerate(points) for q in others[i + 1 :])


def test_scatter_in_a_crowded_box_still_returns_n_points():
    points = scatter(np.random.default_rng(0), 10, (0, 0, 1, 1), gap=5.0)
    assert len(points) == 10 and all(0 <= x <= 1 and 0 <= y <= 1 for x, y in points)


def test_scatter_of_none_is_empty_and_draws_nothing():
    rng = np.random.default_rng(3)
    assert scatter(rng, 0, (0, 0, 1, 1), gap=0.1) == []
    assert rng.random() == np.random.default_rng(3).random()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": -1}, "negative"),
        ({"n": 2.5}, "whole number"),
        ({"box": (1, 0, 1, 1)}, "x0 < x1"),
        ({"box": (0, 2, 1, 1)}, "y0 < y1"),
        ({"box": (0, 1)}, r"\(x0, y0, x1, y1\)"),
        ({"gap": -0.1}, "gap >= 0"),
    ],
)
def test_scatter_rejects_bad_input(kwargs, match):
    args = {"n": 3, "box": (0, 0, 1, 1), "gap": 0.1, **kwargs}
    with pytest.raises(SpecError, match=match):
        scatter(np.random.default_rng(0), args["n"], args["box"], gap=args["gap"])


def test_place_matches_a_scatter_of_one():
    for seed in range(5):
        avoid = [(1.0, 1.0)]
        expected = scatter(np.random.default_rng(seed), 1, (0, 0, 3, 2), avoid=avoid, gap=0.7)[0]
        assert place(np.random.default_rng(seed), (0, 0, 3, 2), avoid=avoid, gap=0.7) == expected


def test_place_without_room_names_the_gap_and_box():
    with pytest.raises(SpecError, match=r"gap=2.*box \(0, 0, 1, 1\).*lower the gap"):
        place(np.random.default_rng(0), (0, 0, 1, 1), avoid=[(0.5, 0.5)], gap=2)
    with pytest.raises(SpecError, match="tries"):
        place(np.random.default_rng(0), (0, 0, 1, 1), gap=0.1, tries=0)
    with pytest.raises(SpecError, match="empty"):
        place(np.random.default_rng(0), (0, 0, 0, 1), gap=0.1)


def _segments(walls):
    return sorted((w.x0, w.y0, w.x1, w.y1) for w in walls)


def test_walls_merge_collinear_edges():
    # an L of wall cells: its outline is 6 segments; a ring around one floor cell is 4 + 4
    assert _segments(walls_from_grid(["#.", "##"])) == [
        (0.0, 0.0, 0.0, 2.0),
        (0.0, 0.0, 2.0, 0.0),
        (0.0, 2.0, 1.0, 2.0),
        (1.0, 1.0, 1.0, 2.0),
        (1.0, 1.0, 2.0, 1.0),
        (2.0, 0.0, 2.0, 1.0),
    ]
    assert len(walls_from_grid(["###", "#.#", "###"])) == 8
    assert len(walls_from_grid(["...", "..."])) == 0
    maze = random_maze(np.random.default_rng(0), 21, 21)
    assert len(walls_from_grid(maze)) < np.count_nonzero(maze.walls)  # fewer segments than wall cells


def test_walls_put_row_zero_on_top_and_honour_cell_origin_and_thickness():
    # one wall cell, top-left of a 2x2 grid with cells of 0.5 m whose lower-left corner is (10, 20)
    walls = walls_from_grid(["#.", ".."], cell=0.5, origin=(10.0, 20.0), thickness=0.2)
    assert _segments(walls) == [
        (10.0, 20.5, 10.0, 21.0),
        (10.0, 20.5, 10.5, 20.5),
        (10.0, 21.0, 10.5, 21.0),
        (10.5, 20.5, 10.5, 21.0),
    ]
    assert {w.thickness for w in walls} == {0.2}
    # the same grid as an array, nonzero = wall
    assert _segments(walls_from_grid(np.array([[1, 0], [0, 0]]), cell=0.5, origin=(10.0, 20.0))) == _segments(walls)


def test_walls_from_grid_rejects_bad_input():
    with pytest.raises(SpecError, match="cell"):
        walls_from_grid(["#"], cell=0)
    with pytest.raises(SpecError, match="thickness"):
        walls_from_grid(["#"], thickness=-1)
    with pytest.raises(SpecError, match=r"unknown character 'S' at row 0, column 1.*marks="):
        walls_from_grid(["#S"])
    assert len(walls_from_grid(["#S"], marks="S")) == 4


MAZE = [
    "#######",
    "#S..#C#",
    "#.#.#.#",
    "#.#...#",
    "#######",
]


def test_grid_parses_shape_walls_marks_and_centres():
    grid = Grid.parse(MAZE, marks="SC")
    assert grid.shape == (5, 7)
    assert grid.walls.dtype == bool and grid.walls.sum() == 35 - len(grid.free_cells())
    assert grid.cells("S") == [(1, 1)] and grid.cells("C") == [(1, 5)]
    assert grid.centre(1, 5) == (5.5, 3.5)
    assert grid.centre(4, 0, cell=2.0, origin=(1.0, 1.0)) == (2.0, 2.0)  # the bottom row sits at the origin
    assert grid.neighbours(1, 1) == [(2, 1), (1, 2)]


def test_grid_path_is_a_shortest_bfs_path():
    grid = Grid.parse(MAZE, marks="SC")
    path = grid.path((1, 1), (1, 5))
    assert path[0] == (1, 1) and path[-1] == (1, 5) and len(path) == 9  # 8 steps round the wall
    assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in zip(path, path[1:]))
    dist = grid.distances((1, 5))
    assert dist[1, 1] == 8 and dist[1, 5] == 0 and dist[0, 0] == -1
    assert grid.path((1, 5), (1, 5)) == [(1, 5)]


def test_grid_path_and_distances_reject_unreachable_or_wall_cells():
    grid = Grid.parse(["#####", "#.#.#", "#####"])
    with pytest.raises(SpecError, match="cannot be reached"):
        grid.path((1, 1), (1, 3))
    assert grid.distances((1, 3))[1, 1] == -1
    with pytest.raises(SpecError, match="goal .* not a free cell"):
        grid.distances((0, 0))
    with pytest.raises(SpecError, match="start .* not a free cell"):
        grid.path((9, 9), (1, 1))


@pytest.mark.parametrize(
    ("rows", "kwargs", "match"),
    [
        (["##", "#"], {}, "row 1 has length 1 but row 0 has 2"),
        (["#X."], {}, r"unknown character 'X' at row 0, column 1; allowed are '#\. '"),
        (["#X."], {"marks": "S"}, "allowed are '#. S'"),
        ([], {}, "empty"),
        ([""], {}, "empty"),
        ("#.#", {}, "splitlines"),
        (np.zeros((2, 2, 2)), {}, "2D"),
        (["#."], {"marks": "#"}, "distinct"),
    ],
)
def test_grid_rejects_bad_input(rows, kwargs, match):
    with pytest.raises(SpecError, match=match):
        Grid.parse(rows, **kwargs)


def test_grid_cells_rejects_an_unknown_mark():
    with pytest.raises(SpecError, match="marks="):
        Grid.parse(["S."], marks="S").cells("C")


@pytest.mark.parametrize(("rows", "cols"), [(3, 3), (5, 9), (21, 21), (15, 7)])
def test_random_maze_is_perfect_and_reaches_every_floor_cell(rows, cols):
    maze = random_maze(np.random.default_rng(rows * cols), rows, cols)
    assert maze.shape == (rows, cols)
    assert maze.walls[0].all() and maze.walls[-1].all() and maze.walls[:, 0].all() and maze.walls[:, -1].all()
    free = maze.free_cells()
    assert (maze.distances((1, 1)) >= 0).sum() == len(free)  # every floor cell reachable
    edges = sum(len(maze.neighbours(*cell)) for cell in free) // 2
    assert edges == len(free) - 1  # a tree: exactly one path between two cells


def test_random_maze_is_deterministic_for_a_seed():
    first = random_maze(np.random.default_rng(7), 11, 11)
    assert random_maze(np.random.default_rng(7), 11, 11) == first
    assert any(random_maze(np.random.default_rng(s), 11, 11) != first for s in range(8, 12))


@pytest.mark.parametrize(("rows", "cols"), [(4, 5), (5, 1), (1, 3), (5.0, 5), (True, 3)])
def test_random_maze_rejects_even_or_small_sizes(rows, cols):
    with pytest.raises(SpecError, match="odd whole number >= 3"):
        random_maze(np.random.default_rng(0), rows, cols)
