"""uncertainty: the three strategies, ids from frames or index=, and clear errors."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from nblabel import NblabelError
from nblabel.sample import _uncertainty, uncertainty

PROBA = np.array(
    [
        [0.90, 0.05, 0.05],  # sure
        [0.40, 0.40, 0.20],  # tied top two: smallest margin
        [0.34, 0.33, 0.33],  # flattest: highest entropy, least confident
        [0.50, 0.30, 0.20],
    ]
)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("least-confident", [2, 1, 3, 0]),
        ("margin", [1, 2, 3, 0]),
        ("entropy", [2, 1, 3, 0]),
    ],
)
def test_each_strategy_ranks_the_most_uncertain_first(strategy, expected):
    assert uncertainty(PROBA, strategy=strategy) == expected


def test_a_probability_frame_gives_ids_and_n_cuts():
    proba = pd.DataFrame(PROBA, index=["a", "b", "c", "d"], columns=["x", "y", "z"])
    assert uncertainty(proba, strategy="margin", n=2) == ["b", "c"]
    assert uncertainty(PROBA, strategy="margin", index=list("abcd")) == ["b", "c", "d", "a"]


def test_a_fitted_model_ranks_feature_rows_by_their_ids():
    X = pd.DataFrame({"f": [-3.0, -0.1, 0.0, 0.2, 3.0]}, index=[10, 11, 12, 13, 14])
    model = LogisticRegression().fit(X, [0, 0, 1, 1, 1])
    order = uncertainty(model, X, strategy="margin")
    assert sorted(order) == [10, 11, 12, 13, 14]
    assert set(order[:3]) == {11, 12, 13} and set(order[3:]) == {10, 14}


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 300),
    classes=st.integers(1, 4),
    n=st.integers(0, 300),
    seed=st.integers(0, 100),
    strategy=st.sampled_from(["least-confident", "margin", "entropy"]),
)
def test_a_top_n_is_the_prefix_of_the_full_ranking_even_with_ties(rows, classes, n, seed, strategy):
    rng = np.random.default_rng(seed)
    # coarse probabilities make many exact ties: the cut must break them as a stable sort
    raw = rng.integers(1, 4, size=(rows, classes)).astype(float)
    proba = raw / raw.sum(axis=1, keepdims=True)
    n = min(n, rows)
    full = uncertainty(proba, strategy=strategy)
    assert sorted(full) == list(range(rows))
    assert uncertainty(proba, strategy=strategy, n=n) == full[:n]


def reference_scores(proba: np.ndarray, strategy: str) -> np.ndarray:
    """The three scores written plainly over the whole matrix, in float64."""
    proba = proba.astype(float)
    if strategy == "least-confident":
        return 1.0 - proba.max(axis=1)
    if strategy == "margin":
        top = np.sort(proba, axis=1)
        return 1.0 - (top[:, -1] - (top[:, -2] if proba.shape[1] > 1 else 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.nansum(proba * np.log(proba), axis=1)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 200),
    classes=st.sampled_from([1, 2, 3, 7, 40]),
    seed=st.integers(0, 100),
    dtype=st.sampled_from([np.float64, np.float32]),
    strategy=st.sampled_from(["least-confident", "margin", "entropy"]),
)
def test_scores_block_by_block_are_the_plain_scores(rows, classes, seed, dtype, strategy):
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 4, size=(rows, classes)).astype(dtype)  # zeros: 0 log 0
    proba = raw / np.maximum(raw.sum(axis=1, keepdims=True), 1)
    with pytest.MonkeyPatch.context() as patch:
        # blocks of a few rows: most matrices here span several, the last one short
        patch.setattr(_uncertainty, "_BLOCK_VALUES", 50)
        found = _uncertainty.scores(proba, strategy)
    assert found.dtype == np.float64
    np.testing.assert_array_equal(found, reference_scores(proba, strategy))


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, 1e-300, -3.0, 0.25 + 2**-54, 0.5 - 2**-53])
        | st.floats(allow_nan=False, allow_infinity=False),
        max_size=400,
    ),
    n=st.none() | st.integers(0, 400),
    position_bits=st.sampled_from([1, 20, 52, 60]),
)
def test_a_ranking_is_a_stable_sort_of_the_scores_descending(values, n, position_bits):
    score = np.array(values, dtype=float)
    n = None if n is None else min(n, len(score))
    expected = np.argsort(-score, kind="stable")[:n]
    with pytest.MonkeyPatch.context() as patch:
        # keys keeping few leading bits of the score: many distinct scores share them
        patch.setattr(_uncertainty, "_POSITION_BITS", position_bits)
        np.testing.assert_array_equal(_uncertainty.rank_by_score(score, n), expected)


def test_zero_and_negative_zero_are_one_score_ranked_by_position():
    score = np.array([-0.0, 0.0, 0.5, 0.0, -0.0])
    assert _uncertainty.rank_by_score(score).tolist() == [2, 0, 1, 3, 4]


def test_a_long_run_of_scores_sharing_their_leading_bits_keeps_ties_in_position_order():
    near = 0.25 + np.arange(3) * 2**-54  # three scores a bit apart
    score = np.random.default_rng(5).choice(near, size=5_000)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_uncertainty, "_POSITION_BITS", 40)
        found = _uncertainty.rank_by_score(score)
    np.testing.assert_array_equal(found, np.argsort(-score, kind="stable"))


def test_a_float32_matrix_ranks_as_its_float64_copy_and_is_not_copied_whole():
    rng = np.random.default_rng(7)
    proba = rng.dirichlet(np.ones(40), size=100_000).astype(np.float32)
    frame = pd.DataFrame(proba, index=[f"i{k}" for k in range(len(proba))])
    for strategy in ("least-confident", "margin", "entropy"):
        expected = uncertainty(frame.astype(float), strategy=strategy)
        assert uncertainty(frame, strategy=strategy) == expected
        assert uncertainty(frame, strategy=strategy, n=10) == expected[:10]
    tracemalloc.start()
    try:
        uncertainty(proba, strategy="entropy", n=10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < proba.nbytes  # a float64 copy alone would be twice the matrix


def test_a_single_class_column_is_accepted():
    assert uncertainty(np.array([[1.0], [0.6]]), strategy="margin") == [1, 0]


class NoProba:
    def predict(self, X):
        return np.zeros(len(X))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((NoProba(), np.zeros((2, 1))), {}, "NoProba has no predict_proba"),
        ((LogisticRegression(),), {}, "needs X"),
        ((PROBA,), {"strategy": "smallest"}, "strategy= must be one of .*, not 'smallest'"),
        ((PROBA,), {"index": ["a"]}, "1 ids for 4 rows"),
        ((PROBA,), {"n": 5}, "larger than the 4 items"),
        ((np.array([[np.nan, 1.0]]),), {}, "NaN"),
        ((PROBA, PROBA), {}, "X= is only used with a model"),
    ],
)
def test_uncertainty_refuses_bad_input(args, kwargs, message):
    with pytest.raises(NblabelError, match=message):
        uncertainty(*args, **kwargs)


@pytest.mark.parametrize(
    "shape_of",
    [
        lambda m: m[:, ::2],  # a strided view
        lambda m: np.asfortranarray(m),
        lambda m: m.astype(np.float16),
        lambda m: pd.DataFrame(m).astype("Float32"),  # pandas' nullable floats
    ],
    ids=["strided", "fortran", "float16", "nullable frame"],
)
def test_any_float_layout_ranks_as_a_plain_float64_copy(shape_of):
    proba = np.random.default_rng(3).dirichlet(np.ones(6), size=500).astype(np.float32)
    given = shape_of(proba)
    plain = np.ascontiguousarray(np.asarray(given, dtype=np.float64))
    for strategy in ("least-confident", "margin", "entropy"):
        expected = uncertainty(plain, strategy=strategy)
        assert uncertainty(given, strategy=strategy) == expected
        assert uncertainty(given, strategy=strategy, n=7) == expected[:7]
