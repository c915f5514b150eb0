"""Active learning as a labeling order: refit in the background, re-rank by uncertainty."""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_choice, check_int
from .._errors import NblabelError
from ._common import as_matrix, hashable, item_ids, rng_for, to_ids
from ._diverse import embedding_matrix, farthest_first
from ._uncertainty import check_model, check_strategy, rank_by_score, scores

__all__ = ["ActiveLearning"]

COLD_STARTS = ("diverse", "random")
_JOIN_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class _Job:
    generation: int
    labels: dict  # position -> label, a snapshot taken when the job was queued
    size: int  # number of items
    features: Any  # X aligned with the items
    cover: np.ndarray | None  # vectors for the diverse cold start


@dataclass(frozen=True)
class _Fit:
    """The last successful fit: when, on how many labels, and where it ranked each item."""

    at: float  # time.time() when it finished
    labels: int
    ranked: int  # unlabeled items it ranked
    ranks: np.ndarray  # rank by item position, 0 = most uncertain; -1: labeled then
    scores: np.ndarray  # uncertainty by item position (NaN: labeled then)


def _clone(model: Any) -> Any:
    try:
        from sklearn.base import clone  # scikit-learn is optional ("learn" extra)
    except ImportError:  # pragma: no cover - scikit-learn is installed in the test env
        return copy.deepcopy(model)
    try:
        return clone(model)
    except TypeError:  # not a scikit-learn estimator: a deep copy is the next best thing
        return copy.deepcopy(model)


def _rows(features: Any, positions: np.ndarray) -> Any:
    if isinstance(features, (pd.DataFrame, pd.Series)):
        return features.iloc[positions]
    return features[positions]


class ActiveLearning:
    """A labeling order that follows a model's uncertainty, refit as labels come in.

    Pass it as ``order=`` to a labeling widget. The widget's session drives it through this
    protocol (tests and notebooks may call it directly):

    ``start(items, labeled) -> list``
        ``items`` is the pandas Index of all item ids (``data.index``); ``labeled`` is a
        Series of the labels already given, indexed by item id. Returns the not-yet-labeled
        item ids in the order to show them. Until the labels hold at least two classes the
        order is a cold start (see ``cold_start``); with two or more, a fit is queued at once
        and its ranking arrives through ``poll``.
    ``observe(item, label) -> None``
        Called after each saved label; ``label=None`` after an undo of that item. Never
        blocks: every ``refit_every`` labels a re-rank is queued for the background worker.
        While the labels hold fewer than two classes, the re-rank is a new cold start that
        avoids the items labeled so far.
    ``poll() -> list | None``
        Non-blocking. When a re-rank has finished since the last poll, the new order of the
        items not labeled now (items un-labeled by an undo after the re-rank began come
        first); otherwise ``None``.
    ``error: str | None``
        The message of the last failed fit; labeling goes on in the last good order. Cleared
        by the next successful fit.
    ``close() -> None``
        Stops the background worker (also on leaving a ``with`` block).

    Each re-rank fits a fresh ``sklearn.base.clone`` of ``model`` on the labels so far and
    ranks the unlabeled items by ``strategy``, most uncertain first (ties by position).
    :meth:`wait` blocks until the worker is idle, for tests and simulations.

    Parameters
    ----------
    model
        An unfitted classifier with ``fit`` and ``predict_proba`` (it is cloned, never fit
        in place).
    X
        Features, one row per item: an array or list aligned with ``items`` by position, or
        a DataFrame indexed by item id (rows are looked up by id at ``start``).
    strategy
        ``"margin"`` (default), ``"least-confident"`` or ``"entropy"``; see
        :func:`nblabel.sample.uncertainty`.
    refit_every
        Refit after this many new labels.
    seed
        Seeds the cold start; the same labels give the same order.
    cold_start
        ``"diverse"`` (default): the next ``refit_every`` items are picked by k-center greedy
        on ``embeddings`` (or ``X``), away from items already labeled; the rest follow at
        random. ``"random"``: a random order.
    embeddings
        Vectors for the diverse cold start, aligned like ``X``, when ``X`` is not numeric.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> order = ActiveLearning(LogisticRegression(), X, refit_every=25)  # doctest: +SKIP
    >>> nblabel.classify(df, options=["spam", "ham"], order=order)        # doctest: +SKIP
    """

    def __init__(
        self,
        model: Any,
        X: Any,
        *,
        strategy: str = "margin",
        refit_every: int = 25,
        seed: int = 0,
        cold_start: str = "diverse",
        embeddings: Any = None,
    ) -> None:
        check_model(model, fit=True)
        check_strategy(strategy)
        refit_every = check_int(refit_every, "refit_every", minimum=1)
        check_choice(cold_start, "cold_start", COLD_STARTS)
        rng_for(seed)  # refuse a bad seed now rather than in the worker
        self.model = model
        self.X = X
        self.strategy = strategy
        self.refit_every = int(refit_every)
        self.seed = seed
        self.cold_start = cold_start
        self.embeddings = embeddings
        self.error: str | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._stop: threading.Event | None = None
        self._job: _Job | None = None
        self._busy = 0  # workers in a fit (an old one may finish after close() and start())
        self._closed = False
        self._result: np.ndarray | None = None
        self._generation = 0
        self._items: pd.Index | None = None
        self._features: Any = None
        self._cover: np.ndarray | None = None
        self._labels: dict[int, Any] = {}
        self._since_refit = 0
        self._fit: _Fit | None = None

    def __repr__(self) -> str:
        return (
            f"ActiveLearning({type(self.model).__name__}, strategy={self.strategy!r}, "
            f"refit_every={self.refit_every})"
        )

    # -- the ordering protocol ----------------------------------------------------------------
    def start(self, items: pd.Index, labeled: pd.Series) -> list:
        """Align the features with ``items`` and return the first order (see the class doc)."""
        items = item_ids(items if isinstance(items, pd.Index) else pd.Index(items), "items")
        features = self._align(self.X, items, "X")
        cover = None
        if self.cold_start == "diverse":
            source = self.X if self.embeddings is None else self.embeddings
            what = "X" if self.embeddings is None else "embeddings"
            aligned = self._align(source, items, what)
            try:
                cover = embedding_matrix(aligned, what)[1]
            except NblabelError as exc:
                raise NblabelError(
                    f"the diverse cold start needs numeric vectors: {exc}; pass embeddings=... "
                    "or cold_start='random'"
                ) from None
        labels = self._initial_labels(items, labeled)
        with self._lock:
            self._generation += 1
            self._items, self._features, self._cover = items, features, cover
            self._labels = labels
            self._since_refit = 0
            self._closed = False
            self._result, self._job = None, None
            job = self._snapshot()
        first = self._cold_order(job)
        with self._lock:
            if len({hashable(v) for v in labels.values()}) >= 2:
                self._queue()  # enough labels to rank already: do not wait for new ones
        return to_ids(items, first)

    def observe(self, item: Any, label: Any) -> None:
        """Record a saved label (``None``: the item's label was undone); never blocks on a fit."""
        if self._items is None:
            raise NblabelError("call start(items, labeled) before observe()")
        try:
            position = self._items.get_loc(item)
        except KeyError:
            raise NblabelError(f"item {item!r} is not one of the items given to start()") from None
        with self._lock:
            if label is None:
                self._labels.pop(position, None)
                return
            self._labels[position] = label
            self._since_refit += 1
            if self._since_refit >= self.refit_every:
                self._queue()

    def poll(self) -> list | None:
        """The newest finished order of the items not labeled now, or ``None``."""
        with self._lock:
            result, self._result = self._result, None
            if result is None or self._items is None:
                return None
            labeled = np.fromiter(self._labels, dtype=np.intp, count=len(self._labels))
            items = self._items
        order = result[~np.isin(result, labeled)]
        undone = np.setdiff1d(np.arange(len(items)), np.concatenate([labeled, order]))
        return to_ids(items, np.concatenate([undone, order]))

    def explain(self, item: Any) -> dict:
        """Why ``item`` comes now, for the widget: ``{"strategy"}`` and, once a model was
        fit, ``{"refit_at": time.time() of the fit, "labels": labels it was fit on, "rank":
        the item's rank (1 = most uncertain) or None, "of": items ranked, "score": its
        uncertainty}``; before that, ``{"cold_start": "diverse" or "random"}``."""
        with self._lock:
            fit, items = self._fit, self._items
        out: dict[str, Any] = {"strategy": self.strategy}
        if fit is None or items is None:
            out["cold_start"] = self.cold_start
            return out
        out.update(refit_at=fit.at, labels=fit.labels, of=fit.ranked, rank=None, score=None)
        try:
            position = items.get_loc(item)
        except (KeyError, TypeError):
            return out
        if isinstance(position, (int, np.integer)) and fit.ranks[position] >= 0:
            out["rank"] = int(fit.ranks[position]) + 1
            out["score"] = float(fit.scores[position])
        return out

    def close(self) -> None:
        """Stop the background worker; a fit in progress is abandoned."""
        with self._lock:
            thread, stop = self._thread, self._stop
            self._thread, self._stop, self._job = None, None, None
            self._closed = True  # observe() records labels but queues no re-rank until start()
            if stop is not None:
                stop.set()
            self._changed.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(_JOIN_TIMEOUT_S)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no re-rank is queued or running. Returns ``False`` on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._job is None and self._busy == 0, timeout)

    def __enter__(self) -> ActiveLearning:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inputs -------------------------------------------------------------------------------
    @staticmethod
    def _align(values: Any, items: pd.Index, what: str) -> Any:
        if isinstance(values, (pd.DataFrame, pd.Series)):
            if values.index.equals(items):
                return values
            missing = ~items.isin(values.index)
            if missing.any():
                raise NblabelError(
                    f"{what} has no row for {int(missing.sum())} of the {len(items)} items "
                    f"(e.g. {items[missing][:3].tolist()}): index {what} like the data"
                )
            if not values.index.is_unique:
                raise NblabelError(f"{what} has duplicate index labels: one row per item")
            return values.loc[items]
        if isinstance(values, (list, tuple)):
            values = np.asarray(values)
        size = values.shape[0] if getattr(values, "shape", None) else None
        if size is None:
            raise NblabelError(
                f"{what} must be an array, a list of rows or a DataFrame, not "
                f"{type(values).__name__}"
            )
        if size != len(items):
            raise NblabelError(
                f"{what} has {size} rows for {len(items)} items: give one row per item, in "
                "the order of the data, or a DataFrame indexed by item id"
            )
        return values

    @staticmethod
    def _initial_labels(items: pd.Index, labeled: Any) -> dict[int, Any]:
        if labeled is None:
            return {}
        if not isinstance(labeled, pd.Series):
            raise NblabelError("labeled must be a Series of labels indexed by item id")
        labeled = labeled[labeled.notna().to_numpy()]
        positions = items.get_indexer(labeled.index)
        # labels of items outside ``items`` do not belong to this order
        return {int(p): v for p, v in zip(positions, labeled.tolist(), strict=True) if p >= 0}

    # -- background work ----------------------------------------------------------------------
    def _snapshot(self) -> _Job:
        return _Job(
            self._generation, dict(self._labels), len(self._items), self._features, self._cover
        )

    def _queue(self) -> None:
        """Queue a re-rank on a snapshot of the labels (the lock is held by the caller)."""
        self._since_refit = 0
        if self._closed:
            return
        # a queued job not yet started is replaced: only the newest labels matter
        self._job = self._snapshot()
        if self._thread is None:
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._work, args=(self._stop,), name="nblabel-active-learning", daemon=True
            )
            self._thread.start()
        self._changed.notify_all()

    def _work(self, stop: threading.Event) -> None:
        while True:
            with self._changed:
                while self._job is None and not stop.is_set():
                    self._changed.wait()
                if stop.is_set():
                    return
                job, self._job = self._job, None
                self._busy += 1
            order, error, fitted, fit = None, None, False, None
            try:
                order, fitted, fit = self._rank(job)
            except Exception as exc:  # a failing fit must never stop the labeling
                error = f"{type(exc).__name__}: {exc}"
            with self._changed:
                self._busy -= 1
                if job.generation == self._generation and not stop.is_set():
                    if order is not None:
                        self._result = order
                        if fitted:
                            self.error = None
                            self._fit = fit
                    else:
                        self.error = error
                self._changed.notify_all()

    def _rank(self, job: _Job) -> tuple[np.ndarray, bool, _Fit | None]:
        """Positions of the unlabeled items in their new order, whether a model ranked them,
        and that fit's ranks and scores."""
        labeled = np.array(sorted(job.labels), dtype=np.intp)
        unlabeled = np.setdiff1d(np.arange(job.size), labeled)
        if len({hashable(v) for v in job.labels.values()}) < 2 or not len(unlabeled):
            return self._cold_order(job), False, None
        model = _clone(self.model)
        model.fit(_rows(job.features, labeled), [job.labels[p] for p in labeled])
        proba = model.predict_proba(_rows(job.features, unlabeled))
        values = proba.to_numpy() if isinstance(proba, pd.DataFrame) else proba
        matrix = as_matrix(values, "predict_proba output", any_float=True)
        if len(matrix) != len(unlabeled):
            raise NblabelError(
                f"predict_proba returned {len(matrix)} rows for {len(unlabeled)} items"
            )
        score = scores(matrix, self.strategy)
        order = unlabeled[rank_by_score(score)]
        ranks = np.full(job.size, -1, dtype=np.intp)
        ranks[order] = np.arange(len(order))
        by_position = np.full(job.size, np.nan)
        by_position[unlabeled] = score
        fit = _Fit(time.time(), len(labeled), len(unlabeled), ranks, by_position)
        return order, True, fit

    def _cold_order(self, job: _Job) -> np.ndarray:
        labeled = np.array(sorted(job.labels), dtype=np.intp)
        unlabeled = np.setdiff1d(np.arange(job.size), labeled)
        # seeded by the label count too: a later cold order is new, yet reproducible
        rng = np.random.default_rng([int(self.seed), len(labeled)])
        if job.cover is None or not len(unlabeled):
            return unlabeled[rng.permutation(len(unlabeled))]
        picked = farthest_first(
            job.cover, min(self.refit_every, len(unlabeled)), rng, initial=labeled
        )
        rest = np.setdiff1d(unlabeled, picked)
        return np.concatenate([picked, rest[rng.permutation(len(rest))]])
