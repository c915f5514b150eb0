"""The widget served by Voila, as a labeling page for people who write no code: Voila runs
the notebook itself and shows only its outputs. Keys the widget owns act on it, stray letters
and ``Space`` do nothing (no label, no scroll), labels are saved, and a reloaded page (a new
kernel: Voila runs the notebook again) resumes at the item it showed, skips kept, with the keys
on the widget at once."""

from __future__ import annotations

import json

import pytest
from lab import (
    KernelProbe,
    notebook_in_voila,
    open_notebook_in_voila,
    press,
    screenshot,
    scroll_offsets,
    wait_attr,
    wait_saved,
    wait_until,
    widget_errors,
)

ROOT = ".nblabel"
NOTEBOOK = "voila/voila.ipynb"
N = 12

CELLS = [
    f"""\
import pandas as pd

import nblabel

ids = [f"r{{i}}" for i in range({N})]
df = pd.DataFrame({{"t": [f"row {{i}}" for i in range({N})]}}, index=ids)
print("\\n".join(f"line {{i}}" for i in range(60)))  # a tall page, something to scroll
w = nblabel.classify(df, options=["pos", "neg"], text="t", annotator="alice", task="voila",
                     store="voila.db")
w
""",
]


def item(i: int) -> str:
    return json.dumps(f"r{i}")


@pytest.fixture(scope="module")
def voila(jupyter_server, browser):
    opened = notebook_in_voila(browser, jupyter_server, NOTEBOOK, cells=CELLS, widgets=ROOT)
    with opened as (page, probe):
        page.locator(ROOT).scroll_into_view_if_needed()
        yield page, probe, jupyter_server


def test_keys_label_and_stray_keys_do_nothing_under_voila(voila):
    page, probe, _ = voila
    assert page.locator(".jp-InputArea-editor").count() == 0  # Voila shows no code
    press(page, ROOT, "1")  # r0: pos
    wait_attr(page, ROOT, "data-item", item(1))
    scrolled = scroll_offsets(page, ROOT)
    for key in ("a", "b", "d", "d", "m", "x", " "):
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert scroll_offsets(page, ROOT) == scrolled  # Space scrolled nothing
    assert page.locator(ROOT).get_attribute("data-item") == item(1)
    assert page.evaluate("document.activeElement.closest('.nblabel') !== null")
    press(page, ROOT, "2")  # r1: neg
    wait_attr(page, ROOT, "data-item", item(2))
    wait_saved(page, ROOT)
    wait_until(lambda: probe.eval("w.labels['label'].to_dict()") == {"r0": "pos", "r1": "neg"})
    screenshot(page, "voila-01-labeled", page.locator(ROOT))
    assert not widget_errors(page), page.errors


def test_a_reloaded_voila_page_resumes_with_every_label_and_skip(voila):
    page, probe, server = voila
    wait_attr(page, ROOT, "data-item", item(2))
    press(page, ROOT, "ArrowRight")  # skip r2: r3 is on the page
    wait_attr(page, ROOT, "data-item", item(3))
    wait_until(lambda: probe.eval("w.current") == "r3")
    kernel_id = open_notebook_in_voila(page, server, NOTEBOOK, widgets=ROOT)  # a new kernel
    probe = KernelProbe.for_kernel(server, kernel_id)
    try:
        # resumes at the item the page showed: the skip is kept
        wait_attr(page, ROOT, "data-item", item(3))
        assert probe.eval("w.labels['label'].to_dict()") == {"r0": "pos", "r1": "neg"}
        assert page.locator(f"{ROOT} >> .nblabel-progress").inner_text() == f"2 / {N}"
        # the page opens with the keys on the widget: no click needed
        wait_until(lambda: page.evaluate("document.activeElement.closest('.nblabel') !== null"))
        page.keyboard.press("1")
        wait_attr(page, ROOT, "data-item", item(4))
        wait_saved(page, ROOT)
        assert probe.eval("w.labels['label'].to_dict()") == {"r0": "pos", "r1": "neg", "r3": "pos"}
        screenshot(page, "voila-02-reloaded", page.locator(ROOT))
        assert not widget_errors(page), page.errors
    finally:
        probe.close()
