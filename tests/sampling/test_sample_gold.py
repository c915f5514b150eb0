"""with_gold spreads gold items through an order; gold_report scores annotators on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nblabel
from nblabel import NblabelError
from nblabel.sample import gold_report, with_gold


def test_one_gold_item_in_every_stretch_of_twenty():
    order = with_gold(list(range(190)), [f"g{i}" for i in range(50)], rate=0.05, seed=3)
    assert len(order) == 200
    gold_at = [i for i, item in enumerate(order) if isinstance(item, str)]
    assert len(gold_at) == 10
    assert [p // 20 for p in gold_at] == list(range(10))  # one per stretch: spread, not bunched
    assert order == with_gold(list(range(190)), [f"g{i}" for i in range(50)], rate=0.05, seed=3)
    assert order != with_gold(list(range(190)), [f"g{i}" for i in range(50)], rate=0.05, seed=4)


def test_gold_items_leave_their_old_place_and_the_rest_keeps_its_order():
    order = with_gold(["a", "g1", "b", "c", "g2", "d"], gold_items=["g1", "g2"], rate=0.5)
    assert [i for i in order if not i.startswith("g")] == ["a", "b", "c", "d"]
    assert sorted(i for i in order if i.startswith("g")) == ["g1", "g2"]
    assert with_gold(["a", "g1", "b"], ["g1"], rate=0) == ["a", "b"]


@settings(max_examples=80, deadline=None)
@given(
    n_items=st.integers(0, 200),
    n_gold=st.integers(0, 30),
    rate=st.floats(0, 0.9),
    seed=st.integers(0, 50),
)
def test_with_gold_keeps_every_item_once_and_hits_the_rate(n_items, n_gold, rate, seed):
    items = list(range(n_items))
    gold = [f"g{i}" for i in range(n_gold)] + [0, 1]  # two gold items already in the order
    order = with_gold(items, gold, rate=rate, seed=seed)
    rest = [i for i in items if i not in (0, 1)]
    assert [i for i in order if not isinstance(i, str) and i not in (0, 1)] == rest
    assert len(order) == len(set(order))
    used = len(order) - len(rest)
    assert used == min(n_gold + 2, round(len(rest) * rate / (1 - rate)))


def placed_one_by_one(rest: list, picked: list, slots: list) -> list:
    """The mixed order built a position at a time: gold where its slot is, else the rest."""
    gold_at = dict(zip(slots, picked, strict=True))
    others = iter(rest)
    return [gold_at[p] if p in gold_at else next(others) for p in range(len(rest) + len(picked))]


@settings(max_examples=80, deadline=None)
@given(
    items=st.lists(st.integers(0, 60) | st.lists(st.integers(0, 3), max_size=2), unique_by=str),
    n_gold=st.integers(0, 12),
    rate=st.floats(0, 0.9),
    seed=st.integers(0, 50),
)
def test_with_gold_places_each_gold_item_at_its_slot(items, n_gold, rate, seed):
    # list ids (compared as tuples) and gold items already in the order
    gold = [f"g{i}" for i in range(n_gold)] + [7, [1, 2]]
    order = with_gold(items, gold, rate=rate, seed=seed)
    rest = [i for i in items if i != 7 and i != [1, 2]]
    # the draws with_gold makes, made again with the same seed
    rng = np.random.default_rng(seed)
    n_gold = min(len(gold), round(len(rest) * rate / (1 - rate)))
    if n_gold == 0:
        assert order == rest
        return
    picked = [gold[i] for i in rng.permutation(len(gold))[:n_gold]]
    bounds = (np.arange(n_gold + 1) * (len(rest) + n_gold)) // n_gold
    slots = bounds[:-1] + (rng.random(n_gold) * np.diff(bounds)).astype(np.int64)
    assert order == placed_one_by_one(rest, picked, slots.tolist())


@pytest.mark.parametrize("rate", [1.0, -0.1, float("nan"), "5%"])
def test_with_gold_refuses_a_bad_rate(rate):
    with pytest.raises(NblabelError, match="rate= must be"):
        with_gold([1, 2], [3], rate=rate)


@pytest.fixture
def store(tmp_path):
    store = nblabel.LabelStore(tmp_path / "x.db")
    answers = [
        ("ann", "q1", "cat"),
        ("ann", "q2", "dog"),
        ("bob", "q1", "cat"),
        ("bob", "q2", "cat"),
        ("bob", "q3", "dog"),
        ("cy", "other", "dog"),  # labeled no gold item
    ]
    for annotator, item, label in answers:
        store.append(task="pets", item=item, annotator=annotator, label=label)
    yield store
    store.close()


GOLD = pd.Series({"q1": "cat", "q2": "dog", "q3": "cat"})


def test_gold_report_scores_each_annotator_sorted(store):
    report = gold_report(store, "pets", GOLD)
    assert report.index.name == "annotator"
    assert report.index.tolist() == ["ann", "bob"]
    assert report["n_gold"].tolist() == [2, 3]
    assert report["correct"].tolist() == [2, 1]
    np.testing.assert_allclose(report["accuracy"], [1.0, 1 / 3])
    pd.testing.assert_frame_equal(gold_report(store, "pets", GOLD.to_dict()), report)


def test_gold_report_reads_the_current_label(store):
    event = store.append(task="pets", item="q2", annotator="bob", label="dog")
    assert gold_report(store, "pets", GOLD).loc["bob", "correct"] == 2
    store.undo(event, annotator="bob")
    assert gold_report(store, "pets", GOLD).loc["bob", "correct"] == 1


def test_gold_report_without_gold_answers_is_empty(store):
    report = gold_report(store, "pets", {"nothing": "cat"})
    assert report.empty
    assert list(report.columns) == ["n_gold", "correct", "accuracy"]


@pytest.mark.parametrize(
    ("gold", "message"),
    [
        (pd.Series({"q1": "cat", "q2": None}), "no true label"),
        (pd.Series(["cat", "dog"], index=["q1", "q1"]), "repeated item ids"),
        (["q1"], "gold= must map item ids"),
    ],
)
def test_gold_report_refuses_bad_gold(store, gold, message):
    with pytest.raises(NblabelError, match=message):
        gold_report(store, "pets", gold)


class ListOrdering:
    """A stand-in active ordering: gives a fixed order, then a reversed one on request."""

    error = None

    def __init__(self, items):
        self.items, self.pending, self.seen = list(items), None, []

    def start(self, items, labeled):
        return [i for i in self.items if i not in labeled.index]

    def observe(self, item, label):
        self.seen.append((item, label))

    def poll(self):
        new, self.pending = self.pending, None
        return new


def test_gold_mixed_into_every_order_until_answered():
    from nblabel.sample import GoldMixed

    inner = ListOrdering(range(20))
    order = GoldMixed(inner, gold_items=["g1", "g2"], rate=0.1, seed=0)
    first = order.start(pd.Index([*range(20), "g1", "g2"]), pd.Series([], dtype=object))
    assert sorted(map(str, first)) == sorted(map(str, [*range(20), "g1", "g2"]))
    assert order.poll() is None
    order.observe("g1", "pos")  # answered: not shown again
    order.observe(3, "neg")
    assert inner.seen == [("g1", "pos"), (3, "neg")]  # every label reaches the model
    inner.pending = list(reversed(range(20)))
    second = order.poll()
    assert "g1" not in second and second.count("g2") == 1
    assert [i for i in second if i != "g2"] == list(reversed(range(20)))
    order.observe("g1", None)  # undone: due again
    inner.pending = list(range(20))
    assert "g1" in order.poll()
