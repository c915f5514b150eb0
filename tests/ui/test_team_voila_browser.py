"""The annotators' page (``notebooks/label_app.ipynb``) served by Voila: no code shows, the
widget holds the visitor's claimed batch of the team task, keys label it, and a reloaded page
(a new kernel) resumes in the same claims with every label kept."""

from __future__ import annotations

import json

import pytest
from lab import (
    KernelProbe,
    notebook_in_voila,
    open_notebook_in_voila,
    press,
    screenshot,
    wait_attr,
    wait_saved,
    wait_until,
    widget_errors,
)

ROOT = ".nblabel"
NOTEBOOK = "label_app.ipynb"
BATCH = 8  # the notebook's Assignment(batch=8)


@pytest.fixture(scope="module")
def app(jupyter_server, browser):
    jupyter_server.copy_in(NOTEBOOK)
    with notebook_in_voila(browser, jupyter_server, NOTEBOOK, widgets=ROOT) as (page, probe):
        yield page, probe, jupyter_server


def shown(page) -> str:
    return json.loads(page.locator(ROOT).get_attribute("data-item"))


def test_the_page_labels_the_visitors_batch_and_a_reload_resumes_in_it(app):
    page, probe, server = app
    assert page.locator(".jp-InputArea-editor").count() == 0  # Voila shows no code
    claimed = probe.eval("list(w.session.items[w.session._queue])")  # the batch, in order
    assert len(claimed) == BATCH and shown(page) == claimed[0]
    assert page.locator(f"{ROOT} >> .nblabel-progress").inner_text() == f"0 / {BATCH}"
    for i in range(3):
        press(page, ROOT, "1")
        wait_attr(page, ROOT, "data-item", json.dumps(claimed[i + 1]))
    wait_saved(page, ROOT)
    labeled = wait_until(lambda: probe.eval("sorted(w.labels.index)"))
    assert labeled == sorted(claimed[:3])
    screenshot(page, "team-voila-01", page.locator(ROOT))
    kernel_id = open_notebook_in_voila(page, server, NOTEBOOK, widgets=ROOT)  # a new kernel
    again = KernelProbe.for_kernel(server, kernel_id)
    try:
        # the same visitor: their claims still hold (topped up to a batch), the page resumes
        # where it was, its labels kept
        wait_attr(page, ROOT, "data-item", json.dumps(claimed[3]))
        queue = again.eval("list(w.session.items[w.session._queue])")
        assert set(claimed) <= set(queue)
        assert page.locator(f"{ROOT} >> .nblabel-progress").inner_text().startswith("3 / ")
        page.keyboard.press("2")  # the keys are the widget's at once
        wait_attr(page, ROOT, "data-item", json.dumps(claimed[4]))
        wait_until(lambda: again.eval("len(w.labels)") == 4)
        assert not widget_errors(page), page.errors
    finally:
        again.close()
