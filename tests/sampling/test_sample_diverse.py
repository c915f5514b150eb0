"""diverse: k-center greedy and k-means++ cover the space, deterministically."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nblabel import NblabelError
from nblabel.sample import diverse


def blobs(n_blobs: int = 5, per_blob: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Tight, far-apart clusters: points and the blob of each point."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=100.0, size=(n_blobs, 8))
    labels = np.repeat(np.arange(n_blobs), per_blob)
    return centers[labels] + rng.normal(scale=0.1, size=(len(labels), 8)), labels


@pytest.mark.parametrize("method", ["k-center", "kmeans++"])
def test_the_first_picks_hit_every_cluster(method):
    points, labels = blobs()
    for seed in range(5):
        order = diverse(points, n=5, seed=seed, method=method)
        assert sorted(labels[order]) == [0, 1, 2, 3, 4]


def test_k_center_picks_the_farthest_point_each_time():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(60, 3))
    order = diverse(points, n=10, seed=3)
    for i in range(1, len(order)):
        gaps = np.linalg.norm(points[:, None, :] - points[order[:i]][None, :, :], axis=2).min(1)
        assert np.isclose(gaps[order[i]], gaps.max())


def test_a_frame_gives_item_ids_and_a_series_of_vectors_works_too():
    points, _ = blobs(3, 5)
    df = pd.DataFrame(points, index=[f"doc{i}" for i in range(len(points))])
    order = diverse(df, n=3, seed=0)
    assert all(isinstance(i, str) and i.startswith("doc") for i in order)
    series = pd.Series(list(points), index=df.index)
    assert diverse(series, n=3, seed=0) == order
    assert diverse(points, n=3, seed=0) == [int(i[3:]) for i in order]


@settings(max_examples=50, deadline=None)
@given(
    points=arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 4)),
        elements=st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 1)),
    ),
    data=st.data(),
    method=st.sampled_from(["k-center", "kmeans++"]),
)
def test_diverse_is_a_deterministic_subset_even_with_repeated_points(points, data, method):
    n = data.draw(st.integers(0, len(points)))
    seed = data.draw(st.integers(0, 100))
    order = diverse(points, n=n, seed=seed, method=method)
    assert order == diverse(points, n=n, seed=seed, method=method)
    assert len(order) == len(set(order)) == n
    assert set(order) <= set(range(len(points)))


def test_diverse_does_not_touch_the_input():
    points, _ = blobs(2, 5)
    before = points.copy()
    diverse(points, n=4)
    np.testing.assert_array_equal(points, before)


@pytest.mark.parametrize(
    ("embeddings", "kwargs", "message"),
    [
        (np.array([[0.0, np.nan], [1.0, 1.0]]), {}, "NaN"),
        (np.zeros(5), {}, "2-D"),
        (np.zeros((3, 2)), {"n": 4}, "larger than the 3 items"),
        (np.zeros((3, 2)), {"method": "farthest"}, "unknown method 'farthest'"),
        (pd.DataFrame({"text": ["a", "b"]}), {}, "numbers only"),
    ],
)
def test_diverse_refuses_bad_input(embeddings, kwargs, message):
    with pytest.raises(NblabelError, match=message):
        diverse(embeddings, **{"n": 1, **kwargs})
