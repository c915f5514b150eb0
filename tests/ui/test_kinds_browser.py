"""Every widget kind in real JupyterLab and in Notebook 7, one notebook, one page: multi-label
classify, ``rate``, ``caption``, ``review``, and ``display=`` returning PNG bytes or an ipywidget.
Each widget has its own task in one store and its own CSS scope; each test acts with real
keys in the page and checks both the DOM and the kernel (labels, the store)."""

from __future__ import annotations

import json

import pytest
from lab import (
    KernelProbe,
    focus,
    notebook_cells,
    notebook_in_lab,
    notebook_in_notebook7,
    press,
    screenshot,
    wait_attr,
    wait_saved,
    wait_until,
    widget_errors,
)

RUNS = "get_ipython().execution_count"  # cells run so far (probes do not count)
N = 6

# Each widget is found by its kind's class; the two classify widgets by their order.
MULTI = ".nblabel-classify >> nth=0"
PICS = ".nblabel-classify >> nth=1"
STARS = ".nblabel-rate"
NOTES = ".nblabel-caption"
REVIEW = ".nblabel-review"

# item: [(annotator, label, rationale)]; r2 is agreed on, so it is not reviewed
VOTES = {
    "r0": [("ann", "pos", "ann: r0 sounds upbeat"), ("bob", "neg", "bob: r0 complains"),
           ("cy", "neg", "cy: r0 is a complaint")],
    "r1": [("ann", "pos", "ann: r1 praises"), ("bob", "neg", "bob: r1 is negative"),
           ("cy", "meh", "cy: r1 is flat")],
    "r2": [("ann", "pos", "all agree"), ("bob", "pos", "all agree"), ("cy", "pos", "all agree")],
    "r3": [("ann", "neg", "ann: r3 no"), ("bob", "meh", "bob: r3 shrug"),
           ("cy", "neg", "cy: r3 no")],
}

CELLS = [
    f"""\
import io

import ipywidgets
import pandas as pd
from PIL import Image

import nblabel

df = pd.DataFrame({{"t": [f"text of row {{i}}" for i in range({N})]}},
                  index=[f"r{{i}}" for i in range({N})])
store = nblabel.LabelStore("kinds_{{frontend}}.db")  # each front end starts with no labels
""",
    """\
multi = nblabel.classify(df, options=["red", "green", "blue"], text="t", multi=True,
                         store=store, annotator="alice", task="colors")
multi
""",
    """\
def png(row):
    # a red PNG whose width tells the rows apart: 40 px for r0, 41 for r1, ...
    buffer = io.BytesIO()
    Image.new("RGB", (40 + int(row.name[1:]), 30), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()

pics = nblabel.classify(df, options=["cat", "dog"], display=png,
                        store=store, annotator="alice", task="pics")
pics
""",
    """\
stars = nblabel.rate(df, display=lambda row: ipywidgets.HTML(f"<b>{row.t}</b> as a widget"),
                     store=store, annotator="alice", task="stars")
stars
""",
    """\
notes = nblabel.caption(df, text="t", store=store, annotator="alice", task="notes")
notes
""",
    f"""\
VOTES = {VOTES!r}
if "mood" not in store.tasks():
    for item, votes in VOTES.items():
        for annotator, label, why in votes:
            store.append(task="mood", item=item, annotator=annotator, label=label, rationale=why)
rev = nblabel.review(store, "mood", data=df, text="t", reviewer="carol")
rev
""",
]


def item(i: int) -> str:
    """``data-item`` of row i: the JSON text of its id."""
    return json.dumps(f"r{i}")


def stored(probe: KernelProbe, task: str, source: str = "annotator") -> dict:
    return probe.eval(f"store.annotations(task={task!r}, source={source!r})"
                      ".set_index('item')['label'].to_dict()")


def selected_keys(page, scope: str) -> list[str]:
    return page.locator(f"{scope} >> .nblabel-option.nblabel-selected").evaluate_all(
        "els => els.map(e => e.dataset.key)")


@pytest.fixture(scope="module", params=["lab", "notebook7"])
def kinds(request, jupyter_server, browser):
    opener = notebook_in_lab if request.param == "lab" else notebook_in_notebook7
    cells = [cell.replace("{frontend}", request.param) for cell in CELLS]
    with opener(browser, jupyter_server, f"kinds/kinds_{request.param}.ipynb", cells=cells,
                min_widget_views=5, widgets=".nblabel") as (page, probe):
        yield page, probe, request.param


def test_every_kind_renders_in_its_scope(kinds):
    page, probe, frontend = kinds
    assert page.locator(".nblabel").count() == 5
    assert page.locator(".nblabel-classify").count() == 2
    for scope in (STARS, NOTES, REVIEW):
        assert page.locator(scope).count() == 1, scope
    for scope in (MULTI, PICS, STARS, NOTES, REVIEW):
        assert page.locator(scope).get_attribute("data-done") == "false", scope
    for scope, name in ((MULTI, "multi"), (PICS, "pics"), (STARS, "stars"), (NOTES, "notes")):
        assert page.locator(scope).get_attribute("data-item") == item(0), scope
        assert probe.eval(f"{name}.current") == "r0"
    assert probe.eval("rev.current") == "r1"  # the most contested item comes first
    assert not widget_errors(page), page.errors
    screenshot(page, f"kinds-01-rendered-{frontend}")


def test_multi_label_keys_toggle_and_enter_saves(kinds):
    page, probe, _frontend = kinds
    cells, runs = notebook_cells(page), probe.eval(RUNS)
    assert cells == ["code"] * len(CELLS)
    for key in ("1", "3", "2", "2"):  # 2 on then off again
        press(page, MULTI, key)
    page.wait_for_function(
        "() => document.querySelectorAll('.nblabel-classify')[0]"
        ".querySelectorAll('.nblabel-option.nblabel-selected').length === 2")
    assert selected_keys(page, MULTI) == ["1", "3"]
    assert page.locator(MULTI).get_attribute("data-item") == item(0)  # toggling saves nothing
    assert stored(probe, "colors") == {}
    press(page, MULTI, "Enter")
    wait_attr(page, MULTI, "data-item", item(1))
    wait_saved(page, MULTI)
    assert probe.eval("multi.labels['label'].to_dict()") == {"r0": ["red", "blue"]}
    assert stored(probe, "colors") == {"r0": ["red", "blue"]}
    assert selected_keys(page, MULTI) == []  # a fresh item starts with nothing chosen
    # back to r0: the kernel's saved selection is shown
    press(page, MULTI, "ArrowLeft")
    wait_attr(page, MULTI, "data-item", item(0))
    page.locator(f'{MULTI} >> .nblabel-option.nblabel-selected[data-key="3"]').wait_for()
    assert selected_keys(page, MULTI) == ["1", "3"]
    assert probe.eval("multi.selection") == [0, 2]
    # JupyterLab saw none of it ("1"/"2"/"3" would retype cells, Enter would edit one)
    assert notebook_cells(page) == cells
    assert probe.eval(RUNS) == runs


def test_rate_key_saves_the_value(kinds):
    page, probe, _frontend = kinds
    child = page.locator(f"{STARS} >> .nblabel-child")
    child.get_by_text("text of row 0 as a widget").wait_for()
    assert [page.locator(f"{STARS} >> .nblabel-option").nth(i).get_attribute("data-key")
            for i in range(5)] == ["1", "2", "3", "4", "5"]
    press(page, STARS, "4")
    wait_attr(page, STARS, "data-item", item(1))
    wait_saved(page, STARS)
    assert probe.eval("stars.labels['label'].to_dict()") == {"r0": 4}
    assert probe.eval("type(stars.labels.loc['r0', 'label']).__name__") in ("int", "int64")


def test_display_html_widget_shows_inside_child(kinds):
    page, probe, _frontend = kinds
    # after the rate test, r1 is on screen: its widget (a real ipywidgets.HTML) is shown
    child = page.locator(f"{STARS} >> .nblabel-child")
    child.get_by_text("text of row 1 as a widget").wait_for()
    assert child.locator("b").first.inner_text() == "text of row 1"  # the widget's own markup
    content = probe.eval("stars.sample['content']")
    assert content["type"] == "widget"
    model_id = content["ref"].removeprefix("IPY_MODEL_")
    assert probe.eval(
        f"ipywidgets.Widget.widgets[{model_id!r}].value") == "<b>text of row 1</b> as a widget"


def test_display_png_bytes_shows_an_image(kinds):
    page, probe, frontend = kinds
    img = page.locator(f"{PICS} >> img.nblabel-image")
    page.wait_for_function(
        "() => document.querySelectorAll('.nblabel-classify')[1]"
        ".querySelector('img.nblabel-image')?.naturalWidth > 0")
    assert img.evaluate("e => [e.naturalWidth, e.naturalHeight]") == [40, 30]
    assert probe.eval("pics.sample['content']['mime']") == "image/png"
    press(page, PICS, "2")
    wait_attr(page, PICS, "data-item", item(1))
    # the next row's image (41 px wide) replaced it
    page.wait_for_function(
        "() => document.querySelectorAll('.nblabel-classify')[1]"
        ".querySelector('img.nblabel-image')?.naturalWidth === 41")
    wait_saved(page, PICS)
    assert probe.eval("pics.labels['label'].to_dict()") == {"r0": "dog"}
    screenshot(page, f"kinds-02-image-{frontend}", page.locator(PICS))


def test_caption_keys_typed_in_the_box_are_text(kinds):
    page, probe, _frontend = kinds
    cells, runs = notebook_cells(page), probe.eval(RUNS)
    assert cells == ["code"] * len(CELLS)
    box = page.locator(f"{NOTES} >> .nblabel-input")
    box.click()
    kb = page.keyboard
    kb.type("abc 123")
    kb.press("Backspace")  # "abc 12" (Backspace is the widget's undo key outside the box)
    kb.press("ArrowLeft")  # the arrows are back/skip outside the box
    kb.press("ArrowLeft")
    kb.type("9")  # "abc 912"
    kb.press("ArrowRight")
    kb.press("ArrowRight")
    kb.press("Shift+Enter")  # a new line, not a save
    kb.type("line 2: 4 5 ✓")
    expected = "abc 912\nline 2: 4 5 ✓"
    assert box.input_value() == expected
    assert page.locator(NOTES).get_attribute("data-item") == item(0)
    assert stored(probe, "notes") == {}
    assert page.locator(f"{NOTES} >> .nblabel-status").get_attribute("data-pending") == "0"
    kb.press("Enter")
    wait_attr(page, NOTES, "data-item", item(1))
    wait_saved(page, NOTES)
    assert probe.eval("notes.labels['label'].to_dict()") == {"r0": expected}
    assert stored(probe, "notes") == {"r0": expected}
    assert box.input_value() == ""  # a fresh box for the next item
    assert notebook_cells(page) == cells
    assert probe.eval(RUNS) == runs


def test_review_shows_votes_and_saves_final_labels(kinds):
    page, probe, frontend = kinds
    root = page.locator(REVIEW)
    assert root.get_attribute("data-item") == item(1)
    assert root.locator(".nblabel-review-sample .nblabel-text").inner_text() == "text of row 1"

    def votes() -> list[list[str]]:
        return root.locator(".nblabel-votes tr").evaluate_all(
            "rows => rows.slice(1).map(r => [...r.cells].map(c => c.innerText))")

    assert votes() == [list(v) for v in VOTES["r1"]]
    options = root.locator(".nblabel-option .nblabel-option-label").all_inner_texts()
    assert options == ["meh", "neg", "pos"]  # every label the annotators used, sorted
    screenshot(page, f"kinds-03-review-{frontend}", root)

    press(page, REVIEW, "3")  # r1: the option key picks "pos"
    wait_attr(page, REVIEW, "data-item", item(0))
    wait_until(lambda: votes() == [list(v) for v in VOTES["r0"]], timeout=10)
    assert root.locator(".nblabel-suggestion").inner_text() == "Majority: neg"

    box = root.locator(".nblabel-input")
    box.click()
    page.keyboard.type("mixed 2")  # "2" typed in the box is text, not the option "neg"
    assert root.get_attribute("data-item") == item(0)
    page.keyboard.press("Enter")  # not an option: asked to confirm, nothing sent
    error = root.locator(".nblabel-error")
    error.filter(has_text='"mixed 2" is not an option: press Enter again').wait_for()
    assert root.get_attribute("data-item") == item(0)
    assert box.input_value() == "mixed 2"
    assert probe.eval("len(store.annotations(task='mood', source='review'))") == 1
    page.keyboard.press("Enter")  # confirmed: saved as a new label
    wait_attr(page, REVIEW, "data-item", item(3))
    wait_saved(page, REVIEW)

    final = probe.eval("store.annotations(task='mood', source='review')"
                       "[['item', 'annotator', 'label']].values.tolist()")
    assert final == [["r1", "carol", "pos"], ["r0", "carol", "mixed 2"]]
    assert probe.eval("rev.labels['label'].to_dict()") == {"r0": "mixed 2", "r1": "pos"}
    # the annotators' own labels are untouched
    assert len(probe.eval("store.annotations(task='mood', source='annotator')"
                          "['label'].tolist()")) == sum(map(len, VOTES.values()))
    assert not widget_errors(page), page.errors


def test_a_held_key_labels_one_item_not_a_run(kinds):
    page, probe, _frontend = kinds
    before = stored(probe, "stars")
    shown = json.loads(page.locator(STARS).get_attribute("data-item"))
    focus(page, STARS)
    for _ in range(6):  # the first keydown, then five auto-repeats (event.repeat is true)
        page.keyboard.down("2")
    page.keyboard.up("2")
    wait_saved(page, STARS)
    after = stored(probe, "stars")
    assert len(after) == len(before) + 1
    assert after[shown] == 2
