"""What the page offers around a label, in real JupyterLab: a trail of the last labels (a
click shows that item again), back after an undo (the item before in the queue), a
multi-label Enter with nothing selected (refused unless ``allow_empty=True``), and a caption
box that the hint focuses and an undo refills. Each test acts in the page and checks the
kernel; the tests share one page and run in order."""

from __future__ import annotations

import json

import pytest
from lab import (
    focus,
    notebook_cells,
    notebook_in_lab,
    press,
    screenshot,
    wait_attr,
    wait_saved,
    wait_until,
    widget_errors,
)

NOTEBOOK = "page/page.ipynb"
N = 8
ONE = ".nblabel-classify >> nth=0"
MULTI = ".nblabel-classify >> nth=1"
EMPTY_OK = ".nblabel-classify >> nth=2"
NOTES = ".nblabel-caption"
STARS = ".nblabel-rate"
ACTIVE = ".nblabel-classify >> nth=3"

CELLS = [
    f"""\
import pandas as pd

import nblabel

ids = [f"r{{i}}" for i in range({N})]
df = pd.DataFrame({{"t": [f"row {{i}}" for i in range({N})]}}, index=ids)
store = nblabel.LabelStore("page.db")
""",
    """\
one = nblabel.classify(df, options=["pos", "neg"], text="t", store=store, annotator="al",
                       task="one")
one
""",
    """\
multi = nblabel.classify(df, options=["red", "blue"], text="t", multi=True, store=store,
                         annotator="al", task="multi")
multi
""",
    """\
empty_ok = nblabel.classify(df, options=["red", "blue"], text="t", multi=True,
                            allow_empty=True, store=store, annotator="al", task="empty_ok")
empty_ok
""",
    """\
notes = nblabel.caption(df, text="t", store=store, annotator="al", task="notes")
notes
""",
    """\
stars = nblabel.rate(df.head(2), text="t", store=store, annotator="al", task="stars",
                     scale_labels=("awful", "great"))
stars
""",
    """\
import numpy as np
from sklearn.linear_model import LogisticRegression

from nblabel import sample

X = np.random.default_rng(0).normal(size=(30, 2))
points = pd.DataFrame({"p": [f"point {i}" for i in range(30)]})
al = sample.ActiveLearning(LogisticRegression(), X, refit_every=4)
active = nblabel.classify(points, options=["left", "right"], text="p", order=al, store=store,
                          annotator="al", task="active")
active
""",
]


def item(i: int) -> str:
    return json.dumps(f"r{i}")


def trail(page, scope: str) -> list[str]:
    return page.locator(f"{scope} >> .nblabel-trail-item").evaluate_all(
        "els => els.map(e => e.textContent)")


@pytest.fixture(scope="module")
def page_and_probe(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS, min_widget_views=6,
                         widgets=".nblabel") as (page, probe):
        yield page, probe


def test_trail_shows_the_last_five_labels_and_a_click_goes_back(page_and_probe):
    page, probe = page_and_probe
    assert page.locator(f"{ONE} >> .nblabel-trail").is_hidden()  # nothing labeled yet
    for i, key in enumerate("1212121"):
        press(page, ONE, key)
        wait_attr(page, ONE, "data-item", item(i + 1))
    wait_saved(page, ONE)
    page.wait_for_function(
        "() => document.querySelectorAll('.nblabel-classify')[0]"
        ".querySelector('.nblabel-trail-item')?.textContent === 'r6 → pos'")
    assert trail(page, ONE) == ["r6 → pos", "r5 → neg", "r4 → pos", "r3 → neg", "r2 → pos"]
    screenshot(page, "page-01-trail", page.locator(ONE))
    page.locator(f"{ONE} >> .nblabel-trail-item", has_text="r3 → neg").click()
    wait_attr(page, ONE, "data-item", item(3))
    assert probe.eval("one.current") == "r3"
    page.locator(f'{ONE} >> .nblabel-option.nblabel-selected[data-key="2"]').wait_for()
    press(page, ONE, "1")  # the mis-key fixed
    wait_saved(page, ONE)
    wait_until(lambda: probe.eval("one.labels.loc['r3', 'label']") == "pos")
    wait_attr(page, ONE, "data-item", item(7))  # on to the next unlabeled item
    assert trail(page, ONE)[0] == "r3 → pos"


def test_back_after_undo_goes_to_the_item_before_in_the_queue(page_and_probe):
    page, probe = page_and_probe
    press(page, ONE, "2")  # r7: every item labeled
    wait_attr(page, ONE, "data-done", "true")
    press(page, ONE, "Backspace")  # undo r7
    wait_attr(page, ONE, "data-item", item(7))
    wait_until(lambda: probe.eval("one.current") == "r7")
    press(page, ONE, "ArrowLeft")
    wait_attr(page, ONE, "data-item", item(6))  # before r7 in the queue, not the done screen
    wait_until(lambda: probe.eval("one.current") == "r6")


def test_multi_enter_with_nothing_selected_is_refused(page_and_probe):
    page, probe = page_and_probe
    cells = notebook_cells(page)
    press(page, MULTI, "Enter")
    error = page.locator(f"{MULTI} >> .nblabel-error")
    error.filter(has_text="Select at least one, or press → to skip").wait_for()
    assert page.locator(MULTI).get_attribute("data-item") == item(0)
    page.wait_for_timeout(300)
    assert probe.eval("len(multi.labels)") == 0
    assert probe.eval("multi.current") == "r0"
    assert notebook_cells(page) == cells
    screenshot(page, "page-02-multi-refused", page.locator(MULTI))
    press(page, MULTI, "2")
    press(page, MULTI, "Enter")  # with one selected it saves
    wait_attr(page, MULTI, "data-item", item(1))
    wait_saved(page, MULTI)
    assert probe.eval("multi.labels['label'].to_dict()") == {"r0": ["blue"]}


def test_multi_enter_with_nothing_selected_saves_none_with_allow_empty(page_and_probe):
    page, probe = page_and_probe
    press(page, EMPTY_OK, "Enter")
    wait_attr(page, EMPTY_OK, "data-item", item(1))
    wait_saved(page, EMPTY_OK)
    assert probe.eval("empty_ok.labels['label'].to_dict()") == {"r0": []}


def test_caption_hint_focuses_the_box_and_undo_refills_it(page_and_probe):
    page, probe = page_and_probe
    root = page.locator(NOTES)
    box = page.locator(f"{NOTES} >> .nblabel-input")
    page.evaluate("document.activeElement.blur()")  # the focus elsewhere
    hint = page.locator(f"{NOTES} >> .nblabel-hint")
    assert hint.inner_text().startswith("Click here to type the caption")
    hint.click()
    page.wait_for_timeout(300)
    assert box.evaluate("e => e === document.activeElement")
    page.keyboard.type("a cat on a mat")
    page.keyboard.press("Enter")
    wait_attr(page, NOTES, "data-item", item(1))
    wait_saved(page, NOTES)
    assert probe.eval("notes.labels['label'].to_dict()") == {"r0": "a cat on a mat"}
    assert box.input_value() == ""
    page.keyboard.press("Escape")  # the keys act on the widget again
    assert root.evaluate("e => e === document.activeElement")
    page.keyboard.press("Backspace")  # undo: r0 comes back with its text in the box
    wait_attr(page, NOTES, "data-item", item(0))
    wait_until(lambda: probe.eval("len(notes.labels)") == 0)
    assert box.input_value() == "a cat on a mat"
    screenshot(page, "page-03-caption-undone", root)
    # a letter pressed on the widget itself goes into the box
    focus(page, NOTES)
    box.evaluate("e => { e.value = ''; }")
    page.keyboard.type("dog")
    assert box.input_value() == "dog"
    assert box.evaluate("e => e === document.activeElement")
    assert not widget_errors(page), page.errors


def test_rate_shows_what_the_ends_mean_and_the_done_state_what_next(page_and_probe, jupyter_server):
    page, probe = page_and_probe
    notes = page.locator(f"{STARS} >> .nblabel-option").evaluate_all(
        "els => els.map(e => e.querySelector('.nblabel-option-note')?.textContent ?? null)")
    assert notes == ["awful", None, None, None, "great"]
    assert notes == [o.get("note") for o in probe.eval("stars.options")]
    screenshot(page, "page-04-rate-scale-labels", page.locator(STARS))
    press(page, STARS, "5")
    wait_attr(page, STARS, "data-item", item(1))
    press(page, STARS, "1")
    wait_attr(page, STARS, "data-done", "true")
    wait_saved(page, STARS)
    done = page.locator(f"{STARS} >> .nblabel-done")
    text = done.inner_text()
    assert "All items are labeled." in text and "w.labels" in text
    call = done.locator("code").nth(1).inner_text()
    assert call == "nblabel.export.table(w.store, 'stars', 'labels.csv')"
    screenshot(page, "page-05-rate-done", page.locator(STARS))
    # the call shown works as written (w: this widget)
    probe.run(f"w = stars\n{call}")
    written = (jupyter_server.root_dir / "page" / "labels.csv").read_text()
    assert written.count("stars") == 2 and "great" not in written  # the values, not notes
    assert probe.eval("stars.labels['label'].to_dict()") == {"r0": 5, "r1": 1}


def test_active_learning_says_when_it_refit_and_why_this_item(page_and_probe):
    page, probe = page_and_probe
    why = page.locator(f"{ACTIVE} >> .nblabel-why")
    assert why.inner_text().startswith("Active learning: no model yet")
    for key in "1212":
        shown = page.locator(ACTIVE).get_attribute("data-item")
        press(page, ACTIVE, key)
        page.wait_for_function(
            "s => document.querySelectorAll('.nblabel-classify')[3].dataset.item !== s", arg=shown)
    wait_saved(page, ACTIVE)
    probe.run("assert al.wait(10)")
    press(page, ACTIVE, "1")  # the refit order arrives with this label
    wait_saved(page, ACTIVE)
    expected = probe.eval("active.sample['why']")
    assert expected["labels"] == 4 and expected["rank"] >= 1
    wait_attr(page, ACTIVE, "data-item", json.dumps(probe.eval("active.current")))
    text = why.inner_text()
    assert text.startswith("Active learning: model refit ")
    # the page held this item before the refit: it keeps its place and says its rank is not
    # why it comes
    assert expected["queued"]
    wanted = f"on 4 labels · queued before the refit; now margin rank {expected['rank']} of 26"
    assert wanted in text
    screenshot(page, "page-06-active-why", page.locator(ACTIVE))
    # a key paints the next item from the prefetch at once; its reason comes with the
    # kernel's state a round trip later, and until then its line keeps its place
    moved = page.evaluate(
        """sel => {
            const root = document.querySelectorAll(sel)[3];
            const line = root.querySelector('.nblabel-why');
            // the option buttons may be made anew: looked up each time
            const top = () => root.querySelector('.nblabel-option').getBoundingClientRect().top;
            const before = [line.getBoundingClientRect().height, top(), root.dataset.item];
            root.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
            const after = [line.getBoundingClientRect().height, top(), root.dataset.item,
                           getComputedStyle(line).visibility];
            return {before, after};
        }""",
        ".nblabel-classify",
    )
    assert moved["after"][2] != moved["before"][2]  # painted from the prefetch, same task
    assert moved["after"][3] == "hidden" and moved["after"][:2] == moved["before"][:2]
    press(page, ACTIVE, "ArrowLeft")  # back to the item the reason was read for
    wait_attr(page, ACTIVE, "data-item", moved["before"][2])
    wait_until(lambda: "queued before the refit" in why.inner_text(), timeout=10)
    queued_ranks = set()
    for _ in range(3):  # past the items queued before: the new order, best first
        assert probe.eval("active.sample['why']['queued']")
        queued_ranks.add(probe.eval("active.sample['why']['rank']"))
        shown = page.locator(ACTIVE).get_attribute("data-item")
        press(page, ACTIVE, "ArrowRight")
        page.wait_for_function(
            "s => document.querySelectorAll('.nblabel-classify')[3].dataset.item !== s", arg=shown)
    wait_attr(page, ACTIVE, "data-item", json.dumps(probe.eval("active.current")))
    assert not probe.eval("active.sample['why'].get('queued', False)")
    best = min(set(range(1, 27)) - queued_ranks)  # the best the queued items left
    wanted = f"on 4 labels · this item: margin rank {best} of 26"
    wait_until(lambda: wanted in why.inner_text(), timeout=10)
    screenshot(page, "page-07-active-best-first", page.locator(ACTIVE))
