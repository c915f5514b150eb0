"""Snapshots (``_snapshot``) read against the event log itself, in ways another program may
leave the store: each read from a snapshot must equal a read of every row."""

from __future__ import annotations

import pandas as pd
import pytest
from test_snapshot import every_row, other_program

from nblabel import LabelStore, _snapshot
from postgres_server import raw_execute


@pytest.fixture
def small(monkeypatch):
    """Snapshots kept from the first event on (they start at 20,000 events otherwise)."""
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1)


def kept(store) -> list[tuple]:
    return store._query("SELECT DISTINCT query FROM nblabel_snapshots WHERE query <> ''")


def four_labels_read(store: LabelStore) -> LabelStore:
    """``store`` with four labels, read once: their snapshot kept."""
    for item in range(4):
        store.append(task="t", item=item, annotator="a", label="pos")
    store.annotations(task="t")
    assert kept(store)
    return store


def test_sqlite_an_insert_or_replace_of_the_newest_event_is_read(tmp_path, small, clock):
    path = str(tmp_path / "labels.db")
    store = four_labels_read(LabelStore(path, clock=clock))
    try:
        # the sqlite3 shell's REPLACE over the newest event: the row is deleted and inserted
        # again under its id (no delete trigger fires, and the id is not below the newest)
        other_program(
            path,
            "INSERT OR REPLACE INTO nblabel_events (id, task, item, annotator, action, label,"
            " created_at, source) SELECT max(id), 't', '3', 'a', 'label', '\"replaced\"', 1.0,"
            " 'annotator' FROM nblabel_events",
        )
        table = store.annotations(task="t")
        assert table["label"].tolist() == ["pos", "pos", "pos", "replaced"]
        pd.testing.assert_frame_equal(table, every_row(store, task="t"))
    finally:
        store.close()


def drop_triggers(store_url: str) -> list[str]:
    """Another program's statements that take the snapshots' triggers away."""
    if store_url.startswith("postgresql"):
        return [f"DROP TRIGGER {n} ON nblabel_events" for n in _snapshot.POSTGRES_TRIGGERS]
    return [f"DROP TRIGGER {n}" for n in _snapshot.TRIGGERS]


def test_events_changed_while_the_triggers_were_gone_are_read_once_they_are_back(
    store_url, clock, small, write_raw
):
    store = LabelStore(store_url, clock=clock)
    for item in range(4):
        store.append(task="t", item=item, annotator="a", label="pos")
    store.annotations(task="t")
    assert kept(store)
    store.close()
    # e.g. the events' table rebuilt by a tool (which drops its triggers), with a change
    write_raw(*drop_triggers(store_url),
              "UPDATE nblabel_events SET label = '\"changed\"' WHERE item = '0'")  # fmt: skip
    store = LabelStore(store_url, clock=clock)  # opened for writing: the triggers come back
    try:
        table = store.annotations(task="t")
        assert table["label"].tolist() == ["changed", "pos", "pos", "pos"]
        pd.testing.assert_frame_equal(table, every_row(store, task="t"))
    finally:
        store.close()


@pytest.mark.parametrize(
    "statements",
    [
        ["ALTER TABLE nblabel_events DISABLE TRIGGER USER"],
        ["ALTER TABLE nblabel_events DISABLE TRIGGER USER"],
        # re-enabled after the change (as an "origin" trigger again)
        [
            "ALTER TABLE nblabel_events DISABLE TRIGGER USER",
            "UPDATE",
            "ALTER TABLE nblabel_events ENABLE TRIGGER USER",
        ],
        # a logical replication subscriber, pg_restore --disable-triggers, a bulk fix
        ["SET session_replication_role = replica"],
    ],
    ids=["disabled", "disabled-no-reopen", "disabled-then-enabled", "replica-session"],
)
def test_postgresql_a_change_no_trigger_saw_is_read(pg_url, clock, small, statements, request):
    store = four_labels_read(LabelStore(pg_url, clock=clock))
    try:
        update = "UPDATE nblabel_events SET label = '\"changed\"' WHERE item = '0'"
        if "UPDATE" not in statements:
            statements = [*statements, "UPDATE"]
        raw_execute(pg_url, *(update if s == "UPDATE" else s for s in statements))
        for _ in range(2):
            table = store.annotations(task="t")
            assert table["label"].tolist() == ["changed", "pos", "pos", "pos"]
            pd.testing.assert_frame_equal(table, every_row(store, task="t"))
        if "no-reopen" in request.node.name:
            return
        store.close()
        store = LabelStore(pg_url, clock=clock)  # opened for writing: the trigger back
        assert set(_snapshot.POSTGRES_TRIGGERS) <= store._engine.triggers()
        for _ in range(2):
            assert store.annotations(task="t")["label"].tolist() == ["changed", "pos", "pos", "pos"]
        assert kept(store)
        raw_execute(pg_url, "SET session_replication_role = replica",
                    "UPDATE nblabel_events SET label = '\"again\"' WHERE item = '1'")  # fmt: skip
        assert store.annotations(task="t")["label"].tolist() == ["changed", "again", "pos", "pos"]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("part", "body_of"),
    [
        ("items", "created_at"),  # numbers of another kind: floats
        ("label_uniques", "event_ids"),  # numbers where texts are
        ("label_codes", "durations"),  # floats where codes are
        ("created_at", "rationales"),  # texts where times are
        ("label_uniques", None),  # texts as JSON, holding numbers
    ],
)
def test_a_snapshot_part_of_another_kind_is_read_past(tmp_path, small, clock, part, body_of):
    path = str(tmp_path / "labels.db")
    store = LabelStore(path, clock=clock)
    try:
        for item in range(4):
            store.append(task="t", item=item, annotator="a", label="pos" if item else "neg",
                         rationale="why")  # fmt: skip
        store.annotations(task="t")
        if body_of is None:
            body = "x'" + b'{"texts": 2, "present": 2, "lines": false}\n[1, 2]'.hex() + "'"
        else:
            body = f"(SELECT body FROM nblabel_snapshots WHERE part = '{body_of}')"
        other_program(path, f"UPDATE nblabel_snapshots SET body = {body} WHERE part = '{part}'")
        store.append(task="t", item=9, annotator="a", label="after")  # read after it
        table = store.annotations(task="t")
        pd.testing.assert_frame_equal(table, every_row(store, task="t"))
    finally:
        store.close()


def test_postgresql_two_readers_keeping_one_snapshot_at_once_both_read(
    pg_url, clock, small, monkeypatch
):
    first, second = LabelStore(pg_url, clock=clock), LabelStore(pg_url, clock=clock)
    try:
        first.append_many(task="t", items=range(8), annotator="a", label="pos")
        present, raced = _snapshot._present, []

        def other_reader_keeps_it_meanwhile(*args):  # after this one's DELETE, before its INSERT
            if not raced:
                raced.append(True)
                first.annotations(task="t")  # the same query: kept, and committed
            return present(*args)

        monkeypatch.setattr(_snapshot, "_present", other_reader_keeps_it_meanwhile)
        table = second.annotations(task="t")  # its snapshot is refused: its read stands
        assert raced and kept(second)
        monkeypatch.setattr(_snapshot, "_present", present)
        pd.testing.assert_frame_equal(table, every_row(second, task="t"))
    finally:
        first.close()
        second.close()
