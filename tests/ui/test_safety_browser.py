"""What must never go wrong in real JupyterLab: sample content is data, never markup or
script (text, table rows, review votes); odd text (missing values, 1 MB, right-to-left,
CJK, emoji) shows exactly; keys pressed in a focused widget never reach JupyterLab; a label
made while the kernel is dead stays visible as pending and is saved once a new widget runs;
labels survive a kernel restart. The tests share one page and run in order."""

from __future__ import annotations

import json

import pytest
from lab import (
    KernelProbe,
    dismiss_dialog,
    kill_kernel_process,
    local_storage,
    notebook_cells,
    notebook_in_lab,
    press,
    restart_kernel,
    run_all,
    screenshot,
    wait_attr,
    wait_for_widgets,
    wait_idle,
    wait_saved,
    wait_until,
    widget_errors,
)

RUNS = "get_ipython().execution_count"  # cells run so far (probes do not count)
NOTEBOOK = "safety/safety.ipynb"

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=2">'
ENTITIES = "&lt;b&gt;&amp;"
ARABIC = "هذا نص عربي للاختبار، رقم 123 (مع أقواس)"
CJK = "日本語のテキスト・中文文本，한국어 텍스트。"
EMOJI = "👩‍👩‍👧 family · 🇯🇵 flag · 👍🏽 thumbs · e\u0301 combining"
BIG_LEN = 1_000_000
# the text column, in queue order; None and NaN are both missing values
ROWS = {
    "script": SCRIPT, "img": IMG, "entities": ENTITIES,
    "arabic": ARABIC, "cjk": CJK, "emoji": EMOJI,
    "none": None, "nan": "NaN, set in the notebook", "big": "1 MB, set in the notebook",
    **{f"plain{i}": f"plain text {i}" for i in range(5)},
}
ITEMS = list(ROWS)
# review: annotators' labels and reasons full of markup
VOTES = [
    ("ann", "<b>bold</b>", IMG),
    ("bob", SCRIPT, "<i>because</i> &amp; so"),
    ("cy", "&amp;", SCRIPT),
]

TEXT = ".nblabel-classify >> nth=0"  # text= column: one string per row
TABLE = ".nblabel-classify >> nth=1"  # no text=: the whole row as a table
REVIEW = ".nblabel-review"

CELLS = [
    f"""\
import html

import pandas as pd

import nblabel

ROWS = {ROWS!r}
ROWS["big"] = ("nblabel " * {BIG_LEN // 8})[:-1] + "!"
ROWS["nan"] = float("nan")
df = pd.DataFrame({{"t": pd.Series(ROWS, dtype=object)}})
store = nblabel.LabelStore("safety.db")
""",
    """\
txt = nblabel.classify(df, options=["ok", "bad"], text="t", store=store,
                       annotator="alice", task="text")
txt
""",
    f"""\
rows = pd.DataFrame({{"<b>col</b>": [{SCRIPT!r}], "img": [{IMG!r}],
                     "entities": [{ENTITIES!r}], "none": [None]}}, index=["row0"])
tab = nblabel.classify(rows, options=["ok", "bad"], store=store, annotator="alice",
                       task="table")
tab
""",
    f"""\
if "votes" not in store.tasks():
    for annotator, label, why in {VOTES!r}:
        store.append(task="votes", item="script", annotator=annotator, label=label,
                     rationale=why)
# the sample is trusted markup (nblabel.HTML): its onerror runs, which proves that the
# page would notice if any untrusted text ran as markup
trusted = lambda row: nblabel.HTML(
    f'<i class="trusted">{{html.escape(row.t)}}</i><img src=x onerror="window.__trusted=1">')
rev = nblabel.review(store, "votes", data=df, display=trusted, reviewer="carol")
rev
""",
]


def item(name: str) -> str:
    return json.dumps(name)


def labels(probe: KernelProbe, task: str = "text") -> dict:
    return probe.eval(f"store.annotations(task={task!r}).set_index('item')['label'].to_dict()")


def no_script_ran(page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"


def shown_text(page, scope: str = TEXT) -> str:
    return page.locator(f"{scope} >> .nblabel-sample >> .nblabel-text").inner_text()


@pytest.fixture(scope="module")
def safety(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS, min_widget_views=3,
                         widgets=".nblabel") as (page, probe):
        yield page, probe


def test_text_content_is_data(safety):
    page, probe = safety
    # the positive control: trusted markup's handler ran, so one in the data would have too
    page.wait_for_function("window.__trusted === 1")
    for name, key in (("script", "1"), ("img", "2"), ("entities", "1")):
        wait_attr(page, TEXT, "data-item", item(name))
        assert shown_text(page) == ROWS[name]
        assert probe.eval(f"df.loc[{name!r}, 't']") == ROWS[name]
        assert page.locator(TEXT).locator("script, img, b").count() == 0
        press(page, TEXT, key)
    wait_attr(page, TEXT, "data-item", item("arabic"))
    wait_saved(page, TEXT)
    assert labels(probe) == {"script": "ok", "img": "bad", "entities": "ok"}
    page.wait_for_timeout(300)  # an onerror would have fired by now (see the control)
    no_script_ran(page)


def test_table_row_is_data(safety):
    page, probe = safety
    table = page.locator(TABLE).locator(".nblabel-table")
    cells = table.locator("tr").evaluate_all(
        "rows => rows.map(r => [r.cells[0].innerText, r.cells[1].innerText])")
    assert cells == [["<b>col</b>", SCRIPT], ["img", IMG], ["entities", ENTITIES],
                     ["none", "(missing)"]]
    assert table.locator("script, img, b").count() == 0
    press(page, TABLE, "2")
    wait_attr(page, TABLE, "data-done", "true")
    assert labels(probe, "table") == {"row0": "bad"}
    no_script_ran(page)


def test_review_votes_are_data(safety):
    page, probe = safety
    root = page.locator(REVIEW)
    assert root.locator(".trusted").inner_text() == SCRIPT  # escaped by the user's display
    votes = root.locator(".nblabel-votes tr").evaluate_all(
        "rows => rows.slice(1).map(r => [...r.cells].map(c => c.innerText))")
    assert votes == [list(v) for v in VOTES]
    options = root.locator(".nblabel-option .nblabel-option-label").all_inner_texts()
    assert options == sorted(label for _, label, _ in VOTES)
    markup = root.locator(".nblabel-votes, .nblabel-options").locator("script, img, b, i")
    assert markup.count() == 0
    press(page, REVIEW, "2")  # the second option: "<b>bold</b>", as text
    wait_attr(page, REVIEW, "data-done", "true")
    assert probe.eval("store.annotations(task='votes', source='review')"
                      "[['annotator', 'label']].values.tolist()") == [["carol", "<b>bold</b>"]]
    no_script_ran(page)
    screenshot(page, "safety-01-review-done", root)


def test_odd_text_shows_exactly(safety):
    page, probe = safety
    for name, key in (("arabic", "1"), ("cjk", "2"), ("emoji", "1")):
        wait_attr(page, TEXT, "data-item", item(name))
        assert shown_text(page) == ROWS[name]
        press(page, TEXT, key)
    for name in ("none", "nan"):
        wait_attr(page, TEXT, "data-item", item(name))
        missing = page.locator(TEXT).locator(".nblabel-text.nblabel-missing")
        assert missing.inner_text() == "(missing value)"
        press(page, TEXT, "2")
    wait_attr(page, TEXT, "data-item", item("big"))
    big = probe.eval("len(df.loc['big', 't'])")
    assert big == BIG_LEN
    assert page.locator(TEXT).locator(".nblabel-text").evaluate("e => e.innerText.length") == big
    assert page.locator(TEXT).locator(".nblabel-text").evaluate(
        "e => e.textContent.endsWith('nblabel!')")
    press(page, TEXT, "1")
    wait_attr(page, TEXT, "data-item", item("plain0"))
    wait_saved(page, TEXT)
    assert labels(probe) == {"script": "ok", "img": "bad", "entities": "ok", "arabic": "ok",
                             "cjk": "bad", "emoji": "ok", "none": "bad", "nan": "bad",
                             "big": "ok"}
    no_script_ran(page)
    assert not widget_errors(page), page.errors


def test_keys_in_the_widget_do_nothing_to_lab(safety):
    page, probe = safety
    cells, runs = notebook_cells(page), probe.eval(RUNS)
    assert cells == ["code"] * len(CELLS)
    before = labels(probe)
    wait_attr(page, TEXT, "data-item", item("plain0"))
    # letters JupyterLab binds in command mode: a/b insert a cell, m/y retype it, d d deletes
    for key in ("a", "b", "m", "y", "d", "d", "z", "Shift+M"):
        press(page, TEXT, key)
    # keys the widget owns: skip, back, Enter (no selection to confirm here)
    press(page, TEXT, "ArrowRight")
    wait_attr(page, TEXT, "data-item", item("plain1"))
    press(page, TEXT, "ArrowLeft")
    wait_attr(page, TEXT, "data-item", item("plain0"))
    press(page, TEXT, "Enter")
    page.wait_for_timeout(300)
    assert notebook_cells(page) == cells  # no cell added, deleted or retyped
    assert page.locator(".jp-Notebook.jp-mod-editMode").count() == 0  # Enter edited no cell
    assert probe.eval(RUNS) == runs
    assert labels(probe) == before  # unbound letters label nothing either
    assert page.evaluate("document.activeElement.closest('.nblabel') !== null")
    press(page, TEXT, "1")  # the widget still works, and "1" made no heading
    wait_attr(page, TEXT, "data-item", item("plain1"))
    wait_saved(page, TEXT)
    assert labels(probe) == {**before, "plain0": "ok"}
    assert notebook_cells(page) == cells
    assert probe.eval(RUNS) == runs


PENDING_PREFIX = "nblabel:pending:"
STATUS = f"{TEXT} >> .nblabel-status"


def pending_items(page) -> list[str]:
    """``data-item`` of every label the page keeps in localStorage until the kernel saves it."""
    return [entry["msg"].get("item") for stored in local_storage(page, PENDING_PREFIX).values()
            for entry in stored.values()]


def test_pending_label_is_visible_while_the_kernel_is_dead(safety):
    page, probe = safety
    wait_saved(page, TEXT)
    assert page.locator(TEXT).get_attribute("data-item") == item("plain1")
    kill_kernel_process(probe)
    dismiss_dialog(page)  # "the kernel appears to have died" (if Lab shows it)
    wait_idle(page)
    press(page, TEXT, "1")  # into the stale widget: nobody listens
    # durable first: the label waits in the browser's localStorage for a new kernel
    wait_until(lambda: pending_items(page) == [item("plain1")], timeout=5)
    try:
        wait_attr(page, STATUS, "data-pending", "1", timeout=3_000)
        assert "not yet saved" in page.locator(STATUS).inner_text()
        page.wait_for_timeout(1500)  # the stale view's resend timer fires into the void
        assert page.locator(STATUS).get_attribute("data-pending") == "1"
        assert not [e for e in page.errors if "Cannot send" in e], page.errors
    finally:
        screenshot(page, "safety-02-pending", page.locator(TEXT))


def test_pending_label_is_resent_by_the_new_widget(safety, jupyter_server):
    """Runs after the test above (the label of plain1 made while the kernel was dead)."""
    page, _ = safety
    assert pending_items(page) == [item("plain1")]
    run_all(page)  # the user runs the notebook again: a new widget on the same store
    wait_for_widgets(page, 3, ".nblabel")
    fresh = KernelProbe.for_notebook(jupyter_server, NOTEBOOK)
    try:
        wait_until(lambda: labels(fresh).get("plain1") == "ok", timeout=20)
        wait_saved(page, TEXT)
        assert pending_items(page) == []
        assert fresh.eval("txt.labels.loc['plain1', 'label']") == "ok"
        assert fresh.eval("txt.current") == "plain2"
    finally:
        fresh.close()
    wait_attr(page, TEXT, "data-item", item("plain2"))
    assert page.locator(STATUS).get_attribute("data-pending") == "0"
    page.errors[:] = [e for e in page.errors if "Cannot send" not in e]  # reported above
    assert not widget_errors(page), page.errors


def test_labels_survive_kernel_restart(safety):
    page, probe = safety
    wait_saved(page, TEXT)
    before = labels(probe)
    restart_kernel(page)
    run_all(page)
    wait_for_widgets(page, 3, ".nblabel")
    assert probe.eval("txt.labels['label'].to_dict()") == before
    first_unlabeled = next(name for name in ITEMS if name not in before)
    assert first_unlabeled == "plain2"
    wait_attr(page, TEXT, "data-item", item(first_unlabeled))
    assert probe.eval("txt.current") == first_unlabeled
    assert page.locator(TEXT).locator(".nblabel-progress").inner_text() == (
        f"{len(before)} / {len(ITEMS)}")
    assert shown_text(page) == ROWS[first_unlabeled]
    wait_attr(page, TABLE, "data-done", "true")
    wait_attr(page, REVIEW, "data-done", "true")
    no_script_ran(page)
    assert not widget_errors(page), page.errors


def test_a_failed_save_is_shown_kept_and_saved_on_retry(safety):
    """The disk refuses a write (a real SQLite error, from a trigger): the widget says the
    label is not saved and keeps it pending; once the disk takes writes again, the browser's
    retry saves it without the user doing anything."""
    page, probe = safety
    wait_saved(page, TEXT)
    shown = probe.eval("txt.current")
    probe.run(
        "import sqlite3\n"
        "blocker = sqlite3.connect(store.path)\n"
        "blocker.execute(\"CREATE TRIGGER full_disk BEFORE INSERT ON nblabel_events "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END\")\n"
        "blocker.commit()"
    )
    press(page, TEXT, "2")
    error = page.locator(TEXT).locator(".nblabel-error")
    error.wait_for(state="visible")
    assert "Not saved" in error.inner_text() and "disk is full" in error.inner_text()
    assert page.locator(STATUS).get_attribute("data-pending") == "1"
    assert "not yet saved" in page.locator(STATUS).inner_text()
    assert shown not in labels(probe)
    probe.run("blocker.execute('DROP TRIGGER full_disk'); blocker.commit()")
    wait_until(lambda: labels(probe).get(shown) == "bad", timeout=20)  # resent, now saved
    wait_saved(page, TEXT)
    error.wait_for(state="hidden")
    assert pending_items(page) == []
