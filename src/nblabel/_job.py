"""What a labeling job needs before any widget exists: the data as a frame, the task's name,
the annotator, the store's name for people, the options recorded with the task, and gold items
mixed into the order. Pure: every widget builder uses it, and it imports no widget library."""

from __future__ import annotations

import getpass
import os
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_store_path
from ._codec import encode
from ._errors import NblabelError
from ._session import LabelingSession, Ordering
from ._store import DEFAULT_PATH, LabelStore

Order = Sequence[Hashable] | Ordering | None
Columns = Hashable | Sequence[Hashable] | bool | None


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
            f"data= must be a pandas DataFrame, a Series or a list, not {type(data).__name__}"
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
            if isinstance(value, dict) and "label" in value:
                value = value["label"]  # a span: its class is the option
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


def open_store(store: Any) -> LabelStore:
    """``store=`` as a store: the default file in the working directory for ``None``, else the
    store at a path or URL (checked first, so that its error names ``store=``)."""
    if store is None:
        return LabelStore(Path.cwd() / DEFAULT_PATH)
    if isinstance(store, LabelStore):
        return store
    return LabelStore(check_store_path(store, "store"))


def default_annotator() -> str:
    # on a shared JupyterHub every kernel runs as one OS user: the hub names the person
    hub_user = os.environ.get("JUPYTERHUB_USER", "").strip()
    if hub_user:
        return hub_user
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "anonymous"


def store_label(store: LabelStore) -> str:
    if store.path is None:  # a database server: its URL, without the password
        return store.location
    try:
        return os.path.relpath(store.path)
    except ValueError:
        return str(store.path)


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
