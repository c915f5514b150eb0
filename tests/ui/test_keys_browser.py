"""Keys in a focused widget, in JupyterLab and in Notebook 7: the keys the widget owns act on
it, stray letters that the notebook binds in command mode (``a`` inserts a cell above, ``d d``
deletes one, ``m`` turns it into Markdown) never reach the notebook, the focus stays in the
widget, and ``Space`` does not scroll the page. One notebook, opened in each front end."""

from __future__ import annotations

import json
import re

import pytest
from lab import (
    notebook_cells,
    notebook_in_lab,
    notebook_in_notebook7,
    press,
    screenshot,
    scroll_offsets,
    wait_attr,
    wait_saved,
    wait_until,
    widget_errors,
)

RUNS = "get_ipython().execution_count"  # cells run so far (probes do not count)
ROOT = ".nblabel"
N = 20

CELLS = [
    f"""\
import pandas as pd

import nblabel

ids = [f"r{{i}}" for i in range({N})]
df = pd.DataFrame({{"t": [f"row {{i}}" for i in range({N})]}}, index=ids)
""",
    # a tall output above the widget, so that the page has something to scroll
    "print('\\n'.join(f'line {i}' for i in range(80)))",
    # the store is per front end ({frontend}): each page starts with no labels
    """\
w = nblabel.classify(df, options=["pos", "neg"], text="t", annotator="alice", task="t",
                     store="keys_{frontend}.db")
w
""",
    "print('after the widget')",
]

# letters Lab and Notebook 7 bind in command mode, then Space
STRAY = ("a", "b", "d", "d", "m", "x", "y", "z", "c", "v", "Shift+M", "Shift+L", " ")


def item(i: int) -> str:
    return json.dumps(f"r{i}")


@pytest.fixture(scope="module", params=["lab", "notebook7"])
def frontend(request, jupyter_server, browser):
    opener = notebook_in_lab if request.param == "lab" else notebook_in_notebook7
    name = f"keys/keys_{request.param}.ipynb"
    cells = [*CELLS[:2], CELLS[2].replace("{frontend}", request.param), *CELLS[3:]]
    with opener(browser, jupyter_server, name, cells=cells, widgets=ROOT) as (page, probe):
        page.locator(ROOT).scroll_into_view_if_needed()
        yield request.param, page, probe


def labels(probe) -> dict:
    return probe.eval("w.labels['label'].to_dict()")


def test_stray_letters_never_reach_the_notebook(frontend):
    name, page, probe = frontend
    cells, runs = notebook_cells(page), probe.eval(RUNS)
    assert cells == ["code"] * len(CELLS)
    press(page, ROOT, "ArrowRight")  # focus, and move the page a little: r1
    wait_attr(page, ROOT, "data-item", item(1))
    scrolled = scroll_offsets(page, ROOT)
    for key in STRAY:
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert notebook_cells(page) == cells  # no cell added, deleted, cut, pasted or retyped
    assert probe.eval(RUNS) == runs
    assert page.evaluate("document.activeElement.closest('.nblabel') !== null")
    assert scroll_offsets(page, ROOT) == scrolled  # Space scrolled nothing
    assert labels(probe) == {}
    assert page.locator(ROOT).get_attribute("data-item") == item(1)
    screenshot(page, f"keys-01-{name}-after-stray-keys")


def test_owned_keys_act_on_the_widget_only(frontend):
    _, page, probe = frontend
    cells, runs = notebook_cells(page), probe.eval(RUNS)
    press(page, ROOT, "2")
    wait_attr(page, ROOT, "data-item", item(2))
    press(page, ROOT, "ArrowLeft")
    wait_attr(page, ROOT, "data-item", item(1))
    press(page, ROOT, "Enter")  # nothing to confirm in single-label classify: no cell edited
    press(page, ROOT, "1")
    wait_attr(page, ROOT, "data-item", item(2))
    wait_saved(page, ROOT)
    wait_until(lambda: labels(probe) == {"r1": "pos"})
    assert notebook_cells(page) == cells
    assert probe.eval(RUNS) == runs
    assert page.locator(".jp-Notebook.jp-mod-editMode").count() == 0
    assert page.evaluate("document.activeElement.closest('.nblabel') !== null")


def test_a_clicked_button_keeps_the_keys_too(frontend):
    """A click on a nav button leaves the focus on that button: letters pressed then are
    the widget's as well."""
    _, page, probe = frontend
    cells, runs = notebook_cells(page), probe.eval(RUNS)
    page.locator(f"{ROOT} >> .nblabel-skip").click()
    wait_attr(page, ROOT, "data-item", item(3))
    assert page.evaluate("document.activeElement.classList.contains('nblabel-skip')")
    for key in ("a", "b", "d", "d", "m", "x"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert notebook_cells(page) == cells
    assert probe.eval(RUNS) == runs
    assert page.evaluate("document.activeElement.closest('.nblabel') !== null")
    page.keyboard.press("2")  # still labels
    wait_attr(page, ROOT, "data-item", item(4))
    wait_saved(page, ROOT)
    assert labels(probe) == {"r1": "pos", "r3": "neg"}
    assert not widget_errors(page), page.errors


def test_question_mark_lists_every_key_and_the_status_names_item_annotator_pace(frontend):
    name, page, probe = frontend
    cells = notebook_cells(page)
    helper = page.locator(f"{ROOT} >> .nblabel-help")
    assert helper.is_hidden()
    press(page, ROOT, "?")
    helper.wait_for(state="visible")
    rows = helper.locator("tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    expected = probe.eval("w.key_help")  # from the key map, in Python
    names = {"Enter": "⏎", "Backspace": "⌫", "ArrowLeft": "←", "ArrowRight": "→", "Escape": "Esc"}
    assert rows == [[names.get(key, key), does] for key, does in expected]
    assert ["1", "pick pos"] in rows and ["2", "pick neg"] in rows
    assert ["?", "show or hide the list of keys"] in rows
    assert ["→", "skip: leave the item for later"] in rows
    screenshot(page, f"keys-02-{name}-help", page.locator(ROOT))
    press(page, ROOT, "?")
    helper.wait_for(state="hidden")
    assert notebook_cells(page) == cells  # "?" is no notebook shortcut either

    status = page.locator(f"{ROOT} >> .nblabel-status")
    current = probe.eval("w.current")
    assert f"item {current}" in status.inner_text()
    assert "annotator: alice" in status.inner_text()
    # two labels made in this view (the tests above): a pace and the time left
    pace = page.locator(f"{ROOT} >> .nblabel-pace").inner_text()
    left = probe.eval("w.progress.total - w.progress.done")
    assert left > 0
    shape = r" · (<1 min|~\d+ min|~\d+ h \d+ min) left at [\d.]+ s per label"
    assert re.fullmatch(shape, pace), pace
