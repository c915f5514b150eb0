"""Widgets driven by the samplers: active learning re-ranks the queue; gold checks mix in."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

import nblabel
from nblabel import sample
from nblabel.sample._uncertainty import scores


@pytest.fixture
def digits():
    data = load_digits()
    keep = np.isin(data.target, [0, 1, 2])
    frame = pd.DataFrame({"text": [f"digit image {i}" for i in range(keep.sum())]})
    return frame, data.data[keep], data.target[keep]


def test_active_learning_reranks_while_labeling(digits, tmp_path):
    frame, features, truth = digits
    order = sample.ActiveLearning(LogisticRegression(max_iter=500), features, refit_every=10)
    w = nblabel.classify(frame, [0, 1, 2], text="text", store=tmp_path / "al.db",
                         annotator="oracle", order=order)  # fmt: skip
    first_queue = w.session._queue.copy()
    for _ in range(30):
        w.submit(int(truth[w.current]))
        order.wait(10)
    assert w.progress.done == 30
    assert not np.array_equal(first_queue[30:], w.session._queue[30:])  # re-ranked
    assert w.error == "" and w.session.ordering_error is None
    assert w.labels["label"].tolist() == [int(truth[i]) for i in w.labels.index]
    order.close()


def test_relabeling_after_going_back_keeps_every_item_in_the_queue(digits, tmp_path):
    frame, features, truth = digits
    order = sample.ActiveLearning(LogisticRegression(max_iter=500), features, refit_every=5)
    w = nblabel.classify(frame, [0, 1, 2], text="text", store=tmp_path / "al.db",
                         annotator="oracle", order=order)  # fmt: skip
    total = w.progress.total
    labeled = []
    for _ in range(20):
        labeled.append(w.current)
        w.submit(int(truth[w.current]))
        order.wait(10)  # the re-rank is ready: the next label applies it
    for _ in range(5):
        w.back()
    assert w.current == labeled[-5]
    w.submit(int(truth[w.current]))  # relabel it: the new order arrives now
    assert w.progress == nblabel.Progress(20, total)
    for item in labeled:
        w.goto(item)  # every labeled item is still in this widget's order
        assert w.sample["label"] is not None
    w.skip()
    assert w.current not in labeled
    order.close()


class FailingModel(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        raise ValueError("singular matrix")


def test_a_failing_fit_is_shown_and_labeling_goes_on(digits, tmp_path):
    frame, features, truth = digits
    order = sample.ActiveLearning(FailingModel(), features, refit_every=5)
    w = nblabel.classify(frame, [0, 1, 2], text="text", store=tmp_path / "al.db", order=order)
    for _ in range(12):
        w.submit(int(truth[w.current]))
        order.wait(10)
    assert "singular matrix" in w.error
    assert w.progress.done == 12  # labeling went on in the last good order
    order.close()


def test_gold_items_are_mixed_in_and_scored(tmp_path):
    frame = nblabel.datasets.reviews()
    gold = frame["sentiment"].iloc[:6]
    w = nblabel.classify(frame, ["pos", "neg", "neutral"], text="review", annotator="ann",
                         store=tmp_path / "g.db", gold=gold, gold_rate=0.1)  # fmt: skip
    queue = [w.session.items[p] for p in w.session._queue]
    positions = [queue.index(item) for item in gold.index if item in queue]
    assert len(positions) == 5 and max(positions) > 20  # spread, not all at the start
    while w.current is not None:
        w.submit(frame.loc[w.current, "sentiment"] if w.current != "r001" else "neg")
    report = nblabel.gold_report(w.store, w.session.task, gold)
    assert report.loc["ann", "n_gold"] == len(positions)
    assert report.loc["ann", "correct"] == len(positions) - ("r001" in queue)


def test_gold_checks_mix_into_an_active_order(digits, tmp_path):
    frame, features, truth = digits
    gold = pd.Series(truth[:4], index=frame.index[:4]).astype(int)
    order = sample.ActiveLearning(LogisticRegression(max_iter=500), features, refit_every=10)
    w = nblabel.classify(frame, [0, 1, 2], text="text", store=tmp_path / "al.db", annotator="o",
                         order=order, gold=gold, gold_rate=0.2)  # fmt: skip
    shown = []
    for _ in range(40):
        shown.append(w.current)
        w.submit(int(truth[w.current]))
        order.wait(10)
    assert w.error == "" and len(set(shown)) == 40
    # after the re-ranks every gold item is still in the queue once, spread through it
    queue = [w.session.items[p] for p in w.session._queue]
    assert len(queue) == len(set(queue))
    assert set(gold.index) <= set(queue)
    assert max(queue.index(g) for g in gold.index) > 100
    answered = [g for g in gold.index if g in shown]
    report = nblabel.gold_report(w.store, w.session.task, gold)
    assert report["n_gold"].sum() == len(answered)
    order.close()


def test_gold_errors(tmp_path):
    frame = nblabel.datasets.reviews()
    with pytest.raises(nblabel.NblabelError, match="not in the data"):
        nblabel.classify(frame, ["pos", "neg"], text="review", store=tmp_path / "g.db",
                         gold={"zzz": "pos"})  # fmt: skip
    with pytest.raises(nblabel.NblabelError, match="not options"):
        nblabel.classify(frame, ["pos", "neg"], text="review", store=tmp_path / "g.db",
                         gold={"r001": "great"})  # fmt: skip


def test_active_learning_resume_counts_earlier_labels(digits, tmp_path):
    frame, features, truth = digits
    store = tmp_path / "al.db"
    first = sample.ActiveLearning(LogisticRegression(max_iter=500), features, refit_every=50)
    w = nblabel.classify(frame, [0, 1, 2], text="text", store=store, annotator="o", order=first)
    for _ in range(5):
        w.submit(int(truth[w.current]))
    first.close()
    again = sample.ActiveLearning(LogisticRegression(max_iter=500), features, refit_every=50)
    w2 = nblabel.classify(frame, [0, 1, 2], text="text", store=store, annotator="o", order=again)
    assert w2.progress == nblabel.Progress(5, len(frame))
    assert w2.current not in set(w.labels.index)
    again.close()


def test_active_learning_says_when_it_refit_and_why_this_item(digits, tmp_path):
    frame, features, truth = digits
    order = sample.ActiveLearning(LogisticRegression(max_iter=500), features, refit_every=10)
    w = nblabel.classify(frame, [0, 1, 2], text="text", store=tmp_path / "al.db",
                         annotator="oracle", order=order)  # fmt: skip
    assert w.sample["why"] == {"strategy": "margin", "cold_start": "diverse"}  # no model yet
    before = time.time()
    fit_on = []
    for _ in range(10):
        fit_on.append(w.current)
        w.submit(int(truth[w.current]))
    # the re-rank arrives with the next label, or, when the fit in the background was done
    # before the 10th label's poll (a busy machine), with the 10th already
    early = "refit_at" in w.sample["why"]
    order.wait(10)
    eleventh = w.current
    w.submit(int(truth[w.current]))
    # the same fit, made here: margins of the items that were unlabeled then
    model = LogisticRegression(max_iter=500).fit(features[fit_on], truth[fit_on])
    rest = np.setdiff1d(np.arange(len(frame)), fit_on)
    margins = scores(model.predict_proba(features[rest]), "margin")

    def rank_of(item: int) -> int:
        return 1 + int(np.sum(margins > margins[np.flatnonzero(rest == item)[0]]))

    ranks = []
    for _ in range(5):
        why = w.sample["why"]
        assert before <= why["refit_at"] <= time.time()
        assert why["labels"] == 10 and why["of"] == len(rest)
        mine = margins[np.flatnonzero(rest == w.current)[0]]
        assert why["score"] == pytest.approx(mine)
        assert why["rank"] == 1 + int(np.sum(margins > mine))  # ties do not occur here
        ranks.append((why.get("queued", False), why["rank"]))
        w.skip()
    # the three items the page held keep their place and say so (one of them labeled already
    # if the re-rank came early); then the new order, best first
    held = 2 if early else 3
    assert [queued for queued, _ in ranks] == [True] * held + [False] * (5 - held)
    taken = {rank for _, rank in ranks[:held]} | ({rank_of(eleventh)} if early else set())
    best = sorted(set(range(1, len(rest) + 1)) - taken)
    assert [rank for _, rank in ranks[held:]] == best[: 5 - held]
    order.close()
