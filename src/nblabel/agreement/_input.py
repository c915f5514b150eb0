"""Normalise the inputs of the agreement functions into one coded matrix.

Every agreement function accepts three shapes of data and turns them into :class:`Ratings`:
an items × annotators integer matrix of label codes (``-1`` = missing) plus the ordered list of
categories the codes point into. The coefficient kernels then work on numpy only.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_id, check_ids, check_task
from .._errors import NblabelError, NblabelWarning

__all__ = [
    "LONG_COLUMNS",
    "Ratings",
    "as_ratings",
    "check_annotators",
    "long_frame",
    "split_source",
]

#: Columns that mark a DataFrame as long (one row per annotation), as the store returns it.
LONG_COLUMNS = ("item", "annotator", "label")


@dataclass(frozen=True)
class Ratings:
    """Label codes of every annotator on every item.

    ``codes[i, a]`` is the position in ``categories`` of the label annotator ``a`` gave item
    ``i``, or ``-1`` when that annotator did not label that item.
    """

    codes: np.ndarray
    categories: pd.Index
    items: pd.Index
    annotators: pd.Index
    declared: bool = False
    """True when the order of ``categories`` was given (``labels=`` or an ordered Categorical)."""
    weights: np.ndarray | None = None
    """How many times each row counts (whole numbers), or ``None`` for once each: the bootstrap
    draws its resamples as counts of the distinct rows of ratings instead of copying items."""

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    def take(self, rows: np.ndarray) -> Ratings:
        """The ratings of the items at ``rows`` (repeats allowed: used by the bootstrap)."""
        return Ratings(self.codes[rows], self.categories, self.items[rows], self.annotators,
                       self.declared, None if self.weights is None else self.weights[rows])

    def columns(self, names: Sequence[Hashable]) -> Ratings:
        positions = self.annotators.get_indexer(list(names))
        if (positions < 0).any():
            unknown = [n for n, p in zip(names, positions, strict=True) if p < 0]
            raise NblabelError(
                f"annotators= names {unknown!r}, who are not in the data: its annotators are "
                f"{list(self.annotators)!r}"
            )
        return Ratings(self.codes[:, positions], self.categories, self.items,
                       self.annotators[positions], self.declared, self.weights)

    def counts(self) -> np.ndarray:
        """Items × categories matrix: how many annotators gave item ``i`` category ``k``.

        The integer type may be narrow (int16): convert to float before multiplying.
        """
        n, m = self.codes.shape
        k = self.n_categories
        if m * k <= 256:
            # few annotators and labels: compare column by column (contiguous, no big keys)
            out = np.zeros((n, k), dtype=np.int16 if m < 32_767 else np.int64, order="F")
            for a in range(m):
                column = self.codes[:, a]
                for c in range(k):
                    target = out[:, c]
                    np.add(target, column == c, out=target, casting="unsafe")
            return out
        if n * k > 100_000_000:
            raise NblabelError(
                f"{k} distinct labels on {n} items is too many for a per-label count table: "
                "use krippendorff_alpha (any number of values), or round / bin the labels"
            )
        present = self.codes >= 0
        # one bincount over flat (item, category) keys: no Python loop over items
        keys = (np.arange(n, dtype=np.int64)[:, None] * k + self.codes)[present]
        return np.bincount(keys, minlength=n * k).reshape(n, k)

    def expanded(self) -> Ratings:
        """The same ratings with each row repeated ``weights`` times (for code with no
        weights of its own)."""
        if self.weights is None:
            return self
        rows = np.repeat(np.arange(len(self.codes)), self.weights.astype(np.int64))
        return Ratings(self.codes[rows], self.categories, self.items[rows], self.annotators,
                       self.declared)

    def item_weights(self) -> np.ndarray:
        """How many times each row counts, as floats (ones without ``weights``)."""
        if self.weights is None:
            return np.ones(len(self.codes))
        return self.weights.astype(float)

    def present_count(self) -> np.ndarray:
        """Number of ratings of each item."""
        out = np.zeros(self.codes.shape[0], dtype=np.int64)
        for a in range(self.codes.shape[1]):  # annotators, each a contiguous column
            out += self.codes[:, a] >= 0
        return out

    def is_numeric(self) -> bool:
        return all(
            isinstance(c, numbers.Real) and not isinstance(c, (bool, np.bool_))
            for c in self.categories
        )

    def require_order(self, what: str) -> None:
        """Refuse a rank-based coefficient when nothing says which label comes first."""
        if self.declared or self.is_numeric():
            return
        shown = list(self.categories)[:6]
        raise NblabelError(
            f"{what} ranks the labels, but their order is not declared ({shown!r} would only "
            "sort alphabetically): pass labels=[...] listing every label from lowest to highest, "
            "or make the columns an ordered Categorical, e.g. "
            "data.astype(pd.CategoricalDtype(['low', 'mid', 'high'], ordered=True))"
        )


def _sorted_categories(uniques: Sequence[Any]) -> list[Any]:
    try:
        return sorted(uniques)
    except TypeError:
        # mixed types (e.g. 1 and "1"): numbers first, then the rest by text, deterministic
        return sorted(
            uniques, key=lambda v: (not isinstance(v, numbers.Number), type(v).__name__, str(v))
        )


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hash-based codes of a 1-D array, ``-1`` for missing (NaN, None, NA)."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError as exc:
        raise NblabelError(
            "agreement coefficients need one label per annotator and item, but some labels are "
            "lists (multi-label) or other unhashable values: compare one label at a time, e.g. "
            "turn each label into a yes/no column first"
        ) from exc
    return codes, np.asarray(uniques, dtype=object)


def _kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true/false"
    if isinstance(value, numbers.Integral):
        return "whole number"
    if isinstance(value, numbers.Real):
        return "decimal number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def check_label_types(uniques: Sequence[Any]) -> None:
    """Refuse labels of different kinds (``1`` and ``"1"`` never match, so agreement drops
    silently); warn when integers and floats mix (``2`` against ``2.5``), which may be a slip."""
    kinds: dict[str, Any] = {}
    for value in uniques:
        kinds.setdefault(_kind(value), value)
    numeric = {"whole number", "decimal number"}
    if len(set(kinds) - numeric) + bool(set(kinds) & numeric) > 1:
        shown = ", ".join(f"{kind} {example!r}" for kind, example in kinds.items())
        raise NblabelError(
            f"the labels mix kinds ({shown}), so equal-looking labels never match: convert "
            "every annotator's labels to one kind first, e.g. data.astype(str) or "
            "data.apply(pd.to_numeric)"
        )
    if len(kinds) == 2:
        warnings.warn(
            f"the labels mix integers ({kinds['whole number']!r}) and floats "
            f"({kinds['decimal number']!r}); each distinct value counts as its own label: "
            "convert them to one type (and round) first if they should match",
            NblabelWarning,
            stacklevel=4,
        )


def encode_labels(
    values: np.ndarray, labels: Sequence[Any] | None
) -> tuple[np.ndarray, pd.Index]:
    """Codes (``-1`` = missing) of ``values`` into ``labels`` or into the sorted unique values."""
    codes, uniques = _factorize(values)
    check_label_types(list(uniques))
    if labels is None:
        categories = _sorted_categories(list(uniques))
    else:
        categories = check_ids(labels, "labels", "['low', 'mid', 'high']")
        if len(set(map(_hashable_key, categories))) != len(categories):
            raise NblabelError(f"labels= has repeated values: {categories!r}; list each once")
    index = pd.Index(categories, dtype=object)
    remap = index.get_indexer(pd.Index(uniques, dtype=object)) if len(uniques) else np.array([])
    if (remap < 0).any():
        missing = [u for u, r in zip(uniques, remap, strict=True) if r < 0]
        raise NblabelError(
            f"the data holds label(s) {missing[:10]!r} that are not in labels={categories!r}: "
            "add them to labels= (in order), or drop those annotations"
        )
    remap = np.append(remap.astype(np.int64), -1)  # code -1 stays -1 through remap[-1]
    return remap[codes], index


def _hashable_key(value: Any) -> Any:
    return (type(value).__name__, value) if isinstance(value, bool) else value


def split_source(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a long frame into annotator rows and review rows (by its ``source`` column)."""
    if "source" not in frame.columns:
        return frame, frame.iloc[:0]
    source = frame["source"]
    return frame.loc[source == "annotator"], frame.loc[source == "review"]


def long_frame(data: Any, task: str | None) -> pd.DataFrame | None:
    """The long table behind ``data`` (store or long frame), filtered to ``task``; else None."""
    if hasattr(data, "annotations") and not isinstance(data, pd.DataFrame):
        if task is not None:
            check_task(task, list(data.tasks()))
        else:
            tasks = list(data.tasks())
            if len(tasks) != 1:
                raise NblabelError(
                    f"the store holds {len(tasks)} tasks ({tasks!r}): pass task= to choose one"
                )
            task = tasks[0]
        frame = data.annotations(task=task)
        if frame.empty:
            raise NblabelError(
                f"the store has no annotations for task {task!r}; its tasks are "
                f"{list(data.tasks())!r}"
            )
        return frame
    if not isinstance(data, pd.DataFrame):
        raise NblabelError(
            "data= must be a DataFrame of labels (rows = items, columns = annotators, NaN = "
            "missing), "
            "a long DataFrame with columns item, annotator, label, or a LabelStore with task=; "
            f"got {type(data).__name__}. Wrap arrays first: pd.DataFrame(array)"
        )
    if not set(LONG_COLUMNS) <= set(data.columns):
        if task is not None:
            raise NblabelError(
                "task= only applies to a LabelStore or a long DataFrame with a task column; "
                "this DataFrame is wide (items × annotators): drop task="
            )
        return None
    if "task" in data.columns:
        if task is not None:
            check_id(task, "task", "'sentiment'")
            of_task = (data["task"] == task).to_numpy()
            if not of_task.any():
                tasks = pd.unique(data["task"].to_numpy(dtype=object))[:10]
                raise NblabelError(
                    f"task={task!r}: the annotations have no task {task!r}; their tasks: "
                    f"{', '.join(map(repr, tasks)) or 'none'}"
                )
            data = data.loc[of_task]
        elif data["task"].nunique() > 1:
            raise NblabelError(
                f"the annotations hold several tasks ({sorted(data['task'].unique())!r}): "
                "pass task= to choose one"
            )
    elif task is not None:
        raise NblabelError("task= was given but the long DataFrame has no task column")
    return data


def _ordered_categories(dtypes: Sequence[Any]) -> list[Any] | None:
    """The categories of ordered Categorical dtypes (all alike), or None when there are none."""
    ordered = [d for d in dtypes if isinstance(d, pd.CategoricalDtype) and d.ordered]
    if not ordered:
        return None
    first = list(ordered[0].categories)
    for other in ordered[1:]:
        if list(other.categories) != first:
            raise NblabelError(
                f"the ordered Categorical columns declare different orders ({first!r} and "
                f"{list(other.categories)!r}): give every column the same CategoricalDtype, "
                "or pass labels= in order"
            )
    return first


def ratings_from_long(frame: pd.DataFrame, labels: Sequence[Any] | None) -> Ratings:
    """Ratings from one-row-per-annotation data (annotator-sourced rows only)."""
    frame, _ = split_source(frame)
    declared = labels is not None
    if labels is None:
        labels = _ordered_categories([frame["label"].dtype])
        declared = labels is not None
    try:
        item_codes, items = pd.factorize(frame["item"].to_numpy(dtype=object))
        ann_codes, annotators = pd.factorize(frame["annotator"].to_numpy(dtype=object))
    except TypeError as exc:
        raise NblabelError("item and annotator ids must be hashable (not lists)") from exc
    label_codes, categories = encode_labels(frame["label"].to_numpy(dtype=object), labels)
    keep = (item_codes >= 0) & (ann_codes >= 0) & (label_codes >= 0)
    item_codes, ann_codes, label_codes = item_codes[keep], ann_codes[keep], label_codes[keep]
    m = len(annotators)
    key = item_codes.astype(np.int64) * m + ann_codes
    _, first, seen = np.unique(key, return_index=True, return_counts=True)
    if (seen > 1).any():
        row = first[np.argmax(seen > 1)]
        raise NblabelError(
            f"annotator {annotators[ann_codes[row]]!r} has {seen.max()} labels for item "
            f"{items[item_codes[row]]!r}: keep one per annotator and item, e.g. "
            "frame.drop_duplicates(['item', 'annotator'], keep='last')"
        )
    codes = np.full((len(items), m), -1, dtype=np.int64, order="F")
    codes[item_codes, ann_codes] = label_codes
    order = np.arange(m)
    with contextlib.suppress(TypeError):  # annotators in name order when their names sort
        order = np.asarray(sorted(range(m), key=lambda j: annotators[j]), dtype=np.int64)
    codes = small_codes(np.asfortranarray(codes[:, order]), len(categories))
    return Ratings(codes, categories, pd.Index(items, dtype=object, name="item"),
                   pd.Index(np.asarray(annotators, dtype=object)[order], name="annotator"),
                   declared)


def small_codes(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """The narrowest signed integer type that holds the codes (less memory traffic)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return codes.astype(dtype, copy=False)
    return codes.astype(np.int64, copy=False)


#: Elements per block when coding floats: the temporaries stay in cache and are reused, where
#: whole-array temporaries would cost a page fault per 4 KiB on every call.
BLOCK = 1 << 16


def _shift_to_codes(
    columns: np.ndarray, lo: Any, hi: Any, dtype: np.dtype
) -> np.ndarray | None:
    """``columns - lo`` as integers of ``dtype`` (``-1`` for NaN), block by block; None when a
    present value is not a whole number."""
    flat = columns.reshape(-1)  # C-contiguous (annotators × items): a view
    out = np.empty(flat.shape, dtype=dtype)
    info = np.iinfo(dtype)
    if columns.dtype.kind != "f":
        np.subtract(flat, lo, out=out, casting="unsafe")
        return out.reshape(columns.shape)
    # Codes are built as ``value - lo + 1`` with 0 for missing (a multiply by "present" is
    # far faster than a masked write), then shifted down by one at the end. Values that fit
    # the code type are cast as they are, else shifted in floats first.
    direct = info.min < lo and hi <= info.max
    step = out.dtype.type(int(lo) - 1 if direct else -1)
    buffer = None if direct else np.empty(min(BLOCK, flat.size))
    for start in range(0, flat.size, BLOCK):
        src = flat[start : start + BLOCK]
        values = src if direct else np.subtract(src, lo, out=buffer[: len(src)])
        raw = out[start : start + BLOCK]
        with np.errstate(invalid="ignore", over="ignore"):  # NaN -> int is garbage, zeroed
            np.copyto(raw, values, casting="unsafe")
            present = raw == values  # False for NaN and for a fractional value
            raw -= step
        absent = len(src) - np.count_nonzero(present)
        if absent:
            if absent != np.count_nonzero(np.isnan(src)):
                return None  # a present value is fractional
            np.multiply(raw, present, out=raw, casting="unsafe")
    out -= out.dtype.type(1)
    return out.reshape(columns.shape)


def _integer_codes(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Fast path for numeric labels that are whole numbers in a modest range (Likert scores,
    class ids): codes by offset from the minimum, no hashing or sorting. None otherwise."""
    if columns.dtype.kind not in "iuf" or columns.size == 0:
        return None
    floating = columns.dtype.kind == "f"
    if floating:
        lo = np.fmin.reduce(columns, axis=None)  # NaN only when every rating is missing
        hi = np.fmax.reduce(columns, axis=None)
    else:
        lo, hi = columns.min(), columns.max()
    span = float(hi) - float(lo)
    if not np.isfinite(span) or span > 1_000_000:
        return None
    size = int(span) + 1
    dtype = small_codes(np.zeros(0, dtype=np.int64), size).dtype
    raw = _shift_to_codes(columns, lo, hi, dtype)
    if raw is None:
        return None  # fractional values: the general path sorts them
    if size <= 64:  # a few values: one comparison each beats a bincount over all ratings
        used = np.array([(raw == v).any() for v in range(size)])
    else:
        used = np.bincount(raw[raw >= 0].astype(np.intp), minlength=size) > 0
    values = np.flatnonzero(used) + lo
    uniques = values.astype(float) if floating else values.astype(columns.dtype)
    if not used.all():  # renumber so that codes only point at values that occur
        remap = small_codes(np.append(np.cumsum(used) - 1, -1), int(used.sum()))
        raw = remap[raw]
    return raw, np.asarray(uniques.tolist(), dtype=object)


def ratings_from_wide(frame: pd.DataFrame, labels: Sequence[Any] | None) -> Ratings:
    """Ratings from an items × annotators frame (NaN / None = not labelled)."""
    if frame.columns.has_duplicates:
        dup = frame.columns[frame.columns.duplicated()].tolist()
        raise NblabelError(f"annotator column(s) {dup!r} appear twice: give each annotator one")
    declared = labels is not None
    if labels is None:
        labels = _ordered_categories(list(frame.dtypes))
        declared = labels is not None
    # annotators × items, so each annotator's labels are contiguous
    columns = frame.to_numpy().T
    fast = _integer_codes(columns) if labels is None else None
    if fast is not None:
        codes, uniques = fast
        categories = pd.Index(list(uniques), dtype=object)
    else:
        flat, categories = encode_labels(np.ascontiguousarray(columns).ravel(), labels)
        codes = flat.reshape(columns.shape)
    codes = small_codes(codes, len(categories)).T  # items × annotators, Fortran order
    return Ratings(codes, categories, frame.index, pd.Index(frame.columns, name="annotator"),
                   declared)


def as_ratings(
    data: Any,
    task: str | None = None,
    labels: Sequence[Any] | None = None,
    annotators: Sequence[Hashable] | None = None,
) -> Ratings:
    """Ratings from a wide frame, a long frame or a store (see the module docstring)."""
    long = long_frame(data, task)
    ratings = ratings_from_wide(data, labels) if long is None else ratings_from_long(long, labels)
    if annotators is not None:
        ratings = ratings.columns(check_annotators(annotators))
    return ratings


def check_annotators(annotators: Any, name: str = "annotators") -> list[Hashable]:
    """``annotators=``: a non-empty list of annotator names (or column names of wide data)."""
    names = check_ids(annotators, name, "['alice', 'bob']")
    if not names:
        raise NblabelError(f"{name}= is empty: name the annotators to compare, or leave it out")
    return names
