"""Segments of a recording, pure: ``{start, end, label}`` in the data's own time values, checked,
kept in order, snapped to samples, and the min/max-per-pixel downsample a plot shows.

The segments of one recording are ONE label value (a list of dicts) in the store, so undo,
fingerprints and "nothing acknowledged that is not on disk" hold for them as for any label.
Times are stored exactly as the data holds them: numbers as numbers, datetimes as timestamps
with their offset (:mod:`nblabel._codec`); read back, a timestamp is put in the data's time zone
again (the store keeps the instant and its offset, the data names the zone).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._errors import NblabelError
from ._optional import require

__all__ = ["Segment", "Timeline", "downsample", "nice_ticks", "overlapping"]


@dataclass(frozen=True)
class Segment:
    """One labeled stretch of a recording; a single-time event has ``start == end``."""

    start: Any
    end: Any
    label: Any

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label}

    @property
    def is_event(self) -> bool:
        return self.start == self.end


def overlapping(a: Segment, b: Segment) -> bool:
    """Whether two segments share more than an end point (two events at one time do)."""
    if a.is_event and b.is_event:
        return a.start == b.start
    return a.start < b.end and b.start < a.end


class Timeline:
    """The time axis of one recording and the rules its segments follow.

    Parameters
    ----------
    times
        The recording's time values, sorted (numbers, or datetimes: ``datetime64`` or
        timezone-aware).
    classes
        The labels a segment may have, in order.
    overlap
        Whether segments may overlap (else one that overlaps another is refused).
    """

    def __init__(self, times: pd.Series | pd.Index | np.ndarray, classes: Sequence[Any], *,
                 overlap: bool = False) -> None:  # fmt: skip
        index = pd.Index(times)
        if len(index) == 0:
            raise NblabelError("a recording without rows has no time axis: drop it from the data")
        self.datetime = isinstance(index, pd.DatetimeIndex)
        if not self.datetime and not pd.api.types.is_numeric_dtype(index.dtype):
            raise NblabelError(
                f"time values must be numbers or datetimes, not {index.dtype} (e.g. "
                f"{index[0]!r}): convert them first, e.g. pd.to_datetime(df['t'])"
            )
        if pd.api.types.is_bool_dtype(index.dtype):
            raise NblabelError("time values must be numbers or datetimes, not booleans")
        if index.hasnans:
            raise NblabelError("the time column holds missing values: drop those rows first")
        if not index.is_monotonic_increasing:
            raise NblabelError("time values must be sorted within a recording")
        self.tz = index.tz if self.datetime else None
        self.times = index
        # int64 nanoseconds (UTC) or float: what snapping and downsampling work on
        self.axis = index.as_unit("ns").asi8 if self.datetime else index.to_numpy(dtype=float)
        self.classes = list(classes)
        self.overlap = bool(overlap)

    def value(self, position: int) -> Any:
        """The data's time at ``position``: a ``pd.Timestamp`` or a Python number."""
        value = self.times[position]
        return value.item() if isinstance(value, np.generic) else value

    @property
    def first(self) -> Any:
        return self.value(0)

    @property
    def last(self) -> Any:
        return self.value(-1)

    # -- time values ------------------------------------------------------------------------
    def time(self, value: Any, what: str = "time") -> Any:
        """``value`` as a time of this axis (a ``pd.Timestamp`` in the data's zone, or a
        number), or a clear error."""
        if self.datetime:
            if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (pd.Timestamp, dt.datetime, dt.date, np.datetime64, str)
            ):
                raise NblabelError(
                    f"{what}={value!r}: this recording's time is datetime; give a timestamp "
                    f"such as {self.first!r}"
                )
            try:
                stamp = pd.Timestamp(value)
            except (ValueError, TypeError) as exc:
                raise NblabelError(f"{what}={value!r} is not a timestamp ({exc})") from None
            if (stamp.tz is None) != (self.tz is None):
                zone = "has no time zone" if stamp.tz is None else f"is in {stamp.tz}"
                data = f"in {self.tz}" if self.tz is not None else "without a time zone"
                raise NblabelError(
                    f"{what}={value!r} {zone} but the data's times are {data}: give it "
                    f"like {self.first!r}"
                )
            return stamp.tz_convert(self.tz) if self.tz is not None else stamp
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise NblabelError(
                f"{what}={value!r}: this recording's time is numeric; give a number such as "
                f"{self.first!r}"
            )
        if isinstance(value, (float, np.floating)) and not math.isfinite(value):
            raise NblabelError(f"{what}={value!r}: give a finite number")
        return value.item() if isinstance(value, np.generic) else value

    def _position(self, value: Any) -> float:
        """A time as a point on :attr:`axis` (nanoseconds or the number itself)."""
        return float(value.value) if self.datetime else float(value)

    # -- segments ---------------------------------------------------------------------------
    def segment(self, start: Any, end: Any, label: Any) -> Segment:
        """A checked segment: known class, ``start <= end``, inside the recording."""
        known = [
            c for c in self.classes
            if c == label and isinstance(c, (bool, np.bool_)) == isinstance(label, (bool, np.bool_))
        ]  # fmt: skip
        if not known:
            raise NblabelError(f"label={label!r} is not one of the classes {self.classes!r}")
        label = known[0]
        start, end = self.time(start, "start"), self.time(end, "end")
        if self._position(start) > self._position(end):
            raise NblabelError(
                f"start={start!r} is after end={end!r}: a segment runs forward in time (for a "
                "single-time event, give start == end)"
            )
        lo, hi = float(self.axis[0]), float(self.axis[-1])
        if self._position(start) < lo or self._position(end) > hi:
            raise NblabelError(
                f"the segment {start!r}–{end!r} is outside the recording, which runs from "
                f"{self.first!r} to {self.last!r}"
            )
        return Segment(start, end, label)

    def add(self, segments: Sequence[Segment], new: Segment) -> list[Segment]:
        """``segments`` with ``new`` in its place (sorted by start, then end); refuses an
        overlap unless the timeline allows it."""
        if not self.overlap:
            for i, other in enumerate(segments):
                if overlapping(self._span(new), self._span(other)):
                    raise NblabelError(
                        f"the segment {new.start!r}–{new.end!r} ({new.label!r}) overlaps segment "
                        f"{i} ({other.start!r}–{other.end!r}, {other.label!r}): remove or change "
                        "that one first, or build the widget with overlap=True"
                    )
        return self.sort([*segments, new])

    def _span(self, segment: Segment) -> Segment:
        return Segment(self._position(segment.start), self._position(segment.end), segment.label)

    def sort(self, segments: Sequence[Segment]) -> list[Segment]:
        return sorted(segments, key=lambda s: (self._position(s.start), self._position(s.end)))

    def relabel(self, segments: Sequence[Segment], index: int, label: Any) -> list[Segment]:
        """``segments`` with segment ``index`` given the class ``label``."""
        self._check_index(segments, index)
        old = segments[index]
        out = list(segments)
        out[index] = self.segment(old.start, old.end, label)
        return out

    def remove(self, segments: Sequence[Segment], index: int) -> list[Segment]:
        self._check_index(segments, index)
        return [s for i, s in enumerate(segments) if i != index]

    @staticmethod
    def _check_index(segments: Sequence[Segment], index: Any) -> None:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise NblabelError(f"a segment is named by its position in w.segments, not {index!r}")
        if not 0 <= index < len(segments):
            raise NblabelError(
                f"there is no segment {index}: this recording has {len(segments)} "
                f"(positions 0 to {len(segments) - 1})" if segments else
                f"there is no segment {index}: this recording has none yet"
            )  # fmt: skip

    def check(self, value: Any) -> list[Segment]:
        """A stored or sent label value (a list of ``{start, end, label}`` dicts) as checked,
        sorted segments; times come back in the data's zone."""
        if not isinstance(value, (list, tuple)):
            raise NblabelError(
                f"the segments of a recording are a list of {{start, end, label}} dicts, not "
                f"{value!r}"
            )
        out: list[Segment] = []
        for i, entry in enumerate(value):
            if isinstance(entry, Segment):
                entry = entry.to_dict()
            if not isinstance(entry, dict) or set(entry) != {"start", "end", "label"}:
                raise NblabelError(
                    f"segment {i} is {entry!r}: each is a dict with the keys start, end and label"
                )
            out = self.add(out, self.segment(entry["start"], entry["end"], entry["label"]))
        return out

    # -- brushing ---------------------------------------------------------------------------
    def snap(self, lo: float, hi: float) -> tuple[Any, Any]:
        """The data times a brush from ``lo`` to ``hi`` (on :attr:`axis`) covers: the first
        and last sample inside it; a brush between two samples (or a click) takes the
        nearest sample, as a single-time event."""
        if lo > hi:
            lo, hi = hi, lo
        axis = self.axis
        first = int(np.searchsorted(axis, lo, side="left"))
        last = int(np.searchsorted(axis, hi, side="right")) - 1
        if first > last:  # no sample inside
            middle = (lo + hi) / 2
            i = (
                int(np.clip(np.searchsorted(axis, middle), 1, len(axis) - 1))
                if len(axis) > 1
                else 0
            )
            if i > 0 and abs(axis[i - 1] - middle) <= abs(axis[i] - middle):
                i -= 1
            first = last = i
        return self.value(first), self.value(last)

    def axis_value(self, value: Any) -> float:
        """A time as a point of :attr:`axis` (a timestamp in the data's zone, or a number)."""
        return self._position(self.time(value))

    def find(self, segments: Sequence[Segment], at: float, tolerance: float = 0.0) -> int | None:
        """The segment at the point ``at`` of :attr:`axis` (the shortest one when several
        overlap there), within ``tolerance`` for single-time events; ``None`` if none."""
        hits = []
        for i, s in enumerate(segments):
            a, b = self._position(s.start), self._position(s.end)
            if a - tolerance <= at <= b + tolerance:
                hits.append((b - a, i))
        return min(hits)[1] if hits else None


def nice_ticks(low: float, high: float, count: int) -> list[float] | None:
    """About ``count`` round values from ``low`` to ``high`` (two at least), for an axis: a
    step of 1, 2 or 5 times a power of ten (d3's rule, which bqplot's own ticks follow, but
    for a given count: bqplot's ``num_ticks`` spaces ticks evenly from end to end instead,
    so 1.8 reads "2"). ``None`` when the range is empty, not finite, or too narrow for its
    magnitude to show round steps (under a billionth of it: the plot's own ticks then).

    >>> nice_ticks(-0.6, 0.6, 4)
    [-0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6]
    >>> nice_ticks(0.0, 47.0, 5)
    [0.0, 10.0, 20.0, 30.0, 40.0]
    """
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low or count < 1:
        return None
    while True:
        raw = (high - low) / count
        power = 10.0 ** np.floor(np.log10(raw))
        ratio = raw / power
        factor = 10 if ratio >= 50**0.5 else 5 if ratio >= 10**0.5 else 2 if ratio >= 2**0.5 else 1
        step = factor * power
        if step < 1e-9 * max(abs(low), abs(high)):
            return None
        first, last = np.ceil(low / step - 1e-9), np.floor(high / step + 1e-9)
        if last > first:  # two at least: else a finer step
            break
        count *= 2
    places = max(0, int(-np.floor(np.log10(step))))  # 0.30000000000000004 is 0.3
    return [round(float(k * step), places) + 0.0 for k in np.arange(first, last + 1)]


def downsample(
    x: np.ndarray, y: np.ndarray, n_out: int, lo: float | None = None, hi: float | None = None
) -> np.ndarray:
    """Positions of the samples of ``y`` over the sorted ``x`` to draw with about ``n_out``
    points: every sample between ``lo`` and ``hi`` (plus one on each side, so the line reaches
    the edges) when there are few, else a min/max-per-pixel downsample (tsdownsample's
    MinMaxLTTB, which keeps every peak). Missing values in ``y`` are left out."""
    start = 0 if lo is None else max(int(np.searchsorted(x, lo, side="left")) - 1, 0)
    stop = len(x) if hi is None else min(int(np.searchsorted(x, hi, side="right")) + 1, len(x))
    positions = np.arange(start, stop)
    finite = np.isfinite(y[start:stop])
    if not finite.all():
        positions = positions[finite]
    if len(positions) <= max(n_out, 4):
        return positions
    tsd = require("tsdownsample", extra="plots", purpose="drawing long recordings")
    xs, ys = x[positions], y[positions]
    if xs.dtype.kind == "f":  # tsdownsample takes the axis as numbers of one dtype
        xs = xs.astype(np.float64)
    picked = tsd.MinMaxLTTBDownsampler().downsample(xs, np.ascontiguousarray(ys), n_out=n_out)
    return positions[np.asarray(picked, dtype=np.int64)]
