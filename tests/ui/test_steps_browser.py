"""review_steps in real JupyterLab: keys label the steps in turn, the first wrong step ends the
item and the store holds the list of step labels; ArrowUp takes a step back."""

from __future__ import annotations

import json

import pytest
from lab import notebook_in_lab, press, screenshot, wait_attr, wait_saved, widget_errors

NOTEBOOK = "steps/steps.ipynb"
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


@pytest.fixture(scope="module")
def lab_page(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS,
                         widgets=".nblabel-steps") as (page, probe):  # fmt: skip
        yield page, probe


def test_steps_are_labeled_in_turn_and_the_first_wrong_ends_the_item(lab_page):
    page, probe = lab_page
    wait_attr(page, W, "data-item", json.dumps("b"))
    widget = page.locator(W)
    assert widget.locator(".nblabel-step").count() == 4
    press(page, W, "1")
    press(page, W, "3")
    press(page, W, "ArrowUp")  # the second step again
    current = widget.locator(".nblabel-step.nblabel-step-current .nblabel-step-text")
    assert current.inner_text() == "91 = 7 * 13"
    press(page, W, "1")
    assert widget.locator(".nblabel-step-label").all_inner_texts() == ["correct", "correct"]
    screenshot(page, "steps-under-way", widget)
    press(page, W, "2")  # "So 91 is prime" is wrong: the item ends, "Done" is not judged
    wait_attr(page, W, "data-item", json.dumps("a"))
    wait_saved(page, W)
    assert probe.eval("store.current_label('steps', 'b', 'alice').label") == [
        "correct", "correct", "wrong",
    ]  # fmt: skip
    assert widget_errors(page) == []
