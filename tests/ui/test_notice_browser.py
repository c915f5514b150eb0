"""Labels stored for other content are reported in the page: a widget built on re-sorted
data under a default index shows, above the sample, how many labels it set aside and the
fix, as text, and does not count them."""

from __future__ import annotations

import pytest
from lab import notebook_in_lab, screenshot, widget_errors

NOTEBOOK = "notice/notice.ipynb"
ROOT = ".nblabel"

CELLS = [
    """\
import warnings

import pandas as pd

import nblabel

df = pd.DataFrame({"review": ["good", "bad", "meh", "<b>great</b>"]})
first = nblabel.classify(df, options=["pos", "neg"], text="review", store="notice.db",
                         annotator="alice", task="notice")
first.press("1")
first.press("2")
first.close()
# id 0 now shows "<b>great</b>", id 1 still "bad"
resorted = df.sort_values("review").reset_index(drop=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    w = nblabel.classify(resorted, options=["pos", "neg"], text="review", store="notice.db",
                         annotator="alice", task="notice")
w
""",
]


@pytest.fixture(scope="module")
def notice(jupyter_server, browser):
    opened = notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS, widgets=ROOT)
    with opened as (page, probe):
        yield page, probe


def test_labels_given_for_other_content_are_reported_above_the_sample(notice):
    page, probe = notice
    box = page.locator(f"{ROOT} >> .nblabel-notice")
    box.wait_for()
    text = box.inner_text()
    assert text == probe.eval("w.notice") and text
    assert 'df.set_index("id")' in text
    assert probe.eval("len(caught)") == 1  # the same words, once, as a warning
    assert page.locator(f"{ROOT} >> .nblabel-notice b").count() == 0  # text, never markup
    assert probe.eval("w.progress.done") == 1  # only "bad" still counts
    assert page.locator(f"{ROOT} >> .nblabel-progress").inner_text() == "1 / 4"
    screenshot(page, "notice", page.locator(ROOT))
    assert not widget_errors(page), page.errors
