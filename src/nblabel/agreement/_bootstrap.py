"""Seeded percentile bootstrap over items for any agreement coefficient."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._checks import check_callable, check_int, check_number, check_seed
from .._errors import NblabelError, NblabelWarning
from . import _kernels as k
from ._coefficients import KERNELS, call_kernel
from ._input import Ratings, as_ratings

__all__ = ["BootstrapResult", "bootstrap", "bootstrap_many"]


class BootstrapResult(NamedTuple):
    """A point estimate with a percentile confidence interval; unpacks as ``est, low, high``."""

    estimate: float
    low: float
    high: float


#: More resamples than this add nothing a percentile interval can show, and cost minutes.
MOST_RESAMPLES = 1_000_000


def _check(ci: float, n_boot: int) -> None:
    if check_number(ci, "ci", "0.95") <= 0 or ci >= 1:
        raise NblabelError(f"ci={ci!r} must be between 0 and 1, e.g. ci=0.95")
    if isinstance(n_boot, (float, np.floating)) and float(n_boot).is_integer():
        n_boot = int(n_boot)  # 1e3 reads as 1000
    if check_int(n_boot, "n_boot", minimum=1) > MOST_RESAMPLES:
        raise NblabelError(
            f"n_boot={n_boot} is more resamples than an interval needs: 1000 is the usual "
            f"choice, {MOST_RESAMPLES:,} at most"
        )


def bootstrap_many(
    ratings: Ratings,
    kernels: dict[str, tuple[Callable[..., float], dict[str, Any]]],
    *,
    ci: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Estimates and intervals of several kernels on the same resamples of the items.

    Returns a DataFrame indexed by name with columns ``estimate, low, high``. Estimates that
    are undefined warn (once each); undefined resamples are left out of the percentiles.
    """
    _check(ci, n_boot)
    rng = np.random.default_rng(check_seed(seed))
    n = ratings.codes.shape[0]
    names = list(kernels)
    estimates = [call_kernel(kern, ratings, name, **opts) for name, (kern, opts) in
                 kernels.items()]
    replicates = np.full((int(n_boot), len(names)), np.nan)
    distinct = _distinct_rows(ratings)
    for b in range(int(n_boot)):  # loops over resamples; each kernel is vectorised over items
        if not n:
            sample = ratings
        elif distinct is not None:
            # n items drawn with replacement, counted per distinct row of ratings
            rows, share = distinct
            times = rng.multinomial(n, share)
            drawn = np.flatnonzero(times)
            sample = replace(rows.take(drawn), weights=times[drawn])
        else:
            sample = ratings.take(rng.integers(0, n, n))
        for j, (kern, opts) in enumerate(kernels.values()):
            with contextlib.suppress(k.Undefined):  # an undefined resample stays NaN
                replicates[b, j] = kern(sample, **opts)
    tail = (1 - ci) / 2 * 100
    rows = []
    for j in range(len(names)):
        column = replicates[:, j]
        column = column[~np.isnan(column)]
        low, high = (np.percentile(column, [tail, 100 - tail]) if len(column) else (np.nan,) * 2)
        rows.append((estimates[j], float(low), float(high)))
    return pd.DataFrame(rows, index=pd.Index(names, name="coefficient"),
                        columns=["estimate", "low", "high"])


def _distinct_rows(ratings: Ratings) -> tuple[Ratings, np.ndarray] | None:
    """The distinct rows of ratings and the share of items having each, when they are few
    enough to be worth it: a resample is then a count per distinct row (a multinomial draw,
    the same law as drawing items), and each kernel runs on those rows weighted by their
    counts instead of on n copied items."""
    codes = ratings.codes
    n, m = codes.shape
    if n < 64 or ratings.weights is not None:
        return None
    base = ratings.n_categories + 1  # codes -1 .. k-1 as digits 0 .. k
    if m * np.log2(base) >= 62:  # a row does not fit one int64 key
        return None
    key = np.zeros(n, dtype=np.int64)
    for a in range(m):  # annotators, each a contiguous column
        key = key * base + (codes[:, a].astype(np.int64) + 1)
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    if len(first) > n // 4:  # nearly every item differs: copying items costs the same
        return None
    rows = Ratings(codes[first], ratings.categories, pd.RangeIndex(len(first)),
                   ratings.annotators, ratings.declared)
    return rows, counts / n


def bootstrap(
    coefficient: Callable[..., float],
    data: Any,
    task: str | None = None,
    *,
    ci: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    labels: Sequence[Any] | None = None,
    annotators: Sequence[Hashable] | None = None,
    **options: Any,
) -> BootstrapResult:
    """Estimate a coefficient with a percentile bootstrap confidence interval over items.

    Items are resampled with replacement ``n_boot`` times from a generator seeded by ``seed``,
    so the same call gives the same interval. Resamples where the coefficient is undefined
    are skipped.

    Parameters
    ----------
    coefficient
        An agreement function such as :func:`krippendorff_alpha`, or any callable taking a wide
        DataFrame (rows = items) and returning a float (slower: it is called per resample).
    data
        Wide DataFrame, long DataFrame or ``LabelStore``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    ci
        Coverage of the interval, e.g. 0.95.
    n_boot
        Number of resamples.
    seed
        Seed of the resampling.
    labels, annotators
        As for the coefficient.
    **options
        Passed to the coefficient, e.g. ``level="ordinal"`` or ``weights="linear"``.

    Returns
    -------
    BootstrapResult
        ``(estimate, low, high)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from nblabel.agreement import krippendorff_alpha
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 1, 2, 3], "b": [1, 2, 3, 1, 3, 3]})
    >>> est, low, high = bootstrap(krippendorff_alpha, wide, n_boot=200, seed=1)
    >>> low <= est <= high
    True
    """
    check_callable(coefficient, "coefficient", "krippendorff_alpha")
    _check(ci, n_boot)
    ratings = as_ratings(data, task, labels, annotators)
    if coefficient in KERNELS:
        kernel, allowed = KERNELS[coefficient]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise NblabelError(
                f"{coefficient.__name__} takes no option(s) {unknown!r}; it takes {list(allowed)!r}"
            )
        name = coefficient.__name__
        table = bootstrap_many(ratings, {name: (kernel, options)}, ci=ci, n_boot=n_boot, seed=seed)
        return BootstrapResult(*(float(v) for v in table.loc[name]))
    return _bootstrap_callable(coefficient, ratings, ci, n_boot, seed, options)


def _bootstrap_callable(
    fn: Callable[..., float], ratings: Ratings, ci: float, n_boot: int, seed: int,
    options: dict[str, Any],
) -> BootstrapResult:
    """Fallback for user callables: resample rows of the wide labels frame."""
    cats = np.append(np.asarray(ratings.categories, dtype=object), None)
    wide = pd.DataFrame(cats[ratings.codes], index=ratings.items, columns=ratings.annotators)
    estimate = float(fn(wide, **options))
    rng = np.random.default_rng(check_seed(seed))
    n = len(wide)
    values = np.full(int(n_boot), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NblabelWarning)
        for b in range(int(n_boot)):
            values[b] = fn(wide.iloc[rng.integers(0, n, n)].reset_index(drop=True), **options)
    values = values[~np.isnan(values)]
    tail = (1 - ci) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail]) if len(values) else (np.nan, np.nan)
    return BootstrapResult(estimate, float(low), float(high))
