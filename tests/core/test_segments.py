"""Segments of a recording, pure: checked, ordered, snapped to samples, stored exactly, and the
downsample a plot draws keeps every peak."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nblabel import LabelStore, NblabelError
from nblabel._codec import decode, encode
from nblabel._segments import Segment, Timeline, downsample, nice_ticks, overlapping

CLASSES = ["walk", "run", "idle"]


def numeric(n=101, overlap=False):
    return Timeline(np.linspace(0.0, 10.0, n), CLASSES, overlap=overlap)


def berlin(n=60):
    times = pd.date_range("2024-03-31 01:30", periods=n, freq="1min", tz="Europe/Berlin")
    return Timeline(times, CLASSES)


def test_a_segment_is_checked_with_an_error_naming_the_fix():
    line = numeric()
    assert line.segment(1.0, 2.5, "run") == Segment(1.0, 2.5, "run")
    with pytest.raises(NblabelError, match=r"after end=1.0.*start == end"):
        line.segment(2.0, 1.0, "run")
    with pytest.raises(NblabelError, match=r"'swim' is not one of the classes"):
        line.segment(1.0, 2.0, "swim")
    with pytest.raises(NblabelError, match=r"outside the recording, which runs from 0.0 to 10.0"):
        line.segment(9.0, 10.5, "walk")
    with pytest.raises(NblabelError, match="numeric; give a number"):
        line.segment("1", 2.0, "walk")
    with pytest.raises(NblabelError, match="finite"):
        line.segment(float("nan"), 2.0, "walk")
    with pytest.raises(NblabelError, match="label=True is not one of the classes"):
        Timeline([0, 1], [1, 2]).segment(0, 1, True)


def test_overlap_is_refused_unless_allowed_and_touching_ends_are_not_overlap():
    line = numeric()
    first = line.add([], line.segment(1.0, 3.0, "walk"))
    touching = line.add(first, line.segment(3.0, 4.0, "run"))
    assert [s.label for s in touching] == ["walk", "run"]
    with pytest.raises(NblabelError, match=r"overlaps segment 0 .*overlap=True"):
        line.add(first, line.segment(2.0, 5.0, "run"))
    with pytest.raises(NblabelError, match="overlaps"):
        line.add(first, line.segment(2.0, 2.0, "idle"))  # an event inside a range
    allowed = numeric(overlap=True)
    both = allowed.add(first, allowed.segment(0.5, 5.0, "run"))
    assert [s.start for s in both] == [0.5, 1.0]  # kept sorted by start


def test_two_events_at_one_time_overlap_events_apart_do_not():
    assert overlapping(Segment(1, 1, "a"), Segment(1, 1, "b"))
    assert not overlapping(Segment(1, 1, "a"), Segment(2, 2, "b"))
    assert not overlapping(Segment(1, 1, "a"), Segment(1, 3, "b"))  # at the start: touching


def test_datetimes_keep_their_zone_and_refuse_naive_times():
    line = berlin()
    start = pd.Timestamp("2024-03-31 01:45", tz="Europe/Berlin")
    end = pd.Timestamp("2024-03-31 03:10", tz="Europe/Berlin")  # across the DST change
    seg = line.segment(start, end, "walk")
    stored = decode(encode([seg.to_dict()]))
    back = line.check(stored)
    assert back == [seg]
    assert str(back[0].end.tz) == "Europe/Berlin" and back[0].end == end
    with pytest.raises(NblabelError, match="has no time zone but the data's times are in"):
        line.segment(pd.Timestamp("2024-03-31 01:45"), end, "walk")
    utc = line.segment(start.tz_convert("UTC"), end, "run")  # another zone: the same instant
    assert utc.start == start and str(utc.start.tz) == "Europe/Berlin"


def test_check_refuses_malformed_values_by_position():
    line = numeric()
    with pytest.raises(NblabelError, match="a list of"):
        line.check({"start": 1})
    with pytest.raises(NblabelError, match=r"segment 1 is .*keys start, end and label"):
        line.check([{"start": 1.0, "end": 2.0, "label": "walk"}, {"start": 3.0}])


def test_relabel_and_remove_name_the_positions_there_are():
    line = numeric()
    segs = line.check([{"start": 1.0, "end": 2.0, "label": "walk"}])
    assert line.relabel(segs, 0, "run")[0].label == "run"
    assert line.remove(segs, 0) == []
    with pytest.raises(NblabelError, match="no segment 3: this recording has 1"):
        line.remove(segs, 3)
    with pytest.raises(NblabelError, match="has none yet"):
        line.remove([], 0)


def test_snap_takes_the_samples_inside_the_brush_or_the_nearest_one():
    line = numeric()  # samples every 0.1
    start, end = line.snap(1.03, 2.47)
    assert (start, end) == (line.value(11), line.value(24))
    assert line.snap(2.47, 1.03) == (start, end)  # either direction
    click = line.snap(3.02, 3.03)
    assert click[0] == click[1] == line.value(30)
    assert line.snap(-5.0, -4.0) == (0.0, 0.0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200, unique=True),
    st.floats(-2e6, 2e6, allow_nan=False),
    st.floats(-2e6, 2e6, allow_nan=False),
)
def test_snapped_times_are_data_values_inside_the_brush_when_any_are(values, a, b):
    line = Timeline(np.sort(np.array(values)), CLASSES)
    start, end = line.snap(a, b)
    lo, hi = min(a, b), max(a, b)
    inside = [v for v in values if lo <= v <= hi]
    assert start in values and end in values and start <= end
    if inside:
        assert (start, end) == (min(inside), max(inside))
    else:
        assert start == end


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1000), st.integers(0, 50), st.sampled_from(CLASSES)),
        max_size=12,
    )
)
def test_accepted_segments_never_overlap_and_round_trip_exactly(raw):
    line = Timeline(np.arange(0, 1051) / 7.0, CLASSES)
    segs: list[Segment] = []
    for start, length, label in raw:
        with contextlib.suppress(NblabelError):
            segs = line.add(segs, line.segment(start / 7.0, (start + length) / 7.0, label))
    for i, a in enumerate(segs):
        for b in segs[i + 1 :]:
            assert not overlapping(a, b)
    assert line.check(decode(encode([s.to_dict() for s in segs]))) == segs


def test_segments_are_one_annotation_in_the_store(tmp_path):
    line = berlin()
    segs = line.check([
        {"start": line.times[3], "end": line.times[9], "label": "run"},
        {"start": line.times[20], "end": line.times[20], "label": "idle"},
    ])  # fmt: skip
    with LabelStore(tmp_path / "s.db") as store:
        store.append(task="acts", item="rec1", annotator="a", label=[s.to_dict() for s in segs])
        got = store.current_label("acts", "rec1", "a")
    assert line.check(got.label) == segs
    assert got.label[0]["start"] == line.times[3]


def test_downsample_keeps_peaks_and_redoes_a_zoom():
    x = np.arange(1_000_000, dtype=np.int64)
    y = np.sin(x / 5000.0)
    y[123_457] = 50.0  # one spike among a million points
    picked = downsample(x, y, 1000)
    assert 900 <= len(picked) <= 1000
    assert 123_457 in picked and np.all(np.diff(picked) > 0)
    zoomed = downsample(x, y, 1000, lo=200_000, hi=300_000)
    assert zoomed.min() >= 199_999 and zoomed.max() <= 300_001
    short = downsample(x, y, 1000, lo=10, hi=20)
    assert list(short) == list(range(9, 22))  # few points: all of them, one beyond each edge


def test_downsample_leaves_missing_values_out():
    y = np.array([0.0, np.nan, 2.0, 3.0])
    assert list(downsample(np.arange(4.0), y, 100)) == [0, 2, 3]


def test_a_timeline_refuses_unsorted_text_or_missing_times():
    with pytest.raises(NblabelError, match="sorted"):
        Timeline([3.0, 1.0], CLASSES)
    with pytest.raises(NblabelError, match="numbers or datetimes"):
        Timeline(["a", "b"], CLASSES)
    with pytest.raises(NblabelError, match="missing"):
        Timeline([1.0, np.nan], CLASSES)


@settings(max_examples=300, deadline=None)
@given(
    low=st.floats(-1e9, 1e9, allow_nan=False),
    span=st.floats(1e-6, 1e9, allow_nan=False),
    count=st.integers(1, 12),
)
@example(low=-4e8, span=8e8, count=1)  # one tick at the step for 1: five at the finer step
def test_nice_ticks_are_round_evenly_spaced_and_inside_the_range(low, span, count):
    high = low + span
    ticks = nice_ticks(low, high, count)
    magnitude = max(abs(low), abs(high))
    if high <= low or span / count < 1e-10 * magnitude:  # too narrow to step roundly
        return
    assert ticks is not None or span / count < 1e-8 * magnitude
    if ticks is None:
        return
    room = 1e-6 * span + 1e-12 * magnitude
    assert ticks and all(low - room <= t <= high + room for t in ticks)
    # two at least: where the step for ``count`` leaves one tick, the next finer 1-2-5 step
    # (2.5 times finer at most) gives up to 6, whatever the count asked
    assert count / 2.5 - 1 <= len(ticks) <= max(2.5 * count + 2, 6)
    if len(ticks) > 1:
        step = (ticks[-1] - ticks[0]) / (len(ticks) - 1)
        assert np.allclose(np.diff(ticks), step, rtol=1e-6, atol=1e-12 * magnitude)
        mantissa = step / 10 ** np.floor(np.log10(step))
        assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-3


def test_nice_ticks_read_as_written_and_give_up_on_no_range():
    assert nice_ticks(-0.6, 0.6, 4) == [-0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6]
    assert nice_ticks(-3.1, 3.2, 6) == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    assert nice_ticks(0.1, 0.3, 2) == [0.1, 0.2, 0.3]  # not 0.30000000000000004
    for low, high in [(1.0, 1.0), (2.0, 1.0), (0.0, np.inf), (np.nan, 1.0)]:
        assert nice_ticks(low, high, 5) is None
