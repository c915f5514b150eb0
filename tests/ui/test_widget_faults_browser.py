"""Faults seen in real JupyterLab: a row whose ``display=`` raises shows the error in its
place (as text) and is labeled like any other; a label the kernel could not save stays
pending in the browser, carrying the value the user saw (not the key), and is saved when sent
again; an undo with nothing of this widget's to undo says so."""

from __future__ import annotations

import json

import pytest
from lab import notebook_in_lab, press, wait_attr, wait_saved, widget_errors

NOTEBOOK = "faults/faults.ipynb"
ROOT = ".nblabel"

CELLS = [
    """\
import pandas as pd

import nblabel

df = pd.DataFrame({"t": ["row zero", "row one", "row two"]})


def show(row):
    if row.name == 1:
        raise ValueError("<img src=x onerror=alert(1)> cannot read this row")
    return row.t


w = nblabel.classify(df, options=["pos", "neg"], display=show, store="faults.db",
                     annotator="alice", task="faults")
w
""",
]


@pytest.fixture(scope="module")
def faults(jupyter_server, browser):
    opened = notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS, widgets=ROOT)
    with opened as (page, probe):
        yield page, probe


def test_nothing_to_undo_is_said_in_the_widget(faults):
    page, probe = faults
    press(page, ROOT, "Backspace")
    error = page.locator(f"{ROOT} >> .nblabel-error")
    error.filter(has_text="Nothing saved here to undo").wait_for()
    assert probe.eval("len(w.store.annotations(task='faults'))") == 0


def test_a_label_not_saved_stays_pending_with_its_value_and_is_sent_again(faults):
    page, probe = faults
    broken = "def broken(**kwargs):\n    raise OSError('the disk went away')\n"
    probe.run(broken + "w.store.append = broken")
    press(page, ROOT, "1")
    page.locator(f"{ROOT} >> .nblabel-error").filter(has_text="the disk went away").wait_for()
    wait_attr(page, f"{ROOT} >> .nblabel-status", "data-pending", "1")
    stored = page.evaluate(
        "() => Object.entries(localStorage).filter(([k]) => k.startsWith('nblabel:'))"
    )
    messages = [entry["msg"] for _, v in stored for entry in json.loads(v).values()]
    # the value the user saw, never the key: a restart with other options cannot change it
    assert [(m["kind"], m["value"], m["item"]) for m in messages] == [("label", '"pos"', "0")]
    assert "key" not in messages[0] and "index" not in messages[0]
    probe.run("del w.store.append")  # the disk is back: the browser's resend saves it
    wait_saved(page, ROOT)
    assert probe.eval("w.labels['label'].to_dict()") == {"0": "pos"}
    assert probe.eval("w.error") == ""


def test_a_row_that_cannot_be_shown_shows_why_as_text_and_can_be_labeled(faults):
    page, probe = faults
    wait_attr(page, ROOT, "data-item", "1")  # the broken row, shown from the prefetch
    error = page.locator(f"{ROOT} >> .nblabel-sample >> .nblabel-content-error")
    assert "ValueError: <img src=x onerror=alert(1)> cannot read this row" in error.text_content()
    assert page.locator(f"{ROOT} >> .nblabel-sample img").count() == 0  # text, never markup
    press(page, ROOT, "2")
    wait_attr(page, ROOT, "data-item", "2")
    assert page.locator(f"{ROOT} >> .nblabel-sample").text_content() == "row two"
    wait_saved(page, ROOT)
    assert probe.eval("w.labels['label'].to_dict()") == {"0": "pos", "1": "neg"}
    assert probe.eval("w.error") == ""
    assert not widget_errors(page)
