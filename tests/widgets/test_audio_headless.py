"""label_audio without a browser: clips read from WAV files, brushed or labeled whole, the file
sent once per clip, and a clip that cannot be read is an error on that clip only."""

from __future__ import annotations

import sys

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


def test_times_are_shown_to_the_millisecond_and_stored_exactly(clips):
    folder, data = clips
    w = make(folder, data, order=["low"])
    w.selector.selected = np.array([0.49471, 0.9999])
    assert w.brushed == "0.495 s – 1.000 s"  # samples 3958 and 7999 of 8000 per second
    w.press("1")
    assert (w.bands[0]["start"], w.bands[0]["end"]) == ("0.495 s", "1.000 s")
    assert w.segments == [{"start": 3958 / 8000, "end": 7999 / 8000, "label": "speech"}]
    w.press("Enter")
    assert w.labels.loc["low", "label"] == [{"start": 0.49475, "end": 0.999875, "label": "speech"}]


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


# -- FLAC and OGG (Vorbis), read with soundfile (the audio extra) ---------------------------------
def _tone(seconds, frequency, rate):
    return 0.5 * np.sin(2 * np.pi * frequency * np.arange(int(seconds * rate)) / rate)


@pytest.fixture
def encoded(tmp_path):
    """A FLAC and an OGG Vorbis tone written at test time, a corrupt FLAC between them."""
    sf = pytest.importorskip("soundfile")
    sf.write(tmp_path / "tone.flac", _tone(1.5, 440, 8000), 8000, format="FLAC", subtype="PCM_16")
    sf.write(tmp_path / "tone.ogg", _tone(2.0, 220, 16000), 16000, format="OGG",
             subtype="VORBIS")  # fmt: skip
    (tmp_path / "corrupt.flac").write_bytes(b"fLaC" + bytes(range(256)) * 4)
    data = pd.DataFrame({"path": ["tone.flac", "corrupt.flac", "tone.ogg"]},
                        index=["flac", "corrupt", "ogg"])  # fmt: skip
    return tmp_path, data


def test_a_flac_clip_is_decoded_exactly_and_labeled_whole(encoded):
    folder, data = encoded
    w = make(folder, data, points=20000)  # every sample drawn: the waveform is the file's
    assert w.current == "flac"
    assert w.audio_mime == "audio/flac" and w.audio_data == (folder / "tone.flac").read_bytes()
    wave_line = w._lines[0]
    assert len(wave_line.y) == 12000
    np.testing.assert_allclose(wave_line.y, _tone(1.5, 440, 8000), atol=1 / 2**15)
    assert wave_line.x[-1] == pytest.approx(11999 / 8000)
    assert w.sample["content"]["to"] == "1.50 s" and w.sample["content"]["file"] == "tone.flac"
    w.press("2")
    w.press("Enter")
    assert w.labels.loc["flac", "label"] == [{"start": 0.0, "end": 11999 / 8000,
                                              "label": "music"}]  # fmt: skip


def test_an_ogg_vorbis_clip_is_decoded_and_a_brushed_segment_stored(encoded):
    folder, data = encoded
    w = make(folder, data, order=["ogg"])
    assert w.audio_mime == "audio/ogg" and w.audio_data == (folder / "tone.ogg").read_bytes()
    wave_line = w._lines[0]
    assert 1000 < len(wave_line.y) <= 2100  # 32,000 samples drawn min/max per pixel
    assert np.max(wave_line.y) == pytest.approx(0.5, abs=0.03)  # lossy, peaks kept
    assert wave_line.x[-1] == pytest.approx(31999 / 16000)
    assert w.sample["content"]["to"] == "2.00 s"
    w.selector.selected = np.array([0.5, 1.25])
    w.press("1")
    w.press("Enter")
    assert w.labels.loc["ogg", "label"] == [{"start": 0.5, "end": 1.25, "label": "speech"}]


def test_a_corrupt_flac_is_an_error_on_that_clip_only(encoded):
    folder, data = encoded
    w = make(folder, data)
    w.press("1")
    w.press("Enter")
    assert w.current == "corrupt"
    assert w.sample["content"]["type"] == "error"
    assert "Clip 'corrupt'" in w.error and "corrupt.flac cannot be read as audio" in w.error
    assert len(w._lines[0].y) == 0  # nothing of the previous clip left on the plot
    with pytest.raises(NblabelError, match=r"corrupt\.flac cannot be read as audio"):
        w.add_segment(0.0, 0.1, "speech")  # the twin says why, as the page does
    w.skip()
    assert w.current == "ogg" and w.error == "" and len(w._lines[0].y) > 0
    assert list(w.labels.index) == ["flac"]


def test_without_soundfile_a_flac_clip_names_the_audio_extra(encoded, monkeypatch):
    folder, _ = encoded
    monkeypatch.setitem(sys.modules, "soundfile", None)  # as if it were not installed
    with pytest.raises(NblabelError, match=r"needs soundfile.*pip install 'nblabel\[audio\]'"):
        read_clip(folder / "tone.flac")
    (folder / "tone.wav").write_bytes(tone_wav(1.0, 440, rate=8000))
    both = pd.DataFrame({"path": ["tone.flac", "tone.wav"]}, index=["flac", "wav"])
    w = make(folder, both)
    assert "Clip 'flac'" in w.error and "nblabel[audio]" in w.error
    w.skip()
    assert w.current == "wav" and w.error == ""  # WAV needs only the standard library


def test_a_folder_that_is_no_folder_is_refused_saying_what_it_is(clips):
    folder, data = clips
    with pytest.raises(NblabelError, match=r"folder='.*tone.wav' is not a folder: .* is a file"):
        make(folder / "tone.wav", data)
    with pytest.raises(NblabelError, match=r"is not a folder: .* does not exist"):
        make(folder / "missing", data)
    with pytest.raises(NblabelError, match=r"folder= must be the folder the clips' paths"):
        nblabel.label_audio(data, audio="path", classes=["speech"], folder=b"clips",
                            store=folder / "s.db")  # fmt: skip
