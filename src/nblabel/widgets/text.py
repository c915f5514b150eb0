"""The text widgets: ``classify``, ``rate`` and ``caption``, each a thin builder of a
:class:`~nblabel.widgets.LabelWidget` over a :class:`~nblabel._session.LabelingSession`; their
front end is ``static/text.js``."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import traitlets as t

from .._assign import Assignment
from .._checks import check_options, check_rationale
from .._codec import encode
from .._errors import NblabelError
from .._job import Columns, Order, as_frame
from .._keymap import Action
from .._store import LabelStore
from .._suggest import Suggester, Suggestion
from ._base import PREFETCH, LabelWidget
from ._build import build

__all__ = ["CaptionWidget", "ClassifyWidget", "RateWidget", "caption", "classify", "rate"]


#: How long ``w.press("Enter")`` waits for a suggestion still being computed, in seconds.
SUGGESTION_WAIT_S = 30.0


class ClassifyWidget(LabelWidget):
    """Pick one option (or several with ``multi=True``) per item.

    With ``suggest=``, each item shows a model's suggested label, computed ahead in the
    background; ``Enter`` (``w.press("Enter")``) accepts it, waiting for it if it is still
    being computed, and every label records the suggestion it was shown.
    """

    suggest_model = t.Unicode("").tag(sync=True)
    """The name of the model whose suggestions are shown; empty without ``suggest=``."""

    _suggester: Suggester | None = None

    def _attach_suggester(self, suggester: Suggester) -> None:
        """Show ``suggester``'s suggestions from now on (called once, by the builder)."""
        self._suggester = suggester
        self._suggest_lock = threading.RLock()
        suggester.on_ready(self._suggestion_ready)
        with self.hold_sync():
            self.suggest_model = suggester.model
            confirm = self._keys.key_for(Action.CONFIRM)
            if confirm is not None and not self.multi:
                self.key_help = [
                    *(row for row in self.key_help if row[0] != confirm),
                    [confirm, "accept the suggested label (waits for it if still computing)"],
                ]
            self._push_state()

    @property
    def suggestion(self) -> Suggestion | None:
        """The suggestion for the item on screen, if computed yet (``None`` without
        ``suggest=``, when it is still being computed, or when every item is labeled)."""
        position = self.session.position
        if self._suggester is None or position is None:
            return None
        return self._suggester.get(position)

    def _suggestion_payload(self, position: int) -> dict:
        suggestion = self._suggester.get(position)
        if suggestion is None:
            return {"pending": True, "model": self._suggester.model}
        out: dict[str, Any] = {"model": suggestion.model, "version": suggestion.version}
        if suggestion.error is not None:
            return {**out, "error": suggestion.error}
        label = suggestion.label
        shown = ", ".join(map(str, label)) if isinstance(label, list) else str(label)
        values = [encode(v) for v in label] if isinstance(label, list) else [encode(label)]
        return {
            **out,
            "value": encode(label),
            "values": values,  # each option suggested, as the options' "value" spells it
            "label": shown,
            "score": suggestion.score,
        }

    def _payload(self, position: int) -> dict:
        payload = super()._payload(position)
        if self._suggester is None:
            return payload
        return {**payload, "suggestion": self._suggestion_payload(position)}

    def _push_state(self) -> None:
        if self._suggester is None:
            super()._push_state()
            return
        with self._suggest_lock:  # never interleaved with a suggestion arriving
            super()._push_state()
            ahead = self.session.upcoming(PREFETCH)
            position = self.session.position
            self._suggester.prefetch(([] if position is None else [position]) + ahead)

    def _suggestion_ready(self, position: int, suggestion: Suggestion) -> None:
        """In the suggester's thread: put the new suggestion into what the browser holds."""
        with self._suggest_lock, self.hold_sync():
            here = self.session.position
            # the item the browser holds as the sample, not one the session just moved to
            if position == here and self.sample.get("item") == self.session.item_key(here):
                self.sample = {**self.sample, "suggestion": self._suggestion_payload(position)}
            upcoming = self.session.upcoming(PREFETCH)
            if position in upcoming:
                self.upcoming = [self._payload(p) for p in upcoming]

    def _record(self, value: Any, item: Hashable) -> tuple[Any, dict | None]:
        if self._suggester is None:
            return value, None
        suggestion = self._suggester.get(self.session.items.get_loc(item))
        if suggestion is None:
            suggester = self._suggester
            why = "still being computed when the label was saved"
            suggestion = Suggestion(None, suggester.model, suggester.version, error=why)
        return value, suggestion.recorded(value)

    def _confirm_value(self, sent: Any) -> Any:
        if self._suggester is None or self.multi or sent is not None:
            return super()._confirm_value(sent)
        position = self.session.position
        if position is None:
            raise NblabelError("every item is labeled: there is no suggestion to accept")
        suggestion = self._suggester.get(position, wait=SUGGESTION_WAIT_S)
        if suggestion is None:
            raise NblabelError(
                f"the suggestion of {self._suggester.model!r} for this item took longer than "
                f"{SUGGESTION_WAIT_S:g} s: pick the label with its key"
            )
        if suggestion.error is not None:
            raise NblabelError(
                f"no suggestion to accept ({suggestion.error}): pick the label with its key"
            )
        return self._validate(suggestion.label)

    def close(self) -> None:
        """Close the widget and stop computing suggestions."""
        if self._suggester is not None:
            self._suggester.close()
        super().close()


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
    rationale: bool | str = False,
    gold: Mapping[Hashable, Any] | pd.Series | None = None,
    gold_rate: float = 0.05,
    seed: int = 0,
    allow_empty: bool = False,
    suggest: Any = None,
    suggest_version: str | None = None,
    assign: Assignment | None = None,
    image: Hashable | None = None,
    grid: int | None = None,
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
        ``True``: show a box for the reason behind each label, saved with it;
        ``"required"``: no label is saved without a reason.
    suggest, suggest_version
        Pre-labels: a column of suggested labels, a function ``row -> label`` or ``row ->
        {label: probability}`` (any model or LLM client), or ``(model, X)``, a scikit-learn
        classifier with ``predict_proba`` and its feature matrix. Suggestions are computed
        ahead in a background thread, cached in the store (``source="model"``, under the
        model's name and ``suggest_version``), shown and marked; ``Enter`` accepts one. Each
        label records the suggestion and whether it was accepted:
        :func:`nblabel.suggestion_report` reads them back.
    gold, gold_rate, seed
        Known answers ``{item: label}`` for gold checks: those items are spread through the
        order at ``gold_rate`` (shown like any other item); score annotators on them with
        :func:`nblabel.gold_report`. ``seed`` fixes where they land.
    assign
        An :class:`nblabel.Assignment` to share the items with a team on one store: this
        widget shows the annotator's claimed items, a batch at a time (``order=``, as a list,
        is their priority); each item goes to ``overlap`` different annotators.
    image
        A column of images (paths, bytes, PIL images or numpy arrays) to show, downscaled
        for display (EXIF orientation honoured); one that cannot be read shows its error in
        its place. The image identifies the item (the default ``fingerprint``).
    grid
        With ``image=``: show pages of ``grid`` thumbnails (e.g. 12) and label many at a time
        (a :class:`~nblabel.widgets.grid.GridWidget`): click, Shift+click (a range) or
        Ctrl/⌘+click (one more) to select, a digit labels the selection (nothing selected:
        every unlabeled image of the page), ``Enter`` saves the page, one label per image in
        one batch (undone as one step). Python: ``w.select(cells)``, ``w.click(cell)``,
        ``w.label_selection(option)``, ``w.submit_page()``, ``w.page_items``,
        ``w.page_labels``. Not with ``multi``, ``suggest`` or ``assign`` yet.

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
    ask, required = check_rationale(rationale)
    choices = check_options(options)
    size, widget_cls = None, ClassifyWidget
    if image is not None or grid is not None:  # images: widgets/grid.py
        from .grid import GridWidget, check_images, image_column, show_images

        size = check_images(image, grid, text=text, display=display, multi=multi,
                            suggest=suggest, assign=assign)  # fmt: skip
        data = image_column(data, image)
        fingerprint = image if fingerprint is None else fingerprint
        widget_cls = ClassifyWidget if size is None else GridWidget
    if suggest is not None:
        _check_suggest(suggest, data, suggest_version)
    widget = build(
        widget_cls, "classify", data, choices,
        text=text, display=display, fingerprint=fingerprint, multi=multi, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=ask,
        gold=gold, gold_rate=gold_rate, seed=seed, allow_empty=bool(allow_empty),
        assign=assign,
    )  # fmt: skip
    if image is not None:
        show_images(widget, image, size)
    widget.rationale_required = required
    if suggest is not None:
        widget._attach_suggester(
            Suggester(suggest, widget.data, options=choices, store=widget.store,
                      task=widget.session.task, multi=bool(multi), version=suggest_version,
                      fingerprint=widget.session.fingerprint_at)
        )  # fmt: skip
    return widget


def _check_suggest(suggest: Any, data: Any, version: Any) -> None:
    """``suggest=`` checked before anything is opened: a column must be one of the data."""
    if version is not None and not isinstance(version, str):
        raise NblabelError(f"suggest_version= must be text such as 'v2', not {version!r}")
    if callable(suggest) or isinstance(suggest, tuple):
        return
    frame, _ = as_frame(data)
    try:
        known = suggest in frame.columns
    except TypeError:
        known = False
    if not known:
        shown = ", ".join(map(repr, list(frame.columns)[:8]))
        raise NblabelError(
            f"suggest={suggest!r} is not a column of the data ({shown}): give a column of "
            "suggested labels, a function row -> label or row -> {label: probability}, or "
            "(model, X) with a scikit-learn classifier and its feature matrix"
        )


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
    values = check_options(scale, "scale", "[1, 2, 3, 4, 5]")
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
