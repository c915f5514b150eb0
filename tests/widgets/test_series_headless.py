"""label_series without a browser: brushing set on bqplot's selector as its front end sets it,
keys through ``press``, browser intents through ``browser_message``, the Python twins, and
what lands in the store (one annotation per recording, exact data times)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel import NblabelError
from nblabel._codec import decode, encode
from nblabel.testing import browser_message

pytest.importorskip("bqplot")
pytest.importorskip("tsdownsample")

CLASSES = ["walk", "run", "idle"]


def signals(n=500, recordings=("a", "b"), seed=0):
    rng = np.random.default_rng(seed)
    k = len(recordings)
    return pd.DataFrame({
        "t": np.tile(np.arange(n) / 10.0, k),
        "x": rng.normal(size=n * k),
        "y": rng.normal(size=n * k),
        "rec": np.repeat(list(recordings), n),
    })  # fmt: skip


def make(data, store, **kwargs):
    kwargs.setdefault("annotator", "alice")
    kwargs.setdefault("by", "rec")
    return nblabel.label_series(
        data, time="t", value=["x", "y"], classes=CLASSES, store=store, **kwargs
    )


def test_brush_digit_enter_saves_one_annotation_with_exact_data_times(tmp_path):
    data = signals()
    w = make(data, tmp_path / "s.db")
    assert w.current == "a"
    w.selector.selected = np.array([1.234, 2.46])  # as bqplot's front end sets it
    assert w.brushed == "1.3 – 2.4"
    w.press("2")
    assert w.segments == [{"start": 1.3, "end": 2.4, "label": "run"}]
    assert w.selector.selected is None and w.chosen == 0  # the brush became the segment
    w.selector.selected = np.array([4.0, 4.0])  # a click: the nearest sample, an event
    w.press("3")
    w.press("Enter")
    assert w.current == "b"
    stored = w.store.annotations(task=w.session.task)
    assert list(stored["item"]) == ["a"]
    assert stored["label"].iloc[0] == [
        {"start": 1.3, "end": 2.4, "label": "run"},
        {"start": 4.0, "end": 4.0, "label": "idle"},
    ]
    assert stored["label"].iloc[0][0]["start"] in set(data["t"])


def test_datetime_times_are_stored_exactly_in_their_zone_and_come_back(tmp_path):
    times = pd.date_range("2024-03-31 01:00", periods=300, freq="37s", tz="Europe/Berlin")
    data = pd.DataFrame({"t": times, "x": np.sin(np.arange(300) / 9.0), "y": 0.0, "rec": "r"})
    w = make(data, tmp_path / "s.db")
    # bqplot's DateScale sends naive UTC datetimes (milliseconds)
    lo, hi = times[10].tz_convert("UTC").tz_localize(None), times[200].tz_convert("UTC")
    w.selector.selected = np.array([lo, hi.tz_localize(None)], dtype="datetime64[ms]")
    w.press("1")
    w.submit()
    assert w.progress.done == 1
    again = make(data, tmp_path / "s.db")
    again.goto("r")
    (segment,) = again.segments
    assert segment == {"start": times[10], "end": times[200], "label": "walk"}
    assert str(segment["start"].tz) == "Europe/Berlin"
    assert segment["end"].utcoffset() == pd.Timedelta(hours=2)  # after the DST change
    assert again.bands[0]["start"] == times[10].isoformat()  # shown as the data's own time


@pytest.mark.parametrize(("t", "brush", "shown", "stored", "span"), [
    (np.arange(300) * 0.1, [0.25, 0.95], ("0.3", "0.9"), 0.30000000000000004, ("0.0", "29.9")),
    (np.arange(300) * 0.01, [0.251, 0.953], ("0.26", "0.95"), 0.26, ("0.00", "2.99")),
    (np.arange(300), [10.2, 20.7], ("11", "20"), 11, ("0", "299")),
])  # fmt: skip
def test_numeric_times_are_shown_to_the_step_of_the_data_and_stored_exactly(
    tmp_path, t, brush, shown, stored, span
):
    data = pd.DataFrame({"t": t, "x": np.sin(np.arange(300) / 9.0), "y": 0.0})
    w = make(data, tmp_path / "s.db", by=None)
    w.selector.selected = np.array(brush)
    assert w.brushed == f"{shown[0]} – {shown[1]}"
    w.press("1")
    assert (w.bands[0]["start"], w.bands[0]["end"]) == shown
    assert w.segments[0]["start"] == stored and w.segments[0]["start"] in set(t)
    assert (w.sample["content"]["from"], w.sample["content"]["to"]) == span


def test_overlap_is_refused_by_default_and_allowed_with_the_flag(tmp_path):
    w = make(signals(), tmp_path / "s.db")
    w.add_segment(1.0, 3.0, "walk")
    with pytest.raises(NblabelError, match="overlaps segment 0"):
        w.add_segment(2.0, 4.0, "run")
    w.selector.selected = np.array([2.0, 2.5])
    with pytest.raises(NblabelError, match="overlap=True"):
        w.press("2")
    assert len(w.segments) == 1
    both = make(signals(), tmp_path / "o.db", overlap=True)
    both.add_segment(1.0, 3.0, "walk")
    both.add_segment(2.0, 4.0, "run")
    assert [s["label"] for s in both.segments] == ["walk", "run"]


def test_click_a_band_then_a_digit_changes_its_class_and_delete_removes_it(tmp_path):
    w = make(signals(), tmp_path / "s.db")
    w.add_segment(10.0, 20.0, "walk")
    w.add_segment(30.0, 30.0, "idle")
    w.select_segment(-1)
    # a click at 15 s, where a pixel is 0.1 s: inside the first band
    browser_message(w, {"kind": "select_at", "value": 15.0, "per_pixel": 0.1})
    assert w.chosen == 0
    w.press("2")
    assert w.segments[0]["label"] == "run" and w.segments[1]["label"] == "idle"
    # a click within a few pixels of the event selects it
    browser_message(w, {"kind": "select_at", "value": 30.3, "per_pixel": 0.1})
    assert w.chosen == 1
    browser_message(w, {"kind": "remove"})
    assert w.segments == [{"start": 10.0, "end": 20.0, "label": "run"}]
    browser_message(w, {"kind": "select_at", "value": 45.0, "per_pixel": 0.1})
    assert w.chosen == -1
    browser_message(w, {"kind": "remove"})
    assert "Click a segment" in w.error
    w.remove_segment(0)
    assert w.segments == []


def test_a_digit_with_nothing_brushed_or_selected_says_what_to_do(tmp_path):
    w = make(signals(), tmp_path / "s.db")
    with pytest.raises(NblabelError, match="Brush a range first"):
        w.press("1")
    browser_message(w, {"kind": "assign", "value": encode("walk"), "editor": "v", "edit": 1})
    assert "Brush a range first" in w.error
    assert w.edit_acks == {"v": 1}  # refused edits are done too: an Enter waiting goes on
    assert w.store.annotations().empty


def test_the_draft_the_browser_sends_is_checked_against_its_recording(tmp_path):
    w = make(signals(), tmp_path / "s.db")
    w.add_segment(1.0, 2.0, "walk")
    sent = {"kind": "label", "value": w.draft, "item": w.sample["item"], "client": "c", "seq": 1}
    browser_message(w, sent)
    assert w.acks == {"c": 1} and w.current == "b"
    assert decode(w.sample["label"]) is None
    bad = encode([{"start": 1.0, "end": 99.0, "label": "walk"}])  # past the end of b
    item = encode("b")
    browser_message(w, {"kind": "label", "value": bad, "item": item, "client": "c", "seq": 2})
    assert "outside the recording" in w.error and w.acks == {"c": 2}  # refused, acknowledged
    assert list(w.store.annotations()["item"]) == ["a"]


def test_undo_takes_the_label_back_as_one_step_and_keeps_the_segments_to_edit(tmp_path):
    w = make(signals(), tmp_path / "s.db")
    w.add_segment(1.0, 2.0, "walk")
    w.add_segment(3.0, 4.0, "run")
    w.submit()
    w.undo()
    assert w.current == "a" and w.progress.done == 0
    assert w.store.annotations().empty
    assert [s["label"] for s in w.segments] == ["walk", "run"]  # back, unsaved
    assert '"walk"' in w.draft


def test_the_plot_draws_a_downsample_and_zoom_draws_the_range_again(tmp_path):
    n = 200_000
    data = pd.DataFrame({"t": np.arange(n) * 0.001, "x": np.sin(np.arange(n) / 50.0)})
    data.loc[123_457, "x"] = 30.0  # one spike
    w = nblabel.label_series(data, time="t", value="x", classes=CLASSES, store=tmp_path / "s.db",
                             annotator="a", points=1000)  # fmt: skip
    assert w.current == "all"  # without by=, the frame is one recording
    line = w._lines[0]
    assert len(line.x) <= 1000 and line.y.max() == 30.0  # the spike survives
    # the value axis: round values over what is drawn (320 px: a tick every 40 px or so)
    assert list(w._y_axis.tick_values) == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
    w.zoom(50.0, 60.0)
    assert len(w._lines[0].x) <= 1000
    assert w._lines[0].x.min() >= 49.99 and w._lines[0].x.max() <= 60.01
    # the spike is out of range; the sine stays a hair inside -1 and 1
    assert list(w._y_axis.tick_values) == [-0.5, 0.0, 0.5]
    assert w._x.min == 50.0 and w._x.max == 60.0
    w.selector.selected = np.array([52.0, 53.0])
    browser_message(w, {"kind": "zoom", "to": "brush"})
    assert (w._x.min, w._x.max) == (52.0, 53.0)
    browser_message(w, {"kind": "zoom", "to": "all"})
    assert w._x.max == pytest.approx(199.999)


def test_missing_values_are_not_drawn_and_leave_the_value_axis_round(tmp_path):
    data = pd.DataFrame({"t": np.arange(6) * 1.0, "x": [np.nan, 1.0, np.inf, -2.0, np.nan, 4.0]})
    w = nblabel.label_series(data, time="t", value="x", classes=CLASSES, store=tmp_path / "s.db",
                             annotator="a")  # fmt: skip
    assert list(w._lines[0].y) == [1.0, -2.0, 4.0]
    assert list(w._y_axis.tick_values) == [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    w.zoom(0.0, 0.5)  # nothing but a missing value in range (and a sample each side)
    assert list(w._lines[0].y) == [1.0]
    assert w._y_axis.tick_values is None  # one value: no range to step, bqplot's own ticks


def test_wrong_arguments_are_named(tmp_path):
    data = signals()
    with pytest.raises(NblabelError, match="value='nope' is not a column"):
        nblabel.label_series(data, time="t", value="nope", classes=CLASSES, store=tmp_path / "s")
    with pytest.raises(NblabelError, match=r"value='rec' holds \w+ values: plot numeric"):
        nblabel.label_series(data, time="t", value="rec", classes=CLASSES, store=tmp_path / "s")
    with pytest.raises(NblabelError, match="classes"):
        nblabel.label_series(data, time="t", value="x", classes={"a", "b"}, store=tmp_path / "s")
    shuffled = data.assign(t=data["t"].astype(str))
    with pytest.raises(NblabelError, match="numbers or datetimes"):
        nblabel.label_series(shuffled, time="t", value="x", by="rec", classes=CLASSES,
                             store=tmp_path / "s")  # fmt: skip
    assert not (tmp_path / "s").exists()  # refused before anything was opened


def test_a_recording_whose_data_changed_counts_as_not_labeled(tmp_path):
    w = make(signals(seed=0), tmp_path / "s.db")
    w.add_segment(1.0, 2.0, "walk")
    w.submit()
    with pytest.warns(nblabel.NblabelWarning, match="other content"):
        again = make(signals(seed=1), tmp_path / "s.db")
    assert again.progress.done == 0


def test_the_brush_the_page_showed_wins_and_a_late_update_of_a_used_brush_is_dropped(tmp_path):
    w = make(signals(), tmp_path / "s.db")
    w.selector.selected = np.array([1.0, 2.0])  # an early update of a brush still moving
    msg = {"kind": "assign", "value": encode("run"), "brush": [1.0, 3.0], "editor": "v", "edit": 1}
    browser_message(w, msg)  # the brush as the page showed it when the digit was pressed
    assert w.segments == [{"start": 1.0, "end": 3.0, "label": "run"}]
    w.selector.selected = np.array([3.0, 1.0])  # the page's last update, held back until now
    assert w.selector.selected is None and w.brushed == ""
    browser_message(w, {"kind": "assign", "value": encode("walk"), "brush": None})
    assert w.segments[0]["label"] == "walk"  # no brush: the selected segment changes class
