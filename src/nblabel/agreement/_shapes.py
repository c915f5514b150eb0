"""Agreement on shapes: for each image two annotators both labeled, their shapes of one class
are matched one to one (Hungarian matching on IoU, ``scipy.optimize.linear_sum_assignment``);
a match counts when its IoU reaches the threshold. Per annotator pair and per class:
precision, recall and F1 of the second annotator against the first, and the mean IoU of the
matches. Points have no area: two points match when they are within ``point_distance`` pixels.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_task, given
from .._errors import NblabelError
from .._optional import require
from .._shapes import Box, Mask, Point, Shape, shapes_from
from .._store import LabelStore
from ._input import check_annotators

__all__ = ["ShapeAgreement", "contested_shapes", "iou_matrix", "match_shapes", "shapes"]

_COLUMNS = ["images", "n_a", "n_b", "matched", "precision", "recall", "f1", "mean_iou"]


@dataclass(frozen=True)
class ShapeAgreement:
    """What :func:`shapes` found: ``pairs`` (one row per annotator pair) and ``classes`` (one
    row per pair and class), each with the columns ``images, n_a, n_b, matched, precision,
    recall, f1, mean_iou``; ``matches`` lists every match (item, pair, class, IoU)."""

    pairs: pd.DataFrame
    classes: pd.DataFrame
    matches: pd.DataFrame
    iou: float

    def __repr__(self) -> str:
        return f"ShapeAgreement(iou={self.iou}, pairs={len(self.pairs)})"

    def _repr_html_(self) -> str:
        return (
            f"<h4>Shape agreement (IoU ≥ {self.iou})</h4>"
            + self.pairs.to_html(float_format=lambda v: f"{v:.3f}")
            + "<h4>Per class</h4>"
            + self.classes.to_html(float_format=lambda v: f"{v:.3f}")
        )


def _box_iou(a: Box, b: Box) -> float:
    ax0, ay0, ax1, ay1 = a.bounds
    bx0, by0, bx1, by1 = b.bounds
    w = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    h = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = w * h
    return inter / (a.area + b.area - inter)


def _rle(shape: Shape, height: int, width: int, mask_api: Any) -> Any:
    if isinstance(shape, Mask):
        return mask_api.frPyObjects({"size": list(shape.size), "counts": list(shape.counts)},
                                    height, width)  # fmt: skip
    if isinstance(shape, Box):
        corners = np.array([[shape.x, shape.y, shape.width, shape.height]], dtype=np.float64)
        return mask_api.frPyObjects(corners, height, width)[0]
    flat = [v for point in shape.points for v in point]
    return mask_api.merge(mask_api.frPyObjects([flat], height, width))


def iou_matrix(a: Sequence[Shape], b: Sequence[Shape], point_distance: float = 10.0) -> np.ndarray:
    """Similarity of each shape of ``a`` with each of ``b``: IoU for shapes with an area
    (boxes exactly; polygons and masks on the pixel grid), ``1 - distance / point_distance``
    for two points within ``point_distance`` (else 0), 0 between a point and an area."""
    out = np.zeros((len(a), len(b)))
    mask_api = None
    for i, j in itertools.product(range(len(a)), range(len(b))):
        s, t = a[i], b[j]
        if isinstance(s, Point) or isinstance(t, Point):
            if isinstance(s, Point) and isinstance(t, Point):
                d = math.hypot(s.x - t.x, s.y - t.y)
                out[i, j] = max(0.0, 1 - d / point_distance) if d <= point_distance else 0.0
            continue
        if isinstance(s, Box) and isinstance(t, Box):
            out[i, j] = _box_iou(s, t)
            continue
        if mask_api is None:
            mask_api = require("pycocotools.mask", extra="images", purpose="IoU of polygons "
                               "and masks", package="pycocotools")  # fmt: skip
        sizes = [m.size for m in (s, t) if isinstance(m, Mask)]
        if sizes:
            height, width = sizes[0]
        else:
            height = math.ceil(max(s.bounds[3], t.bounds[3])) + 1
            width = math.ceil(max(s.bounds[2], t.bounds[2])) + 1
        rle_s, rle_t = _rle(s, height, width, mask_api), _rle(t, height, width, mask_api)
        out[i, j] = float(mask_api.iou([rle_s], [rle_t], [0])[0][0])
    return out


def match_shapes(
    a: Sequence[Shape], b: Sequence[Shape], iou: float = 0.5, point_distance: float = 10.0
) -> list[tuple[int, int, float]]:
    """One-to-one matches ``(i in a, j in b, similarity)`` of shapes of the same class that
    maximise the total similarity, keeping those at or above ``iou`` (points: within
    ``point_distance``)."""
    linear_sum_assignment = require(
        "scipy.optimize", extra="images", purpose="matching shapes", package="scipy"
    ).linear_sum_assignment
    matches = []
    for label in {s.label for s in a} & {s.label for s in b}:
        ia = [i for i, s in enumerate(a) if s.label == label]
        ib = [j for j, s in enumerate(b) if s.label == label]
        sim = iou_matrix([a[i] for i in ia], [b[j] for j in ib], point_distance)
        rows, cols = linear_sum_assignment(-sim)
        for r, c in zip(rows, cols, strict=True):
            points = isinstance(a[ia[r]], Point)
            if (sim[r, c] > 0) if points else (sim[r, c] >= iou and sim[r, c] > 0):
                matches.append((ia[r], ib[c], float(sim[r, c])))
    return sorted(matches)


def _scores(images: int, n_a: int, n_b: int, matched: int, ious: list[float]) -> dict:
    def ratio(x: int, y: int) -> float:
        return x / y if y else float("nan")

    return {
        "images": images, "n_a": n_a, "n_b": n_b, "matched": matched,
        "precision": ratio(matched, n_b), "recall": ratio(matched, n_a),
        "f1": ratio(2 * matched, n_a + n_b),
        "mean_iou": float(np.mean(ious)) if ious else float("nan"),
    }  # fmt: skip


def shapes(
    store: LabelStore,
    task: str,
    iou: float = 0.5,
    *,
    annotators: Sequence[str] | None = None,
    point_distance: float = 10.0,
) -> ShapeAgreement:
    """How far annotators agree on the shapes of ``task``, per pair and per class.

    For each pair of annotators ``(a, b)`` and each image both labeled, shapes of the same
    class are matched one to one, maximising the total IoU; a match counts when its IoU is at
    least ``iou``. Precision is the share of ``b``'s shapes matched, recall the share of
    ``a``'s (``a`` as the reference), F1 ``2 · matched / (n_a + n_b)``; ``mean_iou`` the mean
    IoU of the counted matches (points, which have no IoU, are left out of it).

    Examples
    --------
    >>> nblabel.agreement.shapes(store, "detect", iou=0.5).pairs      # doctest: +SKIP
    """
    if not isinstance(store, LabelStore):
        raise NblabelError(f"store= must be a LabelStore, not {given(store)}")
    if isinstance(iou, bool) or not isinstance(iou, (int, float)) or not 0 < iou <= 1:
        raise NblabelError(f"iou= is the IoU a match needs, a number in (0, 1], not {iou!r}")
    if (
        isinstance(point_distance, bool)
        or not isinstance(point_distance, (int, float))
        or (not point_distance > 0)
    ):
        raise NblabelError(
            f"point_distance= is a positive number of pixels, not {point_distance!r}"
        )
    check_task(task, store.tasks())
    table = store.annotations(task=task, source="annotator")
    present = list(dict.fromkeys(table["annotator"]))
    if annotators is None:
        annotators = sorted(present)
    else:
        annotators = check_annotators(annotators)
        unknown = [a for a in annotators if a not in present]
        if unknown:
            raise NblabelError(f"annotators= names {unknown}, who have no shapes in {task!r}; "
                               f"annotators there: {sorted(present)}")  # fmt: skip
    if len(annotators) < 2:
        raise NblabelError(f"task {task!r} has shapes by {list(annotators)}: agreement needs two")
    by = {}
    for item, annotator, label in zip(table["item"], table["annotator"], table["label"],
                                      strict=True):  # fmt: skip
        try:
            by[annotator, item] = shapes_from(label)
        except NblabelError as exc:
            raise NblabelError(f"{annotator}'s shapes of item {item!r}: {exc}") from None
    pair_rows, class_rows, match_rows = {}, {}, []
    for a, b in itertools.combinations(annotators, 2):
        items = [i for (who, i) in by if who == a and (b, i) in by]
        tally: dict[Any, list] = {}  # class -> [images, n_a, n_b, ious]
        for item in items:
            sa, sb = by[a, item], by[b, item]
            found = match_shapes(sa, sb, iou, point_distance)
            for label in {s.label for s in sa} | {s.label for s in sb}:
                entry = tally.setdefault(label, [0, 0, 0, [], []])
                entry[0] += 1
                entry[1] += sum(s.label == label for s in sa)
                entry[2] += sum(s.label == label for s in sb)
            for i, j, score in found:
                label = sa[i].label
                tally[label][3].append(score)
                if not isinstance(sa[i], Point):
                    tally[label][4].append(score)
                match_rows.append({"item": item, "annotator_a": a, "annotator_b": b,
                                   "class": label, "a": i, "b": j, "iou": score})  # fmt: skip
        for label, (n_img, n_a, n_b, found, ious) in tally.items():
            class_rows[a, b, label] = _scores(n_img, n_a, n_b, len(found), ious)
        pair_rows[a, b] = _scores(
            len(items),
            sum(t[1] for t in tally.values()),
            sum(t[2] for t in tally.values()),
            sum(len(t[3]) for t in tally.values()),
            [v for t in tally.values() for v in t[4]],
        )
    pairs = pd.DataFrame.from_dict(pair_rows, orient="index", columns=_COLUMNS)
    pairs.index = pd.MultiIndex.from_tuples(list(pair_rows), names=["annotator_a", "annotator_b"])
    classes = pd.DataFrame(list(class_rows.values()), columns=_COLUMNS)
    classes.index = pd.MultiIndex.from_tuples(
        list(class_rows), names=["annotator_a", "annotator_b", "class"]
    )
    classes = classes.sort_index(key=lambda level: level.map(str))
    matches = pd.DataFrame(match_rows, columns=["item", "annotator_a", "annotator_b", "class",
                                                "a", "b", "iou"])  # fmt: skip
    return ShapeAgreement(pairs=pairs, classes=classes, matches=matches, iou=float(iou))


def contested_shapes(
    annotations: pd.DataFrame,
    *,
    iou: float = 0.5,
    min_annotators: int = 2,
    include_agreed: bool = False,
    point_distance: float = 10.0,
) -> dict[Any, dict]:
    """The images of a shape task to adjudicate, in the order first labeled: each image's
    ``{"votes": [(annotator, shape dicts)], "matches": [...], "merged": shape dicts}`` where
    the annotators' shapes differ (``include_agreed``: also where every shape of each is
    matched in every other's). ``matches`` are the matched pairs of each two annotators,
    ``{"a", "i", "b", "j", "iou"}`` (annotators by their place in ``votes``, shapes by their
    place in that annotator's list); ``merged`` holds each shape that more than half of the
    annotators marked (matched), as the first of them drew it."""
    votes: dict[Any, list[tuple[str, list[Shape]]]] = {}
    for item, annotator, label in zip(annotations["item"], annotations["annotator"],
                                      annotations["label"], strict=True):  # fmt: skip
        try:
            shapes = shapes_from(label)
        except NblabelError as exc:
            raise NblabelError(f"{annotator}'s shapes of item {item!r}: {exc}") from None
        key = tuple(item) if isinstance(item, list) else item
        votes.setdefault(key, []).append((annotator, shapes))
    out = {}
    for item, marked in votes.items():
        if len(marked) < min_annotators:
            continue
        matches = []
        for a, b in itertools.combinations(range(len(marked)), 2):
            for i, j, score in match_shapes(marked[a][1], marked[b][1], iou, point_distance):
                matches.append({"a": a, "i": i, "b": b, "j": j, "iou": round(score, 4)})
        agreed = all(
            len(marked[a][1]) == len(marked[b][1])
            == sum(m["a"] == a and m["b"] == b for m in matches)
            for a, b in itertools.combinations(range(len(marked)), 2)
        )  # fmt: skip
        if agreed and not include_agreed:
            continue
        taken: set[tuple[int, int]] = set()  # (annotator, shape) already in or behind merged
        merged = []
        for a, (_, shapes) in enumerate(marked):
            for i, shape in enumerate(shapes):
                if (a, i) in taken:
                    continue
                partners = {(m["b"], m["j"]) for m in matches if (m["a"], m["i"]) == (a, i)}
                partners |= {(m["a"], m["i"]) for m in matches if (m["b"], m["j"]) == (a, i)}
                if 2 * (1 + len({who for who, _ in partners})) > len(marked):
                    merged.append({k: v for k, v in shape.to_dict().items() if k != "prelabel"})
                    taken |= partners | {(a, i)}
        out[item] = {
            "votes": [(who, [s.to_dict() for s in shapes]) for who, shapes in marked],
            "matches": matches,
            "merged": merged,
        }
    return out
