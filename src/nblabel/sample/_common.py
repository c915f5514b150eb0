"""Shared input checks for the samplers: item ids, sizes, seeds and annotation tables."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_task, given
from .._errors import NblabelError

__all__ = [
    "as_matrix",
    "check_n",
    "hashable",
    "item_ids",
    "long_frame",
    "rng_for",
    "to_ids",
]


def item_ids(data: Any, what: str = "data") -> pd.Index:
    """The item ids of ``data``: the index of a DataFrame or Series, the values of an Index,
    and positions ``0..n-1`` for anything else (a numpy array, a list of rows)."""
    if isinstance(data, (pd.DataFrame, pd.Series)):
        index = data.index
    elif isinstance(data, pd.Index):
        index = data
    else:
        if isinstance(data, (str, bytes, Mapping, AbstractSet)):
            raise NblabelError(
                f"{what} must be a DataFrame, Series, pandas Index or array, not "
                f"{type(data).__name__}: the items are its rows"
            )
        try:
            n = len(data)
        except TypeError:
            raise NblabelError(
                f"{what} must be a DataFrame, Series, pandas Index or array, "
                f"not {type(data).__name__}"
            ) from None
        return pd.RangeIndex(n)
    try:
        unique = index.is_unique
    except TypeError:  # a list or a dict among the ids (hashed here by some pandas versions)
        raise NblabelError(
            f"{what} holds a list or a dict among its ids: give one value per item"
        ) from None
    if not unique:
        dupes = index[index.duplicated()].unique()[:3].tolist()
        raise NblabelError(
            f"{what} has duplicate item ids (e.g. {dupes}): item ids must be unique; "
            "call .reset_index() or drop the duplicates first"
        )
    return index


def check_n(n: Any, size: int, *, what: str = "data", allow_more: bool = False) -> int:
    """``n`` as an int in ``[0, size]`` (``None`` means all of them)."""
    if n is None:
        return size
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise NblabelError(f"n= must be a whole number, not {n!r}")
    n = int(n)
    if n < 0:
        raise NblabelError(f"n= must be 0 or more, not {n}")
    if n > size and not allow_more:
        raise NblabelError(
            f"n={n} is larger than the {size} items in {what}: ask for at most {size} "
            "(or n=None for all of them)"
        )
    return n


def rng_for(seed: Any) -> np.random.Generator:
    """A private generator: never the global numpy state, so every call is reproducible."""
    # only plain ints: None or a shared Generator would make the result differ between calls
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise NblabelError(f"seed= must be a non-negative whole number, not {seed!r}")
    return np.random.default_rng(int(seed))


def to_ids(index: pd.Index, positions: np.ndarray) -> list:
    """Item ids at ``positions`` as a plain Python list (tuples for a MultiIndex)."""
    positions = np.asarray(positions, dtype=np.intp)
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return positions.tolist()  # the ids are the positions: skip building an Index
    return index.take(positions).tolist()


def as_matrix(values: Any, what: str, *, any_float: bool = False) -> np.ndarray:
    """A finite 2-D float array, or a clear error. ``any_float``: an array of float32 (say)
    is kept as it is, not copied to float64 (the caller converts a block at a time)."""
    try:
        floating = any_float and isinstance(values, np.ndarray) and values.dtype.kind == "f"
        matrix = values if floating else np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise NblabelError(f"{what} must hold numbers only: {exc}") from exc
    if matrix.ndim != 2:
        raise NblabelError(f"{what} must be 2-D (one row per item), got shape {matrix.shape}")
    # one sum spots NaN or inf without a full boolean copy; the exact check only if it fails
    if not np.isfinite(matrix.sum()) and not np.isfinite(matrix).all():
        raise NblabelError(f"{what} holds NaN or infinite values: fill or drop those rows first")
    return matrix


def hashable(value: Any) -> Any:
    """Lists and dicts (multi-label values, shapes) made hashable, so they can be counted."""
    if isinstance(value, list):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, hashable(v)) for k, v in value.items()))
    return value


def long_frame(
    store_or_frame: Any, task: str | None, *, what: str = "store", known_task: bool = False
) -> pd.DataFrame:
    """Annotator labels as a long table with at least ``item, annotator, label``.

    A store is read with ``annotations(task=task, source="annotator")``; a DataFrame is used
    as given (filtered to ``task`` when it has a ``task`` column). ``known_task``: a task
    the store does not hold, while it holds others, is refused (a misspelled name), not read
    as an empty table.
    """
    if task is not None and not isinstance(task, str):
        raise NblabelError(f"task= must be a task name (a string) or None, not {given(task)}")
    if known_task and task is not None and hasattr(store_or_frame, "tasks"):
        tasks = store_or_frame.tasks()
        if tasks:  # a store with no labels yet has no misspelled task either
            check_task(task, tasks)
    if hasattr(store_or_frame, "annotations"):
        if task is None:
            tasks = store_or_frame.tasks() if hasattr(store_or_frame, "tasks") else []
            if len(tasks) > 1:
                raise NblabelError(
                    f"the store holds several tasks ({', '.join(map(str, tasks[:5]))}): "
                    "pass task=..."
                )
        frame = store_or_frame.annotations(task=task, source="annotator")
    elif isinstance(store_or_frame, pd.DataFrame):
        frame = store_or_frame
        missing = [c for c in ("item", "annotator", "label") if c not in frame.columns]
        if missing:
            raise NblabelError(
                f"the annotation table has no column {missing[0]!r}: give a LabelStore or a "
                "long DataFrame with columns item, annotator, label (as store.annotations())"
            )
        if "task" in frame.columns:
            if task is not None:
                tasks = frame["task"].unique().tolist()
                if known_task and tasks:
                    check_task(task, tasks, holder="the table")
                frame = frame.loc[frame["task"] == task]
            elif frame["task"].nunique() > 1:
                raise NblabelError("the annotation table holds several tasks: pass task=...")
    else:
        raise NblabelError(
            f"{what}= must be a LabelStore or a long DataFrame of annotations (columns item, "
            f"annotator, label, as store.annotations()), not {given(store_or_frame)}"
        )
    return frame.loc[:, ["item", "annotator", "label"]].reset_index(drop=True)
