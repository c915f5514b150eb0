"""Random, stratified and weighted orders over the rows of a table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_flag
from .._errors import NblabelError
from ._common import check_n, item_ids, rng_for, to_ids

__all__ = ["random", "stratified", "weighted"]

#: up to this many strata, a stratified sample takes one pass per stratum instead of a sort
_FEW_STRATA = 64


def random(data: Any, n: int | None = None, seed: int = 0) -> list:
    """Item ids in a random order.

    Parameters
    ----------
    data
        A DataFrame or Series (ids are its index), a pandas Index (ids are its values), or an
        array (ids are positions).
    n
        How many items; ``None`` (default) orders all of them.
    seed
        Seed of a private random generator: the same seed gives the same order.

    Returns
    -------
    list
        ``n`` distinct item ids.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": list("abcde")}, index=[10, 11, 12, 13, 14])
    >>> order = random(df, n=3, seed=0)
    >>> len(order), set(order) <= set(df.index)
    (3, True)
    """
    index = item_ids(data)
    n = check_n(n, len(index))
    rng = rng_for(seed)
    return to_ids(index, rng.permutation(len(index))[:n])


def _aligned(values: pd.Series, index: pd.Index, problem: str, what: str) -> pd.Series:
    """``values`` in the order of ``index``; every item must have one."""
    missing = ~index.isin(values.index)
    if missing.any():
        raise NblabelError(
            f"{problem} for {int(missing.sum())} item(s) (e.g. "
            f"{index[missing][:3].tolist()}): give {what} for every item"
        )
    return values.reindex(index)


def _strata_codes(data: Any, by: Any, index: pd.Index) -> np.ndarray:
    """One integer code per row naming its stratum; NaN strata and unknown columns refused."""
    if isinstance(by, pd.Series):
        columns = [_aligned(by, index, "by has no stratum", "a stratum")]
    elif (names := _column_names(by, data)) is not None:
        columns = [data[name] for name in names]
    elif isinstance(by, (np.ndarray, pd.Index)) or (
        isinstance(by, Sequence) and not isinstance(by, str)
    ):
        if len(by) != len(index):
            hint = f"; columns are {list(data.columns)[:8]}" if hasattr(data, "columns") else ""
            raise NblabelError(
                f"by= must be a column name or one stratum per item: got {len(by)} values "
                f"for {len(index)} items{hint}"
            )
        columns = [pd.Series(np.asarray(by, dtype=object), index=index)]
    elif isinstance(data, pd.DataFrame):
        raise NblabelError(
            f"by={by!r}: unknown column {by!r}: stratify by one of {list(data.columns)[:8]}"
        )
    else:
        raise NblabelError(
            f"by={by!r} is not usable: with a {type(data).__name__} pass one stratum per item "
            "(a list, array or Series)"
        )
    for column in columns:
        nan = column.isna().to_numpy()
        if nan.any():
            name = "by" if column.name is None else column.name
            raise NblabelError(
                f"the stratum {name!r} is missing (NaN) for {int(nan.sum())} "
                f"item(s) (e.g. {index[nan][:3].tolist()}): fill it, e.g. "
                ".fillna('unknown'), or drop those rows"
            )
    codes = np.zeros(len(index), dtype=np.int64)
    for column in columns:
        col_codes, uniques = pd.factorize(column, sort=False)
        # re-factorize at each step so combining many columns cannot overflow
        codes = pd.factorize(codes * len(uniques) + col_codes, sort=False)[0]
    return codes


def _is_column(name: Any, data: pd.DataFrame) -> bool:
    try:
        return name in data.columns
    except TypeError:  # unhashable: a list or an array of strata, not a name
        return False


def _column_names(by: Any, data: Any) -> list | None:
    """The columns ``by`` names, or ``None`` when it is not column names."""
    if not isinstance(data, pd.DataFrame):
        return None
    if isinstance(by, list) and by and all(_is_column(b, data) for b in by):
        return by
    return [by] if _is_column(by, data) else None


def _proportional(sizes: np.ndarray, n: int) -> np.ndarray:
    """Largest-remainder quotas: each within 1 of ``n * size / total`` and summing to ``n``."""
    total = int(sizes.sum())
    scaled = sizes.astype(object) * n  # Python ints: exact even for huge tables
    base = np.array([s // total for s in scaled], dtype=np.int64)
    remainder = np.array([s % total for s in scaled], dtype=object)
    extra = n - int(base.sum())
    # largest remainder first; ties go to the stratum seen first
    ranked = sorted(range(len(sizes)), key=lambda i: (-remainder[i], i))
    base[ranked[:extra]] += 1
    return base


def _equal(sizes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """The same count per stratum (within 1); small strata give all they have to the others."""
    quotas = np.zeros(len(sizes), dtype=np.int64)
    remaining = n
    by_size = np.argsort(sizes, kind="stable")
    for i, stratum in enumerate(by_size):
        share = remaining // (len(sizes) - i)
        if sizes[stratum] <= share:
            quotas[stratum] = sizes[stratum]
            remaining -= int(sizes[stratum])
            continue
        rest = by_size[i:]
        quotas[rest] = share
        extra = remaining - share * len(rest)
        # which strata get the one extra item is drawn, so no stratum is favoured by its name
        quotas[rng.choice(rest, size=extra, replace=False)] += 1
        break
    return quotas


def stratified(data: Any, by: Any, n: int, seed: int = 0, equal: bool = False) -> list:
    """A sample of ``n`` items drawn per stratum, in an order that keeps every prefix mixed.

    Parameters
    ----------
    data
        A DataFrame, Series or pandas Index; item ids are its index (its values for an Index).
    by
        A column name, a list of column names, or one stratum per item (a Series aligned on
        the index, a list or an array). A missing (NaN) stratum is refused.
    n
        Exactly how many items to return.
    seed
        Seed of a private random generator: the same seed gives the same sample and order.
    equal
        ``False`` (default): each stratum gets its proportional share, rounded by largest
        remainder so the total is exactly ``n`` and every share is within 1 of
        ``n * stratum_size / len(data)``. ``True``: every stratum gets the same count (within
        1); a stratum smaller than that gives all its items and the rest is shared out.

    Returns
    -------
    list
        ``n`` distinct item ids. They are ordered so that any prefix holds the strata in about
        the same proportions as the whole sample: labeling can stop at any point.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"source": ["web"] * 80 + ["mail"] * 20})
    >>> order = stratified(df, by="source", n=10, seed=0)
    >>> df.loc[order, "source"].value_counts().to_dict()
    {'web': 8, 'mail': 2}
    >>> df.loc[stratified(df, by="source", n=10, equal=True), "source"].value_counts().to_dict()
    {'web': 5, 'mail': 5}
    """
    equal = check_flag(equal, "equal")
    index = item_ids(data)
    n = check_n(n, len(index))
    codes = _strata_codes(data, by, index)
    rng = rng_for(seed)
    if n == 0:
        return []
    sizes = np.bincount(codes)
    quotas = _equal(sizes, n, rng) if equal else _proportional(sizes, n)
    # by stratum, random within each: the items of a stratum with the smallest keys
    keys = codes + rng.random(len(index))
    if len(sizes) <= _FEW_STRATA:
        chosen, rank, chosen_codes = _smallest_keys(keys, codes, quotas)
    else:  # one float sort is ~10x faster than a lexsort
        grouped = np.argsort(keys)
        grouped_codes = codes[grouped]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        rank = np.arange(len(index)) - starts[grouped_codes]
        take = rank < quotas[grouped_codes]
        chosen, rank, chosen_codes = grouped[take], rank[take], grouped_codes[take]
    # the j-th of q items of a stratum sits at a random point of slot (j, j+1)/q: prefixes mix
    spread = (rank + rng.random(len(chosen))) / quotas[chosen_codes]
    return to_ids(index, chosen[np.argsort(spread, kind="stable")])


def _smallest_keys(
    keys: np.ndarray, codes: np.ndarray, quotas: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per stratum, the positions of its ``quota`` smallest keys in the order of their keys,
    their rank in it and their stratum: what sorting every key gives, at the cost of one pass
    per stratum and a sort of the chosen alone."""
    chosen, ranks, strata = [], [], []
    for stratum, quota in enumerate(quotas.tolist()):
        if quota == 0:
            continue
        members = np.flatnonzero(codes == stratum)
        own = keys[members]
        if quota < len(members):
            picked = np.argpartition(own, quota - 1)[:quota]
            members, own = members[picked], own[picked]
        chosen.append(members[np.argsort(own)])
        ranks.append(np.arange(quota))
        strata.append(np.full(quota, stratum))
    if not chosen:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, empty
    return np.concatenate(chosen), np.concatenate(ranks), np.concatenate(strata)


def _weights(data: Any, weights: Any, index: pd.Index) -> np.ndarray:
    if isinstance(weights, pd.Series):
        values = _aligned(weights, index, "weights has no value", "a weight")
    elif _column_names(weights, data) is not None and not isinstance(weights, list):
        values = data[weights]
    elif isinstance(data, pd.DataFrame) and isinstance(weights, str):
        raise NblabelError(
            f"weights={weights!r}: unknown column {weights!r}: weight by one of "
            f"{list(data.columns)[:8]}"
        )
    else:
        values = weights
    try:
        w = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise NblabelError(f"weights= must be numbers: {exc}") from exc
    if w.ndim != 1 or len(w) != len(index):
        raise NblabelError(
            f"weights= must give one number per item: got shape {w.shape} for {len(index)} items"
        )
    if np.isnan(w).any():
        raise NblabelError(
            f"weights has {int(np.isnan(w).sum())} NaN value(s): fill them, e.g. .fillna(0)"
        )
    if np.isinf(w).any():
        raise NblabelError("weights has infinite values: use finite, non-negative weights")
    if (w < 0).any():
        raise NblabelError(
            f"weights has {int((w < 0).sum())} negative value(s): weights must be 0 or more"
        )
    if len(w) and not (w > 0).any():
        raise NblabelError("all weights are zero: give at least one item a positive weight")
    return w


def weighted(data: Any, weights: Any, n: int, seed: int = 0, replace: bool = False) -> list:
    """A sample of ``n`` items drawn with probability proportional to ``weights``.

    Parameters
    ----------
    data
        A DataFrame, Series or pandas Index (ids are its index), or an array (ids are positions).
    weights
        A column name of ``data``, a Series aligned on the index, or one number per item.
        Weights must be finite and non-negative, and not all zero; an item of weight 0 is
        never drawn.
    n
        How many items to draw. Without replacement at most the number of positive weights.
    seed
        Seed of a private random generator.
    replace
        ``False`` (default): distinct items, drawn one after another (each draw proportional to
        the weights of the items left), so the order is the draw order. ``True``: independent
        draws, an item may repeat.

    Returns
    -------
    list
        Item ids in draw order.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"w": [0.0, 1.0, 1.0, 8.0]}, index=list("abcd"))
    >>> order = weighted(df, "w", n=2, seed=0)
    >>> len(order), "a" in order
    (2, False)
    """
    replace = check_flag(replace, "replace")
    index = item_ids(data)
    w = _weights(data, weights, index)
    n = check_n(n, len(index), allow_more=replace)
    positive = int((w > 0).sum())
    if not replace and n > positive:
        raise NblabelError(
            f"n={n} is more than the {positive} items with a positive weight: lower n, or "
            "pass replace=True"
        )
    rng = rng_for(seed)
    if replace:
        return to_ids(index, rng.choice(len(w), size=n, replace=True, p=w / w.sum()))
    # Efraimidis-Spirakis: sorting Exp(1) / w ascending is sequential weighted draws; in log
    # space so that tiny weights cannot overflow (weight 0 gives +inf: never drawn first)
    with np.errstate(divide="ignore"):
        keys = np.log(rng.exponential(size=len(w))) - np.log(w)
    top = np.argpartition(keys, n - 1)[:n] if 0 < n < len(w) else np.arange(len(w))[: n or 0]
    return to_ids(index, top[np.argsort(keys[top], kind="stable")])
