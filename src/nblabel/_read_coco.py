"""Shapes from a COCO JSON file, per row of the data: existing annotations to correct
(``annotate_images(prelabels=...)``) or to store. Boxes, polygons (one shape per polygon of a
segmentation), masks (RLE, decoded through ``pycocotools.mask``) and one-keypoint points, in the
original image's pixels, classes named by their category."""

from __future__ import annotations

import json
import os
from collections.abc import Hashable
from pathlib import Path, PurePath
from typing import Any

import pandas as pd

from ._checks import check_column, given
from ._errors import NblabelError
from ._optional import require
from ._shapes import Box, Mask, Point, Polygon, Shape

__all__ = ["read_coco"]


def _shapes(annotation: dict, label: Any, height: int, width: int) -> list[Shape]:
    segmentation = annotation.get("segmentation")
    keypoints = annotation.get("keypoints")
    if keypoints and annotation.get("num_keypoints") == 1 and len(keypoints) >= 2:
        return [Point(keypoints[0], keypoints[1], label)]
    if isinstance(segmentation, dict):  # RLE, compressed or not
        mask_api = require("pycocotools.mask", extra="images", purpose="reading COCO masks",
                           package="pycocotools")  # fmt: skip
        rle = segmentation
        if isinstance(rle.get("counts"), list):
            rle = mask_api.frPyObjects(rle, *rle["size"])
        elif isinstance(rle.get("counts"), str):
            rle = {**rle, "counts": rle["counts"].encode("ascii")}
        return [Mask.from_array(mask_api.decode(rle).astype(bool), label)]
    if isinstance(segmentation, list) and segmentation:
        x, y, w, h = annotation.get("bbox", (None,) * 4)
        outline = [x, y, x + w, y, x + w, y + h, x, y + h] if w is not None else None
        if len(segmentation) == 1 and outline is not None and segmentation[0] == outline:
            return [Box(x, y, w, h, label)]  # a box written with its outline (as nblabel does)
        return [Polygon(tuple(zip(flat[0::2], flat[1::2], strict=True)), label)
                for flat in segmentation]  # fmt: skip
    x, y, w, h = annotation["bbox"]
    return [Box(x, y, w, h, label)]


def read_coco(
    path: str | os.PathLike,
    *,
    images: pd.DataFrame,
    image: Hashable,
) -> pd.Series:
    """The shapes a COCO JSON file holds for each row of ``images``, as shape dicts.

    Rows are matched by the ``image`` column: a COCO image whose ``file_name`` equals the
    row's path, else whose file name (without folders) equals the row's. Rows with no COCO
    image get an empty list. Classes are the categories' names. Give the result to
    :func:`annotate_images` as pre-labels (``prelabels=lambda row: coco[row.name]``), or
    store it.

    Examples
    --------
    >>> coco = nblabel.read_coco("instances.json", images=df, image="path")  # doctest: +SKIP
    >>> w = nblabel.annotate_images(df, image="path", classes=cls,
    ...                             prelabels=lambda row: coco[row.name])     # doctest: +SKIP
    """
    if not isinstance(images, pd.DataFrame):
        raise NblabelError(f"images= is the DataFrame of the images, not {given(images)}")
    check_column(image, "image")
    if image not in images.columns:
        raise NblabelError(f"image={image!r} is not a column of images=")
    if not isinstance(path, (str, os.PathLike)):
        raise NblabelError(f"path= is a COCO JSON file, not {given(path)}")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        coco_images = {entry["id"]: entry for entry in data["images"]}
        names = {entry["id"]: entry["name"] for entry in data["categories"]}
        annotations = data.get("annotations", [])
    except FileNotFoundError:
        raise NblabelError(f"the COCO file {os.fspath(path)!r} does not exist") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise NblabelError(
            f"path={os.fspath(path)!r} cannot be read as a COCO JSON file: {exc}"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise NblabelError(
            f"{os.fspath(path)!r} is not a COCO file (images, categories, annotations): {exc}"
        ) from None
    by_name: dict[str, Any] = {}
    by_base: dict[str, Any] = {}
    for entry in coco_images.values():
        by_name[entry["file_name"]] = entry["id"]
        by_base.setdefault(PurePath(entry["file_name"]).name, entry["id"])
    per_image: dict[Any, list[dict]] = {}
    for i, annotation in enumerate(annotations):
        entry = coco_images.get(annotation.get("image_id"))
        if entry is None or annotation.get("category_id") not in names:
            raise NblabelError(f"COCO annotation {i} names an image or category the file lacks")
        try:
            shapes = _shapes(annotation, names[annotation["category_id"]], entry["height"],
                             entry["width"])  # fmt: skip
        except NblabelError as exc:
            raise NblabelError(f"COCO annotation {i} (id {annotation.get('id')}): {exc}") from None
        per_image.setdefault(entry["id"], []).extend(s.to_dict() for s in shapes)
    out = []
    for source in images[image]:
        key = None
        if isinstance(source, (str, os.PathLike)):
            text = os.fspath(source)
            key = by_name.get(text, by_base.get(PurePath(text).name))
        out.append(per_image.get(key, []) if key is not None else [])
    return pd.Series(out, index=images.index, name="shapes", dtype=object)
