"""The store is the one durable record: opening must never damage a file that is not ours,
events are append-only, and what goes in comes back exactly (ids, labels, times)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from nblabel import LabelStore, NblabelError
from nblabel._store import ANNOTATION_COLUMNS, SCHEMA_VERSION

REQUIRED_COLUMNS = [
    "task", "item", "annotator", "label", "rationale", "created_at", "duration_s", "source",
]  # fmt: skip


def event_count(path: Path) -> int:
    """Rows of the event log, read with plain sqlite3 so the store cannot hide any."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM nblabel_events").fetchone()[0]


# -- opening ---------------------------------------------------------------------------------
def test_a_missing_store_is_created_as_an_nblabel_database(store_url, read_raw):
    with LabelStore(store_url) as store:
        assert store.tasks() == []
        assert list(store.annotations().columns[: len(REQUIRED_COLUMNS)]) == REQUIRED_COLUMNS
    assert dict(read_raw("SELECT key, value FROM nblabel_meta")) == {
        "format": "nblabel", "schema_version": str(SCHEMA_VERSION),
    }  # fmt: skip
    with LabelStore(store_url) as again:  # and it opens again as ours
        assert again.url == store.url
        if again.path is not None:
            assert again.path == Path(store_url).resolve()


def test_an_empty_file_is_taken_as_new(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with LabelStore(path) as store:
        store.append(task="t", item=1, annotator="a", label="x")
    assert event_count(path) == 1


def test_an_empty_sqlite_database_is_taken_as_new(tmp_path):
    path = tmp_path / "blank.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 3")  # a valid SQLite file with no tables
    db.close()
    with LabelStore(path) as store:
        store.append(task="t", item=1, annotator="a", label="x")
    assert event_count(path) == 1


def test_sqlite_urls_relative_and_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with LabelStore("sqlite:///rel.db") as relative:
        assert relative.path == (tmp_path / "rel.db").resolve()
        relative.append(task="t", item=1, annotator="a", label="x")
    absolute_path = tmp_path / "sub" / "abs.db"
    absolute_path.parent.mkdir()
    with LabelStore(f"sqlite:///{absolute_path}") as absolute:
        assert absolute.path == absolute_path.resolve()
        # the URL a store reports opens the same file
        with LabelStore(absolute.url) as same:
            assert same.path == absolute.path
    assert (tmp_path / "rel.db").exists() and absolute_path.exists()


@pytest.mark.parametrize("url", ["mysql://h/db", "sqlite://", "sqlite:///"])
def test_other_urls_are_refused_with_the_accepted_forms(url):
    with pytest.raises(NblabelError, match="sqlite:///"):
        LabelStore(url)


def test_the_store_url_variable_names_the_store_when_none_is_given(
    store_url, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBLABEL_STORE_URL", store_url)
    with LabelStore() as store:
        store.append(task="t", item=1, annotator="a", label="x")
    with LabelStore(store_url) as again:
        assert again.current_label("t", 1, "a").label == "x"
    assert not (tmp_path / "nblabel.db").exists()
    monkeypatch.delenv("NBLABEL_STORE_URL")
    with LabelStore() as default:
        assert default.path == (tmp_path / "nblabel.db").resolve()


def test_bad_durability_is_refused(tmp_path):
    with pytest.raises(NblabelError, match="durability"):
        LabelStore(tmp_path / "x.db", durability="fast")


def _unchanged_after_refusal(path: Path, match: str) -> None:
    before = path.read_bytes()
    with pytest.raises(NblabelError, match=match):
        LabelStore(path)
    assert path.read_bytes() == before


def test_a_text_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("my notes, not a database\n" * 10)
    _unchanged_after_refusal(path, "not an nblabel database.*never overwrites")


def test_a_short_text_file_is_refused_and_left_alone(tmp_path):
    # shorter than the 16-byte SQLite header
    path = tmp_path / "tiny.db"
    path.write_bytes(b"hi")
    _unchanged_after_refusal(path, "not an nblabel database")


def _foreign_db(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
        db.execute("INSERT INTO customers VALUES (1, 'Ada')")
    db.close()


def test_a_foreign_sqlite_database_is_refused_naming_its_tables(tmp_path):
    path = tmp_path / "shop.db"
    _foreign_db(path)
    with pytest.raises(NblabelError, match=r"something else.*customers"):
        LabelStore(path)
    with sqlite3.connect(path) as db:  # its data is intact and it got no tables of ours
        assert db.execute("SELECT name FROM customers").fetchall() == [("Ada",)]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert tables == {"customers"}


def test_a_foreign_sqlite_database_keeps_its_bytes(tmp_path):
    path = tmp_path / "shop.db"
    _foreign_db(path)
    _unchanged_after_refusal(path, "something else")


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(NblabelError, match="is a directory"):
        LabelStore(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_refused_not_created(tmp_path):
    with pytest.raises(NblabelError, match="does not exist"):
        LabelStore(tmp_path / "nope" / "labels.db")
    assert not (tmp_path / "nope").exists()


def test_a_store_from_a_newer_nblabel_is_refused(store_url, write_raw, read_raw):
    with LabelStore(store_url) as store:
        store.append(task="t", item=1, annotator="a", label="x")
    write_raw("UPDATE nblabel_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(NblabelError, match=r"newer nblabel \(schema 999.*upgrade nblabel"):
        LabelStore(store_url)
    # refused, not touched
    assert read_raw("SELECT value FROM nblabel_meta WHERE key = 'schema_version'") == [("999",)]
    assert read_raw("SELECT COUNT(*) FROM nblabel_events") == [(1,)]


# -- writing and reading ---------------------------------------------------------------------
def test_append_returns_increasing_event_ids_and_reads_back(store):
    first = store.append(task="t", item=1, annotator="a", label="x", rationale="why")
    second = store.append(task="t", item=2, annotator="a", label="y", duration_s=1.5)
    assert second > first
    table = store.annotations(task="t")
    assert list(table.columns) == ANNOTATION_COLUMNS
    assert table["item"].tolist() == [1, 2]
    assert table["label"].tolist() == ["x", "y"]
    assert table["rationale"].iloc[0] == "why" and pd.isna(table["rationale"].iloc[1])
    assert table["duration_s"].iloc[1] == 1.5 and pd.isna(table["duration_s"].iloc[0])
    assert table["source"].tolist() == ["annotator", "annotator"]
    assert table["event_id"].tolist() == [first, second]


def test_created_at_is_utc_and_follows_the_injected_clock(store_url, make_clock):
    clock = make_clock(start=pd.Timestamp("2024-01-01", tz="UTC").timestamp())
    with LabelStore(store_url, clock=clock) as store:
        store.append(task="t", item=1, annotator="a", label="x")
        clock.tick(90.25)
        store.append(task="t", item=2, annotator="a", label="x")
        created = store.annotations()["created_at"]
    assert str(created.dt.tz) == "UTC"
    assert created.iloc[0] == pd.Timestamp("2024-01-01 00:00:00", tz="UTC")
    assert (created.iloc[1] - created.iloc[0]).total_seconds() == pytest.approx(90.25)


ITEMS = [
    0, -7, 2**62, "a", "", "日本語 🙂", ("x", 1), ("x", ("nested", 2)),
    pd.Timestamp("2024-05-06 07:08:09"), pd.Timestamp("2024-05-06", tz="UTC"),
]  # fmt: skip
LABELS = ["pos", 3, 0.25, True, False, ["a", "b"], [], {"x0": 1, "tags": ["q"]}, None, "0"]


@pytest.mark.parametrize(("item", "label"), list(zip(ITEMS, LABELS, strict=True)))
def test_ids_and_labels_round_trip_exactly(store, item, label):
    store.append(task="t", item=item, annotator="a", label=label)
    table = store.annotations(task="t")
    # tolist() turns pandas' numpy scalars back into Python ones, as users would
    (got_item,), (got_label,) = table["item"].tolist(), table["label"].tolist()
    assert type(got_item) is type(item) and got_item == item
    assert type(got_label) is type(label) and got_label == label
    held = store.current_label("t", item, "a")
    assert held is not None and held.label == label and held.item == item


def test_relabel_overwrites_and_undo_brings_the_previous_label_back(store):
    first = store.append(task="t", item="i", annotator="a", label="x")
    second = store.append(task="t", item="i", annotator="a", label="y")
    assert store.current_label("t", "i", "a").label == "y"
    assert store.annotations()["label"].tolist() == ["y"]
    store.undo(second, annotator="a")
    held = store.current_label("t", "i", "a")
    assert (held.event_id, held.label) == (first, "x")
    store.undo(first, annotator="a")
    assert store.current_label("t", "i", "a") is None
    assert store.annotations().empty


def test_history_gives_every_label_event_with_its_status(store):
    a = store.append(task="t", item=1, annotator="a", label="x")
    b = store.append(task="t", item=1, annotator="a", label="y")
    c = store.append(task="t", item=2, annotator="a", label="z")
    store.undo(c, annotator="a")
    history = store.annotations(task="t", history=True)
    assert history["event_id"].tolist() == [a, b, c]
    assert history["status"].tolist() == ["overwritten", "current", "undone"]
    assert set(REQUIRED_COLUMNS) <= set(history.columns)


def test_events_are_append_only(store, read_raw):
    """Every write adds exactly one row and none is ever removed or changed."""

    def count() -> int:
        return read_raw("SELECT COUNT(*) FROM nblabel_events")[0][0]

    counts = [count()]
    e1 = store.append(task="t", item=1, annotator="a", label="x")
    counts.append(count())
    e2 = store.append(task="t", item=1, annotator="a", label="y")
    counts.append(count())
    store.undo(e2, annotator="a")
    counts.append(count())
    store.undo(e1, annotator="a")
    counts.append(count())
    assert counts == [0, 1, 2, 3, 4]
    rows = read_raw("SELECT id, action, label FROM nblabel_events ORDER BY id")
    assert [(r[1], r[2]) for r in rows] == [
        ("label", '"x"'), ("label", '"y"'), ("undo", None), ("undo", None),
    ]  # fmt: skip


def test_undo_of_something_that_is_not_a_label_event_is_refused(store):
    event = store.append(task="t", item=1, annotator="a", label="x")
    undo = store.undo(event, annotator="a")
    with pytest.raises(NblabelError, match="no label event"):
        store.undo(undo, annotator="a")
    with pytest.raises(NblabelError, match="no label event"):
        store.undo(10_000, annotator="a")


def test_annotations_filter_by_task_annotator_and_source(store):
    store.append(task="t1", item=1, annotator="a", label="x")
    store.append(task="t1", item=1, annotator="b", label="y")
    store.append(task="t2", item=1, annotator="a", label="z", source="model")
    assert store.tasks() == ["t1", "t2"]
    assert store.annotations(task="t1")["annotator"].tolist() == ["a", "b"]
    assert store.annotations(annotator="a")["label"].tolist() == ["x", "z"]
    assert store.annotations(source="model")["label"].tolist() == ["z"]
    assert store.annotations(task="t3").empty


@pytest.mark.parametrize("filters", [{}, {"task": 'a "t", b'}, {"annotator": "ann\\\x1f"},
                                     {"source": "m,1"}, {"task": "t", "annotator": "ann"}])
def test_annotations_keep_names_apart_whatever_they_hold(store, filters):
    # task, annotator and source are read together per row: quotes, commas, backslashes,
    # control characters and non-ASCII names must come back as they are, never mixed up
    tasks, annotators = ['a "t", b', "t", "ünï"], ["ann\\\x1f", "ann", "b\u200f"]
    sources = ["m,1", "s"]
    expected = []
    for n, (task, who, source) in enumerate(
        (t, a, s) for t in tasks for a in annotators for s in sources
    ):
        store.append(task=task, item=n % 3, annotator=who, label=n, source=source)
        expected.append((task, n % 3, who, n, source))
    got = store.annotations(**filters)
    wanted = [
        row for row in expected
        if all(row[("task", "item", "annotator", "label", "source").index(k)] == v
               for k, v in filters.items())
    ]  # fmt: skip
    assert list(got[["task", "item", "annotator", "label", "source"]].itertuples(
        index=False, name=None)) == wanted


def test_annotators_and_sources_hold_labels_apart(store):
    store.append(task="t", item=1, annotator="a", label="x")
    store.append(task="t", item=1, annotator="b", label="y")
    store.append(task="t", item=1, annotator="a", label="m", source="model")
    assert store.current_label("t", 1, "a").label == "x"
    assert store.current_label("t", 1, "b").label == "y"
    assert store.current_label("t", 1, "a", source="model").label == "m"
    assert len(store.annotations(task="t")) == 3  # none overwrites another


def test_current_is_keyed_by_encoded_id(store):
    store.append(task="t", item=("a", 1), annotator="u", label="x")
    store.append(task="t", item=5, annotator="u", label="y")
    store.append(task="t", item=5, annotator="u", label="z")
    current = store.current("t", "u")
    assert set(current) == {'{"$tuple":["a",1]}', "5"}
    assert current["5"].label == "z" and current['{"$tuple":["a",1]}'].item == ("a", 1)


def test_last_label_event_skips_undone_events(store):
    assert store.last_label_event("t", "a") is None
    e1 = store.append(task="t", item=1, annotator="a", label="x")
    e2 = store.append(task="t", item=2, annotator="a", label="x")
    store.append(task="t", item=3, annotator="b", label="x")  # someone else's
    assert store.last_label_event("t", "a") == e2
    store.undo(e2, annotator="a")
    assert store.last_label_event("t", "a") == e1
    assert store.item_of(e2) == 2
    with pytest.raises(NblabelError, match="no event"):
        store.item_of(10_000)


def test_two_stores_on_one_file_see_each_others_writes(store_url):
    """Two kernels labeling into one file (or one database)."""
    with LabelStore(store_url) as one, LabelStore(store_url) as two:
        event = one.append(task="t", item=1, annotator="a", label="x")
        assert two.current_label("t", 1, "a").label == "x"
        two.append(task="t", item=2, annotator="b", label="y")
        assert one.annotations(task="t")["item"].tolist() == [1, 2]
        two.undo(event, annotator="a")
        assert one.current_label("t", 1, "a") is None


def test_labels_survive_closing_and_reopening(store_url):
    with LabelStore(store_url) as store:
        store.append(task="t", item=("a", 2), annotator="a", label=["p", "q"])
    with LabelStore(store_url, durability="full") as reopened:
        assert reopened.current_label("t", ("a", 2), "a").label == ["p", "q"]


def test_non_finite_label_is_refused_and_nothing_is_written(store, read_raw):
    with pytest.raises(NblabelError, match="finite"):
        store.append(task="t", item=1, annotator="a", label=float("nan"))
    assert read_raw("SELECT COUNT(*) FROM nblabel_events") == [(0,)]


def test_repr_is_cheap_and_names_the_file(store, store_url):
    if store.path is not None:
        assert "labels.db" in repr(store) and store.location == str(store.path)
    else:  # the URL, without its password
        assert "127.0.0.1" in repr(store) and store.engine == "PostgreSQL"
        assert store.location in repr(store) and ":***@" in repr(store)


def test_equal_list_labels_are_separate_objects(store):
    for item in ("a", "b"):
        store.append(task="t", item=item, annotator="x", label=["pos", "sad"])
    labels = store.annotations(task="t")["label"]
    labels[0].append("changed")
    assert labels[1] == ["pos", "sad"]
    assert store.annotations(task="t")["label"].tolist() == [["pos", "sad"]] * 2


def test_an_empty_history_has_the_status_column(store):
    assert list(store.annotations(history=True).columns) == [*ANNOTATION_COLUMNS, "status"]
    assert store.annotations().empty


V1_SCHEMA = [
    "CREATE TABLE nblabel_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE nblabel_events (id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL,"
    " item TEXT NOT NULL, annotator TEXT NOT NULL, action TEXT NOT NULL, label TEXT,"
    " rationale TEXT, created_at REAL NOT NULL, duration_s REAL, source TEXT NOT NULL,"
    " target INTEGER, meta TEXT)",
    "INSERT INTO nblabel_meta VALUES ('format', 'nblabel'), ('schema_version', '1')",
    "INSERT INTO nblabel_events (task, item, annotator, action, label, created_at, source)"
    " VALUES ('t', '1', 'x', 'label', '\"pos\"', 1.0, 'annotator')",
]


def test_a_store_of_the_first_schema_is_upgraded_in_place_keeping_its_labels(tmp_path):
    path = tmp_path / "v1.db"
    db = sqlite3.connect(path)
    for statement in V1_SCHEMA:
        db.execute(statement)
    db.commit()
    db.close()
    with LabelStore(path) as store:
        assert store.current_label("t", 1, "x").label == "pos"
        assert store.current_label("t", 1, "x").fingerprint is None
        store.append(task="t", item=2, annotator="x", label="neg", fingerprint="abc")
        assert store.current_label("t", 2, "x").fingerprint == "abc"
        store.set_task_info("t", {"options": ["pos", "neg"]})
        assert store.task_info("t") == {"options": ["pos", "neg"]}
        assert store.place("t", "x") is None
        store.set_place("t", "x", ("b", 2))
        assert store.place("t", "x") == ("b", 2)
    version = sqlite3.connect(path).execute(
        "SELECT value FROM nblabel_meta WHERE key = 'schema_version'"
    ).fetchone()[0]
    assert int(version) == SCHEMA_VERSION


def test_current_labels_are_the_same_when_keys_are_too_many_to_pack(store, monkeypatch):
    for n, (item, annotator, label) in enumerate(
        [(1, "x", "a"), (2, "x", "b"), (1, "x", "c"), (1, "y", "d"), (2, "x", "e")]
    ):
        event = store.append(task="t", item=item, annotator=annotator, label=label)
        if n == 4:
            store.undo(event, annotator="x")
    packed = store.annotations(history=True)
    monkeypatch.setattr("nblabel._store._MAX_PACKED_KEY", 1)
    unpacked = store.annotations(history=True)
    pd.testing.assert_frame_equal(packed, unpacked)
    assert packed["status"].tolist() == ["overwritten", "current", "current", "current", "undone"]


def test_filtered_annotations_are_oldest_first_whatever_the_index_order(store):
    for item in ("z", "m", "a", "q"):
        store.append(task="t", item=item, annotator="x", label="l")
        store.append(task="t", item=item, annotator="y", label="l")
    for filters in ({"task": "t", "annotator": "x"}, {"annotator": "y"}, {}):
        frame = store.annotations(**filters)
        assert frame["event_id"].is_monotonic_increasing, filters
    assert store.annotations(task="t", annotator="x")["item"].tolist() == ["z", "m", "a", "q"]


def test_event_meta_reads_what_was_recorded_beside_each_label(store):
    shown = store.append(task="t", item=1, annotator="a", label="x", meta={"shown": ["b", "a"]})
    plain = store.append(task="t", item=2, annotator="a", label="y")
    many = [store.append(task="t", item=i, annotator="a", label="z", meta={"i": i})
            for i in range(3, 1_203)]  # fmt: skip
    found = store.event_meta([shown, plain, *many])
    assert found[shown] == {"shown": ["b", "a"]}
    assert plain not in found  # nothing recorded: left out
    assert len(found) == 1 + 1_200 and found[many[-1]] == {"i": 1_202}  # past one query's chunk
    assert store.event_meta([]) == {}


def test_whole_number_ids_group_as_numbers_and_stay_apart_from_text_ids(store):
    for item in [3, "3", 2**70, -5, 3]:
        store.append(task="t", item=item, annotator="a", label=str(item))
    frame = store.annotations(task="t")
    assert frame["item"].tolist() == ["3", 2**70, -5, 3]  # 3 relabeled: its newest label
    assert [type(v) for v in frame["item"]] == [str, int, int, int]
    only_whole = store.annotations(task="t", history=True)
    assert only_whole["status"].tolist() == ["overwritten", "current", "current", "current",
                                             "current"]  # fmt: skip


def test_tasks_are_listed_sorted_each_once(store):
    for task in ["b", "a", "c", "a", "b"]:
        store.append(task=task, item=1, annotator="u", label="x")
    assert store.tasks() == ["a", "b", "c"]


WRONG_FIELDS = [
    # a task stored as bytes made every later tasks() and annotations() of the store fail
    ("task", b"t"), ("task", 3), ("task", ""), ("annotator", None), ("annotator", ["a"]),
    ("source", 1.5), ("item", [1, 2]), ("item", {"a": 1}), ("label", float("nan")),
    ("label", object()), ("duration_s", "2s"), ("duration_s", -1.0), ("meta", "batch 1"),
    ("meta", {"at": object()}), ("fingerprint", 12345), ("fingerprint", "\ud800"),
    ("rationale", b"why"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value"), WRONG_FIELDS)
@pytest.mark.parametrize("many", [False, True], ids=["append", "append_many"])
def test_a_field_of_the_wrong_type_writes_nothing_and_every_reader_still_works(
    store, read_raw, field, value, many
):
    for item in (0, 1):
        store.append(task="t", item=item, annotator="a", label=f"label {item}")
    event = {"task": "t", "item": 2, "annotator": "a", "label": "x", field: value}
    named = field
    if many:  # one value per item for these two
        if field == "fingerprint":
            event["fingerprints"], named = [event.pop("fingerprint")], "fingerprints"
        event["items"] = [event.pop("item")]
        named = "items" if field == "item" else named
    with pytest.raises(NblabelError, match=rf"\b{named}="):
        (store.append_many if many else store.append)(**event)
    # nothing of it stored: every read of the store works as before
    assert store.tasks() == ["t"]
    assert store.annotations()[["item", "label"]].values.tolist() == [
        [0, "label 0"], [1, "label 1"]
    ]  # fmt: skip
    assert store.current_label("t", 1, "a").label == "label 1"
    # read with a plain client: nothing of the refused call reached the table
    assert read_raw("SELECT COUNT(*) FROM nblabel_events") == [(2,)]
