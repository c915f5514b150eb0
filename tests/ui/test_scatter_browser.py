"""label_scatter in real JupyterLab and in Notebook 7: draw a lasso with the mouse around one
cluster of points, press a digit: exactly those points get the label, as one batch; Backspace
takes it back. The selected points' thumbnails (arrays, sent as bytes) show beside the plot with
their text. The same with the points drawn by the view on its own canvas (gl=True), where no
point is an element of the page: the canvas's pixels show each point's label colour and the
selection."""

from __future__ import annotations

import pytest
from lab import (
    FRONT_ENDS,
    focus,
    lasso_rectangle,
    notebook_in_front_end,
    screenshot,
    wait_until,
)

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
    """\
g = nblabel.label_scatter(df, x="ux", y="uy", options=["spam", "ham"], preview="text",
                          store="scatter.db", annotator="al", task="mail-gl", gl=True)
g.add_class("gl-scatter")
g
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


# the canvas pixel (r, g, b, a) at the centre of each point given in data coordinates
PIXELS = """([points, [x0, x1, y0, y1]]) => {
  const c = document.querySelector('.gl-scatter canvas.nblabel-scatter-points');
  const box = document.querySelector('.gl-scatter .plotarea_events').getBoundingClientRect();
  const own = c.getBoundingClientRect();
  const r = c.width / own.width;
  const ctx = c.getContext('2d');
  return points.map(([x, y]) => [...ctx.getImageData(
    Math.round((box.left - own.left + (x - x0) / (x1 - x0) * box.width) * r),
    Math.round((box.top - own.top + (y1 - y) / (y1 - y0) * box.height) * r), 1, 1).data]);
}"""
GREY, SPAM = [196, 196, 196], [0x1F, 0x77, 0xB4]  # unlabeled, the first class colour


@pytest.fixture(scope="module", params=FRONT_ENDS)
def opened(request, browser, jupyter_server):
    """The notebook in JupyterLab, then in Notebook 7."""
    with notebook_in_front_end(request.param, browser, jupyter_server, "scatter.ipynb",
                               cells=CELLS, min_widget_views=2, widgets=W) as (page, probe):
        yield page, probe, "" if request.param == "lab" else "-notebook7"


def test_lasso_a_cluster_label_it_and_undo(opened):
    page, probe, suffix = opened
    focus(page, W)
    wait_until(lambda: len(page.evaluate(DOTS)) == 90)
    dots = page.evaluate(DOTS)
    group = dots[:30]  # the cluster at (-3, -3)
    area = page.locator(f"{W} .plotarea_events").first.bounding_box()  # where a lasso starts
    left = max(min(x for x, _ in group) - 8, area["x"] + 2)
    right = max(x for x, _ in group) + 8
    top = min(y for _, y in group) - 8
    bottom = min(max(y for _, y in group) + 8, area["y"] + area["height"] - 2)
    lasso_rectangle(page, left, top, right, bottom)
    page.mouse.up()
    wait_until(lambda: probe.eval("w.picked") > 0)
    # the mouse is over the plot: bqplot's toolbar (its pan-zoom would replace the lasso) hidden
    toolbar = page.locator(f"{W} .toolbar_div")
    assert toolbar.count() == 0 or not toolbar.first.is_visible()
    inside = {f"p{i}" for i, (x, y) in enumerate(dots) if left < x < right and top < y < bottom}
    assert inside >= {f"p{i}" for i in range(30)}
    assert set(probe.eval("w.selected")) == inside
    # the first page of the selection: each row a loaded 8 px picture enlarged to 56 px
    wait_until(lambda: len(page.evaluate(THUMBS)) == min(len(inside), 12)
               and all(t and t[3] and t[2] == 8 for t in page.evaluate(THUMBS)))  # fmt: skip
    shown = page.evaluate(THUMBS)
    assert all(t[:2] == [56, 56] and "of group 0" in t[4] for t in shown), shown
    screenshot(page, f"scatter-thumbnails{suffix}", page.locator(W).first)
    if suffix:
        screenshot(page, f"scatter-page{suffix}")  # the widget in Notebook 7's page
    page.keyboard.press("1")
    wait_until(lambda: probe.eval("w.counts['spam']") == len(inside))
    stored = probe.eval("sorted(w.labels.index)")
    assert set(stored) == inside
    query = "SELECT DISTINCT meta FROM nblabel_events WHERE task = 'mail'"
    batches = probe.eval(f"len(w.store._query({query!r}))")
    assert batches == 1
    page.locator(W).first.locator(".nblabel-status[data-pending='0']").wait_for()
    screenshot(page, f"scatter-labeled{suffix}", page.locator(W).first)
    page.keyboard.press("Backspace")
    wait_until(lambda: probe.eval("w.counts['spam']") == 0)
    assert probe.eval("w.labels.empty")


def test_canvas_points_lasso_and_label(opened):
    page, probe, suffix = opened
    gl = ".gl-scatter"
    assert probe.eval("type(g.points).__name__") == "CanvasPoints"
    page.locator(f"{gl} canvas.nblabel-scatter-lasso").wait_for()
    page.locator(f"{gl} canvas.nblabel-scatter-points[data-drawn='90']").wait_for()
    assert page.locator(f"{gl} path.dot").count() == 0  # drawn on the canvas, not as elements
    # the loneliest point of the left cluster and of the right (no other point drawn over it)
    where = probe.eval("[[float(v) for v in xy[max(range(a, a + 30), key=lambda i: "
                       "np.delete(np.hypot(*(xy - xy[i]).T), i).min())]] for a in (0, 30)]")
    extent = probe.eval("g.gl['extent']")
    left_point, right_point = page.evaluate(PIXELS, [where, extent])
    assert left_point == [*GREY, 255] and right_point == [*GREY, 255]
    # the left of the plot holds one cluster (ux < 0) and only it: lasso that side, with the
    # view's own lasso
    focus(page, gl)
    events = page.locator(f"{gl} .plotarea_events").first
    events.scroll_into_view_if_needed()
    screenshot(page, f"scatter-canvas{suffix}", page.locator(gl).first)
    area = events.bounding_box()
    left, right = area["x"] + 2, area["x"] + area["width"] * 0.45
    top, bottom = area["y"] + 2, area["y"] + area["height"] - 2
    lasso_rectangle(page, left, top, right, bottom)
    # the lasso being drawn
    screenshot(page, f"scatter-canvas-lasso{suffix}", page.locator(gl).first)
    page.mouse.up()
    cluster = set(probe.eval("list(df.index[df.ux < 0])"))
    wait_until(lambda: probe.eval("g.picked") == len(cluster))
    assert set(probe.eval("g.selected")) == cluster
    # the page draws the selection the kernel sends back: wait for it
    side = page.locator(f"{gl} .nblabel-scatter-side-title")
    side.filter(has_text=f"Selected ({len(cluster)})").wait_for()
    assert side.text_content() == f"Selected ({len(cluster)})"
    page.locator(f"{gl} canvas.nblabel-scatter-points[data-chosen='{len(cluster)}']").wait_for()
    left_point, right_point = page.evaluate(PIXELS, [where, extent])
    assert left_point == [*GREY, 255]  # selected: drawn on top, whole
    # the others faded (read back with alpha, a colour is rounded by one or two)
    assert max(abs(a - b) for a, b in zip(right_point[:3], GREY, strict=True)) <= 2
    assert 40 < right_point[3] < 120
    screenshot(page, f"scatter-canvas-selected{suffix}", page.locator(gl).first)
    page.keyboard.press("1")
    wait_until(lambda: probe.eval("g.counts['spam']") == len(cluster))
    assert set(probe.eval("list(g.labels.index)")) == cluster
    page.locator(gl).locator(".nblabel-status[data-pending='0']").wait_for()
    wait_until(lambda: page.evaluate(PIXELS, [where, extent])[0] == [*SPAM, 255])
    right_point = page.evaluate(PIXELS, [where, extent])[1]
    assert max(abs(a - b) for a, b in zip(right_point[:3], GREY, strict=True)) <= 2
    screenshot(page, f"scatter-canvas-labeled{suffix}", page.locator(gl).first)
    # a narrow page: the preview goes under the plot, the plot area shrinks and the canvas
    # draws the points at their new places
    size = page.viewport_size
    drawn_width = page.locator(f"{gl} canvas.nblabel-scatter-points").bounding_box()["width"]
    page.set_viewport_size({**size, "width": size["width"] - 760})
    try:
        wait_until(lambda: page.locator(f"{gl} canvas.nblabel-scatter-points")
                   .bounding_box()["width"] < drawn_width - 80)  # fmt: skip
        plot = page.locator(f"{gl} .nblabel-scatter-plot").bounding_box()
        side = page.locator(f"{gl} .nblabel-scatter-side").bounding_box()
        assert side["y"] >= plot["y"] + plot["height"] - 1 and side["width"] > 300

        def redrawn():
            left_point, right_point = page.evaluate(PIXELS, [where, extent])
            return left_point == [*SPAM, 255] and 40 < right_point[3] < 120

        wait_until(redrawn)
        screenshot(page, f"scatter-canvas-narrower{suffix}", page.locator(gl).first)
    finally:
        page.set_viewport_size(size)
    page.keyboard.press("Backspace")
    wait_until(lambda: probe.eval("g.counts['spam']") == 0)
    assert probe.eval("g.labels.empty")
    wait_until(lambda: page.evaluate(PIXELS, [where, extent])[0] == [*GREY, 255])
