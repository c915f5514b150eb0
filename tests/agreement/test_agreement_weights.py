"""Rows counted several times: every kernel gives on distinct rows weighted by their counts what
it gives on the rows repeated, which is how the bootstrap draws its resamples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel import agreement
from nblabel.agreement import _kernels as k
from nblabel.agreement._bootstrap import _distinct_rows, bootstrap_many
from nblabel.agreement._input import Ratings

CASES = [
    (k.percent_kernel, {}),
    (k.percent_kernel, {"weights": "linear"}),
    (k.fleiss_kernel, {}),
    (k.fleiss_kernel, {"weights": "quadratic"}),
    (k.gwet_kernel, {}),
    (k.brennan_prediger_kernel, {}),
    (k.conger_kernel, {}),
    (k.krippendorff_kernel, {"level": "nominal"}),
    (k.krippendorff_kernel, {"level": "ordinal"}),
    (k.krippendorff_kernel, {"level": "interval"}),
    (k.krippendorff_kernel, {"level": "ratio"}),
    (k.krippendorff_kernel, {"weights": "quadratic"}),
]
PAIR_CASES = [(k.cohen_kernel, {}), (k.cohen_kernel, {"weights": "linear"}),
              (k.scott_kernel, {})]  # fmt: skip


def ratings(codes: np.ndarray, n_categories: int, weights=None) -> Ratings:
    return Ratings(codes, pd.Index(list(range(1, n_categories + 1))), pd.RangeIndex(len(codes)),
                   pd.Index([f"a{j}" for j in range(codes.shape[1])]), True, weights)


def value(kernel, r: Ratings, options: dict) -> float:
    try:
        return kernel(r, **options)
    except k.Undefined:
        return float("nan")


@st.composite
def weighted_rows(draw, annotators: tuple[int, int] = (2, 5)):
    m = draw(st.integers(*annotators))
    q = draw(st.integers(2, 4))
    n = draw(st.integers(1, 12))
    codes = np.array(
        draw(st.lists(st.lists(st.integers(-1, q - 1), min_size=m, max_size=m),
                      min_size=n, max_size=n)),
        dtype=np.int8,
    )  # fmt: skip
    times = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)))
    return codes, q, times


def agree(kernel, options, codes, q, times) -> None:
    weighted = value(kernel, ratings(codes, q, times), options)
    repeated = value(kernel, ratings(np.repeat(codes, times, axis=0), q), options)
    if np.isnan(repeated):
        assert np.isnan(weighted)
    else:
        assert weighted == pytest.approx(repeated, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("kernel", "options"), CASES)
@settings(max_examples=60, deadline=None)
@given(case=weighted_rows())
def test_weighted_rows_are_repeated_rows(kernel, options, case):
    agree(kernel, options, *case)


@pytest.mark.parametrize(("kernel", "options"), PAIR_CASES)
@settings(max_examples=60, deadline=None)
@given(case=weighted_rows(annotators=(2, 2)))
def test_weighted_pairs_are_repeated_pairs(kernel, options, case):
    agree(kernel, options, *case)


def test_the_bootstrap_draws_counts_of_distinct_rows_when_they_are_few():
    rng = np.random.default_rng(3)
    codes = rng.integers(-1, 3, (5_000, 3)).astype(np.int8)  # at most 4**3 distinct rows
    r = ratings(codes, 3)
    rows, share = _distinct_rows(r)
    assert len(rows.codes) <= 64 and share.sum() == pytest.approx(1.0)
    kernels = {"alpha": (k.krippendorff_kernel, {"level": "nominal"}),
               "fleiss": (k.fleiss_kernel, {})}  # fmt: skip
    first = bootstrap_many(r, kernels, n_boot=200, seed=7)
    again = bootstrap_many(r, kernels, n_boot=200, seed=7)
    pd.testing.assert_frame_equal(first, again)  # seeded: the same interval each time
    for name in kernels:
        low, estimate, high = first.loc[name, ["low", "estimate", "high"]]
        assert low <= estimate <= high and high - low < 0.1


def test_rows_that_all_differ_are_resampled_as_items():
    codes = np.arange(300, dtype=np.int64).reshape(100, 3) % 97  # nearly all rows distinct
    assert _distinct_rows(ratings(codes, 97)) is None


def test_a_report_of_many_items_matches_one_on_copied_items():
    # the same report from the counts path and from the items path: intervals of the same law
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 20_000)
    noisy = rng.random((20_000, 4)) < 0.3
    wide = pd.DataFrame(np.where(noisy, rng.integers(0, 3, (20_000, 4)), truth[:, None]),
                        columns=list("abcd"))  # fmt: skip
    report = agreement.report(wide, n_boot=300, seed=1).coefficients
    r = ratings(wide.to_numpy().astype(np.int8), 3)
    draws = np.random.default_rng(1)
    alphas = [k.krippendorff_kernel(r.take(draws.integers(0, 20_000, 20_000))) for _ in range(300)]
    low, high = np.percentile(alphas, [2.5, 97.5])
    assert report.loc["krippendorff_alpha", "low"] == pytest.approx(low, abs=0.005)
    assert report.loc["krippendorff_alpha", "high"] == pytest.approx(high, abs=0.005)
