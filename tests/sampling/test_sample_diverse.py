"""diverse: k-center greedy and k-means++ cover the space, deterministically."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nblabel import NblabelError
from nblabel.sample import _diverse, diverse
from nblabel.sample._diverse import farthest_first


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
        (np.zeros((3, 2)), {"method": "farthest"}, "method= must be one of .*, not 'farthest'"),
        (pd.DataFrame({"text": ["a", "b"]}), {}, "numbers only"),
    ],
)
def test_diverse_refuses_bad_input(embeddings, kwargs, message):
    with pytest.raises(NblabelError, match=message):
        diverse(embeddings, **{"n": 1, **kwargs})


# --- k-center's pruning picks exactly as the plain loop -------------------------------------


def plain_farthest_first(
    matrix: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    method: str = "k-center",
    initial: np.ndarray | None = None,
) -> np.ndarray:
    """The loop ``farthest_first`` ran before it pruned: one pass over every row per pick.
    The reference its picks (and draws) must equal, to the tie."""
    size = len(matrix)
    chosen = np.empty(n, dtype=np.intp)
    if n == 0:
        return chosen
    norms = np.einsum("ij,ij->i", matrix, matrix)
    initial = np.asarray([] if initial is None else initial, dtype=np.intp)
    nearest = np.full(size, np.inf)
    if len(initial):
        for start in range(0, len(initial), 256):
            block = initial[start : start + 256]
            d = norms[:, None] - 2.0 * (matrix @ matrix[block].T) + norms[block][None, :]
            np.minimum(nearest, d.min(axis=1), out=nearest)
        np.maximum(nearest, 0.0, out=nearest)
        nearest[initial] = -np.inf
    for i in range(n):
        if i == 0 and not len(initial):
            pick = int(rng.integers(size))
        elif method == "k-center":
            pick = int(np.argmax(nearest))
        else:
            weight = np.maximum(nearest, 0.0)
            total = weight.sum()
            if total > 0:
                pick = int(np.searchsorted(np.cumsum(weight), rng.random() * total, side="right"))
                pick = min(pick, size - 1)
            else:
                pick = int(rng.choice(np.flatnonzero(nearest > -np.inf)))
        chosen[i] = pick
        d = norms - 2.0 * _diverse.row_products(matrix, matrix[pick]) + norms[pick]
        np.minimum(nearest, d, out=nearest)
        nearest[pick] = -np.inf
    return chosen


def both_ways(
    matrix: np.ndarray,
    n: int,
    seed: int,
    initial: np.ndarray | None = None,
    method: str = "k-center",
) -> tuple[np.ndarray, np.ndarray]:
    """``farthest_first``'s picks and the plain loop's, from the same seed."""
    fast = farthest_first(matrix, n, np.random.default_rng(seed), method=method, initial=initial)
    plain = plain_farthest_first(
        matrix, n, np.random.default_rng(seed), method=method, initial=initial
    )
    return fast, plain


@contextlib.contextmanager
def pruning(rows_per_cell: int = 2) -> Iterator[None]:
    """k-center prunes however small the input, on cells of a few rows: small examples
    take the path large ones take."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_diverse, "PRUNE_MIN_ROWS", 0)
        patch.setattr(_diverse, "PRUNE_MIN_PICKS", 0)
        patch.setattr(_diverse, "ROWS_PER_CELL", rows_per_cell)
        yield


@pytest.fixture
def prune_always() -> Iterator[None]:
    with pruning():
        yield


@st.composite
def covers(draw, *, coarse: bool = True) -> tuple[np.ndarray, int, int, np.ndarray | None]:
    """A matrix (1-D to 8-D, by rows or by columns; coarse values: many exact ties and
    repeated rows), ``n`` up to the rows left, a seed, and maybe ``initial`` rows."""
    rows, width = draw(st.integers(1, 60)), draw(st.integers(1, 8))
    if coarse:
        values = st.integers(-2, 2).map(float) | st.sampled_from([0.1, 0.2, 0.3, -0.7, 1e3])
    else:
        values = st.floats(-10, 10, allow_nan=False, allow_subnormal=False)
    matrix = draw(arrays(np.float64, (rows, width), elements=values))
    if draw(st.booleans()):
        matrix = matrix[draw(st.lists(st.integers(0, rows - 1), min_size=1, max_size=80))]
    if draw(st.booleans()):
        matrix = np.asfortranarray(matrix)
    initial = None
    if draw(st.booleans()):
        initial = np.array(draw(st.lists(st.integers(0, len(matrix) - 1), min_size=1)))
    left = len(matrix) - (0 if initial is None else len(set(initial.tolist())))
    return matrix, draw(st.integers(0, left)), draw(st.integers(0, 2**32 - 1)), initial


@settings(max_examples=300, deadline=None)
@given(cover=covers())
def test_k_center_picks_as_the_plain_loop_even_with_ties(cover):
    matrix, n, seed, initial = cover
    with pruning():
        fast, plain = both_ways(matrix, n, seed, initial)
    np.testing.assert_array_equal(fast, plain)
    # and the plain loop, which small inputs keep, is today's loop too
    np.testing.assert_array_equal(both_ways(matrix, n, seed, initial)[0], plain)


@settings(max_examples=100, deadline=None)
@given(cover=covers(coarse=False), rows_per_cell=st.sampled_from([1, 3, 16, 2048]))
def test_k_center_picks_as_the_plain_loop_on_spread_points(cover, rows_per_cell):
    matrix, n, seed, initial = cover
    with pruning(rows_per_cell):
        fast, plain = both_ways(matrix, n, seed, initial)
    np.testing.assert_array_equal(fast, plain)


@settings(max_examples=50, deadline=None)
@given(cover=covers())
def test_kmeans_plus_plus_on_small_inputs_keeps_the_plain_loops_picks(cover):
    matrix, n, seed, initial = cover
    fast, plain = both_ways(matrix, n, seed, initial, method="kmeans++")
    np.testing.assert_array_equal(fast, plain)


@pytest.mark.parametrize("spread", [1e-3, 1e-2, 0.1, 1.0])
@pytest.mark.parametrize(("layout", "width"), [("C", 2), ("F", 2), ("C", 1), ("F", 3), ("C", 5)])
def test_k_center_far_from_the_origin_where_rounding_decides(prune_always, spread, layout, width):
    # |x|^2 ~ 1e12: the formula errs by ~1e-4, as much as (or more than) the squared
    # distances themselves, and can go below zero. Pruning must leave room for that.
    rng = np.random.default_rng(7)
    for seed in range(6):
        matrix = 1e6 + spread * rng.normal(size=(400, width))
        matrix[::7] = matrix[3]  # repeated rows: exact ties
        matrix = np.asarray(matrix, order=layout)
        for initial in (None, np.array([5, 9, 5])):
            fast, plain = both_ways(matrix, 120, seed, initial)
            np.testing.assert_array_equal(fast, plain)


@pytest.fixture
def visited(monkeypatch) -> list[float]:
    """The share of cells each new center was compared with, on the pruned path."""
    shares: list[float] = []
    may_change = _diverse._Cells.may_change

    def spy(self, x):
        visit = may_change(self, x)
        shares.append(visit.mean())
        return visit

    monkeypatch.setattr(_diverse._Cells, "may_change", spy)
    return shares


def test_k_center_on_a_large_input_prunes_and_picks_as_the_plain_loop(visited):
    # big enough for the default thresholds; rounded coordinates: many exact ties
    rng = np.random.default_rng(11)
    matrix = np.round(rng.normal(size=(_diverse.PRUNE_MIN_ROWS + 20_000, 2)), 2)
    for layout, initial in [("C", None), ("F", None), ("C", rng.choice(len(matrix), 30))]:
        fast, plain = both_ways(np.asarray(matrix, order=layout), 60, 3, initial)
        np.testing.assert_array_equal(fast, plain)
    assert len(visited) > 100  # the pruned path ran (not the plain loop)
    assert np.mean(visited) < 0.2  # and it skipped most cells


@pytest.mark.parametrize(("layout", "width"), [("C", 5), ("C", 12), ("F", 4), ("F", 6)])
def test_k_center_on_rows_wider_than_it_prunes_keeps_the_plain_loop(prune_always, layout, width):
    # wider rows go to BLAS, which rounds a row by where it falls in the call: the plain loop
    # alone, where the distances are mostly rounding
    rng = np.random.default_rng(8)
    for seed in range(4):
        matrix = np.asarray(1e6 + 0.01 * rng.normal(size=(203, width)), order=layout)
        fast, plain = both_ways(matrix, 150, seed)
        np.testing.assert_array_equal(fast, plain)


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(1, _diverse.NARROW_COLUMNS),
    layout=st.sampled_from("CF"),
    block=st.tuples(st.integers(0, 40_000), st.integers(1, 40_000)),
    seed=st.integers(0, 2**32 - 1),
)
def test_row_products_give_a_block_of_rows_what_the_whole_matrix_gives_it(
    width, layout, block, seed
):
    # the premise of pruning to the tie, on any CPU: a row's value is its own. Values far
    # from the origin, where a BLAS's order of summation shows in the last bits.
    rng = np.random.default_rng(seed)
    matrix = np.asarray(1e3 * rng.normal(size=(40_003, width)) + 1e6, order=layout)
    x = matrix[int(rng.integers(len(matrix)))]
    whole = _diverse.row_products(matrix, x)
    begin = min(block[0], len(matrix) - 1)
    end = min(begin + block[1], len(matrix))
    part = _diverse.row_products(np.asarray(matrix[begin:end], order=layout), x)
    np.testing.assert_array_equal(part, whole[begin:end])
    for at in (begin, end - 1):  # and a row alone
        np.testing.assert_array_equal(_diverse.row_products(matrix[at : at + 1], x), whole[at])
    np.testing.assert_allclose(whole, matrix @ x, rtol=1e-12)  # the product, as BLAS gives it


def assert_a_kmeans_plus_plus_draw(matrix: np.ndarray, picks: np.ndarray, initial) -> None:
    """Each pick is a row not chosen before, at a squared distance above 0 from every row
    chosen before it, unless no row is (by the plain loop's formula)."""
    norms = np.einsum("ij,ij->i", matrix, matrix)
    chosen = [] if initial is None else list(initial)
    # the initial rows as the loop takes them: one matrix product (which may round unlike a
    # product per row), then a product per pick
    nearest = _diverse._nearest_to(matrix, norms, np.asarray(chosen, dtype=np.intp))
    for pick in picks.tolist():
        assert pick not in chosen
        left = np.setdiff1d(np.arange(len(matrix)), chosen)
        if chosen and (nearest[left] > 0).any():
            assert nearest[pick] > 0
        chosen.append(pick)
        d = norms - 2.0 * _diverse.row_products(matrix, matrix[pick]) + norms[pick]
        np.minimum(nearest, d, out=nearest)


# rows all at 0 from the centers: a product per row puts some above 0 by rounding, one
# matrix product (as the loop takes the initial rows) not
_ROUNDED_APART = np.zeros((8, 8))
_ROUNDED_APART[[5, 7]] = [0.0, 0.0, 0.0, 0.1, 0.0, 0.0, 0.1, 0.3]
_ROUNDED_APART = np.asfortranarray(_ROUNDED_APART)  # by columns: one product rounds them to 0


@settings(max_examples=200, deadline=None)
@given(cover=covers(), rows_per_cell=st.sampled_from([1, 2, 16]))
@example(cover=(_ROUNDED_APART, 1, 0, np.array([0, 7])), rows_per_cell=1)
def test_kmeans_plus_plus_pruned_draws_distinct_rows_away_from_the_centers(cover, rows_per_cell):
    matrix, n, seed, initial = cover
    with pruning(rows_per_cell):
        fast, plain = both_ways(matrix, n, seed, initial, method="kmeans++")
    assert_a_kmeans_plus_plus_draw(matrix, fast, initial)
    if n and initial is None:
        assert fast[0] == plain[0]  # the first is drawn uniformly, as before


@pytest.mark.parametrize("rows_per_cell", [1, 2, 4])
def test_kmeans_plus_plus_pruned_draws_in_proportion_to_the_squared_distance(rows_per_cell):
    # one center at 0: the rows at 1..5 weigh 1, 4, 9, 16, 25
    matrix = np.arange(6, dtype=float)[:, None]
    draws = 3_000
    with pruning(rows_per_cell):
        picks = [
            int(farthest_first(matrix, 1, np.random.default_rng(seed), method="kmeans++",
                               initial=np.array([0]))[0])
            for seed in range(draws)
        ]  # fmt: skip
    share = np.bincount(picks, minlength=6) / draws
    weight = np.arange(6.0) ** 2
    np.testing.assert_allclose(share, weight / weight.sum(), atol=0.04)


def test_kmeans_plus_plus_on_a_large_input_prunes_and_draws_well(visited):
    rng = np.random.default_rng(12)
    matrix = rng.normal(size=(_diverse.PRUNE_MIN_ROWS + 20_000, 2))
    for initial in (None, rng.choice(len(matrix), 30, replace=False)):
        picks = farthest_first(matrix, 40, np.random.default_rng(5), method="kmeans++",
                               initial=initial)  # fmt: skip
        assert_a_kmeans_plus_plus_draw(matrix, picks, initial)
    assert len(visited) > 60  # the pruned path ran
    assert np.mean(visited) < 0.3  # and skipped most cells
