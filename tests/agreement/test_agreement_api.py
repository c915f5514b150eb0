"""Inputs, errors, undefined cases, tables and the bootstrap of nblabel.agreement."""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel import LabelStore, NblabelError, NblabelWarning, agreement

COEFFICIENTS = [
    agreement.percent_agreement,
    agreement.cohen_kappa,
    agreement.scott_pi,
    agreement.fleiss_kappa,
    agreement.gwet_ac1,
    agreement.krippendorff_alpha,
]
CHANCE_CORRECTED = COEFFICIENTS[1:]

WIDE = pd.DataFrame(
    {"alice": ["pos", "neg", "neu", "pos", "neg", None],
     "bob": ["pos", "neg", "pos", "pos", "neu", "neg"]},
    index=pd.Index([f"doc{i}" for i in range(6)], name="item"),
)


@pytest.fixture
def store(tmp_path, append_wide) -> LabelStore:
    with LabelStore(tmp_path / "labels.db") as s:
        append_wide(s, WIDE, "sentiment")
        # rows that agreement must ignore: model pre-labels, reviews, another task
        s.append(task="sentiment", item="doc0", annotator="model", label="neg", source="model")
        s.append(task="sentiment", item="doc2", annotator="carol", label="neu", source="review")
        s.append(task="other", item="doc0", annotator="alice", label="x")
        yield s


def test_public_surface_is_pinned_and_sorted() -> None:
    expected = [
        "AgreementReport", "BootstrapResult", "ShapeAgreement", "bootstrap", "brennan_prediger",
        "cohen_kappa",
        "confusion_matrices", "conger_kappa", "fleiss_kappa", "gwet_ac1", "gwet_ac2",
        "krippendorff_alpha", "pairwise_confusion",
        "per_item_agreement", "percent_agreement", "position_bias", "reading", "report",
        "scott_pi", "shapes", "spans", "step_labels",
    ]
    assert agreement.__all__ == expected == sorted(expected)


def test_docstring_examples_run() -> None:
    import nblabel._consensus
    from nblabel.agreement import _bootstrap, _coefficients, _report, _tables

    for module in (agreement, _bootstrap, _coefficients, _report, _tables, nblabel._consensus):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, module.__name__
        assert result.attempted > 0, module.__name__


def test_core_modules_import_no_widget_libraries() -> None:
    # nblabel/__init__ loads the widgets, so check the agreement modules' own imports instead:
    # only _view may import ipywidgets / bqplot, and only inside its function (lazily).
    banned = {"ipywidgets", "bqplot", "traitlets", "IPython", "anywidget"}
    root = Path(nblabel.__file__).parent
    for path in [*sorted((root / "agreement").glob("*.py")), root / "_consensus.py"]:
        tree = ast.parse(path.read_text())
        top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        nested = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
        for node in nested:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            if {str(n).split(".")[0] for n in names} & banned:
                assert path.name == "_view.py" and node not in top_level, path.name


@pytest.mark.parametrize("fn", COEFFICIENTS)
def test_wide_long_and_store_give_the_same_value(fn, store) -> None:
    long = store.annotations(task="sentiment")  # includes model/review rows: they are ignored
    from_wide, from_long = fn(WIDE), fn(long)
    assert from_wide == pytest.approx(fn(store, task="sentiment"), abs=1e-12)
    assert from_wide == pytest.approx(from_long, abs=1e-12)


def test_store_with_several_tasks_needs_task(store) -> None:
    with pytest.raises(NblabelError, match="task="):
        agreement.krippendorff_alpha(store)
    with pytest.raises(NblabelError, match="has no task 'nope'"):
        agreement.krippendorff_alpha(store, task="nope")


@pytest.mark.parametrize("fn", CHANCE_CORRECTED)
def test_one_category_only_is_nan_with_a_reason(fn) -> None:
    same = pd.DataFrame({"a": ["x", "x", "x"], "b": ["x", "x", "x"]})
    with pytest.warns(NblabelWarning, match="undefined"):
        assert np.isnan(fn(same))


@pytest.mark.parametrize("fn", CHANCE_CORRECTED)
def test_a_single_pairable_item_that_agrees_is_nan(fn) -> None:
    # one item, both say x: observed and chance agreement are both total, 0/0
    single = pd.DataFrame({"a": ["x", None], "b": ["x", "x"]})
    with pytest.warns(NblabelWarning, match="undefined"):
        assert np.isnan(fn(single))


def test_a_single_pairable_item_that_disagrees_has_a_value() -> None:
    # The formulas give numbers here, as scikit-learn and the krippendorff package return.
    import krippendorff
    from sklearn.metrics import cohen_kappa_score

    single = pd.DataFrame({"a": ["x", "y", None], "b": ["y", None, "x"]})
    assert agreement.cohen_kappa(single) == cohen_kappa_score(["x"], ["y"]) == 0.0
    numeric = np.array([[1.0, 2.0, np.nan], [2.0, np.nan, 1.0]])
    for level in ("nominal", "interval", "ratio"):
        theirs = krippendorff.alpha(reliability_data=numeric, level_of_measurement=level)
        ours = agreement.krippendorff_alpha(pd.DataFrame(numeric.T), level=level)
        assert ours == pytest.approx(theirs, abs=1e-12)
    assert agreement.krippendorff_alpha(single) == pytest.approx(0.0, abs=1e-12)
    # by hand: pooled shares (1/2, 1/2), chance agreement 1/2, observed 0 -> (0 - .5) / .5
    for fn in (agreement.scott_pi, agreement.fleiss_kappa, agreement.gwet_ac1):
        assert fn(single) == pytest.approx(-1.0, abs=1e-12)
    assert agreement.percent_agreement(single) == 0.0


@pytest.mark.parametrize("fn", COEFFICIENTS)
def test_no_pairable_values_is_nan(fn) -> None:
    apart = pd.DataFrame({"a": ["x", None], "b": [None, "y"]})
    with pytest.warns(NblabelWarning):
        assert np.isnan(fn(apart))


def test_perfect_agreement_is_one_and_labels_add_categories() -> None:
    wide = pd.DataFrame({"a": ["x", "y", "x"], "b": ["x", "y", "x"]})
    for fn in CHANCE_CORRECTED:
        assert fn(wide) == pytest.approx(1.0)
    # AC1's chance term uses the number of categories q: an unused label changes it, alpha not
    one_sided = pd.DataFrame({"a": ["x", "y", "x", "x"], "b": ["x", "x", "x", "x"]})
    assert agreement.gwet_ac1(one_sided) != pytest.approx(
        agreement.gwet_ac1(one_sided, labels=["x", "y", "z"]))
    assert agreement.krippendorff_alpha(one_sided) == pytest.approx(
        agreement.krippendorff_alpha(one_sided, labels=["x", "y", "z"]))


def test_ordinal_order_comes_from_labels() -> None:
    wide = pd.DataFrame({"a": ["low", "mid", "high", "mid"], "b": ["mid", "mid", "high", "low"]})
    in_order = agreement.krippendorff_alpha(wide, level="ordinal", labels=["low", "mid", "high"])
    scrambled = agreement.krippendorff_alpha(wide, level="ordinal", labels=["low", "high", "mid"])
    assert in_order != pytest.approx(scrambled)
    weighted = agreement.cohen_kappa(wide, weights="linear", labels=["low", "mid", "high"])
    assert weighted > agreement.cohen_kappa(wide)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: agreement.krippendorff_alpha(WIDE, level="nominall"), "level= must be one of"),
        (lambda: agreement.cohen_kappa(WIDE, weights="cubic"), "weights= must be one of"),
        (lambda: agreement.fleiss_kappa(WIDE, labels=["pos", "neg"]), "'neu'.*add them"),
        (lambda: agreement.fleiss_kappa(WIDE, labels=["pos", "pos", "neg"]), "repeated"),
        (lambda: agreement.fleiss_kappa(WIDE.to_numpy()), "pd.DataFrame"),
        (lambda: agreement.fleiss_kappa([[1, 2]]), "got list"),
        (lambda: agreement.krippendorff_alpha(WIDE, level="interval"), "numeric labels"),
        (lambda: agreement.cohen_kappa(WIDE.assign(carol="pos")), "exactly two"),
        (lambda: agreement.cohen_kappa(WIDE, annotators=["alice", "zed"]), "not in the data"),
        (lambda: agreement.fleiss_kappa(WIDE, task="x"), "wide"),
    ],
)
def test_bad_input_raises_a_clear_error(call, message) -> None:
    with pytest.raises(NblabelError, match=message):
        call()


def test_multi_label_values_are_refused() -> None:
    wide = pd.DataFrame({"a": [["x", "y"], ["x"]], "b": [["x"], ["y"]]})
    with pytest.raises(NblabelError, match="multi-label"):
        agreement.krippendorff_alpha(wide)


def test_duplicate_long_rows_are_refused() -> None:
    long = pd.DataFrame({"item": [1, 1, 2], "annotator": ["a", "a", "a"], "label": [1, 2, 1]})
    with pytest.raises(NblabelError, match="drop_duplicates"):
        agreement.fleiss_kappa(long)


def test_per_item_agreement() -> None:
    table = agreement.per_item_agreement(WIDE, labels=["neg", "neu", "pos"])
    assert list(table.columns) == ["agreement", "n_ratings", "majority", "majority_share", "tie"]
    assert table.loc["doc0"].tolist() == [1.0, 2, "pos", 1.0, False]
    # a tie takes the first tied label in labels= order, and says it was a tie
    assert table.loc["doc2", ["majority", "tie"]].tolist() == ["neu", True]
    assert table.loc["doc5", "n_ratings"] == 1 and np.isnan(table.loc["doc5", "agreement"])


def test_confusion_tables() -> None:
    pair = agreement.pairwise_confusion(WIDE, "alice", "bob", labels=["neg", "neu", "pos"])
    assert pair.index.name == "alice" and pair.columns.name == "bob"
    assert pair.to_numpy().tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 2]]
    every = agreement.confusion_matrices(WIDE, labels=["neg", "neu", "pos"])
    assert list(every) == [("alice", "bob")]
    pd.testing.assert_frame_equal(every[("alice", "bob")], pair)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, 200)
    wide = pd.DataFrame({a: np.where(rng.random(200) < 0.8, truth, rng.integers(0, 3, 200))
                         for a in "abc"})
    first = agreement.bootstrap(agreement.krippendorff_alpha, wide, n_boot=200, seed=7)
    again = agreement.bootstrap(agreement.krippendorff_alpha, wide, n_boot=200, seed=7)
    other = agreement.bootstrap(agreement.krippendorff_alpha, wide, n_boot=200, seed=8)
    assert first == again and first != other
    est, low, high = first
    assert est == agreement.krippendorff_alpha(wide)
    assert low < est < high and high - low < 0.3
    ordinal = agreement.bootstrap(agreement.krippendorff_alpha, wide, level="ordinal", n_boot=50)
    assert ordinal.estimate == agreement.krippendorff_alpha(wide, level="ordinal")


def test_bootstrap_of_any_callable_and_option_checks() -> None:
    wide = pd.DataFrame({"a": [1, 2, 3, 1, 2, 3], "b": [1, 2, 3, 1, 3, 3]})
    est, low, high = agreement.bootstrap(lambda w: float((w["a"] == w["b"]).mean()), wide,
                                         n_boot=100)
    assert est == pytest.approx(5 / 6) and 0 <= low <= high <= 1
    with pytest.raises(NblabelError, match="takes no option"):
        agreement.bootstrap(agreement.cohen_kappa, wide, level="ordinal")
    with pytest.raises(NblabelError, match="ci="):
        agreement.bootstrap(agreement.cohen_kappa, wide, ci=95)


# -- Label types: a mix of kinds never matches silently ----------------------------------------


@pytest.mark.parametrize("fn", COEFFICIENTS)
def test_numbers_against_text_are_refused(fn) -> None:
    wide = pd.DataFrame({"alice": [1, 2, 3, 1, 2], "bob": ["1", "2", "3", "1", "2"]})
    with pytest.raises(NblabelError, match=r"mix kinds.*whole number 1.*text '1'"):
        fn(wide)


def test_mixed_label_kinds_in_a_long_frame_and_a_store(tmp_path) -> None:
    long = pd.DataFrame({"item": [1, 1, 2, 2], "annotator": ["a", "b", "a", "b"],
                         "label": [True, "yes", False, "no"]})
    with pytest.raises(NblabelError, match="mix kinds"):
        agreement.krippendorff_alpha(long)
    with LabelStore(tmp_path / "mixed.db") as s:
        for item, (a, b) in enumerate([(1, "1"), (2, "2"), (3, "3")]):
            s.append(task="t", item=item, annotator="a", label=a)
            s.append(task="t", item=item, annotator="b", label=b)
        with pytest.raises(NblabelError, match="mix kinds"):
            agreement.cohen_kappa(s, task="t")
        with pytest.raises(NblabelError, match="mix kinds"):
            agreement.report(s, task="t", n_boot=10)


def test_integers_against_floats_warn() -> None:
    wide = pd.DataFrame({"alice": [1, 2, 3, 1], "bob": [1.0, 2.5, 3.0, 1.0]}, dtype=object)
    with pytest.warns(NblabelWarning, match="integers .* and floats"):
        value = agreement.cohen_kappa(wide)
    assert value == pytest.approx(agreement.cohen_kappa(
        pd.DataFrame({"alice": [1, 2, 3, 1], "bob": [1, 4, 3, 1]})))
