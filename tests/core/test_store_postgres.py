"""The store on PostgreSQL: what a team's server adds to what every engine must do (those tests
run on both engines in ``test_store.py`` and ``test_session.py``): clear errors for a wrong
URL, a server that is down, a bad password, a missing database; credentials never shown;
hostile names stored as data; schema versions; a lost connection that is never acknowledged
and is opened again once the server is back. A real server throughout (``conftest.py``)."""

from __future__ import annotations

import threading
import urllib.parse

import pandas as pd
import pytest

from nblabel import Assignment, LabelStore, NblabelError, StoreError, _snapshot
from nblabel._store import SCHEMA_VERSION
from postgres_server import raw_execute, raw_rows


def with_password(url: str, password: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    user = parts.username
    return urllib.parse.urlunsplit(
        (parts.scheme, f"{user}:{password}@{host}", parts.path, parts.query, "")
    )


def with_database(url: str, database: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def secret_of(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).password)


# -- opening: each failure says what to fix, and never shows the password -----------------------
def test_a_bad_password_is_named_and_not_shown(pg_url):
    url = with_password(pg_url, "wrong-secret-123")
    with pytest.raises(StoreError, match=r"refused the password.*PGPASSWORD") as caught:
        LabelStore(url)
    text = str(caught.value)
    assert "wrong-secret-123" not in text and "***" in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_missing_database_is_named_with_the_fix(pg_url):
    with pytest.raises(StoreError, match=r"database does not exist.*createdb") as caught:
        LabelStore(with_database(pg_url, "no_such_db"))
    assert secret_of(pg_url) not in str(caught.value)


def test_a_server_that_is_down_is_named_with_the_fix(pg_url):
    parts = urllib.parse.urlsplit(pg_url)
    down = pg_url.replace(f":{parts.port}/", ":1/")  # nothing listens on port 1
    with pytest.raises(StoreError, match=r"no PostgreSQL server answers.*start the server") as e:
        LabelStore(down)
    assert secret_of(pg_url) not in str(e.value)


@pytest.mark.parametrize(
    "url", ["postgresql://u:s3cret@h/db?nonsense_option=1", "postgresql://u:s3cret@[::1/db"]
)
def test_a_url_libpq_cannot_read_is_refused_with_the_form_to_write(url):
    with pytest.raises(NblabelError, match=r"postgresql://user@host:5432/database") as caught:
        LabelStore(url)
    assert "s3cret" not in str(caught.value)


def test_an_unknown_user_is_named(pg_url):
    parts = urllib.parse.urlsplit(pg_url)
    url = pg_url.replace(f"{parts.username}:", "nobody_here:")
    with pytest.raises(StoreError) as caught:
        LabelStore(url)
    assert "nobody_here" in str(caught.value) and secret_of(pg_url) not in str(caught.value)


def test_the_password_shows_nowhere(pg_url):
    secret = secret_of(pg_url)
    in_query = with_password(pg_url, "").replace(":@", "@") + f"&password={secret}"
    for url in (pg_url, in_query):
        with LabelStore(url) as store:
            store.append(task="t", item=1, annotator="a", label="x")
            shown = [repr(store), str(store.url), store.location]
            with pytest.raises(NblabelError) as caught:
                store.undo(10_000, annotator="a")
            shown.append(str(caught.value))
        with pytest.raises(StoreError) as closed:
            store.append(task="t", item=2, annotator="a", label="x")
        shown.append(str(closed.value))
        assert all(secret not in text for text in shown), shown
        assert all("127.0.0.1" in text for text in shown[:3])


# -- data: hostile names are data ---------------------------------------------------------------
HOSTILE = [
    "'; DROP TABLE nblabel_events; --",
    'x") OR 1=1 --',
    "%s %(x)s ? $1 \\",
    "Robert'); DELETE FROM nblabel_meta;--",
    "日本語 🙂 \u202e",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_ids_labels_tasks_and_annotators_are_stored_as_data(store, read_raw, text):
    event = store.append(
        task=text, item=text, annotator=text, label=text, rationale=text, source=text,
        fingerprint=text,
    )  # fmt: skip
    store.set_task_info(text, {"options": [text]})
    held = store.current_label(text, text, text, source=text)
    assert (held.item, held.label, held.rationale, held.fingerprint) == (text, text, text, text)
    assert store.task_info(text) == {"options": [text]}
    assert store.tasks() == [text]
    store.undo(event, annotator=text)
    assert store.current_label(text, text, text, source=text) is None
    assert read_raw("SELECT COUNT(*) FROM nblabel_events") == [(2,)]
    assert read_raw("SELECT COUNT(*) FROM nblabel_meta") == [(2,)]


def test_a_nul_character_is_refused_clearly_on_postgresql(pg_url):
    with LabelStore(pg_url) as store:
        with pytest.raises(NblabelError, match="NUL"):
            store.append(task="t\x00", item=1, annotator="a", label="x")
        store.append(task="t", item="a\x00b", annotator="a", label="x\x00")  # JSON escapes it
        assert store.current_label("t", "a\x00b", "a").label == "x\x00"


# -- schema -------------------------------------------------------------------------------------
def test_other_tables_in_the_schema_are_left_alone(pg_url):
    raw_execute(pg_url, "CREATE TABLE customers (id INT)", "INSERT INTO customers VALUES (7)")
    with LabelStore(pg_url) as store:
        store.append(task="t", item=1, annotator="a", label="x")
    assert raw_rows(pg_url, "SELECT id FROM customers") == [(7,)]


def test_tables_named_like_ours_but_not_ours_are_refused(pg_url):
    raw_execute(pg_url, "CREATE TABLE nblabel_events (id INT)")
    with pytest.raises(NblabelError, match=r"something else.*nblabel_events"):
        LabelStore(pg_url)
    assert raw_rows(pg_url, "SELECT COUNT(*) FROM nblabel_events") == [(0,)]


V2_POSTGRES = [
    "CREATE TABLE nblabel_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE nblabel_events (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " task TEXT NOT NULL, item TEXT NOT NULL, annotator TEXT NOT NULL, action TEXT NOT NULL,"
    " label TEXT, rationale TEXT, created_at DOUBLE PRECISION NOT NULL,"
    " duration_s DOUBLE PRECISION, source TEXT NOT NULL, target BIGINT, meta TEXT,"
    " fingerprint TEXT)",
    "CREATE TABLE nblabel_tasks (task TEXT PRIMARY KEY, info TEXT NOT NULL)",
    "INSERT INTO nblabel_meta VALUES ('format', 'nblabel'), ('schema_version', '2')",
    "INSERT INTO nblabel_events (task, item, annotator, action, label, created_at, source)"
    " VALUES ('t', '1', 'x', 'label', '\"pos\"', 1.0, 'annotator')",
]


def test_an_older_schema_is_migrated_in_place_keeping_its_labels(pg_url):
    raw_execute(pg_url, *V2_POSTGRES)
    with LabelStore(pg_url) as store:
        assert store.current_label("t", 1, "x").label == "pos"
        store.append(task="t", item=2, annotator="x", label="neg")
    version = raw_rows(pg_url, "SELECT value FROM nblabel_meta WHERE key = 'schema_version'")
    assert version == [(str(SCHEMA_VERSION),)]
    tables = {r[0] for r in raw_rows(
        pg_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    )}  # fmt: skip
    assert "nblabel_slots" in tables
    assert raw_rows(pg_url, "SELECT COUNT(*) FROM nblabel_events") == [(2,)]


def test_many_kernels_opening_one_new_database_at_once_all_succeed(pg_url):
    errors: list[BaseException] = []
    stores: list[LabelStore] = []

    def open_one() -> None:
        try:
            stores.append(LabelStore(pg_url))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in stores:
        store.close()
    assert errors == [] and len(stores) == 8


# -- concurrency and a lost server --------------------------------------------------------------
def test_one_event_is_undone_once_even_by_two_kernels_at_the_same_moment(pg_url):
    with LabelStore(pg_url) as setup:
        events = [setup.append(task="t", item=i, annotator="a", label="x") for i in range(40)]
    kernels = [LabelStore(pg_url), LabelStore(pg_url)]
    refused = [0, 0]
    barrier = threading.Barrier(2)

    def undo_all(n: int) -> None:
        barrier.wait()
        for event in events:
            try:
                kernels[n].undo(event, annotator="a")
            except NblabelError:
                refused[n] += 1

    threads = [threading.Thread(target=undo_all, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for kernel in kernels:
        kernel.close()
    assert sum(refused) == len(events)
    counts = raw_rows(pg_url, "SELECT target, COUNT(*) FROM nblabel_events WHERE action = 'undo'"
                              " GROUP BY target HAVING COUNT(*) > 1")  # fmt: skip
    assert counts == []


def test_a_restarted_server_fails_the_write_then_the_store_reconnects(postgres, pg_url):
    with LabelStore(pg_url) as store:
        store.append(task="t", item=1, annotator="a", label="x")
        postgres.restart()
        with pytest.raises(StoreError, match="connection to the server was lost") as caught:
            store.append(task="t", item=2, annotator="a", label="x")
        assert secret_of(pg_url) not in str(caught.value)
        # the next call opens a new connection: the label is saved on retry
        store.append(task="t", item=2, annotator="a", label="x")
        assert store.annotations(task="t")["item"].tolist() == [1, 2]


def test_a_postgresql_store_backs_up_into_a_sqlite_file(pg_url, tmp_path):
    with LabelStore(pg_url) as store:
        first = store.append(task="t", item=("a", 1), annotator="x", label=["p", "q"])
        store.append(task="t", item=2, annotator="x", label="neg", fingerprint="f")
        store.undo(first, annotator="x")
        store.set_task_info("t", {"options": ["p", "q", "neg"]})
        copy = store.backup(tmp_path / "team-copy.db")
        expected = store.annotations(history=True)
        with pytest.raises(NblabelError, match="SQLite stores"):
            store.checkpoint()
    with LabelStore(copy) as local:
        got = local.annotations(history=True)
        assert got.drop(columns="event_id").equals(expected.drop(columns="event_id"))
        assert local.task_info("t") == {"options": ["p", "q", "neg"]}
        assert local.current_label("t", 2, "x").fingerprint == "f"


def test_without_psycopg_the_error_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    with pytest.raises(NblabelError, match=r"pip install 'nblabel\[postgres\]'"):
        LabelStore("postgresql://u:pw@localhost/db")


def test_a_user_without_rights_is_told_what_to_grant(postgres, pg_url, monkeypatch):
    schema = urllib.parse.unquote(pg_url.rsplit("search_path%3D", 1)[1])
    reader = f"reader_{schema}"  # one role per test schema: a reused server keeps roles
    raw_execute(
        postgres.url,
        f"CREATE ROLE {reader} LOGIN PASSWORD 'reader-pw'",
        f"GRANT USAGE ON SCHEMA {schema} TO {reader}",
    )
    owner = urllib.parse.urlsplit(pg_url)
    as_reader = pg_url.replace(f"{owner.username}:{owner.password}@", f"{reader}:reader-pw@")
    with pytest.raises(StoreError, match=r"GRANT this user .*CREATE on the schema") as caught:
        LabelStore(as_reader)  # the first store would create the tables
    assert "reader-pw" not in str(caught.value)
    LabelStore(pg_url).close()  # the owner creates them
    with pytest.raises(StoreError, match="GRANT this user SELECT, INSERT and UPDATE"):
        LabelStore(as_reader)
    raw_execute(
        postgres.url,
        f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema} TO {reader}",
    )
    with LabelStore(as_reader) as store:  # granted: an annotator of the team
        store.append(task="t", item=1, annotator=reader, label="x")
        assert store.annotations()["annotator"].tolist() == [reader]
        # a team member remembers checks (the table is the owner's, the rows anyone's)
        store._remember_check("t", reader, "annotator", "digest", 7, 10**6)
        assert store._remembered_check("t", reader, "annotator") == ("digest", 7)
    # a store made before remembered checks: the team member, who may not create their
    # table, opens it all the same and remembers none
    raw_execute(postgres.url, f"DROP TABLE {schema}.nblabel_checked")
    with LabelStore(as_reader) as store:
        assert store._remembered_check("t", reader, "annotator") is None
        store._remember_check("t", reader, "annotator", "digest", 7, 10**6)
        assert store.annotations()["annotator"].tolist() == [reader]
    with LabelStore(pg_url) as owner:  # the owner's next open creates it
        assert "nblabel_checked" in owner._engine.tables()
    # snapshots: the member reads the owner's, and keeps none it may not write (no DELETE)
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1)
    with LabelStore(as_reader) as store:
        store.append_many(task="t", items=range(2, 6), annotator=reader, label="y")
        present, counted = _snapshot._present, []
        monkeypatch.setattr(_snapshot, "_present", lambda *args: counted.append(args))
        expected = store.annotations(task="t")
        assert counted == []  # refused at once, before counting the events
        monkeypatch.setattr(_snapshot, "_present", present)
        assert store._query("SELECT count(*) FROM nblabel_snapshots WHERE query <> ''") == [(0,)]
        with LabelStore(pg_url) as owner:
            pd.testing.assert_frame_equal(owner.annotations(task="t"), expected)
        assert store._query("SELECT count(*) FROM nblabel_snapshots WHERE query <> ''") != [(0,)]
        store.append(task="t", item=1, annotator=reader, label="z")
        store._engine.keeps_snapshots = False  # every row, to compare with
        every_row = store.annotations(task="t")
        del store._engine.keeps_snapshots
        pd.testing.assert_frame_equal(store.annotations(task="t"), every_row)
    # a store made before snapshots: the member opens it as it is, and reads every row
    raw_execute(postgres.url, f"DROP TABLE {schema}.nblabel_snapshots",
                f"DROP FUNCTION {schema}.nblabel_snapshots_changed CASCADE")  # fmt: skip
    with LabelStore(as_reader) as store:
        assert sorted(store.annotations(task="t")["item"].tolist()) == [1, 2, 3, 4, 5]
    with LabelStore(pg_url) as owner:  # the owner's next open makes them
        assert "nblabel_snapshots" in owner._engine.tables()
        assert set(_snapshot.POSTGRES_TRIGGERS) <= owner._engine.triggers()
    # a store made before put-ups were remembered and slots marked done: the member claims
    # as before (reading what is done from the events), and the owner's next open marks them
    raw_execute(
        postgres.url,
        f"DROP TABLE {schema}.nblabel_put_up",
        f"DROP FUNCTION {schema}.nblabel_slots_done_of_changed CASCADE",
        f"DROP FUNCTION {schema}.nblabel_slots_done_of_claim CASCADE",
        f"ALTER TABLE {schema}.nblabel_slots DROP COLUMN done",
    )
    plan = Assignment(overlap=1, batch=2)
    with LabelStore(as_reader) as store:
        assert not store._marks_done()
        assert plan.claim(store, "t", reader, items=[10, 11, 12]) == [10, 11]
        store.append(task="t", item=10, annotator=reader, label="x")
        assert plan.claim(store, "t", reader) == [11, 12]
    with LabelStore(pg_url) as owner:
        assert owner._marks_done()
        done = owner._query("SELECT item, done FROM nblabel_slots WHERE annotator IS NOT NULL")
        assert sorted(done) == [("10", 1), ("11", 0), ("12", 0)]
    with LabelStore(as_reader) as store:  # the member's claims now read the marks
        assert store._marks_done()
        store.append(task="t", item=11, annotator=reader, label="x")
        assert plan.claim(store, "t", reader) == [12]
        # the new table is not granted to the member yet: their put-ups write the slots
        assert plan.claim(store, "t", reader, items=[10, 11, 12, 13]) == [12, 13]
