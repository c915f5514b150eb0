"""Orders read from the labels already given: disagreement and "not yet labeled by k"."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from .._errors import NblabelError
from ._common import hashable, item_ids, long_frame

__all__ = ["disagreement", "unlabeled"]


def _objects(values: Any) -> np.ndarray:
    """A 1-D object array (a plain list of tuples would become 2-D)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values; lists and dicts (multi-label values) count as tuples."""
    try:
        codes, uniques = pd.factorize(_objects(values.tolist()), sort=False, use_na_sentinel=False)
    except TypeError:  # unhashable values: convert them, at Python speed
        codes, uniques = pd.factorize(
            _objects([hashable(v) for v in values]), sort=False, use_na_sentinel=False
        )
    return codes, np.asarray(uniques, dtype=object)


def _votes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Item codes, item ids and label codes: one vote per annotator per item (the newest)."""
    item_codes, uniques = _factorize(frame["item"])
    annotator_codes, annotators = _factorize(frame["annotator"])
    pair = pd.Series(item_codes * max(len(annotators), 1) + annotator_codes)
    keep = ~pair.duplicated(keep="last").to_numpy()
    label_codes = _factorize(frame["label"])[0]
    return item_codes[keep], uniques, label_codes[keep]


def _sort_rank(values: np.ndarray) -> np.ndarray:
    """Rank of each value in sorted order; first-seen order when the ids do not compare."""
    try:
        order = sorted(range(len(values)), key=values.__getitem__)
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
        raise NblabelError(f"min_annotators must be a whole number, not {min_annotators!r}")
    if min_annotators < 1:
        raise NblabelError(f"min_annotators must be 1 or more, not {min_annotators}")
    frame = long_frame(store_or_long_frame, task, what="store_or_long_frame", known_task=True)
    if frame.empty:
        return []
    item_codes, uniques, label_codes = _votes(frame)
    n_items, n_labels = len(uniques), int(label_codes.max()) + 1
    pairs, counts = np.unique(item_codes * n_labels + label_codes, return_counts=True)
    pair_items = pairs // n_labels
    votes = np.bincount(item_codes, minlength=n_items)
    majority = np.zeros(n_items, dtype=np.int64)
    np.maximum.at(majority, pair_items, counts)
    share = counts / votes[pair_items]
    entropy = np.zeros(n_items)
    np.add.at(entropy, pair_items, -share * np.log(share))
    # rounding makes equal distributions tie exactly, whatever the summation order
    score = np.round(1.0 - majority / np.maximum(votes, 1), 12)
    entropy = np.round(entropy, 12)
    keep = np.flatnonzero(votes >= min_annotators)
    rank = _sort_rank(uniques)
    order = keep[np.lexsort((rank[keep], -entropy[keep], -score[keep]))]
    return [uniques[i] for i in order]


def _id_list(items: Any) -> pd.Index:
    if isinstance(items, (pd.DataFrame, pd.Series, pd.Index)):
        return item_ids(items, "items")
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise NblabelError(
            f"items must be the item ids (a list, a pandas Index, or a DataFrame), not {items!r}"
        )
    return item_ids(pd.Index(_objects(list(items)), dtype=object), "items")


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
        raise NblabelError(f"k must be a whole number of annotators, 1 or more, not {k!r}")
    ids = _id_list(items)
    frame = long_frame(store, task)
    pairs = {(hashable(i), a) for i, a in zip(frame["item"], frame["annotator"], strict=True)}
    per_item = Counter(item for item, _ in pairs)
    values = ids.tolist()
    counts = np.fromiter((per_item.get(hashable(v), 0) for v in values), dtype=np.int64)
    todo = np.flatnonzero(counts < k)
    order = todo[np.argsort(counts[todo], kind="stable")]
    return [values[i] for i in order]
