"""Text spans (entities, highlights): mark parts of a text with classes, on the shared base.

The path of one span: the mouse selects text in the browser (``static/spans.js``), which snaps
the selection to the token bounds the payload carries (UTF-16 units, made by
:class:`~nblabel._spans.SpanItems`); a digit gives it a class and it joins the item's draft
(the ``draft`` trait, so ``w.spans`` sees it); ``Enter`` sends the whole draft as one label,
``{kind: "label", value: {"utf16": [...]}}``. The kernel turns the offsets into Python's
(code points), checks every span against the item's text, and the base saves the list as one
annotation: undo, fingerprints and "saved means on disk" are the base's. In Python the same
path is ``w.add_span(start, end, label)`` then ``w.submit()``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import traitlets as t

from .._checks import check_column, check_flag, check_int, given
from .._errors import NblabelError
from .._job import Columns, Order, as_frame
from .._keymap import Action
from .._spans import (
    Span,
    SpanItems,
    check_classes,
    contested_spans,
    overlapping,
    suggestion_outcomes,
    tokenizer_of,
)
from .._store import LabelStore
from ._base import LabelWidget, _Intent
from ._build import build

__all__ = ["SpansWidget", "annotate_spans", "review_spans"]

#: The keys of back and skip here: the arrows move the caret in the text.
NAV_KEYS = {"PageUp": Action.BACK, "PageDown": Action.SKIP}

#: Keys the view handles itself, for the ``?`` list.
VIEW_KEYS = [
    ["ArrowLeft", "move the caret one token (or character) back"],
    ["ArrowRight", "move the caret one token (or character) on"],
    ["Shift+Arrow", "extend the selection from the caret"],
    ["Delete", "remove the span clicked on"],
    ["Escape", "drop the selection (again: leave the widget)"],
]


class SpansWidget(LabelWidget):
    """Mark spans of each text with classes; ``Enter`` saves the item's spans as one label."""

    _view = "spans"

    overlap = t.Bool(False).tag(sync=True)
    """Spans may overlap (nest); otherwise an overlapping span is refused."""
    draft = t.Dict().tag(sync=True, browser=True)
    """The spans being marked on the item on screen, not yet saved: ``{"item": JSON id,
    "spans": [{"start", "end", "label"}]}`` in UTF-16 units (the browser's), the saved label or
    the pre-labels to begin with (``"suggested": true``, drawn dashed). The browser and
    :meth:`add_span` both change it."""

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        items: SpanItems,
        text: Hashable = None,
        prelabels_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._items = items
        self._text = text
        self._prelabels_name = prelabels_name  # the column or function the suggestions come from
        self._labeled_item: Any = None
        kwargs["content"] = items.content
        super().__init__(data, **kwargs)
        picks = [
            [option["key"], f"give the selection the class {option['label']}"]
            for option in self.options
            if option["key"]
        ]
        rest = [row for row in self.key_help if not row[1].startswith("pick ")]
        with self.hold_sync():
            self.overlap = items.overlap
            self.key_help = [
                *picks,
                ["Enter", "save the item's spans (none: the item has no span)"],
                *(row for row in rest if row[0] not in ("Enter", "Escape")),
                *VIEW_KEYS,
            ]

    # -- public state and twins --------------------------------------------------------------
    @property
    def spans(self) -> list[Span]:
        """The spans marked on the item on screen (saved or not), in Python offsets."""
        position = self.session.position
        if position is None:
            return []
        draft = self.draft
        if draft.get("item") != self.session.item_key(position):
            return []
        return self._items.from_browser(position, draft.get("spans", []))

    def add_span(self, start: int, end: int, label: str) -> None:
        """Mark ``text[start:end]`` (Python offsets) with the class ``label`` on the item on
        screen, snapped to tokens as a mouse selection is; saved with :meth:`submit`."""
        position = self._position()
        start, end = check_int(start, "start"), check_int(end, "end")
        spans = self._items.add(position, self.spans, start, end, label)
        self._set_draft(position, spans)

    def remove_span(self, index: int) -> None:
        """Remove the ``index``-th of :attr:`spans` (in order of position)."""
        position = self._position()
        spans = self.spans
        index = check_int(index, "index")
        if not -len(spans) <= index < len(spans):
            raise NblabelError(
                f"index={index}: the item on screen has {len(spans)} span"
                f"{'' if len(spans) == 1 else 's'}; give 0 to {len(spans) - 1}"
                if spans
                else f"index={index}: the item on screen has no span to remove"
            )
        del spans[index]
        self._set_draft(position, spans)

    def submit(self, value: Any = None, rationale: str | None = None) -> None:
        """Save the spans of the item on screen (``value``: these spans instead of
        :attr:`spans`, as dicts ``{"start", "end", "label"}`` or ``(start, end, label)`` in
        Python offsets, snapped to tokens like a selection) and show the next item. An empty
        list says the item has no span."""
        super().submit(self.spans if value is None else value, rationale)

    # -- the base's hooks ----------------------------------------------------------------------
    def _record(self, value: Any, item: Hashable) -> tuple[Any, dict | None]:
        # with pre-labels, what became of each suggested span, for nblabel.suggestion_report
        if self._items.prelabels is None:
            return value, None
        suggested = self._items.suggested(self.session.items.get_loc(item))
        if not suggested:
            return value, None
        return value, {
            "span_suggestions": {
                "model": self._prelabels_name,
                "spans": suggestion_outcomes(suggested, value),
            }
        }

    def _export_call(self) -> str:
        return (
            f"nblabel.export.spans(w.store, {self.session.task!r}, df, text={self._text!r}, "
            "path='spans.jsonl')"
        )

    def _position(self) -> int:
        position = self.session.position
        if position is None:
            raise NblabelError("every item is labeled: there is no text on screen to mark")
        return position

    def _validate(self, value: Any) -> list[Span]:
        # from the browser: {"utf16": spans} for the item it names; from Python: code points
        item = self._labeled_item
        position = self._position() if item is None else self.session._position_of(item)
        if isinstance(value, Mapping) and set(value) == {"utf16"}:
            return self._items.from_browser(position, value["utf16"])
        return self._items.check(position, value)

    def _on_label_message(self, content: dict, intent: _Intent) -> None:
        # the spans are checked against the text of the item the browser labeled, which may be
        # a prefetched one ahead of the kernel's
        self._labeled_item = intent.item
        try:
            super()._on_label_message(content, intent)
        finally:
            self._labeled_item = None

    def _confirm_value(self, sent: Any) -> list[Span]:
        return self._validate(self.spans if sent is None else sent)

    def _pick(self, index: int, intent: _Intent) -> None:
        raise NblabelError(
            f"a class key marks the text selected in the browser; from Python, use "
            f"w.add_span(start, end, {self._choices[index]!r}) and w.submit()"
        )

    def _push_state(self) -> None:
        super()._push_state()
        position = self.session.position
        if position is None:
            self.draft = {}
            return
        if self.draft.get("item") == self.session.item_key(position):
            return  # the same item: its draft stands (an error, a refused save)
        held = self.session.current_label()
        try:
            if held is not None:
                self._set_draft(position, list(held.label))
            else:
                self._set_draft(position, self._items.suggested(position), suggested=True)
        except NblabelError as exc:  # a stored label or a pre-label that no longer fits
            self.draft = {"item": self.session.item_key(position), "spans": []}
            self.error = str(exc)

    def _set_draft(self, position: int, spans: Sequence[Span], suggested: bool = False) -> None:
        shown = self._items.to_browser(position, spans)
        if suggested:
            shown = [{**span, "suggested": True} for span in shown]
        self.draft = {"item": self.session.item_key(position), "spans": shown}


def _nav_keys(keys: Any, classes: list[str]) -> dict:
    """``keys=`` as a dict, with back and skip on PageUp/PageDown unless given."""
    if keys is None:
        given_keys: dict = {}
    elif isinstance(keys, Mapping):
        given_keys = dict(keys)
    elif isinstance(keys, (str, list, tuple)) and len(keys) == len(classes):
        given_keys = dict(zip(keys, classes, strict=True))
    else:
        raise NblabelError(
            f"keys= must be one key per class ('asd' for {len(classes)} classes) or a dict "
            f"such as {{'p': {classes[0]!r}}}, not {given(keys)}"
        )
    targets = set(given_keys.values())
    for key, action in NAV_KEYS.items():
        if action not in targets and key not in given_keys:
            given_keys[key] = action
    return given_keys


def annotate_spans(
    data: Any,
    *,
    text: Hashable | None = None,
    classes: Sequence[str],
    prelabels: Hashable | Callable[[str], Any] | None = None,
    snap: str = "token",
    tokenizer: Callable[[str], Any] | None = None,
    overlap: bool = False,
    fingerprint: Columns = None,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    order: Order = None,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    rationale: bool = False,
) -> SpansWidget:
    """Mark spans of text (entities, highlights) with ``classes``: select, press a digit, Enter.

    Parameters
    ----------
    data
        A DataFrame with a unique index (or a Series or list of texts); never modified.
    text
        The column of texts (not needed for a Series or a list). Offsets everywhere are
        Python's (code points): for every stored span, ``text[start:end] == span["text"]``, in
        any script (the browser's UTF-16 units are converted at the edge).
    classes
        The span classes, in order (keys ``1``–``9``).
    prelabels
        Suggested spans to correct: a column of lists of spans (``{"start", "end", "label"}``
        or ``(start, end, label)``; JSON text too, e.g. a JSONL export read back), or a
        function ``text -> spans`` (a spaCy pipeline: ``lambda t: nlp(t).ents``). Checked and
        snapped like any span; an item's suggestions are its draft until it is saved.
    snap
        ``"token"`` (default): a selection grows to whole tokens, by the Unicode word
        boundaries (Chinese and Japanese snap to characters, an emoji sequence stays whole) or
        ``tokenizer``. ``"char"``: exact characters.
    tokenizer
        A function ``text -> [(start, end)]`` or ``text -> [token]`` (such as a Chinese word
        segmenter's ``lcut``) giving the tokens to snap to.
    overlap
        Allow spans to overlap (nested entities). By default an overlapping span is refused.
    fingerprint, store, annotator, task, order, rationale
        As in :func:`nblabel.classify`. The default task is made from the classes.
    keys
        Other keys for the classes (``"asd"``) or a dict; back and skip are on ``PageUp`` and
        ``PageDown`` (the arrows move the caret).

    Returns
    -------
    SpansWidget
        ``w.labels`` holds each item's list of spans ``{"start", "end", "label", "text"}``;
        ``w.add_span``, ``w.remove_span``, ``w.spans`` and ``w.submit()`` are the twins of
        the mouse and keys.

    Examples
    --------
    >>> w = nblabel.annotate_spans(df, text="sentence", classes=["PER", "ORG", "LOC"],
    ...                            annotator="alice", task="ner")      # doctest: +SKIP
    >>> w.add_span(0, 12, "PER"); w.submit()                          # doctest: +SKIP
    """
    classes = check_classes(classes)
    overlap = check_flag(overlap, "overlap")
    chosen_tokenizer = tokenizer_of(tokenizer, snap)
    frame, column = as_frame(data)
    if text is None:
        if column is None:
            raise NblabelError(
                "text= names the column of texts to mark, e.g. text='sentence'; columns are: "
                + ", ".join(map(repr, list(frame.columns)[:10]))
            )
        text = column
    check_column(text, "text")
    if text not in frame.columns:
        shown = ", ".join(map(repr, list(frame.columns)[:10]))
        raise NblabelError(f"text={text!r} is not a column of the data; columns are: {shown}")
    texts = frame[text].to_numpy(dtype=object)
    suggestions: Any = None
    source = None
    if prelabels is not None:
        source = getattr(prelabels, "__name__", None) if callable(prelabels) else str(prelabels)
        if callable(prelabels):
            suggestions = prelabels
        else:
            check_column(prelabels, "prelabels")
            if prelabels not in frame.columns:
                shown = ", ".join(map(repr, list(frame.columns)[:10]))
                raise NblabelError(
                    f"prelabels={prelabels!r} is not a column of the data (nor a function "
                    f"text -> spans); columns are: {shown}"
                )
            suggestions = frame[prelabels].to_numpy(dtype=object)
    items = SpanItems(
        texts, classes, overlap=overlap, tokenizer=chosen_tokenizer, prelabels=suggestions,
        ids=frame.index,
    )  # fmt: skip
    return build(
        functools.partial(SpansWidget, items=items, text=text, prelabels_name=source),
        "spans", frame, classes,
        text=text, display=None, fingerprint=fingerprint, multi=False, store=store,
        annotator=annotator, task=task, order=order, keys=_nav_keys(keys, classes),
        rationale=rationale,
    )  # fmt: skip



def review_spans(
    store: LabelStore,
    task: str,
    *,
    data: Any,
    text: Hashable | None,
    reviewer: str | None = None,
    min_annotators: int = 2,
    include_agreed: bool = False,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    rationale: bool = True,
) -> SpansWidget:
    """Adjudicate a span task (what :func:`nblabel.review` builds for one): each contested
    text shows every annotator's spans read-only under it, the spans most of them marked are
    the draft to correct, and the final spans are saved with ``source="review"``."""
    if data is None:
        raise NblabelError(
            f"reviewing the spans of {task!r} needs the texts: pass data= (the labeled frame) "
            "and text= (its column of texts)"
        )
    frame, column = as_frame(data)
    text = column if text is None else text
    if text is None or text not in frame.columns:
        shown = ", ".join(map(repr, list(frame.columns)[:10]))
        raise NblabelError(f"text= names the column of texts to review; columns are: {shown}")
    contested = contested_spans(
        store.annotations(task=task, source="annotator"),
        min_annotators=min_annotators, include_agreed=include_agreed,
    )  # fmt: skip
    positions = frame.index.get_indexer(list(contested))
    if (positions < 0).any():
        missing = [i for i, p in zip(contested, positions, strict=True) if p < 0][:5]
        raise NblabelError(
            f"the store has spans of {task!r} on items that are not in data=: {missing!r}; "
            "pass the frame the task was labeled on"
        )
    if not contested:
        raise NblabelError(
            f"nothing to review in {task!r}: no text has {min_annotators}+ annotators whose "
            "spans differ (include_agreed=True reviews agreed texts too)"
        )
    classes = check_classes((store.task_info(task) or {}).get("options") or [])
    entries = list(contested.values())
    nested = any(overlapping(entry["majority"]) for entry in entries) or any(
        overlapping(spans) for entry in entries for _, spans in entry["votes"]
    )
    majority = np.full(len(frame), None, dtype=object)
    votes = {}
    for position, entry in zip(positions, entries, strict=True):
        majority[position] = entry["majority"]
        votes[int(position)] = entry["votes"]
    items = SpanItems(
        frame[text].to_numpy(dtype=object), classes, overlap=nested,
        tokenizer=tokenizer_of(None, "char"), prelabels=majority, ids=frame.index, votes=votes,
    )  # fmt: skip
    return build(
        functools.partial(SpansWidget, items=items, text=text, prelabels_name="majority"),
        "spans", frame, classes,
        text=text, display=None, fingerprint=None, multi=False, store=store,
        annotator=reviewer, task=task, order=list(contested), keys=_nav_keys(keys, classes),
        rationale=rationale, source="review",
    )  # fmt: skip
