"""The text widgets: ``classify``, ``rate`` and ``caption``, each a thin builder of a
:class:`~nblabel.widgets.LabelWidget` over a :class:`~nblabel._session.LabelingSession`; their
front end is ``static/text.js``."""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._assign import Assignment
from .._checks import check_options
from .._errors import NblabelError
from .._job import Columns, Order
from .._store import LabelStore
from ._base import LabelWidget
from ._build import build

__all__ = ["CaptionWidget", "ClassifyWidget", "RateWidget", "caption", "classify", "rate"]


class ClassifyWidget(LabelWidget):
    """Pick one option (or several with ``multi=True``) per item."""


class RateWidget(LabelWidget):
    """Pick a value on a scale (Likert or numeric) per item."""


class CaptionWidget(LabelWidget):
    """Type free text per item: Enter saves, Shift+Enter starts a new line."""

    def _validate(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise NblabelError(f"a caption is a non-empty string, not {value!r}")
        return value

    def _confirm_value(self, sent: Any) -> Any:
        if sent is None:
            raise NblabelError("type the caption in the box, or call w.submit(text) from Python")
        return self._validate(sent)


def classify(
    data: Any,
    options: Sequence[Any],
    *,
    text: str | None = None,
    display: Callable[[pd.Series], Any] | None = None,
    fingerprint: Columns = None,
    multi: bool = False,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    order: Order = None,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    rationale: bool = False,
    gold: Mapping[Hashable, Any] | pd.Series | None = None,
    gold_rate: float = 0.05,
    seed: int = 0,
    allow_empty: bool = False,
    assign: Assignment | None = None,
) -> ClassifyWidget:
    """Label each row with one of ``options`` (or several, with ``multi=True``).

    Parameters
    ----------
    data
        A DataFrame with a unique index (or a Series / list, wrapped). Never modified.
    options
        The labels to choose from, in order (a list: a set is refused, its order changes from
        one kernel to the next), each a non-blank string or a number; keys ``1``–``9`` pick
        them in order. Every argument is checked before anything is opened or written: a
        wrong one raises :class:`~nblabel.NblabelError` naming it and the fix.
    text
        The column to show. Without ``text`` (and ``display``), the whole row shows as a table.
    display
        A function ``row -> content``: a string, ``nblabel.HTML(markup)`` (trusted),
        image bytes or a PIL image, or any ipywidget.
    fingerprint
        The column (or list of columns) whose content identifies an item, e.g. an image path
        with ``display=``; default the ``text`` column, else every column. Each label is stored
        with a short hash of it: a label whose row now shows other content (data re-sorted or
        filtered under a default ``RangeIndex``, ids read back as another type) counts as not
        labeled, and the widget says so once. ``False``: labels follow the ids alone.
    multi
        Several options per item: keys toggle, ``Enter`` saves the selection.
    allow_empty
        With ``multi=True``: ``Enter`` with nothing selected saves an empty list ("none of
        these"). By default it is refused, so a stray ``Enter`` labels nothing.
    store
        A :class:`LabelStore` or a path; default ``nblabel.db`` in the working directory.
    annotator
        Whose labels these are; default the OS user name.
    task
        The name labels are stored under. Default: made from the options (as JSON) and a short
        hash of the names of the columns that identify an item (see ``fingerprint``), e.g.
        ``classify:["pos","neg"]@1f2e3d4c``, so two data sets labeled with the same options
        get two tasks; data with the same columns but other rows is caught by the fingerprints.
        The options are recorded with the task: when they change, the labels in the store that
        are no longer options are named in a warning.
    order
        Item ids in the order to show them, or an ordering from :mod:`nblabel.sample`.
    keys
        Other keys: ``"asd"`` (one per option) or ``{"p": "pos", "s": nblabel.Action.SKIP}``.
    rationale
        Show a box for the reason behind each label, saved with it.
    gold, gold_rate, seed
        Known answers ``{item: label}`` for gold checks: those items are spread through the
        order at ``gold_rate`` (shown like any other item); score annotators on them with
        :func:`nblabel.gold_report`. ``seed`` fixes where they land.
    assign
        An :class:`nblabel.Assignment` to share the items with a team on one store: this
        widget shows the annotator's claimed items, a batch at a time (``order=``, as a list,
        is their priority); each item goes to ``overlap`` different annotators.

    Returns
    -------
    ClassifyWidget
        Display it; ``w.labels`` holds the labels, indexed like ``data``.

    Examples
    --------
    >>> w = nblabel.classify(df, options=["pos", "neg", "neutral"], text="review",
    ...                      annotator="alice", task="sentiment")   # doctest: +SKIP
    >>> w.press("1")                                                 # doctest: +SKIP
    >>> df.join(w.labels)                                            # doctest: +SKIP
    """
    if not isinstance(allow_empty, (bool, np.bool_)):
        raise NblabelError(f"allow_empty= must be True or False, not {allow_empty!r}")
    if allow_empty and not multi:
        raise NblabelError(
            "allow_empty=True applies to multi-label widgets: pass multi=True as well (one "
            "option per item is never empty)"
        )
    return build(
        ClassifyWidget, "classify", data, check_options(options),
        text=text, display=display, fingerprint=fingerprint, multi=multi, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=rationale,
        gold=gold, gold_rate=gold_rate, seed=seed, allow_empty=bool(allow_empty),
        assign=assign,
    )  # fmt: skip


def rate(
    data: Any,
    scale: Iterable[Any] = range(1, 6),
    *,
    text: str | None = None,
    display: Callable[[pd.Series], Any] | None = None,
    fingerprint: Columns = None,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    order: Order = None,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    rationale: bool = False,
    scale_labels: Sequence[str] | Mapping[Any, str] | None = None,
) -> RateWidget:
    """Rate each row on a scale (Likert or numeric); a key picks the value.

    When every value of the scale is a whole number from 0 to 9, the key is the value itself
    (``0``–``9``); otherwise keys ``1``–``9`` pick values in order. ``scale`` is ordered (a
    list or a range; a set is refused). The other arguments are those of :func:`classify`:
    ``fingerprint`` names the columns whose content identifies an item (default the ``text``
    column, else every column), and the default ``task`` is made from the scale and a short
    hash of those columns' names.

    ``scale_labels`` says what the values mean, shown under the scale: the two ends
    (``("awful", "great")``, under the first and the last value) or a dict per value
    (``{1: "awful", 3: "so-so", 5: "great"}``).

    Examples
    --------
    >>> w = nblabel.rate(df, scale=range(1, 6), text="answer", task="helpfulness",
    ...                  scale_labels=("useless", "very helpful"))   # doctest: +SKIP
    """
    values = check_options(scale, "scale")
    notes = scale_notes(values, scale_labels)
    digits = all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 9 for v in values)
    return build(
        RateWidget, "rate", data, values,
        text=text, display=display, fingerprint=fingerprint, multi=False, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=rationale,
        option_keys=[str(v) for v in values] if digits else None, option_notes=notes,
    )  # fmt: skip


def scale_notes(values: list, scale_labels: Any) -> list[str | None] | None:
    """What each value of a scale means, from ``scale_labels`` (the two ends, or a dict per
    value), checked: one text per value of the scale, or ``None`` where it has none."""
    if scale_labels is None:
        return None
    if isinstance(scale_labels, Mapping):
        unknown = [k for k in scale_labels if k not in values]
        if unknown:
            raise NblabelError(
                f"scale_labels= names {unknown!r}, which are not values of the scale {values!r}"
            )
        given = {k: scale_labels[k] for k in scale_labels}
        notes = [next((t for k, t in given.items() if k == v), None) for v in values]
    elif isinstance(scale_labels, (list, tuple)) and len(scale_labels) == 2:
        notes = [None] * len(values)
        notes[0], notes[-1] = scale_labels
    else:
        raise NblabelError(
            "scale_labels= takes the meaning of the two ends, e.g. ('awful', 'great'), or a "
            f"dict per value, e.g. {{1: 'awful', 5: 'great'}}; not {scale_labels!r}"
        )
    for note in notes:
        if note is not None and (not isinstance(note, str) or not note.strip()):
            raise NblabelError(f"scale_labels= holds {note!r}: each meaning is a short text")
    return notes


def caption(
    data: Any,
    *,
    text: str | None = None,
    display: Callable[[pd.Series], Any] | None = None,
    fingerprint: Columns = None,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    order: Order = None,
    keys: Mapping[str, Any] | None = None,
    rationale: bool = False,
) -> CaptionWidget:
    """Write free text for each row (captions, transcriptions, corrections).

    ``Enter`` saves, ``Shift+Enter`` starts a new line; keys typed in the box are text. The
    other arguments are those of :func:`classify`: ``fingerprint`` names the columns whose
    content identifies an item (default the ``text`` column, else every column; with
    ``display=``, give e.g. the column of image paths), and the default ``task`` is
    ``caption@`` and a short hash of those columns' names.

    Examples
    --------
    >>> w = nblabel.caption(images, display=lambda row: row.png_bytes, task="captions")
    ... # doctest: +SKIP
    """
    return build(
        CaptionWidget, "caption", data, [],
        text=text, display=display, fingerprint=fingerprint, multi=False, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=rationale,
    )  # fmt: skip
