"""label_audio in real JupyterLab and in Notebook 7: play a clip and see the playhead move over
the waveform, label the whole clip with one key, save it; on the next clip brush a range with
the mouse and label it: the stored segment has times in seconds within one drawn pixel of the
drag."""

from __future__ import annotations

import itertools
import re

import pytest
from lab import (
    FRONT_ENDS,
    axis_value_at,
    band_tags,
    brush_plot,
    focus,
    notebook_in_front_end,
    screenshot,
    wait_saved,
    wait_until,
)

W = ".nblabel-audio"
CELLS = [
    """\
from pathlib import Path

import pandas as pd

import nblabel
from nblabel.widgets.audio import tone_wav

Path("tone.wav").write_bytes(tone_wav(3.0, 330, rate=8000))
Path("low.wav").write_bytes(tone_wav(2.0, 110, rate=8000))
clips = pd.DataFrame({"path": ["tone.wav", "low.wav"]}, index=["tone", "low"])
w = nblabel.label_audio(clips, audio="path", classes=["speech", "music", "noise"],
                        store="audio.db", annotator="al", task="sounds")
w
""",
]


@pytest.fixture(scope="module", params=FRONT_ENDS)
def opened(request, browser, jupyter_server):
    """The notebook in JupyterLab, then in Notebook 7."""
    with notebook_in_front_end(request.param, browser, jupyter_server, "audio.ipynb",
                               cells=CELLS, widgets=f"{W} svg") as (page, probe):  # fmt: skip
        yield page, probe, request.param


def test_play_moves_the_playhead_a_key_labels_the_clip_and_a_brush_a_segment(opened):
    page, probe, frontend = opened
    suffix = "" if frontend == "lab" else "-notebook7"
    focus(page, W)
    page.locator(f"{W} rect.overlay").first.wait_for(state="attached")
    page.locator(f"{W} .nblabel-audio-play").click()
    head = page.locator(f"{W} .nblabel-audio-playhead")
    head.wait_for(state="visible")
    first = head.evaluate("e => parseFloat(e.style.left)")
    wait_until(lambda: head.evaluate("e => parseFloat(e.style.left)") > first + 20, timeout=10)
    screenshot(page, f"audio-playing{suffix}", page.locator(W).first)
    page.keyboard.press(" ")  # pause
    wait_until(lambda: page.locator(f"{W} .nblabel-series-frame").get_attribute("data-playing")
               == "false")  # fmt: skip
    page.keyboard.press("2")
    page.locator(f"{W} .nblabel-series-band").first.wait_for()
    page.keyboard.press("Enter")
    wait_saved(page, W)
    wait_until(lambda: probe.eval("w.current") == "low")
    stored = probe.eval("w.store.annotations(task='sounds')[['item', 'label']].values.tolist()")
    assert stored == [["tone", [{"start": 0.0, "end": 23999 / 8000, "label": "music"}]]]

    # the next clip (2 s): brush its second quarter with the mouse, 1 labels that range
    page.locator(W).get_by_text("16000 samples").wait_for()
    page.locator(f"{W} .nblabel-series-band").first.wait_for(state="detached")
    x0, x1 = brush_plot(page, W, probe)
    page.keyboard.press("1")
    page.locator(f"{W} .nblabel-series-band").first.wait_for()
    # the class on the waveform: white on a tag in its band's colour, the tag behind all of it
    wait_until(lambda: [(t["text"], t["covers"]) for t in band_tags(page, W)]
               == [("speech", True)])  # fmt: skip
    (tag,) = band_tags(page, W)
    assert tag["fill"] == "rgb(255, 255, 255)" and tag["tag"] == tag["band"] == "rgb(31, 119, 180)"
    # the list says the times in seconds to the millisecond; the clip's line is no tall box
    when = page.locator(f"{W} .nblabel-series-when").first.text_content()
    assert re.fullmatch(r"0\.\d{3} s – [01]\.\d{3} s", when), when
    assert page.locator(f"{W} .nblabel-sample").first.bounding_box()["height"] < 45
    # the value axis of this short plot: round values, apart (d3's ten were 14 px apart)
    plot = page.locator(f"{W} rect.overlay").first.bounding_box()
    bottom = plot["y"] + plot["height"]  # the time axis's labels are below it
    labels = [(t.bounding_box(), t.text_content()) for t in page.locator(f"{W} .tick text").all()]
    ticks = sorted((b["y"], text) for b, text in labels
                   if b and b["x"] < plot["x"] and b["y"] < bottom)  # fmt: skip
    assert len(ticks) >= 3 and min(b[0] - a[0] for a, b in itertools.pairwise(ticks)) >= 25
    values = [float(text.replace("−", "-")) for _, text in ticks]
    assert 0.0 in values and len({round(b - a, 9) for a, b in itertools.pairwise(values)}) == 1
    screenshot(page, f"audio-brushed{suffix}", page.locator(W).first)
    if frontend == "notebook7":
        screenshot(page, "audio-page-notebook7")  # the widget in Notebook 7's page
    (t0, per_pixel), (t1, _) = axis_value_at(page, W, x0), axis_value_at(page, W, x1)
    page.keyboard.press("Enter")
    wait_saved(page, W)
    (segment,) = probe.eval("w.store.current_label('sounds', 'low', 'al').label")
    assert segment["label"] == "speech"
    # within one pixel of the drag (plus one sample, the snap to samples)
    assert abs(segment["start"] - t0) <= per_pixel + 1 / 8000, (segment, t0)
    assert abs(segment["end"] - t1) <= per_pixel + 1 / 8000, (segment, t1)
    assert all(abs(segment[end] * 8000 - round(segment[end] * 8000)) < 1e-6  # on a sample
               for end in ("start", "end"))
