"""The status line explains a label that stays pending, in real JupyterLab: a kernel busy
with another cell ("kernel not responding"), a store another program holds locked ("database
locked by another program (file)"), a kernel that died ("kernel restarted or stopped — run
the cell again", the labels kept); each label is saved once the cause is gone. Its marks are
drawn by CSS, not with glyphs a system font may lack. The tests share one page, in order."""

from __future__ import annotations

import json

import pytest
from lab import (
    KernelProbe,
    dismiss_dialog,
    kill_kernel_process,
    notebook_in_lab,
    press,
    run_all,
    screenshot,
    wait_attr,
    wait_for_widgets,
    wait_idle,
    wait_saved,
    wait_until,
    widget_errors,
)

NOTEBOOK = "status/status.ipynb"
ROOT = ".nblabel"
STATUS = f"{ROOT} >> .nblabel-status"
N = 12

CELLS = [
    f"""\
import subprocess
import sys

import pandas as pd

import nblabel
import nblabel._sqlite

nblabel._sqlite._BUSY_TIMEOUT_S = 1.0  # a locked store fails after 1 s here, not 30 s
ids = [f"r{{i}}" for i in range({N})]
df = pd.DataFrame({{"t": [f"row {{i}}" for i in range({N})]}}, index=ids)
w = nblabel.classify(df, options=["pos", "neg"], text="t", store="status.db",
                     annotator="alice", task="t")
w
""",
]

# another program takes the store's write lock and holds it until its stdin closes
LOCKER = (
    "import sqlite3, sys\n"
    "db = sqlite3.connect('status.db', isolation_level=None)\n"
    "db.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


def item(i: int) -> str:
    return json.dumps(f"r{i}")


def labels(probe: KernelProbe) -> dict:
    return probe.eval("w.labels['label'].to_dict()")


def status_text(page) -> str:
    return page.locator(STATUS).inner_text()


@pytest.fixture(scope="module")
def status(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS,
                         widgets=ROOT) as (page, probe):
        yield page, probe


def test_marks_are_drawn_not_glyphs(status):
    page, probe = status
    text = page.locator(ROOT).text_content()
    assert "ready" in status_text(page)
    for glyph in ("⏳", "🎉"):
        assert glyph not in text
    assert page.locator(f"{STATUS} >> .nblabel-mark-ok").is_visible()
    press(page, ROOT, "1")
    wait_saved(page)
    assert "all labels saved" in status_text(page)
    assert labels(probe) == {"r0": "pos"}


def test_a_busy_kernel_is_named(status):
    page, probe = status
    # the kernel takes 8 s over the next save (as if busy), then saves as usual
    probe.run(
        "import time\n"
        "def slow(**kwargs):\n"
        "    del w.store.append\n"
        "    time.sleep(8)\n"
        "    return w.store.append(**kwargs)\n"
        "w.store.append = slow"
    )
    press(page, ROOT, "2")
    wait_attr(page, ROOT, "data-item", item(2))  # shown at once from the prefetch
    assert status_text(page).startswith("1 not yet saved…")  # too early to blame anyone
    wait_attr(page, STATUS, "data-why", "kernel-slow", timeout=10_000)
    assert "1 not yet saved — kernel not responding" in status_text(page)
    assert page.locator(f"{STATUS} >> .nblabel-mark-pending").is_visible()
    screenshot(page, "status-01-kernel-busy", page.locator(ROOT))
    wait_saved(page, timeout=20_000)
    assert page.locator(STATUS).get_attribute("data-why") == ""
    assert labels(probe) == {"r0": "pos", "r1": "neg"}


def test_a_locked_store_is_named(status):
    page, probe = status
    probe.run(
        f"locker = subprocess.Popen([sys.executable, '-c', {LOCKER!r}], "
        "stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)\n"
        "assert locker.stdout.readline().strip() == 'locked'"
    )
    try:
        press(page, ROOT, "1")
        wait_attr(page, STATUS, "data-why", "not-saved", timeout=10_000)
        assert "1 not yet saved — database locked by another program (status.db)" in (
            status_text(page))
        assert "locked" in page.locator(f"{ROOT} >> .nblabel-error").inner_text()
        assert probe.eval("w.save_problem") == "database locked by another program (status.db)"
        screenshot(page, "status-02-locked", page.locator(ROOT))
        assert "r2" not in labels(probe)
    finally:
        probe.run("locker.stdin.close(); locker.wait(10)")
    wait_saved(page, timeout=20_000)  # resent by the browser, saved now
    assert labels(probe)["r2"] == "pos"
    assert probe.eval("w.save_problem") == ""
    assert page.locator(STATUS).get_attribute("data-why") == ""


def test_a_dead_kernel_is_named_and_the_labels_kept(status, jupyter_server):
    page, probe = status
    wait_attr(page, ROOT, "data-item", item(3))
    kill_kernel_process(probe)
    dismiss_dialog(page)
    wait_idle(page)
    press(page, ROOT, "2")
    wait_attr(page, STATUS, "data-why", "kernel-gone", timeout=10_000)
    assert ("1 not yet saved — kernel restarted or stopped — run the cell again "
            "(your 1 label is kept and will be sent)") in status_text(page)
    screenshot(page, "status-03-kernel-gone", page.locator(ROOT))
    assert not [e for e in page.errors if e.startswith("pageerror")], page.errors
    run_all(page)
    wait_for_widgets(page, 1, ROOT)
    fresh = KernelProbe.for_notebook(jupyter_server, NOTEBOOK)
    try:
        wait_until(lambda: labels(fresh).get("r3") == "neg", timeout=20)
    finally:
        fresh.close()
    wait_saved(page)
    assert not widget_errors(page), page.errors
