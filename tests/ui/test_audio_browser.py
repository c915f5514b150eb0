"""label_audio in real JupyterLab: play a clip and see the playhead move over the waveform,
label the whole clip with one key, save it."""

from __future__ import annotations

import pytest
from lab import focus, notebook_in_lab, screenshot, wait_saved, wait_until

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


@pytest.fixture(scope="module")
def opened(browser, jupyter_server):
    with notebook_in_lab(browser, jupyter_server, "audio.ipynb", cells=CELLS,
                         widgets=f"{W} svg") as (page, probe):  # fmt: skip
        yield page, probe


def test_play_moves_the_playhead_and_a_key_labels_the_whole_clip(opened):
    page, probe = opened
    focus(page, W)
    page.locator(f"{W} rect.overlay").first.wait_for(state="attached")
    page.locator(f"{W} .nblabel-audio-play").click()
    head = page.locator(f"{W} .nblabel-audio-playhead")
    head.wait_for(state="visible")
    first = head.evaluate("e => parseFloat(e.style.left)")
    wait_until(lambda: head.evaluate("e => parseFloat(e.style.left)") > first + 20, timeout=10)
    screenshot(page, "audio-playing", page.locator(W).first)
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
