"""Shapes drawn on an image, as plain dataclasses in the ORIGINAL image's pixels.

A box, a polygon, a point or a mask (run-length encoded) carries its class as ``label``. All the
shapes of one image are one annotation in the store: a list of shape dicts (:func:`to_dicts`),
checked on the way in (:func:`shapes_from`) so that a wrong shape is refused with the shape and
the fix named, never stored. Coordinates are floats in the image as the user sees it (EXIF
orientation applied), whatever the zoom, pan or display downscale: :class:`ViewTransform` maps
screen pixels to image pixels and back. Pure: numpy only.

A mask is COCO's uncompressed RLE: ``counts`` alternate runs of 0 and 1 (starting with 0) over
the pixels in column-major (Fortran) order, ``size`` is ``[height, width]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._errors import NblabelError

__all__ = [
    "SHAPE_TYPES",
    "Box",
    "Mask",
    "Point",
    "Polygon",
    "Shape",
    "ViewTransform",
    "as_suggestions",
    "mask_decode",
    "mask_encode",
    "shape_from_dict",
    "shapes_from",
    "to_dicts",
]


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise NblabelError(f"{what} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise NblabelError(f"{what} must be a finite number, not {value!r}")
    return number


def _check_label(label: Any, what: str) -> Any:
    if isinstance(label, bool) or not isinstance(label, (str, int, np.integer)):
        raise NblabelError(f"{what}: the class (label) must be a string or an int, not {label!r}")
    if isinstance(label, str) and not label.strip():
        raise NblabelError(f"{what}: the class (label) is blank: give one of the classes")
    return int(label) if isinstance(label, np.integer) else label


@dataclass(frozen=True)
class Box:
    """An axis-aligned box: top-left corner ``(x, y)``, ``width`` and ``height`` in pixels."""

    x: float
    y: float
    width: float
    height: float
    label: Any
    prelabel: bool = False  # a model's suggestion, not yet touched by a person
    type: str = field(default="box", init=False)

    def __post_init__(self) -> None:
        for name in ("x", "y", "width", "height"):
            object.__setattr__(self, name, _number(getattr(self, name), f"a box's {name}"))
        if self.width <= 0 or self.height <= 0:
            raise NblabelError(
                f"a box needs a positive width and height, not {self.width} × {self.height}: "
                "give (x, y) as its top-left corner and its size"
            )
        object.__setattr__(self, "label", _check_label(self.label, "a box"))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)``."""
        return (self.x, self.y, self.x + self.width, self.y + self.height)

    @property
    def area(self) -> float:
        return self.width * self.height

    def to_dict(self) -> dict:
        d = {"type": "box", "x": self.x, "y": self.y, "width": self.width,
             "height": self.height, "label": self.label}  # fmt: skip
        if self.prelabel:
            d["prelabel"] = True
        return d


@dataclass(frozen=True)
class Polygon:
    """A closed polygon: three or more ``(x, y)`` vertices in pixels (not repeating the first)."""

    points: tuple[tuple[float, float], ...]
    label: Any
    prelabel: bool = False
    type: str = field(default="polygon", init=False)

    def __post_init__(self) -> None:
        if isinstance(self.points, (str, bytes)) or not isinstance(self.points, Iterable):
            raise NblabelError(
                f"a polygon's points are a list of (x, y) pairs, not {self.points!r}"
            )
        points = []
        for i, point in enumerate(self.points):
            if (
                isinstance(point, (str, bytes))
                or not isinstance(point, Sequence)
                or len(point) != 2
            ):
                raise NblabelError(f"a polygon's point {i} must be an (x, y) pair, not {point!r}")
            points.append(
                (_number(point[0], f"point {i}'s x"), _number(point[1], f"point {i}'s y"))
            )
        if len(points) > 3 and points[0] == points[-1]:
            points.pop()  # closed by repeating the first vertex: the same polygon
        if len(points) < 3:
            raise NblabelError(f"a polygon needs at least 3 points, not {len(points)}")
        object.__setattr__(self, "points", tuple(points))
        if self.area <= 0:
            raise NblabelError("a polygon whose points are all on one line has no area")
        object.__setattr__(self, "label", _check_label(self.label, "a polygon"))

    @property
    def area(self) -> float:
        xs = np.array([p[0] for p in self.points])
        ys = np.array([p[1] for p in self.points])
        return float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return (min(xs), min(ys), max(xs), max(ys))

    def to_dict(self) -> dict:
        d = {"type": "polygon", "points": [list(p) for p in self.points], "label": self.label}
        if self.prelabel:
            d["prelabel"] = True
        return d


@dataclass(frozen=True)
class Point:
    """A keypoint at ``(x, y)`` in pixels."""

    x: float
    y: float
    label: Any
    prelabel: bool = False
    type: str = field(default="point", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "x", _number(self.x, "a point's x"))
        object.__setattr__(self, "y", _number(self.y, "a point's y"))
        object.__setattr__(self, "label", _check_label(self.label, "a point"))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x, self.y)

    def to_dict(self) -> dict:
        d = {"type": "point", "x": self.x, "y": self.y, "label": self.label}
        if self.prelabel:
            d["prelabel"] = True
        return d


@dataclass(frozen=True)
class Mask:
    """A pixel mask as COCO's uncompressed RLE: ``size = (height, width)`` and ``counts``,
    runs of 0 then 1 alternating, over the pixels in column-major order."""

    size: tuple[int, int]
    counts: tuple[int, ...]
    label: Any
    prelabel: bool = False
    type: str = field(default="mask", init=False)

    def __post_init__(self) -> None:
        try:
            height, width = (int(v) for v in self.size)
        except (TypeError, ValueError):
            raise NblabelError(f"a mask's size is [height, width], not {self.size!r}") from None
        if height <= 0 or width <= 0:
            raise NblabelError(f"a mask's size must be positive, not {[height, width]}")
        if isinstance(self.counts, (str, bytes)):
            raise NblabelError(
                "a mask's counts are a list of run lengths (uncompressed RLE); turn a COCO "
                "compressed string into one with nblabel's mask_encode(mask_array)"
            )
        counts = tuple(int(_number(c, "a mask's run length")) for c in self.counts)
        if any(c < 0 for c in counts) or any(c == 0 for c in counts[1:]):
            raise NblabelError("a mask's run lengths must be positive (only the first may be 0)")
        if sum(counts) != height * width:
            raise NblabelError(
                f"a mask's run lengths add up to {sum(counts)} pixels, but its size "
                f"{height}×{width} has {height * width}"
            )
        object.__setattr__(self, "size", (height, width))
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "label", _check_label(self.label, "a mask"))

    @classmethod
    def from_array(cls, array: Any, label: Any, prelabel: bool = False) -> Mask:
        """A mask from a 2-D boolean (or 0/1) array."""
        height, width, counts = mask_encode(array)
        return cls((height, width), tuple(counts), label, prelabel)

    def to_array(self) -> np.ndarray:
        return mask_decode(self.size, self.counts)

    @property
    def area(self) -> float:
        return float(sum(self.counts[1::2]))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        array = self.to_array()
        ys, xs = np.nonzero(array)
        if not len(xs):
            return (0.0, 0.0, 0.0, 0.0)
        return (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))

    def to_dict(self) -> dict:
        d = {"type": "mask", "size": list(self.size), "counts": list(self.counts),
             "label": self.label}  # fmt: skip
        if self.prelabel:
            d["prelabel"] = True
        return d


Shape = Box | Polygon | Point | Mask
SHAPE_TYPES = {"box": Box, "polygon": Polygon, "point": Point, "mask": Mask}


def mask_encode(array: Any) -> tuple[int, int, list[int]]:
    """``(height, width, counts)`` of a 2-D mask: COCO's uncompressed RLE."""
    mask = np.asarray(array)
    if mask.ndim != 2:
        raise NblabelError(f"a mask is a 2-D array (height × width), not of shape {mask.shape}")
    if mask.dtype != bool:
        if not np.isin(mask, (0, 1)).all():
            raise NblabelError("a mask holds booleans or 0/1 only")
        mask = mask.astype(bool)
    flat = mask.ravel(order="F").astype(np.int8)
    changes = np.flatnonzero(np.diff(flat)) + 1
    edges = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(edges).tolist()
    if flat.size and flat[0]:
        counts = [0, *counts]
    return mask.shape[0], mask.shape[1], [int(c) for c in counts]


def mask_decode(size: Sequence[int], counts: Sequence[int]) -> np.ndarray:
    """The boolean ``height × width`` array of an uncompressed RLE."""
    height, width = (int(v) for v in size)
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, np.asarray(counts, dtype=np.int64))
    return flat.reshape((height, width), order="F")


_FIELDS = {
    "box": ("x", "y", "width", "height"),
    "polygon": ("points",),
    "point": ("x", "y"),
    "mask": ("size", "counts"),
}


def shape_from_dict(data: Any, *, index: int = 0) -> Shape:
    """The shape a dict describes (as :meth:`Box.to_dict` and friends write it), checked."""
    where = f"shape {index}"
    if isinstance(data, (Box, Polygon, Point, Mask)):
        return data
    if not isinstance(data, dict):
        raise NblabelError(
            f"{where} must be a dict such as {{'type': 'box', 'x': 10, 'y': 20, 'width': 30, "
            f"'height': 40, 'label': 'car'}}, not {data!r}"
        )
    kind = data.get("type")
    if kind not in SHAPE_TYPES:
        raise NblabelError(
            f"{where} has type {kind!r}: a shape's 'type' is one of {sorted(SHAPE_TYPES)}"
        )
    needed = (*_FIELDS[kind], "label")
    missing = [name for name in needed if name not in data]
    if missing:
        raise NblabelError(f"{where} (a {kind}) lacks {missing}: a {kind} has {list(needed)}")
    unknown = sorted(set(data) - {*needed, "type", "prelabel"})
    if unknown:
        raise NblabelError(
            f"{where} (a {kind}) has unknown fields {unknown}; it has {list(needed)}"
        )
    try:
        return SHAPE_TYPES[kind](
            *(data[name] for name in needed), prelabel=bool(data.get("prelabel", False))
        )
    except NblabelError as exc:
        raise NblabelError(f"{where}: {exc}") from None


def shapes_from(
    value: Any,
    *,
    classes: Sequence[Any] | None = None,
    size: tuple[int, int] | None = None,
) -> list[Shape]:
    """The shapes of one image, checked: each a valid shape whose class is one of ``classes``
    and (with ``size = (width, height)``) that lies within the image."""
    if isinstance(value, (dict, str, bytes)) or not isinstance(value, Iterable):
        raise NblabelError(
            f"the shapes of an image are a list of shape dicts, not {type(value).__name__}"
        )
    shapes = [shape_from_dict(item, index=i) for i, item in enumerate(value)]
    for i, shape in enumerate(shapes):
        if classes is not None and shape.label not in classes:
            raise NblabelError(
                f"shape {i} has the class {shape.label!r}, which is not one of {list(classes)!r}"
            )
        if size is not None:
            check_inside(shape, size, index=i)
    return shapes


def check_inside(
    shape: Shape, size: tuple[int, int], *, index: int = 0, slack: float = 0.5
) -> None:
    """Refuse a shape that lies outside an image of ``size = (width, height)`` pixels."""
    width, height = size
    if isinstance(shape, Mask):
        if shape.size != (height, width):
            raise NblabelError(
                f"shape {index}: the mask is {shape.size[1]}×{shape.size[0]} pixels but the image "
                f"is {width}×{height}: a mask covers the whole image"
            )
        return
    x0, y0, x1, y1 = shape.bounds
    if x0 < -slack or y0 < -slack or x1 > width + slack or y1 > height + slack:
        raise NblabelError(
            f"shape {index} ({shape.type}) spans x {x0:g}…{x1:g}, y {y0:g}…{y1:g}, outside the "
            f"{width}×{height} image: coordinates are in the original image's pixels"
        )


def as_suggestions(value: Any, label: Any) -> list[Shape]:
    """What a model returned as suggested shapes of class ``label``: a shape (or its dict), a
    2-D boolean mask array, a list of ``(x, y)`` vertices (a polygon), or a list of those."""
    if isinstance(value, (Box, Polygon, Point, Mask)):
        data = {**value.to_dict(), "label": label}
    elif isinstance(value, dict):
        data = {**value, "label": label}
    elif isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] != 2:
        return [Mask.from_array(value, label, prelabel=True)]
    elif isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        pairs = len(items) >= 3 and all(
            isinstance(p, (list, tuple, np.ndarray)) and len(p) == 2
            and all(isinstance(v, (int, float, np.number)) for v in p)
            for p in items
        )  # fmt: skip
        if pairs:
            return [Polygon(tuple((float(x), float(y)) for x, y in items), label, prelabel=True)]
        return [shape for item in items for shape in as_suggestions(item, label)]
    elif value is None:
        return []
    else:
        raise NblabelError(
            f"the assistant returned {type(value).__name__}: return a shape dict, a 2-D boolean "
            "mask, a list of (x, y) vertices, or a list of those"
        )
    data["prelabel"] = True
    return [shape_from_dict(data)]


def to_dicts(shapes: Iterable[Shape]) -> list[dict]:
    """The stored form of a list of shapes: plain dicts (what the store and exports read)."""
    return [shape.to_dict() for shape in shapes]


@dataclass(frozen=True)
class ViewTransform:
    """How image pixels land on the screen: the picture is shown downscaled by ``scale``
    (display pixels per image pixel, e.g. 2048 / 6000), then zoomed by ``zoom`` and moved by
    ``(pan_x, pan_y)`` screen pixels. ``screen = image * scale * zoom + pan``."""

    scale: float = 1.0
    zoom: float = 1.0
    pan_x: float = 0.0
    pan_y: float = 0.0

    def __post_init__(self) -> None:
        for name in ("scale", "zoom"):
            value = _number(getattr(self, name), name)
            if value <= 0:
                raise NblabelError(f"{name} must be positive, not {value!r}")
        _number(self.pan_x, "pan_x")
        _number(self.pan_y, "pan_y")

    @property
    def factor(self) -> float:
        """Screen pixels per image pixel."""
        return self.scale * self.zoom

    def to_screen(self, x: float, y: float) -> tuple[float, float]:
        return (x * self.factor + self.pan_x, y * self.factor + self.pan_y)

    def to_image(self, sx: float, sy: float) -> tuple[float, float]:
        return ((sx - self.pan_x) / self.factor, (sy - self.pan_y) / self.factor)

    def zoomed(self, by: float, at: tuple[float, float]) -> ViewTransform:
        """Zoom by ``by`` keeping the image point under the screen point ``at`` in place."""
        zoom = self.zoom * by
        sx, sy = at
        x, y = self.to_image(sx, sy)
        factor = self.scale * zoom
        return ViewTransform(self.scale, zoom, sx - x * factor, sy - y * factor)
