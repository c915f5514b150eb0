"""Adjudication: a reviewer walks the items annotators disagree on, most contested first,
sees every label with its reasoning, and saves the final label (``source="review"``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import (
    check_callable,
    check_column,
    check_flag,
    check_int,
    check_name,
    check_options,
    check_store_path,
    check_task,
    checked_keymap,
)
from .._content import ContentMaker
from .._errors import NblabelError
from .._fingerprint import Fingerprinter, fingerprint_columns
from .._job import as_frame, default_annotator, store_label
from .._session import LabelingSession
from .._store import LabelStore
from ._base import LabelWidget

__all__ = ["ReviewWidget", "contested_items", "review"]


class ReviewWidget(LabelWidget):
    """Pick the final label of a contested item, or type a new one."""

    def _validate(self, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise NblabelError("the final label is empty: pick an option or type a label")
        if isinstance(value, (list, dict)):
            raise NblabelError("a final label is one value, not a list")
        return value

    def _confirm_value(self, sent: Any) -> Any:
        if sent is None:
            raise NblabelError("type the final label in the box, or pick an option")
        return self._validate(sent)


def _hashable(label: Any) -> Any:
    if isinstance(label, (list, dict)):
        raise NblabelError(
            "review of multi-label or structured labels is not supported yet; "
            "review single-label tasks"
        )
    return label


def contested_items(
    annotations: pd.DataFrame, *, min_annotators: int = 2, include_agreed: bool = False
) -> pd.DataFrame:
    """Items ranked most contested first, one row each.

    Columns: ``n_annotators``, ``majority`` (the most frequent label; ``None`` on a tie),
    ``majority_share`` and ``votes`` (a list of ``(annotator, label, rationale)``). Ranked by
    the share of the majority label (lowest first), then more annotators first, then by
    first appearance in the store.
    """
    if annotations.empty:
        return pd.DataFrame(columns=["n_annotators", "majority", "majority_share", "votes"])
    rows = {}
    for item, group in annotations.groupby("item", sort=False):
        labels = [_hashable(v) for v in group["label"]]
        counts = pd.Series(labels, dtype=object).value_counts(sort=True)
        top = counts.iloc[0]
        majority = counts.index[0] if (counts == top).sum() == 1 else None
        rows[item] = {
            "n_annotators": len(group),
            "majority": majority,
            "majority_share": top / len(group),
            "votes": list(zip(group["annotator"], labels, group["rationale"], strict=True)),
            "distinct": len(counts),
            "first": int(group["event_id"].min()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.Index(list(rows), tupleize_cols=False)
    keep = table["n_annotators"] >= min_annotators
    if not include_agreed:
        keep &= table["distinct"] > 1
    table = table.loc[keep].sort_values(
        ["majority_share", "n_annotators", "first"], ascending=[True, False, True], kind="stable"
    )
    return table.drop(columns=["distinct", "first"])


class _ReviewContent:
    """The payload of a contested item: its sample (when the data is given) and the votes."""

    def __init__(self, contested: pd.DataFrame, sample: ContentMaker | None, rows: np.ndarray):
        self._contested = contested
        self._sample = sample
        self._rows = rows  # position in the user's data of each contested item

    def __call__(self, position: int) -> dict:
        entry = self._contested.iloc[position]
        majority = entry["majority"]
        return {
            "type": "review",
            "sample": None if self._sample is None else self._sample(int(self._rows[position])),
            "votes": [
                {"annotator": str(a), "label": str(label), "rationale": r or ""}
                for a, label, r in entry["votes"]
            ],
            "suggestion": None if pd.isna(majority) else str(majority),
        }


def review(
    store: LabelStore | str | os.PathLike,
    task: str,
    *,
    data: Any = None,
    text: str | None = None,
    image: Hashable | None = None,
    display: Callable[[pd.Series], Any] | None = None,
    fingerprint: Hashable | Sequence[Hashable] | bool | None = None,
    reviewer: str | None = None,
    options: Sequence[Any] | None = None,
    min_annotators: int = 2,
    include_agreed: bool = False,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    rationale: bool = True,
) -> LabelWidget:
    """Adjudicate disagreements: the final label of each contested item, by keyboard.

    Each item shows its sample (with ``data=`` and ``text=``/``display=``), every
    annotator's label and reasoning, and the majority label as a suggestion. Keys ``1``–``9``
    pick an option; a label typed in the box (Enter) is saved as typed. Final labels are stored
    with ``source="review"`` under the reviewer's name; progress and resume work as in
    every widget, and :func:`nblabel.consensus` prefers them.

    Parameters
    ----------
    store, task
        Where the annotations are.
    data, text, display
        The labeled data, to show each sample beside the votes.
    image
        A task of shapes: the column of ``data`` holding the images.
    fingerprint
        With ``data``: the column (or columns) whose content identifies an item; default the
        ``text`` column, else every column. Final labels are stored with a hash of it, and a
        final label whose item now shows other content counts as not reviewed (see
        :func:`classify`). ``False``: no check.
    reviewer
        Who adjudicates; default the OS user name.
    options
        The choices; default the task's options in the order its widget showed them, then
        any other label the annotators used, sorted. A final label typed in the box that is
        not an option is saved when Enter is pressed a second time.
    min_annotators
        Items need at least this many annotators to be reviewed.
    include_agreed
        Also review items every annotator agreed on.

    Examples
    --------
    >>> w = nblabel.review(store, "sentiment", data=df, text="review", reviewer="carol")
    ... # doctest: +SKIP

    A task of spans (:func:`nblabel.annotate_spans`) is reviewed text by text: every
    annotator's spans show under the text, the spans most of them marked are the draft, and
    the spans saved are the final ones (see :func:`nblabel.widgets.spans.review_spans`).
    A task of shapes (:func:`nblabel.annotate_images`) is reviewed image by image: every
    annotator's shapes show on the picture in a style of their own, the pairs matched by IoU
    joined; the shapes most of them marked are the draft, ``Shift`` + an annotator's number
    takes theirs (see :func:`nblabel.widgets.shape_review.review_shapes`).

    >>> w = nblabel.review(store, "detect", data=df, image="path", reviewer="carol")
    ... # doctest: +SKIP
    """
    min_annotators = check_int(min_annotators, "min_annotators", minimum=1)
    include_agreed = check_flag(include_agreed, "include_agreed")
    rationale = check_flag(rationale, "rationale")
    if reviewer is not None:
        check_name(reviewer, "reviewer", "carol")
    if text is not None:
        check_column(text, "text")
    if display is not None:
        check_callable(display, "display", "lambda row: row.text")
    if not isinstance(store, LabelStore):
        store = LabelStore(check_store_path(store, "store"))
    check_task(task, store.tasks())
    if (store.task_info(task) or {}).get("kind") == "images":  # shapes drawn on images
        from .shape_review import review_shapes

        return review_shapes(
            store, task, data=data, image=image if image is not None else text,
            reviewer=reviewer, min_annotators=min_annotators, include_agreed=include_agreed,
            keys=keys, rationale=rationale,
        )  # fmt: skip
    if image is not None:
        raise NblabelError(f"image= is for a task of shapes; {task!r} is not one")
    if (store.task_info(task) or {}).get("kind") == "spans":  # texts marked with spans
        from .spans import review_spans

        return review_spans(
            store, task, data=data, text=text, reviewer=reviewer,
            min_annotators=min_annotators, include_agreed=include_agreed, keys=keys,
            rationale=rationale,
        )  # fmt: skip
    annotations = store.annotations(task=task, source="annotator")
    contested = contested_items(
        annotations, min_annotators=min_annotators, include_agreed=include_agreed
    )
    if contested.empty:
        raise NblabelError(
            f"nothing to review in {task!r}: no item has {min_annotators} or more annotators "
            f"(min_annotators={min_annotators}) who disagree (include_agreed=True reviews "
            "agreed items too)"
        )
    if options is None:
        # the task's own order (as its classify widget showed it), so a key means the same
        # option here; labels outside it follow, sorted
        declared = list((store.task_info(task) or {}).get("options") or [])
        used = {_hashable(v) for v in annotations["label"]}
        others = sorted((v for v in used if v not in declared), key=lambda v: (str(type(v)), v))
        options = declared + others
    choices = check_options(options)
    sample, rows, fingerprinter = None, np.arange(len(contested)), None
    if data is not None:
        frame, column = as_frame(data)
        rows = frame.index.get_indexer(contested.index)
        if (rows < 0).any():
            missing = contested.index[rows < 0][:5].tolist()
            raise NblabelError(f"data= lacks items the annotators labeled: {missing!r}")
        text = text or (column if display is None else None)
        sample = ContentMaker(frame, text=text, display=display)
        locs = fingerprint_columns(frame, fingerprint, text)
        if locs is not None:
            fingerprinter = Fingerprinter(frame, locs, rows=rows)
    elif text is not None or display is not None or fingerprint not in (None, False):
        raise NblabelError(
            "text=, display= and fingerprint= need data= (the labeled data) to show samples"
        )
    reviewer = default_annotator() if reviewer is None else reviewer
    session = LabelingSession(
        contested.index, store=store, task=task, annotator=reviewer, source="review",
        fingerprint=fingerprinter,
    )  # fmt: skip
    return ReviewWidget(
        contested,
        session=session,
        content=_ReviewContent(contested, sample, rows),
        choices=choices,
        keymap=checked_keymap(choices, keys),
        rationale=rationale,
        store_label=store_label(store),
        kind="review",
    )

