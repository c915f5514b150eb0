"""Shapes as YOLO label files: one ``.txt`` per image, ``class cx cy w h`` normalised to the
image's size, and ``classes.txt``."""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._checks import given
from .._errors import NblabelError
from .._shapes import Point
from .._store import LabelStore, refuse_store_target, write_atomically
from ._shaped import shaped_images

__all__ = ["yolo"]


def _folder(value: Any) -> Path:
    if not isinstance(value, (str, os.PathLike)) or isinstance(os.fspath(value), bytes):
        raise NblabelError(f"folder= is the folder to write label files into, not {given(value)}")
    if not os.fspath(value).strip():
        raise NblabelError("folder= is empty: give the folder to write into, such as 'labels'")
    folder = Path(value).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise NblabelError(f"folder={os.fspath(value)!r} is a file: give a folder")
    if not folder.parent.is_dir():
        raise NblabelError(
            f"folder={os.fspath(value)!r}: its parent {folder.parent} does not exist"
        )
    return folder


def yolo(
    store: LabelStore,
    task: str,
    *,
    images: pd.DataFrame,
    image: Hashable,
    folder: str | os.PathLike,
    annotator: str | None = None,
    classes: Sequence[Any] | None = None,
) -> dict[Hashable, Path]:
    """Write the shapes of ``task`` as YOLO label files in ``folder`` (made if missing).

    One ``<image file stem>.txt`` per labeled image (the item id when the image is not a
    file), a line ``class cx cy w h`` per shape, normalised to the original image's width and
    height; ``class`` is the position in ``classes.txt`` (the task's classes in order).
    Polygons and masks are written as their bounding boxes; points have no box and are left
    out. Each file is written whole or not at all. Returns ``{item: file written}``.

    Examples
    --------
    >>> nblabel.export.yolo(store, "detect", images=df, image="path", folder="labels")
    ... # doctest: +SKIP
    """
    target = _folder(folder)
    labeled, classes = shaped_images(store, task, images, image, annotator, classes)
    names: dict[str, Hashable] = {}
    for entry in labeled:
        is_file = isinstance(entry.source, (str, os.PathLike))
        name = Path(entry.file_name).stem if is_file else str(entry.item)
        if not name.strip() or "/" in name or name in (".", "..", "classes"):
            raise NblabelError(
                f"item {entry.item!r} would write its labels to {name!r}.txt, which cannot be "
                "a YOLO label file: give its image a file name"
            )
        if name in names:
            raise NblabelError(
                f"items {names.get(name)!r} and {entry.item!r} would both write {name}.txt: "
                "YOLO names a label file after its image, so image file names must differ"
            )
        names[name] = entry.item
    index = {label: i for i, label in enumerate(classes)}
    target.mkdir(exist_ok=True)
    written = {}
    for (name, item), entry in zip(names.items(), labeled, strict=True):
        lines = []
        for shape in entry.shapes:
            if isinstance(shape, Point):
                continue
            x0, y0, x1, y1 = shape.bounds
            cx, cy = (x0 + x1) / 2 / entry.width, (y0 + y1) / 2 / entry.height
            w, h = (x1 - x0) / entry.width, (y1 - y0) / entry.height
            lines.append(f"{index[shape.label]} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
        written[item] = _write(target / f"{name}.txt", "".join(line + "\n" for line in lines))
    _write(target / "classes.txt", "".join(f"{label}\n" for label in classes))
    return written


def _write(path: Path, text: str) -> Path:
    refuse_store_target(path, what="a YOLO label file")
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
