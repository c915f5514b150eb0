"""``nblabel.status(...).widget()`` in a real JupyterLab and in Notebook 7: the lead's live view
draws its chart and its table (headings in words, figures right-aligned, the team's row apart),
and follows labels saved meanwhile by someone else."""

from __future__ import annotations

import pytest
from lab import (
    FRONT_ENDS,
    notebook_in_front_end,
    screenshot,
    wait_until,
    widget_errors,
)

VIEW = ".nblabel-status-view"
CELLS = [
    """\
import nblabel

store = nblabel.LabelStore("status_view.db")
plan = nblabel.Assignment(overlap=2, batch=4, claim_timeout=600)
for who in ("alice", "bob", "cy"):
    for item in plan.claim(store, "t", who, items=range(12))[:3]:
        store.append(task="t", item=item, annotator=who, label="x")
view = nblabel.status(store, task="t").widget(every=1)
view
""",
]

# the drawn height of each bar, per annotator (done, claimed, left, stacked)
BARS = """scope => [...document.querySelector(scope).querySelectorAll('svg g.bargroup')]
    .map(g => [...g.querySelectorAll('rect.bar')].map(r => r.getBoundingClientRect().height))"""

# the legend: its words and swatch colours, the fills of one annotator's bars (done, claimed,
# left), whether a word of it is drawn in the chart too, and where it sits beside the chart
LEGEND = """scope => {
    const view = document.querySelector(scope);
    const legend = view.querySelector('.nblabel-status-legend');
    const svg = view.querySelector('svg');
    const bars = [...view.querySelector('svg g.bargroup').querySelectorAll('rect.bar')];
    return {
        words: [...legend.querySelectorAll('span')].map(s => s.textContent),
        swatches: [...legend.querySelectorAll('i')].map(i => getComputedStyle(i).backgroundColor),
        fills: bars.map(r => getComputedStyle(r).fill),
        inChart: [...svg.querySelectorAll('text')].some(t => t.textContent === 'claimed'),
        legendBottom: legend.getBoundingClientRect().bottom,
        barsTop: Math.min(...[...svg.querySelectorAll('rect.bar')]
            .map(r => r.getBoundingClientRect().top)),
    };
}"""

# the tick labels of the axis of counts
COUNT_TICKS = """scope => [...document.querySelector(scope).querySelectorAll('svg g.axis')]
    .filter(axis => [...axis.querySelectorAll('text.axislabel')]
        .some(label => label.textContent === 'labels'))
    .flatMap(axis => [...axis.querySelectorAll('g.tick text')].map(t => t.textContent))"""

# how the table is drawn: computed styles of its parts
TABLE_LOOK = """t => {
    const style = (e) => getComputedStyle(e);
    const cell = t.querySelector('tbody td'), total = t.querySelector('tfoot td');
    const name = t.querySelector('tbody th');
    return {collapse: style(t).borderCollapse, tableBorder: style(t).borderTopWidth,
            numberAlign: style(cell).textAlign, nameAlign: style(name).textAlign,
            cellSides: style(cell).borderLeftWidth, cellBottom: style(cell).borderBottomWidth,
            rowWeight: style(cell).fontWeight, totalWeight: style(total).fontWeight,
            totalTop: style(total).borderTopWidth};
}"""


@pytest.fixture(scope="module", params=FRONT_ENDS)
def opened(request, jupyter_server, browser):
    """The notebook in JupyterLab, then in Notebook 7."""
    with notebook_in_front_end(
        request.param,
        browser,
        jupyter_server,
        "status.ipynb",
        cells=CELLS,
        widgets=VIEW,
        viewport={"width": 1100, "height": 900},
    ) as (page, probe):
        page.locator(VIEW).scroll_into_view_if_needed()
        yield page, probe, "" if request.param == "lab" else "-notebook7"


def test_the_view_draws_and_follows_the_store(opened):
    page, probe, suffix = opened
    view = page.locator(VIEW)
    view.locator("svg rect.bar").first.wait_for()
    assert view.locator("svg rect.bar").count() == 9  # 3 annotators × done, claimed, left
    assert "9 of 24 labels done" in view.inner_text()
    alice, _bob, cy = page.evaluate(BARS, VIEW)
    assert alice[0] > 0 and cy[0] == pytest.approx(alice[0], abs=0.5)  # 3 done each
    # the legend is a line above the chart, never drawn over the tallest bars; its swatches
    # are the bars' colours
    legend = page.evaluate(LEGEND, VIEW)
    assert legend["words"] == ["done", "claimed", "left"] and not legend["inChart"]
    assert legend["swatches"] == legend["fills"] and len(set(legend["fills"])) == 3
    assert legend["legendBottom"] <= legend["barsTop"]
    # counts on whole ticks, each once, up to the tallest bar (12 slots: 0, 2, ..., 12)
    assert page.evaluate(COUNT_TICKS, VIEW) == [str(n) for n in range(0, 13, 2)]
    # the table: one heading row in words, numbers right-aligned, single rules, the team apart
    table = view.locator("table.nblabel-status-table")
    assert table.locator("thead tr").count() == 1
    assert table.locator("thead th").all_inner_texts() == [
        "annotator",
        "done",
        "claimed",
        "left",
        "pace (labels/h)",
        "ETA",
    ]
    assert table.locator("tbody th").all_inner_texts() == ["alice", "bob", "cy"]
    look = table.evaluate(TABLE_LOOK)
    assert look["collapse"] == "collapse" and look["tableBorder"] == "0px"
    assert look["numberAlign"] == "right" and look["nameAlign"] == "left"
    assert look["cellSides"] == "0px" and look["cellBottom"] == "1px"
    assert int(look["totalWeight"]) > int(look["rowWeight"]) and look["totalTop"] == "2px"
    # under the table, small: what ETA means in an annotator's row and in the team's
    caption, rows = table.locator("caption"), table.locator("tfoot").bounding_box()
    assert caption.inner_text().startswith("ETA: an annotator's claimed items at their pace")
    assert caption.bounding_box()["y"] >= rows["y"] + rows["height"] - 1
    screenshot(page, f"status-view-01{suffix}", view)
    if suffix:
        screenshot(page, f"status-view-page{suffix}")  # the view in Notebook 7's page
    probe.run(
        "for item in plan.claim(store, 't', 'cy')[:1]:\n"
        "    store.append(task='t', item=item, annotator='cy', label='y')"
    )
    wait_until(lambda: "10 of 24 labels done" in view.inner_text(), timeout=15)

    # the chart follows: cy's done bar is now 4/3 of alice's (the scale may have changed)
    def cy_grew():
        alice, _bob, cy = page.evaluate(BARS, VIEW)
        return alice[0] > 0 and abs(cy[0] / alice[0] - 4 / 3) < 0.02

    wait_until(cy_grew, timeout=10)
    screenshot(page, f"status-view-02{suffix}", view)
    assert not widget_errors(page), page.errors
