"""Shapes as COCO JSON: boxes, polygons as segmentation, masks as RLE (through
``pycocotools.mask``), points as one-keypoint annotations; image sizes and categories."""

from __future__ import annotations

import json
import os
from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

from .._checks import check_out_path
from .._optional import require
from .._shapes import Box, Mask, Point, Polygon
from .._store import LabelStore, refuse_store_target, write_atomically
from ._shaped import shaped_images

__all__ = ["coco"]


def _annotation(shape: Any, height: int, width: int, mask_api: Any) -> dict:
    if isinstance(shape, Box):
        x0, y0, x1, y1 = shape.bounds
        return {
            "bbox": [shape.x, shape.y, shape.width, shape.height],
            "area": shape.area,
            "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]],
        }
    if isinstance(shape, Polygon):
        x0, y0, x1, y1 = shape.bounds
        return {
            "bbox": [x0, y0, x1 - x0, y1 - y0],
            "area": shape.area,
            "segmentation": [[v for point in shape.points for v in point]],
        }
    if isinstance(shape, Mask):
        rle = mask_api.frPyObjects({"size": list(shape.size), "counts": list(shape.counts)},
                                   height, width)  # fmt: skip
        rle["counts"] = rle["counts"].decode("ascii")  # compressed RLE, as JSON text
        return {
            "bbox": [float(v) for v in mask_api.toBbox(rle)],
            "area": float(mask_api.area(rle)),
            "segmentation": rle,
        }
    assert isinstance(shape, Point)
    return {
        "bbox": [shape.x, shape.y, 0.0, 0.0],
        "area": 0.0,
        "segmentation": [],
        "keypoints": [shape.x, shape.y, 2],
        "num_keypoints": 1,
    }


def coco(
    store: LabelStore,
    task: str,
    *,
    images: pd.DataFrame,
    image: Hashable,
    path: str | os.PathLike,
    annotator: str | None = None,
    classes: Sequence[Any] | None = None,
) -> dict:
    """Write the shapes of ``task`` as a COCO JSON file that ``pycocotools.coco.COCO`` reads.

    One COCO image per labeled row of ``images`` (``file_name`` the ``image`` column's path,
    ``width``/``height`` of the original, upright), one annotation per shape in original
    pixels: boxes (``bbox``, and their outline as ``segmentation``), polygons
    (``segmentation``), masks (compressed RLE made by ``pycocotools.mask``) and points (one
    keypoint each, ``bbox`` of size 0). Categories are the task's classes in order, ids from 1.
    With several annotators on the task, name one with ``annotator=``. The file is written
    whole or not at all, never over a label store. Returns the COCO dict written.

    Examples
    --------
    >>> nblabel.export.coco(store, "detect", images=df, image="path", path="coco.json")
    ... # doctest: +SKIP
    """
    mask_api = require("pycocotools.mask", extra="images", purpose="COCO export",
                       package="pycocotools")  # fmt: skip
    target = check_out_path(path, "path", [".json"])
    refuse_store_target(target, what="a COCO export")
    labeled, classes = shaped_images(store, task, images, image, annotator, classes)
    category = {label: i + 1 for i, label in enumerate(classes)}
    out: dict = {
        "info": {"description": f"nblabel task {task}"},
        "images": [],
        "annotations": [],
        "categories": [{"id": i, "name": str(label)} for label, i in category.items()],
    }
    for image_id, entry in enumerate(labeled, start=1):
        out["images"].append({
            "id": image_id, "file_name": entry.file_name,
            "width": entry.width, "height": entry.height,
        })  # fmt: skip
        for shape in entry.shapes:
            annotation = _annotation(shape, entry.height, entry.width, mask_api)
            out["annotations"].append({
                "id": len(out["annotations"]) + 1, "image_id": image_id,
                "category_id": category[shape.label], "iscrowd": 0, **annotation,
            })  # fmt: skip

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(out, f)

    write_atomically(target, write)
    return out
