"""label_scatter in real JupyterLab: draw a lasso with the mouse around one cluster of points,
press a digit: exactly those points get the label, as one batch; Backspace takes it back. The
selected points' thumbnails (arrays, sent as bytes) show beside the plot with their text."""

from __future__ import annotations

import pytest
from lab import focus, notebook_in_lab, screenshot, wait_until

W = ".nblabel-scatter"
CELLS = [
    """\
import numpy as np
import pandas as pd

import nblabel

rng = np.random.default_rng(1)
centers = np.repeat([[-3.0, -3.0], [3.0, 3.0], [3.0, -3.0]], 30, axis=0)
xy = centers + rng.normal(0, 0.6, centers.shape)
# a picture per point: a bar across an 8 x 8 square, its row the point's group
bars = np.zeros((90, 8, 8), dtype=np.uint8)
bars[np.arange(90), 1 + 3 * (np.arange(90) // 30), :] = 255
df = pd.DataFrame({"ux": xy[:, 0], "uy": xy[:, 1],
                   "text": [f"message {i} of group {i // 30}" for i in range(90)],
                   "bar": list(bars)},
                  index=[f"p{i}" for i in range(90)])
w = nblabel.label_scatter(df, x="ux", y="uy", options=["spam", "ham"], preview="text",
                          thumbnail="bar", store="scatter.db", annotator="al", task="mail")
w
""",
]

# the thumbnails in the preview: drawn size, natural size, whether loaded, and the row's text
THUMBS = """() => [...document.querySelectorAll('.nblabel-scatter-preview li')].map(li => {
  const img = li.querySelector('img.nblabel-scatter-thumb');
  const b = img?.getBoundingClientRect();
  return img && [b.width, b.height, img.naturalWidth, img.complete,
                 li.querySelector('.nblabel-scatter-text').textContent];
})"""

# the centre of each drawn point on the page, in data order
DOTS = """() => [...document.querySelectorAll('.nblabel-scatter path.dot')].map(d => {
  const b = d.getBoundingClientRect(); return [b.x + b.width / 2, b.y + b.height / 2];
})"""


@pytest.fixture(scope="module")
def opened(browser, jupyter_server):
    with notebook_in_lab(browser, jupyter_server, "scatter.ipynb", cells=CELLS,
                         widgets=f"{W} path.dot") as (page, probe):  # fmt: skip
        yield page, probe


def test_lasso_a_cluster_label_it_and_undo(opened):
    page, probe = opened
    focus(page, W)
    wait_until(lambda: len(page.evaluate(DOTS)) == 90)
    dots = page.evaluate(DOTS)
    group = dots[:30]  # the cluster at (-3, -3)
    area = page.locator(f"{W} .plotarea_events").first.bounding_box()  # where a lasso starts
    left = max(min(x for x, _ in group) - 8, area["x"] + 2)
    right = max(x for x, _ in group) + 8
    top = min(y for _, y in group) - 8
    bottom = min(max(y for _, y in group) + 8, area["y"] + area["height"] - 2)
    page.mouse.move(left, top)
    page.mouse.down()
    for x, y in [(right, top), (right, bottom), (left, bottom), (left, top + 1)]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    wait_until(lambda: probe.eval("w.picked") > 0)
    inside = {f"p{i}" for i, (x, y) in enumerate(dots) if left < x < right and top < y < bottom}
    assert inside >= {f"p{i}" for i in range(30)}
    assert set(probe.eval("w.selected")) == inside
    # the first page of the selection: each row a loaded 8 px picture enlarged to 56 px
    wait_until(lambda: len(page.evaluate(THUMBS)) == min(len(inside), 12)
               and all(t and t[3] and t[2] == 8 for t in page.evaluate(THUMBS)))  # fmt: skip
    shown = page.evaluate(THUMBS)
    assert all(t[:2] == [56, 56] and "of group 0" in t[4] for t in shown), shown
    screenshot(page, "scatter-thumbnails", page.locator(W).first)
    page.keyboard.press("1")
    wait_until(lambda: probe.eval("w.counts['spam']") == len(inside))
    stored = probe.eval("sorted(w.labels.index)")
    assert set(stored) == inside
    query = "SELECT DISTINCT meta FROM nblabel_events WHERE task = 'mail'"
    batches = probe.eval(f"len(w.store._query({query!r}))")
    assert batches == 1
    page.locator(f"{W} .nblabel-status[data-pending='0']").wait_for()
    screenshot(page, "scatter-labeled", page.locator(W).first)
    page.keyboard.press("Backspace")
    wait_until(lambda: probe.eval("w.counts['spam']") == 0)
    assert probe.eval("w.labels.empty")
