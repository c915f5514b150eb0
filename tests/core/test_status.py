"""``nblabel.status``: per annotator and overall, done, claimed, left, pace and ETA, read from
the store alone (on both engines), with a readable repr."""

from __future__ import annotations

import pandas as pd
import pytest

import nblabel
from nblabel import Assignment, NblabelError


def label(store, clock, annotator, items, every=30.0):
    for item in items:
        clock.tick(every)
        store.append(task="t", item=item, annotator=annotator, label="x")


def test_progress_per_annotator_and_overall(store, clock):
    plan = Assignment(overlap=2, batch=5, claim_timeout=600)
    alice = plan.claim(store, "t", "alice", items=range(20))
    bob = plan.claim(store, "t", "bob", items=range(20))
    label(store, clock, "alice", alice[:4])
    label(store, clock, "bob", bob[:2])
    result = nblabel.status(store, "t")
    frame = result.frame
    assert list(frame.index) == ["alice", "bob", "(all)"]
    assert frame.loc["alice", "done"] == 4 and frame.loc["bob", "done"] == 2
    assert frame.loc["alice", "claimed"] == 1 and frame.loc["bob", "claimed"] == 3
    # each can still take the 15 items neither holds (alice and bob share items 0-4)
    assert frame.loc["alice", "left"] == 15 and frame.loc["bob", "left"] == 15
    assert frame.loc["(all)", ["done", "claimed", "left"]].tolist() == [6, 4, 34]
    # bob: 2 labels, the first 60 s before now (one minute at least): 120 per hour
    assert frame.loc["bob", "pace_per_h"] == pytest.approx(120)
    assert frame.loc["bob", "eta"] == pd.Timedelta(minutes=3 / 120 * 60)
    team = frame.loc["(all)", "pace_per_h"]
    assert frame.loc["(all)", "eta"] == pd.Timedelta(hours=34 / team)
    assert result["done"].sum() == 12  # the DataFrame answers through the result
    text = repr(result)
    assert "6 of 40 labels done (15%), 4 claimed, 34 left" in text and "alice" in text
    # an annotator's ETA is of their claims, the team's of what is left: both say so
    note = "ETA: an annotator's claimed items at their pace; all: what is left"
    assert text.endswith(note + ", at the team's pace.")
    assert "ETA: an annotator&#x27;s claimed items" in result._repr_html_()


def test_lapsed_claims_are_not_counted_as_claimed(store, clock):
    plan = Assignment(overlap=1, batch=3, claim_timeout=60)
    plan.claim(store, "t", "alice", items=range(5))
    clock.tick(120)
    frame = nblabel.status(store, "t").frame
    assert frame.loc["alice", "claimed"] == 0 and frame.loc["(all)", "left"] == 5
    assert frame.loc["alice", "left"] == 2  # what she holds, lapsed or not, is hers to label


def test_a_finished_task_says_so(store, clock):
    plan = Assignment(overlap=1, batch=5)
    label(store, clock, "alice", plan.claim(store, "t", "alice", items=range(3)))
    result = nblabel.status(store, "t")
    assert result.frame.loc["(all)", "left"] == 0 and "finished" in repr(result)


def test_without_an_assignment_nothing_is_known_to_be_left(store, clock):
    label(store, clock, "carol", [1, 2, 3])
    result = nblabel.status(store, "t")
    assert pd.isna(result.frame.loc["(all)", "left"]) and pd.isna(result.frame.loc["(all)", "eta"])
    assert result.frame.loc["carol", "done"] == 3
    assert "no assignment" in repr(result) and "?" in repr(result)


def test_no_recent_label_means_no_pace_and_no_eta(store, clock):
    plan = Assignment(overlap=1, batch=2)
    label(store, clock, "alice", plan.claim(store, "t", "alice", items=range(4))[:1])
    clock.tick(7200)
    frame = nblabel.status(store, "t", window=3600).frame
    assert frame.loc["(all)", "pace_per_h"] == 0 and pd.isna(frame.loc["(all)", "eta"])


def test_names_are_escaped_in_html(store, clock):
    store.append(task="t", item=1, annotator="<b>eve</b>", label="x")
    html = nblabel.status(store, "t")._repr_html_()
    assert "<b>eve</b>" not in html and "&lt;b&gt;eve&lt;/b&gt;" in html


def test_bad_calls_say_what_to_fix(store, tmp_path):
    with pytest.raises(NblabelError, match="store= must be a LabelStore"):
        nblabel.status(str(tmp_path / "x.db"), "t")
    with pytest.raises(NblabelError, match="no task 'nope'"):
        nblabel.status(store, "nope")
    store.append(task="t", item=1, annotator="a", label="x")
    with pytest.raises(NblabelError, match="window="):
        nblabel.status(store, "t", window=0)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (44.6, "45 s"), (59.6, "1 min"), (12 * 60 + 20, "12 min"),
    (4800, "1 h 20 min"), (3 * 3600 + 10, "3 h"), (23 * 3600 + 59 * 60 + 50, "1 d"),
    (76 * 3600, "3 d 4 h"),
])  # fmt: skip
def test_durations_read_in_the_two_largest_units(seconds, text):
    from nblabel._status import _span

    assert _span(pd.Timedelta(seconds=seconds)) == text


def test_paces_are_whole_above_ten_and_unknowns_a_dash():
    from nblabel._status import _count, _rate, _span

    assert [_rate(v) for v in (0.0, 0.44, 9.94, 9.96, 1234.5)] == ["0", "0.4", "9.9", "10", "1,234"]
    assert _rate(float("nan")) == _count(float("nan")) == _span(pd.NaT) == "–"


def counted_from_every_slot(store, task: str) -> dict[str, list]:
    """``done, claimed, left`` by annotator and ``"(all)"``, from every slot and label read
    into pandas (what ``status`` counted before the engine counted it)."""
    import numpy as np

    slots, now = store.slots(task), float(store._clock())
    labels = store.annotations(task=task, source="annotator")
    expires = np.nan_to_num(
        (slots["expires_at"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(float),
        nan=-np.inf,
    )
    done = slots["done"].to_numpy()
    live = slots["annotator"].notna().to_numpy() & ~done & (expires > now)
    free = ~done & ~live
    counted = {}
    for annotator in sorted(set(labels["annotator"]) | set(slots["annotator"].dropna())):
        theirs = (labels["annotator"] == annotator).to_numpy()
        mine = (slots["annotator"] == annotator).to_numpy()
        taken = set(slots["item"][mine]) | set(labels["item"][theirs])
        counted[annotator] = [int(theirs.sum()), int((mine & live).sum()),
                              len(set(slots["item"][free]) - taken)]  # fmt: skip
    counted["(all)"] = [int(done.sum()), int(live.sum()), int((~done).sum())]
    return counted


@pytest.mark.parametrize("marked", [True, False], ids=["done-marks", "no-marks"])
def test_counts_are_those_of_every_slot_read_through_a_day_of_a_team(
    store, clock, write_raw, marked
):
    import numpy as np
    from test_assign import drop_done_triggers

    if not marked:  # a store whose owner could not make the triggers: read from the events
        drop_done_triggers(store, write_raw)
    rng = np.random.default_rng(11)
    plan = Assignment(overlap=2, batch=3, claim_timeout=50)
    store.add_items("t", range(30), overlap=2)
    events, checked, taking = [], 0, set()
    for step in range(50):
        annotator = ["ann", "bob", "cat"][rng.integers(3)]
        claimed = plan.claim(store, "t", annotator)
        for item in claimed[: rng.integers(0, 4)]:
            events.append(store.append(task="t", item=item, annotator=annotator, label="x"))
        move = rng.integers(7)
        if move == 0 and events:
            store.undo(events.pop(rng.integers(len(events))), annotator="ann")
        elif move == 1:
            clock.tick(60)  # every open claim lapses
        elif move == 2:
            plan.release(store, "t", annotator)
        elif move == 3:  # labels with no slot: items never put up, and items up but not held
            store.append(task="t", item=int(rng.integers(25, 40)), annotator="eve", label="y")
        elif move == 4:
            store.append(task="t", item=int(rng.integers(30)), annotator="ann", label="y")
        if step % 5 == 4:
            frame = nblabel.status(store, "t").frame
            expected = counted_from_every_slot(store, "t")
            assert list(frame.index) == list(expected)
            got = {name: [int(v) for v in row] for name, row in
                   frame[["done", "claimed", "left"]].iterrows()}  # fmt: skip
            assert got == expected, step
            counts = store._assignment_counts("t", float(clock.now))
            taking |= {name for name, n in counts.free_items_taken_by.items() if n}
            checked += 1
    assert checked == 10 and expected["(all)"][0] > 10  # the day did label a good deal
    # items with a free slot were taken by slots held and by labels with no slot
    assert "eve" in taking and taking & {"bob", "cat"}
