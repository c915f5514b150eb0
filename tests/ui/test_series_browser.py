"""label_series in real JupyterLab and in Notebook 7: brush a range with a real mouse drag on the
bqplot figure, press a digit, click the band and change its class, press Enter; the stored
segment has exact data times within one drawn pixel of the drag; back on the recording (in Lab
after a reload) the saved segments come back, and a click on the band then Delete removes it."""

from __future__ import annotations

import re

import pytest
from lab import (
    FRONT_ENDS,
    KernelProbe,
    axis_value_at,
    band_tags,
    brush_plot,
    focus,
    notebook_in_front_end,
    reload,
    screenshot,
    wait_saved,
    wait_until,
)

W = ".nblabel-series"
WHITE = "rgb(255, 255, 255)"
CELLS = [
    """\
import numpy as np
import pandas as pd

import nblabel

t = np.arange(6000) / 100.0  # 60 s at 100 Hz, two recordings
rng = np.random.default_rng(0)
walk = (t > 20) & (t < 35)
df = pd.DataFrame({
    "t": np.tile(t, 2),
    "x": np.concatenate([np.sin(t * 2) * (1 + 2 * walk), np.sin(t)]) + rng.normal(0, .1, 12000),
    "y": np.concatenate([np.cos(t * 3) * walk, np.cos(t)]) + rng.normal(0, .1, 12000),
    "recording": np.repeat(["a", "b"], 6000),
})
w = nblabel.label_series(df, time="t", value=["x", "y"], by="recording",
                         classes=["walk", "run", "idle"], store="series.db", annotator="al",
                         task="acts")
w
""",
]


@pytest.fixture(scope="module", params=FRONT_ENDS)
def opened(request, browser, jupyter_server):
    """The notebook in JupyterLab, then in Notebook 7."""
    with notebook_in_front_end(request.param, browser, jupyter_server, "series.ipynb",
                               cells=CELLS, widgets=f"{W} svg") as (page, probe):  # fmt: skip
        yield page, probe, request.param


def plot_box(page):
    area = page.locator(f"{W} rect.overlay").first
    area.wait_for(state="attached")
    return area.bounding_box()


def test_brush_with_the_mouse_label_save_and_show_again(opened):
    page, probe, frontend = opened
    probe: KernelProbe
    suffix = "" if frontend == "lab" else "-notebook7"
    focus(page, W)
    x0, x1 = brush_plot(page, W, probe)
    page.keyboard.press("1")
    page.locator(f"{W} .nblabel-series-band").first.wait_for()
    # the class on the plot: white on a tag in its band's colour, the tag behind all of it
    wait_until(lambda: [(t["text"], t["covers"]) for t in band_tags(page, W)] == [("walk", True)])
    (tag,) = band_tags(page, W)
    assert tag["fill"] == WHITE and tag["tag"] == tag["band"] == "rgb(31, 119, 180)"
    # the list says the times to the data's step (0.01 s here), the sample box is one line
    when = page.locator(f"{W} .nblabel-series-when").first.text_content()
    assert re.fullmatch(r"\d+\.\d\d – \d+\.\d\d", when), when
    assert page.locator(f"{W} .nblabel-sample").first.bounding_box()["height"] < 45
    # the mouse is over the plot: bqplot's own toolbar (its pan-zoom would take the brush's
    # place) stays hidden
    toolbar = page.locator(f"{W} .toolbar_div")
    assert toolbar.count() == 0 or not toolbar.first.is_visible()
    screenshot(page, f"series-brushed{suffix}", page.locator(W).first)
    if frontend == "notebook7":
        screenshot(page, "series-page-notebook7")  # the widget in Notebook 7's page

    segments = probe.eval("w.segments")
    assert [s["label"] for s in segments] == ["walk"]
    (t0, per_pixel), (t1, _) = axis_value_at(page, W, x0), axis_value_at(page, W, x1)
    start, end = segments[0]["start"], segments[0]["end"]
    # within one pixel of the drag (plus one sample, the snap to data values)
    assert abs(start - t0) <= per_pixel + 0.01, (start, t0)
    assert abs(end - t1) <= per_pixel + 0.01, (end, t1)
    exact = f"{{float(v) for v in df.t[df.recording == 'a']}} >= {{{start!r}, {end!r}}}"
    assert probe.eval(exact)

    # a click on the band selects it; 3 changes its class
    box = plot_box(page)
    page.mouse.click(box["x"] + 0.375 * box["width"], box["y"] + box["height"] / 2)
    wait_until(lambda: probe.eval("w.chosen") == 0)
    page.keyboard.press("3")
    wait_until(lambda: probe.eval("w.segments[0]['label']") == "idle")
    wait_until(lambda: [(t["text"], t["tag"]) for t in band_tags(page, W)]
               == [("idle", "rgb(44, 160, 44)")])  # fmt: skip
    page.keyboard.press("Enter")
    wait_saved(page, W)
    wait_until(lambda: probe.eval("w.current") == "b")
    stored = probe.eval("w.store.annotations(task='acts')[['item', 'label']].values.tolist()")
    assert stored == [["a", [{"start": start, "end": end, "label": "idle"}]]]
    screenshot(page, f"series-saved{suffix}", page.locator(W).first)

    if frontend == "lab":  # Notebook 7: the saved segments come back from the store alike
        reload(page, widgets=f"{W} svg")
    focus(page, W)
    page.keyboard.press("ArrowLeft")  # back to recording a: its saved segments are shown
    page.locator(f"{W} .nblabel-series-band").first.wait_for()
    assert page.locator(f"{W} .nblabel-series-label").all_text_contents() == ["idle"]
    assert page.locator(f"{W} .nblabel-held").first.text_content().startswith("Saved label: 1 seg")
    screenshot(page, f"series-shown-again{suffix}", page.locator(W).first)

    # click the band, Delete: gone from the draft (the saved label stays until Enter)
    box = plot_box(page)
    page.mouse.click(box["x"] + 0.3 * box["width"], box["y"] + box["height"] / 2)
    wait_until(lambda: probe.eval("w.chosen") == 0)
    page.keyboard.press("Delete")
    page.locator(f"{W} .nblabel-series-band").first.wait_for(state="detached")
    assert probe.eval("w.segments") == []
    assert probe.eval("len(w.store.annotations(task='acts'))") == 1
