"""``nblabel.status(...).widget()`` in a real JupyterLab and in Notebook 7: the lead's live view
draws its chart and its table, and follows labels saved meanwhile by someone else."""

from __future__ import annotations

import pytest
from lab import notebook_in_lab, notebook_in_notebook7, screenshot, wait_until, widget_errors

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


@pytest.fixture(scope="module", params=["lab", "notebook7"])
def opened(request, jupyter_server, browser):
    """The notebook in JupyterLab, then in Notebook 7 (its own folder, so its own store)."""
    opener, path = {"lab": (notebook_in_lab, "status_view/status.ipynb"), "notebook7": (
        notebook_in_notebook7, "status_view_nb7/status.ipynb")}[request.param]
    with opener(browser, jupyter_server, path, cells=CELLS, widgets=VIEW,
                viewport={"width": 1100, "height": 900}) as (page, probe):
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
    screenshot(page, f"status-view-01{suffix}", view)
    if suffix:
        screenshot(page, f"status-view-page{suffix}")  # the view in Notebook 7's page
    probe.run("for item in plan.claim(store, 't', 'cy')[:1]:\n"
              "    store.append(task='t', item=item, annotator='cy', label='y')")
    wait_until(lambda: "10 of 24 labels done" in view.inner_text(), timeout=15)

    # the chart follows: cy's done bar is now 4/3 of alice's (the scale may have changed)
    def cy_grew():
        alice, _bob, cy = page.evaluate(BARS, VIEW)
        return alice[0] > 0 and abs(cy[0] / alice[0] - 4 / 3) < 0.02

    wait_until(cy_grew, timeout=10)
    screenshot(page, f"status-view-02{suffix}", view)
    assert not widget_errors(page), page.errors
