"""Edits of an image's shapes after they are drawn, in the ORIGINAL image's pixels: resizing a
box by one of its eight handles, moving a polygon's vertex, and what became of each shape a
model suggested once the image is saved.

The browser's ``static/edit.js`` does the same geometry live, under the pointer (``edgeSpan`` and
``resized`` there); the widget's twins (``w.resize_shape``) and the tests use these. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._errors import NblabelError
from ._shapes import Box, Point, Polygon, Shape

__all__ = ["BOX_HANDLES", "OUTCOMES", "move_vertex", "resize_box", "resize_shape", "shape_outcomes"]

#: A box's handles: its corners and the middles of its edges, by compass point.
BOX_HANDLES = ("nw", "n", "ne", "e", "se", "s", "sw", "w")

_POINT_DISTANCE = 20.0  # pixels: a point moved farther is another point

#: What became of a suggested shape (:func:`shape_outcomes`).
OUTCOMES = ("accepted", "relabeled", "edited", "deleted")


def _edge(fixed: float, moving: float, toward: int, limit: float, min_size: float):
    """The span ``(low, high)`` between a fixed edge and the edge under the pointer, kept
    within ``0…limit`` and at least ``min_size`` wide. ``toward`` (+1 or -1) is the side the
    moving edge starts on, used when the pointer sits on the fixed edge."""
    moving = min(limit, max(0.0, moving))
    side = toward if moving == fixed else (1 if moving > fixed else -1)
    if abs(moving - fixed) < min_size:
        moving = fixed + side * min_size
        if not 0 <= moving <= limit:  # against the image's border: the fixed edge gives way
            moving = min(limit, max(0.0, moving))
            fixed = moving - side * min_size
    return (fixed, moving) if fixed < moving else (moving, fixed)


def resize_box(
    box: Box,
    handle: str,
    x: float,
    y: float,
    size: tuple[float, float] | None = None,
    min_size: float = 1.0,
) -> Box:
    """``box`` with the edges of ``handle`` (``"nw"``, ``"n"``, … ``"w"``) dragged to the
    pointer at ``(x, y)``: the opposite edges stay; dragged past them, the box turns over.
    Within an image of ``size = (width, height)``, the box stays inside it; it is never
    narrower or lower than ``min_size`` pixels. Touched, it is no longer a suggestion."""
    if handle not in BOX_HANDLES:
        raise NblabelError(f"handle={handle!r}: a box's handles are {list(BOX_HANDLES)}")
    width, height = size if size is not None else (float("inf"), float("inf"))
    x0, y0, x1, y1 = box.bounds
    if "w" in handle:
        x0, x1 = _edge(x1, x, -1, width, min_size)
    elif "e" in handle:
        x0, x1 = _edge(x0, x, 1, width, min_size)
    if "n" in handle:
        y0, y1 = _edge(y1, y, -1, height, min_size)
    elif "s" in handle:
        y0, y1 = _edge(y0, y, 1, height, min_size)
    return Box(x0, y0, x1 - x0, y1 - y0, box.label)


def move_vertex(
    polygon: Polygon, index: int, x: float, y: float, size: tuple[float, float] | None = None
) -> Polygon:
    """``polygon`` with its vertex ``index`` moved to ``(x, y)`` (kept inside an image of
    ``size``). A polygon folded flat is refused: it has no area."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(
        polygon.points
    ):
        raise NblabelError(
            f"vertex {index!r}: the polygon has {len(polygon.points)} vertices, numbered from 0"
        )
    if size is not None:
        x, y = min(size[0], max(0.0, x)), min(size[1], max(0.0, y))
    points = list(polygon.points)
    points[index] = (x, y)
    return Polygon(tuple(points), polygon.label)


def resize_shape(
    shape: Shape, handle: str | int, x: float, y: float, size: tuple[float, float] | None = None
) -> Shape:
    """A box resized by a named handle, or a polygon with vertex ``handle`` moved."""
    if isinstance(shape, Box):
        return resize_box(shape, handle, x, y, size)  # type: ignore[arg-type]
    if isinstance(shape, Polygon):
        return move_vertex(shape, handle, x, y, size)  # type: ignore[arg-type]
    raise NblabelError(
        f"a {shape.type} has no handles to resize: move it, or (a mask) paint and erase it"
    )


# -- suggestions and their outcome ------------------------------------------------------------
def _geometry(shape: Shape) -> tuple:
    if isinstance(shape, Box):
        return ("box", shape.x, shape.y, shape.width, shape.height)
    if isinstance(shape, Point):
        return ("point", shape.x, shape.y)
    if isinstance(shape, Polygon):
        return ("polygon", shape.points)
    return ("mask", shape.size, shape.counts)


def _similarity(a: Shape, b: Shape) -> float:
    """How much two shapes of one kind overlap: the IoU of their extents (what an edit keeps
    of a suggestion; no pixel grid, so no optional package), points by their distance."""
    if a.type != b.type:
        return 0.0
    if isinstance(a, Point) and isinstance(b, Point):
        return max(0.0, 1 - math.hypot(a.x - b.x, a.y - b.y) / _POINT_DISTANCE)
    ax0, ay0, ax1, ay1 = a.bounds
    bx0, by0, bx1, by1 = b.bounds
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def shape_outcomes(suggested: Sequence[Shape], saved: Sequence[Shape]) -> list[dict]:
    """What the human did with each suggested shape, by what was saved: ``accepted`` (saved
    as suggested), ``relabeled`` (the same outline saved with another class: ``"to"`` names
    it), ``edited`` (moved or resized: the saved shape of the same kind that overlaps it most,
    not itself a suggestion; ``"to"`` its class) or ``deleted`` (nothing saved is left of
    it). Each saved shape explains one suggestion at most, exact ones first; overlap is that
    of the shapes' extents (a point: within 20 pixels)."""
    records: list[dict[str, Any]] = [
        {"type": s.type, "label": s.label, "outcome": "deleted"} for s in suggested
    ]
    free = list(range(len(saved)))
    for exact_label in (True, False):  # accepted first, then the same outline relabeled
        for i, shape in enumerate(suggested):
            if records[i]["outcome"] != "deleted":
                continue
            for j in free:
                other = saved[j]
                if _geometry(other) == _geometry(shape) and (
                    (other.label == shape.label) == exact_label
                ):
                    records[i]["outcome"] = "accepted" if exact_label else "relabeled"
                    if not exact_label:
                        records[i]["to"] = other.label
                    free.remove(j)
                    break
    # the rest: the human's own shape (no longer marked as a suggestion) overlapping it most
    for i, shape in enumerate(suggested):
        if records[i]["outcome"] != "deleted":
            continue
        scored = [(_similarity(shape, saved[j]), j) for j in free if not saved[j].prelabel]
        best = max(scored, default=(0.0, -1))
        if best[0] > 0:
            records[i].update(outcome="edited", to=saved[best[1]].label)
            free.remove(best[1])
    return records
