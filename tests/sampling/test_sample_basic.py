"""random, stratified and weighted: exact sizes, determinism, purity and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel import NblabelError
from nblabel.sample import random, stratified, weighted

FAST = settings(max_examples=60, deadline=None)


def frame(sizes: list[int]) -> pd.DataFrame:
    """A table with one stratum per entry of ``sizes`` and string item ids."""
    strata = [f"s{i}" for i, size in enumerate(sizes) for _ in range(size)]
    return pd.DataFrame({"source": strata}, index=[f"item{i}" for i in range(len(strata))])


# -- random -----------------------------------------------------------------------------------
def test_random_returns_index_labels_of_a_frame():
    df = pd.DataFrame({"x": range(5)}, index=list("abcde"))
    order = random(df, n=3, seed=1)
    assert len(order) == 3 and len(set(order)) == 3 and set(order) <= set("abcde")


def test_random_without_n_orders_everything_and_index_values_are_ids():
    assert sorted(random(pd.Index([30, 10, 20]))) == [10, 20, 30]
    assert sorted(random(np.zeros((4, 2)), seed=3)) == [0, 1, 2, 3]


def test_random_keeps_tuples_of_a_multiindex():
    index = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)])
    assert sorted(random(pd.Series(0, index=index))) == [("a", 1), ("a", 2), ("b", 1)]


@FAST
@given(size=st.integers(0, 60), data=st.data())
def test_random_is_a_deterministic_subset(size, data):
    n = data.draw(st.integers(0, size))
    seed = data.draw(st.integers(0, 2**32))
    index = pd.Index([f"id{i}" for i in range(size)])
    first = random(index, n=n, seed=seed)
    assert first == random(index, n=n, seed=seed)
    assert len(first) == len(set(first)) == n
    assert set(first) <= set(index)


def test_random_seeds_differ():
    assert random(pd.RangeIndex(100), seed=0) != random(pd.RangeIndex(100), seed=1)


@pytest.mark.parametrize(
    ("n", "message"),
    [(11, "larger than the 10 items"), (-1, "0 or more"), (2.5, "whole number"), (True, "whole")],
)
def test_random_refuses_bad_n(n, message):
    with pytest.raises(NblabelError, match=message):
        random(pd.RangeIndex(10), n=n)


def test_bad_seed_and_duplicate_ids_are_refused():
    with pytest.raises(NblabelError, match="seed"):
        random(pd.RangeIndex(10), seed=None)
    with pytest.raises(NblabelError, match="duplicate item ids"):
        random(pd.DataFrame({"x": [1, 2]}, index=[7, 7]))


# -- stratified -------------------------------------------------------------------------------
@FAST
@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    data=st.data(),
    equal=st.booleans(),
)
def test_stratified_gives_exactly_n_with_fair_shares(sizes, data, equal):
    df = frame(sizes)
    n = data.draw(st.integers(0, len(df)))
    seed = data.draw(st.integers(0, 1000))
    order = stratified(df, by="source", n=n, seed=seed, equal=equal)
    assert len(order) == len(set(order)) == n
    assert set(order) <= set(df.index)
    assert order == stratified(df, by="source", n=n, seed=seed, equal=equal)
    counts = df.loc[order, "source"].value_counts().reindex([f"s{i}" for i in range(len(sizes))])
    counts = counts.fillna(0).to_numpy()
    sizes_arr = np.array(sizes)
    if not equal:
        assert np.all(np.abs(counts - n * sizes_arr / len(df)) < 1)
    else:
        # full strata gave all they have; no stratum has more than 1 over any open one
        open_ = counts < sizes_arr
        if open_.any():
            assert counts.max() - counts[open_].min() <= 1


def test_stratified_equal_shares_the_leftover_of_small_strata():
    df = frame([2, 50, 50])
    counts = df.loc[stratified(df, by="source", n=30, equal=True), "source"].value_counts()
    assert counts.to_dict() == {"s0": 2, "s1": 14, "s2": 14}


def test_stratified_prefixes_keep_the_mix():
    df = frame([80, 20])
    for seed in range(20):
        order = stratified(df, by="source", n=50, seed=seed)
        first = df.loc[order[:10], "source"].value_counts()
        assert 1 <= first.get("s1", 0) <= 3  # 10 x 20% = 2, within one


def test_stratified_by_several_columns_a_series_or_an_array():
    df = pd.DataFrame({"a": list("xxyy") * 5, "b": list("pqpq") * 5})
    counts = df.loc[stratified(df, by=["a", "b"], n=8), ["a", "b"]].value_counts()
    assert sorted(counts.tolist()) == [2, 2, 2, 2]
    by_series = pd.Series(list("xxyy") * 5, index=df.index)[::-1]  # aligned by index
    assert stratified(df, by=by_series, n=6) == stratified(df, by="a", n=6)
    assert stratified(df, by=df["a"].to_numpy(), n=6) == stratified(df, by="a", n=6)


def test_stratified_does_not_touch_the_input():
    df = frame([5, 7])
    before = df.copy()
    stratified(df, by="source", n=6)
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "nope", "n": 2}, "unknown column 'nope'"),
        ({"by": "source", "n": 99}, "larger than"),
        ({"by": ["x"] * 3, "n": 2}, "one stratum per item"),
    ],
)
def test_stratified_refuses_bad_input(kwargs, message):
    with pytest.raises(NblabelError, match=message):
        stratified(frame([3, 3]), **kwargs)


def test_stratified_refuses_a_nan_stratum_and_says_how_to_fix_it():
    df = pd.DataFrame({"source": ["a", None, "b"]})
    with pytest.raises(NblabelError, match=r"missing \(NaN\).*fillna"):
        stratified(df, by="source", n=2)


# -- weighted ---------------------------------------------------------------------------------
def test_weighted_never_draws_zero_weight_and_follows_the_weights():
    df = pd.DataFrame({"w": [0.0, 1.0, 9.0]}, index=["zero", "light", "heavy"])
    firsts = [weighted(df, "w", n=1, seed=s)[0] for s in range(2000)]
    assert "zero" not in firsts
    assert 0.86 < firsts.count("heavy") / 2000 < 0.94
    assert sorted(weighted(df, "w", n=2, seed=0)) == ["heavy", "light"]


@FAST
@given(weights=st.lists(st.floats(0, 10), min_size=1, max_size=30), data=st.data())
def test_weighted_is_a_deterministic_subset(weights, data):
    positive = sum(w > 0 for w in weights)
    if positive == 0:
        weights[0] = 1.0
        positive = 1
    n = data.draw(st.integers(0, positive))
    order = weighted(pd.RangeIndex(len(weights)), weights, n=n, seed=5)
    assert order == weighted(pd.RangeIndex(len(weights)), weights, n=n, seed=5)
    assert len(order) == len(set(order)) == n
    assert all(weights[i] > 0 for i in order)


def test_weighted_with_replacement_may_repeat_and_exceed_the_size():
    order = weighted(pd.Index(["a", "b"]), [1.0, 1.0], n=10, replace=True)
    assert len(order) == 10 and set(order) <= {"a", "b"}


def test_weighted_takes_an_aligned_series():
    df = pd.DataFrame({"x": range(3)}, index=["a", "b", "c"])
    w = pd.Series({"c": 1.0, "a": 0.0, "b": 0.0})
    assert weighted(df, w, n=1) == ["c"]


@pytest.mark.parametrize(
    ("weights", "n", "message"),
    [
        ([1.0, -1.0, 1.0], 1, "negative"),
        ([0.0, 0.0, 0.0], 1, "all weights are zero"),
        ([1.0, np.nan, 1.0], 1, "NaN"),
        ([1.0, 0.0, 0.0], 2, "positive weight"),
        ([1.0, 1.0], 1, "one number per item"),
        ("nope", 1, "unknown column 'nope'"),
    ],
)
def test_weighted_refuses_bad_weights(weights, n, message):
    df = pd.DataFrame({"w": [1.0, 1.0, 1.0]})
    with pytest.raises(NblabelError, match=message):
        weighted(df, weights, n=n)


@pytest.mark.parametrize("equal", [False, True])
@pytest.mark.parametrize("n_strata", [1, 3, 20])
def test_stratified_takes_the_same_sample_by_a_pass_per_stratum_as_by_one_sort(
    monkeypatch, n_strata, equal
):
    from nblabel.sample import _basic

    rng = np.random.default_rng(n_strata)
    frame = pd.DataFrame({"group": rng.integers(0, n_strata, 2_000)})
    frame.loc[:4, "group"] = n_strata + 1  # a small stratum: all of it taken when equal
    few = stratified(frame, by="group", n=300, seed=3, equal=equal)
    monkeypatch.setattr(_basic, "_FEW_STRATA", 0)  # always the sort
    assert stratified(frame, by="group", n=300, seed=3, equal=equal) == few
    assert len(set(few)) == 300
