"""The functions users call: ``classify``, ``rate`` and ``caption``, each a thin builder of a
:class:`~nblabel._widget.LabelWidget` over a :class:`~nblabel._session.LabelingSession`."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._checks import (
    check_callable,
    check_column,
    check_flag,
    check_name,
    check_options,
    check_order,
    check_rate,
    check_seed,
    check_store_path,
    checked_keymap,
)
from ._codec import encode
from ._content import ContentMaker
from ._errors import NblabelError
from ._fingerprint import Fingerprinter, data_key, fingerprint_columns
from ._session import LabelingSession, Ordering
from ._store import DEFAULT_PATH, LabelStore
from ._widget import LabelWidget

__all__ = ["CaptionWidget", "ClassifyWidget", "RateWidget", "caption", "classify", "rate"]

Order = Sequence[Hashable] | Ordering | None
Columns = Hashable | Sequence[Hashable] | bool | None


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


def as_frame(data: Any) -> tuple[pd.DataFrame, str | None]:
    """The data as a DataFrame (not copied), and the column to show for 1-D data."""
    if isinstance(data, pd.DataFrame):
        frame, column = data, None
    elif isinstance(data, pd.Series):
        column = data.name if data.name is not None else "value"
        frame = data.to_frame(name=column)
    elif isinstance(data, (list, tuple, np.ndarray, pd.Index)):
        frame, column = pd.DataFrame({"value": list(data)}), "value"
    else:
        raise NblabelError(
            f"data must be a pandas DataFrame, a Series or a list, not {type(data).__name__}"
        )
    if len(frame) == 0:
        raise NblabelError("the data is empty: give at least one row to label")
    return frame, column


def default_task(kind: str, choices: list, key: str) -> str:
    """The task name when ``task=`` is not given: the kind, the options as JSON (unambiguous:
    ``["a|b","c"]`` is not ``["a","b|c"]``, ``[1,2]`` is not ``["1","2"]``) and a short hash of
    the names of the columns that identify an item, so two data sets labeled with the same
    options do not share a task. Rows with the same ids but other content (the same columns,
    other data) are caught by the fingerprints stored with each label."""
    return f"{kind}:{encode(choices)}@{key}" if choices else f"{kind}@{key}"


def legacy_task(kind: str, choices: list, text: Hashable | None) -> str:
    """The default task name of earlier versions, to find labels stored under it."""
    return f"{kind}:" + "|".join(map(str, choices)) if choices else f"{kind}:{text or 'rows'}"


def check_renamed_options(
    session: LabelingSession, store: LabelStore, task: str, kind: str, choices: list
) -> None:
    """Record the task's options in the store; when they changed since, say which labels in
    the store are no longer options. The labels are read only when the options changed."""
    info = store.task_info(task)
    known = None if info is None else info.get("options")
    if known is not None and encode(known) == encode(choices):
        return
    wanted = set(map(encode, choices))
    stale: dict[str, int] = {}
    for label in store.annotations(task=task)["label"]:
        for value in label if isinstance(label, list) else [label]:
            text = encode(value)
            if text not in wanted:
                stale[text] = stale.get(text, 0) + 1
    if stale:
        n = sum(stale.values())
        named = ", ".join(f"{text} ({count})" for text, count in sorted(stale.items())[:10])
        before = "" if known is None else f" (they were {known!r})"
        session.notify(
            f"Task {task!r} now has the options {choices!r}{before}; {n} label"
            f"{'s' if n > 1 else ''} in the store {'are' if n > 1 else 'is'} no longer an option: "
            f"{named}. They stay in the store as they are: relabel those items, map the old "
            "labels to the new ones in your analysis, or use another task= for the new options."
        )
    if not store.read_only:
        store.set_task_info(task, {**(info or {}), "kind": kind, "options": choices})


def default_annotator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "anonymous"


def store_label(store: LabelStore) -> str:
    try:
        return os.path.relpath(store.path)
    except ValueError:
        return str(store.path)


def build(
    widget_cls: type[LabelWidget],
    kind: str,
    data: Any,
    choices: list,
    *,
    text: str | None,
    display: Callable[[pd.Series], Any] | None,
    fingerprint: Columns,
    multi: bool,
    store: LabelStore | str | os.PathLike | None,
    annotator: str | None,
    task: str | None,
    order: Order,
    keys: Mapping[str, Any] | Sequence[str] | str | None,
    rationale: bool,
    option_keys: Sequence[str] | None = None,
    gold: Mapping[Hashable, Any] | pd.Series | None = None,
    gold_rate: float = 0.05,
    seed: int = 0,
    allow_empty: bool = False,
    option_notes: Sequence[str | None] | None = None,
) -> LabelWidget:
    # every argument is checked before anything is opened or written
    multi, rationale = check_flag(multi, "multi"), check_flag(rationale, "rationale")
    order = check_order(order)
    if text is not None:
        check_column(text, "text")
    if display is not None:
        check_callable(display, "display", "lambda row: row.text")
    if annotator is not None:
        check_name(annotator, "annotator")
    if task is not None:
        check_name(task, "task", "sentiment")
    gold_rate, seed = check_rate(gold_rate, "gold_rate"), check_seed(seed)
    if store is not None and not isinstance(store, LabelStore):
        check_store_path(store, "store")
    keymap = checked_keymap(choices, keys, option_keys=option_keys)
    frame, column = as_frame(data)
    if gold is not None:
        order = mix_gold(frame.index, choices, order, gold, gold_rate, seed)
    if text is None and display is None:
        text = column
    content = ContentMaker(frame, text=text, display=display)
    locs = fingerprint_columns(frame, fingerprint, text)
    if store is None:
        store = LabelStore(Path.cwd() / DEFAULT_PATH)
    elif not isinstance(store, LabelStore):
        store = LabelStore(store)
    annotator = default_annotator() if annotator is None else annotator
    defaulted = task is None
    if defaulted:
        identifying = locs if locs is not None else fingerprint_columns(frame, None, text)
        task = default_task(kind, choices, data_key(frame, identifying))
    session = LabelingSession(
        frame.index, store=store, task=task, annotator=annotator, order=order,
        fingerprint=None if locs is None else Fingerprinter(frame, locs),
    )  # fmt: skip
    if defaulted and store.last_label_event(task, annotator) is None:
        earlier = legacy_task(kind, choices, text)
        if store.last_label_event(earlier, annotator) is not None:
            session.notify(
                f"{annotator!r} has labels under the task {earlier!r}, the default name of "
                f"earlier versions of nblabel; this widget's default task is {task!r}. To go "
                f"on with those labels, pass task={earlier!r}."
            )
    if choices:
        check_renamed_options(session, store, task, kind, choices)
    widget = widget_cls(
        frame,
        session=session,
        content=content,
        choices=choices,
        keymap=keymap,
        multi=multi,
        rationale=rationale,
        store_label=store_label(store),
        kind=kind,
        allow_empty=allow_empty,
        option_notes=option_notes,
    )
    return widget


def mix_gold(
    items: pd.Index,
    choices: list,
    order: Order,
    gold: Mapping[Hashable, Any] | pd.Series,
    rate: float,
    seed: int,
) -> list | Ordering:
    """The order with gold items (known answers) spread through it at ``rate``; an active
    ordering gets them mixed into every new order it gives."""
    from .sample import GoldMixed, with_gold

    if not isinstance(gold, (Mapping, pd.Series)):
        raise NblabelError(
            f"gold= must be the known answers as {{item id: known label}} (a dict or a Series "
            f"indexed by item id), not {type(gold).__name__}: e.g. gold={{'a': 'pos'}}"
        )
    answers = pd.Series(gold) if not isinstance(gold, pd.Series) else gold
    if answers.empty:
        raise NblabelError("gold= is empty: give {item id: known label} for a few items")
    missing = answers.index[items.get_indexer(answers.index) < 0]
    if len(missing):
        raise NblabelError(
            f"gold= names items that are not in the data: {missing[:5].tolist()!r}; its keys "
            "must be ids of the data's index"
        )
    if choices:
        strange = sorted({str(v) for v in answers if v not in choices})
        if strange:
            raise NblabelError(
                f"gold= holds labels that are not options: {strange!r}; the options are "
                f"{choices!r}"
            )
    if isinstance(order, Ordering):
        return GoldMixed(order, answers.index, rate, seed=seed)
    base = list(items) if order is None else list(order)
    return with_gold(base, answers.index, rate, seed=seed)


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
