"""disagreement and unlabeled, read from a real label store."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nblabel
from nblabel import NblabelError
from nblabel.sample import _labels, disagreement, unlabeled
from nblabel.sample._common import hashable


@pytest.fixture
def store(tmp_path):
    store = nblabel.LabelStore(tmp_path / "x.db")
    votes = {
        "split": {"ann": "pos", "bob": "neg"},  # 1 - 1/2, entropy ln 2
        "three_way": {"ann": "pos", "bob": "neg", "cy": "neu"},  # 1 - 1/3, entropy ln 3
        "two_one": {"ann": "pos", "bob": "pos", "cy": "neg"},  # 1 - 2/3
        "agreed": {"ann": "pos", "bob": "pos"},  # 0
        "lonely": {"ann": "neg"},  # one annotator only
    }
    for item, by in votes.items():
        for annotator, label in by.items():
            store.append(task="sentiment", item=item, annotator=annotator, label=label)
    store.append(task="topic", item="split", annotator="ann", label="sport")
    yield store
    store.close()


def test_disagreement_ranks_by_majority_share_then_entropy(store):
    assert disagreement(store, task="sentiment") == ["three_way", "split", "two_one", "agreed"]
    assert disagreement(store, task="sentiment", min_annotators=3) == ["three_way", "two_one"]
    assert disagreement(store, task="sentiment", min_annotators=1)[-2:] == ["agreed", "lonely"]


def test_disagreement_reads_current_labels_only(store):
    event = store.append(task="sentiment", item="agreed", annotator="bob", label="neg")
    assert disagreement(store, task="sentiment")[1:3] == ["agreed", "split"]  # ties by item id
    store.undo(event, annotator="bob")
    assert disagreement(store, task="sentiment")[-1] == "agreed"


def test_disagreement_needs_a_task_when_the_store_has_several(store):
    with pytest.raises(NblabelError, match="several tasks"):
        disagreement(store)


def test_disagreement_takes_a_long_frame_and_the_newest_vote_per_annotator():
    frame = pd.DataFrame(
        {
            "item": [1, 1, 2, 2, 2],
            "annotator": ["a", "b", "a", "b", "b"],
            "label": ["x", "x", "x", "y", "x"],  # b changed their mind on item 2
        }
    )
    assert disagreement(frame) == [1, 2]  # both agreed: ordered by item id
    assert disagreement(frame.iloc[:4]) == [2, 1]


def test_disagreement_counts_multi_label_values_and_tuple_ids():
    frame = pd.DataFrame(
        {
            "item": [("a", 1), ("a", 1), ("b", 2), ("b", 2)],
            "annotator": ["p", "q", "p", "q"],
            "label": [["cat", "dog"], ["cat", "dog"], ["cat"], ["dog"]],
        }
    )
    assert disagreement(frame) == [("b", 2), ("a", 1)]


@pytest.mark.parametrize(
    ("source", "kwargs", "message"),
    [
        (pd.DataFrame({"item": [1]}), {}, "no column 'annotator'"),
        ("labels.db", {}, "LabelStore or a long DataFrame"),
        (pd.DataFrame({"item": [], "annotator": [], "label": []}), {"min_annotators": 0}, "1 or"),
    ],
)
def test_disagreement_refuses_bad_input(source, kwargs, message):
    with pytest.raises(NblabelError, match=message):
        disagreement(source, **kwargs)


def test_an_empty_store_has_no_disagreement(tmp_path):
    with nblabel.LabelStore(tmp_path / "empty.db") as empty:
        assert disagreement(empty, task="sentiment") == []


def test_unlabeled_lists_items_short_of_k_annotators_fewest_first(store):
    items = ["lonely", "new1", "split", "three_way", "new2"]
    assert unlabeled(store, "sentiment", items) == ["new1", "new2"]
    assert unlabeled(store, "sentiment", items, k=2) == ["new1", "new2", "lonely"]
    assert unlabeled(store, "sentiment", items, k=3) == ["new1", "new2", "lonely", "split"]
    assert unlabeled(store, "topic", pd.Index(items)) == ["lonely", "new1", "three_way", "new2"]


def test_unlabeled_takes_a_frame_and_ignores_undone_labels(store):
    df = pd.DataFrame({"text": ["a", "b"]}, index=["agreed", "fresh"])
    assert unlabeled(store, "sentiment", df, k=3) == ["fresh", "agreed"]
    event = store.append(task="sentiment", item="fresh", annotator="ann", label="pos")
    assert unlabeled(store, "sentiment", df) == []
    store.undo(event, annotator="ann")
    assert unlabeled(store, "sentiment", df) == ["fresh"]


def test_unlabeled_matches_integer_and_tuple_ids(tmp_path):
    with nblabel.LabelStore(tmp_path / "ids.db") as store:
        store.append(task="t", item=1, annotator="a", label="x")
        store.append(task="t", item=("doc", 2), annotator="a", label="x")
        index = pd.MultiIndex.from_tuples([("doc", 1), ("doc", 2)])
        assert unlabeled(store, "t", index) == [("doc", 1)]
        assert unlabeled(store, "t", pd.RangeIndex(3)) == [0, 2]


def test_unlabeled_refuses_bad_k_and_items(store):
    with pytest.raises(NblabelError, match="k= must be"):
        unlabeled(store, "sentiment", ["a"], k=0)
    with pytest.raises(NblabelError, match="items= must be a list"):
        unlabeled(store, "sentiment", "abc")


def plain_disagreement(frame: pd.DataFrame, min_annotators: int) -> list:
    """disagreement written plainly: the newest vote per (item, annotator), then each item's
    majority share and entropy, with its labels in the order they first appear."""
    newest = {}
    for item, annotator, label in frame[["item", "annotator", "label"]].itertuples(index=False):
        newest[(item, annotator)] = hashable(label)
    first_seen = {v: i for i, v in enumerate(dict.fromkeys(map(hashable, frame["label"])))}
    by_item: dict = {}
    for (item, _), label in newest.items():
        by_item.setdefault(item, Counter())[label] += 1
    keys = []
    for item, tally in by_item.items():
        votes = sum(tally.values())
        if votes < min_annotators:
            continue
        entropy = 0.0
        for label in sorted(tally, key=first_seen.__getitem__):
            share = tally[label] / votes
            entropy -= share * math.log(share)
        score = round(1.0 - max(tally.values()) / votes, 12)
        keys.append((-score, -round(entropy, 12), item))
    return [item for *_, item in sorted(keys)]


def plain_unlabeled(frame: pd.DataFrame, items: list, k: int) -> list:
    annotators: dict = {}
    for item, annotator in frame[["item", "annotator"]].itertuples(index=False):
        annotators.setdefault(item, set()).add(annotator)
    counts = [len(annotators.get(item, ())) for item in items]
    todo = [i for i, c in enumerate(counts) if c < k]
    return [items[i] for i in sorted(todo, key=counts.__getitem__)]


ROWS = st.lists(
    st.tuples(
        st.integers(0, 12),  # item
        st.sampled_from(["ann", "bob", "cy", "dee"]),  # annotator
        st.sampled_from(["pos", "neg", "neu", 3, ["pos", "neg"]]),  # label, multi-label too
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(
    rows=ROWS,
    min_annotators=st.integers(1, 4),
    k=st.integers(1, 4),
    ids=st.sampled_from(["int64", "objects", "texts"]),
    counted=st.sampled_from(["as tables", "sorted"]),
)
def test_disagreement_and_unlabeled_match_plain_python(rows, min_annotators, k, ids, counted):
    frame = pd.DataFrame(rows, columns=["item", "annotator", "label"])
    frame["item"] = {
        "int64": lambda c: c.astype("int64"),
        "objects": lambda c: c.astype(object),  # as read back from a store
        "texts": lambda c: c.map("doc{}".format).astype("str"),
    }[ids](frame["item"])
    pool = pd.Index(sorted(set(frame["item"]))[:6]).append(
        pd.Index(["new"] if ids == "texts" else [99])
    )
    with pytest.MonkeyPatch.context() as patch:
        if counted == "sorted":  # the paths taken by many items or many distinct labels
            patch.setattr(_labels, "_TABLE_LABELS", 0)
            patch.setattr(_labels, "_few", lambda bins, values: False)
        if rows:
            assert disagreement(frame, min_annotators=min_annotators) == plain_disagreement(
                frame, min_annotators
            )
        assert unlabeled(frame, None, pool, k=k) == plain_unlabeled(frame, pool.tolist(), k)


def test_unlabeled_matches_ids_stored_as_objects_to_an_int64_index():
    frame = pd.DataFrame({"item": pd.Series([5, 7, 7], dtype=object), "annotator": ["a", "a", "b"],
                          "label": "x"})  # fmt: skip
    assert unlabeled(frame, None, pd.RangeIndex(9), k=2) == [0, 1, 2, 3, 4, 6, 8, 5]


@pytest.mark.parametrize("counted", ["as tables", "sorted"])
def test_disagreement_breaks_a_tie_of_majority_share_by_entropy(counted):
    frame = pd.DataFrame(
        {
            "item": [1, 1, 2, 2, 2, 2, 3, 3, 3],
            "annotator": ["a", "b", "a", "b", "c", "d", "a", "b", "c"],
            # 1: half and half (entropy ln 2); 2: 2-1-1 (same share, entropy 1.04); 3: agreed
            "label": ["x", "y", "x", "x", "y", "z", "x", "x", "x"],
        }
    )
    with pytest.MonkeyPatch.context() as patch:
        if counted == "sorted":
            patch.setattr(_labels, "_TABLE_LABELS", 0)
            patch.setattr(_labels, "_few", lambda bins, values: False)
        assert disagreement(frame) == [2, 1, 3]


#: frame, its disagreement ranking (min_annotators=1) and the ids with fewer than 2
#: annotators among its ids and 99, worked out by hand
HOSTILE_FRAMES = {
    "categorical columns": (
        pd.DataFrame({
            "item": pd.Categorical(["a", "a", "b", "b", "c"]),
            "annotator": pd.Categorical(["x", "y", "x", "y", "x"]),
            "label": pd.Categorical(["p", "q", "p", "p", "q"]),
        }),
        ["a", "b", "c"],  # a split; b agreed, c alone: by id
        [99, "c"],
    ),
    "nullable ints with NA": (
        pd.DataFrame({
            "item": pd.array([1, 2, None, 1, 2], dtype="Int64"),
            "annotator": ["x", "x", "y", "y", "y"],
            "label": pd.array([1, 2, 3, None, 2], dtype="Int64"),
        }),
        [1, 2, pd.NA],  # a missing label is a label of its own; NA sorts last
        [99],
    ),
    "1, 1.0 and True are one id": (
        pd.DataFrame({
            "item": pd.Series([1, "1", 1.0, True, 2], dtype=object),
            "annotator": ["x", "y", "z", "w", "x"],
            "label": ["p", "q", "p", "q", "p"],
        }),
        [1, "1", 2],  # 1 is split 2-1; "1" and 2 do not compare: first seen first
        [99, "1", 2],
    ),
    "float ids with NaN": (
        pd.DataFrame({
            "item": [1.0, np.nan, np.nan, 2.0, 2.0],
            "annotator": ["x", "x", "y", "y", "x"],
            "label": ["p", "q", "p", "p", "p"],
        }),
        [np.nan, 1.0, 2.0],  # every NaN id is one item, split
        [99, 1.0],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE_FRAMES))
def test_unusual_columns_rank_as_worked_out_by_hand(name):
    frame, ranked, short = HOSTILE_FRAMES[name]
    found = disagreement(frame, min_annotators=1)
    assert len(found) == len(ranked)
    for got, expected in zip(found, ranked, strict=True):
        assert got is expected or got == expected or (pd.isna(got) and pd.isna(expected))
    ids = [*dict.fromkeys(frame["item"].dropna().tolist()), 99]
    assert unlabeled(frame, None, ids, k=2) == short
