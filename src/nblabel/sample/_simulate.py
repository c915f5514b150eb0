"""Simulated labeling with an oracle: how fast does each order teach a model?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._errors import NblabelError
from .._optional import require
from ._active import ActiveLearning, _clone
from ._basic import random
from ._diverse import diverse
from ._uncertainty import STRATEGIES

__all__ = ["simulate"]

ORDERS = ("random", "diverse", *STRATEGIES)


def _default_data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # ships with scikit-learn: no download

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y  # pixels 0..16 -> 0..1, so the default model converges quickly


def _default_model() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def _accuracy(model: Any, X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray):
    if len(np.unique(y)) < 2:  # a classifier cannot be fit on one class: it predicts that class
        return float(np.mean(y_test == y[0]))
    return float(np.mean(_clone(model).fit(X, y).predict(X_test) == y_test))


def _active_order(
    model: Any, X: np.ndarray, y: np.ndarray, strategy: str, n: int, seed: int, refit_every: int
) -> list:
    """The first ``n`` items an :class:`ActiveLearning` order asks for, answered by ``y``."""
    items = pd.RangeIndex(len(X))
    with ActiveLearning(model, X, strategy=strategy, refit_every=refit_every, seed=seed) as active:
        queue = active.start(items, pd.Series(dtype=object))
        asked: list = []
        while len(asked) < n:
            item = queue.pop(0)
            asked.append(item)
            active.observe(item, y[item])
            active.wait()  # a real session would go on labeling; waiting keeps this exact
            queue = active.poll() or queue
        if active.error is not None:
            raise NblabelError(f"the model failed to fit during the simulation: {active.error}")
    return asked


def _run_seed(
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    strategies: Sequence[str],
    ks: list[int],
    model: Any,
    test_size: float,
    refit_every: int,
    runs: dict[str, list],
) -> None:
    """One split, every order: appends one accuracy curve per order to ``runs``."""
    from sklearn.model_selection import train_test_split

    n = ks[-1]
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    for order in strategies:
        if order == "random":
            picked = random(np.arange(len(X_pool)), n=n, seed=seed)
        elif order == "diverse":
            picked = diverse(X_pool, n=n, seed=seed)
        else:
            picked = _active_order(model, X_pool, y_pool, order, n, seed, refit_every)
        picked = np.asarray(picked)
        runs[order].append(
            [_accuracy(model, X_pool[picked[:k]], y_pool[picked[:k]], X_test, y_test) for k in ks]
        )


def simulate(
    X: Any = None,
    y: Any = None,
    *,
    strategies: Sequence[str] = ("random", "margin", "diverse"),
    ks: Sequence[int] | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    model: Any = None,
    test_size: float = 0.3,
    refit_every: int = 10,
) -> pd.DataFrame:
    """Accuracy of a model trained on the first k labels of each order, labels from an oracle.

    For each seed the data is split into a pool and a test set (stratified). Each order picks
    items from the pool; their true labels play the annotator. After ``k`` labels a fresh
    model is fit on them and scored on the test set. Uncertainty orders are real
    :class:`ActiveLearning` sessions (refit every ``refit_every`` labels, diverse cold start).

    Parameters
    ----------
    X, y
        Features and true labels; by default the scikit-learn digits (1,797 8x8 images, 10
        classes, no download), scaled to [0, 1].
    strategies
        The orders to compare, any of ``"random"``, ``"diverse"`` (k-center on ``X``),
        ``"least-confident"``, ``"margin"`` and ``"entropy"``.
    ks
        Label counts to score at; by default 10, 20, ..., 300 (capped at the pool size).
    seeds
        One split and one run of every order per seed; accuracies are averaged over seeds.
    model
        The classifier (cloned for every fit); by default ``LogisticRegression(max_iter=1000)``.
    test_size
        Share of the data held out for scoring.
    refit_every
        How often the active orders refit.

    Returns
    -------
    pandas.DataFrame
        Mean test accuracy, indexed by ``k`` (labels given), one column per strategy.

    Examples
    --------
    >>> curves = simulate(strategies=["random", "margin"], ks=[20, 100])  # doctest: +SKIP
    >>> curves.loc[100, "margin"] > curves.loc[100, "random"]          # doctest: +SKIP
    True
    """
    require("sklearn", extra="learn", purpose="simulate()", package="scikit-learn")
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    unknown = [s for s in strategies if s not in ORDERS]
    if unknown:
        raise NblabelError(f"unknown strategy {unknown[0]!r}: use any of {', '.join(ORDERS)}")
    if (X is None) != (y is None):
        raise NblabelError("give both X and y, or neither (to use the digits data)")
    if X is None:
        X, y = _default_data()
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if len(X) != len(y):
        raise NblabelError(f"X has {len(X)} rows but y has {len(y)} labels")
    model = _default_model() if model is None else model
    pool_size = len(X) - int(np.ceil(test_size * len(X)))
    ks = list(range(10, 301, 10)) if ks is None else list(ks)
    ks = sorted({min(int(k), pool_size) for k in ks if k > 0})
    if not ks or not seeds:
        raise NblabelError("give at least one k > 0 and one seed")
    runs = {order: [] for order in strategies}
    # hundreds of tiny fits: BLAS threads only add overhead (10x on a busy 2-core machine)
    with threadpool_limits(limits=1):
        for seed in seeds:
            _run_seed(X, y, seed, strategies, ks, model, test_size, refit_every, runs)
    curves = pd.DataFrame(
        {order: np.mean(runs[order], axis=0) for order in strategies},
        index=pd.Index(ks, name="k"),
    )
    curves.columns.name = "strategy"
    return curves
