"""review_steps in real JupyterLab: keys label the steps in turn, the first wrong step ends the
item and the store holds the list of step labels; ArrowUp takes a step back. In JupyterLab and
in Notebook 7."""

from __future__ import annotations

import json

import pytest
from lab import (
    FRONT_ENDS,
    notebook_in_front_end,
    press,
    screenshot,
    wait_attr,
    wait_saved,
    widget_errors,
)

W = ".nblabel-steps"

CELLS = [
    """\
import pandas as pd

import nblabel

df = pd.DataFrame(
    {"question": ["Is 91 prime?", "12 * 3 + 4?"],
     "steps": [["91 is odd", "91 = 7 * 13", "So 91 is prime", "Done"],
               ["12 * 3 = 36", "36 + 4 = 40"]]},
    index=["b", "a"],
)
store = nblabel.LabelStore("steps.db")
w = nblabel.review_steps(df, question="question", steps="steps",
                         options=["correct", "wrong", "unclear"], stop_at_first="wrong",
                         store=store, annotator="alice", task="steps")
w
""",
]


@pytest.fixture(scope="module", params=FRONT_ENDS)
def frontend(request, jupyter_server, browser):
    with notebook_in_front_end(request.param, browser, jupyter_server, "steps.ipynb",
                               cells=CELLS, widgets=".nblabel-steps") as (page, probe):
        yield page, probe, request.param


def test_steps_are_labeled_in_turn_and_the_first_wrong_ends_the_item(frontend):
    page, probe, name = frontend
    wait_attr(page, W, "data-item", json.dumps("b"))
    widget = page.locator(W)
    assert widget.locator(".nblabel-step").count() == 4
    press(page, W, "1")
    press(page, W, "3")
    press(page, W, "ArrowUp")  # the second step again
    current = widget.locator(".nblabel-step.nblabel-step-current .nblabel-step-text")
    assert current.inner_text() == "91 = 7 * 13"
    # a note on the second step, typed in its box: letters there are text, not keys
    widget.locator(".nblabel-step-note").fill("checked: 7 * 13 = 91")
    widget.locator(".nblabel-step-note").press("Escape")
    press(page, W, "1")
    assert widget.locator(".nblabel-step-label").all_inner_texts() == ["correct", "correct"]
    assert widget.locator(".nblabel-step-noted").all_inner_texts() == ["checked: 7 * 13 = 91"]
    screenshot(page, "steps-under-way" + ("" if name == "lab" else "-notebook7"), widget)
    press(page, W, "2")  # "So 91 is prime" is wrong: the item ends, "Done" is not judged
    wait_attr(page, W, "data-item", json.dumps("a"))
    wait_saved(page, W)
    assert probe.eval("store.current_label('steps', 'b', 'alice').label") == [
        "correct", "correct", "wrong",
    ]  # fmt: skip
    event = probe.eval("store.current_label('steps', 'b', 'alice').event_id")
    assert probe.eval(f"store.event_meta([{event}])[{event}]['step_rationales']") == [
        None, "checked: 7 * 13 = 91", None,
    ]  # fmt: skip
    # back on the saved item, the page shows the stored step labels
    probe.run("w.back()")
    wait_attr(page, W, "data-item", json.dumps("b"))
    page.wait_for_function(
        "() => document.querySelectorAll('.nblabel-steps .nblabel-step-label').length === 3")
    assert widget.locator(".nblabel-step-label").all_inner_texts() == [
        "correct", "correct", "wrong",
    ]  # fmt: skip
    assert widget_errors(page) == []
