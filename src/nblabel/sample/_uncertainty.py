"""Uncertainty sampling: rank items by how unsure a classifier is about them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_choice, check_list
from .._errors import NblabelError
from ._common import as_matrix, check_n, item_ids, to_ids

__all__ = ["STRATEGIES", "check_model", "check_strategy", "rank_by_score", "scores", "uncertainty"]

STRATEGIES = ("least-confident", "margin", "entropy")


def check_strategy(strategy: str) -> None:
    check_choice(strategy, "strategy", STRATEGIES)


def check_model(model: Any, *, fit: bool = False) -> None:
    if not callable(getattr(model, "predict_proba", None)):
        raise NblabelError(
            f"{type(model).__name__} has no predict_proba: use a probabilistic classifier "
            "(e.g. LogisticRegression, or SVC(probability=True)), or pass the probability "
            "matrix itself"
        )
    if fit and not callable(getattr(model, "fit", None)):
        raise NblabelError(f"{type(model).__name__} has no fit method: pass an unfitted estimator")


#: Values scored at a time (2 MiB of float64): a block of rows stays in the cache while its
#: columns are read, and a float32 matrix is never copied whole.
_BLOCK_VALUES = 1 << 18


def scores(proba: np.ndarray, strategy: str) -> np.ndarray:
    """Uncertainty of each row of a probability matrix; larger means less sure.

    ``least-confident``: 1 - max p. ``margin``: 1 - (p1 - p2), the gap between the two most
    likely classes. ``entropy``: -sum p log p (natural log). Computed in float64 whatever
    the matrix's float type, a block of rows at a time.
    """
    if proba.shape[1] == 0:
        raise NblabelError("the probability matrix has no columns (no classes)")
    out = np.empty(len(proba))
    rows = max(1, _BLOCK_VALUES // proba.shape[1])
    for start in range(0, len(proba), rows):
        block = np.asarray(proba[start : start + rows], dtype=float)
        out[start : start + len(block)] = _block_scores(block, strategy)
    return out


def _block_scores(proba: np.ndarray, strategy: str) -> np.ndarray:
    if strategy == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = proba * np.log(proba)
        return -np.nansum(terms, axis=1)  # 0 log 0 counts as 0
    if strategy == "margin" and proba.shape[1] > 32:
        top2 = np.partition(proba, proba.shape[1] - 2, axis=1)[:, -2:]
        return 1.0 - (top2[:, 1] - top2[:, 0])
    # a running top one (two) over the columns: several times faster than a reduction or a
    # partition along each short row
    first = proba[:, 0].copy()
    if strategy == "least-confident":
        for j in range(1, proba.shape[1]):
            np.maximum(first, proba[:, j], out=first)
        return 1.0 - first
    if proba.shape[1] == 1:
        return 1.0 - first
    second = np.minimum(first, proba[:, 1])
    np.maximum(first, proba[:, 1], out=first)
    for j in range(2, proba.shape[1]):
        column = proba[:, j]
        np.maximum(second, np.minimum(first, column), out=second)
        np.maximum(first, column, out=first)
    return 1.0 - (first - second)


def rank_by_score(score: np.ndarray, n: int | None = None) -> np.ndarray:
    """Positions, highest score first; equal scores keep their position order."""
    n = len(score) if n is None else n
    if n == 0:
        return np.empty(0, dtype=np.intp)
    if n < len(score) // 8:
        # partial selection first: the top n of 1M rows needs no full sort. Rows tied with
        # the n-th score are taken in position order, as a stable sort would.
        negated = -score
        kth = np.partition(negated, n - 1)[n - 1]
        above = np.flatnonzero(negated < kth)
        ties = np.flatnonzero(negated == kth)[: n - len(above)]
        top = np.concatenate([above, ties])
        return top[np.lexsort((top, negated[top]))]
    return _descending_stable(score)[:n]


#: The fewest low bits of a sort key that hold a row's position (tests raise it, so that the
#: scores left in the high bits collide often).
_POSITION_BITS = 1


def _descending_stable(score: np.ndarray) -> np.ndarray:
    """Positions by descending score, equal scores in position order: as
    ``np.argsort(-score, kind="stable")``, about four times faster.

    Each row's key is its score's leading bits (an order-preserving integer view of the
    float) above its position, so one sort of plain integers orders the rows, where an
    argsort moves indices (several times slower). Scores that differ only in the bits left
    out share those leading bits; such runs are put right afterwards, by their full keys.
    """
    score = np.asarray(score, dtype=np.float64)  # the keys read its 8 bytes
    size = len(score)
    position_bits = max(_POSITION_BITS, (size - 1).bit_length())
    if position_bits > 40:
        return np.argsort(-score, kind="stable")
    # -0.0 is 0.0; the float's bits as an int64, negatives' magnitude bits flipped, then
    # the sign bit flipped: unsigned order is the float's order. Negated: highest first.
    bits = (-score + 0.0).view(np.int64)
    full = (bits ^ ((bits >> 63) & np.int64(0x7FFF_FFFF_FFFF_FFFF))).view(np.uint64)
    full ^= np.uint64(1 << 63)
    packed = full >> np.uint64(position_bits)
    packed <<= np.uint64(position_bits)
    packed |= np.arange(size, dtype=np.uint64)
    packed.sort()
    order = (packed & np.uint64((1 << position_bits) - 1)).astype(np.intp)
    # rows sharing leading bits are in position order: wrong only where their full keys
    # then go down
    keys = full[order]
    wrong = np.flatnonzero(keys[1:] < keys[:-1])
    if len(wrong):
        lead = packed >> np.uint64(position_bits)
        same = np.r_[False, lead[1:] == lead[:-1]]
        run = np.cumsum(~same)
        # the whole runs holding a descent, each ordered by (full key, position)
        at = np.flatnonzero(np.isin(run, run[wrong]))
        order[at] = order[at[np.lexsort((order[at], keys[at]))]]
    return order


def uncertainty(
    model_or_proba: Any,
    X: Any = None,
    strategy: str = "least-confident",
    n: int | None = None,
    index: Any = None,
) -> list:
    """Items ranked by a classifier's uncertainty, most uncertain first.

    Parameters
    ----------
    model_or_proba
        A fitted classifier with ``predict_proba`` (then ``X`` is required), or a probability
        matrix: an array or a DataFrame indexed by item id, one row per item, one column per
        class.
    X
        Features of the items to rank, for a model. A DataFrame gives the item ids.
    strategy
        ``"least-confident"`` (default, 1 - max p), ``"margin"`` (smallest gap between the two
        most likely classes first) or ``"entropy"``.
    n
        How many items to return; ``None`` (default) ranks them all.
    index
        Item ids for the rows when neither ``X`` nor the probabilities are a DataFrame (a
        pandas Index or a list, one id per row); otherwise positions are the ids.

    Returns
    -------
    list
        Item ids, most uncertain first; ties keep row order.

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.7, 0.3]])
    >>> uncertainty(proba, strategy="margin")
    [1, 2, 0]
    >>> uncertainty(proba, n=1, index=["a", "b", "c"])
    ['b']
    """
    check_strategy(strategy)
    if hasattr(model_or_proba, "predict_proba") or not _looks_like_matrix(model_or_proba):
        check_model(model_or_proba)
        if X is None:
            raise NblabelError("a model needs X, the features of the items to rank: pass X=...")
        ids = _ids(X, index, "X")
        proba = model_or_proba.predict_proba(X)
    else:
        if X is not None:
            raise NblabelError(
                "X= is only used with a model; with a probability matrix leave X out"
            )
        ids = _ids(model_or_proba, index, "the probability matrix")
        proba = model_or_proba
    values = proba.to_numpy() if isinstance(proba, pd.DataFrame) else proba
    matrix = as_matrix(values, "the probability matrix", any_float=True)
    if len(matrix) != len(ids):
        raise NblabelError(
            f"the probability matrix has {len(matrix)} rows for {len(ids)} items: give one row "
            "per item"
        )
    n = check_n(n, len(ids), what="the items")
    return to_ids(ids, rank_by_score(scores(matrix, strategy), n))


def _looks_like_matrix(value: Any) -> bool:
    return isinstance(value, (np.ndarray, pd.DataFrame, list, tuple))


def _ids(rows: Any, index: Any, what: str) -> pd.Index:
    if isinstance(rows, (pd.DataFrame, pd.Series)):
        if index is not None:
            raise NblabelError(f"{what} is a DataFrame: its index gives the item ids, drop index=")
        return item_ids(rows, what)
    if index is None:
        return pd.RangeIndex(_length(rows, what))
    if not isinstance(index, pd.Index):
        index = pd.Index(check_list(index, "index", "df.index (one id per row)"))
    ids = item_ids(index, "index=")
    if len(ids) != _length(rows, what):
        raise NblabelError(
            f"index= has {len(ids)} ids for {_length(rows, what)} rows of {what}: give one id "
            "per row"
        )
    return ids


def _length(rows: Any, what: str) -> int:
    shape = getattr(rows, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    try:
        return len(rows)
    except TypeError:
        raise NblabelError(f"{what} must be rows of features, not {type(rows).__name__}") from None
