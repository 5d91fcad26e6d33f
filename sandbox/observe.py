"""Observation helpers: egocentric features, nearest things by tag, range sensors, small pictures.

A scenario's ``observe`` concatenates the lists these return and turns them into one float32
array (its observation space is derived from that array; never declare a size)::

    def observe(world):
        return np.array(agent_features(world, width=W, height=H, speed=1.5)
                        + nearest(world, "dust", 4, scale=4.0)
                        + rays(world, 8, 3.0), dtype=np.float32)

or returns :func:`pixels` (a uint8 ``(H, W, 3)`` picture) for a CNN policy. Every helper is a
pure function of the world, returning plain Python floats (cheap to concatenate). Offsets are
in the agent's frame, ``(ahead, left)``: ``ahead`` along its heading, ``left`` 90 degrees
anticlockwise of it (a platformer's heading is 0 facing right, pi facing left).

Examples
--------
>>> from sandbox import Body, Driver, SceneSpec, World
>>> spec = SceneSpec(width=4.0, height=2.0, entities=(
...     Driver(x=1.0, y=1.0), Body(x=3.0, y=1.0, tags=("dust",)), Body(x=1.0, y=1.5, tags=("dust",))))
>>> world = World(spec)
>>> agent_features(world, width=4.0, height=2.0, speed=1.5)
[-0.5, 0.0, 0.0, 0.0, 1.0, 0.0]
>>> nearest(world, "dust", 3, scale=2.0)
[0.0, 0.25, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pymunk
from PIL import Image

from sandbox.appearance import COLOURS
from sandbox.errors import ObservationError
from sandbox.render import render_world
from sandbox.world import World

__all__ = ["agent_features", "nearest", "offsets", "pixels", "rays", "to_agent_frame"]

_EVERYTHING = pymunk.ShapeFilter()
"""A query filter that lets every shape through (the agent's own are skipped by hand)."""
_FRAMES = ("agent", "world")
"""The frames offsets and velocities can be given in: the agent's ``(ahead, left)``, the world's ``(east, north)``."""
_SUPERSAMPLE = 2
""":func:`pixels` draws at this many times the target size, then shrinks (smoother small pictures)."""


def _agent(world: World, helper: str):
    agent = world.agent
    if agent is None:
        raise ObservationError(
            f"{helper}() reads the agent, but this scene has none; add a Driver or a Platformer to its entities."
        )
    return agent


def agent_features(world: World, *, width: float, height: float, speed: float, frame: str = "agent") -> list[float]:
    """The agent's own state, 6 floats: position scaled to [-1, 1] over the ``width`` x ``height``
    floor [m], velocity in its frame ``(ahead, left)`` as fractions of ``speed`` [m/s] (with
    ``frame="world"``: ``(east, north)``), and its heading as ``(cos, sin)``.

    Examples
    --------
    >>> from sandbox import Driver, SceneSpec, World
    >>> world = World(SceneSpec(width=2.0, height=2.0, entities=(Driver(x=1.5, y=0.5, heading=math.pi / 2),)))
    >>> [round(v, 6) for v in agent_features(world, width=2.0, height=2.0, speed=1.0)]
    [0.5, -0.5, 0.0, 0.0, 0.0, 1.0]
    """
    x, y, heading, vx, vy = _agent(world, "agent_features").state
    c, s = math.cos(heading), math.sin(heading)
    _check_frame(frame, "agent_features")
    tc, ts = (c, s) if frame == "agent" else (1.0, 0.0)
    return [2 * x / width - 1, 2 * y / height - 1, (vx * tc + vy * ts) / speed, (vy * tc - vx * ts) / speed, c, s]


def _check_frame(frame: str, helper: str) -> None:
    if frame not in _FRAMES:
        raise ObservationError(f"{helper}(): frame={frame!r} is not a frame; give 'agent' (ahead, left of the agent) "
                               "or 'world' (east, north).")


def to_agent_frame(world: World, x: float, y: float, scale: float = 1.0) -> tuple[float, float]:
    """Where the world point ``(x, y)`` [m] lies from the agent: ``(ahead, left) / scale``.

    Examples
    --------
    >>> from sandbox import Driver, SceneSpec, World
    >>> world = World(SceneSpec(width=4.0, height=4.0, entities=(Driver(x=1.0, y=1.0, heading=math.pi / 2),)))
    >>> [round(v, 6) for v in to_agent_frame(world, 3.0, 1.0, scale=2.0)]  # 2 m east: to its right
    [0.0, -1.0]
    """
    ax, ay, heading, _, _ = _agent(world, "to_agent_frame").state
    c, s = math.cos(heading) / scale, math.sin(heading) / scale
    dx, dy = x - ax, y - ay
    return dx * c + dy * s, dy * c - dx * s


def offsets(world: World, points: Iterable[Sequence[float]], scale: float = 1.0) -> list[float]:
    """:func:`to_agent_frame` of many points, flattened: ``[ahead0, left0, ahead1, left1, ...]``.

    Examples
    --------
    >>> from sandbox import Driver, SceneSpec, World
    >>> world = World(SceneSpec(width=4.0, height=4.0, entities=(Driver(x=1.0, y=1.0),)))
    >>> offsets(world, [(2.0, 1.0), (1.0, 3.0)], scale=2.0)
    [0.5, 0.0, 0.0, 1.0]
    """
    ax, ay, heading, _, _ = _agent(world, "offsets").state
    c, s = math.cos(heading) / scale, math.sin(heading) / scale
    out: list[float] = []
    for x, y in points:
        dx, dy = x - ax, y - ay
        out += (dx * c + dy * s, dy * c - dx * s)
    return out


def _check_tags(world: World, tags: tuple[str, ...], helper: str) -> None:
    """:class:`ObservationError` for a tag that no entity of the scene carries."""
    for tag in tags:
        if not world.tagged(tag).size:
            known = sorted({t for e in world.spec.entities for t in e.tags})
            close = difflib.get_close_matches(tag, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ObservationError(
                f"{helper}(): no entity of this scene has the tag {tag!r}; {hint}the scene's tags are {known}. "
                f"If {tag!r} things are absent from some scenes only, pass required=False (their slots are then zeros)."
            )


def _tag_tuple(tags: str | Sequence[str], helper: str) -> tuple[str, ...]:
    tags = (tags,) if isinstance(tags, str) else tuple(tags)
    if not tags or not all(isinstance(t, str) and t for t in tags):
        raise ObservationError(f"{helper}() needs a tag or a tuple of tags (non-empty strings), got {tags!r}.")
    return tags


def nearest(
    world: World,
    tags: str | Sequence[str],
    k: int,
    *,
    scale: float,
    appearance: bool = False,
    shapes: Sequence[str] = (),
    nutrients: Sequence[str] = (),
    colours: Sequence[str] = (),
    required: bool = True,
    frame: str = "agent",
) -> list[float]:
    """The ``k`` nearest entities still in the scene that carry any of ``tags``, nearest first.

    Each takes one slot: ``(ahead, left) / scale`` from the agent (``(east, north) / scale`` with
    ``frame="world"``, for a driver that acts in the world's frame) and ``present = 1``; with
    ``appearance=True`` also its colour (:attr:`~sandbox.Appearance.rgb`, 3 floats) and a
    one-hot of its appearance's shape name over the vocabulary ``shapes`` (all zeros for an
    entity whose shape has no name). With a vocabulary of ``colours`` (names from
    :data:`~sandbox.COLOURS`) the colour is a one-hot over it instead of RGB, so that colour and
    shape reach a learner alike: no colour then resembles another by its channels. With
    ``nutrients`` (names, e.g. ``("sweetness",)``), each slot ends with the amounts of those
    nutrients the entity holds (0 for a nutrient it lacks, and for anything not a
    :class:`~sandbox.Consumable`): what the agent can smell or taste. Slots without an entity are
    zeros (``present = 0``). A slot is ``3`` floats long, plus ``3 + len(shapes)`` with appearance
    (``len(colours) + len(shapes)`` with ``colours``), plus ``len(nutrients)``; the list is always
    ``k`` slots.

    With ``required=True`` a tag that no entity of the scene carries is an
    :class:`~sandbox.errors.ObservationError` (a typo would otherwise read as "none there");
    pass ``required=False`` for things that some scenes lack. A named shape missing from
    ``shapes``, a colour missing from ``colours``, or a name in ``colours`` that is not a known
    colour, is an error too.

    Examples
    --------
    >>> from sandbox import Appearance, Body, Driver, SceneSpec, World
    >>> world = World(SceneSpec(width=4.0, height=2.0, entities=(
    ...     Driver(x=1.0, y=1.0), Body(x=2.0, y=1.0, tags=("gem",), appearance=Appearance("yellow", "star")))))
    >>> nearest(world, "gem", 1, scale=1.0, appearance=True, shapes=("gem", "star"))
    [1.0, 0.0, 1.0, 0.95, 0.8, 0.15, 0.0, 1.0]
    >>> nearest(world, "gem", 1, scale=1.0, appearance=True, shapes=("gem", "star"), colours=("red", "yellow"))
    [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    >>> nearest(world, "gem", 1, scale=1.0, appearance=True, colours=("yelow",))
    Traceback (most recent call last):
    ...
    sandbox.errors.ObservationError: nearest(): colours=('yelow',) names 'yelow', which is not a known colour; did you mean ...
    >>> nearest(world, "gme", 1, scale=1.0)
    Traceback (most recent call last):
    ...
    sandbox.errors.ObservationError: nearest(): no entity of this scene has the tag 'gme'; did you mean 'gem'? ...
    """
    tags = (tags,) if type(tags) is str and tags else _tag_tuple(tags, "nearest")
    agent = world.agent
    x, y, heading, _, _ = (agent if agent is not None else _agent(world, "nearest")).state
    _check_frame(frame, "nearest")
    turn = heading if frame == "agent" else 0.0
    c, s = math.cos(turn) / scale, math.sin(turn) / scale
    if not appearance and not nutrients:
        if len(tags) == 1:
            points = world.where(tags[0]).tolist()
            if not points and required:  # none left, or none ever: only the second is an error
                _check_tags(world, tags, "nearest")
        else:
            if required:
                _check_tags(world, tags, "nearest")
            index = np.unique(np.concatenate([world.tagged(t) for t in tags]))  # once, though it has two of them
            points = world.positions[index[world.present[index]]]
            points = points[~np.isnan(points[:, 0])].tolist()  # walls have no centre
        near = []
        for px, py in points:
            dx, dy = px - x, py - y
            near.append((dx * dx + dy * dy, dx, dy))
        near.sort()
        out: list[float] = []
        for _, dx, dy in near[:k]:
            out += (dx * c + dy * s, dy * c - dx * s, 1.0)
        if len(near) < k:
            out += (0.0,) * (3 * (k - len(near)))
        return out

    index = world.tagged(tags[0]) if len(tags) == 1 else np.unique(np.concatenate([world.tagged(t) for t in tags]))
    if required:
        _check_tags(world, tags, "nearest")
    index = index[world.present[index]]
    positions = world.positions[index].tolist()
    near = []
    for i, (px, py) in zip(index.tolist(), positions):
        dx, dy = px - x, py - y
        d2 = dx * dx + dy * dy
        if d2 == d2:
            near.append((d2, dx, dy, i))
    near.sort()
    vocabulary = tuple(shapes)
    tastes = (nutrients,) if isinstance(nutrients, str) else tuple(nutrients)
    key = ("nearest", appearance, vocabulary, colours if isinstance(colours, str) else tuple(colours), tastes)
    try:
        memo = world.memo.get(key)
    except TypeError:  # a list inside the vocabularies
        raise ObservationError(f"nearest() needs names (strings) in shapes, colours and nutrients, got shapes={shapes!r}, "
                               f"colours={colours!r}, nutrients={nutrients!r}.") from None
    if memo is None:  # an entity's looks and nutrients never change: each is worked out once per scene
        if not all(isinstance(name, str) and name for name in tastes):
            raise ObservationError(f"nearest() needs nutrient names (non-empty strings), got nutrients={nutrients!r}.")
        memo = world.memo[key] = (_palette(colours), {})
    palette, features = memo
    out = []
    for _, dx, dy, i in near[:k]:
        out += (dx * c + dy * s, dy * c - dx * s, 1.0)
        seen = features.get(i)
        if seen is None:
            seen = features[i] = _features(world, i, appearance, vocabulary, palette, tastes)
        out += seen
    width = 3 + ((len(palette) or 3) + len(vocabulary) if appearance else 0) + len(tastes)
    if len(near) < k:
        out += (0.0,) * (width * (k - len(near)))
    return out


def _features(world: World, i: int, appearance: bool, vocabulary: tuple[str, ...], palette: tuple[str, ...],
              tastes: tuple[str, ...]) -> tuple[float, ...]:
    """What :func:`nearest` says of entity ``i`` beyond its offset and presence: its looks, then its nutrients."""
    entity, out = world.spec.entities[i], []
    if appearance:
        look = entity.appearance
        colour = look.rgb if not palette else _colour_onehot(world, i, palette)
        onehot = [0.0] * len(vocabulary)
        if look.shape:
            if look.shape not in vocabulary:
                raise ObservationError(
                    f"nearest(): entity {i} ({'/'.join(entity.tags)}) looks like a {look.shape!r}, "
                    f"which is not in shapes={vocabulary!r}; add it to the shapes vocabulary."
                )
            onehot[vocabulary.index(look.shape)] = 1.0
        out += (*colour, *onehot)
    if tastes:
        held = dict(getattr(entity, "nutrients", ()))
        out += (held.get(name, 0.0) for name in tastes)
    return tuple(out)


def _palette(colours: Sequence[str]) -> tuple[str, ...]:
    """``colours`` as a tuple, each checked to be a name of :data:`~sandbox.COLOURS`."""
    palette = (colours,) if isinstance(colours, str) else tuple(colours)
    for name in palette:
        if name not in COLOURS:
            close = difflib.get_close_matches(str(name), COLOURS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ObservationError(
                f"nearest(): colours={palette!r} names {name!r}, which is not a known colour; {hint}"
                f"Known colours: {', '.join(COLOURS)}."
            )
    return palette


def _colour_onehot(world: World, i: int, palette: tuple[str, ...]) -> list[float]:
    """Entity ``i``'s colour as a one-hot over ``palette``; an :class:`ObservationError` if it is not in it."""
    colour = world.spec.entities[i].appearance.colour
    if colour not in palette:
        raise ObservationError(
            f"nearest(): entity {i} ({'/'.join(world.spec.entities[i].tags)}) is {colour!r}, which is not in "
            f"colours={palette!r}; add it to the colours vocabulary."
        )
    return [float(name == colour) for name in palette]


def rays(world: World, n: int, length: float, *, tags: str | Sequence[str] | None = None, required: bool = True) -> list[float]:
    """A range sensor: ``n`` rays from the agent's centre, evenly spaced around it starting at its
    heading (anticlockwise), each the fraction of ``length`` [m] at which it first hits
    something, 1 when nothing is within reach.

    Without ``tags`` a ray stops at any solid shape (walls, bodies, locks; not sensors such as
    regions and pickups); with ``tags``, only at shapes of entities carrying one of them (sensors
    included), passing through everything else. The agent's own shapes are never seen.

    Examples
    --------
    >>> from sandbox import Driver, SceneSpec, Wall, World
    >>> world = World(SceneSpec(width=4.0, height=2.0, entities=(Driver(x=1.0, y=1.0), *Wall.around(4.0, 2.0))))
    >>> [round(r, 3) for r in rays(world, 4, 2.0)]  # east, north, west, south; walls 0.1 m thick
    [1.0, 0.475, 0.475, 0.475]
    """
    agent = _agent(world, "rays")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 or not length > 0:
        raise ObservationError(
            f"rays() needs a whole number n >= 1 of rays and a length > 0 [m], got n={n!r}, length={length!r}."
        )
    wanted: set[int] | None = None
    if tags is not None:
        tags = _tag_tuple(tags, "rays")
        if required:
            _check_tags(world, tags, "rays")
        wanted = {i for t in tags for i in world.tagged(t).tolist()}
    x, y, heading, _, _ = agent.state
    mine, owner, query = agent.body.shapes, world.entity_of, world.space.segment_query
    out = []
    for i in range(n):
        angle = heading + 2 * math.pi * i / n
        end = (x + length * math.cos(angle), y + length * math.sin(angle))
        best = 1.0
        for hit in query((x, y), end, 0.0, _EVERYTHING):
            shape = hit.shape
            if shape in mine or hit.alpha >= best:
                continue
            if (shape.sensor if wanted is None else owner(shape) not in wanted):
                continue
            best = hit.alpha
        out.append(best)
    return out


def pixels(world: World, size: tuple[int, int] = (32, 32)) -> np.ndarray:
    """A small picture of the whole scene, uint8 ``(height, width, 3)`` for ``size = (height,
    width)`` [pixels]: :func:`sandbox.render.render_world` (top-down, or a side view, y up),
    drawn at a scale that fits and shrunk with Pillow. For CNN policies; the scenario derives a
    uint8 ``Box(0, 255)`` observation space from it.

    Examples
    --------
    >>> from sandbox import Driver, SceneSpec, World
    >>> picture = pixels(World(SceneSpec(width=4.0, height=2.0, entities=(Driver(x=1.0, y=1.0),))), (16, 24))
    >>> picture.shape, picture.dtype
    ((16, 24, 3), dtype('uint8'))
    """
    try:
        height, width = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ObservationError(f"pixels() size must be (height, width) in pixels, got {size!r}.") from None
    if height < 1 or width < 1:
        raise ObservationError(f"pixels() size must be (height, width) >= 1 pixel, got {size!r}.")
    spec = world.spec
    scale = _SUPERSAMPLE * max(width / spec.width, height / spec.height)
    frame = render_world(world, scale)
    picture = Image.fromarray(frame).resize((width, height), Image.Resampling.BOX)
    return np.array(picture, dtype=np.uint8)
