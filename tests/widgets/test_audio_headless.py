"""label_audio without a browser: clips read from WAV files, brushed or labeled whole, the file
sent once per clip, and a clip that cannot be read is an error on that clip only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel import NblabelError
from nblabel.widgets.audio import read_clip, tone_wav

pytest.importorskip("bqplot")


@pytest.fixture
def clips(tmp_path):
    (tmp_path / "tone.wav").write_bytes(tone_wav(2.0, 440, rate=8000))
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really")
    (tmp_path / "low.wav").write_bytes(tone_wav(1.0, 110, rate=8000))
    return tmp_path, pd.DataFrame({"path": ["tone.wav", "broken.wav", "low.wav"]},
                                  index=["tone", "broken", "low"])  # fmt: skip


def make(folder, data, **kwargs):
    classes = ["speech", "music", "noise"]
    return nblabel.label_audio(data, audio="path", classes=classes, folder=folder,
                               store=folder / "s.db", annotator="a", **kwargs)  # fmt: skip


def test_a_wav_is_read_exactly(tmp_path):
    rate, samples = read_clip(_write(tmp_path / "t.wav", tone_wav(0.5, 100, rate=4000)))
    assert rate == 4000 and len(samples) == 2000
    assert samples.max() == pytest.approx(0.6, abs=1e-3)


def _write(path, data):
    path.write_bytes(data)
    return path


def test_a_digit_with_nothing_brushed_labels_the_whole_clip(clips):
    folder, data = clips
    w = make(folder, data)
    assert w.audio_data == (folder / "tone.wav").read_bytes() and w.audio_mime == "audio/wav"
    w.press("2")
    assert w.segments == [{"start": 0.0, "end": 15999 / 8000, "label": "music"}]
    w.press("Enter")
    assert w.labels.loc["tone", "label"] == [{"start": 0.0, "end": 1.999875, "label": "music"}]


def test_a_brushed_range_snaps_to_sample_times(clips):
    folder, data = clips
    w = make(folder, data, order=["low"])
    w.selector.selected = np.array([0.10001, 0.25])
    w.press("3")
    assert w.segments == [{"start": 801 / 8000, "end": 0.25, "label": "noise"}]


def test_a_clip_that_cannot_be_read_is_an_error_on_that_clip_only(clips):
    folder, data = clips
    w = make(folder, data)
    w.press("1")
    w.press("Enter")
    assert w.current == "broken"
    assert w.sample["content"]["type"] == "error" and "not a WAV file" in w.error
    assert "Clip 'broken'" in w.error
    w.skip()
    assert w.current == "low" and w.error == ""
    assert w.audio_data == (folder / "low.wav").read_bytes()
    with pytest.raises(NblabelError, match="audio='file' is not a column"):
        nblabel.label_audio(data, audio="file", classes=["a"], store=folder / "t.db")
