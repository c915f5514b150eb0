"""``label_series``: mark events and activities in a signal. One item is one recording; its
label is the list of its segments ``{start, end, label}`` (:mod:`nblabel._segments`), saved as
one annotation when Enter is pressed, so undo, fingerprints and durability are the base's.

The plot is a bqplot ``Figure`` (the object model, no pyplot state) of the recording's channels
on one time axis, drawn from a min/max-per-pixel downsample that is re-done on zoom; brushing
is bqplot's ``BrushIntervalSelector``, whose ``selected`` trait the kernel reads, so a brush set
from Python (``w.selector.selected = [a, b]``) is the same as one drawn with the mouse. The
segments being edited live in the kernel (the ``draft`` trait): a digit, a click on a band or
Delete sends an intent that edits them; Enter sends the draft the view showed as the label, so
a label pending across a restart is exactly what was on screen. Front end: ``static/series.js``.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import traitlets as t
from ipywidgets import widget_serialization

from .._checks import check_column, check_flag, check_int, check_options
from .._codec import decode, encode
from .._errors import NblabelError
from .._fingerprint import data_key
from .._job import Order, default_task
from .._optional import require
from .._segments import Segment, Timeline, downsample, nice_ticks
from .._store import LabelStore
from ._base import LabelWidget, _Intent
from ._build import build

__all__ = ["SeriesWidget", "label_series"]

# the colours of the classes, in order (bands) and of the channels (lines)
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip
# the first channel and the chosen band's outline take the page's text colour (bqplot sets
# colours as styles, so a CSS variable follows the theme: dark on light, light on dark)
TEXT_COLOR = "var(--jp-content-font-color1, #333333)"
CHANNEL_COLORS = [TEXT_COLOR, "#3b75af", "#b5553b", "#5a8f3e", "#7b5aa6", "#a0862b"]
WHOLE = "all"  # the id of the one recording when no by= column is given
CACHED = 8  # recordings whose time axis is kept ready


class _Recordings:
    """The rows of each recording, sorted by time, and their time axes (made when needed)."""

    def __init__(self, data: pd.DataFrame, time: Hashable, value: list, by: Hashable | None,
                 classes: list, overlap: bool) -> None:  # fmt: skip
        self.data, self.time, self.value, self.classes, self.overlap = (
            data,
            time,
            value,
            classes,
            overlap,
        )
        if by is None:
            groups = {WHOLE: np.arange(len(data))}
        else:
            keys = data[by]
            if keys.isna().any():
                raise NblabelError(f"by={by!r} has missing values: fill or drop those rows first")
            groups = {k: np.asarray(v) for k, v in keys.groupby(keys, sort=False).indices.items()}
        times = data[time]
        self.rows: dict[Hashable, np.ndarray] = {}
        for key, positions in groups.items():
            order = np.argsort(times.iloc[positions].to_numpy(), kind="stable")
            self.rows[key] = positions[order]
        self._timelines: dict[Hashable, Timeline] = {}

    def items(self) -> pd.DataFrame:
        """One row per recording: its number of rows and a digest of its content (what the
        fingerprint of its label is made of)."""
        digests = []
        for positions in self.rows.values():
            h = hashlib.blake2b(digest_size=16)
            for column in [self.time, *self.value]:
                values = self.data[column].iloc[positions]
                h.update(pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes())
            digests.append(h.hexdigest())
        frame = pd.DataFrame(
            {"rows": [len(p) for p in self.rows.values()], "content": digests},
            index=pd.Index(list(self.rows), tupleize_cols=False),
        )
        return frame

    def timeline(self, key: Hashable) -> Timeline:
        line = self._timelines.get(key)
        if line is None:
            try:
                line = Timeline(
                    self.data[self.time].iloc[self.rows[key]], self.classes, overlap=self.overlap
                )
            except NblabelError as exc:
                raise NblabelError(f"recording {key!r}: {exc}") from None
            if len(self._timelines) >= CACHED:
                self._timelines.pop(next(iter(self._timelines)))
            self._timelines[key] = line
        return line

    def channel(self, key: Hashable, column: Hashable) -> np.ndarray:
        return self.data[column].iloc[self.rows[key]].to_numpy(dtype=float, na_value=np.nan)


def _time_text(value: Any, places: int | None = None) -> str:
    """A time as people read it: a timestamp in ISO form; a number with ``places`` decimals
    (the stored value stays exact)."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if places is None or isinstance(value, (int, np.integer)):
        return repr(value)
    return f"{value:.{places}f}"


def _places(line: Timeline) -> int | None:
    """The decimals that tell a numeric recording's samples apart (those of its smallest step,
    at most 6): ``1.3`` on a 0.1 grid, ``12`` on whole numbers; None (as they are) for
    datetimes and a single sample."""
    steps = np.diff(line.axis)
    steps = steps[steps > 0]
    if line.datetime or not len(steps):
        return None
    return int(np.clip(np.ceil(-np.log10(steps.min()) - 1e-9), 0, 6))


class SeriesWidget(LabelWidget):
    """Brush ranges of a recording's signal and give each a class; Enter saves them."""

    _view = "series"

    figure = t.Instance(object, allow_none=True).tag(sync=True, **widget_serialization)
    """The bqplot ``Figure`` of the recording on screen."""
    draft = t.Unicode("[]").tag(sync=True)
    """The segments of the recording on screen as the label Enter saves (JSON text)."""
    bands = t.List().tag(sync=True)
    """The same segments for the list under the plot: ``[{"start", "end", "label", "color"}]``
    as text."""
    chosen = t.Int(-1).tag(sync=True)
    """The position of the selected segment (a digit changes its class, Delete removes it);
    -1: none."""
    brushed = t.Unicode("").tag(sync=True)
    """The brushed range, snapped to samples, as text; empty when nothing is brushed."""
    edit_acks = t.Dict().tag(sync=True)
    """Per view, the number of its last draft edit the kernel has applied: Enter pressed right
    after a digit waits for that edit, so it saves what the digit made."""

    def __init__(self, data: pd.DataFrame, *, recordings: _Recordings, points: int,
                 height: int, content_maker: Any = None, **kwargs: Any) -> None:  # fmt: skip
        bq = require("bqplot", extra="plots", purpose="label_series")
        self._recs = recordings
        self._points = points
        self._segments: list[Segment] = []
        self._sent: dict[Hashable, Any] = {}  # segments saved from here: back after an undo
        self._shown: tuple | None = None  # (item, saved label text) the draft was loaded from
        self._brush: tuple[float, float] | None = None
        self._consumed: tuple[float, float] | None = None  # the brush the last segment came from
        self._range: tuple[float, float] | None = None  # the zoomed range, None: everything
        self._places_of: tuple[Timeline, int | None] | None = None  # decimals of times shown
        self._build_figure(bq, height)
        maker = _series_content if content_maker is None else content_maker
        kwargs["content"] = functools.partial(maker, recordings, data)
        super().__init__(data, **kwargs)
        self._handlers.update(
            assign=self._on_assign, select=self._on_select, select_at=self._on_select_at,
            remove=self._on_remove, zoom=self._on_zoom,
        )  # fmt: skip
        with self.hold_sync():
            self.figure = self._fig
            help_rows = [
                [key, f"give the brushed range (or the selected segment) the class {does[5:]}"]
                if does.startswith("pick ") else [key, does]
                for key, does in self.key_help
            ]  # fmt: skip
            help_rows.insert(len(self._choices), ["Enter", "save this recording's segments"])
            help_rows += [
                ["Delete", "remove the selected segment"],
                ["z", "zoom to the brushed range"],
                ["r", "show the whole recording again"],
            ]
            self.key_help = [r for r in help_rows if r[1] != "save the typed text"]

    # -- the figure ---------------------------------------------------------------------------
    def _build_figure(self, bq: Any, height: int) -> None:
        dates = getattr(self._recs, "datetime", None)  # known without reading a recording
        if dates is None:
            dates = self._recs.timeline(next(iter(self._recs.rows))).datetime
        self._x = bq.DateScale() if dates else bq.LinearScale()
        y = bq.LinearScale()
        unit = bq.LinearScale(min=0.0, max=1.0)
        self._lines = [
            bq.Lines(
                x=[], y=[], scales={"x": self._x, "y": y}, labels=[str(column)],
                colors=[CHANNEL_COLORS[i % len(CHANNEL_COLORS)]], stroke_width=1.2,
                display_legend=len(self._recs.value) > 1,
            )
            for i, column in enumerate(self._recs.value)
        ]  # fmt: skip
        self._band_marks = bq.Lines(
            x=[], y=[], scales={"x": self._x, "y": unit}, fill="inside",
            stroke_width=1.5, opacities=[0.9], fill_opacities=[],
        )  # fmt: skip
        self._chosen_mark = bq.Lines(
            x=[], y=[], scales={"x": self._x, "y": unit}, colors=[TEXT_COLOR], stroke_width=3
        )
        self._band_labels = bq.Label(
            x=[], y=[], text=[], scales={"x": self._x, "y": unit}, colors=[],
            default_size=12, font_weight="bold", align="start", x_offset=6,
        )  # fmt: skip
        self.selector = bq.interacts.BrushIntervalSelector(
            scale=self._x, marks=self._lines, color="#777"
        )
        """bqplot's brush: its ``selected`` is the brushed range (set it to brush from Python)."""
        self.selector.observe(self._on_brush, names="selected")
        # round values every 40 px or so (d3's ten of them crowd a short plot, an audio clip's)
        self._y_axis = bq.Axis(scale=y, side="left", grid_lines="dashed")
        self._y_ticks = max(3, (height - 56) // 40)
        self._fig = bq.Figure(
            marks=[self._band_marks, *self._lines, self._chosen_mark, self._band_labels],
            axes=[
                bq.Axis(scale=self._x, label=str(self._recs.time), grid_lines="none"),
                self._y_axis,
            ],
            interaction=self.selector,
            fig_margin={"top": 16, "bottom": 40, "left": 56, "right": 16},
            legend_location="top-right",
            animation_duration=0,
            # bqplot's own toolbar would swap the brush for its pan-zoom, and zoom past the
            # downsample: z zooms here
            display_toolbar=False,
        )
        self._fig.layout.width = "100%"
        self._fig.layout.height = f"{height}px"

    def _to_scale(self, axis_values: np.ndarray) -> np.ndarray:
        """Points of the time axis as the x scale takes them (UTC datetimes, or numbers)."""
        if self._timeline.datetime:
            return np.asarray(axis_values, dtype=np.int64).view("datetime64[ns]")
        return np.asarray(axis_values, dtype=float)

    def _from_scale(self, value: Any) -> float:
        """A value of the x scale (a brush end) as a point of the time axis."""
        if self._timeline.datetime:
            if isinstance(value, (int, float, np.integer, np.floating)):  # milliseconds
                return float(value) * 1e6
            stamp = pd.Timestamp(value)
            stamp = stamp.tz_convert("UTC") if stamp.tz is not None else stamp
            return float(stamp.value)
        return float(value)

    def _draw_signal(self) -> None:
        line, key = self._timeline, self.session.current
        lo, hi = self._range if self._range is not None else (None, None)
        with self._fig.hold_sync():
            low, high = np.inf, -np.inf
            for mark, column in zip(self._lines, self._recs.value, strict=True):
                y = self._recs.channel(key, column)
                picked = downsample(line.axis, y, self._points, lo, hi)
                shown = y[picked]  # no missing value: downsample leaves them out
                mark.x, mark.y = self._to_scale(line.axis[picked]), shown
                if len(shown):
                    low, high = min(low, shown.min()), max(high, shown.max())
            self._y_axis.tick_values = nice_ticks(low, high, self._y_ticks)
            first, last = self._range or (float(line.axis[0]), float(line.axis[-1]))
            if first == last:
                first, last = first - 1, last + 1
            if line.datetime:
                self._x.min, self._x.max = (np.datetime64(int(v), "ns") for v in (first, last))
            else:
                self._x.min, self._x.max = float(first), float(last)

    def _draw_bands(self) -> None:
        line = self._timeline
        xs, ys, colors, label_x, texts = [], [], [], [], []
        for seg in self._segments:
            a, b = line.axis_value(seg.start), line.axis_value(seg.end)
            xs.append([a, a, b, b, a])
            ys.append([0.0, 1.0, 1.0, 0.0, 0.0])
            colors.append(self._color(seg.label))
            label_x.append(a)
            texts.append(str(seg.label))
        with self._fig.hold_sync():
            if xs:
                self._band_marks.x = self._to_scale(np.array(xs))
                self._band_marks.y = np.array(ys)
            else:
                self._band_marks.x, self._band_marks.y = [], []
            self._band_marks.colors = colors or ["#000"]
            self._band_marks.fill_colors = colors
            self._band_marks.fill_opacities = [0.22] * len(colors)
            self._band_labels.x = self._to_scale(np.array(label_x))
            self._band_labels.y = np.full(len(texts), 0.93)
            self._band_labels.text = texts
            self._band_labels.colors = colors
            chosen = self.chosen
            if 0 <= chosen < len(xs):
                self._chosen_mark.x = self._to_scale(np.array(xs[chosen]))
                self._chosen_mark.y = np.array(ys[chosen])
            else:
                self._chosen_mark.x, self._chosen_mark.y = [], []

    def _time_text(self, value: Any) -> str:
        """A time of the recording on screen as the list and the brush line show it."""
        line = self._timeline
        if self._places_of is None or self._places_of[0] is not line:
            self._places_of = (line, _places(line))
        return _time_text(value, self._places_of[1])

    def _color(self, label: Any) -> str:
        index = next((i for i, c in enumerate(self._choices) if c == label), 0)
        return CLASS_COLORS[index % len(CLASS_COLORS)]

    # -- state ------------------------------------------------------------------------------
    @property
    def _timeline(self) -> Timeline:
        item = self.session.current
        return self._recs.timeline(item if item is not None else next(iter(self._recs.rows)))

    def _push_state(self) -> None:
        super()._push_state()
        item = self.session.current
        shown = (item, self.sample.get("label"))
        if item is None or shown == self._shown:
            return
        new_item = self._shown is None or self._shown[0] != item
        self._shown = shown
        held = self.sample.get("label")
        # no saved label: the segments last saved from here (an undo brings them back)
        value = decode(held) if held is not None else self._sent.get(item, [])
        try:
            self._segments = self._timeline.check(value)
        except NblabelError as exc:  # a label saved for other data: shown, editable afresh
            self._segments = []
            self.error = f"The saved segments of {item!r} do not fit this recording: {exc}"
        if new_item:
            self._range, self._brush = None, None
            self.selector.selected = None
            self._draw_signal()
        self.chosen = -1
        self._edited()

    def _edited(self) -> None:
        """Push the segments after an edit: the draft Enter saves, the list, the bands."""
        with self.hold_sync():
            self.draft = encode([s.to_dict() for s in self._segments])
            self.bands = [
                {"start": self._time_text(s.start), "end": self._time_text(s.end),
                 "label": str(s.label), "color": self._color(s.label)}
                for s in self._segments
            ]  # fmt: skip
            self._draw_bands()

    def _on_brush(self, change: dict) -> None:
        selected = change["new"]
        if selected is None or len(selected) != 2 or self.session.current is None:
            self._brush = None
            self.brushed = ""
            return
        lo, hi = sorted(self._from_scale(v) for v in selected)
        if (lo, hi) == self._consumed:
            # the page's last update of a brush already made a segment, arriving late
            # (ipywidgets holds a model's updates back while the kernel is busy): cleared again
            self.selector.selected = None
            return
        self._consumed = None
        self._brush = (lo, hi)
        start, end = self._timeline.snap(lo, hi)
        self.brushed = (
            f"{self._time_text(start)} – {self._time_text(end)}"
            if start != end
            else self._time_text(start)
        )

    # -- the public twins -----------------------------------------------------------------------
    @property
    def segments(self) -> list[dict]:
        """The segments of the recording on screen, not yet saved or as saved:
        ``[{"start", "end", "label"}]`` in the data's time values, sorted by start."""
        return [s.to_dict() for s in self._segments]

    def add_segment(self, start: Any, end: Any, label: Any) -> None:
        """Add a segment to the recording on screen (``start == end``: a single-time event).
        The times are stored as given, checked to lie in the recording; saved by
        :meth:`submit`."""
        line = self._timeline
        seg = line.segment(start, end, label)
        self._segments = line.add(self._segments, seg)
        self.chosen = self._segments.index(seg)
        self._edited()

    def remove_segment(self, index: int) -> None:
        """Remove segment ``index`` (its position in :attr:`segments`)."""
        self._segments = self._timeline.remove(self._segments, index)
        self.chosen = -1
        self._edited()

    def select_segment(self, index: int) -> None:
        """Select segment ``index``, as a click on its band does (-1: none)."""
        index = check_int(index, "index", minimum=-1)
        if index != -1:
            Timeline._check_index(self._segments, index)
        self.chosen = index
        self._draw_bands()

    def zoom(self, start: Any = None, end: Any = None) -> None:
        """Show the recording from ``start`` to ``end`` (its data times), downsampled afresh;
        no arguments: the whole recording."""
        if self.session.current is None:
            raise NblabelError(
                "every recording is labeled: there is nothing on screen to zoom (w.goto(item) "
                "shows one again)"
            )
        line = self._timeline
        if start is None and end is None:
            self._range = None
        else:
            lo = line.axis_value(line.first if start is None else start)
            hi = line.axis_value(line.last if end is None else end)
            if lo >= hi:
                raise NblabelError(f"zoom from {start!r} to {end!r}: give start < end")
            self._range = (lo, hi)
        self._draw_signal()

    def submit(self, value: Any = None, rationale: str | None = None) -> None:
        """Save the segments of the recording on screen (or ``value``, a list of
        ``{start, end, label}``) as its label, and show the next recording."""
        segments = self.segments if value is None else value
        self._save(self._validate(segments), _Intent(rationale=rationale))

    # -- the base's hooks ---------------------------------------------------------------------
    def _validate(self, value: Any, item: Hashable | None = None) -> Any:
        item = self.session.current if item is None else item
        if item is None:
            raise NblabelError("every recording is labeled: there is nothing on screen")
        return [s.to_dict() for s in self._recs.timeline(item).check(value)]

    def _confirm_value(self, sent: Any) -> Any:
        return self._validate(self.segments if sent is None else sent)

    def _pick(self, index: int, intent: _Intent) -> None:
        label = self._choices[index]
        line = self._timeline
        if self._brush is not None:
            seg = line.segment(*line.snap(*self._brush), label)
            self._segments = line.add(self._segments, seg)
            self._brush, self._consumed = None, self._brush
            with self.hold_sync():
                self.selector.selected = None
                self.brushed = ""
                self.chosen = self._segments.index(seg)
                self._edited()
        elif self.chosen >= 0:
            self._segments = line.relabel(self._segments, self.chosen, label)
            self._edited()
        else:
            raise NblabelError(
                "Brush a range first (drag across the plot), or click a segment to change its class"
            )
        self.error = ""
        self._after_move(intent)

    def _save(self, value: Any, intent: _Intent) -> None:
        item = self.session.current if intent.item is None else intent.item
        super()._save(value, intent)
        self._sent[item] = value  # saved: no raise above

    def _on_label_message(self, content: dict, intent: _Intent) -> None:
        # checked against the recording the label was given for, which may not be on screen
        try:
            sent = decode(content["value"])
        except (KeyError, TypeError, ValueError):
            raise NblabelError("Not saved: a label message without a readable value") from None
        try:
            value = self._validate(sent, intent.item)
        except NblabelError as exc:
            raise NblabelError(
                f"Not saved: the segments for recording {intent.item!r} do not fit it ({exc}). "
                "Label the recording again."
            ) from None
        self._save(value, intent)

    # -- browser intents that edit the draft ---------------------------------------------------
    def _handle_message(self, widget: Any, content: dict, buffers: list) -> None:
        super()._handle_message(widget, content, buffers)
        if isinstance(content, dict) and isinstance(content.get("editor"), str):
            edit = content.get("edit")  # applied or refused: done
            if edit is None or (isinstance(edit, int) and not isinstance(edit, bool)):
                self.edit_acks = {**self.edit_acks, content["editor"]: edit}

    def _on_assign(self, content: dict, intent: _Intent) -> None:
        if "brush" in content:  # the brush the page showed: the kernel may lag behind it
            brush = content["brush"]
            self._brush = None
            if isinstance(brush, list) and len(brush) == 2 and self.session.current is not None:
                self._brush = tuple(sorted(self._from_scale(v) for v in brush))
        value = decode(content.get("value"))
        index = next((i for i, c in enumerate(self._choices) if encode(c) == encode(value)), None)
        if index is None:
            raise NblabelError(f"{value!r} is no longer a class here: {self._choices!r}")
        self._pick(index, intent)

    def _on_select(self, content: dict, intent: _Intent) -> None:
        self.select_segment(int(content.get("index", -1)))
        self._after_move(intent)

    def _on_select_at(self, content: dict, intent: _Intent) -> None:
        # a click on the plot at `value` of its x scale, where a pixel is `per_pixel` long
        line = self._timeline
        scale = 1e6 if line.datetime else 1.0  # a date scale counts milliseconds
        at = float(content["value"]) * scale
        tolerance = 4 * abs(float(content.get("per_pixel", 0.0))) * scale
        found = line.find(self._segments, at, tolerance=tolerance)
        self.select_segment(-1 if found is None else found)
        self._after_move(intent)

    def _on_remove(self, content: dict, intent: _Intent) -> None:
        if self.chosen < 0:
            raise NblabelError("Click a segment (its band or its line below) to remove it")
        self.remove_segment(self.chosen)
        self._after_move(intent)

    def _on_zoom(self, content: dict, intent: _Intent) -> None:
        if content.get("to") == "brush":
            if self._brush is None:
                raise NblabelError("Brush a range first: z zooms to it")
            lo, hi = self._brush
            if lo < hi:
                self._range = (lo, hi)
                self._draw_signal()
        else:
            self.zoom()
        self._after_move(intent)


def _series_content(recordings: _Recordings, items: pd.DataFrame, position: int) -> dict:
    key = items.index[position]
    line = recordings.timeline(key)
    places = _places(line)
    return {
        "type": "series",
        "rows": len(recordings.rows[key]),
        "from": _time_text(line.first, places),
        "to": _time_text(line.last, places),
    }


def label_series(
    data: pd.DataFrame,
    *,
    time: Hashable,
    value: Hashable | Sequence[Hashable],
    classes: Sequence[Any],
    by: Hashable | None = None,
    overlap: bool = False,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    order: Order = None,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    rationale: bool = False,
    points: int = 2000,
    height: int = 320,
) -> SeriesWidget:
    """Mark events and activities in time series: brush a range, a digit gives it a class.

    Parameters
    ----------
    data
        A DataFrame with one row per sample (never modified).
    time
        The column of times: numbers or datetimes (time zones kept). Within a recording the
        rows are shown in time order.
    value
        The column (or list of columns) to plot: the recording's channels, on one time axis.
    classes
        The classes a segment can have, in order (keys ``1``–``9``).
    by
        The column naming the recording each row belongs to; one item = one recording,
        labeled in the order of first appearance. Without ``by``, the whole frame is one
        recording, whose id is ``"all"``.
    overlap
        Allow segments to overlap (by default one that overlaps another is refused; touching
        ends are not an overlap).
    store, annotator, task, order, keys, rationale
        As for :func:`nblabel.classify`. The default task is made from the classes and a short
        hash of the names of the time, value and ``by`` columns; each label is stored with a
        digest of its recording's times and values, so a recording whose data changed counts
        as not labeled.
    points
        About how many points each channel is drawn with: a min/max downsample (every peak
        kept), done again for a zoomed range. Stored times are always data values.
    height
        Height of the plot in pixels.

    Returns
    -------
    SeriesWidget
        Drag across the plot to brush a range (it snaps to the samples inside it; a click
        marks a single-time event at the nearest sample), press a digit to give it a class;
        click a band to select it, a digit changes its class, Delete removes it; ``z`` zooms
        to the brush, ``r`` shows everything; Enter saves the recording's segments and shows
        the next. From Python: ``w.add_segment(start, end, label)``, ``w.remove_segment(i)``,
        ``w.segments``, ``w.submit()``. ``w.labels`` holds one list of
        ``{start, end, label}`` per recording.

    Examples
    --------
    >>> w = nblabel.label_series(df, time="t", value=["x", "y", "z"], by="recording",
    ...                          classes=["walk", "run", "idle"])   # doctest: +SKIP
    """
    if not isinstance(data, pd.DataFrame):
        raise NblabelError(
            f"data= must be a pandas DataFrame with one row per sample, not {type(data).__name__}"
        )
    if len(data) == 0:
        raise NblabelError("the data is empty: give at least one row")
    columns = [value] if not isinstance(value, (list, tuple)) else list(value)
    if not columns:
        raise NblabelError("value= names no column: give the column(s) to plot")
    named = {"time": [time], "value": columns, "by": [] if by is None else [by]}
    for argument, names in named.items():
        for column in names:
            check_column(column, argument)
            if column not in data.columns:
                raise NblabelError(
                    f"{argument}={column!r} is not a column of the data; its columns are "
                    f"{list(data.columns)!r}"
                )
    for column in columns:
        if not pd.api.types.is_numeric_dtype(data[column]) or pd.api.types.is_bool_dtype(
            data[column]
        ):
            raise NblabelError(
                f"value={column!r} holds {data[column].dtype} values: plot numeric columns"
            )
    choices = check_options(classes, "classes", "['walk', 'run']")
    overlap = check_flag(overlap, "overlap")
    points = check_int(points, "points", minimum=10)
    height = check_int(height, "height", minimum=80)
    require("bqplot", extra="plots", purpose="label_series")
    recordings = _Recordings(data, time, columns, by, choices, overlap)
    for key in recordings.rows:  # every recording's time axis is checked before anything opens
        recordings.timeline(key)
    items = recordings.items()
    if task is None:
        locs = [data.columns.get_loc(c) for n in named.values() for c in n]
        task = default_task("series", choices, data_key(data, locs))
    return build(
        functools.partial(SeriesWidget, recordings=recordings, points=points, height=height),
        "series", items, choices,
        text=None, display=None, fingerprint="content", multi=False, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=rationale,
    )  # fmt: skip
