"""ActiveLearning through the ordering protocol a labeling session uses."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from nblabel import NblabelError
from nblabel.sample import ActiveLearning, uncertainty

NO_LABELS = pd.Series(dtype=object)


def data(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Two overlapping Gaussian classes in 2-D, with string item ids."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.0, -1.0)
    return pd.DataFrame(X, index=[f"i{k}" for k in range(n)], columns=["a", "b"]), y


@pytest.fixture
def active():
    made = []

    def make(*args, **kwargs):
        made.append(ActiveLearning(*args, **kwargs))
        return made[-1]

    yield make
    for one in made:
        one.close()


def label_first(al, X, y, order, k):
    """Answer the first ``k`` items of ``order`` like an oracle; returns the labels given."""
    given = {}
    for item in order[:k]:
        given[item] = y[X.index.get_loc(item)]
        al.observe(item, given[item])
    return given


def test_start_orders_the_unlabeled_items_only(active):
    X, _ = data()
    labeled = pd.Series({"i0": 1, "i5": 0})
    order = active(LogisticRegression(), X).start(X.index, labeled)
    assert len(order) == len(set(order)) == len(X) - 2
    assert set(order) == set(X.index) - {"i0", "i5"}


def test_cold_start_is_diverse_and_deterministic(active):
    X, _ = data()
    al = active(LogisticRegression(), X, refit_every=10)
    order = al.start(X.index, NO_LABELS)
    assert al.start(X.index, NO_LABELS) == order  # the same seed gives the same order
    spread = X.loc[order[:10]].to_numpy()
    assert np.ptp(spread, axis=0).min() > 3  # the first picks span the cloud
    assert active(LogisticRegression(), X, seed=1).start(X.index, NO_LABELS) != order


def test_a_refit_ranks_the_rest_by_margin_of_a_model_fit_on_the_labels(active):
    X, y = data()
    al = active(LogisticRegression(), X, refit_every=1, strategy="margin")
    given = label_first(al, X, y, al.start(X.index, NO_LABELS), 12)
    assert al.wait(10)
    new = al.poll()
    assert al.poll() is None  # each finished re-rank is handed out once
    rest = [i for i in X.index if i not in given]
    assert sorted(new) == sorted(rest)
    done = sorted(given, key=X.index.get_loc)
    model = LogisticRegression().fit(X.loc[done], [given[i] for i in done])
    assert new == uncertainty(model, X.loc[rest], strategy="margin")
    assert al.error is None


def test_with_one_class_a_refit_is_a_new_cold_start_away_from_the_labels(active):
    X, _ = data()
    al = active(LogisticRegression(), X, refit_every=5)
    order = al.start(X.index, NO_LABELS)
    for item in order[:4]:
        al.observe(item, "spam")
    assert al.wait(10) and al.poll() is None  # fewer than refit_every labels: no re-rank
    al.observe(order[4], "spam")
    assert al.wait(10)
    again = al.poll()
    assert al.error is None
    assert set(again) == set(X.index) - set(order[:5])
    assert again[:5] != order[5:10]  # re-picked around the five labeled items
    labeled = X.loc[order[:5]].to_numpy()
    gaps = np.linalg.norm(X.loc[again[:1]].to_numpy()[:, None] - labeled[None], axis=2).min()
    all_gaps = np.linalg.norm(X.loc[again].to_numpy()[:, None] - labeled[None], axis=2).min(1)
    assert np.isclose(gaps, all_gaps.max())  # k-center: the farthest item from the labeled


def test_labels_given_before_start_are_used_at_once(active):
    X, y = data()
    labeled = pd.Series({"i0": y[0], "i1": 1 - y[0]})
    al = active(LogisticRegression(), X)
    al.start(X.index, labeled)
    assert al.wait(10)
    assert len(al.poll()) == len(X) - 2


def test_an_undone_item_comes_back(active):
    X, y = data()
    al = active(LogisticRegression(), X, refit_every=4)
    order = al.start(X.index, NO_LABELS)
    label_first(al, X, y, order, 4)
    assert al.wait(10)
    al.observe(order[0], None)  # undone after the re-rank was made
    new = al.poll()
    assert new[0] == order[0] and order[1] not in new
    assert len(new) == len(X) - 3


GATE = threading.Event()


class Gate(BaseEstimator, ClassifierMixin):
    """A logistic regression whose fit waits until the test opens ``GATE``."""

    def fit(self, X, y):
        GATE.wait(10)
        self.inner_ = LogisticRegression().fit(X, y)
        return self

    def predict_proba(self, X):
        return self.inner_.predict_proba(X)


def test_observe_never_waits_for_a_fit(active):
    X, y = data()
    GATE.clear()
    al = active(Gate(), X, refit_every=5, cold_start="random")
    order = al.start(X.index, NO_LABELS)
    started = time.perf_counter()
    label_first(al, X, y, order, 40)  # queues several re-ranks while the first fit is stuck
    assert time.perf_counter() - started < 5.0  # a blocking observe would wait for the gate (10 s)
    assert al.poll() is None and not al.wait(0.05)
    GATE.set()
    assert al.wait(10)
    assert len(al.poll()) == len(X) - 40  # only the newest labels were ranked
    assert al.error is None


class Flaky(BaseEstimator, ClassifierMixin):
    """Fails to fit on fewer than ``need`` labels."""

    def __init__(self, need=20):
        self.need = need

    def fit(self, X, y):
        if len(y) < self.need:
            raise ValueError(f"need {self.need} labels, got {len(y)}")
        self.inner_ = LogisticRegression().fit(X, y)
        return self

    def predict_proba(self, X):
        return self.inner_.predict_proba(X)


def test_a_failed_fit_keeps_the_last_order_and_reports_why(active):
    X, y = data()
    al = active(Flaky(need=20), X, refit_every=10, cold_start="random")
    order = al.start(X.index, NO_LABELS)
    label_first(al, X, y, order, 10)
    assert al.wait(10)
    assert al.poll() is None
    assert al.error == "ValueError: need 20 labels, got 10"
    label_first(al, X, y, order[10:], 10)
    assert al.wait(10)
    assert al.poll() is not None and al.error is None


def test_an_array_x_is_aligned_by_position_and_a_frame_by_id(active):
    X, y = data(60)
    shuffled = X.sample(frac=1.0, random_state=1)
    results = []
    for features in (X.to_numpy(), shuffled, X.to_numpy().tolist()):
        al = active(LogisticRegression(), features, refit_every=6)
        order = al.start(X.index, NO_LABELS)
        label_first(al, X, y, order, 6)
        assert al.wait(10)
        results.append(al.poll())
    assert results[0] == results[1] == results[2]


def test_diverse_cold_start_can_use_separate_embeddings(active):
    X, _ = data(50)
    text = pd.DataFrame({"text": ["words"] * 50}, index=X.index)
    with pytest.raises(NblabelError, match=r"embeddings=\.\.\. or cold_start='random'"):
        active(LogisticRegression(), text).start(X.index, NO_LABELS)
    order = active(LogisticRegression(), text, embeddings=X).start(X.index, NO_LABELS)
    assert len(order) == 50


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (np.zeros((3, 2)), "X has 3 rows for 200 items"),
        (pd.DataFrame({"a": [1.0]}, index=["elsewhere"]), "X has no row for 200 of the 200"),
    ],
)
def test_features_that_do_not_match_the_items_fail_at_start(active, features, message):
    X, _ = data()
    with pytest.raises(NblabelError, match=message):
        active(LogisticRegression(), features).start(X.index, NO_LABELS)


class NoProba:
    def fit(self, X, y):
        return self


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((NoProba(), None), {}, "NoProba has no predict_proba"),
        ((LogisticRegression(), None), {"strategy": "random"}, "strategy= must be one of"),
        ((LogisticRegression(), None), {"refit_every": 0}, "1 or more"),
        ((LogisticRegression(), None), {"cold_start": "kmeans"}, "cold_start= must be one of"),
        ((LogisticRegression(), None), {"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_fail_in_the_constructor(args, kwargs, message):
    with pytest.raises(NblabelError, match=message):
        ActiveLearning(*args, **kwargs)


def test_observe_before_start_or_of_an_unknown_item_is_refused(active):
    X, _ = data(10)
    al = active(LogisticRegression(), X)
    with pytest.raises(NblabelError, match="call start"):
        al.observe("i0", 1)
    al.start(X.index, NO_LABELS)
    with pytest.raises(NblabelError, match="not one of the items"):
        al.observe("nope", 1)


def test_close_stops_the_worker_and_start_reopens():
    X, y = data(40)
    with ActiveLearning(LogisticRegression(), X, refit_every=2) as al:
        order = al.start(X.index, NO_LABELS)
        label_first(al, X, y, order, 4)
        assert al.wait(10)
        worker = al._thread
        assert worker is not None and worker.is_alive()
    worker.join(5)
    assert not worker.is_alive()
    label_first(al, X, y, order[4:], 4)  # labels are still recorded, but nothing is refit
    assert al._thread is None and al.wait(0)
    al.start(X.index, pd.Series({i: y[X.index.get_loc(i)] for i in order[:8]}))
    assert al.wait(10) and len(al.poll()) == 32
    al.close()
    assert "ActiveLearning(LogisticRegression" in repr(al)
