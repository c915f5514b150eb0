"""``nblabel.classify`` in real JupyterLab: keys and clicks label items, the DOM contract
(``data-item``, ``data-saved``/``data-pending``, ``.nblabel-progress``) shows it, and the
kernel (``w.labels``, the store) agrees. Then the durable parts: a page reload, a killed
kernel, the end of the queue. The tests share one page and run in order."""

from __future__ import annotations

import json

import pytest
from lab import (
    KernelProbe,
    LatencyStats,
    dismiss_dialog,
    install_latency_probe,
    kill_kernel_process,
    measure_latency,
    notebook_in_lab,
    press,
    record_latency,
    reload,
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
NOTEBOOK = "classify/classify.ipynb"
N = 30
OPTIONS = ["pos", "neg", "meh"]
LATENCY_REPS = 5

CELLS = [
    f"""\
import pandas as pd
import nblabel

df = pd.DataFrame({{"review": [f"review number {{i}}" for i in range({N})]}},
                  index=[f"r{{i}}" for i in range({N})])
store = nblabel.LabelStore("labels.db")
""",
    f"""\
w = nblabel.classify(df, options={OPTIONS!r}, text="review", store=store,
                     annotator="alice", task="t")
w
""",
    """import ipywidgets

second = ipywidgets.VBox([])  # a second view of w shows here (test_a_second_view_...)
second
""",
]
ROOT = ".nblabel"


def item(i: int) -> str:
    """``data-item`` of row i: the JSON text of its id."""
    return json.dumps(f"r{i}")


def wait_stored(page, probe: KernelProbe) -> int:
    """Wait until the kernel confirmed every label shown; return the store's count."""
    wait_saved(page)
    return probe.eval("len(store.annotations(task='t'))")


def labels(probe: KernelProbe) -> dict[str, str]:
    return probe.eval("store.annotations(task='t').set_index('item')['label'].to_dict()")


@pytest.fixture(scope="module")
def classify(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS,
                         widgets=ROOT) as (page, probe):
        install_latency_probe(page)
        yield page, probe


def test_renders_first_item(classify):
    page, _ = classify
    root = page.locator(ROOT)
    assert root.get_attribute("tabindex") == "0"
    assert "nblabel-classify" in root.get_attribute("class")
    assert root.get_attribute("data-item") == item(0)
    assert root.get_attribute("data-done") == "false"
    assert page.locator(".nblabel-sample .nblabel-text").inner_text() == "review number 0"
    options = page.locator(".nblabel-option")
    assert options.count() == len(OPTIONS)
    assert [options.nth(i).get_attribute("data-key") for i in range(3)] == ["1", "2", "3"]
    assert page.locator(".nblabel-progress").inner_text() == f"0 / {N}"
    status = page.locator(".nblabel-status")
    assert (status.get_attribute("data-saved"), status.get_attribute("data-pending")) == ("0", "0")
    for sel in (".nblabel-back", ".nblabel-skip", ".nblabel-undo"):
        assert page.locator(sel).is_visible(), sel
    assert not widget_errors(page), page.errors
    assert not page.blocked, page.blocked
    screenshot(page, "classify-01-rendered")


def test_key_labels_and_advances(classify):
    page, probe = classify
    cells, runs = page.locator(".jp-Cell").count(), probe.eval(RUNS)
    press(page, ROOT, "2")
    wait_attr(page, ROOT, "data-item", item(1))
    wait_attr(page, ".nblabel-status", "data-saved", "1")
    assert wait_stored(page, probe) == 1
    assert page.locator(".nblabel-progress").inner_text() == f"1 / {N}"
    assert labels(probe) == {"r0": "neg"}
    assert probe.eval("w.current") == "r1"
    assert probe.eval("w.labels.loc['r0', 'label']") == "neg"
    # JupyterLab did not act on the key: no cell added or run, focus kept in the widget
    assert page.locator(".jp-Cell").count() == cells
    assert probe.eval(RUNS) == runs
    assert page.evaluate("document.activeElement.closest('.nblabel') !== null")


def test_click_option(classify):
    page, probe = classify
    page.locator('.nblabel-option[data-key="1"]').click()
    wait_attr(page, ROOT, "data-item", item(2))
    assert wait_stored(page, probe) == 2
    assert labels(probe) == {"r0": "neg", "r1": "pos"}


def test_skip_back_undo_relabel(classify):
    page, probe = classify
    press(page, ROOT, "ArrowRight")  # skip r2
    wait_attr(page, ROOT, "data-item", item(3))
    wait_until(lambda: probe.eval("w.current") == "r3")
    press(page, ROOT, "ArrowLeft")  # back to r2
    wait_attr(page, ROOT, "data-item", item(2))
    wait_until(lambda: probe.eval("w.current") == "r2")
    press(page, ROOT, "Backspace")  # undo the newest label: r1 'pos', r1 shows again
    wait_attr(page, ROOT, "data-item", item(1))
    wait_until(lambda: labels(probe) == {"r0": "neg"})
    press(page, ROOT, "3")  # relabel r1
    wait_until(lambda: labels(probe) == {"r0": "neg", "r1": "meh"})
    wait_stored(page, probe)
    # back to a labeled item: its option is shown as chosen
    press(page, ROOT, "ArrowLeft")
    wait_attr(page, ROOT, "data-item", item(1))
    page.locator('.nblabel-option.nblabel-selected[data-key="3"]').wait_for()
    assert page.locator(".nblabel-option.nblabel-selected").count() == 1
    screenshot(page, "classify-02-relabel")
    press(page, ROOT, "ArrowRight")
    wait_until(lambda: probe.eval("w.current") not in ("r0", "r1"))


def page_is_kernel(page, probe: KernelProbe) -> None:
    """Wait until the page shows the kernel's item, trail and progress."""
    wait_stored(page, probe)
    wait_attr(page, ROOT, "data-item", json.dumps(probe.eval("w.current")))
    trail = probe.eval("[e['item'] for e in w.trail]")
    wait_until(lambda: page.locator(".nblabel-trail-item").evaluate_all(
        "bs => bs.map(b => b.dataset.item)") == trail)  # fmt: skip
    assert page.locator(".nblabel-progress").inner_text() == probe.eval(
        "f'{w.progress.done} / {w.progress.total}'"
    )


def test_a_burst_of_keys_leaves_the_page_equal_to_the_kernel(classify):
    """After a label the kernel sends only what changed (a state message the page applies to
    its copy): after a burst of labels, moves and an undo the page shows the kernel's state."""
    page, probe = classify
    wait_stored(page, probe)
    assert probe.eval("w._front_follows")  # the page's view asked for state messages
    press(page, ROOT, "1")
    for key in ["2", "3", "ArrowLeft", "2", "Backspace", "1", "3"]:
        page.keyboard.press(key)
    page_is_kernel(page, probe)
    for _ in range(3):  # labels after the undo's whole trail: each pushes one entry
        upcoming = probe.eval("w.upcoming[0]['item']")
        page.keyboard.press("1")
        wait_attr(page, ROOT, "data-item", upcoming)  # the first prefetched item is next
        page_is_kernel(page, probe)
    assert len(probe.eval("w.trail")) == 5
    assert page.errors == [], page.errors


def test_a_second_view_of_the_widget_follows_labels_made_in_either(classify):
    """Two views of one widget share its model: state messages reach it once, and each view
    shows the kernel's item and trail, whichever view the label came from."""
    page, probe = classify
    wait_stored(page, probe)
    probe.run("second.children = [w]")
    page.wait_for_function("() => document.querySelectorAll('.nblabel-classify').length === 2")
    views = [f".nblabel-classify >> nth={i}" for i in (0, 1)]
    for view, key in [(views[1], "2"), (views[1], "3"), (views[0], "1"), (views[1], "1")]:
        press(page, view, key)
        wait_saved(page, view)
        current, trail = probe.eval("(w.current, [e['item'] for e in w.trail])")
        for shown in views:
            wait_attr(page, shown, "data-item", json.dumps(current))
            wait_until(lambda shown=shown, trail=trail: page.locator(
                f"{shown} >> .nblabel-trail-item").evaluate_all(
                "bs => bs.map(b => b.dataset.item)") == trail)  # fmt: skip
    screenshot(page, "classify-03-two-views")
    assert page.errors == [], page.errors
    probe.run("second.children = []")
    page.wait_for_function("() => document.querySelectorAll('.nblabel-classify').length === 1")


def test_latency_next_item_and_saved(classify):
    """Key -> next item on screen (prefetched, no kernel round trip needed) and key ->
    ``data-saved`` (the kernel confirmed the write)."""
    page, probe = classify
    shown, shown_drv = LatencyStats("next item"), LatencyStats("next item")
    saved, saved_drv = LatencyStats("saved"), LatencyStats("saved")
    press(page, ROOT, "ArrowRight")  # focus the widget (the first key is not timed)
    wait_stored(page, probe)
    for i in range(2 * LATENCY_REPS):
        wait_stored(page, probe)
        n = probe.eval("w.saved")  # saves made by this widget (never decreases)
        nxt = probe.eval("w.upcoming[0]['item']")
        stats, drv, sel, expected, attr = (
            (shown, shown_drv, ROOT, nxt, "data-item") if i % 2 == 0
            else (saved, saved_drv, ".nblabel-status", str(n + 1), "data-saved"))
        ms, d = measure_latency(page, lambda: page.keyboard.press("1"), sel, expected, attr=attr)
        stats.samples.append(ms)
        drv.samples.append(d)
        wait_attr(page, ".nblabel-status", "data-saved", str(n + 1))
    record_latency("lab/classify key -> next item shown", shown, shown_drv)
    record_latency("lab/classify key -> saved confirmed", saved, saved_drv)


def test_reload_keeps_position(classify):
    page, probe = classify
    wait_stored(page, probe)
    current, progress = probe.eval("w.current"), probe.eval("str(w.progress)")
    seconds = reload(page, widgets=ROOT)
    print(f"\n[reload] {seconds}s")
    wait_attr(page, ROOT, "data-item", json.dumps(current))
    assert page.locator(".nblabel-progress").inner_text() == progress
    n = wait_stored(page, probe)
    press(page, ROOT, "2")
    wait_until(lambda: probe.eval("len(store.annotations(task='t'))") == n + 1)
    assert labels(probe)[current] == "neg"


def test_labels_survive_killed_kernel(classify):
    page, probe = classify
    before = labels(probe)
    shown = probe.eval("w.current")  # items skipped before it stay behind it
    kill_kernel_process(probe)
    assert dismiss_dialog(page)
    wait_idle(page)
    run_all(page)  # the user runs the notebook again: same store file, a new widget
    wait_for_widgets(page, 1, ROOT)
    assert labels(probe) == before
    assert page.locator(".nblabel-progress").inner_text() == f"{len(before)} / {N}"
    wait_attr(page, ROOT, "data-item", json.dumps(shown))  # the item the page showed
    screenshot(page, "classify-04-after-kill")


def test_done_at_the_end(classify):
    page, probe = classify
    left = probe.eval("w.progress.remaining")
    probe.run(f"for _ in range({left - 1}): w.press('1')")  # the public twin of a key
    wait_attr(page, ROOT, "data-item", json.dumps(probe.eval("w.current")))
    press(page, ROOT, "1")
    wait_attr(page, ROOT, "data-done", "true")
    assert page.locator(".nblabel-progress").inner_text() == f"{N} / {N}"
    assert probe.eval("w.current") is None
    assert probe.eval("w.progress.done") == N
    assert len(labels(probe)) == N
    assert not widget_errors(page), page.errors
    screenshot(page, "classify-05-done")
