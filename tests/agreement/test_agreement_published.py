"""Published worked examples, reproduced to the digits their sources print."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nblabel import agreement

nan = np.nan

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability, section C (p. 3-7):
# 4 observers × 12 units, values 1-5, missing data. Published: nominal .743, ordinal .815,
# interval .849, ratio .797.
KRIPPENDORFF_2011 = pd.DataFrame(
    {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        "C": [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    },
    index=pd.RangeIndex(1, 13, name="unit"),
)


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_example(level: str, published: float) -> None:
    assert round(agreement.krippendorff_alpha(KRIPPENDORFF_2011, level=level), 3) == published


def test_krippendorff_2011_example_with_text_labels_in_order() -> None:
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    text = KRIPPENDORFF_2011.apply(lambda col: col.map(names))
    order = list(names.values())
    assert round(agreement.krippendorff_alpha(text, level="ordinal", labels=order), 3) == 0.815
    assert round(agreement.krippendorff_alpha(text, level="nominal"), 3) == 0.743


def _counts_to_wide(table: np.ndarray) -> pd.DataFrame:
    """Items × categories counts → one column per rater (raters are exchangeable in Fleiss)."""
    rows = [np.repeat(np.arange(table.shape[1]), row) for row in table.astype(int)]
    return pd.DataFrame(rows).add_prefix("rater")


# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5), 378-382: 30 patients × 6 psychiatrists, 5 diagnoses, kappa = .430. Raw
# matrix as in R's irr::diagnoses and statsmodels' tests (test_inter_rater.py).
FLEISS_1971 = np.array([
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
])


def test_fleiss_1971_psychiatric_diagnoses() -> None:
    wide = pd.DataFrame(FLEISS_1971).add_prefix("psychiatrist")
    assert round(agreement.fleiss_kappa(wide), 3) == 0.430


def test_fleiss_wikipedia_ten_subjects() -> None:
    # Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories, 0.210.
    counts = np.array([
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ])
    assert round(agreement.fleiss_kappa(_counts_to_wide(counts)), 3) == 0.210


def test_cohen_kappa_wikipedia_example() -> None:
    # Wikipedia, "Cohen's kappa", example 1: 50 grant proposals, yes/yes 20, yes/no 5,
    # no/yes 10, no/no 15 -> p_o = .7, p_e = .5, kappa = .4 exactly.
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    wide = pd.DataFrame(pairs, columns=["A", "B"])
    assert agreement.cohen_kappa(wide) == pytest.approx(0.4, abs=1e-12)
    assert agreement.percent_agreement(wide) == pytest.approx(0.7, abs=1e-12)
    # Scott's pi on the same table, by hand: pooled shares .55 / .45, p_e = .505
    assert agreement.scott_pi(wide) == pytest.approx((0.7 - 0.505) / 0.495, abs=1e-12)


# Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed., p. 120: 4 raters × 12 units,
# 5 categories, missing ratings. Values as printed by Gwet's irrCAC package (and its Python port,
# whose tests pin them to 3 decimals): Fleiss pa .818 pe .239 kappa .761; AC1 pe .190 = .775;
# linear weights: Fleiss .818, AC2 .859; quadratic weights: Fleiss .865, AC2 .914.
GWET_4RATERS = pd.DataFrame({
    "Rater1": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "Rater2": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, None],
    "Rater3": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    "Rater4": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}, index=pd.RangeIndex(1, 13, name="unit"))


@pytest.mark.parametrize(
    ("weights", "fleiss", "ac"),
    [(None, 0.761, 0.775), ("linear", 0.818, 0.859), ("quadratic", 0.865, 0.914)],
)
def test_gwet_handbook_4_raters(weights: str | None, fleiss: float, ac: float) -> None:
    assert round(agreement.fleiss_kappa(GWET_4RATERS, weights=weights), 3) == fleiss
    assert round(agreement.gwet_ac1(GWET_4RATERS, weights=weights), 3) == ac
    assert round(agreement.percent_agreement(GWET_4RATERS), 3) == 0.818


def test_gwet_handbook_5_observers() -> None:
    # Gwet (2014) p. 125 (irrCAC's raw_5observers): Fleiss .458, AC1 .497, missing ratings.
    wide = pd.DataFrame({
        "O1": [1, 1, 2, None, 0, 0, 1, 1, 2, 2, None, 0, 1, 3, 1],
        "O2": [1, 1, 3, 0, 0, 0, 0, None, 2, 1, 1, 0, 2, 3, 1],
        "O3": [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
        "O4": [None, 1, 3, None, None, None, None, 0, None, 1, 0, 0, 2, 2, None],
        "O5": [2, None, None, 0, 0, 0, 1, None, 2, None, None, None, None, 3, 1],
    })
    assert round(agreement.fleiss_kappa(wide), 3) == 0.458
    assert round(agreement.gwet_ac1(wide), 3) == 0.497


def test_gwet_two_raters_with_a_missing_rating() -> None:
    # irrCAC's raw_ben_gerry (Gwet's handbook data): Fleiss .649, AC1 .661.
    wide = pd.DataFrame({
        "Ben": ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"],
        "Gerry": ["b", "a", "b", "b", "b", "c", "c", "c", "e", None, "d", "d"],
    })
    assert round(agreement.fleiss_kappa(wide), 3) == 0.649
    assert round(agreement.gwet_ac1(wide), 3) == 0.661


# -- Declared order: an ordered Categorical ranks the labels ----------------------------------

KRIPPENDORFF_NAMES = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
KRIPPENDORFF_ORDER = pd.CategoricalDtype(list(KRIPPENDORFF_NAMES.values()), ordered=True)


def test_krippendorff_2011_ordinal_with_an_ordered_categorical() -> None:
    # Krippendorff (2011), section C: ordinal .815, here with text labels whose order the dtype
    # declares (alphabetical order would give .702).
    text = KRIPPENDORFF_2011.apply(lambda col: col.map(KRIPPENDORFF_NAMES))
    ordered = text.astype(KRIPPENDORFF_ORDER)
    assert round(agreement.krippendorff_alpha(ordered, level="ordinal"), 3) == 0.815
    long = ordered.stack().rename("label").reset_index()
    long.columns = ["item", "annotator", "label"]
    long["label"] = long["label"].astype(KRIPPENDORFF_ORDER)
    assert round(agreement.krippendorff_alpha(long, level="ordinal"), 3) == 0.815


# scikit-learn's test_cohen_kappa, "weighting example": 100 items, quadratic kappa .9541,
# linear .9412, unweighted .9315, here as text labels low < mid < high.
SKLEARN_ORDER = pd.CategoricalDtype(["low", "mid", "high"], ordered=True)
SKLEARN_WEIGHTED = pd.DataFrame({
    "y1": ["low"] * 46 + ["mid"] * 44 + ["high"] * 10,
    "y2": ["low"] * 50 + ["mid"] * 40 + ["high"] * 10,
})


@pytest.mark.parametrize(
    ("weights", "published"), [(None, 0.9315), ("linear", 0.9412), ("quadratic", 0.9541)]
)
def test_sklearn_weighted_kappa_with_an_ordered_categorical(weights, published) -> None:
    ordered = SKLEARN_WEIGHTED.astype(SKLEARN_ORDER)
    assert round(agreement.cohen_kappa(ordered, weights=weights), 4) == published
    # labels= declares the same order
    in_order = agreement.cohen_kappa(SKLEARN_WEIGHTED, weights=weights,
                                     labels=["low", "mid", "high"])
    assert round(in_order, 4) == published


@pytest.mark.parametrize(
    "call",
    [
        lambda w: agreement.cohen_kappa(w, weights="quadratic"),
        lambda w: agreement.scott_pi(w, weights="linear"),
        lambda w: agreement.fleiss_kappa(w, weights="linear"),
        lambda w: agreement.gwet_ac1(w, weights="quadratic"),
        lambda w: agreement.krippendorff_alpha(w, level="ordinal"),
        lambda w: agreement.report(w, level="ordinal", n_boot=10),
    ],
)
def test_rank_based_coefficients_refuse_text_labels_without_an_order(call) -> None:
    from nblabel import NblabelError

    with pytest.raises(NblabelError, match=r"labels=.*ordered Categorical"):
        call(SKLEARN_WEIGHTED)
    # unweighted / nominal needs no order
    assert np.isfinite(agreement.cohen_kappa(SKLEARN_WEIGHTED))


def test_ordered_categoricals_that_disagree_are_refused() -> None:
    from nblabel import NblabelError

    wide = pd.DataFrame({
        "y1": SKLEARN_WEIGHTED["y1"].astype(SKLEARN_ORDER),
        "y2": SKLEARN_WEIGHTED["y2"].astype(
            pd.CategoricalDtype(["high", "mid", "low"], ordered=True)),
    })
    with pytest.raises(NblabelError, match="different orders"):
        agreement.cohen_kappa(wide, weights="linear")


# -- Conger, Brennan-Prediger, Gwet's named and custom weights ---------------------------------
#
# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., chapters 2-4, on his 4 raters x 12
# units (GWET_4RATERS, irrCAC's cac.raw4raters). The values are those irrCAC prints and that
# the tests of its Python port pin to 3 decimals (afergadis/irrCAC, test/unit/irrCAC/raw/
# test_conger.py, test_bp.py, test_gwet.py, test_krippendorff.py, test_fleiss.py).
GWET_WEIGHTS = [None, "bipolar", "circular", "linear", "ordinal", "quadratic", "radical", "ratio"]
PUBLISHED_4RATERS = {
    #                    None   bipolar circular linear ordinal quadratic radical ratio
    "conger_kappa":     [0.763, 0.845, 0.805, 0.814, 0.844, 0.858, 0.788, 0.812],
    "brennan_prediger": [0.773, 0.888, 0.824, 0.848, 0.886, 0.902, 0.813, 0.840],
    "gwet_ac1":         [0.775, 0.900, 0.830, 0.859, 0.899, 0.914, 0.820, 0.857],
    "krippendorff_alpha": [0.743, 0.835, 0.790, 0.800, 0.834, 0.849, 0.772, 0.797],
    "fleiss_kappa":     [0.761, 0.853, 0.807, 0.818, 0.850, 0.865, 0.790, 0.821],
}  # fmt: skip


@pytest.mark.parametrize("name", list(PUBLISHED_4RATERS))
@pytest.mark.parametrize("weights", GWET_WEIGHTS)
def test_gwet_4raters_every_named_weight(name: str, weights: str | None) -> None:
    published = PUBLISHED_4RATERS[name][GWET_WEIGHTS.index(weights)]
    value = getattr(agreement, name)(GWET_4RATERS, weights=weights)
    assert round(value, 3) == published
    if name == "gwet_ac1" and weights is not None:
        assert agreement.gwet_ac2(GWET_4RATERS, weights=weights) == value


def test_gwet_ac2_defaults_to_quadratic_weights() -> None:
    assert round(agreement.gwet_ac2(GWET_4RATERS), 3) == 0.914


# The custom weight matrix of irrCAC's test_conger.py / test_bp.py: Conger .763, BP .773.
CUSTOM_WEIGHTS = np.array([
    [1.00, 0.75, 0.50, 0.25, 0.00],
    [0.00, 1.00, 0.75, 0.50, 0.25],
    [0.25, 0.00, 1.00, 0.75, 0.50],
    [0.50, 0.25, 0.00, 1.00, 0.75],
    [0.75, 0.50, 0.25, 0.00, 1.00],
])


def test_custom_weight_matrix() -> None:
    assert round(agreement.conger_kappa(GWET_4RATERS, weights=CUSTOM_WEIGHTS), 3) == 0.763
    assert round(agreement.brennan_prediger(GWET_4RATERS, weights=CUSTOM_WEIGHTS), 3) == 0.773
    # a matrix of the named weights gives the same value as the name
    from nblabel.agreement._input import as_ratings
    from nblabel.agreement._kernels import agreement_weights

    quadratic = agreement_weights(as_ratings(GWET_4RATERS), "quadratic")
    for fn in (agreement.cohen_kappa, agreement.scott_pi):
        two = GWET_4RATERS[["Rater1", "Rater2"]]
        assert fn(two, weights=quadratic) == pytest.approx(fn(two, weights="quadratic"))
    assert agreement.krippendorff_alpha(GWET_4RATERS, weights=quadratic) == pytest.approx(
        agreement.krippendorff_alpha(GWET_4RATERS, level="interval"))


@pytest.mark.parametrize(
    ("dataset", "conger", "bp"),
    [("5observers", 0.469, 0.487), ("ben_gerry", 0.657, 0.659)],
)
def test_conger_and_brennan_prediger_other_handbook_data(dataset, conger, bp) -> None:
    # irrCAC's raw_5observers and raw_ben_gerry (values from the same irrCAC tests)
    wide = {
        "5observers": pd.DataFrame({
            "O1": [1, 1, 2, None, 0, 0, 1, 1, 2, 2, None, 0, 1, 3, 1],
            "O2": [1, 1, 3, 0, 0, 0, 0, None, 2, 1, 1, 0, 2, 3, 1],
            "O3": [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
            "O4": [None, 1, 3, None, None, None, None, 0, None, 1, 0, 0, 2, 2, None],
            "O5": [2, None, None, 0, 0, 0, 1, None, 2, None, None, None, None, 3, 1],
        }),
        "ben_gerry": pd.DataFrame({
            "Ben": ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"],
            "Gerry": ["b", "a", "b", "b", "b", "c", "c", "c", "e", None, "d", "d"],
        }),
    }[dataset]
    assert round(agreement.conger_kappa(wide), 3) == conger
    assert round(agreement.brennan_prediger(wide), 3) == bp


def _table_to_wide(table: list[list[int]], names: list[str]) -> pd.DataFrame:
    pairs = [(names[i], names[j]) for i, row in enumerate(table) for j, n in enumerate(row)
             for _ in range(n)]
    return pd.DataFrame(pairs, columns=["first", "second"]).astype(
        pd.CategoricalDtype(names, ordered=True))


# Gwet's contingency tables, irrCAC's cont3x3abstractors (100 pregnancies, 2 abstractors) and
# cont4x4diagnosis (223 patients, 2 methods); values from afergadis/irrCAC test/unit/irrCAC/
# table/test_cohen.py and test_scott.py.
ABSTRACTORS = _table_to_wide([[13, 0, 0], [0, 20, 7], [0, 4, 56]], ["Ectopic", "AIU", "NIU"])
DIAGNOSIS = _table_to_wide([[40, 4, 4, 17], [6, 25, 2, 13], [4, 1, 21, 12], [15, 5, 9, 45]],
                           ["Schizophrenia", "Bipolar Disorder", "Depression", "Other"])
PUBLISHED_TABLES = {
    #                          None   bipolar circular linear ordinal quadratic radical ratio
    ("abstractors", "cohen"): [0.796, 0.872, 0.796, 0.843, 0.872, 0.892, 0.819, 0.927],
    ("abstractors", "scott"): [0.796, 0.872, 0.796, 0.843, 0.872, 0.892, 0.819, 0.927],
    ("diagnosis", "cohen"):   [0.432, 0.387, 0.446, 0.407, 0.390, 0.383, 0.419, 0.413],
    ("diagnosis", "scott"):   [0.430, 0.386, 0.444, 0.406, 0.389, 0.382, 0.418, 0.412],
}  # fmt: skip


@pytest.mark.parametrize(("table", "coefficient"), list(PUBLISHED_TABLES))
def test_two_rater_tables_every_named_weight(table: str, coefficient: str) -> None:
    wide = {"abstractors": ABSTRACTORS, "diagnosis": DIAGNOSIS}[table]
    fn = {"cohen": agreement.cohen_kappa, "scott": agreement.scott_pi}[coefficient]
    values = [round(fn(wide, weights=w), 3) for w in GWET_WEIGHTS]
    assert values == PUBLISHED_TABLES[(table, coefficient)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: agreement.cohen_kappa(SKLEARN_WEIGHTED.astype(SKLEARN_ORDER),
                                       weights=np.eye(2)), "2 × 2 matrix, but there are 3"),
        (lambda: agreement.fleiss_kappa(GWET_4RATERS, weights=np.zeros((5, 5))),
         "1 on the diagonal"),
        (lambda: agreement.gwet_ac2(GWET_4RATERS, weights="cubic"), "weights= must be one of"),
        (lambda: agreement.conger_kappa(SKLEARN_WEIGHTED, weights=np.eye(3) * 1.0 + 0.1),
         "1 on the diagonal"),
        (lambda: agreement.brennan_prediger(SKLEARN_WEIGHTED, weights=np.eye(3)),
         "labels="),
        (lambda: agreement.krippendorff_alpha(GWET_4RATERS, level="interval",
                                              weights="linear"), "not both"),
    ],
)
def test_weight_errors_say_what_to_fix(call, message) -> None:
    from nblabel import NblabelError

    with pytest.raises(NblabelError, match=message):
        call()
