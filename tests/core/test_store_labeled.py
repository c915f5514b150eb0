"""What a resuming session reads: the items an annotator holds a current label on, as arrays
(``store.labeled_items``), agreeing with ``store.current`` through relabels and undos, on
both engines; the joined-text decoder under it; the index it is read through."""

from __future__ import annotations

import random
import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest

from nblabel import LabelStore, _snapshot
from nblabel._codec import decode, decode_joined, encode
from nblabel._fingerprint import Fingerprinter
from nblabel._session import LabelingSession


def held(store: LabelStore, task: str, annotator: str, source: str = "annotator") -> dict:
    items, prints = store.labeled_items(task, annotator, source)
    prints = [None] * len(items) if prints is None else prints.tolist()
    # keyed by stored text: True and 1 are one key of a dict, two ids of the store
    out = {encode(item): p for item, p in zip(items.tolist(), prints, strict=True)}
    assert len(out) == len(items), "an item came more than once"
    return out


def expected(store: LabelStore, task: str, annotator: str, source: str = "annotator") -> dict:
    return {key: c.fingerprint for key, c in store.current(task, annotator, source).items()}


@pytest.mark.parametrize("ids", ["whole", "text", "mixed"])
def test_labeled_items_agree_with_current_through_relabels_and_undos(store, ids):
    rng = random.Random(7)
    pool = {
        "whole": list(range(-3, 40)),
        "text": [f"doc {i}" for i in range(30)] + ['quote " and \\ slash', "é", "a\nb"],
        "mixed": [*range(10), "x", ("t", 1), 2.5, 10**20, True],
    }[ids]
    saved: list[int] = []
    for step in range(300):
        annotator = rng.choice(["a", "a", "a", "b"])
        source = rng.choice(["annotator"] * 5 + ["model"])
        if saved and rng.random() < 0.15:
            event_id = saved.pop(rng.randrange(len(saved)))
            store.undo(event_id, annotator=store.annotations(history=True).set_index(
                "event_id").loc[event_id, "annotator"])  # fmt: skip
            continue
        fingerprint = rng.choice([None, f"{step:016x}"])
        saved.append(store.append(task=rng.choice(["t", "t", "u"]), item=rng.choice(pool),
                                  annotator=annotator, label=step, source=source,
                                  fingerprint=fingerprint))  # fmt: skip
    for task in ("t", "u"):
        for annotator in ("a", "b"):
            for source in ("annotator", "model"):
                assert held(store, task, annotator, source) == expected(
                    store, task, annotator, source
                )


def test_whole_number_ids_come_as_int64_and_no_fingerprints_as_none(store):
    for item in [5, 3, 12, 3]:  # 3 relabeled
        store.append(task="t", item=item, annotator="a", label="x")
    items, prints = store.labeled_items("t", "a")
    assert items.dtype == np.int64 and sorted(items.tolist()) == [3, 5, 12]
    assert prints is None
    items, prints = store.labeled_items("t", "nobody")
    assert len(items) == 0 and prints is None


def test_an_undone_relabel_brings_the_older_fingerprint_back(store):
    store.append(task="t", item=1, annotator="a", label="x", fingerprint="a" * 16)
    newer = store.append(task="t", item=1, annotator="a", label="y", fingerprint="b" * 16)
    assert held(store, "t", "a") == {"1": "b" * 16}
    store.undo(newer, annotator="a")
    assert held(store, "t", "a") == {"1": "a" * 16}
    assert store.current_events("t", "a", [1, 2]) == [newer - 1, None]


@pytest.mark.parametrize(
    "values",
    [
        [0, 1, -7, 2**62],
        [2**63 - 1, 5],  # saturated by numpy: read one by one
        [10**20, -(10**20)],
        ["a", "b c", "", "é"],
        ['q"uote', "back\\slash", "line\nbreak", "\udcff"],
        [("x", 1), 1.5, True, None, "5", 5, pd.Timestamp("2024-01-01")],
    ],
)
def test_decode_joined_reads_back_what_encode_wrote(values):
    decoded, _ = decode_joined("\n".join(encode(v) for v in values))
    assert decoded.tolist() == values
    assert [type(v) for v in decoded.tolist()] == [type(v) for v in values]


def test_decode_joined_reads_whole_numbers_without_objects():
    decoded, texts = decode_joined("3\n-1\n12")
    assert decoded.dtype == np.int64 and decoded.tolist() == [3, -1, 12] and texts is None


def test_a_store_with_the_older_index_gets_the_covering_one_when_opened(tmp_path):
    path = tmp_path / "old.db"
    LabelStore(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP INDEX nblabel_events_current")
    db.execute("CREATE INDEX nblabel_events_by_annotator ON nblabel_events (task, annotator, item)")
    db.commit()
    db.close()
    with LabelStore(path) as store:
        store.append(task="t", item=1, annotator="a", label="x")
        assert "nblabel_events_current" in store._engine.indexes()
        assert "nblabel_events_by_annotator" not in store._engine.indexes()
        plan = store._query(
            "EXPLAIN QUERY PLAN SELECT item, fingerprint FROM nblabel_events WHERE task = ?"
            " AND annotator = ? AND source = ? AND action = 'label'",
            ("t", "a", "annotator"),
        )
        assert "COVERING INDEX nblabel_events_current" in plan[-1][-1]
        assert held(store, "t", "a") == {"1": None}


def test_a_session_resumes_from_the_arrays_past_relabels_and_undos(store):
    frame = pd.DataFrame({"text": [f"row {i}" for i in range(50)]}, index=range(100, 150))
    prints = Fingerprinter(frame, [0])
    s = LabelingSession(frame.index, store=store, task="t", annotator="a", fingerprint=prints)
    for _ in range(10):
        s.submit("x")
    s.submit("y", item=103)  # a relabel
    s.undo()  # ... undone: the first label of 103 is back
    event = s.submit("z", item=120)
    store.undo(event, annotator="a")  # from elsewhere: 120 is unlabeled again
    again = LabelingSession(frame.index, store=store, task="t", annotator="a", fingerprint=prints)
    assert again.progress.done == 10 and again.current == 110
    assert not again.is_labeled(20) and again.is_labeled(3)
    assert again.labels().index.tolist() == list(range(100, 110))


@pytest.mark.parametrize(
    "fingerprint",
    # the last looks like the end of one row and another whole one
    ["with\ttab", "with\nline break", "\n", "", 'fp\t9\n"7"\tfp'],
)
def test_a_fingerprint_another_program_wrote_with_a_tab_or_a_line_break_is_read_as_it_is(
    store, write_raw, fingerprint
):
    # what a read of every label joined as one text must not split wrong (items and
    # fingerprints out of step)
    frame = pd.DataFrame({"text": [f"text {i}" for i in range(4)]})
    prints = Fingerprinter(frame, [0])
    for item in range(4):
        store.append(task="t", item=item, annotator="a", label="x", fingerprint=prints.one(item))
    quoted = fingerprint.replace("'", "''")
    write_raw(f"UPDATE nblabel_events SET fingerprint = '{quoted}' WHERE item = '1'")
    assert expected(store, "t", "a")[encode(1)] == fingerprint
    # an empty fingerprint is none (a read of them joined by newlines cannot tell them apart)
    assert held(store, "t", "a") == {
        key: value or None for key, value in expected(store, "t", "a").items()
    }
    # the label under another program's fingerprint is set aside, unless it has none
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session = LabelingSession(frame.index, store=store, task="t", annotator="a",
                                  fingerprint=prints)  # fmt: skip
    assert session.progress.done == 4 - bool(fingerprint)
    assert session.changed_items == ([1] if fingerprint else [])
    assert len(caught) == bool(fingerprint)


@pytest.mark.parametrize("read", ["rows", "snapshot", "kept"])
def test_an_id_another_program_stored_as_a_text_json_does_not_read_is_that_text_everywhere(
    store, write_raw, monkeypatch, read
):
    # Python's int() reads each of these as a number (7, 7000, 7, -7): a bulk cast must not,
    # or a label would land on another row than decode() and store.current() say
    texts = ["+7", "7_000", "\u0667", "-007", " 8", "009", '"open', '"a"b"']
    store.append_many(task="t", items=range(4), annotator="a", label="pos")
    write_raw(*(
        "INSERT INTO nblabel_events (task, item, annotator, action, label, created_at, source)"
        f" VALUES ('t', '{text}', 'a', 'label', '\"neg\"', 1.0, 'annotator')"
        for text in texts
    ))  # fmt: skip
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1 if read != "rows" else 10**9)
    expected_ids = [0, 1, 2, 3, *texts[:4], 8, 9, *texts[6:]]  # " 8", "009": 8 and 9
    for _ in range(2 if read != "rows" else 1):  # kept, then read back
        table = store.annotations(task="t", annotator="a")
        assert sorted(map(repr, table["item"].tolist())) == sorted(map(repr, expected_ids))
        items, _ = store.labeled_items("t", "a")
        assert sorted(map(repr, items.tolist())) == sorted(map(repr, expected_ids))
        if read == "kept":
            store.annotations(task="t", annotator="a", source="annotator")
    current = [decode(text) for text in store.current("t", "a")]
    assert sorted(map(repr, current)) == sorted(map(repr, expected_ids))
    # a session over rows 0-9: "009" and " 8" are the ids 9 and 8; no label reaches row 7
    session = LabelingSession(pd.RangeIndex(10), store=store, task="t", annotator="a")
    assert sorted(session.labels().index.tolist()) == [0, 1, 2, 3, 8, 9]
    assert session.progress.done == 6
