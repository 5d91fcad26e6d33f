"""Authoring helpers for scene recipes: scatter points with gaps, place one point, walls from a grid.

Pure functions: randomness comes only from the ``np.random.Generator`` passed in. Grids are
printed top row first, while world y grows upward: row 0 is the top of the scene.

Examples
--------
>>> import numpy as np
>>> grid = Grid.parse(["#####", "#S#G#", "#...#", "#####"], marks="SG")
>>> (start,), (goal,) = grid.cells("S"), grid.cells("G")
>>> len(grid.path(start, goal)) - 1
4
>>> len(walls_from_grid(grid))
12
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sandbox.errors import SpecError
from sandbox.geometry import MAX_ENTITIES

if TYPE_CHECKING:
    from sandbox import Wall

__all__ = ["Grid", "place", "random_maze", "scatter", "walls_from_grid"]

Box = tuple[float, float, float, float]
Point = tuple[float, float]
Cell = tuple[int, int]
FLOOR = ". "


def _check_area(box: Box, gap: float) -> Box:
    """The box's corners, after checking it is non-empty and ``gap`` is not negative."""
    try:
        x0, y0, x1, y1 = box
    except (TypeError, ValueError):
        raise SpecError(f"box {box!r} is not (x0, y0, x1, y1); give its lower-left and upper-right corners.") from None
    if not (x0 < x1 and y0 < y1):
        raise SpecError(f"box {box!r} is empty; give (x0, y0, x1, y1) with x0 < x1 and y0 < y1.")
    if not gap >= 0:
        raise SpecError(f"gap={gap!r} is not a distance; give a gap >= 0 [m] (0 lets points touch).")
    return x0, y0, x1, y1


def _fit(u: list[float], box: Box, taken: list[Point], gap: float, n: int, tries: int) -> list[Point]:
    """Up to ``n`` points, the first of ``tries`` candidates (pairs of ``u`` scaled into ``box``) that
    keep ``gap`` from ``taken`` and from each other; ``taken`` grows with them."""
    x0, y0, x1, y1 = box
    points: list[Point] = []
    tried, gap2 = 0, gap * gap
    while len(points) < n and tried < tries:
        x, y = x0 + (x1 - x0) * u[2 * tried], y0 + (y1 - y0) * u[2 * tried + 1]
        tried += 1
        for qx, qy in taken:
            if (x - qx) * (x - qx) + (y - qy) * (y - qy) < gap2:
                break
        else:
            points.append((x, y))
            taken.append((x, y))
    return points


def scatter(rng: np.random.Generator, n: int, box: Box, *, avoid: Sequence[Point] = (), gap: float) -> list[Point]:
    """``n`` points uniform in ``box`` (x0, y0, x1, y1), each at least ``gap`` from the others and
    from the ``avoid`` points; in a box too crowded for that, the rest each where the candidates are
    farthest from everything placed (so that bodies laid there overlap as little as the box allows).

    Draws ``rng.random(128 * n)`` once: 64 candidates per point, taken in order. At most
    :data:`~sandbox.geometry.MAX_ENTITIES` points (a scene holds no more entities).

    Examples
    --------
    >>> import math, numpy as np
    >>> points = scatter(np.random.default_rng(0), 3, (0, 0, 4, 4), avoid=[(2, 2)], gap=1.0)
    >>> len(points), all(math.dist(p, q) >= 1.0 for p in points for q in [*points, (2, 2)] if p != q)
    (3, True)
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise SpecError(f"scatter's n={n!r} is not a whole number; give how many points to draw.") from None
    if n < 0:
        raise SpecError(f"scatter's n={n} is negative; give how many points to draw (0 or more).")
    if n > MAX_ENTITIES:
        raise SpecError(
            f"scatter's n={n:,} is more than the {MAX_ENTITIES:,} entities a scene may hold; scatter fewer points."
        )
    box = _check_area(box, gap)
    u = rng.random(128 * n).tolist()
    taken = list(avoid)
    points = _fit(u, box, taken, gap, n, 64 * n)
    if len(points) < n:  # a crowded box: the rest where the candidates are farthest from everything placed
        points += _farthest(u, box, taken, n - len(points))
    return points


def _farthest(u: list[float], box: Box, taken: list[Point], k: int) -> list[Point]:
    """``k`` of the candidates (pairs of ``u`` scaled into ``box``), each in turn the one farthest from
    ``taken`` and the ones picked before it (the first such on ties)."""
    x0, y0, x1, y1 = box
    pairs = np.asarray(u, dtype=np.float64).reshape(-1, 2)
    xs, ys = x0 + (x1 - x0) * pairs[:, 0], y0 + (y1 - y0) * pairs[:, 1]
    nearest = np.full(len(xs), np.inf)
    for start in range(0, len(taken), 256):  # in chunks: (candidates x taken) distances at most 256 wide
        block = np.asarray(taken[start:start + 256], dtype=np.float64).reshape(-1, 2)
        d2 = (xs[:, None] - block[None, :, 0]) ** 2 + (ys[:, None] - block[None, :, 1]) ** 2
        np.minimum(nearest, d2.min(axis=1), out=nearest)
    out: list[Point] = []
    for _ in range(k):
        i = int(np.argmax(nearest))
        x, y = float(xs[i]), float(ys[i])
        out.append((x, y))
        np.minimum(nearest, (xs - x) ** 2 + (ys - y) ** 2, out=nearest)
    return out


def place(rng: np.random.Generator, box: Box, *, avoid: Sequence[Point] = (), gap: float, tries: int = 64) -> Point:
    """One point uniform in ``box``, at least ``gap`` from every ``avoid`` point.

    Draws ``rng.random(2 * tries)`` once; with the default ``tries`` the point equals
    ``scatter(rng, 1, box, avoid=avoid, gap=gap)[0]`` whenever a spot is found.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = place(np.random.default_rng(0), (0, 0, 2, 1), avoid=[(1, 0.5)], gap=0.5)
    >>> 0 <= x <= 2 and 0 <= y <= 1 and (x - 1) ** 2 + (y - 0.5) ** 2 >= 0.25
    True
    """
    box = _check_area(box, gap)
    if tries < 1:
        raise SpecError(f"place's tries={tries} must be at least 1.")
    found = _fit(rng.random(2 * tries).tolist(), box, list(avoid), gap, 1, tries)
    if not found:
        raise SpecError(
            f"place found no spot at least gap={gap} from the {len(avoid)} avoided points in box {box} "
            f"after {tries} tries; lower the gap, enlarge the box, avoid fewer points or raise tries."
        )
    return found[0]


@dataclass(frozen=True)
class Grid:
    """A character grid, printed top row first: ``wall`` cells, floor ``.`` or space, and ``marks``
    (e.g. ``S`` for start) on floor cells a recipe places entities at. Build it with :meth:`parse`."""

    rows: tuple[str, ...]
    wall: str = "#"
    marks: str = ""

    @classmethod
    def parse(cls, rows: Sequence[str] | np.ndarray, *, wall: str = "#", marks: str = "") -> Grid:
        """A grid from equal-length strings, or from a 2D bool/int array (nonzero = wall).

        Examples
        --------
        >>> import numpy as np
        >>> Grid.parse(np.array([[1, 1], [0, 1]])).rows
        ('##', '.#')
        """
        if isinstance(rows, str):
            raise SpecError("Grid rows is one string; give a list of row strings, e.g. text.splitlines().")
        if isinstance(rows, np.ndarray):
            if rows.ndim != 2 or rows.dtype.kind not in "biu":
                raise SpecError(f"Grid array has shape {rows.shape} and dtype {rows.dtype}; give a 2D bool or int array.")
            rows = ["".join(wall if v else "." for v in row) for row in rows]
        return cls(tuple(rows), wall=wall, marks=marks)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(self.rows))
        if len(self.wall) != 1 or self.wall in FLOOR or set(self.marks) & set(FLOOR + self.wall):
            raise SpecError(
                f"Grid wall={self.wall!r} and marks={self.marks!r} must be distinct characters other than '.' and ' '."
            )
        if not self.rows or not self.rows[0]:
            raise SpecError("Grid is empty; give at least one non-empty row.")
        allowed = self.wall + FLOOR + self.marks
        for r, row in enumerate(self.rows):
            if not isinstance(row, str) or len(row) != len(self.rows[0]):
                raise SpecError(
                    f"Grid row {r} has length {len(row)} but row 0 has {len(self.rows[0])}; give rows of equal length."
                )
            for c, char in enumerate(row):
                if char not in allowed:
                    raise SpecError(
                        f"Grid has unknown character {char!r} at row {r}, column {c}; allowed are {allowed!r} "
                        f"(wall {self.wall!r}, floor '.' or ' ', marks {self.marks!r}); add it to marks= if it marks a cell."
                    )

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)``."""
        return len(self.rows), len(self.rows[0])

    @property
    def walls(self) -> np.ndarray:
        """Boolean array, True on wall cells."""
        return np.array([[char == self.wall for char in row] for row in self.rows], dtype=bool)

    def centre(self, r: int, c: int, cell: float = 1.0, origin: Point = (0.0, 0.0)) -> Point:
        """World position [m] of cell ``(r, c)``'s centre, for cells of side ``cell`` with the
        grid's lower-left corner at ``origin``.

        >>> Grid.parse(["..", ".."]).centre(0, 1, cell=2.0)
        (3.0, 3.0)
        """
        _check_cell_size(cell)
        return origin[0] + (c + 0.5) * cell, origin[1] + (self.shape[0] - 1 - r + 0.5) * cell

    def cells(self, mark: str) -> list[Cell]:
        """The cells holding ``mark``, row by row."""
        if len(mark) != 1 or mark not in self.wall + FLOOR + self.marks:
            raise SpecError(f"Grid has no mark {mark!r}; its marks are {self.marks!r} (add it to marks= when parsing).")
        return [(r, c) for r, row in enumerate(self.rows) for c, char in enumerate(row) if char == mark]

    def free_cells(self) -> list[Cell]:
        """The non-wall cells, row by row."""
        return [(r, c) for r, row in enumerate(self.rows) for c, char in enumerate(row) if char != self.wall]

    def neighbours(self, r: int, c: int) -> list[Cell]:
        """The free cells above, below, left and right of ``(r, c)`` (in that order)."""
        nrows, ncols = self.shape
        near = ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
        return [(i, j) for i, j in near if 0 <= i < nrows and 0 <= j < ncols and self.rows[i][j] != self.wall]

    def _free(self, cell: Cell, what: str) -> Cell:
        r, c = cell
        if not (0 <= r < self.shape[0] and 0 <= c < self.shape[1]) or self.rows[r][c] == self.wall:
            raise SpecError(f"{what} {cell} is not a free cell of the {self.shape[0]}x{self.shape[1]} grid; pick a floor cell.")
        return r, c

    def distances(self, goal: Cell) -> np.ndarray:
        """Steps from each cell to ``goal`` through free cells (4-connected); -1 for walls and unreachable cells."""
        dist = np.full(self.shape, -1, dtype=int)
        dist[self._free(goal, "goal")] = 0
        queue = deque([goal])
        while queue:
            here = queue.popleft()
            for near in self.neighbours(*here):
                if dist[near] < 0:
                    dist[near] = dist[here] + 1
                    queue.append(near)
        return dist

    def path(self, start: Cell, goal: Cell) -> list[Cell]:
        """A shortest 4-connected path of free cells from ``start`` to ``goal``, both included."""
        dist, here = self.distances(goal), self._free(start, "start")
        if dist[here] < 0:
            raise SpecError(f"goal {goal} cannot be reached from start {start}; open a path between them.")
        path = [here]
        while dist[here] > 0:
            here = next(near for near in self.neighbours(*here) if dist[near] == dist[here] - 1)
            path.append(here)
        return path


def _check_cell_size(cell: float) -> None:
    if not cell > 0:
        raise SpecError(f"cell={cell!r} must be a positive cell side [m].")


def _runs(a: list[bool], b: list[bool]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run where the two rows of cells differ (plain lists: numpy costs more for a maze's
    dozen cells)."""
    runs, start = [], -1
    for i, differ in enumerate(map(operator.ne, a, b)):
        if differ and start < 0:
            start = i
        elif not differ and start >= 0:
            runs.append((start, i))
            start = -1
    if start >= 0:
        runs.append((start, len(a)))
    return runs


def walls_from_grid(
    rows: Grid | Sequence[str] | np.ndarray,
    *,
    cell: float = 1.0,
    origin: Point = (0.0, 0.0),
    wall: str = "#",
    marks: str = "",
    thickness: float = 0.1,
) -> tuple[Wall, ...]:
    """Wall segments along every edge between a wall cell and a floor cell or the grid's outside,
    collinear neighbours merged. Cell ``(r, c)`` spans x in ``origin_x + c*cell + [0, cell]`` and y in
    ``origin_y + (nrows-1-r)*cell + [0, cell]``; walls are centred on the edges, ``thickness`` wide.

    Examples
    --------
    >>> [(w.x0, w.y0, w.x1, w.y1) for w in walls_from_grid(["##"])]
    [(0.0, 1.0, 2.0, 1.0), (0.0, 0.0, 2.0, 0.0), (0.0, 0.0, 0.0, 1.0), (2.0, 0.0, 2.0, 1.0)]
    """
    from sandbox import Wall  # at call time, so that sandbox/__init__ may import this module

    grid = rows if isinstance(rows, Grid) else Grid.parse(rows, wall=wall, marks=marks)
    _check_cell_size(cell)
    if not thickness > 0:
        raise SpecError(f"thickness={thickness!r} must be a positive wall thickness [m].")
    (nrows, ncols), (ox, oy) = grid.shape, origin
    padded = np.pad(grid.walls, 1)
    across, down = padded[:, 1:-1].tolist(), padded[1:-1].T.tolist()  # rows, and columns, of cells
    segments = []
    for k in range(nrows + 1):  # the line below printed row k-1, at y = oy + (nrows-k)*cell
        y = oy + (nrows - k) * cell
        for a, b in _runs(across[k], across[k + 1]):
            segments.append((ox + a * cell, y, ox + b * cell, y))
    for j in range(ncols + 1):  # the line left of column j, at x = ox + j*cell
        x = ox + j * cell
        for a, b in _runs(down[j], down[j + 1]):
            segments.append((x, oy + (nrows - b) * cell, x, oy + (nrows - a) * cell))
    return tuple(Wall(x0=x0, y0=y0, x1=x1, y1=y1, thickness=thickness) for x0, y0, x1, y1 in segments)


def random_maze(rng: np.random.Generator, rows: int, cols: int) -> Grid:
    """A perfect maze (one path between any two floor cells), carved by randomized depth-first
    search over the odd cells of a ``rows`` x ``cols`` grid of walls ``#`` and floor ``.``.

    Examples
    --------
    >>> import numpy as np
    >>> print("\\n".join(random_maze(np.random.default_rng(0), 5, 7).rows))
    #######
    #.....#
    #####.#
    #.....#
    #######
    """
    for name, size in (("rows", rows), ("cols", cols)):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 3 or size % 2 == 0:
            raise SpecError(f"random_maze {name}={size!r} must be an odd whole number >= 3 (walls around odd cells).")
    carved = np.zeros((rows, cols), dtype=bool)
    carved[1, 1] = True
    stack = [(1, 1)]
    while stack:
        r, c = stack[-1]
        options = [
            (r + dr, c + dc)
            for dr, dc in ((-2, 0), (2, 0), (0, -2), (0, 2))
            if 0 < r + dr < rows and 0 < c + dc < cols and not carved[r + dr, c + dc]
        ]
        if not options:
            stack.pop()
            continue
        nr, nc = options[rng.integers(len(options))]
        carved[(r + nr) // 2, (c + nc) // 2] = carved[nr, nc] = True
        stack.append((nr, nc))
    return Grid.parse(["".join("." if v else "#" for v in row) for row in carved])
