"""Headless top-down rendering of a world (or a spec) to an RGB array with Pillow."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from sandbox.spec import Particle, Region, SceneSpec, Wall

__all__ = ["render_world", "render_spec", "REGION_COLOURS"]

_FLOOR = (238, 234, 224)
_WALL = (70, 70, 80)
_ROBOT = (52, 101, 164)
_BROOM = (237, 180, 40)
_PARTICLE = {True: (120, 110, 100), False: (90, 50, 30)}
REGION_COLOURS = {"dustpan": (196, 160, 100), "chute": (60, 60, 60), "hallway": (215, 225, 235)}
"""Fill colours of well-known region names; others are light grey."""


def _draw(spec: SceneSpec, robot_xy, heading: float, particles, scale: float) -> np.ndarray:
    width, height = int(math.ceil(spec.width * scale)), int(math.ceil(spec.height * scale))
    image = Image.new("RGB", (width, height), _FLOOR)
    draw = ImageDraw.Draw(image)

    def px(x: float, y: float) -> tuple[float, float]:
        return (x * scale, (spec.height - y) * scale)

    for region in spec.of_kind(Region):
        colour = REGION_COLOURS.get(region.name, (210, 210, 210))  # type: ignore[attr-defined]
        (ax, ay), (bx, by) = px(region.x0, region.y1), px(region.x1, region.y0)  # type: ignore[attr-defined]
        draw.rectangle((ax, ay, bx, by), fill=colour)
    for wall in spec.of_kind(Wall):
        for a, b in wall.solid_parts:  # type: ignore[attr-defined]
            draw.line((px(*a), px(*b)), fill=_WALL, width=max(2, int(wall.thickness * scale)))  # type: ignore[attr-defined]
    for (x, y), particle in particles:
        cx, cy = px(x, y)
        r = particle.radius * scale
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_PARTICLE[particle.movable])
    robot = spec.robot
    cx, cy = px(*robot_xy)
    r = robot.radius * scale
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_ROBOT)
    c, s = math.cos(heading), math.sin(heading)
    for part in robot.broom_outline:
        points = [px(robot_xy[0] + u * c - v * s, robot_xy[1] + u * s + v * c) for u, v in part]
        draw.polygon(points, fill=_BROOM)
    return np.asarray(image, dtype=np.uint8)


def render_world(world, scale: float = 48.0) -> np.ndarray:
    """RGB image ``(H, W, 3)`` of a live :class:`~sandbox.world.World`; ``scale`` in pixels per metre."""
    positions = world.positions
    shown = [(tuple(positions[i]), p) for i, p in enumerate(world.particles) if world.captured_by[i] is None]
    return _draw(world.spec, world.robot_position, world.robot_heading, shown, scale)


def render_spec(spec: SceneSpec, scale: float = 48.0) -> np.ndarray:
    """RGB image of a scene's initial state, without building its physics."""
    robot = spec.robot
    shown = [((p.x, p.y), p) for p in spec.of_kind(Particle)]
    return _draw(spec, (robot.x, robot.y), robot.heading, shown, scale)
