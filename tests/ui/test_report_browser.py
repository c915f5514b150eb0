"""The agreement report view in real JupyterLab: the summary and the bqplot heat map of
how annotators' labels coincide render, and user strings in it are shown as text; each cell
prints its value, each map has a colour legend, and no axis title overlaps a tick label."""

from __future__ import annotations

import pytest
from lab import (
    notebook_in_lab,
    screenshot,
    widget_errors,
)

NOTEBOOK = "report/report.ipynb"
CELLS = [
    """\
import numpy as np, nblabel
from nblabel import agreement
store = nblabel.LabelStore("report.db")
rng = np.random.default_rng(0)
options = ["pos", "neg", "<b>neutral</b>"]
for item in range(40):
    truth = options[item % 3]
    for annotator, accuracy in {"alice": 0.9, "bob": 0.7, "carl": 0.5}.items():
        label = truth if rng.random() < accuracy else options[rng.integers(3)]
        store.append(task="<i>t</i>", item=item, annotator=annotator, label=label)
report = agreement.report(store, "<i>t</i>", seed=0, n_boot=200)
view = report.widget()
view
""",
]


@pytest.fixture(scope="module")
def report_page(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS, widgets=".nblabel") as (
        page,
        probe,
    ):
        yield page, probe


def test_report_renders_summary_and_heat_map(report_page):
    page, probe = report_page
    root = page.locator(".nblabel").first
    root.locator("svg").first.wait_for()
    summary = root.inner_text()
    assert "40 items, 3 annotators, 120 ratings" in summary
    assert probe.eval("report.reading") in summary
    # two heat maps: 3 x 3 label pairs, then 3 x 3 annotator pairs
    page.wait_for_function(
        "() => document.querySelectorAll('.nblabel svg .heatmapcell').length === 18"
    )
    text = root.inner_text()
    assert "Labels given to the same item" in text and "Agreement between annotators" in text
    # the task name and labels are user strings: shown as text, never as markup
    assert "<i>t</i>" in summary
    html_part = root.locator(".widget-html").first  # the summary (the caption is the last)
    assert html_part.locator("i").count() == 0  # the task name "<i>t</i>" stays text
    assert "<i>t</i>" in html_part.inner_text()
    assert not widget_errors(page), page.errors
    # the two maps side by side where the page has room (they wrap on a narrow one: see
    # test_themes_browser), inside the view's box
    maps = [root.locator(".bqplot.figure").nth(i).bounding_box() for i in range(2)]
    frame = root.bounding_box()
    assert maps[0]["y"] == maps[1]["y"] and maps[0]["x"] + maps[0]["width"] <= maps[1]["x"]
    assert maps[1]["x"] + maps[1]["width"] <= frame["x"] + frame["width"]
    screenshot(page, "report-01", root)


# For each figure: the printed cell values, whether it has a colour legend, and the
# horizontal gap between the row axis title and the tick labels it names (≥ 0: no overlap).
FIGURE_FACTS = """() => [...document.querySelectorAll('.nblabel .bqplot.figure')].map(fig => {
    const texts = [...fig.querySelectorAll('.label.element')].map(t => t.textContent);
    const legend = fig.querySelectorAll('.ColorBar').length;
    const axes = [...fig.querySelectorAll('.axis')].filter(a => a.querySelector('.axislabel'));
    const gaps = axes.map(axis => {
        const title = axis.querySelector('.axislabel').getBoundingClientRect();
        const ticks = [...axis.querySelectorAll('.tick text')].map(t => t.getBoundingClientRect());
        if (!ticks.length) return null;
        const box = r => ({l: r.left, r: r.right, t: r.top, b: r.bottom});
        const overlaps = ticks.filter(t => {
            const a = box(t), b = box(title);
            return a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;
        });
        return overlaps.length;
    });
    return {texts, legend, overlaps: gaps.filter(g => g !== null)};
})"""


def test_heat_maps_print_values_with_a_legend_and_no_overlap(report_page):
    page, probe = report_page
    page.wait_for_function(
        "() => document.querySelectorAll('.nblabel .label.element').length === 18"
    )
    labels, annotators = page.evaluate(FIGURE_FACTS)
    pairwise = probe.eval("[format(v, '.2f') for v in report.pairwise.to_numpy().ravel()]")
    expected = [value if i % 4 else "—" for i, value in enumerate(pairwise)]  # diagonal: dash
    assert annotators["texts"] == expected
    counts = probe.eval("[format(v, '.3g') for v in report.class_confusion.to_numpy().ravel()]")
    assert labels["texts"] == counts
    assert labels["legend"] == annotators["legend"] == 1
    for figure in (labels, annotators):
        assert figure["overlaps"] and not any(figure["overlaps"])  # titles clear of ticks
    # under the maps, a caption says what they count and why the diagonal is white
    caption = page.locator(".nblabel .widget-html", has_text="coincidences")
    maps = page.locator(".nblabel .bqplot.figure").first.bounding_box()
    below = caption.bounding_box()
    assert below["y"] >= maps["y"] + maps["height"] - 1 and below["height"] > 10
    assert "diagonal is printed but not coloured" in caption.inner_text()
    assert not widget_errors(page), page.errors
    screenshot(page, "report-02-heat-maps", page.locator(".nblabel").first)
