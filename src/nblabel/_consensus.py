"""Consensus labels from several annotators: majority vote or Dawid–Skene, reviews first."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_choice, check_flag, check_list, check_seed, check_task, given
from ._errors import NblabelError, NblabelWarning
from .agreement._input import (
    Ratings,
    check_annotators,
    long_frame,
    ratings_from_long,
    ratings_from_wide,
    split_source,
)

__all__ = ["DawidSkeneResult", "consensus", "dawid_skene"]

METHODS = ("majority", "dawid-skene")
TIES = ("first", "random", "none")
COLUMNS = ["label", "confidence", "method", "n_ratings"]


@dataclass(frozen=True)
class DawidSkeneResult:
    """Dawid–Skene estimates: posterior of each true label, and each annotator's confusion."""

    posterior: pd.DataFrame
    """Items × labels: probability that each label is the true one."""
    confusion: dict[Hashable, pd.DataFrame]
    """Annotator → true label × given label; each row sums to 1."""
    prior: pd.Series
    """Estimated share of each true label."""
    n_iter: int
    """EM iterations run."""
    converged: bool
    """True when the last iteration changed no posterior by ``tol`` or more."""


def _pick(scores: np.ndarray, tie: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Winning column per row, and whether the row was an unbroken tie (``tie="none"``)."""
    top = scores.max(axis=1, initial=-np.inf)
    tied = scores >= top[:, None] - 1e-9 * np.maximum(1.0, np.abs(top[:, None]))
    if tie == "random":
        # a uniform draw among the tied columns, vectorised over rows
        best = np.where(tied, rng.random(scores.shape), -1.0).argmax(axis=1)
    else:
        best = tied.argmax(axis=1)  # "first": earliest tied label in labels= / sorted order
    unbroken = (tied.sum(axis=1) > 1) if tie == "none" else np.zeros(len(scores), dtype=bool)
    return best, unbroken


def _frame(
    ratings: Ratings, best: np.ndarray, conf: np.ndarray, blank: np.ndarray, method: str
) -> pd.DataFrame:
    cats = np.asarray(ratings.categories, dtype=object)
    label = np.full(len(best), np.nan, dtype=object)
    label[~blank] = cats[best[~blank]] if len(cats) else np.nan
    n_ratings = (ratings.codes >= 0).sum(axis=1)
    return pd.DataFrame(
        {
            "label": label,
            "confidence": np.where(blank & (n_ratings == 0), np.nan, conf),
            "method": method,
            "n_ratings": n_ratings.astype(np.int64),
        },
        index=pd.Index(ratings.items, name="item"),
    )


def _majority(ratings: Ratings, tie: str, seed: int) -> pd.DataFrame:
    counts = ratings.counts().astype(float)
    m = counts.sum(axis=1)
    best, unbroken = _pick(counts, tie, np.random.default_rng(seed))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = counts.max(axis=1, initial=0) / m
    return _frame(ratings, best, share, unbroken | (m == 0), "majority")


#: Iterations allowed when ``max_iter=None``: EM converges long before on any real data, so
#: reaching it means the estimates oscillate, and the user is told.
ITERATION_CAP = 100_000


def _dawid_skene(
    ratings: Ratings, max_iter: int | None, tol: float, smoothing: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, bool]:
    """EM of Dawid & Skene (1979) from vote shares; returns posterior, confusion, prior.

    Warns when ``max_iter`` stops it before the largest posterior change falls below ``tol``.
    """
    limit = ITERATION_CAP if max_iter is None else max_iter
    codes = ratings.codes
    n, n_ann = codes.shape
    kk = ratings.n_categories
    present = codes >= 0
    rows = np.nonzero(present)[0]
    ann = np.nonzero(present)[1]
    given = codes[present]
    counts = ratings.counts().astype(float)
    m = counts.sum(axis=1, keepdims=True)
    post = np.where(m > 0, counts / np.where(m > 0, m, 1), 1.0 / max(kk, 1))  # majority start
    confusion = np.full((n_ann, kk, kk), 1.0 / max(kk, 1))
    prior = np.full(kk, 1.0 / max(kk, 1))
    converged, n_iter, change = False, 0, np.inf
    while n_iter < limit:  # loops over EM steps and labels; never over items
        n_iter += 1
        prior = (post.sum(axis=0) + smoothing) / (n + smoothing * kk)
        key = ann * kk + given
        for true in range(kk):
            confusion[:, true, :] = np.bincount(
                key, weights=post[rows, true], minlength=n_ann * kk
            ).reshape(n_ann, kk)
        confusion += smoothing  # keeps every log finite when an annotator never used a label
        confusion /= confusion.sum(axis=2, keepdims=True)
        log_conf = np.log(confusion)
        log_post = np.tile(np.log(prior), (n, 1))
        for true in range(kk):
            log_post[:, true] += np.bincount(rows, weights=log_conf[ann, true, given], minlength=n)
        log_post -= log_post.max(axis=1, keepdims=True)
        new = np.exp(log_post)
        new /= new.sum(axis=1, keepdims=True)
        change = np.abs(new - post).max(initial=0.0)
        post = new
        if change < tol:
            converged = True
            break
    if not converged:
        advice = "raise max_iter= (or pass max_iter=None)" if max_iter is not None else \
            "the estimates oscillate: loosen tol= or check the data"
        warnings.warn(
            f"Dawid-Skene stopped after {n_iter} iterations without converging (the last one "
            f"still moved a posterior by {change:.2g}, tol={tol:g}): {advice}",
            NblabelWarning,
            stacklevel=3,
        )
    return post, confusion, prior, n_iter, converged


def _check_em_options(max_iter: Any, tol: Any, smoothing: Any = 0.0) -> None:
    if max_iter is not None and (
        not isinstance(max_iter, numbers.Integral) or isinstance(max_iter, bool) or max_iter < 1
    ):
        raise NblabelError(
            f"max_iter={max_iter!r}: give a whole number ≥ 1, or None to run until converged"
        )
    for name, value, low in (("tol", tol, "> 0"), ("smoothing", smoothing, "≥ 0")):
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not (
            value > 0 if name == "tol" else value >= 0
        ) or not math.isfinite(value):
            raise NblabelError(f"{name}={value!r}: give a number {low}")


def dawid_skene(
    data: Any,
    task: str | None = None,
    *,
    labels: Sequence[Any] | None = None,
    annotators: Sequence[Hashable] | None = None,
    max_iter: int | None = None,
    tol: float = 1e-6,
    smoothing: float = 0.01,
) -> DawidSkeneResult:
    """Dawid & Skene (1979) estimates of true labels and of each annotator's confusion.

    EM starts from each item's vote shares (soft majority vote) and runs until no posterior
    moves by ``tol`` or more in an iteration. ``smoothing`` is a pseudo-count added to every
    confusion cell and to the prior, so an unused label never gets probability 0.

    Parameters
    ----------
    data, task, labels, annotators
        As for :func:`consensus`.
    max_iter
        Most EM iterations to run; ``None`` (default) runs until converged. Stopping before
        convergence warns (:class:`NblabelWarning`); ``n_iter`` and ``converged`` say what ran.
    tol
        Convergence threshold on the largest change of a posterior probability.
    smoothing
        Pseudo-count added to each confusion cell and to the prior.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": ["x", "y", "x"], "b": ["x", "y", "y"], "c": ["x", "y", "x"]})
    >>> result = dawid_skene(wide)
    >>> result.posterior.idxmax(axis=1).tolist()
    ['x', 'y', 'x']
    """
    _check_em_options(max_iter, tol, smoothing)
    ratings = _ratings(data, task, labels, annotators)[0]
    post, confusion, prior, n_iter, converged = _dawid_skene(ratings, max_iter, tol, smoothing)
    cats = pd.Index(ratings.categories, name="label")
    return DawidSkeneResult(
        posterior=pd.DataFrame(post, index=pd.Index(ratings.items, name="item"), columns=cats),
        confusion={
            name: pd.DataFrame(
                confusion[j], index=cats.rename("true"), columns=cats.rename("given")
            )
            for j, name in enumerate(ratings.annotators)
        },
        prior=pd.Series(prior, index=cats, name="prior"),
        n_iter=n_iter,
        converged=converged,
    )


def _ratings(
    data: Any, task: str | None, labels: Sequence[Any] | None, annotators: Sequence[Hashable] | None
) -> tuple[Ratings, pd.DataFrame]:
    if not isinstance(data, pd.DataFrame) and not hasattr(data, "annotations"):
        raise NblabelError(
            "data= must be a wide DataFrame (rows = items, columns = annotators), a long "
            "DataFrame with columns item, annotator, label, or a LabelStore with task=; not "
            f"{given(data)}. Wrap arrays first: pd.DataFrame(array)"
        )
    if task is not None and hasattr(data, "tasks"):
        check_task(task, data.tasks())
    elif task is not None and isinstance(data, pd.DataFrame) and "task" in data.columns:
        check_task(task, data["task"].unique().tolist(), holder="the table")
    long = long_frame(data, task)
    if long is None:
        ratings, reviews = ratings_from_wide(data, labels), pd.DataFrame()
    else:
        rated, reviews = split_source(long)
        ratings = ratings_from_long(rated, labels)
    if annotators is not None:
        known = set(ratings.annotators)
        unknown = [a for a in annotators if a not in known]
        if unknown:
            raise NblabelError(
                f"annotators={unknown!r}: no such annotator in the data; it has "
                f"{list(ratings.annotators)[:10]!r}"
            )
        ratings = ratings.columns(annotators)
    if not (ratings.codes >= 0).any() and not len(reviews):
        raise NblabelError(
            "data= holds no labels (it is empty, or every value is missing): there is nothing "
            "to agree on; check the task= and annotators= given, or label some items first"
        )
    return ratings, reviews


def consensus(
    data: Any,
    task: str | None = None,
    *,
    method: str = "majority",
    tie: str = "first",
    seed: int = 0,
    use_review: bool = True,
    labels: Sequence[Any] | None = None,
    annotators: Sequence[Hashable] | None = None,
    max_iter: int | None = None,
    tol: float = 1e-6,
) -> pd.DataFrame:
    """One final label per item from several annotators' labels.

    Parameters
    ----------
    data
        Wide DataFrame (items × annotators), long DataFrame (``item, annotator, label``) or
        ``LabelStore`` with ``task=``.
    task
        The task to read from a store or a long frame with a ``task`` column.
    method
        ``"majority"``: the most frequent label, confidence = its share of the votes.
        ``"dawid-skene"``: EM estimate weighting annotators by their estimated confusion,
        confidence = posterior probability; confusion and prior go to ``.attrs``.
    tie
        When labels tie for the top: ``"first"`` takes the tied label that comes first in
        ``labels`` (or in sorted order when ``labels`` is None); ``"random"`` draws one of them
        with a generator seeded by ``seed``; ``"none"`` leaves the label NaN.
    seed
        Seed for ``tie="random"``.
    use_review
        With a store (or a long frame with a ``source`` column), an item with a
        ``source="review"`` label takes the newest review label: method ``"review"``,
        confidence 1.0.
    labels
        Every label in order (sets the tie order).
    annotators
        Only use these annotators.
    max_iter, tol
        Dawid–Skene only: as for :func:`dawid_skene` (by default, run until converged).

    Returns
    -------
    pandas.DataFrame
        Indexed by item, columns ``label, confidence, method, n_ratings``. With Dawid–Skene,
        ``.attrs`` holds ``confusion``, ``prior``, ``n_iter`` and ``converged``.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": ["x", "y", "x"], "b": ["x", "z", "y"], "c": ["y", None, "y"]})
    >>> consensus(wide)  # doctest: +NORMALIZE_WHITESPACE
         label  confidence    method  n_ratings
    item
    0        x    0.666667  majority          3
    1        y    0.500000  majority          2
    2        y    0.666667  majority          3
    """
    check_choice(method, "method", METHODS)
    check_choice(tie, "tie", TIES)
    seed, use_review = check_seed(seed), check_flag(use_review, "use_review")
    if task is not None and not isinstance(task, str):
        raise NblabelError(f"task= must be a task name (a string) or None, not {given(task)}")
    if labels is not None:
        labels = check_list(labels, "labels", "['pos', 'neg']")
    if annotators is not None:
        annotators = check_annotators(annotators)
    _check_em_options(max_iter, tol)
    ratings, reviews = _ratings(data, task, labels, annotators)
    if method == "majority":
        result = _majority(ratings, tie, seed)
    else:
        post, confusion, prior, n_iter, converged = _dawid_skene(ratings, max_iter, tol, 0.01)
        best, unbroken = _pick(post, tie, np.random.default_rng(seed))
        empty = (ratings.codes >= 0).sum(axis=1) == 0
        result = _frame(ratings, best, post.max(axis=1, initial=0), unbroken | empty, "dawid-skene")
        cats = [_plain(c) for c in ratings.categories]
        result.attrs["confusion"] = {
            _plain(name): {
                t: dict(zip(cats, confusion[j, i].tolist(), strict=True))
                for i, t in enumerate(cats)
            }
            for j, name in enumerate(ratings.annotators)
        }
        result.attrs["prior"] = dict(zip(cats, prior.tolist(), strict=True))
        result.attrs["n_iter"] = n_iter
        result.attrs["converged"] = converged
    if use_review and len(reviews):
        result = _apply_reviews(result, reviews)
    return result


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _apply_reviews(result: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """Reviewed items take the newest review label (the store lists events oldest first)."""
    order = reviews["event_id"].argsort(kind="stable") if "event_id" in reviews else None
    if order is not None:
        reviews = reviews.iloc[order.to_numpy()]
    latest = reviews.drop_duplicates("item", keep="last")
    attrs = dict(result.attrs)  # concat may drop attrs that differ between its inputs
    extra = pd.Index(latest["item"], dtype=object).difference(result.index, sort=False)
    if len(extra):
        filler = pd.DataFrame(
            {"label": np.nan, "confidence": np.nan, "method": "review", "n_ratings": 0},
            index=pd.Index(extra, name="item"),
        )
        result = pd.concat([result, filler.astype({"label": object})])
    positions = result.index.get_indexer(pd.Index(latest["item"], dtype=object))
    label = result["label"].to_numpy(dtype=object).copy()
    label[positions] = latest["label"].to_numpy(dtype=object)
    result["label"] = pd.Series(label, index=result.index, dtype=object)
    result.iloc[positions, result.columns.get_loc("confidence")] = 1.0
    result.iloc[positions, result.columns.get_loc("method")] = "review"
    result.attrs.update(attrs)
    return result
