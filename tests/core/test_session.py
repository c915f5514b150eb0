"""The labeling session: where an annotator is, what a move does, and that a new session
(a restarted kernel) picks up exactly where the store says the annotator stopped."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from nblabel import LabelStore, NblabelError, Progress
from nblabel._checks import check_options
from nblabel._job import as_frame
from nblabel._session import TRAIL_LENGTH, UNDO_DEPTH, LabelingSession


def session(items, store, annotator="alice", task="t", **kwargs) -> LabelingSession:
    return LabelingSession(pd.Index(items), store=store, task=task, annotator=annotator, **kwargs)


# -- moves -----------------------------------------------------------------------------------
def test_submit_saves_and_moves_to_the_next_item(store):
    s = session(["a", "b", "c"], store)
    assert (s.current, s.position, s.progress) == ("a", 0, Progress(0, 3))
    event = s.submit("pos", rationale="clear")
    assert (s.current, s.position, s.progress) == ("b", 1, Progress(1, 3))
    held = store.current_label("t", "a", "alice")
    assert (held.event_id, held.label, held.rationale) == (event, "pos", "clear")


def test_labeling_every_item_ends_with_nothing_on_screen(store):
    s = session([1, 2], store)
    s.submit("x")
    s.submit("y")
    assert s.current is None and s.position is None
    assert s.progress == Progress(2, 2) and s.progress.remaining == 0
    assert s.progress.fraction == 1.0 and str(s.progress) == "2 / 2"
    with pytest.raises(NblabelError, match="every item is labeled"):
        s.submit("z")


def test_skip_leaves_unlabeled_and_wraps_around(store):
    s = session(["a", "b", "c"], store)
    s.skip()
    s.submit("x")  # labels b
    assert s.current == "c"
    s.skip()
    assert s.current == "a"  # wrapped to the skipped item
    assert s.current_label() is None
    assert s.progress.done == 1


def test_skip_on_the_only_unlabeled_item_stays(store):
    s = session(["a", "b"], store)
    s.submit("x")
    s.skip()
    assert s.current == "b"


def test_back_shows_previous_items_in_turn(store):
    s = session(["a", "b", "c"], store)
    assert s.back() is False  # nothing shown before
    s.submit("x")
    s.skip()
    assert s.current == "c"
    assert s.back() is True and s.current == "b"
    assert s.back() is True and s.current == "a"
    assert s.current_label().label == "x"  # back on a labeled item shows its label


def test_back_after_undo_goes_to_the_item_before_in_the_queue(store):
    s = session(["a", "b", "c", "d"], store)
    s.submit("x")
    s.submit("y")
    s.submit("z")  # d on screen
    assert s.undo() == "c"
    assert s.current == "c"
    assert s.back() is True and s.current == "b"  # not d, where undo was pressed
    assert s.back() is True and s.current == "a"
    assert s.back() is False
    s.goto("d")
    s.submit("w")  # all labeled
    assert s.undo() == "d" and s.current == "d"
    assert s.back() is True and s.current == "c"  # the item before d, though a was shown


def test_back_after_undo_with_no_trail_goes_one_item_back(store):
    s = session(["a", "b", "c"], store)
    s.goto("c")
    s.submit("x")  # a shows next
    assert s.back() and s.back() and s.current == "a"  # the whole trail walked back
    assert s.undo() == "c" and s.current == "c"
    assert s.back() is True and s.current == "b"


def test_goto_then_relabel_moves_on_to_the_next_unlabeled(store):
    s = session(["a", "b", "c"], store)
    s.submit("x")
    s.submit("y")
    s.goto("a")
    assert s.current == "a" and s.current_label().label == "x"
    s.submit("z")
    assert s.current == "c"
    assert s.progress.done == 2
    assert store.current_label("t", "a", "alice").label == "z"
    with pytest.raises(NblabelError, match="not an item"):
        s.goto("nope")


def test_submit_for_another_item_keeps_the_screen(store):
    s = session(["a", "b", "c"], store)
    s.submit("x", item="c")
    assert s.current == "a" and s.progress.done == 1
    s.submit("y")
    assert s.current == "b"  # c is labeled, so it is passed over later
    s.submit("y")
    assert s.current is None


def test_undo_restores_the_item_and_the_previous_label(store):
    s = session(["a", "b", "c"], store)
    assert s.undo() is None  # nothing to undo yet
    s.submit("x")
    s.submit("y")
    assert s.undo() == "b"
    assert s.current == "b" and s.current_label() is None and s.progress.done == 1
    s.goto("a")
    s.submit("z")  # relabel a
    assert s.undo() == "a"
    assert s.current == "a" and s.current_label().label == "x"
    assert s.progress.done == 1
    assert s.undo() == "a"
    assert s.current_label() is None and s.progress.done == 0


def test_undo_takes_only_this_annotators_labels(store):
    alice, bob = session(["a", "b"], store), session(["a", "b"], store, annotator="bob")
    alice.submit("x")
    bob.submit("y")
    assert alice.undo() == "a"
    assert store.current_label("t", "a", "bob").label == "y"


def test_undo_takes_back_only_this_sessions_labels(store):
    a = session(list("abcdef"), store)
    b = session(list("abcdef"), store)  # another widget of the same annotator and task
    a.submit("A1")  # a
    b.submit("B1", item="d")
    a.submit("A2")  # b
    b.submit("B2", item="e")
    b.submit("B3", item="a")  # b relabels what a labeled
    assert b.undo() == "a"  # b's newest: its relabel, and a's label comes back
    assert store.current_label("t", "a", "alice").label == "A1"
    assert b.undo() == "e"
    assert b.undo() == "d"
    assert b.undo() is None  # a's labels are not b's to undo
    assert {i: store.current_label("t", i, "alice").label for i in "ab"} == {"a": "A1", "b": "A2"}
    assert a.undo() == "b" and a.undo() == "a"
    assert a.undo() is None  # each label was undone once: nothing is left
    history = store.annotations(task="t", history=True)
    assert len(history) == 5 and (history["status"] == "undone").all()


def refuse_undoing_twice(store, monkeypatch):
    """The store refuses to undo an event that is undone already. A stand-in for stores that
    do not refuse it yet; where the store refuses it itself, this check is never reached."""
    real = store.undo

    def undo(event_id, *, annotator):
        history = store.annotations(history=True)
        if (history.loc[history["event_id"] == event_id, "status"] == "undone").any():
            raise NblabelError(f"event {event_id} is undone already")
        return real(event_id, annotator=annotator)

    monkeypatch.setattr(store, "undo", undo)


def test_a_label_undone_elsewhere_is_not_undone_again(store, monkeypatch):
    refuse_undoing_twice(store, monkeypatch)
    s = session(["a", "b", "c"], store)
    s.submit("x")
    event = s.submit("y")
    store.undo(event, annotator="alice")  # another process took it back meanwhile
    with pytest.raises(NblabelError, match="undone"):
        s.undo()  # refused, not passed on to an older label
    assert store.current_label("t", "a", "alice").label == "x"
    assert s.undo() == "a"  # the refused one was dropped: the next undo goes on
    assert s.undo() is None
    undos = store.annotations(history=True)
    assert (undos["status"] == "undone").sum() == 2


def test_undo_does_not_search_the_store_for_the_newest_label(store, monkeypatch):
    # searching sorts all of the annotator's events: undo would slow down as the store grows
    def searched(*args, **kwargs):
        raise AssertionError("undo searched the store")

    monkeypatch.setattr(store, "last_label_event", searched)
    monkeypatch.setattr(store, "item_of", searched)
    s = session(["a", "b"], store)
    s.submit("x")
    assert s.undo() == "a" and s.current == "a" and s.progress.done == 0


def test_undo_reaches_back_a_bounded_number_of_labels(store):
    n = UNDO_DEPTH + 5
    s = session(range(n), store)
    for _ in range(n):
        s.submit("x")
    assert [s.undo() for _ in range(UNDO_DEPTH)] == list(range(n - 1, 4, -1))
    assert s.undo() is None  # the oldest five were forgotten by this session
    assert s.progress.done == 5


def test_back_goes_back_through_a_bounded_trail(store):
    n = TRAIL_LENGTH + 50
    s = session(range(n), store)
    for _ in range(n - 1):
        s.skip()
    assert s.current == n - 1
    backs = 0
    while s.back():
        backs += 1
    assert backs == TRAIL_LENGTH  # memory stays bounded however long the session
    assert s.current == n - 1 - TRAIL_LENGTH


class Reversing:
    """A small active ordering: after every label it re-ranks the unlabeled items, last first."""

    error = None

    def start(self, items, labeled):
        self.items, self.labeled, self.ready = list(items), set(labeled.index), False
        return [i for i in self.items if i not in self.labeled]

    def observe(self, item, label):
        (self.labeled.discard if label is None else self.labeled.add)(item)
        self.ready = True

    def poll(self):
        if not self.ready:
            return None
        self.ready = False
        return [i for i in reversed(self.items) if i not in self.labeled]


def test_a_rerank_after_going_back_keeps_every_item(store):
    s = session(range(30), store, order=Reversing())
    shown = []
    for _ in range(12):
        shown.append(s.current)
        s.submit("x")
    assert s.progress == Progress(12, 30)
    for _ in range(5):
        assert s.back()
    assert s.current == shown[-5]
    s.submit("y")  # relabel: the ordering re-ranks
    assert s.progress == Progress(12, 30)
    queue = [s.items[p] for p in s._queue]
    assert sorted(queue) == list(range(30))  # each item once, none dropped
    for item in shown:
        s.goto(item)  # every labeled item can still be shown
        assert s.current_label() is not None
    assert s.current_label().label == "x"
    s.goto(shown[-5])
    assert s.current_label().label == "y"
    s.skip()  # on to the unlabeled items
    while s.current is not None:
        s.submit("z")
    assert s.progress == Progress(30, 30)


def test_a_rerank_keeps_the_trail_of_items_shown(store):
    s = session(range(20), store, order=Reversing())
    shown = []
    for _ in range(6):
        shown.append(s.current)
        s.submit("x")
    for _ in range(3):
        s.back()
    s.submit("again")  # re-ranks; back() still retraces what was shown
    after = s.current
    assert after not in shown
    back = []
    while s.back():
        back.append(s.current)
    assert back[:3] == [shown[3], shown[2], shown[1]]


class Crashing(Reversing):
    def observe(self, item, label):
        raise RuntimeError("the model crashed")


def test_a_failing_ordering_never_fails_a_saved_label(store):
    s = session(["a", "b", "c"], store, order=Crashing())
    event = s.submit("x")  # saved: returns normally
    assert store.current_label("t", "a", "alice").event_id == event
    assert "the model crashed" in s.ordering_error
    assert s.current == "b" and s.progress == Progress(1, 3)


def test_upcoming_lists_the_next_unlabeled_positions(store):
    s = session(list("abcdef"), store)
    s.submit("x", item="c")
    assert s.upcoming(3) == [1, 3, 4]
    assert s.upcoming(10) == [1, 3, 4, 5]  # stops before coming back to the screen
    s.goto("f")
    assert s.upcoming(2) == [0, 1]  # wraps around


def test_duration_is_time_on_screen_by_the_injected_clock(store, make_clock):
    clock = make_clock(start=100.0)
    s = session(["a", "b", "c"], store, clock=clock)
    clock.tick(2.5)
    s.submit("x")
    clock.tick(4.0)
    s.skip()
    clock.tick(1.0)
    s.submit("y")
    s.submit("z", duration_s=9.0)  # an explicit duration (the browser's) wins
    durations = s.labels()["duration_s"]
    assert durations.to_dict() == {"a": 2.5, "b": 9.0, "c": 1.0}


def test_a_clock_set_back_while_an_item_shows_saves_its_label_with_no_time(store, make_clock):
    clock = make_clock(start=100.0)
    s = session(["a", "b"], store, clock=clock)
    clock.tick(-30.0)  # the wall clock put back (NTP, a laptop's sleep)
    s.submit("x")
    assert s.labels()["duration_s"].to_dict() == {"a": 0.0}


def test_labels_are_indexed_like_the_data_in_data_order(tmp_path, make_clock):
    clock = make_clock(step=1.0)
    store = LabelStore(tmp_path / "l.db", clock=clock)
    s = session([30, 10, 20], store, order=[20, 10, 30])
    s.submit("first", rationale="r")
    s.submit(["m", "n"])
    labels = s.labels()
    assert list(labels.columns) == ["label", "annotator", "labeled_at", "rationale", "duration_s"]
    assert labels.index.tolist() == [10, 20]  # data order, unlabeled rows absent
    assert labels["label"].tolist() == [["m", "n"], "first"]
    assert labels["annotator"].tolist() == ["alice", "alice"]
    assert labels.loc[20, "rationale"] == "r"
    assert str(labels["labeled_at"].dt.tz) == "UTC"
    assert labels.loc[20, "labeled_at"] == pd.Timestamp("2024-01-01", tz="UTC")
    store.close()


def test_labels_keep_multiindex_and_timestamp_ids(store):
    multi = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)])
    s = LabelingSession(multi, store=store, task="m", annotator="u")
    s.submit("x")
    s.goto(("b", 1))
    s.submit("y")
    assert s.labels().index.tolist() == [("a", 1), ("b", 1)]
    times = pd.DatetimeIndex(["2024-01-01", "2024-01-02"], tz="UTC")
    s = LabelingSession(times, store=store, task="d", annotator="u")
    s.submit(1)
    assert s.labels().index.equals(times[:1])
    assert LabelingSession(times, store=store, task="d", annotator="u").current == times[1]


def test_labels_ignore_stored_items_missing_from_the_data(store):
    store.append(task="t", item="gone", annotator="alice", label="x")
    s = session(["a", "b"], store)
    s.submit("y")
    assert s.labels().index.tolist() == ["a"]
    assert s.progress == Progress(1, 2)


def test_no_labels_gives_an_empty_frame_with_the_columns(store):
    labels = session(["a"], store).labels()
    assert labels.empty and "label" in labels.columns


# -- resuming ----------------------------------------------------------------------------------
def test_a_new_session_resumes_at_the_first_unlabeled_item(store):
    s = session(list("abcde"), store)
    s.submit("x")
    s.submit("x")  # a and b labeled
    again = session(list("abcde"), store)
    assert again.current == "c" and again.progress == Progress(2, 5)
    assert again.back() is False  # the trail does not survive a restart


def test_an_item_skipped_before_a_restart_stays_skipped(store):
    s = session(list("abcde"), store)
    s.submit("x")
    s.skip()
    s.submit("x")  # a and c labeled, b skipped: d is on screen
    again = session(list("abcde"), store)
    assert again.current == "d" and again.progress == Progress(2, 5)
    again.submit("x")
    again.submit("x")
    assert again.current == "b"  # the skipped item comes back once the rest is done
    other = session(list("abcde"), store, annotator="bob")
    assert other.current == "a"  # another annotator's place is their own


def test_a_restart_resumes_where_back_goto_and_undo_left_the_session(store):
    s = session(list("abcdef"), store)
    for _ in range(4):
        s.submit("x")  # a b c d labeled, e on screen
    s.goto("b")
    s.skip()  # from b: the next unlabeled is e, f follows
    assert s.current == "e"
    s.skip()
    assert session(list("abcdef"), store).current == "f"
    s.undo()  # d unlabeled again and shown
    assert session(list("abcdef"), store).current == "d"


def test_a_place_that_is_no_longer_in_the_data_or_order_starts_at_the_beginning(store):
    s = session(list("abc"), store)
    s.skip()  # b
    assert session(list("abc"), store).current == "b"
    assert session(list("axc"), store).current == "a"  # b is gone from the data
    assert session(list("abc"), store, order=["c", "a"]).current == "c"  # b not in the order


def test_each_annotator_resumes_at_their_own_place(store):
    alice = session(list("abc"), store)
    alice.submit("x")
    alice.submit("x")
    assert session(list("abc"), store, annotator="bob").current == "a"
    assert session(list("abc"), store).current == "c"
    assert session(list("abc"), store, task="other").current == "a"


def test_resume_follows_the_order_given(store):
    order = ["d", "b", "a"]  # a subset, out of data order
    s = session(list("abcde"), store, order=order)
    assert s.current == "d" and s.progress == Progress(0, 3)
    s.submit("x")
    s.submit("x")
    resumed = session(list("abcde"), store, order=order)
    assert resumed.current == "a" and resumed.progress == Progress(2, 3)
    resumed.submit("x")
    assert resumed.current is None  # c and e are not in this queue
    with pytest.raises(NblabelError, match="not in this widget's order"):
        resumed.goto("c")


def test_progress_counts_only_items_in_the_queue(store):
    store.append(task="t", item="c", annotator="alice", label="x")  # outside the order
    s = session(list("abc"), store, order=["a", "b"])
    assert s.progress == Progress(0, 2)
    s.submit("x", item="c")
    assert s.progress == Progress(0, 2)


def test_resume_on_a_million_items(store):
    """Resuming and wrapping are right at the far end of a large index."""
    big = pd.RangeIndex(1_000_000)
    s = LabelingSession(big, store=store, task="big", annotator="u")
    s.goto(999_999)
    s.submit("x")
    assert s.current == 0  # wrapped to the start
    for _ in range(3):
        s.submit("y")
    assert s.current == 3 and s.progress == Progress(4, 1_000_000)
    resumed = LabelingSession(big, store=store, task="big", annotator="u")
    assert resumed.current == 3 and resumed.progress == Progress(4, 1_000_000)
    assert resumed.upcoming(3) == [4, 5, 6]
    assert resumed.labels().index.tolist() == [0, 1, 2, 999_999]
    assert resumed.undo() is None  # undo is per session: the labels were saved by s
    assert s.undo() == 2 and s.current == 2
    # an order naming only far items: labeling both finishes the queue
    tail = LabelingSession(big, store=store, task="tail", annotator="u", order=[999_998, 5])
    tail.submit("a")
    tail.submit("b")
    assert tail.current is None and tail.progress == Progress(2, 2)


def test_resume_on_a_large_index_labeled_up_to_its_last_item(tmp_path):
    """Every item but the last labeled (written in bulk): resume lands on the last."""
    n = 20_000
    path = tmp_path / "bulk.db"
    LabelStore(path).close()
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO nblabel_events (task, item, annotator, action, label, created_at,"
            " source) VALUES ('t', ?, 'u', 'label', '\"x\"', 0, 'annotator')",
            [(str(i),) for i in range(n - 1)],
        )
    db.close()
    with LabelStore(path) as store:
        s = LabelingSession(pd.RangeIndex(n), store=store, task="t", annotator="u")
        assert s.current == n - 1 and s.progress == Progress(n - 1, n)
        s.submit("x")
        assert s.current is None
        assert (
            LabelingSession(pd.RangeIndex(n), store=store, task="t", annotator="u").current is None
        )


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("items", "message"),
    [
        (pd.Index([]), "empty.*at least one row"),
        (pd.Index(["a", "b", "a"]), "duplicate.*reset_index"),
        (pd.Index([1.0, np.nan, 3.0]), "NaN.*reset_index"),
        (pd.Index(["a", None]), "NaN.*reset_index"),
        (pd.MultiIndex.from_tuples([("a", 1.0), ("b", np.nan)]), "NaN.*reset_index"),
        (pd.MultiIndex.from_tuples([("a", 1), ("a", 1)]), "duplicate"),
    ],
)
def test_unusable_index_is_refused_with_a_fix(store, items, message):
    with pytest.raises(NblabelError, match=message):
        LabelingSession(items, store=store, task="t", annotator="a")


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (["a", "zzz"], "not in the data.*zzz"),
        (["a", "b", "a"], "more than once"),
        ([], "empty"),
    ],
)
def test_bad_order_is_refused(store, order, message):
    with pytest.raises(NblabelError, match=message):
        session(["a", "b", "c"], store, order=order)


def test_order_of_tuples_names_multiindex_items(store):
    multi = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)])
    s = LabelingSession(multi, store=store, task="t", annotator="u", order=[("b", 1), ("a", 1)])
    assert s.current == ("b", 1) and s.progress.total == 2


# -- the model-based test --------------------------------------------------------------------
ITEMS = ["a", "b", "c", "d", "e"]
LABEL_VALUES = st.sampled_from(["x", "y", 1, ["p", "q"]])


def ticking():
    """A clock one second on at each read (the machine cannot take fixtures)."""
    return itertools.count(1_704_067_200.0, 1.0).__next__


class SessionMachine(RuleBasedStateMachine):
    """Random moves against a plain model of the annotator's labels and the screen.

    The model: ``events`` is the stack of this annotator's label events not undone; the current
    label of an item is its newest event on the stack. Undo pops the newest event only if the
    running session saved it (``own`` counts them, at the top of the stack): a restarted session
    has nothing to undo, and starts at the first unlabeled item from the last place a move by
    hand (skip, back, go to, undo) left. The screen is a queue index and a trail of previously
    shown ones, as ``back()`` promises.
    """

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="nblabel-machine-"))
        self.store = LabelStore(self.dir / "m.db", clock=ticking())
        self.events: list[tuple[str, object]] = []
        self.submits = 0
        self.place = None  # where the annotator last moved by hand: a new session starts there

    @initialize(order=st.none() | st.permutations(ITEMS).flatmap(
        lambda p: st.integers(1, len(p)).map(lambda k: list(p[:k]))
    ))  # fmt: skip
    def start(self, order):
        self.order = order
        self.queue = list(ITEMS) if order is None else order
        self.new_session()

    def new_session(self) -> None:
        self.session = LabelingSession(
            pd.Index(ITEMS), store=self.store, task="t", annotator="me", order=self.order,
            clock=ticking(),
        )  # fmt: skip
        start = self.queue.index(self.place) if self.place in self.queue else 0
        self.cursor = self.next_unlabeled(start, include_start=True)
        self.trail: list[int] = []
        self.own = 0  # events of this session at the top of the stack, which undo may take

    # -- model helpers
    def model_labels(self) -> dict:
        return {item: label for item, label in self.events}

    def next_unlabeled(self, start: int, include_start: bool = False) -> int:
        labeled, n = self.model_labels(), len(self.queue)
        first = start if include_start else start + 1
        for index in [*range(first, n), *range(0, min(first, n))]:
            if self.queue[index] not in labeled:
                return index
        return n

    def move_to(self, index: int) -> None:
        if index != self.cursor and self.cursor < len(self.queue):
            self.trail.append(self.cursor)
        self.cursor = index

    def expected_current(self):
        return self.queue[self.cursor] if self.cursor < len(self.queue) else None

    def moved_by_hand(self) -> None:
        if self.expected_current() is not None:
            self.place = self.expected_current()

    # -- rules
    @precondition(lambda self: self.expected_current() is not None)
    @rule(label=LABEL_VALUES)
    def submit(self, label):
        item = self.expected_current()
        self.session.submit(label)
        self.events.append((item, label))
        self.own += 1
        self.submits += 1
        self.move_to(self.next_unlabeled(self.cursor))

    @rule(data=st.data(), label=LABEL_VALUES)
    def submit_other_item(self, data, label):
        item = data.draw(st.sampled_from(self.queue))
        self.session.submit(label, item=item)
        self.events.append((item, label))
        self.own += 1
        self.submits += 1
        if item == self.expected_current():
            self.move_to(self.next_unlabeled(self.cursor))

    @rule()
    def skip(self):
        self.session.skip()
        if self.cursor < len(self.queue):
            self.move_to(self.next_unlabeled(self.cursor))
            self.moved_by_hand()

    @rule()
    def back(self):
        moved = self.session.back()
        assert moved == bool(self.trail)
        if self.trail:
            self.cursor = self.trail.pop()
            self.moved_by_hand()

    @rule(data=st.data())
    def goto(self, data):
        item = data.draw(st.sampled_from(self.queue))
        self.session.goto(item)
        self.move_to(self.queue.index(item))
        self.moved_by_hand()

    @rule()
    def undo(self):
        undone = self.session.undo()
        if not self.own:
            assert undone is None
            return
        item, _ = self.events.pop()
        self.own -= 1
        assert undone == item
        index = self.queue.index(item)  # back() then goes to an item before it in the queue
        while self.trail and self.trail[-1] >= index:
            self.trail.pop()
        if index > 0 and (not self.trail or self.trail[-1] != index - 1):
            self.trail.append(index - 1)
        self.cursor = index
        self.moved_by_hand()

    @rule(label=LABEL_VALUES)
    def someone_else_labels(self, label):
        # another annotator's labels must change nothing for this one
        self.store.append(task="t", item=ITEMS[0], annotator="other", label=label)

    @rule()
    def restart(self):
        self.new_session()

    # -- invariants
    @invariant()
    def screen_matches_the_model(self):
        assert self.session.current == self.expected_current()

    @invariant()
    def progress_counts_labeled_queue_items(self):
        labeled = self.model_labels()
        done = sum(item in labeled for item in self.queue)
        assert self.session.progress == Progress(done, len(self.queue))

    @invariant()
    def nothing_on_screen_only_when_all_are_labeled(self):
        all_labeled = self.session.progress.done == len(self.queue)
        if self.session.current is None:
            assert all_labeled
        if not all_labeled:
            assert self.session.current is not None

    @invariant()
    def screen_label_is_the_saved_one(self):
        held = self.session.current_label()
        expected = self.model_labels().get(self.expected_current())
        assert (None if held is None else held.label) == expected

    # the tables cost ~20 ms each to build, too much after every step: they are compared in
    # a rule (so at random points of each run) and once more at the end of the run
    @rule()
    def tables_match_the_model(self):
        labels = self.session.labels()
        expected = self.model_labels()
        assert labels["label"].to_dict() == expected
        assert labels.index.tolist() == [i for i in ITEMS if i in expected]  # data order
        history = self.store.annotations(task="t", annotator="me", history=True)
        assert len(history) == self.submits
        assert (history["status"] == "current").sum() == len(expected)

    def teardown(self) -> None:
        try:
            if hasattr(self, "session"):
                self.tables_match_the_model()
        finally:
            self.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)


SessionMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=25,
    deadline=None,
    derandomize=True,  # the same sequences on every run
    suppress_health_check=[HealthCheck.too_slow],
)
test_session_machine = SessionMachine.TestCase


# -- what the builders hand the session ----------------------------------------------------------
def test_as_frame_wraps_one_dimensional_data_without_copying_frames():
    df = pd.DataFrame({"t": ["a", "b"]}, index=[10, 20])
    frame, column = as_frame(df)
    assert frame is df and column is None
    frame, column = as_frame(pd.Series([1, 2], index=["x", "y"], name="score"))
    assert column == "score" and frame.index.tolist() == ["x", "y"]
    frame, column = as_frame(["p", "q"])
    assert column == "value" and frame["value"].tolist() == ["p", "q"]
    assert as_frame(pd.Series([1]))[1] == "value"  # an unnamed series


@pytest.mark.parametrize(("data", "message"), [(42, "DataFrame"), ([], "empty")])
def test_as_frame_refuses_what_it_cannot_label(data, message):
    with pytest.raises(NblabelError, match=message):
        as_frame(data)


def test_check_options_returns_plain_python_values():
    options = check_options(np.array([1, 2, 3]))
    assert options == [1, 2, 3] and all(type(o) is int for o in options)
    assert check_options(("pos", 0.5, True)) == ["pos", 0.5, True]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (None, "must be a list"),
        ("pos", "must be a list"),
        ([], "empty"),
        (["a", {"b": 1}], "strings or numbers"),
        (["a", float("nan")], "finite"),
        (["a", "b", "a"], "more than once"),
    ],
)
def test_check_options_refuses_bad_options(options, message):
    with pytest.raises(NblabelError, match=message):
        check_options(options)


def test_a_session_in_the_datas_order_keeps_no_array_of_every_row(store):
    import tracemalloc

    items = pd.RangeIndex(2_000_000)
    tracemalloc.start()
    s = session(items, store)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * 2**20  # the labeled flags (1 byte a row), not an 8-byte queue of rows
    assert (s.current, s.progress.total) == (0, 2_000_000)
    s.submit("x")
    s.goto(1_999_999)
    assert s.current == 1_999_999 and list(s._queue[-2:]) == [1_999_998, 1_999_999]
