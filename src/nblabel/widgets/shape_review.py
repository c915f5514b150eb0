"""Adjudication of shapes: what :func:`nblabel.review` builds for a task of
:func:`~nblabel.annotate_images`.

Each contested image shows every annotator's shapes in a colour and dash of their own, with a
legend, and the pairs that :func:`nblabel.agreement.shapes` would match (IoU) joined by a line
and their IoU; the draft to correct is the shapes most annotators marked. ``Shift`` + ``1``…``9``
in the page (:meth:`ShapeReviewWidget.take` in Python) takes one annotator's shapes whole; the
draft is edited like any image's shapes and ``Enter`` saves it as the final label, stored with
``source="review"`` under the reviewer's name. The votes travel in the image's payload (the
front end draws them in ``static/votes.js``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd

from .._errors import NblabelError
from .._images import MAX_SIDE, ImageContent
from .._job import as_frame
from .._shapes import Shape, shapes_from, to_dicts
from .._store import LabelStore
from ..agreement._shapes import contested_shapes
from ._build import build
from .images import ImagesWidget

__all__ = ["ShapeReviewWidget", "review_shapes"]


class ShapeReviewWidget(ImagesWidget):
    """The final shapes of each contested image, from the annotators' shapes."""

    @property
    def votes(self) -> dict[str, list[Shape]]:
        """Each annotator's shapes of the image on screen."""
        content = self.sample.get("content") or {}
        return {v["annotator"]: shapes_from(v["shapes"]) for v in content.get("votes", [])}

    def take(self, annotator: str) -> None:
        """Make ``annotator``'s shapes the image's draft, as ``Shift`` + their number does in the
        page (an edit like any other: :meth:`undo_shape` takes it back)."""
        votes = self.votes
        if annotator not in votes:
            raise NblabelError(
                f"{annotator!r} has no shapes on this image; its annotators are {list(votes)}"
            )
        self._set_draft(to_dicts(votes[annotator]))


def review_shapes(
    store: LabelStore,
    task: str,
    *,
    data: Any,
    image: Hashable | None,
    reviewer: str | None = None,
    min_annotators: int = 2,
    include_agreed: bool = False,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    rationale: bool = True,
    iou: float = 0.5,
) -> ShapeReviewWidget:
    """Adjudicate a shape task (what :func:`nblabel.review` builds for one): the images whose
    annotators' shapes differ (matched one to one by IoU at ``iou``), their shapes side by
    side, the shapes most of them marked as the draft; the final shapes are saved with
    ``source="review"``."""
    if data is None:
        raise NblabelError(
            f"reviewing the shapes of {task!r} needs the images: pass data= (the labeled frame) "
            "and image= (its column of images)"
        )
    frame, column = as_frame(data)
    image = column if image is None else image
    if image is None or image not in frame.columns:
        shown = ", ".join(map(repr, list(frame.columns)[:10]))
        raise NblabelError(f"image= names the column of images to review; columns are: {shown}")
    contested = contested_shapes(
        store.annotations(task=task, source="annotator"), iou=iou,
        min_annotators=min_annotators, include_agreed=include_agreed,
    )  # fmt: skip
    if not contested:
        raise NblabelError(
            f"nothing to review in {task!r}: no image has {min_annotators}+ annotators whose "
            "shapes differ (include_agreed=True reviews agreed images too)"
        )
    positions = frame.index.get_indexer(list(contested))
    if (positions < 0).any():
        missing = [i for i, p in zip(contested, positions, strict=True) if p < 0][:5]
        raise NblabelError(
            f"the store has shapes of {task!r} on items that are not in data=: {missing!r}; "
            "pass the frame the task was labeled on"
        )
    classes = list((store.task_info(task) or {}).get("options") or [])
    by_position = dict(zip(positions.tolist(), contested.values(), strict=True))

    def majority(row: pd.Series) -> list[dict]:
        return by_position[frame.index.get_loc(row.name)]["merged"]

    def votes(position: int) -> dict:
        entry = by_position.get(position)
        if entry is None:
            return {}
        return {
            "votes": [{"annotator": str(who), "shapes": shapes} for who, shapes in entry["votes"]],
            "matches": entry["matches"],
            "iou": iou,
        }

    widget = build(
        ShapeReviewWidget, "images", frame, classes,
        text=image, display=None, fingerprint=None, multi=False, store=store,
        annotator=reviewer, task=task, order=list(contested), keys=keys, rationale=rationale,
        source="review",
    )  # fmt: skip
    widget._prelabels_model = ("majority", None)
    widget.add_class("nblabel-shape-review")
    drawn = {s["type"] for entry in contested.values() for _, shapes in entry["votes"]
             for s in shapes}  # fmt: skip
    tools = ("box", "polygon", "point", *(("mask",) if "mask" in drawn else ()))
    widget._use_images(ImageContent(frame, image, majority, classes, MAX_SIDE, votes), tools)
    widget.key_help = [
        ["Shift+1…9", "take that annotator's shapes (the legend's order) as the final ones"],
        ["V", "show or hide the annotators' shapes"],
        *widget.key_help,
    ]
    return widget
