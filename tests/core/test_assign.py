"""Splitting work with overlap: each item labeled by ``overlap`` different annotators, claims
taken atomically, lapsing after ``claim_timeout``; on SQLite and on PostgreSQL, with real
concurrent annotator processes (``assign_children.py``), one of them killed mid-batch."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel import Assignment, LabelStore, NblabelError
from nblabel._store import _LABELED
from postgres_server import raw_rows

CHILD = Path(__file__).with_name("assign_children.py")
SOURCE = Path(nblabel.__file__).resolve().parents[1]


# -- the settings -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"overlap": 0}, "overlap= must be 1 or more"),
        ({"overlap": 2.0}, "overlap= must be a whole number"),
        ({"batch": 0}, "batch= must be 1 or more"),
        ({"claim_timeout": 0}, "claim_timeout= must be a number of seconds above 0"),
        ({"claim_timeout": "30m"}, "claim_timeout= .*'30m'"),
        ({"claim_timeout": float("inf")}, "claim_timeout="),
    ],
)
def test_bad_settings_are_refused_naming_the_argument(kwargs, match):
    with pytest.raises(NblabelError, match=match):
        Assignment(**kwargs)


def test_settings_have_defaults_and_compare_by_value():
    assert Assignment() == Assignment(overlap=1, batch=20, claim_timeout=1800.0)
    assert Assignment(overlap=2, batch=5).overlap == 2


def test_claim_needs_a_store(tmp_path):
    with pytest.raises(NblabelError, match="store= must be a LabelStore"):
        Assignment().claim(str(tmp_path / "x.db"), "t", "alice")


# -- claiming, on both engines ------------------------------------------------------------------
def test_each_item_goes_to_overlap_different_annotators(store):
    plan = Assignment(overlap=2, batch=3)
    got = {a: plan.claim(store, "t", a, items=range(5)) for a in ("alice", "bob", "carol")}
    assert got == {"alice": [0, 1, 2], "bob": [0, 1, 2], "carol": [3, 4]}
    # a fourth annotator finds item 3 and 4 (one free slot each) and nothing else
    assert plan.claim(store, "t", "dave") == [3, 4]
    assert plan.claim(store, "t", "erin") == []
    slots = store.slots("t")
    assert slots["annotator"].notna().all()
    per_item = slots.groupby("item")["annotator"].agg(lambda a: sorted(a))
    assert all(len(set(a)) == 2 for a in per_item)


def test_open_claims_come_back_first_and_labeled_items_never_again(store, clock):
    plan = Assignment(overlap=1, batch=2, claim_timeout=60)
    assert plan.claim(store, "t", "alice", items=["a", "b", "c", "d"]) == ["a", "b"]
    assert plan.claim(store, "t", "alice") == ["a", "b"]  # the same batch, as after a restart
    store.append(task="t", item="a", annotator="alice", label="x")
    assert plan.claim(store, "t", "alice") == ["b", "c"]
    clock.tick(3600)  # her claims lapse, but what she labeled stays hers
    assert plan.claim(store, "t", "bob") == ["b", "c"]
    assert plan.claim(store, "t", "alice") == ["d"]


def test_a_claim_lapses_after_the_timeout_and_a_renewed_one_does_not(store, clock):
    plan = Assignment(overlap=1, batch=1, claim_timeout=100)
    assert plan.claim(store, "t", "alice", items=[1, 2]) == [1]
    assert plan.claim(store, "t", "bob") == [2]
    assert plan.claim(store, "t", "carol") == []  # all claimed by others, for now
    clock.tick(90)
    assert plan.claim(store, "t", "alice") == [1]  # renewed for another 100 s
    clock.tick(90)
    assert plan.claim(store, "t", "carol") == [2]  # bob's lapsed; alice's renewed one holds
    clock.tick(200)
    assert plan.claim(store, "t", "dave") == [1]  # now alice's lapsed too
    assert store.slots("t")["annotator"].tolist() == ["dave", "carol"]


def test_an_undone_label_frees_the_slot_once_the_claim_lapses(store, clock):
    plan = Assignment(overlap=1, batch=1, claim_timeout=10)
    assert plan.claim(store, "t", "alice", items=[1]) == [1]
    event = store.append(task="t", item=1, annotator="alice", label="x")
    clock.tick(60)
    assert plan.claim(store, "t", "bob") == []  # labeled: done, whatever the clock says
    assert store.slots("t")["done"].tolist() == [True]
    store.undo(event, annotator="alice")
    assert store.slots("t")["done"].tolist() == [False]
    assert plan.claim(store, "t", "bob") == [1]  # her claim had lapsed
    assert plan.claim(store, "t", "alice") == []  # she never gets an item she labeled once


def test_an_item_the_annotator_labeled_before_is_not_assigned_to_them(store):
    store.append(task="t", item=2, annotator="alice", label="x")
    assert Assignment(overlap=1, batch=5).claim(store, "t", "alice", items=[1, 2, 3]) == [1, 3]


def test_release_gives_back_unlabeled_claims(store):
    plan = Assignment(overlap=1, batch=2)
    assert plan.claim(store, "t", "alice", items=[1, 2, 3]) == [1, 2]
    store.append(task="t", item=1, annotator="alice", label="x")
    plan.release(store, "t", "alice")
    assert plan.claim(store, "t", "bob") == [2, 3]


def test_items_added_again_keep_their_priority_and_new_ones_go_last(store):
    store.add_items("t", [5, 4, 3], overlap=1)
    store.add_items("t", [1, 3, 4, 5], overlap=1)
    assert Assignment(overlap=1, batch=10).claim(store, "t", "a") == [5, 4, 3, 1]


def slot_rows(read_raw, task="t"):
    return sorted(read_raw(f"SELECT item, slot, priority FROM nblabel_slots WHERE task = '{task}'"))


@pytest.mark.parametrize(
    "again",
    [
        pd.RangeIndex(6),
        pd.Index(np.arange(6)),
        np.arange(6, dtype=np.uint32),
        pd.Series(np.arange(6)),
        list(range(6)),
        [np.int64(i) for i in range(6)],
    ],
    ids=["range", "int-index", "uint32-array", "series", "list", "numpy-ints"],
)
def test_the_same_items_put_up_again_in_any_form_keep_every_slot_and_place(store, read_raw, again):
    store.add_items("t", pd.RangeIndex(6), overlap=2)
    first = slot_rows(read_raw)
    assert len(first) == 12
    for _ in range(2):  # the second time from the put-up remembered
        store.add_items("t", again, overlap=2)
        assert slot_rows(read_raw) == first
    store.add_items("t", again, overlap=1)  # fewer slots asked: all there already
    assert slot_rows(read_raw) == first


def test_more_slots_or_more_items_later_are_added(store, read_raw):
    store.add_items("t", pd.RangeIndex(3), overlap=1)
    store.add_items("t", pd.RangeIndex(3), overlap=2)  # the second slot of each item
    store.add_items("t", pd.RangeIndex(5), overlap=2)  # two more items, after the others
    assert slot_rows(read_raw) == [
        (str(i), slot, i) for i in range(5) for slot in (0, 1)
    ]
    assert Assignment(overlap=2, batch=10).claim(store, "t", "a") == [0, 1, 2, 3, 4]


def test_a_remembered_put_up_writes_nothing(store, read_raw, write_raw):
    # what makes the same million items put up by every kernel cost one read: a put-up
    # remembered is not written again (the record here is made by hand, for items never up)
    store.add_items("t", pd.RangeIndex(2), overlap=1)
    write_raw("INSERT INTO nblabel_put_up (task, items, overlap) VALUES ('t', 'range 0 9 1', 1)")
    store.add_items("t", pd.RangeIndex(9), overlap=1)
    assert len(slot_rows(read_raw)) == 2


@pytest.mark.parametrize(
    "change",
    [
        "DELETE FROM nblabel_slots WHERE item IN ('1', '4')",
        "UPDATE nblabel_slots SET item = 'gone' WHERE item = '2'",
        "UPDATE nblabel_slots SET task = 'other' WHERE item = '3'",
        "UPDATE nblabel_slots SET slot = slot + 5 WHERE item = '0'",
    ],
    ids=["delete", "rename-item", "move-task", "renumber-slot"],
)
def test_slots_another_program_deletes_or_renames_are_put_up_again(
    store, read_raw, write_raw, change
):
    for items in (pd.RangeIndex(5), ["a", "b"]):  # a name of the range, a digest of texts
        store.add_items("t", items, overlap=1)
    write_raw(change)
    for items in (pd.RangeIndex(5), ["a", "b"]):
        store.add_items("t", items, overlap=1)
    items = {item for item, _, _ in slot_rows(read_raw)}
    assert {"0", "1", "2", "3", "4", '"a"', '"b"'} <= items


def test_a_store_without_the_put_up_table_gains_it_and_still_puts_up(make_store, write_raw):
    store = make_store()
    store.add_items("t", pd.RangeIndex(2), overlap=1)
    store.close()
    # as a store of an earlier release has it: no table, no triggers
    if store.path is None:
        write_raw("DROP TABLE nblabel_put_up", "DROP FUNCTION nblabel_put_up_forget CASCADE")
    else:
        write_raw("DROP TABLE nblabel_put_up", "DROP TRIGGER nblabel_put_up_drop_on_delete",
                  "DROP TRIGGER nblabel_put_up_drop_on_update")  # fmt: skip
    store = make_store()
    store.add_items("t", pd.RangeIndex(4), overlap=1)
    store.add_items("t", pd.RangeIndex(4), overlap=1)
    assert [item for item in store.slots("t")["item"]] == [0, 1, 2, 3]


def drop_done_triggers(store, write_raw) -> None:
    """As a store whose owner could not make them (or another program dropped one): claims
    then read what is done from the events."""
    engine = store._engine
    if store.path is None:
        table = {"nblabel_slots_done_on_claim": "nblabel_slots"}
        write_raw(*(f"DROP TRIGGER {name} ON {table.get(name, 'nblabel_events')}"
                    for name in engine.done_triggers))  # fmt: skip
    else:
        write_raw(*(f"DROP TRIGGER {name}" for name in engine.done_triggers))


def check_done(store, read_raw, task="t") -> None:
    """Each claimed slot's done mark is what the events say, and what ``slots()`` says."""
    marks = read_raw(
        f"SELECT item, slot, done, CASE WHEN {_LABELED} THEN 1 ELSE 0 END FROM nblabel_slots s"
        f" WHERE task = '{task}' AND annotator IS NOT NULL"
    )
    assert [(item, slot, done) for item, slot, done, _ in marks] == [
        (item, slot, exact) for item, slot, _, exact in marks
    ]
    slots = store.slots(task).dropna(subset=["annotator"])
    shown = {(str(item), slot): done for item, slot, done in
             slots[["item", "slot", "done"]].itertuples(index=False)}  # fmt: skip
    assert shown == {(item, slot): bool(exact) for item, slot, _, exact in marks}
    # a free slot has none (the planners then count the open claims as the few they are)
    free = f"SELECT done FROM nblabel_slots WHERE task = '{task}' AND annotator IS NULL"
    assert {done for (done,) in read_raw(free)} <= {None}


def play(store, clock, write_raw, read_raw, task: str, marked: bool) -> list:
    """A day of a team's work on ``task``, the same each time: claims, labels, relabels,
    undos, lapses, a release and other programs' changes; what each claim returned."""
    rng = np.random.default_rng(7)
    plan = Assignment(overlap=2, batch=3, claim_timeout=50)
    got, events = [], []
    store.add_items(task, range(40), overlap=2)
    for _ in range(60):
        annotator = ["ann", "bob", "cat", "dan"][rng.integers(4)]
        claimed = plan.claim(store, task, annotator)
        got.append((annotator, claimed))
        for item in claimed[: rng.integers(0, 4)]:
            events.append(store.append(task=task, item=item, annotator=annotator, label="x"))
        move = rng.integers(8)
        if move == 0 and events:  # undo a label (the annotator's, or a reviewer's)
            event = events.pop(rng.integers(len(events)))
            store.undo(event, annotator=["ann", "rev"][rng.integers(2)])
        elif move == 1:
            clock.tick(60)  # every open claim lapses
        elif move == 2:
            plan.release(store, task, annotator)
        elif move == 3 and events:  # another program deletes a label, or gives it to another
            event = events.pop(rng.integers(len(events)))
            change = [f"DELETE FROM nblabel_events WHERE id = {event}",
                      f"UPDATE nblabel_events SET annotator = 'eve' WHERE id = {event}"]
            write_raw(change[rng.integers(2)])
        elif move == 4:  # relabels, several at once
            store.append_many(task=task, items=claimed, annotator=annotator, label="y")
        if marked:
            check_done(store, read_raw, task)
    return got


def test_done_marks_follow_every_change_and_claim_as_the_events_say(
    store, clock, write_raw, read_raw
):
    start = clock.now
    marked = play(store, clock, write_raw, read_raw, "m", marked=True)
    assert sum(len(c) for _, c in marked) > 60  # the scenario claims a good deal
    # the same day with claims reading what is done from the events: the same claims
    clock.now = start
    drop_done_triggers(store, write_raw)
    assert not set(store._engine.done_triggers) & store._engine.triggers()
    assert play(store, clock, write_raw, read_raw, "u", marked=False) == marked


def test_a_store_of_an_earlier_release_gets_its_done_marks_right(make_store, write_raw, read_raw):
    store = make_store()
    plan = Assignment(overlap=1, batch=4)
    assert plan.claim(store, "t", "ann", items=range(6)) == [0, 1, 2, 3]
    store.append(task="t", item=0, annotator="ann", label="x")
    store.close()
    # the release before: no done column, no triggers; meanwhile another label and an undo
    drop_done_triggers(store, write_raw)
    write_raw(
        "DROP INDEX nblabel_slots_open", "DROP INDEX nblabel_slots_free",
        "ALTER TABLE nblabel_slots DROP COLUMN done", "DROP TABLE nblabel_put_up",
    )  # fmt: skip
    store = make_store()
    assert set(store._engine.done_triggers) <= store._engine.triggers()
    assert store.undo(store.append(task="t", item=1, annotator="ann", label="x"),
                      annotator="ann")  # fmt: skip
    store.append(task="t", item=2, annotator="ann", label="x")
    check_done(store, read_raw)
    assert plan.claim(store, "t", "ann") == [1, 3, 4, 5]


@pytest.mark.parametrize(
    "before",
    [
        ["SET session_replication_role = replica"],  # a replication subscriber, a restore
        ["ALTER TABLE nblabel_events DISABLE TRIGGER nblabel_slots_done_on_insert"],
    ],
    ids=["replica-session", "trigger-disabled"],
)
def test_postgresql_labels_no_ordinary_trigger_sees_leave_claims_right(
    pg_url, clock, before
):
    from postgres_server import raw_execute

    store = LabelStore(pg_url, clock=clock)
    try:
        plan = Assignment(overlap=1, batch=2, claim_timeout=10)
        assert plan.claim(store, "t", "ann", items=range(4)) == [0, 1]
        label = ("INSERT INTO nblabel_events (task, item, annotator, action, label, created_at,"
                 " source) VALUES ('t', '0', 'ann', 'label', '\"x\"', 0, 'annotator')")  # fmt: skip
        raw_execute(pg_url, *before, label)
        clock.tick(60)
        # item 0 is labeled: her next claim holds 1 again and takes 2, and 0 goes to no one
        assert plan.claim(store, "t", "ann") == [1, 2]
        assert plan.claim(store, "t", "bob") == [3]
        store.close()
        store = LabelStore(pg_url, clock=clock)  # triggers made again, marks set from events
        check_done(store, lambda sql: raw_rows(pg_url, sql))
        assert plan.claim(store, "t", "cat") == []
    finally:
        store.close()


def test_hostile_task_and_annotator_names_are_data(store, read_raw):
    name = "'); DELETE FROM nblabel_slots; --"
    plan = Assignment(overlap=1, batch=2)
    assert plan.claim(store, name, name, items=[name, 1]) == [name, 1]
    assert read_raw("SELECT COUNT(*) FROM nblabel_slots") == [(2,)]


def test_a_schema_2_sqlite_store_gains_the_assignment_table(tmp_path):
    path = tmp_path / "v2.db"
    import sqlite3

    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE nblabel_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE nblabel_events (id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL,"
        " item TEXT NOT NULL, annotator TEXT NOT NULL, action TEXT NOT NULL, label TEXT,"
        " rationale TEXT, created_at REAL NOT NULL, duration_s REAL, source TEXT NOT NULL,"
        " target INTEGER, meta TEXT, fingerprint TEXT);"
        "CREATE TABLE nblabel_tasks (task TEXT PRIMARY KEY, info TEXT NOT NULL);"
        "INSERT INTO nblabel_meta VALUES ('format', 'nblabel'), ('schema_version', '2');"
    )
    db.close()
    with nblabel.LabelStore(path) as store:
        assert Assignment(batch=1).claim(store, "t", "a", items=[7]) == [7]


# -- many annotators at once --------------------------------------------------------------------
class Annotator:
    def __init__(self, where: str, tmp_path: Path, name: str, *args: object) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), env.get("PYTHONPATH")]))
        self.errors = tmp_path / f"{name}.err"
        with open(self.errors, "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, str(CHILD), where, "t", name, *map(str, args)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                env=env, cwd=tmp_path,
            )  # fmt: skip

    def line(self) -> str:
        line = self.process.stdout.readline()
        assert line, f"ended ({self.process.poll()}): {self.errors.read_text()}"
        return line.strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        if self.process.stdin and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()


@pytest.fixture
def annotators(tmp_path):
    started: list[Annotator] = []

    def start(where: str, name: str, *args: object) -> Annotator:
        started.append(Annotator(where, tmp_path, name, *args))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def check_every_item_has_overlap_labels(
    where: str, n: int, overlap: int, *, resent: bool = False
) -> None:
    with nblabel.LabelStore(where) as store:
        history = store.annotations(task="t", history=True)
        current = store.annotations(task="t")
    assert len(current) == n * overlap and not current.duplicated(["item", "annotator"]).any()
    if not resent:  # nothing duplicated: one label event per annotator and item
        assert len(history) == n * overlap
    else:  # a label whose commit's answer was lost in a restart may be sent twice: the same
        resends = history[history["status"] == "overwritten"]
        assert len(resends) <= 8 and set(resends["label"]) <= {0, 1, 2}
    per_item = Counter(current["item"])
    assert sorted(per_item) == list(range(n))  # nothing lost
    assert set(per_item.values()) == {overlap}


def go(children: list[Annotator]) -> None:
    for child in children:
        assert child.line() == "ready"
    for child in children:
        child.process.stdin.write("go\n")
        child.process.stdin.flush()


def test_eight_annotators_label_two_thousand_items_with_overlap_two(store_url, annotators):
    n, overlap = 2000, 2
    children = [annotators(store_url, f"a{i}", n, overlap, 20, 60) for i in range(8)]
    go(children)
    results = [json.loads(child.line()) for child in children]
    for child in children:
        assert child.process.wait(timeout=60) == 0, child.errors.read_text()
    assert sum(r["labeled"] for r in results) == n * overlap
    # the work was shared, not taken by one (SQLite's write lock is not fair: a writer may
    # wait out a whole run while the others keep it busy, so not every one needs a share)
    assert sum(r["labeled"] > 0 for r in results) >= len(results) // 2
    check_every_item_has_overlap_labels(store_url, n, overlap)


def labels_in(where: str) -> int:
    return raw_rows(where, "SELECT COUNT(*) FROM nblabel_events")[0][0]


def test_a_server_restarted_mid_run_loses_and_over_assigns_nothing(pg_url, postgres, annotators):
    n, overlap = 400, 2
    children = [annotators(pg_url, f"a{i}", n, overlap, 10, 60) for i in range(4)]
    go(children)
    deadline = time.monotonic() + 60
    while labels_in(pg_url) < n // 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    postgres.restart()  # mid-run: about a quarter of the labels are in
    assert labels_in(pg_url) < n * overlap
    for child in children:
        json.loads(child.line())
        assert child.process.wait(timeout=60) == 0, child.errors.read_text()
    check_every_item_has_overlap_labels(pg_url, n, overlap, resent=True)


def test_the_claims_of_an_annotator_killed_mid_batch_lapse_and_others_finish(
    store_url, annotators
):
    n, overlap, timeout = 200, 2, 2
    victim = annotators(store_url, "victim", n, overlap, 10, timeout, 5)
    go([victim])
    stalled = json.loads(victim.line())["stalled"]
    assert len(stalled) == 10
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=30)
    others = [annotators(store_url, f"a{i}", n, overlap, 10, timeout) for i in range(3)]
    go(others)
    for child in others:
        json.loads(child.line())
        assert child.process.wait(timeout=60) == 0, child.errors.read_text()
    check_every_item_has_overlap_labels(store_url, n, overlap)
    with nblabel.LabelStore(store_url) as store:
        mine = store.annotations(task="t", annotator="victim")
    assert sorted(mine["item"]) == sorted(stalled[:5])  # what it labeled before it died stays


def test_one_annotator_claiming_from_two_kernels_at_once_shares_one_batch(store_url, store):
    """Two kernels of one annotator (two browser tabs) claim at the same moment: they get the
    same open batch, never two slots of one item, never more than a batch."""
    import threading

    store.add_items("t", range(200), overlap=3)
    kernels = [nblabel.LabelStore(store_url), nblabel.LabelStore(store_url)]
    got: list[set] = [set(), set()]
    barrier = threading.Barrier(2)

    def work(n: int) -> None:
        barrier.wait()
        for _ in range(20):
            got[n].update(kernels[n].claim("t", "alice", batch=5, claim_timeout=60))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for kernel in kernels:
        kernel.close()
    slots = store.slots("t")
    held = slots[slots["annotator"] == "alice"]
    assert len(held) == 5 and held["item"].is_unique
    assert got[0] == got[1] == set(held["item"])


def test_kernels_putting_the_same_items_up_in_other_orders_at_once_never_deadlock(store_url):
    import threading

    kernels = [nblabel.LabelStore(store_url) for _ in range(4)]
    orders = [list(range(300)), list(range(299, -1, -1))] * 2
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(kernels))

    def work(n: int) -> None:
        barrier.wait()
        try:
            kernels[n].add_items("t", orders[n], overlap=2)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(kernels))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    slots = kernels[0].slots("t")
    for kernel in kernels:
        kernel.close()
    assert not errors, errors
    assert len(slots) == 600 and not slots.duplicated(["item", "slot"]).any()


# -- a labeling session on an assignment --------------------------------------------------------
def session(store, annotator, plan, items=range(6), order=None):
    from nblabel._assign import AssignedOrder
    from nblabel._session import LabelingSession

    ordering = AssignedOrder(plan, store, "t", annotator, order)
    return LabelingSession(
        pd.Index(list(items)), store=store, task="t", annotator=annotator, order=ordering
    )


def test_a_session_shows_its_claims_a_batch_at_a_time(store):
    plan = Assignment(overlap=1, batch=2)
    alice, bob = session(store, "alice", plan), session(store, "bob", plan)
    assert (alice.current, bob.current) == (0, 2)
    seen = []
    while alice.current is not None:
        seen.append(alice.current)
        alice.submit("x")
    # alice took the batches nobody held: hers, then the two after bob's
    assert seen == [0, 1, 4, 5] and alice.progress == nblabel.Progress(4, 4)
    assert bob.current == 2
    bob.submit("y")
    bob.submit("y")
    assert bob.current is None and not bob._ordering.waiting  # all done, nothing to wait for


def test_a_session_waits_while_the_rest_is_claimed_then_refreshes(store, clock):
    plan = Assignment(overlap=1, batch=2, claim_timeout=60)
    alice = session(store, "alice", plan, items=range(2))
    bob = session(store, "bob", plan, items=range(2))
    assert alice.current == 0 and bob.current is None and bob._ordering.waiting
    assert bob.progress == nblabel.Progress(0, 0)
    assert not bob.refresh_order()
    clock.tick(120)  # alice's claims lapse: she walked away
    assert bob.refresh_order() and bob.current == 0
    bob.submit("z")
    assert bob.current == 1


def test_priority_follows_order(store):
    plan = Assignment(overlap=1, batch=3)
    s = session(store, "alice", plan, order=[5, 3, 1, 0, 2, 4])
    assert [s.current] == [5]
    s.submit("x")
    assert s.current == 3


# -- an active-learning order under an assignment -----------------------------------------------
class Ranker:
    """A ranking ordering driven by hand, as ActiveLearning is by its model: ``start`` gives
    ``first`` (less what is labeled), and the next ``poll`` gives ``refit`` once it is set."""

    error = None

    def __init__(self, first) -> None:
        self.first, self.refit, self.heard = list(first), None, []

    def start(self, items, labeled):
        return [item for item in self.first if item not in set(labeled.index)]

    def observe(self, item, label) -> None:
        self.heard.append((item, label))

    def poll(self):
        ranked, self.refit = self.refit, None
        return ranked


def held(store, annotator):
    slots = store.slots("t")
    return set(slots.loc[slots["annotator"] == annotator, "item"])


def test_claims_take_the_top_of_the_ranking_among_the_items_still_open(store):
    store.add_items("t", range(10), overlap=2)
    plan = Assignment(overlap=2, batch=3)
    assert plan.claim(store, "t", "alice", ranking=[7, 3, 9, 0, 1]) == [7, 3, 9]
    assert plan.claim(store, "t", "bob", ranking=[3, 7, 1, 0]) == [3, 7, 1]
    # 3 and 7 have two live claims: carol gets the next ones of her ranking
    assert plan.claim(store, "t", "carol", ranking=[3, 7, 9, 1, 2, 8]) == [9, 1, 2]
    store.append(task="t", item=0, annotator="dave", label="x")  # dave labeled 0 before
    assert plan.claim(store, "t", "dave", ranking=[3, 0, 8, 5, 4]) == [8, 5, 4]
    per_item = store.slots("t").dropna(subset=["annotator"]).groupby("item")["annotator"]
    assert per_item.nunique().max() == 2 and (per_item.size() == per_item.nunique()).all()


def test_a_ranking_claims_only_items_it_names_and_that_are_up(store):
    store.add_items("t", ["a", "b", "c"], overlap=1)
    plan = Assignment(overlap=1, batch=5)
    # "zz" was never put up for assignment; "b" and "c" are not in the ranking
    assert plan.claim(store, "t", "alice", ranking=["zz", "a"]) == ["a"]
    assert plan.claim(store, "t", "bob") == ["b", "c"]  # without a ranking: priority


def test_open_claims_come_back_first_in_the_new_rankings_order(store):
    plan = Assignment(overlap=1, batch=3)
    assert plan.claim(store, "t", "alice", items=range(8), ranking=[5, 6, 7, 0]) == [5, 6, 7]
    # a refit ranks differently: her open claims come first in its order, none dropped
    assert plan.claim(store, "t", "alice", ranking=[0, 7, 1, 5]) == [7, 5, 6]
    store.append(task="t", item=7, annotator="alice", label="x")
    assert plan.claim(store, "t", "alice", ranking=[0, 1, 5, 6]) == [5, 6, 0]
    assert held(store, "alice") == {0, 5, 6, 7}


def test_a_ranked_claim_lapses_after_the_timeout(store, clock):
    plan = Assignment(overlap=1, batch=2, claim_timeout=100)
    assert plan.claim(store, "t", "alice", items=range(4), ranking=[3, 2, 1, 0]) == [3, 2]
    assert plan.claim(store, "t", "bob", ranking=[3, 2, 1]) == [1]
    clock.tick(200)
    assert plan.claim(store, "t", "bob", ranking=[3, 2, 1]) == [1, 3]  # alice's lapsed
    assert plan.claim(store, "t", "alice", ranking=[3, 2, 1, 0]) == [2, 0]



def test_a_long_ranking_whose_top_is_taken_claims_from_further_down(store):
    store.add_items("t", range(1000), overlap=1)
    assert len(store.claim("t", "bob", batch=700, claim_timeout=60)) == 700  # items 0..699
    plan = Assignment(overlap=1, batch=3)
    ranking = [5, 5, *range(1000)]  # an id twice counts once
    assert plan.claim(store, "t", "alice", ranking=ranking) == [700, 701, 702]
    # her open claims, deep in a reversed ranking, come back in its order
    assert plan.claim(store, "t", "alice", ranking=ranking[::-1]) == [702, 701, 700]

def test_hostile_item_ids_in_a_ranking_are_data(store, read_raw):
    name = "'); DELETE FROM nblabel_slots; --"
    odd = 'quote " back\\slash é \udcff'
    plan = Assignment(overlap=1, batch=3)
    assert plan.claim(store, "t", "a", items=[1, name, odd], ranking=[odd, name, 1]) == [
        odd, name, 1,
    ]  # fmt: skip
    assert read_raw("SELECT COUNT(*) FROM nblabel_slots") == [(3,)]


@pytest.mark.parametrize(
    ("ranking", "match"),
    [
        ("abc", "ranking= is the string 'abc'"),
        (5, "ranking= must be a list of item ids"),
        ({1: 0.5}, "ranking= is a dict"),
        ({1, 2}, "ranking= is a set"),
        (pd.DataFrame({"score": [1]}), "ranking= is a DataFrame"),
        (Ranker([1]), "ranking= takes item ids, most wanted first, not an ordering"),
    ],
)
def test_a_ranking_of_the_wrong_type_is_refused(store, ranking, match):
    store.add_items("t", [1, 2], overlap=1)
    with pytest.raises(NblabelError, match=match):
        Assignment().claim(store, "t", "alice", ranking=ranking)
    with pytest.raises(NblabelError, match=match):
        store.claim("t", "alice", batch=1, claim_timeout=60, ranking=ranking)
    assert store.slots("t")["annotator"].isna().all()  # nothing claimed


def ranked_order(store, annotator, ranker, plan, items=range(12)):
    from nblabel._assign import AssignedOrder

    order = AssignedOrder(plan, store, "t", annotator, ranker)
    return order, order.start(pd.Index(list(items)), pd.Series(dtype=object))


def label(store, order, item, annotator, value="x"):
    store.append(task="t", item=item, annotator=annotator, label=value)
    order.observe(item, value)


def test_an_assigned_order_claims_by_its_rankers_ranking_and_refits_reorder_the_rest(store):
    plan = Assignment(overlap=2, batch=3)
    alice = Ranker(range(11, -1, -1))
    order, first = ranked_order(store, "alice", alice, plan)
    assert first == [11, 10, 9]
    _, bobs = ranked_order(store, "bob", Ranker([10, 11, 9, 8, 7, 6]), plan)
    _, carols = ranked_order(store, "carol", Ranker([11, 10, 9, 8, 7, 6]), plan)
    assert (bobs, carols) == ([10, 11, 9], [8, 7, 6])  # 11, 10, 9 have their two claims
    alice.refit = [0, 9, 1, 10, 2, 3, 4]  # a refit: what alice labeled is left out
    label(store, order, 11, "alice")
    assert alice.heard == [(11, "x")]
    # the open claims, in the refit's order; nothing claimed is given back
    assert order.poll() == [9, 10] and held(store, "alice") == {9, 10, 11}
    label(store, order, 9, "alice")
    assert order.poll() is None  # one claim still open: no new batch yet
    label(store, order, 10, "alice")
    assert order.poll() == [0, 1, 2]  # the next batch: the top of the newest ranking
    assert not order.waiting and order.error is None



def test_a_ranked_order_waits_while_others_hold_the_rest_then_takes_lapsed_claims(store, clock):
    plan = Assignment(overlap=1, batch=2, claim_timeout=60)
    _, alices = ranked_order(store, "alice", Ranker([3, 1, 0, 2]), plan, items=range(4))
    _, bobs = ranked_order(store, "bob", Ranker([1, 0, 2, 3]), plan, items=range(4))
    carol = Ranker([2, 1, 3, 0])
    order, carols = ranked_order(store, "carol", carol, plan, items=range(4))
    assert (alices, bobs, carols) == ([3, 1], [0, 2], [])
    assert order.waiting and order.refresh() is None
    clock.tick(120)  # alice and bob walked away: their claims lapse
    carol.refit = [1, 3, 2, 0]
    assert order.refresh() == [1, 3] and not order.waiting  # by her newest ranking

def test_a_session_under_an_assignment_follows_the_rankers_refits(store):
    from nblabel._assign import AssignedOrder
    from nblabel._session import LabelingSession

    plan = Assignment(overlap=1, batch=4)
    ranker = Ranker([5, 4, 3, 2, 1, 0, 6, 7, 8, 9])
    order = AssignedOrder(plan, store, "t", "alice", ranker)
    s = LabelingSession(pd.Index(range(10)), store=store, task="t", annotator="alice", order=order)
    seen = []
    for _ in range(4):
        seen.append(s.current)
        if len(seen) == 2:
            ranker.refit = [9, 8, 1, 7, 0]  # lands mid-batch: decides the next batch
        s.submit("x")
    assert seen == [5, 4, 3, 2]
    while s.current is not None:
        seen.append(s.current)
        s.submit("x")
    assert seen[4:8] == [9, 8, 1, 7] and sorted(seen) == sorted(set(seen))
    assert seen[8:] == [0]  # the ranking names no other item


def blobs(n=40, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)
    return X, y


def test_an_active_learning_order_claims_the_models_most_uncertain_open_items(store):
    from sklearn.linear_model import LogisticRegression

    from nblabel.sample import ActiveLearning

    X, y = blobs()
    plan = Assignment(overlap=1, batch=4)
    with ActiveLearning(LogisticRegression(), X, refit_every=4, seed=0) as active:
        order, first = ranked_order(store, "alice", active, plan, items=range(40))
        _, bobs = ranked_order(store, "bob", Ranker(range(40)), plan, items=range(40))
        assert len(first) == 4 and bobs == [i for i in range(40) if i not in first][:4]
        assert len(set(y[first])) == 2  # the cold start found both classes: a fit follows
        for item in first:
            label(store, order, item, "alice", int(y[item]))
        assert active.wait(30)
        claimed = order.poll()
    assert active.error is None and len(claimed) == 4
    # the model's ranking, best first, less what bob holds and what alice labeled
    ranks = {i: active.explain(i)["rank"] for i in range(40) if i not in first}
    open_to_her = sorted((i for i in ranks if i not in bobs), key=ranks.get)
    assert claimed == open_to_her[:4]


def test_annotators_claiming_by_their_own_rankings_at_once_never_pass_the_overlap(
    store_url, store
):
    import threading

    from nblabel._assign import AssignedOrder

    n, overlap, names = 120, 2, [f"a{i}" for i in range(5)]
    plan = Assignment(overlap=overlap, batch=4, claim_timeout=600)
    kernels = {name: nblabel.LabelStore(store_url) for name in names}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(names))

    def work(name: str, seed: int) -> None:
        rng = np.random.default_rng(seed)
        kernel, ranker = kernels[name], Ranker(rng.permutation(n).tolist())
        order = AssignedOrder(plan, kernel, "t", name, ranker)
        try:
            barrier.wait()
            queue = list(order.start(pd.RangeIndex(n), pd.Series(dtype=object)))
            for _ in range(2000):
                if not queue:
                    queue = list(order.refresh() or [])
                    if not queue and not order.waiting:
                        return
                    time.sleep(0.01)
                    continue
                item = queue.pop(0)
                kernel.append(task="t", item=item, annotator=name, label=item % 3)
                if rng.random() < 0.2:  # a refit: a new ranking of the rest
                    ranker.refit = rng.permutation(n).tolist()
                order.observe(item, item % 3)
                new = order.poll()
                if new is not None:
                    queue = [i for i in new if i != item]
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name, i)) for i, name in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for kernel in kernels.values():
        kernel.close()
    assert not errors, errors
    history = store.annotations(task="t", history=True)
    assert not history.duplicated(["item", "annotator"]).any()  # nobody got an item twice
    per_item = history.groupby("item")["annotator"].nunique()
    assert sorted(per_item.index) == list(range(n)) and set(per_item) == {overlap}
