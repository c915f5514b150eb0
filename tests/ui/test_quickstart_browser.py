"""The quickstart notebook as a new user meets it: run it in JupyterLab, label three reviews
with the keyboard in the first widget, one of them with a reason typed into its box, and
find the labels in ``w.labels``. Also renders ``docs/quickstart.png`` (the README's picture)."""

from __future__ import annotations

import json
import os

import pytest
from lab import (
    ARTIFACTS,
    REPO,
    notebook_cells,
    notebook_in_lab,
    press,
    screenshot,
    wait_attr,
    widget_errors,
)

RUNS = "get_ipython().execution_count"  # cells run so far (probes do not count)
NOTEBOOK = "quickstart.ipynb"
SENTIMENT = ".nblabel-classify >> nth=0"  # w: the first widget of the notebook
STATUS = f"{SENTIMENT} >> .nblabel-status"
REASON = "broke after 1 2 days"  # digits typed into the box stay text
DOCS_PNG = REPO / "docs" / "quickstart.png"


def item(name: str) -> str:
    return json.dumps(name)


@pytest.fixture(scope="module")
def quickstart(jupyter_server, browser):
    jupyter_server.copy_in(NOTEBOOK)
    viewport = {"width": 1100, "height": 900}
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, min_widget_views=4,
                         widgets=".nblabel", viewport=viewport) as (page, probe):
        yield page, probe


def test_quickstart_runs_and_shows_its_widgets(quickstart):
    page, probe = quickstart
    for kind, n in (("classify", 2), ("rate", 1), ("caption", 1)):
        assert page.locator(f".nblabel-{kind}").count() == n, kind
    root = page.locator(SENTIMENT)
    assert root.get_attribute("data-item") == item("r001")
    text = root.locator(".nblabel-sample .nblabel-text").inner_text()
    assert text == probe.eval("df.loc['r001', 'review']")
    assert root.locator(".nblabel-option .nblabel-option-label").all_inner_texts() == [
        "pos", "neg", "neutral"]
    assert root.locator(".nblabel-rationale").is_visible()  # rationale=True
    assert root.locator(".nblabel-progress").inner_text() == "0 / 48"
    assert probe.eval("len(w.labels)") == 0
    assert not widget_errors(page), page.errors
    assert not page.blocked, page.blocked


def test_label_three_with_a_reason(quickstart):
    page, probe = quickstart
    cells, runs = notebook_cells(page), probe.eval(RUNS)
    root = page.locator(SENTIMENT)
    press(page, SENTIMENT, "1")  # r001: pos
    wait_attr(page, SENTIMENT, "data-item", item("r002"))

    box = root.locator(".nblabel-rationale")
    box.click()
    page.keyboard.type(REASON)
    assert box.input_value() == REASON
    page.wait_for_timeout(200)  # a key that labeled would have moved on by now
    assert root.get_attribute("data-item") == item("r002")
    wait_attr(page, STATUS, "data-pending", "0")
    assert probe.eval("len(w.labels)") == 1

    page.keyboard.press("Escape")  # leaves the box: keys label again, no click needed
    assert page.evaluate("document.activeElement.classList.contains('nblabel')")
    page.keyboard.press("2")  # r002: neg, with the reason from the box
    wait_attr(page, SENTIMENT, "data-item", item("r003"))
    assert box.input_value() == ""  # the box is fresh for the next item
    press(page, SENTIMENT, "3")  # r003: neutral
    wait_attr(page, SENTIMENT, "data-item", item("r004"))
    wait_attr(page, STATUS, "data-pending", "0")
    wait_attr(page, STATUS, "data-saved", "3")

    labels = probe.eval("w.labels[['label', 'rationale']].to_dict('index')")
    assert labels == {  # no reason given: None
        "r001": {"label": "pos", "rationale": None},
        "r002": {"label": "neg", "rationale": REASON},
        "r003": {"label": "neutral", "rationale": None},
    }
    assert probe.eval("w.labels['annotator'].nunique()") == 1
    assert root.locator(".nblabel-progress").inner_text() == "3 / 48"
    assert probe.eval("w.progress.done") == 3
    assert notebook_cells(page) == cells  # no key reached JupyterLab
    assert probe.eval(RUNS) == runs


def test_screenshot_for_the_readme(quickstart):
    page, _ = quickstart
    root = page.locator(SENTIMENT)
    root.scroll_into_view_if_needed()
    page.mouse.move(0, 0)  # no hover highlight on a button
    assert root.evaluate("e => e.contains(document.activeElement)")  # focus ring shown
    screenshot(page, "quickstart-widget", root)  # the widget alone
    # the README's copy keeps a margin of the notebook around the widget's rounded border
    box = root.bounding_box()
    margin = 6  # the collapsed code cell above starts 7 px higher
    # the README's picture is refreshed on request only: a test run leaves the tree clean
    target = DOCS_PNG if os.environ.get("NBLABEL_UPDATE_DOCS") else ARTIFACTS / DOCS_PNG.name
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), clip={
        "x": box["x"] - margin, "y": box["y"] - margin,
        "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin})
    from PIL import Image

    with Image.open(target) as png:
        width, height = png.size
        corner = png.convert("RGB").getpixel((2, 2))
    assert 600 <= width <= 900, width  # the widget's width (max 820 px), not the page's
    assert 200 <= height <= 600, height
    assert corner == (255, 255, 255), corner  # the notebook's background, not the widget
