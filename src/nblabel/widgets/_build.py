"""The one builder under every widget function: checks every argument before anything is
opened or written, opens the store, names the task, makes the session and the widget."""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import pandas as pd

from .._assign import AssignedOrder, Assignment
from .._checks import (
    check_callable,
    check_column,
    check_flag,
    check_name,
    check_order,
    check_rate,
    check_seed,
    check_store_path,
    checked_keymap,
    given,
)
from .._content import ContentMaker
from .._errors import NblabelError
from .._fingerprint import Fingerprinter, data_key, fingerprint_columns
from .._job import (
    Columns,
    Order,
    as_frame,
    check_renamed_options,
    default_annotator,
    default_task,
    legacy_task,
    mix_gold,
    open_store,
    store_label,
)
from .._session import LabelingSession
from .._store import LabelStore
from ._base import LabelWidget

__all__ = ["build", "check_assign"]


def check_assign(assign: Any, order: Any, gold: Any) -> None:
    """``assign=``: an :class:`~nblabel.Assignment`, with an order (a list of ids: the
    priority of the items, or an ordering such as active learning: it ranks what this
    annotator claims next) and no gold items."""
    if not isinstance(assign, Assignment):
        raise NblabelError(
            f"assign= must be an nblabel.Assignment, such as nblabel.Assignment(overlap=2, "
            f"batch=20), not {given(assign)}"
        )
    if gold is not None:
        raise NblabelError(
            "gold= cannot be mixed into an assignment yet: put the gold items up with the "
            "others, or label them without assign="
        )


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
    widget_options: Mapping[str, Any] | None = None,
    source: str = "annotator",
    assign: Assignment | None = None,
) -> LabelWidget:
    # every argument is checked before anything is opened or written
    multi, rationale = check_flag(multi, "multi"), check_flag(rationale, "rationale")
    order = check_order(order)
    if assign is not None:
        check_assign(assign, order, gold)
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
    store = open_store(store)
    annotator = default_annotator() if annotator is None else annotator
    defaulted = task is None
    if defaulted:
        identifying = locs if locs is not None else fingerprint_columns(frame, None, text)
        task = default_task(kind, choices, data_key(frame, identifying))
    if assign is not None:  # the queue: this annotator's claims, a batch at a time
        order = AssignedOrder(assign, store, task, annotator, order)
    session = LabelingSession(
        frame.index, store=store, task=task, annotator=annotator, order=order, source=source,
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
        **(widget_options or {}),  # what one modality's widget takes besides the rest
    )
    if isinstance(order, AssignedOrder) and order.waiting:
        minutes = max(1, round(assign.claim_timeout / 60))
        waiting = (
            f"Every item left of task {task!r} is claimed by other annotators for now: the "
            f"widget asks again every few seconds (claims not labeled within {minutes} min go "
            "to whoever asks next)."
        )
        widget.waiting_notice = waiting
        widget.notice = f"{widget.notice}\n{waiting}" if widget.notice else waiting
    return widget
