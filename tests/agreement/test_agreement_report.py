"""The agreement report, its reading, its HTML and its optional widget; the benchmark file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nblabel import agreement


def _wide(seed: int = 0, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.choice(["neg", "neu", "pos"], n)
    noisy = {"alice": 0.9, "bob": 0.85, "<b>eve</b>": 0.3}
    return pd.DataFrame(
        {
            name: np.where(rng.random(n) < p, truth, rng.choice(["neg", "neu", "pos"], n))
            for name, p in noisy.items()
        },
        index=pd.Index([f"doc{i}" for i in range(n)], name="item"),
    )


def test_report_tables() -> None:
    wide = _wide()
    gold = pd.Series(wide["alice"].to_numpy(), index=wide.index)
    rep = agreement.report(wide, gold=gold, n_boot=100, seed=1)
    assert list(rep.coefficients.columns) == ["estimate", "low", "high"]
    alpha = rep.coefficients.loc["krippendorff_alpha"]
    assert alpha["estimate"] == pytest.approx(agreement.krippendorff_alpha(wide))
    assert alpha["low"] <= alpha["estimate"] <= alpha["high"]
    assert rep.annotators.loc["alice", "accuracy"] == 1.0
    assert rep.annotators["agreement"].idxmin() == "<b>eve</b>"
    assert rep.annotators.loc["<b>eve</b>", "alpha_without"] > alpha["estimate"]
    assert list(rep.classes.index) == ["neg", "neu", "pos"]
    assert rep.classes["n_ratings"].sum() == wide.notna().sum().sum()
    assert rep.confused_pairs["share"].sum() == pytest.approx(1.0)
    assert "<b>eve</b>" in rep.reading and rep.reading.startswith("Krippendorff's α")
    # same seed, same report
    again = agreement.report(wide, gold=gold, n_boot=100, seed=1)
    pd.testing.assert_frame_equal(rep.coefficients, again.coefficients)


def test_two_annotators_add_cohen_and_scott() -> None:
    rep = agreement.report(_wide()[["alice", "bob"]], n_boot=20)
    assert {"cohen_kappa", "scott_pi"} <= set(rep.coefficients.index)


@pytest.mark.parametrize(
    ("alpha", "verdict"),
    [(0.85, "reliable"), (0.8, "reliable"), (0.7, "tentative"), (0.5, "unreliable")],
)
def test_reading_uses_krippendorffs_thresholds(alpha: float, verdict: str) -> None:
    text = agreement.reading(alpha)
    assert verdict in text
    assert ("unreliable" in text) == (verdict == "unreliable")


def test_reading_warns_when_the_interval_crosses_the_threshold() -> None:
    assert "uncertain" in agreement.reading(0.7, 0.6, 0.8)
    assert "undefined" in agreement.reading(float("nan"))


def test_html_escapes_user_strings() -> None:
    rep = agreement.report(_wide(), n_boot=20)
    page = rep._repr_html_()
    assert "&lt;b&gt;eve&lt;/b&gt;" in page and "<b>eve</b>" not in page
    assert "AgreementReport(" in repr(rep)


def test_widget_has_summary_and_heat_map() -> None:
    bqplot = pytest.importorskip("bqplot")
    ipywidgets = pytest.importorskip("ipywidgets")
    long = _wide().reset_index().melt(id_vars="item", var_name="annotator", value_name="label")
    rep = agreement.report(long.assign(task="<script>"), task="<script>", n_boot=20)
    box = rep.widget()
    assert isinstance(box, ipywidgets.VBox) and "nblabel" in box._dom_classes
    assert ".nblabel {" in box.children[0].value  # the class's look, whatever is on the page
    summary, figures, caption = box.children
    assert isinstance(summary, ipywidgets.HTML) and isinstance(caption, ipywidgets.HTML)
    assert "&lt;script&gt;" in summary.value and "<script>" not in summary.value
    assert "&lt;b&gt;eve&lt;/b&gt;" in summary.value
    labels, annotators = (figure.marks[0] for figure in figures.children)
    assert isinstance(labels, bqplot.GridHeatMap)
    assert np.asarray(labels.color).shape == (3, 3)
    pairwise = rep.pairwise.to_numpy()
    assert np.asarray(annotators.color).shape == pairwise.shape
    off = ~np.eye(len(pairwise), dtype=bool)
    np.testing.assert_allclose(np.asarray(annotators.color)[off], pairwise[off])


def test_heat_maps_print_values_have_a_legend_and_leave_the_diagonal_out() -> None:
    bqplot = pytest.importorskip("bqplot")
    pytest.importorskip("ipywidgets")
    wide = pd.DataFrame({"a": list("xxyyzzxy"), "b": list("xxyyzzyx"), "c": list("xyyzzxxy")})
    rep = agreement.report(wide, n_boot=20)
    for figure, table in zip(
        rep.widget().children[1].children, (rep.class_confusion, rep.pairwise), strict=True
    ):
        heat, texts = figure.marks
        values = table.to_numpy(dtype=float)
        n = len(values)
        off = ~np.eye(n, dtype=bool)
        # every cell prints its value (the annotator map prints a dash on its diagonal)
        assert isinstance(texts, bqplot.Label) and len(texts.text) == n * n
        printed = np.asarray(texts.text, dtype=object).reshape(n, n)
        fmt = ".2f" if table is rep.pairwise else ".3g"
        assert [format(v, fmt) for v in values[off]] == list(printed[off])
        assert list(texts.x[:n]) == [str(c) for c in table.columns]
        # the colour scale spans the off-diagonal values only, and a legend shows it
        scale = heat.scales["color"]
        assert scale.min == values[off].min() and scale.max == values[off].max()
        assert values[np.eye(n, dtype=bool)].max() > scale.max  # the diagonal is outside
        legends = [axis for axis in figure.axes if isinstance(axis, bqplot.ColorAxis)]
        assert len(legends) == 1 and legends[0].scale is scale
        # the row axis title sits left of the longest tick label
        left = next(a for a in figure.axes if a.side == "left")
        assert int(left.label_offset.rstrip("px")) >= 8 * max(len(str(i)) for i in table.index)
    assert list(np.asarray(rep.widget().children[1].children[1].marks[1].text)[::4]) == ["—"] * 3
    caption = rep.widget().children[-1].value  # under the maps: what they show
    assert "coincidences" in caption and "diagonal is printed but not coloured" in caption


def test_benchmark_file_quick_run() -> None:
    path = Path(__file__).parents[2] / "benchmarks" / "bench_agreement.py"
    spec = importlib.util.spec_from_file_location("bench_agreement", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.run(quick=True)
    assert [r["name"].split(",")[0] for r in rows] == [
        "krippendorff_alpha nominal",
        "krippendorff_alpha interval",
    ]
    for row in rows:
        assert set(row) == {"name", "nblabel_s", "baseline", "baseline_s", "target", "passed"}
        assert row["nblabel_s"] > 0 and row["baseline_s"] > 0
        assert row["baseline"].startswith("krippendorff ") and isinstance(row["passed"], bool)


def test_pairwise_agreement_counts_shared_items_only():
    wide = pd.DataFrame({"a": ["x", "y", "x", None], "b": ["x", "y", "y", "x"],
                         "c": ["x", "x", "x", "x"], "d": [None, None, None, "y"]})  # fmt: skip
    pairs = agreement.report(wide, n_boot=20).pairwise
    assert pairs.loc["a", "b"] == pytest.approx(2 / 3)  # items 0-2 shared; 0 and 1 agree
    assert pairs.loc["b", "c"] == pytest.approx(2 / 4)
    assert pairs.loc["c", "b"] == pairs.loc["b", "c"]
    assert pairs.loc["a", "a"] == 1.0
    assert np.isnan(pairs.loc["a", "d"])  # no item in common
