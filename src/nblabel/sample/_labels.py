"""Orders read from the labels already given: disagreement and "not yet labeled by k"."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_list, given
from .._errors import NblabelError
from ._common import hashable, item_ids, long_frame, to_ids

__all__ = ["disagreement", "unlabeled"]

#: Up to this many distinct labels, disagreement counts each item's labels in a table (a
#: column per label); more are counted as sorted pairs.
_TABLE_LABELS = 64


def _objects(values: Any) -> np.ndarray:
    """A 1-D object array (a plain list of tuples would become 2-D)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _factorize(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes and distinct values; lists and dicts (multi-label values) count as tuples."""
    try:  # in the column's own type: ints, Arrow strings and objects each hashed natively
        codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=False)
    except TypeError:  # unhashable values: convert them, at Python speed
        codes, uniques = pd.factorize(
            _objects([hashable(v) for v in values]), sort=False, use_na_sentinel=False
        )
    if not isinstance(uniques, pd.Index) or uniques.dtype == object:
        uniques = pd.Index(_objects(list(uniques)), dtype=object, tupleize_cols=False)
    return np.asarray(codes, dtype=np.intp), uniques


def _votes(frame: pd.DataFrame) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """Item codes, item ids and label codes: one vote per annotator per item (the newest)."""
    item_codes, uniques = _factorize(frame["item"])
    annotator_codes, annotators = _factorize(frame["annotator"])
    label_codes = _factorize(frame["label"])[0]
    n_annotators = max(len(annotators), 1)
    pairs = _pairs(item_codes, annotator_codes, n_annotators)
    bins = len(uniques) * n_annotators
    if _few(bins, len(pairs)) and np.bincount(pairs, minlength=bins).max() <= 1:
        return item_codes, uniques, label_codes  # no annotator labeled an item twice
    keep = ~pd.Series(pairs).duplicated(keep="last").to_numpy()
    return item_codes[keep], uniques, label_codes[keep]


def _pairs(first: np.ndarray, second: np.ndarray, n_second: int) -> np.ndarray:
    """One int64 code per pair of codes."""
    return first.astype(np.int64, copy=False) * n_second + second


def _few(bins: int, values: int) -> bool:
    """Whether counting ``values`` codes in an array of ``bins`` beats sorting them."""
    return bins <= 4 * values + (1 << 20)


def _pair_counts(first: np.ndarray, second: np.ndarray, n_second: int) -> tuple:
    """The distinct pairs ``first * n_second + second`` in ascending order, and how often
    each occurs: counted in place where the pairs are few enough, else sorted."""
    pairs = _pairs(first, second, n_second)
    bins = (int(first.max()) + 1) * n_second if len(first) else 0
    if _few(bins, len(pairs)):
        counts = np.bincount(pairs, minlength=bins)
        found = np.flatnonzero(counts)
        return found, counts[found]
    return np.unique(pairs, return_counts=True)


def _label_spread(
    item_codes: np.ndarray, label_codes: np.ndarray, votes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per item: how many votes its most given label has, and the entropy of its labels
    (each item's terms summed in the order of the label codes, either way)."""
    n_items, n_labels = len(votes), int(label_codes.max()) + 1
    majority, entropy = np.zeros(n_items, dtype=np.int64), np.zeros(n_items)
    if n_labels <= _TABLE_LABELS and _few(n_items * n_labels, len(item_codes)):
        # few labels: a table of counts, one column per label, read column by column
        table = np.bincount(
            _pairs(item_codes, label_codes, n_labels), minlength=n_items * n_labels
        ).reshape(n_items, n_labels)
        of_votes = np.maximum(votes, 1)
        for j in range(n_labels):
            column = table[:, j]
            np.maximum(majority, column, out=majority)
            share = column / of_votes
            entropy -= share * np.log(share, out=np.zeros(n_items), where=column > 0)
        return majority, entropy
    pairs, counts = _pair_counts(item_codes, label_codes, n_labels)
    pair_items = pairs // n_labels
    # the pairs are sorted by item: each item's labels are one run of them
    starts = np.flatnonzero(np.r_[True, pair_items[1:] != pair_items[:-1]])
    voted = pair_items[starts]
    majority[voted] = np.maximum.reduceat(counts, starts)
    share = counts / votes[pair_items]
    entropy[voted] = np.add.reduceat(-share * np.log(share), starts)
    return majority, entropy


def _sort_rank(values: pd.Index) -> np.ndarray:
    """Rank of each value in sorted order; first-seen order when the ids do not compare."""
    try:
        if values.dtype == object:
            listed = values.tolist()
            order = np.array(sorted(range(len(listed)), key=listed.__getitem__), dtype=np.intp)
        else:  # ints, floats, strings, times: sorted natively
            order = np.argsort(values.to_numpy(), kind="stable")
    except TypeError:  # mixed id types (e.g. ints and strings) have no order
        return np.arange(len(values))
    rank = np.empty(len(values), dtype=np.intp)
    rank[order] = np.arange(len(values))
    return rank


def disagreement(
    store_or_long_frame: Any, task: str | None = None, min_annotators: int = 2
) -> list:
    """Items ranked by how much their annotators disagree, most disputed first.

    Parameters
    ----------
    store_or_long_frame
        A :class:`~nblabel.LabelStore` (its current annotator labels are read) or a long
        DataFrame with columns ``item, annotator, label`` such as ``store.annotations()``.
        When an annotator labeled an item twice, the later row counts.
    task
        The task to read; needed when the store or table holds more than one.
    min_annotators
        Items labeled by fewer distinct annotators are left out.

    Returns
    -------
    list
        Item ids, ranked by 1 - the share of the majority label (descending), ties by the
        entropy of the label distribution (descending), then by item id. Items on which all
        annotators agree come last.

    Examples
    --------
    >>> import pandas as pd
    >>> votes = pd.DataFrame({
    ...     "item": [1, 1, 1, 2, 2, 2, 3, 3],
    ...     "annotator": ["a", "b", "c", "a", "b", "c", "a", "b"],
    ...     "label": ["x", "x", "x", "x", "y", "y", "x", "y"],
    ... })
    >>> disagreement(votes)
    [3, 2, 1]
    """
    if isinstance(min_annotators, bool) or not isinstance(min_annotators, (int, np.integer)):
        raise NblabelError(f"min_annotators= must be a whole number, not {min_annotators!r}")
    if min_annotators < 1:
        raise NblabelError(f"min_annotators= must be 1 or more, not {min_annotators}")
    frame = long_frame(store_or_long_frame, task, what="store_or_long_frame", known_task=True)
    if frame.empty:
        return []
    item_codes, uniques, label_codes = _votes(frame)
    votes = np.bincount(item_codes, minlength=len(uniques))
    majority, entropy = _label_spread(item_codes, label_codes, votes)
    # rounding makes equal distributions tie exactly, whatever the summation order
    score = np.round(1.0 - majority / np.maximum(votes, 1), 12)
    entropy = np.round(entropy, 12)
    keep = np.flatnonzero(votes >= min_annotators)
    rank = _sort_rank(uniques)
    order = keep[np.lexsort((rank[keep], -entropy[keep], -score[keep]))]
    return uniques.take(order).tolist()


def _id_list(items: Any) -> pd.Index:
    if isinstance(items, (pd.DataFrame, pd.Series, pd.Index)):
        return item_ids(items, "items")
    ids = pd.Index(_objects(check_list(items, "items", "df.index (the item ids)")), dtype=object)
    if ids.inferred_type == "mixed":  # among them, perhaps, a list or a dict: no id
        for item in ids:
            if isinstance(item, (list, dict, set, np.ndarray)):
                raise NblabelError(
                    f"items= holds {given(item)}, which is no item id: give the ids of the "
                    "data's index (df.index), one value each"
                )
    return item_ids(ids, "items=")


def unlabeled(store: Any, task: str | None, items: Any, k: int = 1) -> list:
    """Items not yet labeled by ``k`` distinct annotators, the least labeled first.

    Parameters
    ----------
    store
        A :class:`~nblabel.LabelStore` or a long DataFrame of annotations (columns
        ``item, annotator, label``).
    task
        The task whose labels count.
    items
        The item ids to consider, in their order: a list, a pandas Index, or a DataFrame or
        Series (its index).
    k
        How many distinct annotators an item needs to be done.

    Returns
    -------
    list
        The items with fewer than ``k`` annotators, by number of annotators (fewest first);
        equal counts keep the order of ``items``.

    Examples
    --------
    >>> import pandas as pd
    >>> votes = pd.DataFrame({"item": [1, 1, 2], "annotator": ["a", "b", "a"], "label": "x"})
    >>> unlabeled(votes, None, [1, 2, 3], k=2)
    [3, 2]
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise NblabelError(f"k= must be a whole number of annotators, 1 or more, not {k!r}")
    ids = _id_list(items)
    frame = long_frame(store, task)
    counts = np.zeros(len(ids), dtype=np.int64)
    if len(frame):
        item_codes, known = _factorize(frame["item"])
        annotator_codes, annotators = _factorize(frame["annotator"])
        pairs, _ = _pair_counts(item_codes, annotator_codes, len(annotators))
        per_item = np.bincount(pairs // len(annotators), minlength=len(known))
        # ids read back from a store are Python objects: as int64 (say) they match natively
        known = known.infer_objects() if known.dtype == object else known
        flat = ids.to_flat_index() if isinstance(ids, pd.MultiIndex) else ids
        where = known.get_indexer(flat)
        found = where >= 0
        counts[found] = per_item[where[found]]
    todo = np.flatnonzero(counts < k)
    return to_ids(ids, todo[np.argsort(counts[todo], kind="stable")])
