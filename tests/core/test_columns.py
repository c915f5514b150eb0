"""Label events read as columns (``_columns``), chunk by chunk: the same table as reading every
row at once, and as a per-row reference, on stores of hostile values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nblabel import _columns, export
from nblabel._codec import decode
from nblabel._columns import Factorizer, factorize_texts


def objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# -- pure helpers ------------------------------------------------------------------------------
def test_factorize_texts_keeps_null_as_a_value_of_its_own():
    codes, uniques = factorize_texts(objects(['"a"', None, '"b"', None, '"a"']))
    assert codes.tolist() == [0, 2, 1, 2, 0]
    assert uniques.tolist() == ['"a"', '"b"', None]


def test_factorize_texts_of_nothing():
    codes, uniques = factorize_texts(objects([]))
    assert codes.tolist() == [] and uniques.tolist() == []


def test_factorize_texts_of_values_that_are_not_text():
    # a value a plain client stored as a number, not as text
    codes, uniques = factorize_texts(objects([5, '"5"', 5, 2.5]))
    assert codes.tolist() == [0, 1, 0, 2]
    assert uniques.tolist() == [5, '"5"', 2.5]


def test_factorizer_gives_one_code_per_text_across_chunks():
    f = Factorizer()
    first = f.add(objects(['"x"', "[1,2]", '"x"']))
    second = f.add(objects([None, "[1,2]", '"y"']))
    empty = f.add(objects([]))
    third = f.add(objects(['"y"', None]))
    uniques = f.uniques()
    assert first.tolist() == [0, 1, 0]
    assert second.tolist() == [3, 1, 2]  # None: the last of its chunk's uniques
    assert empty.tolist() == []
    assert third.tolist() == [2, 3]
    assert uniques.tolist() == ['"x"', "[1,2]", '"y"', None]
    # each code names the text it was given for
    given = ['"x"', "[1,2]", '"x"', None, "[1,2]", '"y"', '"y"', None]
    assert uniques[np.concatenate([first, second, third])].tolist() == given


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (np.array([5, 3, 5, -2, 9]), [5, 3, 5, -2, 9]),  # a dense range: coded without hashing
        (np.array([2**62, 0, 2**62, -(2**62)]), [2**62, 0, 2**62, -(2**62)]),  # far apart
        (objects(["7", "1", "7"]), [7, 1, 7]),  # stored texts of whole numbers: the numbers
        (objects(['"a"', "1", '"a"']), ['"a"', "1", '"a"']),  # not all whole: the texts
        (np.array([], dtype=np.int64), []),
    ],
)
def test_factorize_ids_codes_each_id_to_its_unique(given, expected):
    from nblabel._store import _factorize_ids

    codes, uniques = _factorize_ids(given)
    assert sorted(map(repr, uniques.tolist())) == sorted(map(repr, set(expected)))
    assert typed(uniques[codes].tolist()) == typed(expected)


# -- a hostile store ---------------------------------------------------------------------------
#: (item, label) of annotator a, in the order given: ids of four types (whole numbers first,
#: then text, a tuple, a float and a bool), labels of every kind, relabels and an undo
GIVEN = [
    (0, "pos"),
    (1, 1),
    (2, ["x", "y"]),
    (3, None),
    (1, 1.5),  # relabel: a float where an int was
    ("4", "pos"),  # text that looks like a whole number, beside the number 4 below
    (4, True),
    (("t", 1), {"box": [1, 2, 3, 4]}),
    (5.5, ["x", "y"]),
    (True, "neg"),
    (7, "café \udcff"),  # a lone surrogate
    (8, "line\nbreak"),
    (9, 0),
]


def fill(store) -> list[int]:
    ids = [store.append(task="t", item=i, annotator="a", label=v) for i, v in GIVEN]
    store.append(task="t", item=2, annotator="b", label=["z"], rationale="sure", duration_s=0.3)
    store.append(task="t", item=1, annotator="b", label="pos", source="review")
    store.append(task="u", item=1, annotator="a", label="other task")
    store.undo(ids[-1], annotator="a")  # item 9 has no current label left
    return ids


def reference(store, task=None, annotator=None, history=False) -> dict[str, list]:
    """annotations() computed the plain way, column by column: every row, decoded one by
    one (lists, not a DataFrame: no type inferred)."""
    rows = store._query(
        "SELECT id, task, item, annotator, label, rationale, created_at, duration_s, source"
        " FROM nblabel_events WHERE action = 'label' ORDER BY id"
    )
    undone = {r[0] for r in store._query(
        "SELECT target FROM nblabel_events WHERE target IS NOT NULL"
    )}  # fmt: skip
    newest = {}
    for row in rows:
        if row[0] not in undone:
            newest[(row[1], row[2], row[3], row[8])] = row[0]
    out = []
    for event_id, t, item, a, label, rationale, created, duration, source in rows:
        if (task is not None and t != task) or (annotator is not None and a != annotator):
            continue
        current = newest.get((t, item, a, source)) == event_id
        if not history and not current:
            continue
        out.append({
            "task": t, "item": decode(item), "annotator": a, "label": decode(label),
            "rationale": rationale, "created_at": created, "duration_s": duration,
            "source": source, "event_id": event_id,
            "status": "undone" if event_id in undone else "current" if current else "overwritten",
        })  # fmt: skip
    return {k: [row[k] for row in out] for k in out[0]}


def typed(values) -> list:
    """Values with their types: 1, 1.0 and True are three different labels."""
    return [(type(v).__name__, repr(v)) for v in values]


def assert_same_as_reference(table: pd.DataFrame, expected: dict[str, list]) -> None:
    assert table["event_id"].tolist() == expected["event_id"]
    for column in ("task", "item", "annotator", "label", "rationale", "source"):
        assert typed(table[column]) == typed(expected[column]), column
    assert table["created_at"].equals(
        pd.Series(pd.to_datetime(np.array(expected["created_at"]), unit="s", utc=True))
    )
    durations = [None if np.isnan(d) else d for d in table["duration_s"]]
    assert typed(durations) == typed(expected["duration_s"])
    if "status" in table:
        assert table["status"].tolist() == expected["status"]


@pytest.mark.parametrize("chunk", [1, 3, 1_000])
@pytest.mark.parametrize(
    "query",
    [{}, {"task": "t"}, {"task": "t", "annotator": "a"}, {"task": "t", "history": True}],
    ids=["all", "task", "task-annotator", "history"],
)
def test_annotations_read_in_chunks_equal_a_row_by_row_reference(store, monkeypatch, chunk, query):
    fill(store)
    monkeypatch.setattr(_columns, "_CHUNK", chunk)
    table = store.annotations(**query)
    assert_same_as_reference(table, reference(store, **query))


def test_ids_of_two_types_in_different_chunks_are_read_as_their_texts(store, monkeypatch):
    # whole numbers fill the first chunks; the text id comes in a later one
    for item in range(5):
        store.append(task="t", item=item, annotator="a", label="pos")
    store.append(task="t", item="5", annotator="a", label="neg")
    store.append(task="t", item=5, annotator="a", label="neg")
    monkeypatch.setattr(_columns, "_CHUNK", 2)
    table = store.annotations(task="t")
    assert typed(table["item"]) == typed([0, 1, 2, 3, 4, "5", 5])
    assert_same_as_reference(table, reference(store, task="t"))


def test_text_ids_first_then_whole_numbers(store, monkeypatch):
    store.append(task="t", item="b", annotator="a", label="pos")
    store.append(task="t", item="a", annotator="a", label="pos")
    for item in range(4):
        store.append(task="t", item=item, annotator="a", label="neg")
    monkeypatch.setattr(_columns, "_CHUNK", 2)
    table = store.annotations(task="t")
    assert typed(table["item"]) == typed(["b", "a", 0, 1, 2, 3])


def test_a_list_label_is_never_shared_between_rows(store, monkeypatch):
    for item in range(4):
        store.append(task="t", item=item, annotator="a", label=["x"])
    monkeypatch.setattr(_columns, "_CHUNK", 3)
    labels = store.annotations(task="t")["label"]
    labels.iloc[0].append("changed")
    assert labels.tolist() == [["x", "changed"], ["x"], ["x"], ["x"]]


def test_a_null_label_written_by_another_client_reads_as_none(store, write_raw, monkeypatch):
    store.append(task="t", item=0, annotator="a", label="pos")
    write_raw(
        "INSERT INTO nblabel_events (task, item, annotator, action, label, created_at, source)"
        " VALUES ('t', '1', 'a', 'label', NULL, 1704067300.25, 'annotator')"
    )
    monkeypatch.setattr(_columns, "_CHUNK", 1)
    table = store.annotations(task="t")
    assert typed(table["label"]) == typed(["pos", None])
    assert_same_as_reference(table, reference(store, task="t"))


def test_no_events_reads_as_the_empty_table(store):
    store.append(task="t", item=0, annotator="a", label="pos")
    table = store.annotations(task="t", annotator="nobody")
    assert len(table) == 0
    assert (
        table.dtypes.astype(str).tolist()
        == store.annotations(task="none").dtypes.astype(str).tolist()
    )


# -- export.table: the file is the same, whatever the chunks ------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_in_chunks_writes_the_same_file_as_in_one_read(store, tmp_path, monkeypatch, suffix):
    fill(store)
    monkeypatch.setattr(_columns, "_CHUNK", 10**9)  # every row in one chunk
    one = export.table(store, "t", tmp_path / f"one{suffix}", history=True)
    monkeypatch.setattr(_columns, "_CHUNK", 2)
    chunked = export.table(store, "t", tmp_path / f"chunked{suffix}", history=True)
    assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"chunked{suffix}").read_bytes()
    pd.testing.assert_frame_equal(one, chunked)
    if suffix == ".parquet":
        back = pd.read_parquet(tmp_path / f"chunked{suffix}")
        # mixed ids and labels are written as JSON text, one type per column
        assert back["item"].tolist()[:3] == ["0", "1", "2"]
        assert back["label"].tolist()[:3] == ['"pos"', "1", '["x","y"]']


# -- w.labels: the session's table of its annotator's labels -----------------------------------
@pytest.mark.parametrize("chunk", [2, 1_000])
def test_session_labels_of_mixed_ids_and_labels_in_data_order(store, monkeypatch, chunk):
    from nblabel._session import LabelingSession

    ids = fill(store)
    # an index finds the stored id True at the row of 1 (True == 1): that label is undone
    store.undo(ids[GIVEN.index((True, "neg"))], annotator="a")
    # the data: some of the stored ids, in another order, and ids never labeled; ("t", 1) is
    # stored but no longer in the data
    items = pd.Index([9, "4", 4, 0, 1, 2, 3, 5.5, 7, 8, "never"], dtype=object)
    monkeypatch.setattr(_columns, "_CHUNK", chunk)
    labels = LabelingSession(items, store=store, task="t", annotator="a").labels()
    assert list(labels.columns) == ["label", "annotator", "labeled_at", "rationale", "duration_s"]
    # data order; item 9's only label was undone
    assert typed(labels.index) == typed(["4", 4, 0, 1, 2, 3, 5.5, 7, 8])
    assert typed(labels["label"]) == typed([
        "pos", True, "pos", 1.5, ["x", "y"], None, ["x", "y"], "café \udcff", "line\nbreak"
    ])  # fmt: skip
    assert labels["label"].loc[2] is not labels["label"].loc[5.5]  # lists are not shared
    assert labels["annotator"].tolist() == ["a"] * 9
    assert labels["rationale"].isna().all()
    assert labels["labeled_at"].dtype == store.annotations(task="t")["created_at"].dtype
    expected = reference(store, task="t", annotator="a")
    created = dict(zip(map(repr, expected["item"]), expected["created_at"], strict=True))
    for item, at in labels["labeled_at"].items():
        assert at == pd.Timestamp(created[repr(item)], unit="s", tz="UTC")


def test_session_labels_chunked_equal_one_read(store, monkeypatch):
    from nblabel._session import LabelingSession

    ids = fill(store)
    store.undo(ids[GIVEN.index((True, "neg"))], annotator="a")
    items = pd.Index([0, 1, 2, 3, "4", 4, 5.5, 7, 8, 9], dtype=object)
    monkeypatch.setattr(_columns, "_CHUNK", 10**9)
    one = LabelingSession(items, store=store, task="t", annotator="a").labels()
    monkeypatch.setattr(_columns, "_CHUNK", 1)
    chunked = LabelingSession(items, store=store, task="t", annotator="a").labels()
    pd.testing.assert_frame_equal(one, chunked)
    assert typed(one["label"]) == typed(chunked["label"])


# -- the grouped columns as one number per row ---------------------------------------------------
#: annotators and sources whose names SQL or a placeholder could mistake for syntax
HOSTILE_NAMES = ["a", "b", "o'brien", "?", "%s", "ünï", " a", "a ", "A", "\u00e9", "e\u0301"]
#: the columns a query leaves open, with the filter that fixes the others
GROUPINGS = [
    (["source"], "action = 'label' AND task = ? AND annotator = ?", ["t", "a"]),
    (["annotator", "source"], "action = 'label' AND task = ?", ["t"]),
    (["task", "annotator", "source"], "action = 'label'", []),
]


def fill_groups(store) -> None:
    fill(store)
    for n, name in enumerate(HOSTILE_NAMES):
        store.append(task="t", item=n, annotator=name, label="pos", source=name)
        store.append(task="t", item=n, annotator="a", label="neg", source=name)
    for name in HOSTILE_NAMES[2:5]:  # a few tasks too: within the values coded in SQL
        store.append(task=name, item=0, annotator=name, label=0)
    store.undo(store.append(task="t", item=0, annotator="undone only", label="x"),
               annotator="undone only")  # fmt: skip


@pytest.mark.parametrize(
    ("grouped", "where", "params"), GROUPINGS, ids=["source", "annotator-source", "all"]
)
def test_grouped_columns_coded_in_sql_read_as_their_texts(store, monkeypatch, grouped, where,
                                                          params):  # fmt: skip
    fill_groups(store)
    engine = store._engine
    found = _columns._group_combinations(engine, where, params, grouped)
    rows = store._query(f"SELECT DISTINCT {', '.join(grouped)} FROM nblabel_events WHERE {where}",
                        tuple(params))  # fmt: skip
    assert found is not None and sorted(found) == sorted(map(tuple, rows))
    monkeypatch.setattr(_columns, "_CHUNK", 4)
    coded = _columns.read_event_columns(engine, where, params, grouped)
    plain = _columns.read_event_columns(engine, where, params, grouped, scan_groups=False)
    assert coded.event_ids.tolist() == plain.event_ids.tolist()
    for column in grouped:
        # the same codes, numbered in the order read: not just the same values
        assert coded.groups[column][0].tolist() == plain.groups[column][0].tolist(), column
        assert coded.groups[column][1].tolist() == plain.groups[column][1].tolist(), column
    assert coded.fingerprints.tolist() == [None] * len(coded)  # not fetched: NULL each


@pytest.mark.parametrize("limit", ["MOST_GROUPS", "MOST_VALUES"])
def test_annotations_with_too_many_combinations_read_them_as_texts(store, monkeypatch, limit):
    fill_groups(store)
    monkeypatch.setattr(_columns, limit, 3)
    assert _columns._group_combinations(store._engine, *GROUPINGS[1][1:], ["annotator", "source"]) \
        is None  # fmt: skip
    for query in ({}, {"task": "t"}):
        assert_same_as_reference(store.annotations(**query), reference(store, **query))


def test_a_combination_written_after_the_scan_is_read_as_text(store, monkeypatch):
    fill_groups(store)
    scan = _columns._group_combinations
    # the scan missed one combination (written between it and the read): its rows come as
    # NULL, and the whole read is made again as texts
    monkeypatch.setattr(_columns, "_group_combinations", lambda *a: scan(*a)[1:])
    monkeypatch.setattr(_columns, "_CHUNK", 3)
    for query in ({}, {"task": "t"}, {"task": "t", "history": True}):
        assert_same_as_reference(store.annotations(**query), reference(store, **query))


def test_a_store_without_the_index_reads_groups_as_texts(store):
    fill_groups(store)

    class WithoutIndex:  # a store made before the index, opened read-only
        def __init__(self, engine):
            self.engine = engine

        def __getattr__(self, name):
            return getattr(self.engine, name)

        def indexes(self):
            return self.engine.indexes() - {"nblabel_events_current"}

    where, params = GROUPINGS[1][1:]
    engine = WithoutIndex(store._engine)
    assert _columns._group_combinations(engine, where, params, ["annotator", "source"]) is None
    read = _columns.read_event_columns(engine, where, params, ["annotator", "source"])
    assert len(read) == len(store.annotations(task="t", history=True))


def test_groups_not_at_the_end_of_the_index_are_read_as_texts(store):
    fill_groups(store)
    # annotator fixed, task and source open: the index cannot seek from one task to the next
    found = _columns._group_combinations(
        store._engine, "action = 'label' AND annotator = ?", ["a"], ["task", "source"]
    )
    assert found is None
    assert_same_as_reference(store.annotations(annotator="a"), reference(store, annotator="a"))


def test_each_seek_of_the_scan_is_a_search_of_the_index(store, store_url):
    fill_groups(store)
    engine = store._engine
    asked = []

    class Recording:
        def __getattr__(self, name):
            return getattr(engine, name)

        def read(self, sql, params=(), **kwargs):
            asked.append((sql, list(params)))
            return engine.read(sql, params, **kwargs)

    for grouped, where, params in GROUPINGS:
        before = len(asked)
        assert _columns._group_combinations(Recording(), where, params, grouped)
        if "://" in store_url:  # PostgreSQL seeks past a row value: one query, one round trip
            assert len(asked) == before + 1, asked[before:]
    if "://" in store_url:
        return  # its plans depend on the table's size: the tables here are scanned whole
    assert len(asked) > len(HOSTILE_NAMES)
    for sql, params in asked:
        plan = " ".join(row[-1] for row in engine.read(f"EXPLAIN QUERY PLAN {sql}", params))
        # in the index's order (no sort), its first entry; from a value on, a seek past it
        assert "COVERING INDEX nblabel_events_current" in plan and "TEMP" not in plan, plan
        if " > ?" in sql:
            assert plan.startswith("SEARCH") and ">?)" in plan.replace(" ", ""), (sql, plan)


def test_each_engine_hands_rows_over_a_chunk_at_a_time(store):
    for item in range(5):
        store.append(task="t", item=item, annotator="a", label="pos")
    chunks = []
    # a copy of each chunk: the reader may clear its list once consumed
    store._engine.read_chunks(
        "SELECT item FROM nblabel_events WHERE task = ? ORDER BY id", ["t"],
        lambda rows: chunks.append([tuple(r) for r in rows]), 2,
    )  # fmt: skip
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert [r[0] for c in chunks for r in c] == ["0", "1", "2", "3", "4"]
