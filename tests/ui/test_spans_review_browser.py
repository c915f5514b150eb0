"""Reviewing a span task in a real JupyterLab: each annotator's spans show read-only under the
text, the spans most of them marked are the draft, Enter saves them as the final spans. In
JupyterLab and in Notebook 7."""

from __future__ import annotations

import json

import pytest
from lab import (
    FRONT_ENDS,
    focus,
    notebook_in_front_end,
    screenshot,
    wait_attr,
    wait_saved,
    wait_until,
    widget_errors,
)

ROOT = ".nblabel-spans"
CELLS = [
    """\
import pandas as pd

import nblabel

df = pd.DataFrame({"sentence": ["Ada Lovelace met Charles Babbage in London.",
                                "Grace Hopper wrote <COBOL>."]}, index=["en", "cobol"])
store = nblabel.LabelStore("review_spans.db")
for who, spans in (("alice", [(0, 12, "PER"), (17, 32, "PER"), (36, 42, "LOC")]),
                   ("bob", [(0, 12, "PER"), (17, 32, "ORG"), (36, 42, "LOC")])):
    w = nblabel.annotate_spans(df, text="sentence", classes=["PER", "ORG", "LOC"],
                               store=store, annotator=who, task="ner")
    for span in spans:
        w.add_span(*span)
    w.submit()
    w.submit([(0, 12, "PER")] if who == "alice" else [(0, 12, "PER"), (19, 26, "ORG")])
    w.close()
r = nblabel.review(store, "ner", data=df, text="sentence", reviewer="carol")
r
""",
]


@pytest.fixture(scope="module", params=FRONT_ENDS)
def frontend(request, jupyter_server, browser):
    with notebook_in_front_end(request.param, browser, jupyter_server, "review.ipynb",
                               cells=CELLS, widgets=ROOT,
                               viewport={"width": 1100, "height": 900}) as (page, probe):
        page.locator(ROOT).scroll_into_view_if_needed()
        yield page, probe, request.param


def votes(page) -> list[list[str]]:
    return page.locator(f"{ROOT} >> .nblabel-spans-vote").evaluate_all(
        "els => els.map(e => Array.from(e.children, c => c.textContent))"
    )


def test_each_annotators_spans_show_and_enter_saves_the_majority(frontend):
    page, probe, name = frontend
    wait_attr(page, ROOT, "data-item", json.dumps("en"))
    assert votes(page) == [
        ["alice", "Ada LovelacePER", "Charles BabbagePER", "LondonLOC"],
        ["bob", "Ada LovelacePER", "Charles BabbageORG", "LondonLOC"],
    ]
    # the draft: the spans both marked; Charles Babbage is left to the reviewer
    marked = page.locator(f"{ROOT} >> .nblabel-spans-text >> .nblabel-hl").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert marked == ["Ada Lovelace", "London"]
    screenshot(page, "spans-review-01" + ("" if name == "lab" else "-notebook7"),
               page.locator(ROOT))
    focus(page, ROOT)
    page.keyboard.press("Enter")
    wait_attr(page, ROOT, "data-item", json.dumps("cobol"))
    # markup in a text is text: the votes show it as typed
    assert votes(page) == [["alice", "Grace HopperPER"], ["bob", "Grace HopperPER", "<COBOL>ORG"]]
    wait_saved(page, ROOT)
    final = wait_until(lambda: probe.eval(
        "[(s['text'], s['label']) for s in store.current_label('ner', 'en', 'carol', "
        "source='review').label]"))
    assert final == [["Ada Lovelace", "PER"], ["London", "LOC"]]
    assert not widget_errors(page), page.errors
