"""``nblabel.status(...).widget()`` in a real JupyterLab: the lead's live view draws its chart
and its table, and follows labels saved meanwhile by someone else."""

from __future__ import annotations

import pytest
from lab import notebook_in_lab, screenshot, wait_until, widget_errors

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


@pytest.fixture(scope="module")
def lab(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, "status_view/status.ipynb", cells=CELLS,
                         widgets=VIEW, viewport={"width": 1100, "height": 900}) as (page, probe):
        page.locator(VIEW).scroll_into_view_if_needed()
        yield page, probe


def test_the_view_draws_and_follows_the_store(lab):
    page, probe = lab
    view = page.locator(VIEW)
    view.locator("svg rect.bar").first.wait_for()
    assert view.locator("svg rect.bar").count() == 9  # 3 annotators × done, claimed, left
    assert "9 of 24 labels done" in view.inner_text()
    screenshot(page, "status-view-01", view)
    probe.run("for item in plan.claim(store, 't', 'cy')[:1]:\n"
              "    store.append(task='t', item=item, annotator='cy', label='y')")
    wait_until(lambda: "10 of 24 labels done" in view.inner_text(), timeout=15)
    assert not widget_errors(page), page.errors
