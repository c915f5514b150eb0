"""Numpy kernels of the agreement coefficients, on coded :class:`Ratings`.

Each kernel returns a float or raises :class:`Undefined` with the reason; the public wrappers
turn that into NaN plus a warning, the bootstrap into a NaN replicate. No loop runs over items:
per-item sums are ``np.bincount`` calls over flat (item, category) keys.

Notation follows Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., and Krippendorff
(2011), *Computing Krippendorff's Alpha-Reliability*: ``r_ik`` = ratings of item ``i`` in
category ``k``, ``r_i`` = ratings of item ``i``, ``w`` = agreement weights (1 on the diagonal).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_choice
from .._errors import NblabelError
from ._input import Ratings

__all__ = [
    "LEVELS",
    "WEIGHTS",
    "Undefined",
    "agreement_weights",
    "brennan_prediger_kernel",
    "cohen_kernel",
    "conger_kernel",
    "fleiss_kernel",
    "gwet_kernel",
    "krippendorff_kernel",
    "percent_kernel",
    "scott_kernel",
    "weighted_alpha_kernel",
]

#: Named weights (Gwet 2014, *Handbook of Inter-Rater Reliability*, 4th ed., ch. 3).
WEIGHTS = (None, "identity", "linear", "quadratic", "ordinal", "radical", "ratio", "circular",
           "bipolar")
LEVELS = ("nominal", "ordinal", "interval", "ratio")


class Undefined(Exception):
    """The coefficient is undefined for this data; ``str(exc)`` says why."""


def _named_weights(q: int, name: str) -> np.ndarray:
    """Gwet's (2014, ch. 3) agreement weights on the ranks ``1..q`` of the categories."""
    x = np.arange(1, q + 1, dtype=float)
    row, col = x[:, None], x[None, :]
    if q < 2 or name == "identity":
        return np.eye(q)
    lo, hi = x[0], x[-1]
    if name == "linear":
        return 1 - np.abs(row - col) / (hi - lo)
    if name == "quadratic":
        return 1 - ((row - col) / (hi - lo)) ** 2
    if name == "radical":
        return 1 - np.sqrt(np.abs(row - col)) / np.sqrt(hi - lo)
    if name == "ratio":
        return 1 - ((row - col) / (row + col)) ** 2 / ((hi - lo) / (hi + lo)) ** 2
    if name == "ordinal":
        steps = np.abs(row - col) + 1
        d = steps * (steps - 1) / 2
    elif name == "circular":
        d = np.sin(np.pi * (row - col) / (hi - lo + 1)) ** 2
    else:  # bipolar
        with np.errstate(invalid="ignore", divide="ignore"):
            d = (row - col) ** 2 / ((row + col - 2 * lo) * (2 * hi - row - col))
        d[row == col] = 0.0
        d = np.nan_to_num(d)
    return 1 - d / d.max()


def agreement_weights(r: Ratings, weights: Any) -> np.ndarray:
    """The q × q agreement weights (1 on the diagonal) that ``weights`` names or gives.

    ``None`` is the identity (unweighted). A name in :data:`WEIGHTS` builds Gwet's weights on
    the ranks of the categories in their declared order; a square matrix is used as given,
    rows and columns in the order of the categories (``labels=``).
    """
    q = r.n_categories
    if weights is None:
        return np.eye(q)
    if isinstance(weights, str):
        check_choice(weights, "weights", WEIGHTS)
        if weights != "identity":
            r.require_order(f"weights={weights!r}")
        return _named_weights(q, weights)
    try:
        matrix = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise NblabelError(
            f"weights= must be None, one of {', '.join(map(repr, WEIGHTS[1:]))} or a square "
            f"matrix of numbers; got {type(weights).__name__}"
        ) from exc
    if matrix.shape != (q, q):
        raise NblabelError(
            f"weights= is a {' × '.join(map(str, matrix.shape)) or 'scalar'} matrix, but there "
            f"are {q} labels ({list(r.categories)[:10]!r}): give a {q} × {q} matrix, rows and "
            "columns in the order of labels= (pass labels= to fix that order)"
        )
    if not np.isfinite(matrix).all() or not np.allclose(np.diag(matrix), 1.0):
        raise NblabelError(
            "weights= must hold finite numbers with 1 on the diagonal (full credit for the "
            "same label)"
        )
    r.require_order("a weights= matrix")
    return matrix


def disagreement_weights(r: Ratings, weights: Any) -> np.ndarray:
    """``1 - w``: what Cohen-style formulas weigh disagreement by."""
    return 1.0 - agreement_weights(r, weights)


def _two_columns(r: Ratings, name: str) -> tuple[np.ndarray, np.ndarray]:
    if r.codes.shape[1] != 2:
        raise NblabelError(
            f"{name} compares exactly two annotators; the data has {r.codes.shape[1]} "
            f"({list(r.annotators)!r}): select two, e.g. data[['a', 'b']] or annotators=['a', "
            "'b'], or use fleiss_kappa / krippendorff_alpha for more"
        )
    both = (r.codes >= 0).all(axis=1)
    if r.weights is not None:
        both &= r.weights > 0
    if not both.any():
        raise Undefined("no item is labelled by both annotators, so there is nothing to compare")
    counted = None if r.weights is None else r.weights[both].astype(float)
    return r.codes[both, 0], r.codes[both, 1], counted


def _one_minus_ratio(observed: float, expected: float, what: str) -> float:
    if expected <= 1e-15:
        raise Undefined(f"{what}: the expected disagreement is zero, so chance agreement is total")
    return float(1.0 - observed / expected)


def _pair_table(a: np.ndarray, b: np.ndarray, counted: np.ndarray | None, k: int) -> np.ndarray:
    """Shares of the (label of a, label of b) pairs; ``counted``: how often each pair counts."""
    keys = a.astype(np.int64) * k + b  # int64 first: codes may be int8
    table = np.bincount(keys, weights=counted, minlength=k * k).reshape(k, k).astype(float)
    return table / (len(a) if counted is None else counted.sum())


def cohen_kernel(r: Ratings, weights: Any = None) -> float:
    """Cohen's kappa: ``1 - Σ d·p_obs / Σ d·p_row·p_col`` over items both annotators labelled."""
    d = disagreement_weights(r, weights)
    table = _pair_table(*_two_columns(r, "cohen_kappa"), r.n_categories)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    return _one_minus_ratio((d * table).sum(), (d * expected).sum(), "only one label is used")


def scott_kernel(r: Ratings, weights: Any = None) -> float:
    """Scott's pi: as Cohen's kappa, with chance from the pooled marginals of both annotators."""
    d = disagreement_weights(r, weights)
    table = _pair_table(*_two_columns(r, "scott_pi"), r.n_categories)
    pooled = (table.sum(axis=1) + table.sum(axis=0)) / 2
    return _one_minus_ratio(
        (d * table).sum(), pooled @ d @ pooled, "only one label is used"
    )


def _multi_rater_parts(r: Ratings, weights: Any) -> tuple[float, np.ndarray, np.ndarray]:
    """Gwet's observed agreement ``p_a`` and category shares ``π_k`` for any number of raters.

    ``p_a`` averages over the items with at least two ratings; ``π_k`` averages
    ``r_ik / r_i`` over the items with at least one rating (Gwet 2014, ch. 2 and 5: the rule
    that reproduces his published values with missing ratings).
    """
    w = agreement_weights(r, weights)
    n = r.counts().astype(float)
    m = n.sum(axis=1)
    counted = r.weights is not None
    pairable = (m >= 2) & (r.weights > 0) if counted else m >= 2
    if not pairable.any():
        raise Undefined("no item has two or more ratings, so there is nothing to compare")
    np_ = n[pairable]
    mp = m[pairable]
    weighted = np_ @ w.T  # r*_ik = Σ_l w_kl r_il
    per_item = (np_ * (weighted - 1)).sum(axis=1) / (mp * (mp - 1))
    rated = (m >= 1) & (r.weights > 0) if counted else m >= 1
    shares = n[rated] / m[rated, None]
    if not counted:
        return float(per_item.mean()), shares.mean(axis=0), w
    times = r.item_weights()
    pa = float(np.average(per_item, weights=times[pairable]))
    return pa, np.average(shares, axis=0, weights=times[rated]), w


def _chance_corrected(pa: float, pe: float) -> float:
    if pe >= 1 - 1e-12:
        raise Undefined("chance agreement is total (every rating uses the same label)")
    return (pa - pe) / (1 - pe)


def percent_kernel(r: Ratings, weights: Any = None) -> float:
    """Share of agreeing (ordered) pairs of ratings per item, averaged over items."""
    pa, _, _ = _multi_rater_parts(r, weights)
    return pa


def fleiss_kernel(r: Ratings, weights: Any = None) -> float:
    """Fleiss' kappa, Gwet's form for missing ratings and weights: ``p_e = Σ w_kl π_k π_l``."""
    pa, pi, w = _multi_rater_parts(r, weights)
    return _chance_corrected(pa, float(pi @ w @ pi))


def gwet_kernel(r: Ratings, weights: Any = None) -> float:
    """Gwet's AC1 (AC2 with weights): ``p_e = T_w / (q(q-1)) · Σ π_k (1 - π_k)``."""
    q = r.n_categories
    if q < 2:
        raise Undefined("only one category exists (pass labels= to name the others)")
    pa, pi, w = _multi_rater_parts(r, weights)
    return _chance_corrected(pa, float(w.sum() / (q * (q - 1)) * (pi * (1 - pi)).sum()))


def brennan_prediger_kernel(r: Ratings, weights: Any = None) -> float:
    """Brennan & Prediger (1981), any number of raters: chance is uniform over the ``q``
    categories, ``p_e = Σ w_kl / q²`` (Gwet 2014, ch. 4)."""
    q = r.n_categories
    if q < 2:
        raise Undefined("only one category exists (pass labels= to name the others)")
    pa, _, w = _multi_rater_parts(r, weights)
    return _chance_corrected(pa, float(w.sum() / (q * q)))


def conger_kernel(r: Ratings, weights: Any = None) -> float:
    """Conger's (1980) kappa, Cohen's kappa for any number of raters: chance from each rater's
    own label shares ``p_gk``, ``p_e = Σ w_kl (p̄_k p̄_l - s²_kl / r)`` with ``s²`` their
    covariance over raters (Gwet 2014, ch. 2); with two raters and no missing rating it is
    Cohen's kappa."""
    pa, _, w = _multi_rater_parts(r, weights)
    q = r.n_categories
    shares = []
    times = r.item_weights()
    for a in range(r.codes.shape[1]):  # annotators: a handful, items stay vectorised
        given = r.codes[:, a]
        rated = given >= 0
        if r.weights is not None:
            rated &= r.weights > 0
        given = given[rated].astype(np.int64)
        if len(given):
            if r.weights is None:
                shares.append(np.bincount(given, minlength=q) / len(given))
            else:
                counted = times[rated]
                shares.append(np.bincount(given, weights=counted, minlength=q) / counted.sum())
    p = np.asarray(shares)  # raters × categories
    n_raters = len(p)
    mean = p.mean(axis=0)
    if n_raters > 1:
        s2 = (p.T @ p - n_raters * np.outer(mean, mean)) / (n_raters - 1)
    else:
        s2 = np.zeros((q, q))
    return _chance_corrected(pa, float((w * (np.outer(mean, mean) - s2 / n_raters)).sum()))


def weighted_alpha_kernel(r: Ratings, weights: Any) -> float:
    """Krippendorff's alpha with agreement weights, in Gwet's (2014, ch. 2) form:
    ``p_a = (1 - ε) p'_a + ε``, ``p_e = Σ w_kl π_k π_l`` over the pairable items, with
    ``ε = 1 / Σ r_i``. Identity weights give nominal alpha, quadratic weights on equally
    spaced values interval alpha."""
    w = agreement_weights(r, weights)
    n = r.counts().astype(float)
    m = n.sum(axis=1)
    keep = m >= 2 if r.weights is None else (m >= 2) & (r.weights > 0)
    if not keep.any():
        raise Undefined("no item has two or more ratings, so there is nothing to compare")
    n, m, times = n[keep], m[keep], r.item_weights()[keep]
    mean = np.average(m, weights=times)
    prime = float(np.average((n * (n @ w.T - 1)).sum(axis=1) / (mean * (m - 1)), weights=times))
    eps = 1.0 / (m * times).sum()
    pi = np.average(n / mean, axis=0, weights=times)
    return _chance_corrected((1 - eps) * prime + eps, float(pi @ w @ pi))


# -- Krippendorff's alpha ---------------------------------------------------------------------


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """1-D dot product without BLAS: BLAS threads stall on a busy machine for long vectors."""
    return float(np.einsum("i,i->", a, b))


def _numeric_categories(r: Ratings, level: str) -> np.ndarray:
    if not r.is_numeric():
        example = next(c for c in r.categories if not isinstance(c, (int, float)))
        raise NblabelError(
            f"level={level!r} needs numeric labels, but the data has {example!r}: map labels to "
            "numbers first (e.g. data.replace({'low': 1, 'mid': 2, 'high': 3})) or use "
            "level='ordinal' with labels= in order"
        )
    return np.asarray(list(r.categories), dtype=float)


def _ratio_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total = a + b
    safe = np.where(total == 0, 1.0, total)
    return np.where(total == 0, 0.0, ((a - b) / safe) ** 2)


def krippendorff_kernel(r: Ratings, level: str = "nominal", weights: Any = None) -> float:
    """Krippendorff's alpha: ``1 - (n - 1) Σ_u Σ_{i≠j} δ / (m_u - 1) / Σ_ck n_c n_k δ_ck``.

    Nominal, ordinal and interval use closed forms per unit, O(ratings), built column by
    column (annotators) over all items at once; the ordinal metric is the interval metric on
    the mid-ranks ``Σ_{g<c} n_g + n_c / 2`` of the pairable values.
    """
    check_choice(level, "level", LEVELS)
    if weights is not None:
        if level != "nominal":
            raise NblabelError(
                f"give level= or weights=, not both (level={level!r}, weights={weights!r}): "
                "level= uses Krippendorff's metrics, weights= Gwet's agreement weights"
            )
        return weighted_alpha_kernel(r, weights)
    if level == "ordinal":
        r.require_order("level='ordinal'")
    kk = r.n_categories
    n_annotators = r.codes.shape[1]
    if r.weights is not None and (level == "ratio" or len(r.codes) * kk > 20_000_000):
        return krippendorff_kernel(r.expanded(), level)  # these paths count each row once
    if r.weights is None:  # the fast paths count each row once
        if level == "nominal" and n_annotators <= 31 and n_annotators * kk <= 256:
            return _nominal_alpha_few(r)
        if level == "interval" and n_annotators <= 32_000 and kk <= 1_000_000:
            return _interval_alpha(r)
    m = r.present_count()
    keep = m >= 2 if r.weights is None else (m >= 2) & (r.weights > 0)
    if not keep.any():
        raise Undefined("no item has two or more ratings, so there is nothing to compare")
    # weight 1 / (m_u - 1) of each unit; 0 drops units with a single rating
    inv = np.divide(1.0, m - 1, out=np.zeros(len(m)), where=keep)
    if level == "ratio":
        return _ratio_alpha(r, keep, inv, int(m.max()))
    if len(m) * kk > 20_000_000:  # many distinct values: avoid an items × labels matrix
        return _alpha_many_labels(r, level, keep, inv)
    counts = r.counts()
    columns = [counts[:, c] for c in range(kk)]  # labels, each a contiguous column
    if r.weights is None:
        weight = keep.astype(counts.dtype)
        n_c = np.array([np.einsum("i,i->", weight, col, dtype=np.int64) for col in columns],
                       float)  # fmt: skip
    else:  # a row counted w times: w times its labels and its disagreement
        weight = np.where(keep, r.item_weights(), 0.0)
        n_c = np.array([_dot(weight, col.astype(float)) for col in columns])
        inv = inv * weight
    n = n_c.sum()
    if (n_c > 0).sum() < 2:
        raise Undefined("every pairable rating uses the same label, so alpha is undefined")
    if level == "nominal":
        # Σ_c n_uc² in integers: exact, and a quarter of the memory traffic of floats
        sum_sq = np.zeros(len(m), dtype=np.int64 if len(r.annotators) > 40_000 else np.int32)
        for col in columns:
            sum_sq += np.multiply(col, col, dtype=sum_sq.dtype)
        observed = _dot(inv, (m * m - sum_sq).astype(float))
        expected = (n * n - n_c @ n_c) / (n - 1)
    else:
        t = _numeric_categories(r, level) if level == "interval" else np.cumsum(n_c) - n_c / 2
        t = t - (n_c @ t) / n  # centre: differences are unchanged, rounding error shrinks
        # per unit: Σ v and Σ v² from the label counts, one label (column) at a time
        unit_sum, unit_sq = np.zeros(len(m)), np.zeros(len(m))
        for c, col in enumerate(columns):
            column = col.astype(float)
            unit_sum += column * t[c]
            unit_sq += column * (t[c] * t[c])
        # Σ_{i≠j} (v_i - v_j)² = 2 m Σ_i (v_i - mean)² = 2 (m Σv² - (Σv)²)
        mean = np.divide(unit_sum, m, out=np.zeros(len(m)), where=keep)
        spread = np.maximum(unit_sq - mean * unit_sum, 0.0)
        observed = _dot(inv, 2 * m * spread)
        expected = 2 * n * (n_c @ (t * t)) / (n - 1)
    return _one_minus_ratio(observed, expected, "alpha")


#: Items per block in the few-annotator kernels: per-block temporaries stay in cache.
ROWS = 1 << 16


def _nominal_alpha_few(r: Ratings) -> float:
    """Nominal alpha for a few annotators and labels, in small integers, block by block.

    A unit with ``m`` ratings and label counts ``n_uc`` has ``D = m² - Σ_c n_uc²`` disagreeing
    ordered pairs and weight ``1 / (m - 1)``; both are small integers, so one histogram of
    ``(m, D)`` gives the observed disagreement with no per-unit floating point.
    """
    codes = r.codes
    n_items, max_m = codes.shape
    kk = r.n_categories
    width = max_m * max_m + 1
    hist = np.zeros((max_m + 1) * width, dtype=np.int64)
    total = np.zeros(kk, dtype=np.int64)
    for start in range(0, n_items, ROWS):  # blocks of items; inside, vectorised
        block = [codes[start : start + ROWS, a] for a in range(max_m)]
        size = len(block[0])
        m = np.zeros(size, dtype=np.int16)
        sum_sq = np.zeros(size, dtype=np.int16)  # ≤ 31² fits
        per_label = []
        for c in range(kk):
            count = np.zeros(size, dtype=np.int16)
            for column in block:
                np.add(count, column == c, out=count, casting="unsafe")
            m += count
            sum_sq += count * count
            per_label.append(count)
        key = m * np.int16(width) + (m * m - sum_sq)  # ≤ 31 · 962 + 961 < 2¹⁵
        hist += np.bincount(key, minlength=len(hist))
        pairable = (m >= 2).astype(np.int16)  # label totals over units with two or more
        for c, count in enumerate(per_label):
            total[c] += np.einsum("i,i->", pairable, count, dtype=np.int64)
    hist = hist.reshape(max_m + 1, width)
    if not hist[2:].any():
        raise Undefined("no item has two or more ratings, so there is nothing to compare")
    sizes = np.arange(max_m + 1, dtype=float)[2:, None]
    pairs = np.arange(width, dtype=float)[None, :]
    observed = float((hist[2:] * pairs / (sizes - 1)).sum())
    n_c = total.astype(float)
    n = n_c.sum()
    if (n_c > 0).sum() < 2:
        raise Undefined("every pairable rating uses the same label, so alpha is undefined")
    return _one_minus_ratio(observed, (n * n - n_c @ n_c) / (n - 1), "alpha")


def _interval_alpha(r: Ratings) -> float:
    """Interval alpha from per-unit sums of values and squares, block by block of items, each
    annotator's codes looked up as values: no items × labels table. Expected disagreement
    from the same sums over pairable units: ``2 n Σ (v - v̄)² / (n - 1)``."""
    t = _numeric_categories(r, "interval")
    centre = float(np.median(t)) if len(t) else 0.0  # differences are unchanged
    lookup = np.append(t - centre, 0.0)  # code -1 (missing) reads the trailing 0
    codes = r.codes
    observed = n = s1 = s2 = 0.0
    for start in range(0, len(codes), ROWS):  # blocks of items; inside, vectorised
        block = [codes[start : start + ROWS, a] for a in range(codes.shape[1])]
        size = len(block[0])
        unit_sum, unit_sq = np.zeros(size), np.zeros(size)
        m = np.zeros(size, dtype=np.int32)
        for column in block:
            v = lookup[column]
            unit_sum += v
            unit_sq += np.multiply(v, v, out=v)
            m += column >= 0
        keep = m >= 2
        mf = m.astype(float)
        # Σ_{i≠j} (v_i - v_j)² = 2 m Σ_i (v_i - mean)² = 2 (m Σv² - (Σv)²)
        mean = np.divide(unit_sum, mf, out=np.zeros(size), where=keep)
        spread = np.maximum(unit_sq - mean * unit_sum, 0.0)
        inv = np.divide(2.0, mf - 1, out=np.zeros(size), where=keep)
        observed += _dot(inv, mf * spread)
        weight = keep.astype(float)
        n += _dot(weight, mf)
        s1 += _dot(weight, unit_sum)
        s2 += _dot(weight, unit_sq)
    if n == 0:
        raise Undefined("no item has two or more ratings, so there is nothing to compare")
    total = s2 - s1 * s1 / n
    if total <= 1e-12 * max(s2, 1.0):
        raise Undefined("every pairable rating uses the same label, so alpha is undefined")
    return _one_minus_ratio(observed, 2 * n * total / (n - 1), "alpha")


def _alpha_many_labels(r: Ratings, level: str, keep: np.ndarray, inv: np.ndarray) -> float:
    """Nominal / ordinal / interval alpha from the (item, label) entries, O(ratings) memory."""
    kk = r.n_categories
    codes = r.codes[keep]
    present = codes >= 0
    c = codes[present].astype(np.int64)  # in item order: entries come grouped by item
    m = present.sum(axis=1)
    rows = np.repeat(np.arange(len(codes)), m)
    inv, m = inv[keep], m.astype(float)
    n_c = np.bincount(c, minlength=kk).astype(float)
    n = n_c.sum()
    if (n_c > 0).sum() < 2:
        raise Undefined("every pairable rating uses the same label, so alpha is undefined")
    if level == "nominal":
        keys, runs = np.unique(rows * kk + c, return_counts=True)
        sum_sq = np.bincount(keys // kk, weights=runs.astype(float) ** 2, minlength=len(m))
        observed = _dot(inv, m * m - sum_sq)
        expected = (n * n - n_c @ n_c) / (n - 1)
    else:
        t = _numeric_categories(r, level) if level == "interval" else np.cumsum(n_c) - n_c / 2
        t = t - (n_c @ t) / n
        v = t[c]
        dev = v - (np.bincount(rows, weights=v, minlength=len(m)) / m)[rows]
        observed = _dot(inv, 2 * m * np.bincount(rows, weights=dev * dev, minlength=len(m)))
        expected = 2 * n * (n_c @ (t * t)) / (n - 1)
    return _one_minus_ratio(observed, expected, "alpha")


def _ratio_alpha(r: Ratings, keep: np.ndarray, inv: np.ndarray, max_m: int) -> float:
    t = _numeric_categories(r, "ratio")
    codes = r.codes[keep]
    present = codes >= 0
    c = codes[present].astype(np.intp)  # in item order: entries come grouped by item
    rows = np.repeat(np.arange(len(codes)), present.sum(axis=1))
    n_c = np.bincount(c, minlength=r.n_categories).astype(float)
    if (n_c > 0).sum() < 2:
        raise Undefined("every pairable rating uses the same label, so alpha is undefined")
    observed = _ratio_observed(t[c], rows, inv[keep], max_m)
    expected = _ratio_expected(t, n_c) / (n_c.sum() - 1)
    return _one_minus_ratio(observed, expected, "alpha")


def _ratio_observed(v: np.ndarray, rows: np.ndarray, inv: np.ndarray, max_m: int) -> float:
    """Σ_u w_u Σ_{i≠j} δ over within-unit pairs, found by offsets in the item-grouped order."""
    total = 0.0
    for offset in range(1, max_m):  # loops over annotators per item, never over items
        same = rows[offset:] == rows[:-offset]
        dist = _ratio_distance(v[offset:][same], v[:-offset][same])
        total += 2 * (inv[rows[offset:][same]] * dist).sum()
    return total


def _ratio_expected(t: np.ndarray, n_c: np.ndarray, chunk: int = 1024) -> float:
    used = n_c > 0
    t, n_c = t[used], n_c[used]
    total = 0.0
    for start in range(0, len(t), chunk):  # bounded memory for many distinct values
        block = _ratio_distance(t[start : start + chunk, None], t[None, :])
        total += n_c[start : start + chunk] @ block @ n_c
    return total
