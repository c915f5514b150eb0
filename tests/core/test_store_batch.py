"""Bulk labels: ``append_many`` writes one annotation per item in one transaction (all or
none), ``undo_many`` takes a whole batch back in one transaction (all or none)."""

from __future__ import annotations

import json

import pytest

from nblabel import LabelStore, NblabelError, StoreError


def test_append_many_stores_one_event_per_item_with_the_batch_meta(tmp_path):
    with LabelStore(tmp_path / "s.db") as store:
        store.append(task="t", item="before", annotator="a", label="x")
        prints = [f"f{i}" for i in range(1000)]
        ids = store.append_many(task="t", items=range(1000), annotator="a", label="spam",
                                meta={"batch": "b1"}, fingerprints=prints)  # fmt: skip
        assert len(ids) == 1000 and ids == list(range(ids[0], ids[0] + 1000))
        current = store.current("t", "a")
        assert {current[str(i)].label for i in range(1000)} == {"spam"}
        assert current["999"].event_id == ids[-1] and current["999"].fingerprint == "f999"
        rows = store._query("SELECT item, meta FROM nblabel_events WHERE id = ?", (ids[3],))
        assert rows[0][0] == "3" and json.loads(rows[0][1])["batch"] == "b1"
        # each call's rows carry an id of their own: two batches alike never mix
        again = store.append_many(task="t", items=range(3), annotator="a", label="spam",
                                  meta={"batch": "b1"})  # fmt: skip
        assert again == list(range(ids[-1] + 1, ids[-1] + 4))
        assert store.append_many(task="t", items=[], annotator="a", label="spam") == []


def test_append_many_writes_nothing_when_one_row_fails(tmp_path):
    with LabelStore(tmp_path / "s.db") as store:
        with pytest.raises(NblabelError, match="2 fingerprints for 3 items"):
            store.append_many(task="t", items=[1, 2, 3], annotator="a", label="x",
                              fingerprints=["a", "b"])  # fmt: skip
        # a value of the wrong type is refused before anything is written
        with pytest.raises(NblabelError, match="fingerprints="):
            store.append_many(task="t", items=[1, 2, 3], annotator="a", label="x",
                              fingerprints=["a", "b", object()])  # fmt: skip
        # SQLite refuses the third row (a trigger, as another program may add): the two
        # before it are rolled back
        store._engine.execute(
            "CREATE TRIGGER refuse_3 BEFORE INSERT ON nblabel_events WHEN NEW.item = '3'"
            " BEGIN SELECT RAISE(ABORT, 'item 3 refused'); END", ()
        )  # fmt: skip
        with pytest.raises(StoreError, match="item 3 refused"):
            store.append_many(task="t", items=[1, 2, 3], annotator="a", label="x")
        store._engine.execute("DROP TRIGGER refuse_3", ())
        assert store.annotations().empty
        ids = store.append_many(task="t", items=[1, 2], annotator="a", label="x")
        assert len(store.annotations()) == 2 and len(ids) == 2  # the store goes on


def test_undo_many_takes_a_batch_back_at_once_or_not_at_all(tmp_path):
    with LabelStore(tmp_path / "s.db") as store:
        first = store.append_many(task="t", items=["a", "b"], annotator="x", label="ham")
        batch = store.append_many(task="t", items=["a", "b", "c"], annotator="x", label="spam")
        undone = store.undo_many(batch, annotator="x")
        assert len(undone) == 3
        labels = store.annotations(task="t").set_index("item")["label"].to_dict()
        assert labels == {"a": "ham", "b": "ham"}  # the labels before the batch are back
        with pytest.raises(NblabelError, match="nothing of this batch was undone"):
            store.undo_many([first[0], batch[0]], annotator="x")  # the second is undone already
        assert len(store.annotations(task="t")) == 2  # first[0] was not undone either
        with pytest.raises(NblabelError, match="twice"):
            store.undo_many([first[0], first[0]], annotator="x")


def test_a_batch_and_its_undo_on_either_engine(store):
    # the store fixture runs this on SQLite and on PostgreSQL
    ids = store.append_many(task="t", items=["a", "b", "c"], annotator="ann", label="spam",
                            meta={"batch": "x"})  # fmt: skip
    assert sorted(store.current("t", "ann")) == ['"a"', '"b"', '"c"']
    undone = store.undo_many(ids[:2], annotator="ann")
    assert len(undone) == 2 and min(undone) > max(ids)
    assert sorted(store.current("t", "ann")) == ['"c"']
    with pytest.raises(NblabelError, match="undone already: nothing of this batch"):
        store.undo_many([ids[2], ids[0]], annotator="ann")
    assert sorted(store.current("t", "ann")) == ['"c"']  # all or nothing


def test_append_many_with_a_label_per_item_and_a_reason(tmp_path):
    with LabelStore(tmp_path / "s.db") as store:
        ids = store.append_many(task="t", items=["a", "b", "c"], annotator="x",
                                labels=["cat", "dog", "cat"], rationale="by eye",
                                duration_s=1.5)  # fmt: skip
        frame = store.annotations(task="t").set_index("item")
        assert frame["label"].to_dict() == {"a": "cat", "b": "dog", "c": "cat"}
        assert set(frame["rationale"]) == {"by eye"} and set(frame["duration_s"]) == {1.5}
        rows = store._query("SELECT DISTINCT meta FROM nblabel_events WHERE id IN (?, ?, ?)", ids)
        assert len(rows) == 1 and json.loads(rows[0][0])["bulk"]  # one batch id for all three
        with pytest.raises(NblabelError, match="2 labels for 3 items"):
            store.append_many(task="t", items=[1, 2, 3], annotator="x", labels=["a", "b"])
        with pytest.raises(NblabelError, match="not both"):
            store.append_many(task="t", items=[1], annotator="x", label="a", labels=["a"])
        assert len(store.annotations(task="t")) == 3
