"""Nothing lost: the quickstart notebook as a user runs it, in JupyterLab, with real keys.

Label in all four widgets of ``notebooks/quickstart.ipynb`` until each shows every label
saved; let another process open ``nblabel.db``, count its events and close it (what the
``sqlite3`` shell or a second notebook does); label more and wait until saved; shut the
kernel down from the Kernel menu; run the notebook again in a new kernel. Every label must
be back: in the file (read here, after the shutdown), in the new kernel's store, in each
widget's labels and in the progress each widget shows."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from lab import (
    KernelProbe,
    close_page,
    lab_menu,
    open_notebook_in_lab,
    open_page,
    press,
    run_all,
    screenshot,
    shutdown_kernel,
    start_jupyter_server,
    stop_process,
    wait_attr,
    wait_for_widgets,
    wait_process_gone,
    wait_saved,
)

import nblabel
from nblabel import LabelStore

NOTEBOOK = "quickstart.ipynb"
DB = "nblabel.db"  # the quickstart's default store, next to the notebook
TOTAL = 48  # reviews in the quickstart's data set
VIEWPORT = {"width": 1100, "height": 2500}  # tall: all four widgets on one screenshot

# the quickstart's widgets: (variable, task, selector), in the notebook's order
SENTIMENT = ".nblabel-classify >> nth=0"
STARS = ".nblabel-rate"
TOPICS = ".nblabel-classify >> nth=1"
NOTES = ".nblabel-caption"
WIDGETS = [("w", "sentiment", SENTIMENT), ("stars", "helpfulness", STARS),
           ("topics", "topics", TOPICS), ("notes", "summary", NOTES)]
SENTIMENT_OPTIONS = ["pos", "neg", "neutral"]
TOPIC_OPTIONS = ["quality", "price", "delivery", "usability"]

# what is labeled before and after the other process reads the file, per widget:
# a key (sentiment, stars), the keys toggled before Enter (topics), the text typed (notes)
BEFORE = {
    "w": ["1", "2", "3", "1", "2", "1"],
    "stars": ["5", "1", "4", "3", "2"],
    "topics": [["1"], ["2", "4"], ["1", "3", "3", "2"], ["4"]],
    "notes": ["great sound", "broke after 2 days", "ok: fits, 3 colours"],
}
AFTER = {
    "w": ["3", "3", "2", "1"],
    "stars": ["4", "4", "1"],
    "topics": [["3"], ["1", "2", "3", "4"], ["2"]],
    "notes": ["late delivery", "price is fair ✓"],
}

OTHER_PROCESS = """\
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*) FROM nblabel_events").fetchone()[0])
db.close()
"""


def shown_item(page, scope: str) -> str:
    """The id of the item the widget at ``scope`` shows."""
    return json.loads(page.locator(scope).first.get_attribute("data-item"))


def submit(page, scope: str, act: Callable[[], None]) -> str:
    """Label the shown item with ``act()`` (real keys); returns its id once the widget moved on
    (the front end shows the next item at once, before the kernel confirms)."""
    from playwright.sync_api import expect

    item = shown_item(page, scope)
    act()
    expect(page.locator(scope).first).not_to_have_attribute("data-item", json.dumps(item))
    return item


def label_all(page, plan: dict[str, list], labeled: dict[str, dict[str, Any]]) -> None:
    """Label with the keyboard in every widget as ``plan`` says, record each label in
    ``labeled[variable][item]``, and wait until each widget shows them all saved."""
    for keys in plan["w"]:
        item = submit(page, SENTIMENT, lambda k=keys: press(page, SENTIMENT, k))
        labeled["w"][item] = SENTIMENT_OPTIONS[int(keys) - 1]
    for keys in plan["stars"]:
        item = submit(page, STARS, lambda k=keys: press(page, STARS, k))
        labeled["stars"][item] = int(keys)
    for toggles in plan["topics"]:
        def choose(toggles=toggles) -> None:
            for key in toggles:  # each key toggles an option; Enter saves the selection
                press(page, TOPICS, key)
            press(page, TOPICS, "Enter")

        item = submit(page, TOPICS, choose)
        on = sorted({k for k in toggles if toggles.count(k) % 2}, key=int)
        labeled["topics"][item] = [TOPIC_OPTIONS[int(k) - 1] for k in on]
    box = page.locator(f"{NOTES} >> .nblabel-input")
    for text in plan["notes"]:
        def write(text=text) -> None:
            box.click()
            page.keyboard.type(text)
            page.keyboard.press("Enter")  # Enter saves the text

        item = submit(page, NOTES, write)
        labeled["notes"][item] = text
    for name, _, scope in WIDGETS:
        wait_saved(page, scope)
        wait_attr(page, f"{scope} >> .nblabel-status", "data-saved", str(len(labeled[name])))


def differences(where: str, task: str, expected: dict, found: dict) -> list[str]:
    """What ``found`` lacks or gets wrong against ``expected``, one line (empty if equal)."""
    if found == expected:
        return []
    line = f"{where}, task {task!r}: expected {len(expected)} labels, found {len(found)}"
    if lost := [i for i in expected if i not in found]:
        line += f"; lost {lost}"
    if wrong := {i: found[i] for i in expected if i in found and found[i] != expected[i]}:
        line += f"; wrong {wrong}"
    if extra := sorted(set(found) - set(expected)):
        line += f"; not labeled but found {extra}"
    return [line]


def file_labels(store: LabelStore, task: str) -> dict[str, Any]:
    """``{item: label}`` of the current annotations of ``task`` in ``store``."""
    return store.annotations(task=task).set_index("item")["label"].to_dict()


def kernel_labels(probe: KernelProbe, task: str) -> dict[str, Any]:
    """The same, read by the kernel's own store (the one ``w`` writes to)."""
    return probe.eval(f"w.store.annotations(task={task!r}).set_index('item')['label'].to_dict()")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: this module's ``nblabel.db`` starts empty."""
    server = start_jupyter_server(tmp_path_factory.mktemp("durability"))
    server.copy_in(NOTEBOOK)
    yield server
    stop_process(server.proc)


@pytest.fixture(scope="module")
def page(server, browser):
    """The quickstart opened and run in Lab (module scope: a failing test gets screenshots)."""
    page = open_page(browser, VIEWPORT)
    open_notebook_in_lab(page, server, NOTEBOOK, min_widget_views=4, widgets=".nblabel")
    yield page
    close_page(page)


def test_every_label_is_back_after_another_process_and_a_kernel_shutdown(server, page):
    db = server.root_dir / DB
    labeled: dict[str, dict[str, Any]] = {name: {} for name, _, _ in WIDGETS}
    probe = KernelProbe.for_notebook(server, NOTEBOOK)
    try:
        assert probe.eval("nblabel.__file__") == nblabel.__file__  # the code under test
        label_all(page, BEFORE, labeled)
        seen = subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(db)], check=True,
                              capture_output=True, text=True, timeout=30).stdout
        assert int(seen) == sum(map(len, BEFORE.values())), "the other process read the file"
        label_all(page, AFTER, labeled)
        # the first kernel has every label: what is missing later was lost on the way out
        for name, task, _ in WIDGETS:
            found = probe.eval(f"{name}.labels['label'].to_dict()")
            assert found == labeled[name], f"the first kernel's {name}.labels, task {task!r}"
        pid = probe.eval("__import__('os').getpid()")
    finally:
        probe.close()

    shutdown_kernel(page)
    wait_process_gone(pid)
    assert server.api("/api/kernels") == []
    problems = []
    with LabelStore(db) as store:
        for name, task, _ in WIDGETS:
            problems += differences(f"{DB} after the shutdown", task, labeled[name],
                                    file_labels(store, task))
        events = len(store.annotations(history=True))  # every label event, kept or not

    # run it again, in a new kernel (cleared outputs make the wait for every cell
    # unambiguous: the old prompts and widget views are gone)
    lab_menu(page, "Edit", "Clear Outputs of All Cells")
    run_all(page, menu=("Kernel", "Restart Kernel and Run All Cells…"))
    probe = KernelProbe.for_notebook(server, NOTEBOOK)
    try:
        assert probe.eval("__import__('os').getpid()") != pid
        wait_for_widgets(page, 4, ".nblabel")
        for name, task, scope in WIDGETS:
            expected = labeled[name]
            problems += differences("the new kernel's store", task, expected,
                                    kernel_labels(probe, task))
            problems += differences(f"the new kernel's {name}.labels", task, expected,
                                    probe.eval(f"{name}.labels['label'].to_dict()"))
            shown = page.locator(f"{scope} >> .nblabel-progress").inner_text()
            if shown != f"{len(expected)} / {TOTAL}":
                problems.append(f"the page, task {task!r}: progress shows {shown}, "
                                f"expected {len(expected)} / {TOTAL}")
    finally:
        probe.close()
    screenshot(page, "quickstart-durability-rerun")
    assert not problems, (
        f"labels lost across another process and a kernel shutdown ({events} label events in "
        f"{DB}, {sum(map(len, labeled.values()))} labeled):\n" + "\n".join(problems))
