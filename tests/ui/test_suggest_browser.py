"""Suggestions in real JupyterLab: the suggested option is marked and Enter accepts it; Enter
pressed while a slow model still computes waits and saves the suggestion when it arrives; a
required reason is asked for before anything is sent. The tests share one page, in order; the
first runs in Notebook 7 too."""

from __future__ import annotations

import json

import pytest
from lab import (
    notebook_in_lab,
    notebook_in_notebook7,
    press,
    screenshot,
    wait_attr,
    wait_saved,
    wait_until,
    widget_errors,
)

FAST = ".nblabel-classify >> nth=0"
SLOW = ".nblabel-classify >> nth=1"

CELLS = [
    """\
import threading

import pandas as pd

import nblabel

df = pd.DataFrame(
    {"text": ["refund please", "app crashes", "hello there", "invoice wrong"],
     "predicted": ["billing", "tech", "other", "billing"]},
    index=["t0", "t1", "t2", "t3"],
)
store = nblabel.LabelStore("suggest.db")
gate = threading.Event()

def slow_llm(row):
    gate.wait(60)
    return {"tech": 0.8, "billing": 0.15, "other": 0.05}
""",
    """\
fast = nblabel.classify(df, ["billing", "tech", "other"], text="text", suggest="predicted",
                        store=store, annotator="alice", task="intent")
fast
""",
    """\
slow = nblabel.classify(df, ["billing", "tech", "other"], text="text", suggest=slow_llm,
                        rationale="required", store=store, annotator="alice", task="slow")
slow
""",
]


@pytest.fixture(scope="module")
def lab_page(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, "suggest/suggest.ipynb", cells=CELLS,
                         min_widget_views=2, widgets=".nblabel-classify") as (page, probe):
        yield page, probe


@pytest.fixture(scope="module")
def notebook7_page(jupyter_server, browser):
    """The fast widget alone, in Notebook 7 (its own folder, so its own store)."""
    with notebook_in_notebook7(browser, jupyter_server, "suggest_nb7/suggest.ipynb",
                               cells=CELLS[:2], widgets=".nblabel-classify") as (page, probe):
        yield page, probe


def accepted(probe, task, item):
    return probe.eval(
        f"(lambda c: [c.label, store.event_meta([c.event_id])[c.event_id].get('accepted')])"
        f"(store.current_label({task!r}, {item!r}, 'alice'))"
    )


@pytest.mark.parametrize("frontend", ["lab_page", "notebook7_page"])
def test_the_suggestion_is_marked_and_enter_accepts_it(request, frontend):
    page, probe = request.getfixturevalue(frontend)
    widget = page.locator(FAST)
    wait_attr(page, FAST, "data-item", json.dumps("t0"))
    line = widget.locator(".nblabel-suggestion-line")
    page.wait_for_function(
        "el => el.dataset.state === 'ready'", arg=line.element_handle(), timeout=10_000
    )
    assert line.inner_text() == "Suggested by predicted: billing — ⏎ accepts"
    assert widget.locator(".nblabel-option.nblabel-suggested").inner_text().endswith("billing")
    screenshot(page, "suggest-marked" + ("" if frontend == "lab_page" else "-notebook7"), widget)
    press(page, FAST, "Enter")
    wait_attr(page, FAST, "data-item", json.dumps("t1"))
    press(page, FAST, "3")  # t1 is suggested "tech": changed
    wait_saved(page, FAST)
    assert accepted(probe, "intent", "t0") == ["billing", True]
    assert accepted(probe, "intent", "t1") == ["other", False]
    # back on t1, the saved choice is shown, not the suggestion
    probe.run("fast.back()")
    wait_attr(page, FAST, "data-item", json.dumps("t1"))
    widget.locator('.nblabel-option.nblabel-selected[data-key="3"]').wait_for()
    assert widget.locator(".nblabel-option.nblabel-selected").count() == 1
    assert widget_errors(page) == []


def test_enter_waits_for_a_slow_suggestion_and_a_reason_is_required(lab_page):
    page, probe = lab_page
    widget = page.locator(SLOW)
    wait_attr(page, SLOW, "data-item", json.dumps("t0"))
    line = widget.locator(".nblabel-suggestion-line")
    assert line.get_attribute("data-state") == "pending"
    press(page, SLOW, "Enter")
    assert "Waiting for slow_llm's suggestion" in line.inner_text()
    probe.run("gate.set()")
    # the reason is required: nothing is sent, the box asks for it
    page.locator(f"{SLOW} >> .nblabel-error").wait_for(state="visible", timeout=10_000)
    assert "A reason is required" in widget.locator(".nblabel-error").inner_text()
    assert probe.eval("store.annotations(task='slow', source='annotator').empty") is True
    screenshot(page, "suggest-reason-required", widget)
    widget.locator(".nblabel-rationale").fill("the app crashes: a tech problem")
    widget.locator(".nblabel-rationale").press("Escape")
    press(page, SLOW, "Enter")
    wait_attr(page, SLOW, "data-item", json.dumps("t1"))
    wait_saved(page, SLOW)
    wait_until(lambda: not probe.eval("store.annotations(task='slow', source='annotator').empty"))
    assert accepted(probe, "slow", "t0") == ["tech", True]
    assert probe.eval("store.current_label('slow', 't0', 'alice').rationale") == (
        "the app crashes: a tech problem"
    )
    assert widget_errors(page) == []
