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

from ._codec import encode
from ._content import ContentMaker
from ._errors import NblabelError
from ._fingerprint import Fingerprinter, fingerprint_columns
from ._keymap import KeyMap
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


def check_options(options: Any, what: str = "options") -> list:
    if options is None or isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
        raise NblabelError(f"{what}= must be a list such as ['pos', 'neg'], not {options!r}")
    options = list(options)
    if not options:
        raise NblabelError(f"{what}= is empty: give at least one choice")
    for option in options:
        if not isinstance(option, (str, int, float, bool, np.integer, np.floating)):
            raise NblabelError(
                f"{what}= holds {option!r} ({type(option).__name__}): use strings or numbers"
            )
        encode(option)  # rejects NaN and infinities with a clear message
    seen: set = set()
    duplicates = [o for o in options if o in seen or seen.add(o)]
    if duplicates:
        raise NblabelError(f"{what}= lists {duplicates!r} more than once: give each choice once")
    return [o.item() if isinstance(o, np.generic) else o for o in options]


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
) -> LabelWidget:
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
    if not isinstance(annotator, str) or not annotator.strip():
        raise NblabelError(f"annotator= must be a non-empty name, not {annotator!r}")
    if task is None:
        task = f"{kind}:" + "|".join(map(str, choices)) if choices else f"{kind}:{text or 'rows'}"
    if not isinstance(task, str) or not task.strip():
        raise NblabelError(f"task= must be a non-empty name, not {task!r}")
    keymap = KeyMap.build(choices, keys, option_keys=option_keys)
    session = LabelingSession(
        frame.index, store=store, task=task, annotator=annotator, order=order,
        fingerprint=None if locs is None else Fingerprinter(frame, locs),
    )  # fmt: skip
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

    answers = pd.Series(gold) if not isinstance(gold, pd.Series) else gold
    if answers.empty:
        raise NblabelError("gold= is empty: give {item id: known label} for a few items")
    missing = answers.index[items.get_indexer(answers.index) < 0]
    if len(missing):
        raise NblabelError(f"gold= names items that are not in the data: {missing[:5].tolist()!r}")
    if choices:
        strange = sorted({str(v) for v in answers if v not in choices})
        if strange:
            raise NblabelError(f"gold= holds labels that are not options: {strange!r}")
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
) -> ClassifyWidget:
    """Label each row with one of ``options`` (or several, with ``multi=True``).

    Parameters
    ----------
    data
        A DataFrame with a unique index (or a Series / list, wrapped). Never modified.
    options
        The labels to choose from; keys ``1``–``9`` pick them in order.
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
    store
        A :class:`LabelStore` or a path; default ``nblabel.db`` in the working directory.
    annotator
        Whose labels these are; default the OS user name.
    task
        The name labels are stored under; default derived from the options.
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
    return build(
        ClassifyWidget, "classify", data, check_options(options),
        text=text, display=display, fingerprint=fingerprint, multi=bool(multi), store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=rationale,
        gold=gold, gold_rate=gold_rate, seed=seed,
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
) -> RateWidget:
    """Rate each row on a scale (Likert or numeric); a key picks the value.

    When every value of the scale is a whole number from 0 to 9, the key is the value itself
    (``0``–``9``); otherwise keys ``1``–``9`` pick values in order. The other arguments are those of
    :func:`classify`: ``fingerprint`` names the columns whose content identifies an item
    (default the ``text`` column, else every column).

    Examples
    --------
    >>> w = nblabel.rate(df, scale=range(1, 6), text="answer", task="helpfulness")
    ... # doctest: +SKIP
    """
    values = check_options(scale, "scale")
    digits = all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 9 for v in values)
    return build(
        RateWidget, "rate", data, values,
        text=text, display=display, fingerprint=fingerprint, multi=False, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=rationale,
        option_keys=[str(v) for v in values] if digits else None,
    )  # fmt: skip


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
    ``display=``, give e.g. the column of image paths).

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
