"""``label_audio``: segments (or one label per clip) for audio files. One item is one clip; its
label is a list of segments ``{start, end, label}`` in seconds, as for :func:`label_series`,
whose widget this is, over clips read from files instead of rows of a frame.

The waveform is drawn from the same min/max downsample; the file itself goes to the browser
once per clip as a binary buffer and plays in the page's own audio element (play/pause, a
playhead moving over the plot, play the brushed selection). WAV is read with the standard
library; FLAC and OGG with ``soundfile`` (the ``audio`` extra). A clip that cannot be read is
an error shown on that clip; every other clip is unaffected.
"""

from __future__ import annotations

import functools
import io
import os
import wave
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import traitlets as t

from .._checks import check_column, check_flag, check_int, check_options, given
from .._errors import NblabelError
from .._fingerprint import data_key
from .._job import Order, as_frame, default_task
from .._optional import require
from .._segments import Timeline
from .._store import LabelStore
from ._build import build
from .series import SeriesWidget

__all__ = ["AudioWidget", "label_audio"]

MIMES = {".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg", ".oga": "audio/ogg"}
CACHED = 4  # clips kept decoded


def read_clip(path: Path) -> tuple[int, np.ndarray]:
    """The sample rate and the samples of an audio file, mixed down to one channel in
    [-1, 1]; a clear error when it cannot be read."""
    if not path.is_file():
        raise NblabelError(f"{path} does not exist or is not a file")
    if path.suffix.lower() == ".wav":
        try:
            with wave.open(str(path), "rb") as clip:
                rate, width = clip.getframerate(), clip.getsampwidth()
                channels = clip.getnchannels()
                raw = clip.readframes(clip.getnframes())
        except (wave.Error, EOFError) as exc:
            raise NblabelError(f"{path} is not a WAV file that can be read ({exc})") from None
        if width not in (1, 2, 4):
            raise NblabelError(
                f"{path} holds {8 * width}-bit samples: the standard library reads 8, 16 and "
                "32-bit WAV; install soundfile (pip install 'nblabel[audio]') for the rest"
            )
        kind = {1: np.uint8, 2: np.int16, 4: np.int32}[width]
        samples = np.frombuffer(raw, dtype=kind).astype(np.float64)
        if width == 1:
            samples -= 128.0
        samples /= float(2 ** (8 * width - 1))
        samples = samples.reshape(-1, channels).mean(axis=1)
        return rate, samples
    sf = require("soundfile", extra="audio", purpose=f"reading {path.suffix or 'this'} audio")
    try:
        samples, rate = sf.read(str(path), dtype="float64", always_2d=True)
    except Exception as exc:  # libsndfile says what it could not read
        raise NblabelError(f"{path} cannot be read as audio ({exc})") from None
    return int(rate), samples.mean(axis=1)


class _Clips:
    """The clips of a frame's ``audio`` column, read when first shown (a few kept)."""

    time = "seconds"
    value = ("waveform",)
    datetime = False

    def __init__(self, data: pd.DataFrame, column: Hashable, folder: Path, classes: list,
                 overlap: bool) -> None:  # fmt: skip
        self.data, self.column, self.folder = data, column, folder
        self.classes, self.overlap = classes, overlap
        self.rows = {key: np.array([i]) for i, key in enumerate(data.index)}
        self._read: dict[Hashable, tuple[Timeline, np.ndarray]] = {}

    def path(self, key: Hashable) -> Path:
        value = self.data[self.column].iloc[int(self.rows[key][0])]
        if not isinstance(value, (str, os.PathLike)):
            raise NblabelError(f"the audio of {key!r} is {value!r}, not a file path")
        return self.folder / Path(value).expanduser()

    def items(self) -> pd.DataFrame:
        # a label follows the file named: its path identifies the clip's content
        return pd.DataFrame(
            {"content": [str(v) for v in self.data[self.column]]},
            index=pd.Index(list(self.rows), tupleize_cols=False),
        )

    def _clip(self, key: Hashable) -> tuple[Timeline, np.ndarray]:
        held = self._read.get(key)
        if held is None:
            rate, samples = read_clip(self.path(key))
            if len(samples) == 0:
                raise NblabelError(f"{self.path(key)} holds no samples")
            line = Timeline(np.arange(len(samples)) / rate, self.classes, overlap=self.overlap)
            if len(self._read) >= CACHED:
                self._read.pop(next(iter(self._read)))
            held = self._read[key] = (line, samples)
        return held

    def timeline(self, key: Hashable) -> Timeline:
        return self._clip(key)[0]

    def channel(self, key: Hashable, column: Hashable) -> np.ndarray:
        return self._clip(key)[1]


class AudioWidget(SeriesWidget):
    """Brush ranges of a clip's waveform (or label it whole) and play it; Enter saves."""

    audio_data = t.Bytes(b"").tag(sync=True)
    """The file of the clip on screen, as it is (played by the browser)."""
    audio_mime = t.Unicode("").tag(sync=True)
    """Its type for the browser (``audio/wav``, ``audio/flac``, ``audio/ogg``)."""

    _clip_error = ""

    def _push_state(self) -> None:
        item = self.session.current
        before = None if self._shown is None else self._shown[0]
        try:
            super()._push_state()
            if self._clip_error and self.error == self._clip_error and item != before:
                self.error = ""  # the unreadable clip is no longer on screen
        except NblabelError as exc:  # this clip cannot be read: said on it, others go on
            self.error = self._clip_error = f"Clip {item!r}: {exc}"
            self._shown = (item, None)
            self._segments = []
            with self._fig.hold_sync():
                for mark in self._lines:
                    mark.x, mark.y = [], []
            before = "unreadable"
        if item is not None and item != before:
            path = self._recs.path(item)
            try:
                data = path.read_bytes()
            except OSError:
                data = b""
            self.audio_mime = MIMES.get(path.suffix.lower(), "audio/wav")
            self.audio_data = data

    def _time_text(self, value: Any) -> str:
        return f"{float(value):.3f} s"  # to the millisecond; the stored time stays exact

    def _pick(self, index: int, intent: Any) -> None:
        # a digit with nothing brushed or selected labels the whole clip
        if self._brush is None and self.chosen < 0:
            line = self._timeline
            self._brush = (float(line.axis[0]), float(line.axis[-1]))
        super()._pick(index, intent)


def _audio_content(clips: _Clips, items: pd.DataFrame, position: int) -> dict:
    key = items.index[position]
    line = clips.timeline(key)
    return {"type": "series", "rows": len(line.axis), "from": "0 s",
            "to": f"{line.last:.2f} s", "file": clips.path(key).name}  # fmt: skip


def label_audio(
    data: Any,
    *,
    audio: Hashable,
    classes: Sequence[Any],
    folder: str | os.PathLike | None = None,
    overlap: bool = False,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    order: Order = None,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    rationale: bool = False,
    points: int = 2000,
    height: int = 240,
) -> AudioWidget:
    """Label audio clips: segments by brushing the waveform, or the whole clip with one key.

    Parameters
    ----------
    data
        A DataFrame (or a list of paths) with one row per clip and a unique index.
    audio
        The column of file paths (WAV; FLAC and OGG with the ``audio`` extra), relative to
        ``folder`` (default the working directory).
    classes
        The classes, in order (keys ``1``–``9``).
    overlap, store, annotator, task, order, keys, rationale, points, height
        As for :func:`nblabel.label_series`. Each label is stored with the clip's path as its
        fingerprint.

    Returns
    -------
    AudioWidget
        Space plays and pauses, ``p`` plays the brushed selection; a digit labels the brushed
        range, the selected segment, or with neither the whole clip; Enter saves. The twins are
        :func:`label_series`' (``w.add_segment``, ``w.segments``, ``w.submit()``, ...); the
        label of a clip is a list of ``{start, end, label}`` in seconds.

    Examples
    --------
    >>> w = nblabel.label_audio(df, audio="path", classes=["speech", "music", "noise"])
    ... # doctest: +SKIP
    """
    frame, single = as_frame(data)
    column = single if single is not None and audio == "path" and audio not in frame else audio
    check_column(column, "audio")
    if column not in frame.columns:
        raise NblabelError(
            f"audio={audio!r} is not a column of the data; its columns are {list(frame.columns)!r}"
        )
    choices = check_options(classes, "classes", "['speech', 'music']")
    overlap = check_flag(overlap, "overlap")
    points = check_int(points, "points", minimum=10)
    height = check_int(height, "height", minimum=80)
    require("bqplot", extra="plots", purpose="label_audio")
    if folder is None:
        base = Path.cwd()
    elif not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise NblabelError(
            f"folder= must be the folder the clips' paths start from, such as 'clips/', not "
            f"{given(folder)}"
        )
    else:
        base = Path(folder).expanduser()
        if not base.is_dir():
            raise NblabelError(
                f"folder={str(folder)!r} is not a folder: {base} "
                + ("is a file" if base.exists() else "does not exist")
            )
    clips = _Clips(frame, column, base, choices, overlap)
    items = clips.items()
    if task is None:
        task = default_task("audio", choices, data_key(frame, [frame.columns.get_loc(column)]))
    return build(
        functools.partial(AudioWidget, recordings=clips, points=points, height=height,
                          content_maker=_audio_content),
        "audio", items, choices,
        text=None, display=None, fingerprint="content", multi=False, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=rationale,
    )  # fmt: skip


def tone_wav(seconds: float, frequency: float, rate: int = 8000) -> bytes:
    """A sine tone as WAV bytes (16-bit mono), for examples and tests."""
    t_ = np.arange(int(seconds * rate)) / rate
    samples = (0.6 * np.sin(2 * np.pi * frequency * t_) * 32767).astype(np.int16)
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(samples.tobytes())
    return out.getvalue()
