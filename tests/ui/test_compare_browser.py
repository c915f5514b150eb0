"""The compare widget in real JupyterLab: a key picks the candidate shown at that place after
the per-item shuffle and the store names that candidate; the choice is back after a reload;
three candidates ranked by keys; a hostile Markdown candidate renders inert. The tests share
one page and run in order. The key test runs in Notebook 7 too, on a page of its own."""

from __future__ import annotations

import json

import pytest
from lab import (
    notebook_in_lab,
    notebook_in_notebook7,
    press,
    reload,
    screenshot,
    wait_attr,
    wait_saved,
    widget_errors,
)

NOTEBOOK = "compare/compare.ipynb"
PAIR = ".nblabel-compare >> nth=0"
RANK = ".nblabel-compare >> nth=1"
SCORED = ".nblabel-compare >> nth=2"

HOSTILE = (
    "Here is **bold** and `code`.\n\n"
    "<script>window.__xss=1</script> <img src=x onerror=\"window.__xss=2\">\n\n"
    "[click me](javascript:window.__xss=3) ![pixel](https://tracker.example/p.png)\n\n"
    "```python\nprint('<b>hi</b>')\n```\n"
)

CELLS = [
    f"""\
import pandas as pd

import nblabel

HOSTILE = {HOSTILE!r}
df = pd.DataFrame(
    {{
        "prompt": [f"Question {{i}}: what is {{i}} + {{i}}?" for i in range(6)],
        "answer_a": [f"It is **{{2 * i}}**." for i in range(6)],
        "answer_b": [HOSTILE] + [f"Maybe {{2 * i + 1}}?" for i in range(1, 6)],
        "answer_c": [f"*Perhaps* {{2 * i - 1}}" for i in range(6)],
    }},
    index=[f"q{{i}}" for i in range(6)],
)
store = nblabel.LabelStore("compare.db")
""",
    """\
w = nblabel.compare(df, prompt="prompt", candidates=["answer_a", "answer_b"],
                    extra_choices=["tie"], store=store, annotator="alice", task="pref")
w
""",
    """\
r = nblabel.compare(df, prompt="prompt", candidates=["answer_a", "answer_b", "answer_c"],
                    rank=True, store=store, annotator="alice", task="rank")
r
""",
    """\
s = nblabel.compare(df, prompt="prompt", candidates=["answer_a", "answer_b"],
                    criteria=["helpful", "correct"], scale=range(1, 4), store=store,
                    annotator="alice", task="scored")
s
""",
]


@pytest.fixture(scope="module")
def lab_page(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS, min_widget_views=3,
                         widgets=".nblabel-compare",
                         viewport={"width": 1300, "height": 1000}) as (page, probe):  # fmt: skip
        yield page, probe


@pytest.fixture(scope="module")
def notebook7_page(jupyter_server, browser):
    """The pair widget alone, in Notebook 7 (its own folder, so its own store)."""
    with notebook_in_notebook7(browser, jupyter_server, "compare_nb7/compare.ipynb",
                               cells=CELLS[:2], widgets=".nblabel-compare",
                               viewport={"width": 1300, "height": 1000}) as (page, probe):
        yield page, probe


def card_texts(page, scope):
    return page.locator(f"{scope} >> .nblabel-candidate >> .nblabel-md").all_inner_texts()


def test_a_hostile_markdown_candidate_renders_inert(lab_page):
    page, _ = lab_page
    wait_attr(page, PAIR, "data-item", json.dumps("q0"))
    widget = page.locator(PAIR)
    md = widget.locator(".nblabel-md")
    assert md.locator("script, img, iframe, svg, style").count() == 0
    assert md.locator("strong").count() >= 2 and md.locator("pre code").count() == 1
    assert md.locator("a[href]").count() == 0  # the javascript: link lost its address
    link = md.locator("a", has_text="click me")
    if link.count():
        link.first.click()
    page.wait_for_timeout(300)  # an onerror or a link would have run by now
    assert page.evaluate("typeof window.__xss") == "undefined"
    text = " ".join(card_texts(page, PAIR))
    assert "<script>window.__xss=1</script>" in text  # raw HTML shows as the text written
    assert "[image not shown: pixel (https://tracker.example/p.png)]" in text
    font = md.locator("pre code").evaluate("e => getComputedStyle(e).fontFamily")
    assert "mono" in font.lower() or "courier" in font.lower(), font
    screenshot(page, "compare-hostile", widget)
    assert widget_errors(page) == []


@pytest.mark.parametrize("frontend", ["lab_page", "notebook7_page"])
def test_a_key_picks_the_candidate_shown_there_whatever_the_swap(request, frontend):
    page, probe = request.getfixturevalue(frontend)
    name = frontend.removesuffix("_page")
    orders = []
    for i in range(6):
        wait_attr(page, PAIR, "data-item", json.dumps(f"q{i}"))
        if i == 0:
            screenshot(page, f"compare-first-{name}", page.locator(PAIR))
        shown = probe.eval("w.shown")
        # what the page shows in place 1 and 2 is the text of those candidates
        texts = card_texts(page, PAIR)
        if i > 0:
            expected = probe.eval(f"[df.loc['q{i}', c] for c in w.shown]")
            assert [t.strip() for t in texts] == [e.replace("**", "") for e in expected]
        orders.append(tuple(shown))
        press(page, PAIR, "2")
        wait_saved(page, PAIR)
        assert probe.eval(f"store.current_label('pref', 'q{i}', 'alice').label") == shown[1]
    assert len(set(orders)) == 2, orders  # the sides were swapped on some items
    stored = probe.eval(
        "[store.event_meta([e])[e]['shown'] for e in store.annotations(task='pref')['event_id']]"
    )
    assert [tuple(s) for s in stored] == orders
    assert page.locator(PAIR).get_attribute("data-done") == "true"
    # the trail names each choice by the place it had on its item's screen: key 2 each time
    trail = page.locator(f"{PAIR} >> .nblabel-trail-item").all_inner_texts()
    assert trail == [f"q{i} → Response 2" for i in range(5, 0, -1)], trail
    # back on a saved item, the chosen candidate is marked wherever it is shown
    probe.run("w.goto('q1')")
    wait_attr(page, PAIR, "data-item", json.dumps("q1"))
    held = page.locator(f"{PAIR} >> .nblabel-candidate.nblabel-held-choice")
    held.wait_for()
    place = orders[1].index(probe.eval("store.current_label('pref', 'q1', 'alice').label"))
    assert held.locator(".nblabel-candidate-place").inner_text() == f"Response {place + 1}"
    screenshot(page, f"compare-held-{name}", page.locator(PAIR))
    screenshot(page, f"compare-page-{name}")  # the widget in its front end's page
    assert widget_errors(page) == []


def test_the_choice_is_back_after_a_reload(lab_page):
    page, probe = lab_page
    reload(page, min_widget_views=3, widgets=".nblabel-compare")
    probe.run("w.goto('q1')")
    wait_attr(page, PAIR, "data-item", json.dumps("q1"))
    label = probe.eval("store.current_label('pref', 'q1', 'alice').label")
    place = probe.eval("w.shown").index(label)
    held = page.locator(f"{PAIR} >> .nblabel-candidate.nblabel-held-choice")
    assert held.count() == 1
    assert held.locator(".nblabel-candidate-place").inner_text() == f"Response {place + 1}"
    assert held.locator(".nblabel-saved-badge").inner_text() == "saved"
    # named as its card is, by place: the candidates' names stay off the screen
    held_line = page.locator(f"{PAIR} >> .nblabel-held").inner_text()
    assert f"Saved label: Response {place + 1} —" in held_line and label not in held_line
    screenshot(page, "compare-reloaded", page.locator(PAIR))


def test_three_candidates_ranked_by_keys(lab_page):
    page, probe = lab_page
    wait_attr(page, RANK, "data-item", json.dumps("q0"))
    shown = probe.eval("r.shown")
    press(page, RANK, "3")
    badge = page.locator(f"{RANK} >> .nblabel-rank-badge")
    assert badge.all_inner_texts() == ["#1"]
    screenshot(page, "compare-ranking", page.locator(RANK))
    press(page, RANK, "1")  # two of three: the last is placed, the ranking sent
    wait_attr(page, RANK, "data-item", json.dumps("q1"))
    wait_saved(page, RANK)
    assert probe.eval("store.current_label('rank', 'q0', 'alice').label") == [
        shown[2], shown[0], shown[1],
    ]  # fmt: skip
    trail = page.locator(f"{RANK} >> .nblabel-trail-item")
    assert trail.all_inner_texts() == ["q0 → Response 3 > Response 1 > Response 2"]
    # whole in its tooltip, where a narrow widget cuts it short
    assert trail.first.get_attribute("title").startswith(
        "q0 → Response 3 > Response 1 > Response 2:"
    )
    assert widget_errors(page) == []


def test_scores_by_digit_keys_then_a_key_chooses(lab_page):
    page, probe = lab_page
    wait_attr(page, SCORED, "data-item", json.dumps("q0"))
    shown = probe.eval("s.shown")
    widget = page.locator(SCORED)
    how = widget.locator(".nblabel-compare-how")
    assert how.inner_text().startswith("Score Response 1 on helpful: press 1–3")
    for key in ["3", "2"]:  # Response 1: helpful 3, correct 2
        press(page, SCORED, key)
    assert how.inner_text().startswith("Score Response 2 on helpful")
    press(page, SCORED, "1")
    screenshot(page, "compare-scoring", widget)
    press(page, SCORED, "1")  # Response 2: helpful 1, correct 1; the scores are complete
    assert probe.eval("store.annotations(task='scored').empty") is True
    press(page, SCORED, "1")  # now a key chooses, and saves
    wait_attr(page, SCORED, "data-item", json.dumps("q1"))
    wait_saved(page, SCORED)
    label = probe.eval("store.current_label('scored', 'q0', 'alice').label")
    meta = probe.eval(
        "(lambda e: store.event_meta([e])[e])(store.current_label('scored', 'q0', 'alice')"
        ".event_id)"
    )
    assert label == shown[0]
    assert meta["scores"] == {
        shown[0]: {"helpful": 3, "correct": 2},
        shown[1]: {"helpful": 1, "correct": 1},
    }
    assert widget_errors(page) == []


def test_candidates_stack_on_a_narrow_screen(lab_page):
    page, _ = lab_page
    cards = page.locator(f"{RANK} >> .nblabel-candidate")
    wide = [cards.nth(i).bounding_box() for i in range(3)]
    assert len({round(box["y"]) for box in wide}) == 1  # side by side
    page.set_viewport_size({"width": 560, "height": 1000})
    try:
        page.wait_for_timeout(300)
        narrow = [cards.nth(i).bounding_box() for i in range(3)]
        assert narrow[0]["y"] < narrow[1]["y"] < narrow[2]["y"]  # one above the other
        assert abs(narrow[0]["x"] - narrow[1]["x"]) < 2
        screenshot(page, "compare-narrow", page.locator(RANK))
    finally:
        page.set_viewport_size({"width": 1300, "height": 1000})
