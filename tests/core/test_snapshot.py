"""Label events kept as columns in the store (``_snapshot``): a read from a snapshot and the
events after it gives exactly what a read of every row gives, whatever happened since, and a
snapshot that another program made wrong is dropped, never read."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_columns import assert_same_as_reference, fill, reference, typed

import nblabel
from children import ChildProcess
from nblabel import LabelStore, NblabelWarning, _columns, _snapshot, _sqlite
from nblabel._codec import as_texts, fixed_texts
from nblabel._fingerprint import Fingerprinter
from nblabel._session import LabelingSession
from nblabel._snapshot import pack, unpack
from postgres_server import raw_execute


def objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def other_program(path, *statements: str) -> None:
    """Run ``statements`` in one transaction from another process (a second connection in
    this one would drop the store's locks when it closes)."""
    code = (
        "import sqlite3, sys, json\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        "with db:\n"
        "    for s in json.loads(sys.argv[2]):\n"
        "        db.execute(s)\n"
        "db.close()\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path), json.dumps(statements)], check=True)


def snapshot_of_labels(store) -> list[tuple]:
    """(upto, rows) of the snapshot of annotator "a"'s labels of task "t" (w.labels')."""
    return [k[1:] for k in kept(store) if json.loads(k[0])[1] == ["t", "a", "annotator"]]


def kept(store) -> list[tuple]:
    """(query, upto, rows) of each snapshot the store keeps."""
    return store._query(
        "SELECT query, max(upto), max(rows) FROM nblabel_snapshots WHERE query <> ''"
        " GROUP BY query ORDER BY query"
    )


def every_row(store, **query) -> pd.DataFrame:
    """annotations() read row by row, as if the store kept no snapshot."""
    store._engine.keeps_snapshots = False
    try:
        return store.annotations(**query)
    finally:
        del store._engine.keeps_snapshots


@pytest.fixture
def small(monkeypatch):
    """Snapshots kept from the first event on (they start at 20,000 events otherwise)."""
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "labels.db"


@pytest.fixture
def store(path, clock):
    s = LabelStore(path, clock=clock)
    yield s
    s.close()


QUERIES = [{}, {"task": "t"}, {"task": "t", "annotator": "a"}, {"task": "t", "history": True}]
QUERY_IDS = ["all", "task", "task-annotator", "history"]


# -- one column as bytes -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "values",
    [
        np.array([3, -1, 2**62], dtype=np.int64),
        np.arange(5, 300_005, dtype=np.int64),  # steps of one: a byte each
        np.array([2**63 - 1, -(2**63), 0, 2**63 - 1], dtype=np.int64),  # steps that wrap
        np.array([7, 7, 7], dtype=np.int64),  # one value: written once
        np.full(4, np.nan),
        np.array([1.0, -0.0, 0.0]),  # -0.0 and 0.0 differ in their bits: kept apart
        np.array([0.1, np.nan, 1e300], dtype=float),
        np.array([1, 2], dtype=np.int8),
        np.array([], dtype=np.int64),
        objects(['"a"', "1", '"café \udcff"', ""]),  # a lone surrogate, an empty text
        objects(["a", None, "line\nbreak", None]),  # newlines: written as JSON
        objects([None, None]),
        objects([]),
        objects([""]),
        fixed_texts(objects(["0123456789abcdef", None, "fedcba9876543210"])),  # fingerprints
        np.zeros(0, dtype="S16"),
    ],
)
def test_a_column_comes_back_as_it_was_packed(values):
    back = unpack(pack(values))
    assert back.dtype == values.dtype
    assert typed(back.tolist()) == typed(values.tolist()) or np.array_equal(
        back, values, equal_nan=True
    )
    back[:0] = values[:0]  # writable: a view of the blob would not be
    assert back.flags.writeable


def test_numbers_take_few_bytes_where_they_can():
    assert len(pack(np.arange(1_000_000, dtype=np.int64))) < 1_000_100  # a byte per id
    assert len(pack(np.full(1_000_000, np.nan))) < 100


def test_a_value_that_is_not_text_is_not_packed():
    with pytest.raises(TypeError):
        pack(objects(["a", b"blob"]))


@pytest.mark.parametrize(
    "blob",
    [
        b'{"dtype": "<i8", "n": 3}\n' + np.arange(2, dtype=np.int64).tobytes(),  # short
        b'{"dtype": "|O", "n": 1}\n12345678',  # objects are never raw bytes
        b'{"texts": 3, "present": 3, "lines": true}\na\nb',  # a text missing
        b"not json\n",
        b"no line at all",
        b'{"dtype": "<i8", "n": 3, "first": 1, "steps": "|i1"}\n\x01',  # a step missing
        b'{"dtype": "<f8", "n": 3, "fill": 0}\n\x01',  # a value besides the one
        b'{"dtype": "<i8", "n": 2, "first": 100000000000000000000000, "steps": "|i1"}\n\x01',
        b'{"width": 4, "n": 2}\nabcdefg',  # a byte missing
        b'{"width": 0, "n": 2}\n',
        b'{"width": 2, "n": 1}\n\xc3\xa9',  # not ASCII
    ],
)
def test_a_damaged_column_is_refused(blob):
    with pytest.raises((ValueError, TypeError, KeyError, OverflowError)):
        unpack(blob, most=10)


@pytest.mark.parametrize(
    "blob",
    [
        b'{"texts": 1000000000000, "present": 0, "lines": true}\n',  # would take terabytes
        b'{"dtype": "<i8", "n": 11}\n' + np.arange(11, dtype=np.int64).tobytes(),
        b'{"texts": 5, "present": 9, "lines": true}\na',
        b'{"width": 1, "n": 11}\n' + b"a" * 11,
    ],
)
def test_a_column_longer_than_its_snapshot_is_refused_before_it_is_made(blob):
    with pytest.raises(ValueError):
        unpack(blob, most=10)


# -- the same table as every row ---------------------------------------------------------------
@pytest.mark.parametrize("query", QUERIES, ids=QUERY_IDS)
def test_a_read_from_the_snapshot_equals_a_read_of_every_row(store, small, query):
    fill(store)
    first = store.annotations(**query)  # writes the snapshot
    assert kept(store), "no snapshot written"
    second = store.annotations(**query)  # reads it
    assert_same_as_reference(second, reference(store, **query))
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(second, every_row(store, **query))


@pytest.mark.parametrize("query", QUERIES, ids=QUERY_IDS)
def test_the_table_read_from_the_snapshot_is_the_callers_to_change(store, small, query):
    fill(store)
    store.annotations(**query)  # writes the snapshot
    table = store.annotations(**query)  # its columns come from the snapshot's arrays
    before = store.annotations(**query)
    table.loc[table.index[0], ["duration_s", "event_id", "item", "rationale"]] = [9.5, -1, "x", "y"]
    table["duration_s"] *= 2
    pd.testing.assert_frame_equal(store.annotations(**query), before)  # as they were
    assert table.loc[table.index[0], "event_id"] == -1


@pytest.mark.parametrize("query", QUERIES, ids=QUERY_IDS)
def test_events_after_the_snapshot_are_read_too(store, small, query, monkeypatch):
    ids = fill(store)
    store.annotations(**query)
    # after it: relabels, a new annotator and source, an undo of an event inside it, new
    # label texts, a text id beside whole numbers
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 10**9)  # not written again: read as a tail
    store.append(task="t", item=0, annotator="a", label="relabeled after")
    store.append(task="t", item=2, annotator="c", label="new annotator")
    store.append(task="t", item=3, annotator="a", label=7, source="model")
    store.undo(ids[1], annotator="a")
    store.append(task="t", item=(1, 2), annotator="a", label={"k": [1]}, rationale="x\ny")
    table = store.annotations(**query)
    assert_same_as_reference(table, reference(store, **query))
    pd.testing.assert_frame_equal(table, every_row(store, **query))


def test_whole_number_ids_then_a_text_id_after_the_snapshot(store, small):
    for item in range(5):
        store.append(task="t", item=item, annotator="a", label="pos")
    store.annotations(task="t")
    store.append(task="t", item="5", annotator="a", label="neg")
    table = store.annotations(task="t")
    assert typed(table["item"]) == typed([0, 1, 2, 3, 4, "5"])
    assert_same_as_reference(table, reference(store, task="t"))
    # written again, now with every id as its text
    assert typed(store.annotations(task="t")["item"]) == typed([0, 1, 2, 3, 4, "5"])


def test_the_snapshot_is_written_again_once_many_events_came_after_it(store, small, monkeypatch):
    for item in range(40):
        store.append(task="t", item=item, annotator="a", label="pos")
    store.annotations(task="t")
    ((_, upto, rows),) = kept(store)
    assert rows == 40
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 4)
    for item in range(3):  # fewer than max(MIN_ROWS, 40 // 16): read after it, not rewritten
        store.append(task="t", item=item, annotator="b", label="neg")
    store.annotations(task="t")
    assert kept(store)[0][1:] == (upto, 40)
    store.append(task="t", item=3, annotator="b", label="neg")
    table = store.annotations(task="t")
    ((_, new_upto, rows),) = kept(store)
    assert rows == 44 and new_upto == table["event_id"].max()
    pd.testing.assert_frame_equal(table, every_row(store, task="t"))


def test_many_events_of_other_queries_move_the_snapshot_on(store, small, monkeypatch):
    for item in range(3):
        store.append(task="t", item=item, annotator="a", label="pos")
    store.annotations(task="t", annotator="a")
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 2)  # 16 * 2 events after it: moved on
    for item in range(40):
        store.append(task="u", item=item, annotator="a", label="pos")
    table = store.annotations(task="t", annotator="a")
    ((_, upto, rows),) = [k for k in kept(store) if '"a"' in k[0]]
    assert rows == 3 and upto == store._query("SELECT max(id) FROM nblabel_events")[0][0]
    pd.testing.assert_frame_equal(table, every_row(store, task="t", annotator="a"))


def test_only_the_newest_snapshots_are_kept(store, small, monkeypatch):
    monkeypatch.setattr(_snapshot, "KEPT", 2)
    for annotator in "abcd":
        store.append(task="t", item=0, annotator=annotator, label="pos")
        store.annotations(task="t", annotator=annotator)
    queries = [json.loads(k[0])[1] for k in kept(store)]
    assert sorted(queries) == [["t", "c"], ["t", "d"]]


def test_snapshots_hold_a_few_rows_per_event_in_all(store, small, monkeypatch):
    monkeypatch.setattr(_snapshot, "ROWS_PER_EVENT", 1)
    for item in range(10):
        store.append(task="t", item=item, annotator="a" if item < 6 else "b", label="pos")
    store.annotations(task="t", annotator="a")  # 6 rows
    store.annotations(task="t", annotator="b")  # 4 more: 10 rows for 10 events
    assert len(kept(store)) == 2
    store.annotations(task="t")  # 10 rows more: only the newest fits with it
    ((query, _, rows),) = kept(store)
    assert json.loads(query)[1] == ["t"] and rows == 10


# -- another program's writes ------------------------------------------------------------------
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE nblabel_events SET label = '\"changed\"' WHERE item = '0' AND annotator = 'a'",
        "DELETE FROM nblabel_events WHERE item = '0' AND annotator = 'a'",
        # an event inside the snapshot's range (the store never writes one there)
        "INSERT INTO nblabel_events (id, task, item, annotator, action, label, created_at,"
        " source) SELECT min(id) - 1, 't', '9', 'a', 'label', '\"early\"', 1.0, 'annotator'"
        " FROM nblabel_events",
    ],
    ids=["update", "delete", "insert-below"],
)
def test_another_program_changing_the_events_drops_every_snapshot(store, path, small, statement):
    other_program(path, "DELETE FROM nblabel_events WHERE id = 1")  # room below
    for item in range(4):
        store.append(task="t", item=item, annotator="a", label="pos")
    before = store.annotations(task="t")
    assert kept(store)
    other_program(path, statement)
    assert kept(store) == []
    after = store.annotations(task="t")
    assert not after.equals(before)
    assert_same_as_reference(after, reference(store, task="t"))


def test_a_damaged_snapshot_is_read_past(store, path, small):
    fill(store)
    store.annotations(task="t")
    other_program(path, "UPDATE nblabel_snapshots SET body = x'7b7d0a00' WHERE part = 'items'")
    table = store.annotations(task="t")
    assert_same_as_reference(table, reference(store, task="t"))


def test_a_snapshot_with_codes_out_of_range_is_read_past(store, path, small):
    for item in range(3):
        store.append(task="t", item=item, annotator="a", label="pos")
    store.annotations(task="t", annotator="a")
    codes = pack(np.array([0, 0, 5], dtype=np.int8))
    other_program(
        path, f"UPDATE nblabel_snapshots SET body = x'{codes.hex()}' WHERE part = 'label_codes'"
    )
    table = store.annotations(task="t", annotator="a")
    assert table["label"].tolist() == ["pos"] * 3


def test_a_snapshot_coding_one_label_twice_is_read_past(store, path, small):
    for item in range(3):
        store.append(task="t", item=item, annotator="a", label="pos" if item else "neg")
    store.annotations(task="t", annotator="a")
    twice = pack(objects(['"neg"', '"neg"']))  # codes 0 and 1 both "neg": 1 stood for "pos"
    other_program(
        path, f"UPDATE nblabel_snapshots SET body = x'{twice.hex()}' WHERE part = 'label_uniques'"
    )
    # read after it, a new label would take code 1 when the codes are merged
    store.append(task="t", item=3, annotator="a", label="meh")
    table = store.annotations(task="t", annotator="a")
    assert table["label"].tolist() == ["neg", "pos", "pos", "meh"]


def test_a_dropped_trigger_turns_snapshots_off(store, path, small):
    fill(store)
    store.annotations(task="t")
    other_program(
        path,
        f"DROP TRIGGER {_snapshot.TRIGGERS[1]}",
        "UPDATE nblabel_events SET label = '\"changed\"' WHERE item = '0'",
    )
    table = store.annotations(task="t")
    assert_same_as_reference(table, reference(store, task="t"))


def test_a_store_that_cannot_write_reads_the_snapshot_and_writes_none(path, small, clock):
    writer = LabelStore(path, clock=clock)
    fill(writer)
    writer.annotations(task="t")
    writer.append(task="t", item=0, annotator="z", label="after")
    snapshots = kept(writer)
    # what a read-only file makes of the connection (root ignores file modes: see
    # test_store_abuse for a real read-only file)
    writer._engine.shared.read_only = True
    try:
        for _ in range(2):
            table = writer.annotations(task="t")
            assert_same_as_reference(table, reference(writer, task="t"))
        assert kept(writer) == snapshots
    finally:
        writer._engine.shared.read_only = False
        writer.close()


def test_a_store_made_before_snapshots_gains_them_when_opened_for_writing(path, small, clock):
    s = LabelStore(path, clock=clock)
    s.append(task="t", item=0, annotator="a", label="pos")
    s.close()
    other_program(
        path,
        "DROP TABLE nblabel_snapshots",
        *(f"DROP TRIGGER {name}" for name in _snapshot.TRIGGERS),
    )
    s = LabelStore(path, clock=clock)
    try:
        assert set(_snapshot.TRIGGERS) <= s._engine.triggers()
        s.annotations(task="t")
        assert kept(s)
    finally:
        s.close()


# -- a resuming widget -------------------------------------------------------------------------
@pytest.fixture
def keeping_none(monkeypatch):
    """Resumes keep none of their labels (read before the snapshot of w.labels)."""
    monkeypatch.setattr(nblabel._store, "keep_labeled", lambda *args: None)


@pytest.mark.parametrize("fingerprinted", [False, True])
def test_labeled_items_from_the_snapshot_equal_those_read_through_the_index(
    store, small, keeping_none, fingerprinted
):
    ids = []
    for item in range(6):
        ids.append(store.append(task="t", item=item, annotator="a", label="pos",
                                fingerprint=f"f{item}" if fingerprinted else None))  # fmt: skip
    store.append(task="t", item=2, annotator="a", label="neg",
                 fingerprint="f2b" if fingerprinted else None)  # fmt: skip
    store.append(task="t", item=7, annotator="b", label="pos")
    store.undo(ids[4], annotator="a")
    assert not snapshot_of_labels(store)
    through_index = store.labeled_items("t", "a")
    store.annotations(task="t", annotator="a", source="annotator")  # w.labels' query
    from_snapshot = store.labeled_items("t", "a")
    assert snapshot_of_labels(store)

    def by_item(found):
        items, prints = found
        prints = [None] * len(items) if prints is None else prints
        return sorted(zip(items.tolist(), prints, strict=True))

    assert by_item(from_snapshot) == by_item(through_index)
    assert by_item(from_snapshot) == (
        [(0, "f0"), (1, "f1"), (2, "f2b"), (3, "f3"), (5, "f5")]
        if fingerprinted
        else [(i, None) for i in (0, 1, 2, 3, 5)]
    )
    assert from_snapshot[0].dtype == np.int64


@pytest.mark.parametrize("keeping", [False, True], ids=["w.labels", "resume"])
def test_fingerprints_of_one_width_are_read_as_bytes_and_others_as_they_were_stored(
    store, small, monkeypatch, keeping
):
    if not keeping:
        monkeypatch.setattr(nblabel._store, "keep_labeled", lambda *args: None)

    def read(path):
        items, prints, _ = store._labeled_events("t", "a", "annotator")
        assert bool(snapshot_of_labels(store)) == (path == "snapshot")
        return prints, sorted(zip(items.tolist(), store.labeled_items("t", "a")[1], strict=True))

    fps = [f"{i:016x}" for i in range(6)]
    store.append_many(task="t", items=range(6), annotator="a", label="pos", fingerprints=fps)
    through_index, labeled = read("index")
    store.annotations(task="t", annotator="a", source="annotator")  # keeps the snapshot
    from_snapshot, again = read("snapshot")
    assert through_index.dtype == from_snapshot.dtype == np.dtype("S16")
    assert labeled == again == list(enumerate(fps))  # labeled_items gives texts
    # labels after the snapshot, one saved before fingerprints and one of another width
    # (another program's): bytes padded to the widest, each read back as it was stored
    store.append(task="t", item=6, annotator="a", label="pos")
    store.append(task="t", item=7, annotator="a", label="pos", fingerprint="x" * 20)
    expected = [*enumerate(fps), (6, None), (7, "x" * 20)]
    after, labeled = read("snapshot")
    assert labeled == expected and after.dtype == np.dtype("S20")
    # and a text that is not ASCII: texts throughout
    store.append(task="t", item=8, annotator="a", label="pos", fingerprint="é")
    expected.append((8, "é"))
    after, labeled = read("snapshot")
    assert labeled == expected and after.dtype == object
    store._engine.execute("DELETE FROM nblabel_snapshots")
    through_index, labeled = read("index")
    assert labeled == expected and through_index.dtype == object


def resumed(store, annotator="a") -> list[tuple]:
    """(item, fingerprint, event id) of each label a resuming widget reads."""
    items, prints, event_ids = store._labeled_events("t", annotator, "annotator")
    prints = [None] * len(items) if prints is None else as_texts(prints).tolist()
    ids = [None] * len(items) if event_ids is None else event_ids.tolist()
    return sorted(zip(map(repr, items.tolist()), prints, ids, strict=True))


def current_labels(store, annotator="a", fingerprinted=True) -> list[tuple]:
    """The same, from the store's current labels read one by one."""
    labels = store.current("t", annotator, "annotator").values()
    return sorted(
        (repr(label.item), label.fingerprint, label.event_id if fingerprinted else None)
        for label in labels
    )


def reads_through_the_index(store, monkeypatch) -> list[str]:
    """Which reads of the labels went through the index (``group_concat``), recorded."""
    through, query = [], store._query

    def recording(sql, params=()):
        if "group_concat" in sql:
            through.append(sql)
        return query(sql, params)

    monkeypatch.setattr(store, "_query", recording)
    return through


def kept_labels(store) -> list[tuple]:
    return [k[1:] for k in kept(store) if json.loads(k[0])[0] == "labeled"]


READS = {
    "w.labels, first": lambda store: store.annotations(task="t", annotator="a"),
    "w.labels, again": lambda store: store.annotations(task="t", annotator="a"),
    "resume": lambda store: resumed(store),
}


@pytest.mark.parametrize("fingerprinted", [False, True])
def test_a_resume_keeps_the_labels_it_read_for_the_next_to_read_at_once(
    store, small, monkeypatch, fingerprinted
):
    def give(item, value="pos", annotator="a"):
        return store.append(task="t", item=item, annotator=annotator, label=value,
                            fingerprint=f"{item:016x}" if fingerprinted else None)  # fmt: skip

    ids = [give(item) for item in range(6)]
    give(2, "neg")
    store.undo(ids[4], annotator="a")
    give(7, annotator="b")
    through_index = reads_through_the_index(store, monkeypatch)
    expected = current_labels(store, fingerprinted=fingerprinted)
    assert resumed(store) == expected and len(expected) == 5
    assert through_index and kept_labels(store) == [(9, 7)]  # up to the newest, 7 events
    through_index.clear()
    assert resumed(store) == expected and not through_index
    # after it: a label given again, an undo of a label it holds, new items, another
    # annotator: read as rows after it, never through the index
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 10**9)  # not kept again: read as a tail
    give(0, "neg")
    store.undo(ids[1], annotator="a")
    give(9)
    give(10, annotator="b")
    through_index.clear()
    assert resumed(store) == current_labels(store, fingerprinted=fingerprinted)
    assert not through_index and kept_labels(store) == [(9, 7)]
    assert resumed(store, "b") == current_labels(store, "b", fingerprinted)
    # a text id after whole numbers: read through the index again, and kept as texts
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1)
    store.append(task="t", item="11", annotator="a", label="pos")
    through_index.clear()
    expected = current_labels(store, fingerprinted=fingerprinted)
    assert resumed(store) == expected and through_index
    through_index.clear()
    assert resumed(store) == expected and not through_index


def test_the_labels_a_resume_kept_are_kept_again_once_many_came_after(store, small, monkeypatch):
    store.append_many(task="t", items=range(40), annotator="a", label="pos")
    resumed(store)
    assert kept_labels(store) == [(40, 40)]
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 4)
    store.append_many(task="t", items=range(40, 43), annotator="a", label="pos")
    assert len(resumed(store)) == 43 and kept_labels(store) == [(40, 40)]  # read after it
    store.append(task="t", item=43, annotator="a", label="pos")
    assert len(resumed(store)) == 44 and kept_labels(store) == [(44, 44)]
    assert resumed(store) == current_labels(store, fingerprinted=False)


def test_a_resume_reads_three_columns_of_the_snapshot_of_w_labels_and_keeps_them_once_stale(
    store, small, monkeypatch
):
    store.append_many(task="t", items=range(40), annotator="a", label="pos",
                      fingerprints=[f"{i:016x}" for i in range(40)])  # fmt: skip
    store.annotations(task="t", annotator="a", source="annotator")  # w.labels' snapshot
    through_index = reads_through_the_index(store, monkeypatch)
    assert resumed(store) == current_labels(store) and not through_index
    assert kept_labels(store) == []  # nothing to keep: the snapshot serves
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 4)
    store.append_many(task="t", items=range(40, 44), annotator="a", label="neg",
                      fingerprints=[f"{i:016x}" for i in range(40, 44)])  # fmt: skip
    assert resumed(store) == current_labels(store) and not through_index
    assert kept_labels(store) == [(44, 44)]  # many after it: kept, the next reads those
    assert snapshot_of_labels(store) == [(40, 40)]  # w.labels' own is its to bring up to date


@pytest.mark.parametrize("seed", range(3))  # 200 seeds pass; 3 keep the suite quick
def test_what_a_resume_reads_is_the_current_labels_through_any_mix_of_writes_and_reads(
    store, monkeypatch, seed
):
    # labels, relabels, undos, another annotator, text ids and missing fingerprints, with
    # reads that keep and rewrite snapshots in between: every resume reads exactly the
    # labels current then, whichever way it reads them
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 3)  # snapshots kept, and stale, often
    rng = np.random.default_rng(seed)
    given: list[int] = []
    undone: set[int] = set()
    read_from = set()
    for _ in range(150):
        step = rng.choice(["label", "label", "label", "other", "undo", "w.labels", "drop"])
        if step in ("label", "other"):
            item = int(rng.integers(12))
            if rng.random() < 0.05:
                item = f"text {item}"  # a text id among whole numbers
            fingerprint = None if rng.random() < 0.1 else f"{item}-{rng.integers(3)}".rjust(16)
            event = store.append(task="t", item=item, annotator="a" if step == "label" else "b",
                                 label=str(rng.integers(3)), fingerprint=fingerprint)  # fmt: skip
            if step == "label":
                given.append(event)
        elif step == "undo" and set(given) - undone:
            event = int(rng.choice(sorted(set(given) - undone)))
            store.undo(event, annotator="a")
            undone.add(event)
        elif step == "w.labels":
            store.annotations(task="t", annotator="a", source="annotator")
        elif step == "drop":
            store._engine.execute("DELETE FROM nblabel_snapshots")
        labels = current_labels(store)
        with_prints = any(fingerprint is not None for _, fingerprint, _ in labels)
        read_from |= {"kept"} if kept_labels(store) else set()
        read_from |= {"w.labels"} if snapshot_of_labels(store) else set()
        assert resumed(store) == current_labels(store, fingerprinted=with_prints), step
    assert read_from == {"kept", "w.labels"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE nblabel_events SET fingerprint = 'edited' WHERE item = '3'",
        "DELETE FROM nblabel_events WHERE item = '3'",
        "UPDATE nblabel_snapshots SET body = x'7b7d0a00' WHERE part = 'items'",
        "UPDATE nblabel_snapshots SET rows = rows + 1",
    ],
    ids=["event-changed", "event-deleted", "damaged", "rows"],
)
def test_labels_kept_for_a_resume_that_another_program_changed_are_read_again(
    store, path, small, monkeypatch, statement
):
    store.append_many(task="t", items=range(6), annotator="a", label="pos",
                      fingerprints=[f"{i:016x}" for i in range(6)])  # fmt: skip
    resumed(store)
    assert kept_labels(store)
    other_program(path, statement)
    through_index = reads_through_the_index(store, monkeypatch)
    assert resumed(store) == current_labels(store) and through_index


def test_a_store_that_cannot_write_keeps_no_labels_for_a_resume(store, small):
    store.append_many(task="t", items=range(6), annotator="a", label="pos")
    store._engine.shared.read_only = True
    try:
        assert resumed(store) == current_labels(store, fingerprinted=False)
        assert kept_labels(store) == []
    finally:
        store._engine.shared.read_only = False
    resumed(store)
    assert kept_labels(store) == [(6, 6)]


def test_text_ids_from_the_snapshot_are_decoded(store, small):
    for item in ["x", "y\nz", (1, "a")]:
        store.append(task="t", item=item, annotator="a", label="pos")
    store.annotations(task="t", annotator="a", source="annotator")
    items, prints = store.labeled_items("t", "a")
    assert sorted(map(repr, items.tolist())) == sorted(map(repr, ["x", "y\nz", (1, "a")]))
    assert prints is None


class CountingPrints(Fingerprinter):
    """A fingerprinter that counts the rows it hashes one by one."""

    hashed = 0

    def __call__(self, positions):
        self.hashed += len(positions)
        return super().__call__(positions)


def resume(store, frame) -> tuple[LabelingSession, int]:
    """A session over ``frame``'s labels, and how many rows it hashed one by one to build."""
    prints = CountingPrints(frame, [0])
    session = LabelingSession(frame.index, store=store, task="t", annotator="a",
                              fingerprint=prints)  # fmt: skip
    return session, prints.hashed


def remembered(store) -> list[tuple]:
    return store._query("SELECT task, annotator, source, upto, rows FROM nblabel_checked")


@pytest.fixture
def labeled(store, small):
    """300 texts, the first 200 of them labeled with their fingerprints (events 1 to 200)."""
    frame = pd.DataFrame({"text": [f"text {i}" for i in range(300)]})
    store.append_many(task="t", items=frame.index[:200], annotator="a", label="pos",
                      fingerprints=Fingerprinter(frame, [0])(np.arange(200)))  # fmt: skip
    return frame


def label(store, frame, item: int, value: str = "pos") -> int:
    return store.append(task="t", item=item, annotator="a", label=value,
                        fingerprint=Fingerprinter(frame, [0]).one(item))  # fmt: skip


def test_a_resume_over_rows_checked_before_hashes_only_the_labels_given_since(store, labeled):
    session, hashed = resume(store, labeled)
    assert hashed == 200 and session.progress.done == 200
    assert remembered(store) == [("t", "a", "annotator", 200, 200)]
    session, hashed = resume(store, labeled)
    assert hashed == 0 and session.progress.done == 200 and session.notice is None
    # the rows re-sorted, each under its id: still the same content per label
    shuffled = labeled.sample(frac=1, random_state=0)
    session, hashed = resume(store, shuffled)
    assert hashed == 0 and session.progress.done == 200
    # labels on new items since: those alone are hashed; while they are few the check
    # remembered stands (they are hashed again), once many all are remembered as one
    for item in (250, 260):
        label(store, labeled, item)
    for _ in range(2):
        session, hashed = resume(store, labeled)
        assert hashed == 2 and session.progress.done == 202
        assert remembered(store) == [("t", "a", "annotator", 200, 200)]
    last = [label(store, labeled, item) for item in range(201, 206)][-1]
    session, hashed = resume(store, labeled)  # 7 since 200: a 32nd of 207 or more
    assert hashed == 7 and session.progress.done == 207
    assert remembered(store) == [("t", "a", "annotator", last, 207)]
    assert resume(store, labeled)[1] == 0


@pytest.mark.parametrize("change", ["relabel", "undo"])
def test_a_label_checked_before_and_changed_since_has_every_row_checked(store, labeled, change):
    resume(store, labeled)
    if change == "relabel":
        label(store, labeled, 5, "neg")  # item 5's label checked before is no longer current
        expected = 200
    else:
        store.undo(6, annotator="a")  # event 6: item 5's label
        expected = 199
    session, hashed = resume(store, labeled)
    assert hashed == expected and session.progress.done == expected
    assert resume(store, labeled)[1] == 0


def test_a_row_edited_after_a_remembered_check_is_still_caught(store, labeled):
    resume(store, labeled)
    edited = labeled.copy()
    edited.loc[7, "text"] = "another text"
    with pytest.warns(NblabelWarning, match="1 label was given to an item that now shows"):
        session, hashed = resume(store, edited)
    assert hashed == 200 and session.changed_items == [7] and session.progress.done == 199
    # the check that found the edit is not remembered; the one before still stands
    assert remembered(store) == [("t", "a", "annotator", 200, 200)]
    assert resume(store, labeled)[1] == 0


def test_a_fingerprint_another_program_changed_is_caught_after_a_remembered_check(
    path, store, labeled, clock
):
    resume(store, labeled)
    store.close()
    other_program(path, "UPDATE nblabel_events SET fingerprint = '0123456789abcdef'"
                        " WHERE item = '9'")  # fmt: skip
    with LabelStore(path, clock=clock) as again:
        with pytest.warns(NblabelWarning, match="1 label was given to an item"):
            session, hashed = resume(again, labeled)
        assert hashed == 200 and session.changed_items == [9]


@pytest.mark.parametrize(
    "written",
    ["digest = 'not a digest'", "digest = ''", "digest = 1", "upto = 'x'", "upto = 100"],
)
def test_a_remembered_check_another_program_wrote_is_only_a_miss(
    path, store, labeled, clock, written
):
    resume(store, labeled)
    store.close()
    other_program(path, f"UPDATE nblabel_checked SET {written}")
    with LabelStore(path, clock=clock) as again:
        session, hashed = resume(again, labeled)
        assert hashed == 200 and session.progress.done == 200
        assert resume(again, labeled)[1] == 0  # remembered again


def test_a_check_is_remembered_from_many_labels_and_never_by_a_store_that_cannot_write(
    store, labeled, monkeypatch
):
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 201)  # more than the store holds
    assert resume(store, labeled)[1] == 200 and remembered(store) == []
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1)
    store._engine.shared.read_only = True  # root ignores file modes: see test_store_abuse
    try:
        assert resume(store, labeled)[1] == 200 and remembered(store) == []
    finally:
        store._engine.shared.read_only = False
    assert resume(store, labeled)[1] == 200 and resume(store, labeled)[1] == 0


def test_a_store_made_before_remembered_checks_gains_their_table(path, store, labeled, clock):
    store.close()
    other_program(path, "DROP TABLE nblabel_checked")
    with LabelStore(path, clock=clock) as again:
        assert "nblabel_checked" in again._engine.tables()
        assert resume(again, labeled)[1] == 200 and resume(again, labeled)[1] == 0


# -- PostgreSQL: ids handed out in one order, committed in another ----------------------------
@pytest.fixture
def pg_store(pg_url, clock, small):
    s = LabelStore(pg_url, clock=clock)
    yield s
    s.close()


def test_postgresql_keeps_snapshots_that_read_as_every_row(pg_store):
    fill(pg_store)
    for query in QUERIES:
        first = pg_store.annotations(**query)
        assert_same_as_reference(first, reference(pg_store, **query))
    assert kept(pg_store) and "nblabel_snapshots_on_change" in pg_store._engine.triggers()
    pg_store.append(task="t", item=0, annotator="a", label="after")  # read after them
    for query in QUERIES:
        assert_same_as_reference(pg_store.annotations(**query), reference(pg_store, **query))
        pd.testing.assert_frame_equal(pg_store.annotations(**query), every_row(pg_store, **query))
    assert resumed(pg_store) == current_labels(pg_store, fingerprinted=False)
    assert kept_labels(pg_store) and resumed(pg_store) == current_labels(
        pg_store, fingerprinted=False
    )


@contextlib.contextmanager
def late_label(url: str) -> Iterator:
    """A label of item 99 by "a", its id taken now, committed by ``.commit()`` on the
    connection it yields (or when the block ends)."""
    import psycopg

    with psycopg.connect(url) as late:
        late.execute(
            "INSERT INTO nblabel_events (task, item, annotator, action, label, created_at,"
            " source) VALUES ('t', '99', 'a', 'label', '\"late\"', 1.0, 'annotator')"
        )
        yield late


def test_postgresql_reads_a_label_committed_late_below_a_snapshot(pg_store, pg_url):
    pg_store.append_many(task="t", items=range(6), annotator="a", label="pos")
    with late_label(pg_url) as late:  # its id comes first, its commit last
        pg_store.append_many(task="t", items=range(6, 9), annotator="a", label="neg")
        before = pg_store.annotations(task="t", annotator="a")
        assert 99 not in before["item"].tolist()
        assert resumed(pg_store) == current_labels(pg_store, fingerprinted=False)
        assert kept(pg_store) and kept_labels(pg_store)
        late.commit()
    # the snapshots end above it: a count of the events tells
    after = pg_store.annotations(task="t", annotator="a")
    assert 99 in after["item"].tolist()
    assert_same_as_reference(after, reference(pg_store, task="t", annotator="a"))
    assert resumed(pg_store) == current_labels(pg_store, fingerprinted=False)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE nblabel_events SET item = '42', label = '\"changed\"' WHERE item = '1'",
        "DELETE FROM nblabel_events WHERE item = '1'",
        "INSERT INTO nblabel_events (id, task, item, annotator, action, label, created_at,"
        " source) VALUES (1, 't', '77', 'a', 'label', '\"early\"', 1.0, 'annotator')",
        "DELETE FROM nblabel_events WHERE item = '1';"
        " INSERT INTO nblabel_events (id, task, item, annotator, action, label, created_at,"
        " source) VALUES (1, 't', '77', 'a', 'label', '\"early\"', 1.0, 'annotator')",
    ],
    ids=["update", "delete", "insert-below", "delete-and-insert"],
)
def test_postgresql_snapshots_that_another_program_changed_are_read_again(
    pg_store, pg_url, statement
):
    pg_store.append(task="t", item=0, annotator="z", label="pos")
    raw_execute(pg_url, "DELETE FROM nblabel_events WHERE annotator = 'z'")  # room below
    pg_store.append_many(task="t", items=range(8), annotator="a", label="pos")
    pg_store.annotations(task="t", annotator="a")
    resumed(pg_store)
    assert kept(pg_store) and kept_labels(pg_store)
    raw_execute(pg_url, *statement.split("; "))
    assert_same_as_reference(
        pg_store.annotations(task="t", annotator="a"), reference(pg_store, task="t", annotator="a")
    )
    assert resumed(pg_store) == current_labels(pg_store, fingerprinted=False)


def test_postgresql_a_label_a_teammate_gives_during_a_read_leaves_the_snapshot_in_use(
    pg_store, pg_url, clock, monkeypatch
):
    pg_store.append_many(task="t", items=range(8), annotator="a", label="pos")
    pg_store.annotations(task="t")  # kept
    teammate = LabelStore(pg_url, clock=clock)
    read_after, full_reads = _snapshot.read_event_columns, []

    def teammate_labels_meanwhile(*args, **kwargs):  # after the events after the snapshot
        columns = read_after(*args, **kwargs)
        teammate.append(task="t", item=9, annotator="b", label="neg")
        return columns

    monkeypatch.setattr(_snapshot, "read_event_columns", teammate_labels_meanwhile)
    monkeypatch.setattr(_snapshot, "_read_all", lambda *args: full_reads.append(args))
    try:
        table = pg_store.annotations(task="t")
    finally:
        teammate.close()
    assert full_reads == [] and len(table) == 8  # the snapshot, and a label given after it


def test_postgresql_reads_while_two_processes_label_end_exact(pg_store, pg_url, child):
    # two writers commit their ids out of order now and then, while this process reads and
    # keeps snapshots and the labels a resume reads
    writers = [child("append", pg_url, name, 400, 0.0005) for name in ("w1", "w2")]
    assert [w.line() for w in writers] == ["ready", "ready"]
    n_reads = 0
    while any(w.process.poll() is None for w in writers):
        pg_store.annotations(task="t")
        pg_store._labeled_events("t", "w1", "annotator")
        n_reads += 1
    assert [w.line() for w in writers] == ["done", "done"] and n_reads >= 3
    assert len(pg_store.annotations(task="t")) == 800
    pd.testing.assert_frame_equal(pg_store.annotations(task="t"), every_row(pg_store, task="t"))
    assert resumed(pg_store, "w1") == current_labels(pg_store, "w1", fingerprinted=False)


def test_postgresql_a_process_killed_while_it_keeps_snapshots_leaves_reads_exact(
    pg_store, pg_url, child
):
    fill(pg_store)
    reader = child("label_and_read", pg_url)
    assert reader.line() == "ready"
    time.sleep(1.0)  # many snapshots written by now; the kill lands in the middle of one
    reader.kill()
    for query in ({"task": "t"}, {"task": "t", "annotator": "k", "source": "annotator"}):
        pd.testing.assert_frame_equal(pg_store.annotations(**query), every_row(pg_store, **query))
    assert kept(pg_store)
    assert resumed(pg_store, "k") == current_labels(pg_store, "k", fingerprinted=False)


def gaps_kept(store) -> dict[str, list[int]]:
    """The gaps of each PostgreSQL snapshot, by query: ranges of ids ``[lo, hi, ...]``."""
    rows = store._engine.read(
        "SELECT query, body FROM nblabel_snapshots WHERE part = 'gaps'", binary=True
    )
    return {query: unpack(bytes(body)).tolist() for query, body in rows}


def reads_of_the_snapshots(store, monkeypatch) -> dict[str, int]:
    """How many reads rebuilt a snapshot, probed its gaps, or counted its events, recorded."""
    seen = {"rebuilt": 0, "probed": 0, "counted": 0}
    engine, read, read_all = store._engine, store._engine.read, _snapshot._read_all

    def recording(sql, params=(), **kwargs):
        if "unnest(" in sql:
            seen["probed"] += 1
        elif sql.startswith("SELECT count(*), (SELECT upto FROM nblabel_snapshots"):
            seen["counted"] += 1
        return read(sql, params, **kwargs)

    def rebuilding(*args):
        seen["rebuilt"] += 1
        return read_all(*args)

    monkeypatch.setattr(engine, "read", recording)
    monkeypatch.setattr(_snapshot, "_read_all", rebuilding)
    return seen


def rolled_back(url: str, n: int = 1) -> None:
    """``n`` ids handed out by a transaction that never commits: gaps for good."""
    import psycopg

    with psycopg.connect(url) as conn:
        for _ in range(n):
            conn.execute(
                "INSERT INTO nblabel_events (task, item, annotator, action, label, created_at,"
                " source) VALUES ('t', '55', 'a', 'label', '\"gone\"', 1.0, 'annotator')"
            )
        conn.rollback()


def test_postgresql_snapshots_keep_their_gaps_and_reads_probe_only_those(
    pg_store, pg_url, monkeypatch
):
    pg_store.append_many(task="t", items=range(4), annotator="a", label="pos")
    rolled_back(pg_url)  # id 5: a gap for good
    pg_store.append_many(task="t", items=range(4, 8), annotator="a", label="neg")
    pg_store.annotations(task="t", annotator="a")
    resumed(pg_store)
    low = np.iinfo(np.int64).min
    assert set(map(tuple, gaps_kept(pg_store).values())) == {(low, 0, 5, 5)}
    seen = reads_of_the_snapshots(pg_store, monkeypatch)
    table = pg_store.annotations(task="t", annotator="a")
    assert resumed(pg_store) == current_labels(pg_store, fingerprinted=False)
    assert seen == {"rebuilt": 0, "probed": 2, "counted": 0}
    assert_same_as_reference(table, reference(pg_store, task="t", annotator="a"))


@pytest.mark.parametrize("at", ["5", "-3"], ids=["a-rolled-back-id", "below-every-id"])
def test_postgresql_an_event_another_program_writes_into_a_gap_is_read(pg_store, pg_url, at):
    pg_store.append_many(task="t", items=range(4), annotator="a", label="pos")
    rolled_back(pg_url)
    pg_store.append_many(task="t", items=range(4, 8), annotator="a", label="neg")
    pg_store.annotations(task="t", annotator="a")
    resumed(pg_store)
    assert gaps_kept(pg_store)
    raw_execute(  # an insert moves no token: only the gap tells
        pg_url,
        "INSERT INTO nblabel_events (id, task, item, annotator, action, label, created_at,"
        f" source) VALUES ({at}, 't', '77', 'a', 'label', '\"early\"', 1.0, 'annotator')",
    )
    table = pg_store.annotations(task="t", annotator="a")
    assert 77 in table["item"].tolist()
    assert_same_as_reference(table, reference(pg_store, task="t", annotator="a"))
    assert resumed(pg_store) == current_labels(pg_store, fingerprinted=False)


def test_postgresql_ids_from_the_lowest_there_is_leave_no_gap_and_still_tell_a_late_label(
    pg_store, pg_url
):
    low = np.iinfo(np.int64).min
    raw_execute(
        pg_url,
        f"ALTER TABLE nblabel_events ALTER COLUMN id SET MINVALUE {low} RESTART WITH {low}",
    )
    pg_store.append_many(task="t", items=range(8), annotator="a", label="pos")
    pg_store.annotations(task="t", annotator="a")
    assert list(gaps_kept(pg_store).values()) == [[]]  # every id from the lowest on
    with late_label(pg_url) as late:  # its id comes first, its commit last
        pg_store.append_many(task="t", items=range(8, 12), annotator="a", label="neg")
        pg_store.annotations(task="t", annotator="a")
        resumed(pg_store)
        (gaps,) = {tuple(g) for g in gaps_kept(pg_store).values()}
        assert gaps == (low + 8, low + 8)  # the late label's id
        late.commit()
    table = pg_store.annotations(task="t", annotator="a")
    assert table["event_id"].min() == low and 99 in table["item"].tolist()
    assert_same_as_reference(table, reference(pg_store, task="t", annotator="a"))
    assert resumed(pg_store) == current_labels(pg_store, fingerprinted=False)


@pytest.mark.parametrize("read", list(READS))
def test_postgresql_a_label_committed_between_a_read_and_its_snapshot_keeps_none(
    pg_store, pg_url, monkeypatch, read
):
    pg_store.append_many(task="t", items=range(6), annotator="a", label="pos")
    before = []
    if read == "w.labels, again":  # a snapshot to bring up to date
        READS[read](pg_store)
        before = kept(pg_store)
        monkeypatch.setattr(_snapshot, "_stale", lambda *args: True)
    write = _snapshot._write
    with late_label(pg_url) as late:  # its id comes first, its commit last
        pg_store.append_many(task="t", items=range(6, 9), annotator="a", label="neg")

        def committed_meanwhile(*args, **kwargs):  # after the read, before its snapshot
            late.commit()
            return write(*args, **kwargs)

        monkeypatch.setattr(_snapshot, "_write", committed_meanwhile)
        READS[read](pg_store)
    monkeypatch.setattr(_snapshot, "_write", write)
    assert kept(pg_store) == before  # the count in the write tells; the one before stays
    assert 99 in pg_store.annotations(task="t", annotator="a")["item"].tolist()
    assert resumed(pg_store) == current_labels(pg_store, fingerprinted=False)


def test_postgresql_a_query_of_few_of_the_ids_counts_its_events_instead(
    pg_store, pg_url, monkeypatch
):
    pg_store.append_many(task="t", items=range(100), annotator="b", label="pos")
    pg_store.append_many(task="t", items=range(4), annotator="a", label="pos")
    with late_label(pg_url) as late:  # its id comes first, its commit last
        pg_store.append_many(task="t", items=range(4, 8), annotator="a", label="neg")
        pg_store.annotations(task="t", annotator="a")
        late.commit()
    gaps = gaps_kept(pg_store)
    assert len(kept(pg_store)) == 1 and gaps == {}  # 8 of 109 ids: no gaps found
    seen = reads_of_the_snapshots(pg_store, monkeypatch)
    assert 99 in pg_store.annotations(task="t", annotator="a")["item"].tolist()
    assert seen == {"rebuilt": 1, "probed": 0, "counted": 1}


def test_postgresql_snapshots_with_too_many_gaps_or_none_kept_count_their_events(
    pg_store, pg_url, monkeypatch
):
    monkeypatch.setattr(_snapshot, "MAX_GAPS", 2)
    pg_store.append_many(task="t", items=range(4), annotator="a", label="pos")
    rolled_back(pg_url)
    pg_store.append_many(task="t", items=range(4, 8), annotator="a", label="neg")
    rolled_back(pg_url)
    pg_store.append_many(task="t", items=range(8, 12), annotator="a", label="pos")
    pg_store.annotations(task="t", annotator="a")  # three gaps: below id 1, ids 5 and 10
    assert kept(pg_store) and gaps_kept(pg_store) == {}
    monkeypatch.setattr(_snapshot, "MAX_GAPS", 4096)
    pg_store.annotations(task="t")
    assert gaps_kept(pg_store)
    raw_execute(pg_url, "DELETE FROM nblabel_snapshots WHERE part = 'gaps'")  # an earlier release's
    seen = reads_of_the_snapshots(pg_store, monkeypatch)
    for query in ({"task": "t"}, {"task": "t", "annotator": "a"}):
        assert_same_as_reference(pg_store.annotations(**query), reference(pg_store, **query))
    assert seen == {"rebuilt": 0, "probed": 0, "counted": 2}


def test_postgresql_damaged_gaps_are_read_past(pg_store, pg_url, monkeypatch):
    pg_store.append_many(task="t", items=range(8), annotator="a", label="pos")
    pg_store.annotations(task="t", annotator="a")
    assert list(gaps_kept(pg_store).values()) == [[np.iinfo(np.int64).min, 0]]  # ids 1-8
    seen = reads_of_the_snapshots(pg_store, monkeypatch)
    damages = ([5, 3], [1, 2, 2, 4], [1], [0, 10**6])  # reversed, overlapping, odd, past upto
    for n, damaged in enumerate(damages, start=1):
        body = pack(np.array(damaged, dtype=np.int64)).hex()
        raw_execute(
            pg_url,
            f"UPDATE nblabel_snapshots SET body = decode('{body}', 'hex') WHERE part = 'gaps'",
        )
        assert_same_as_reference(
            pg_store.annotations(task="t", annotator="a"),
            reference(pg_store, task="t", annotator="a"),
        )
        assert seen["rebuilt"] == n  # read past, and written anew


def brute_gaps(ids: set[int], upto: int, low: int) -> list[int]:
    out, start = [], None
    for i in range(low, upto + 1):
        if i not in ids and start is None:
            start = i
        if i in ids and start is not None:
            out += [start, i - 1]
            start = None
    return out + ([start, upto] if start is not None else [])


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(-200, 400)), st.integers(0, 500))
def test_gaps_are_every_range_of_ids_no_event_has(ids, extra):
    upto = max(ids, default=0) + extra % 3
    ids = {i for i in ids if i <= upto}
    present = np.array(sorted(ids), dtype=np.int64)
    blocks, index = np.unique(present >> 6, return_inverse=True)
    masks = np.zeros(len(blocks), dtype=np.uint64)
    np.bitwise_or.at(masks, index, np.uint64(1) << (present & 63).astype(np.uint64))
    gaps = _snapshot.gaps_of(blocks, masks.view(np.int64), upto).tolist()
    expected = brute_gaps(ids, upto, -300)  # below every id: the first gap starts there
    expected[0] = np.iinfo(np.int64).min
    assert gaps == expected


def test_postgresql_triggers_find_the_store_from_any_search_path(pg_store, postgres):
    import psycopg

    pg_store.append_many(task="t", items=range(4), annotator="a", label="pos")
    pg_store.annotations(task="t")
    schema = pg_store._query("SELECT current_schema()")[0][0]
    with psycopg.connect(postgres.url, autocommit=True) as other:  # search path: public
        other.execute(f"UPDATE {schema}.nblabel_events SET label = '\"neg\"' WHERE item = '2'")
    table = pg_store.annotations(task="t")
    assert table["label"].tolist() == ["pos", "pos", "neg", "pos"]


# -- other processes at the same time ----------------------------------------------------------
@pytest.fixture
def child(tmp_path):
    """``child(what, *args)``: a process of ``snapshot_children.py``; all stopped at the end."""
    started = []

    def start(what: str, *args) -> ChildProcess:
        script = Path(__file__).with_name("snapshot_children.py")
        errors = tmp_path / f"child{len(started)}.err"
        started.append(ChildProcess(script, [what, *args], errors, tmp_path))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def test_a_read_never_waits_for_another_writer_to_keep_its_snapshot(store, path, small, child):
    fill(store)
    holder = child("hold_write_lock", path)
    assert holder.line() == "ready"
    started = time.monotonic()
    table = store.annotations(task="t")
    # waiting for the lock would take SQLite's busy timeout, then give up on the snapshot
    assert time.monotonic() - started < _sqlite._BUSY_TIMEOUT_S / 2
    assert_same_as_reference(table, reference(store, task="t"))
    assert kept(store) == [], "the snapshot was written while another process held the lock"
    holder.send("go")
    assert holder.line() == "released"
    store.annotations(task="t")
    assert kept(store)


def test_a_widget_built_while_another_process_writes_never_waits_to_remember_its_check(
    store, path, labeled, child
):
    holder = child("hold_write_lock", path)
    assert holder.line() == "ready"
    started = time.monotonic()
    session, hashed = resume(store, labeled)
    assert time.monotonic() - started < _sqlite._BUSY_TIMEOUT_S / 2
    assert hashed == 200 and session.progress.done == 200 and remembered(store) == []
    holder.send("go")
    assert holder.line() == "released"
    assert resume(store, labeled)[1] == 200 and resume(store, labeled)[1] == 0


def read_while_another_process_labels(path, child, monkeypatch, read) -> None:
    """Call ``read()`` (the item ids it sees) again and again while another process saves
    1,500 labels of annotator "w" (items 0, 1, ...), one commit each, over a second and a
    half: every read holds a prefix of them, and the reads overlap the writes."""
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 8)  # written again and again as labels come
    writer = child("append", path, "w", 1_500, 0.001)
    assert writer.line() == "ready"
    seen = [0]
    while seen[-1] < 1_500:
        items = read()
        assert items == list(range(len(items)))
        seen.append(len(items))
    assert writer.line() == "done"
    assert len(set(seen[1:])) >= 2, "the reads did not overlap the writes"


def test_reads_while_another_process_labels_see_every_label_before_the_newest(
    store, path, small, child, monkeypatch
):
    def read() -> list:
        table = store.annotations(task="t", annotator="w")
        assert (np.diff(table["event_id"].to_numpy()) > 0).all()
        return table["item"].tolist()

    read_while_another_process_labels(path, child, monkeypatch, read)
    pd.testing.assert_frame_equal(
        store.annotations(task="t", annotator="w"), every_row(store, task="t", annotator="w")
    )


def test_resumes_while_another_process_labels_see_every_label_before_the_newest(
    store, path, small, child, monkeypatch
):
    def read() -> list:
        return sorted(store._labeled_events("t", "w", "annotator")[0].tolist())

    read_while_another_process_labels(path, child, monkeypatch, read)
    assert [k for k in kept(store) if json.loads(k[0])[:3] == ["labeled", "t", "w"]]


def test_reads_while_another_process_adds_annotators_code_each_row_as_its_own(
    store, path, child, monkeypatch
):
    # the annotators a read codes in SQL are found just before it; here each new label comes
    # from a new annotator, and a pause between finding them and reading lets more arrive
    monkeypatch.setattr(_columns, "MOST_GROUPS", 10_000)
    monkeypatch.setattr(_columns, "MOST_VALUES", 10_000)
    scan, real_read, outcomes = _columns._group_combinations, _columns._read_sorted, []

    def slow_scan(engine, where, params, grouped):
        found = scan(engine, where, params, grouped)
        time.sleep(0.01)
        return found

    def read_sorted(engine, where, params, grouped, items_whole, read):
        try:
            return real_read(engine, where, params, grouped, items_whole, read)
        except _columns.UnknownGroup:
            outcomes.append("missed")  # a row of an annotator the scan had not found
            raise

    monkeypatch.setattr(_columns, "_group_combinations", slow_scan)
    monkeypatch.setattr(_columns, "_read_sorted", read_sorted)
    writer = child("append_annotators", path, 400, 0.002)
    assert writer.line() == "ready"
    while True:
        table = store.annotations(task="t")
        items = table["item"].tolist()
        assert items == list(range(len(items)))  # every label before the newest
        assert table["annotator"].tolist() == [f"w{i}" for i in items]  # each on its own row
        if len(items) == 400:
            break
    assert writer.line() == "done"
    assert "missed" in outcomes  # those reads were made again as texts, and came out right


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_reads_while_another_program_edits_the_events_never_keep_what_it_changed(
    path, small, child, seed, engine, request, clock
):
    # a plain client changes, deletes and puts back label events one commit at a time while
    # this process reads and keeps snapshots: once it stops, every read is exact
    if engine == "sqlite":
        where, store = str(path), request.getfixturevalue("store")
    else:
        where = request.getfixturevalue("pg_url")
        store = LabelStore(where, clock=clock)
        request.addfinalizer(store.close)
    store.append_many(task="t", items=range(300), annotator="a", label="pos",
                      fingerprints=[f"{i:016x}" for i in range(300)])  # fmt: skip
    store.append_many(task="t", items=range(300), annotator="b", label="neg")
    editor = child("edit", where, 300, seed)
    assert editor.line() == "ready"
    n_reads = 0
    while editor.process.poll() is None:
        store.annotations(task="t")
        store.annotations(task="t", annotator="a", source="annotator")
        resumed(store)
        n_reads += 1
    assert editor.line() == "done" and n_reads >= 5
    assert_same_as_reference(store.annotations(task="t"), reference(store, task="t"))
    assert_same_as_reference(
        store.annotations(task="t", annotator="a", source="annotator"),
        reference(store, task="t", annotator="a"),
    )
    assert resumed(store) == current_labels(store)


def test_a_process_killed_while_it_remembers_checks_leaves_each_label_checked(
    store, path, small, child
):
    resumer = child("label_and_resume", path)
    assert resumer.line() == "ready"
    time.sleep(1.0)  # many checks remembered by now; the kill lands in the middle of one
    resumer.kill()
    assert store._query("PRAGMA integrity_check") == [("ok",)]
    n = store._query("SELECT count(*) FROM nblabel_events WHERE annotator = 'k'")[0][0]
    assert kept_labels(store)  # what the resumes kept, read below with the labels after it
    frame = pd.DataFrame({"text": [f"text {i}" for i in range(100_000)]})
    prints = CountingPrints(frame, [0])
    session = LabelingSession(frame.index, store=store, task="t", annotator="k",
                              fingerprint=prints)  # fmt: skip
    assert session.progress.done == n and prints.hashed <= n
    # a row edited since: caught whatever the killed process remembered
    edited = frame.copy()
    edited.loc[0, "text"] = "edited"
    with pytest.warns(NblabelWarning, match="1 label was given to an item"):
        session = LabelingSession(edited.index, store=store, task="t", annotator="k",
                                  fingerprint=Fingerprinter(edited, [0]))  # fmt: skip
    assert session.changed_items == [0] and session.progress.done == n - 1


def test_a_process_killed_while_it_writes_snapshots_leaves_them_whole_or_gone(
    store, path, small, child
):
    fill(store)
    reader = child("label_and_read", path)
    assert reader.line() == "ready"
    time.sleep(1.0)  # many snapshots written by now; the kill lands in the middle of one
    reader.kill()
    assert store._query("PRAGMA integrity_check") == [("ok",)]
    for query in ({"task": "t"}, {"task": "t", "annotator": "k", "source": "annotator"}):
        pd.testing.assert_frame_equal(store.annotations(**query), every_row(store, **query))
    assert kept(store)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE nblabel_events SET item = '42', label = '\"changed\"' WHERE item = '1'"
        " AND annotator = 'a'",
        "DELETE FROM nblabel_events WHERE item = '1' AND annotator = 'a'",
        "INSERT INTO nblabel_events (id, task, item, annotator, action, label, created_at,"
        " source) VALUES (1, 't', '99', 'a', 'label', '\"early\"', 1.0, 'annotator')",
    ],
    ids=["update", "delete", "insert-below"],
)
@pytest.mark.parametrize("read", list(READS))
def test_another_program_changing_the_events_between_a_read_and_its_snapshot_drops_it(
    store, path, small, monkeypatch, statement, read
):
    store.append(task="t", item=0, annotator="z", label="pos")
    other_program(path, "DELETE FROM nblabel_events WHERE id = 1")  # room below
    store.append_many(task="t", items=range(8), annotator="a", label="pos")
    if read == "w.labels, again":  # a snapshot brought up to date: many events after it
        READS[read](store)
        monkeypatch.setattr(_snapshot, "MIN_ROWS", 2)
        store.append_many(task="t", items=range(8, 12), annotator="a", label="neg")
    write = _snapshot._write

    def changed_meanwhile(*args, **kwargs):  # after the read, before its snapshot is kept
        other_program(path, statement)
        return write(*args, **kwargs)

    monkeypatch.setattr(_snapshot, "_write", changed_meanwhile)
    READS[read](store)
    monkeypatch.setattr(_snapshot, "_write", write)
    labels = reference(store, task="t", annotator="a")
    assert_same_as_reference(store.annotations(task="t", annotator="a"), labels)
    assert resumed(store) == current_labels(store, fingerprinted=False)
    # nothing changed during these reads: they kept their snapshots, and read them back
    assert {json.loads(query)[0] == "labeled" for query, *_ in kept(store)} == {False, True}
    assert_same_as_reference(store.annotations(task="t", annotator="a"), labels)
    assert resumed(store) == current_labels(store, fingerprinted=False)


OLD_UPDATE_TRIGGER = (
    "CREATE TRIGGER nblabel_snapshots_on_update AFTER UPDATE ON nblabel_events"
    " BEGIN DELETE FROM nblabel_snapshots; END"
)


def test_a_store_with_the_triggers_of_an_earlier_release_gets_these_in_their_place(
    path, small, clock
):
    s = LabelStore(path, clock=clock)
    s.append(task="t", item=0, annotator="a", label="pos")
    s.close()
    other_program(  # what an earlier release made
        path,
        *(f"DROP TRIGGER {name}" for name in _snapshot.TRIGGERS),
        OLD_UPDATE_TRIGGER,
    )
    s = LabelStore(path, clock=clock)
    try:
        assert set(_snapshot.TRIGGERS) <= s._engine.triggers()
        assert not set(_snapshot.OLD_TRIGGERS) & s._engine.triggers()
        s.annotations(task="t")
        assert kept(s)
        other_program(path, "UPDATE nblabel_events SET label = '\"neg\"'")
        assert kept(s) == []
        assert s.annotations(task="t")["label"].tolist() == ["neg"]
        # an earlier release that opens it adds its own back: they drop every snapshot and
        # the token of change, so this release keeps none until it is opened for writing
        other_program(path, OLD_UPDATE_TRIGGER, "UPDATE nblabel_events SET label = '\"pos\"'")
        assert s.annotations(task="t")["label"].tolist() == ["pos"]
        assert kept(s) == []
    finally:
        s.close()
    s = LabelStore(path, clock=clock)
    try:
        assert not set(_snapshot.OLD_TRIGGERS) & s._engine.triggers()
        s.annotations(task="t")
        assert kept(s)
    finally:
        s.close()
