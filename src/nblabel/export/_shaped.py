"""What the image exports share: the shapes each image holds in a task, checked, with the
image's size and the classes in the task's order."""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._checks import check_column, check_ids, check_name, check_task, given
from .._errors import NblabelError
from .._images import image_size
from .._shapes import Shape, shapes_from
from .._store import LabelStore

__all__ = ["ImageShapes", "shaped_images"]


@dataclass(frozen=True)
class ImageShapes:
    """One labeled image: its id, where it is, its size (upright) and its shapes."""

    item: Hashable
    source: Any
    width: int
    height: int
    shapes: list[Shape]

    @property
    def file_name(self) -> str:
        if isinstance(self.source, (str, os.PathLike)):
            return os.fspath(self.source)
        return str(self.item)


def shaped_images(
    store: LabelStore,
    task: str,
    images: pd.DataFrame,
    image: Hashable,
    annotator: str | None,
    classes: Sequence[Any] | None,
) -> tuple[list[ImageShapes], list[Any]]:
    """The labeled images of ``task`` in the order of ``images``, and the classes."""
    if not isinstance(store, LabelStore):
        raise NblabelError(
            f"store= must be a LabelStore, not {given(store)}: open one with "
            "nblabel.LabelStore(path), or use w.store of a labeling widget"
        )
    if not isinstance(images, pd.DataFrame):
        raise NblabelError(
            f"images= is the DataFrame that was labeled (its index the item ids), not "
            f"{given(images)}"
        )
    check_column(image, "image")
    if image not in images.columns:
        shown = ", ".join(map(repr, list(images.columns)[:10]))
        raise NblabelError(f"image={image!r} is not a column of images=; columns are: {shown}")
    if annotator is not None:
        check_name(annotator, "annotator")
    check_task(task, store.tasks())
    table = store.annotations(task=task, annotator=annotator, source="annotator")
    who = sorted(set(table["annotator"]))
    if len(who) > 1:
        raise NblabelError(
            f"task {task!r} has shapes by {who}: pass annotator= to export one annotator's "
            "(compare them with nblabel.agreement.shapes)"
        )
    if classes is None:
        classes = list((store.task_info(task) or {}).get("options") or [])
    classes = check_ids(classes, "classes", "['car', 'person']")
    by_item = dict(zip(table["item"], table["label"], strict=True))
    positions = images.index.get_indexer(list(by_item))
    if (positions < 0).any():
        missing = [item for item, p in zip(by_item, positions, strict=True) if p < 0][:5]
        raise NblabelError(
            f"images= lacks items that hold shapes in {task!r}: {missing!r}; pass the "
            "DataFrame that was labeled"
        )
    out = []
    used: list[Any] = []
    for position in sorted(positions):
        item = images.index[position]
        source = images[image].iloc[position]
        try:
            shapes = shapes_from(by_item[item])
        except NblabelError as exc:
            raise NblabelError(f"the shapes of item {item!r}: {exc}") from None
        try:
            width, height = image_size(source)
        except NblabelError as exc:
            raise NblabelError(f"item {item!r}: {exc}") from None
        for shape in shapes:
            if shape.label not in classes and shape.label not in used:
                used.append(shape.label)
        out.append(ImageShapes(item, source, width, height, shapes))
    return out, classes + sorted(used, key=str)
