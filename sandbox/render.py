"""Headless rendering of a world (or a spec) to an RGB array with Pillow.

Every entity is drawn in its own appearance's colour (:mod:`sandbox.appearance`): regions
first, then walls, bodies and the agent. Top-down and side-view scenes are drawn alike, with
y up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from sandbox.appearance import COLOURS
from sandbox.bodies import Driver, GridWalker, Platformer
from sandbox.entities import Body, Region, Wall
from sandbox.spec import SceneSpec

__all__ = ["render_world", "render_spec", "DEFAULT_SCALE"]

DEFAULT_SCALE = 64.0
"""Pixels per metre: a 0.08 m particle is 10 pixels across."""
_FLOOR = (238, 234, 224)
_OUTLINE = (40, 40, 40)


def _rotate(points, x: float, y: float, angle: float):
    c, s = math.cos(angle), math.sin(angle)
    return [(x + u * c - v * s, y + u * s + v * c) for u, v in points]


def _draw(spec: SceneSpec, poses: Sequence[tuple[float, float, float] | None], scale: float) -> np.ndarray:
    """The scene with each entity at its pose ``(x, y, angle)``; None: not drawn (left the scene)."""
    width, height = int(math.ceil(spec.width * scale)), int(math.ceil(spec.height * scale))
    image = Image.new("RGB", (width, height), _FLOOR)
    draw = ImageDraw.Draw(image)

    def px(x: float, y: float) -> tuple[float, float]:
        return (x * scale, (spec.height - y) * scale)

    def disc(x: float, y: float, r: float, fill, outline=None) -> None:
        cx, cy = px(x, y)
        draw.ellipse((cx - r * scale, cy - r * scale, cx + r * scale, cy + r * scale), fill=fill, outline=outline)

    order = sorted(range(len(spec.entities)), key=lambda i: not isinstance(spec.entities[i], Region))
    for i in order:
        entity, pose = spec.entities[i], poses[i]
        colour = COLOURS[entity.appearance.colour]
        if isinstance(entity, Region):
            if entity.shape == "circle":
                disc(*entity.centre, (entity.x1 - entity.x0) / 2, colour)
            else:
                x0, y0, x1, y1 = entity.bounds
                corners = entity.vertices or ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
                draw.polygon([px(*p) for p in corners], fill=colour)
        elif isinstance(entity, Wall):
            for a, b in entity.solid_parts:
                draw.line((px(*a), px(*b)), fill=colour, width=max(2, int(entity.thickness * scale)))
        elif pose is None:
            continue
        elif isinstance(entity, Body):
            x, y, angle = pose
            outline = _OUTLINE if entity.motion == "static" else None
            if entity.shape == "circle":
                disc(x, y, entity.radius, colour, outline)
            elif entity.shape == "segment":
                a, b = _rotate(entity.vertices, x, y, angle)
                draw.line((px(*a), px(*b)), fill=colour, width=max(2, int(2 * entity.radius * scale)))
            else:
                draw.polygon([px(*p) for p in _rotate(entity.outline(), x, y, angle)], fill=colour, outline=outline)
        elif isinstance(entity, Driver):
            x, y, heading = pose
            disc(x, y, entity.radius, colour)
            for part in entity.tool_outline:
                draw.polygon([px(*p) for p in _rotate(part, x, y, heading)], fill=COLOURS["gold"])
            tip = _rotate([(entity.radius * 0.7, 0.0)], x, y, heading)[0]
            draw.line((px(x, y), px(*tip)), fill=COLOURS["white"], width=max(1, int(scale / 24)))
        elif isinstance(entity, GridWalker):
            disc(pose[0], pose[1], entity.radius, colour)
        elif isinstance(entity, Platformer):
            x, y, _ = pose
            w, h = entity.width / 2, entity.height / 2
            draw.rectangle((*px(x - w, y + h), *px(x + w, y - h)), fill=colour)
    return np.asarray(image, dtype=np.uint8)


def render_world(world, scale: float = DEFAULT_SCALE) -> np.ndarray:
    """RGB image ``(H, W, 3)`` of a live :class:`~sandbox.world.World`; ``scale`` in pixels per metre."""
    return _draw(world.spec, [world.pose(i) for i in range(len(world.spec.entities))], scale)


def render_spec(spec: SceneSpec, scale: float = DEFAULT_SCALE) -> np.ndarray:
    """RGB image of a scene's initial state, without building its physics."""
    poses = [(e.x, e.y, getattr(e, "angle", getattr(e, "heading", 0.0))) if hasattr(e, "x") else None for e in spec.entities]
    return _draw(spec, poses, scale)
