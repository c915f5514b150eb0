"""Agreement tables: per item, per annotator pair, and pooled class confusion."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_id
from .._errors import NblabelError
from ._input import Ratings, as_ratings

__all__ = ["coincidence", "confusion_matrices", "pairwise_confusion", "per_item_agreement"]


def per_item_agreement(
    data: Any,
    task: str | None = None,
    *,
    labels: Sequence[Any] | None = None,
    annotators: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Agreement on each item: share of agreeing pairs, number of ratings, majority label.

    Returns a DataFrame indexed by item with columns ``agreement`` (share of agreeing ordered
    pairs of ratings; NaN with fewer than two ratings), ``n_ratings``, ``majority`` (the most
    frequent label; on a tie the first tied label in ``labels`` order, or sorted order),
    ``majority_share`` and ``tie`` (True when several labels share the top count).

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": ["x", "y"], "b": ["x", "z"], "c": ["x", None]})
    >>> per_item_agreement(wide)[["agreement", "n_ratings", "majority", "tie"]]
       agreement  n_ratings majority    tie
    0        1.0          3        x  False
    1        0.0          2        y   True
    """
    ratings = as_ratings(data, task, labels, annotators)
    return _per_item(ratings)


def _per_item(ratings: Ratings) -> pd.DataFrame:
    counts = ratings.counts().astype(float)
    m = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        agreement = (counts * (counts - 1)).sum(axis=1) / (m * (m - 1))
    top = counts.max(axis=1, initial=0)
    best = counts.argmax(axis=1) if counts.shape[1] else np.zeros(len(m), dtype=int)
    majority = np.asarray(ratings.categories, dtype=object)[best] if len(ratings.categories) \
        else np.full(len(m), None, dtype=object)
    majority = np.where(m > 0, majority, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(m > 0, top / np.where(m > 0, m, 1), np.nan)
    return pd.DataFrame(
        {
            "agreement": agreement,
            "n_ratings": m.astype(np.int64),
            "majority": pd.Series(majority, dtype=object).to_numpy(),
            "majority_share": share,
            "tie": ((counts == top[:, None]) & (top[:, None] > 0)).sum(axis=1) > 1,
        },
        index=ratings.items,
    )


def _confusion(ratings: Ratings, first: int, second: int) -> pd.DataFrame:
    a, b = ratings.codes[:, first], ratings.codes[:, second]
    both = (a >= 0) & (b >= 0)
    kk = ratings.n_categories
    keys = a[both].astype(np.int64) * kk + b[both]  # int64 first: codes may be int8
    table = np.bincount(keys, minlength=kk * kk).reshape(kk, kk)
    return pd.DataFrame(
        table,
        index=pd.Index(ratings.categories, name=ratings.annotators[first]),
        columns=pd.Index(ratings.categories, name=ratings.annotators[second]),
    )


def pairwise_confusion(
    data: Any,
    first: Hashable,
    second: Hashable,
    task: str | None = None,
    *,
    labels: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Confusion table of two annotators: rows ``first``'s labels, columns ``second``'s.

    Counts the items both labelled; every label in ``labels`` (or seen in the data) gets a row
    and a column, in order.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"alice": ["a", "b", "a"], "bob": ["a", "b", "b"]})
    >>> pairwise_confusion(wide, "alice", "bob")  # doctest: +NORMALIZE_WHITESPACE
    bob    a  b
    alice
    a      1  1
    b      0  1
    """
    check_id(first, "first", "'alice'")
    check_id(second, "second", "'bob'")
    if first == second:
        raise NblabelError(
            f"pairwise_confusion needs two different annotators, got {first!r} twice"
        )
    ratings = as_ratings(data, task, labels)
    for name, annotator in (("first", first), ("second", second)):
        if annotator not in ratings.annotators:
            raise NblabelError(
                f"{name}={annotator!r} is not an annotator of the data: its annotators are "
                f"{list(ratings.annotators)!r}"
            )
    return _confusion(ratings.columns([first, second]), 0, 1)


def confusion_matrices(
    data: Any,
    task: str | None = None,
    *,
    labels: Sequence[Any] | None = None,
    annotators: Sequence[Hashable] | None = None,
) -> dict[tuple[Hashable, Hashable], pd.DataFrame]:
    """Confusion table of every pair of annotators, keyed ``(first, second)`` in column order.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2], "b": [1, 1], "c": [2, 2]})
    >>> sorted(confusion_matrices(wide))
    [('a', 'b'), ('a', 'c'), ('b', 'c')]
    """
    ratings = as_ratings(data, task, labels, annotators)
    return {
        (ratings.annotators[i], ratings.annotators[j]): _confusion(ratings, i, j)
        for i, j in combinations(range(len(ratings.annotators)), 2)
    }


def coincidence(ratings: Ratings) -> pd.DataFrame:
    """Krippendorff's coincidence matrix: label pairs within items, each item weighing 1 per
    pairable rating (``Σ_u n_uc n_uk / (m_u - 1)``, minus self-pairs). Symmetric."""
    counts = ratings.counts().astype(float)
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, inv = counts[keep], 1.0 / (m[keep] - 1)
    table = (counts * inv[:, None]).T @ counts - np.diag(inv @ counts)
    index = pd.Index(ratings.categories, name="label")
    return pd.DataFrame(table, index=index, columns=index.rename("other"))
