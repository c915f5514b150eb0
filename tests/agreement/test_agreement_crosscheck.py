"""Random data: nblabel's coefficients equal the reference implementations to 1e-9."""

from __future__ import annotations

import contextlib

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from nblabel import NblabelWarning, agreement

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def rating_matrices(draw, min_annotators=2, max_annotators=6, missing=True):
    """Items × annotators integer labels in 1..k, with NaN for missing when allowed."""
    k = draw(st.integers(2, 6))
    n_items = draw(st.integers(2, 40))
    n_ann = draw(st.integers(min_annotators, max_annotators))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # mostly agreeing labels, so values span the whole range of coefficients
    truth = rng.integers(1, k + 1, n_items)
    noise = rng.random((n_items, n_ann)) < draw(st.floats(0.0, 1.0))
    values = np.where(noise, rng.integers(1, k + 1, (n_items, n_ann)), truth[:, None])
    values = values.astype(float)
    if missing:
        values[rng.random(values.shape) < draw(st.floats(0.0, 0.5))] = np.nan
    return values, k


@SETTINGS
@given(rating_matrices(max_annotators=2), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_kappa_matches_sklearn(data, weights) -> None:
    values, k = data
    both = ~np.isnan(values).any(axis=1)
    a, b = values[both, 0], values[both, 1]
    assume(both.sum() >= 2 and len(set(a) | set(b)) >= 2)
    labels = [float(v) for v in range(1, k + 1)]
    ours = agreement.cohen_kappa(pd.DataFrame(values, columns=["x", "y"]), weights=weights,
                                 labels=labels)
    theirs = cohen_kappa_score(a, b, labels=labels, weights=weights)
    assert ours == pytest.approx(theirs, abs=1e-9)


@SETTINGS
@given(rating_matrices(missing=False))
def test_fleiss_kappa_matches_statsmodels_on_complete_data(data) -> None:
    values, _ = data
    assume(len(np.unique(values)) >= 2)
    table, _ = aggregate_raters(values.astype(int))
    assert agreement.fleiss_kappa(pd.DataFrame(values)) == pytest.approx(
        sm_fleiss_kappa(table), abs=1e-9
    )


@SETTINGS
@given(rating_matrices(), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_krippendorff_alpha_matches_krippendorff_package(data, level) -> None:
    values, _ = data
    pairable = (~np.isnan(values)).sum(axis=1) >= 2
    assume(pairable.sum() >= 1)
    pairable_values = values[pairable]
    assume(len(np.unique(pairable_values[~np.isnan(pairable_values)])) >= 2)
    theirs = krippendorff.alpha(reliability_data=values.T, level_of_measurement=level)
    ours = agreement.krippendorff_alpha(pd.DataFrame(values), level=level)
    assert ours == pytest.approx(theirs, abs=1e-9)


@SETTINGS
@given(rating_matrices())
def test_wide_and_long_shapes_agree(data) -> None:
    values, _ = data
    wide = pd.DataFrame(values, columns=[f"ann{j}" for j in range(values.shape[1])])
    long = wide.rename_axis("item").reset_index().melt(
        id_vars="item", var_name="annotator", value_name="label"
    ).dropna(subset=["label"])
    pairable = (~np.isnan(values)).sum(axis=1) >= 2
    kept = values[pairable]
    undefined = pairable.sum() < 1 or len(np.unique(kept[~np.isnan(kept)])) < 2
    expect = pytest.warns(NblabelWarning) if undefined else contextlib.nullcontext()
    with expect:
        from_wide = agreement.krippendorff_alpha(wide)
    with pytest.warns(NblabelWarning) if undefined else contextlib.nullcontext():
        from_long = agreement.krippendorff_alpha(long)
    assert np.isnan(from_wide) == undefined
    assert from_wide == pytest.approx(from_long, abs=1e-12, nan_ok=True)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["nominal", "ordinal", "interval"]))
def test_many_distinct_values_path_matches_krippendorff_package(seed, level) -> None:
    # the O(ratings) path used when items × distinct values would not fit in memory
    from nblabel.agreement import _kernels
    from nblabel.agreement._input import as_ratings

    rng = np.random.default_rng(seed)
    values = rng.normal(size=(60, 4)).round(1)
    values[rng.random(values.shape) < 0.2] = np.nan
    ratings = as_ratings(pd.DataFrame(values))
    m = ratings.present_count()
    keep = m >= 2
    inv = np.divide(1.0, m - 1, out=np.zeros(len(m)), where=keep)
    ours = _kernels._alpha_many_labels(ratings, level, keep, inv)
    theirs = krippendorff.alpha(reliability_data=values.T, level_of_measurement=level)
    assert ours == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("offset", [0.0, -3.0, 126.0, 1000.0, 2.5])
@pytest.mark.parametrize("level", ["nominal", "interval"])
def test_fast_numeric_coding_matches_the_general_path(offset, level) -> None:
    # whole-number floats are coded by offset (cast as they are when they fit the code type,
    # else shifted first); fractional ones take the general path; all must agree with labels=
    rng = np.random.default_rng(int(offset * 10) % 97)
    values = rng.integers(0, 5, size=(3000, 4)).astype(float) + offset
    values[rng.random(values.shape) < 0.2] = np.nan
    wide = pd.DataFrame(values)
    uniques = sorted(set(values[~np.isnan(values)].tolist()))
    fast = agreement.krippendorff_alpha(wide, level=level)
    general = agreement.krippendorff_alpha(wide, level=level, labels=uniques)
    theirs = krippendorff.alpha(reliability_data=values.T, level_of_measurement=level)
    assert fast == pytest.approx(general, abs=1e-12) and fast == pytest.approx(theirs, abs=1e-9)
