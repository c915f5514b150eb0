"""What a database engine gives the label store: the one seam between SQL and SQLite or PostgreSQL.

:class:`~nblabel.LabelStore` writes its SQL once, with ``?`` placeholders and the subset of SQL
both engines share; an engine (``_sqlite.SqliteEngine``, ``_postgres.PostgresEngine``) runs it:

- ``read(sql, params, binary=False)`` returns the rows (``binary=True``: blobs are best sent
  as their bytes); ``insert(sql, params)`` commits one insert and returns
  the new event id (``None`` when it inserted nothing); ``execute(sql, params)`` commits a write;
- ``transaction(run, lock=name)`` calls ``run(tx)`` inside one write transaction and commits it,
  or rolls it back if ``run`` raises; ``tx`` offers ``execute``, ``executemany``, ``tables``.
  SQLite takes the file's write lock (``BEGIN IMMEDIATE``); PostgreSQL locks the rows of the
  table aliased ``s`` that a query with ``lock_clause`` reads, and, given ``lock``, waits for
  any other transaction holding the same name (an advisory lock) first; ``wait=False``: fail
  at once (a ``StoreError``) rather than wait for another writer's lock;
- ``schema``: the DDL of the current schema, ``migration(version)``: the statements that bring a
  store of an older schema version up to it before that DDL runs; ``tables()``;
- ``ranked``: the SQL of a table ``(value, rank)`` read from one parameter, a JSON array of
  strings: each string with its place in the array, counting up (a ranking sent in one value);
- ``text_agg``: the SQL of the values of a text column joined by newlines into one text
  (``{}`` stands for the column), two of them in one query in the same order of rows: a
  million ids come back as one value instead of a million rows; optionally ``row_agg`` and
  ``row_join``: the same of one text per row, made of several columns joined by
  ``row_join`` (tabs), where aligning several ``text_agg`` costs a sort each;
  ``indexes()``: the names of the indexes;
- optionally ``read_chunks(sql, params, consume, size)``: ``consume(rows)`` for each ``size``
  rows of one query, in order, so that a million rows are never held as tuples at once;
- optionally ``keeps_snapshots`` (with ``snapshot_schema``, its DDL, ``snapshot_triggers``,
  their names, ``triggers()``, and ``events_by_id``, the events table read by id): label
  events may be read from snapshots of columns (``_snapshot``); with ``checks_snapshots``
  (PostgreSQL, where ids commit out of order) each read checks that a snapshot still holds
  (its gaps probed, or the query's events counted);
- ``put_up_schema``: the table that remembers what was put up for assignment, its triggers and
  the index of each annotator's claims (:data:`PUT_UP_SQLITE`, :data:`PUT_UP_POSTGRES`);
- ``name``, ``location`` (safe to show: no password), ``read_only``, ``close()``.

A write that breaks a unique index raises :class:`Conflict`; every other failure is a
:class:`~nblabel.StoreError` or :class:`~nblabel.NblabelError` whose message says what to fix.
"""

from __future__ import annotations

__all__ = [
    "CURRENT_INDEX",
    "OLD_INDEX",
    "PUT_UP_POSTGRES",
    "PUT_UP_SQLITE",
    "Conflict",
    "schema_statements",
]


class Conflict(Exception):
    """A write broke a unique index (an event undone twice, an item claimed twice)."""


#: The index one annotator's labels are read through: it covers what a resuming session reads
#: (the items and their fingerprints). Stores made before it had ``nblabel_events_by_annotator``
#: on ``(task, annotator, item)`` instead; opening such a store for writing swaps them.
CURRENT_INDEX = (
    "CREATE INDEX IF NOT EXISTS nblabel_events_current"
    " ON nblabel_events (task, annotator, source, action, item, fingerprint)"
)
OLD_INDEX = "nblabel_events_by_annotator"

#: The tables and indexes of the current schema, with the column types each engine spells
#: its own way: ``{id}`` an auto-increasing integer key, ``{real}`` a double, ``{int}`` a
#: 64-bit integer.
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS nblabel_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS nblabel_events (
        id {id},
        task TEXT NOT NULL,
        item TEXT NOT NULL,
        annotator TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('label', 'undo')),
        label TEXT,
        rationale TEXT,
        created_at {real} NOT NULL,
        duration_s {real},
        source TEXT NOT NULL,
        target {int},
        meta TEXT,
        fingerprint TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS nblabel_tasks (
        task TEXT PRIMARY KEY,
        info TEXT NOT NULL
    )""",
    # schema 3: where each annotator's session last moved by hand (skip, back, go to, undo): a
    # page reloaded after a skip resumes there, not at the skipped item
    """CREATE TABLE IF NOT EXISTS nblabel_places (
        task TEXT NOT NULL,
        annotator TEXT NOT NULL,
        source TEXT NOT NULL,
        item TEXT NOT NULL,
        updated_at {real} NOT NULL,
        PRIMARY KEY (task, annotator, source)
    )""",
    # every read of one annotator's labels (a widget resuming, current_label, a slot's label)
    # is answered from this index alone, without a look into the table per row
    CURRENT_INDEX,
    # schema 4: the slots of an assignment, ``overlap`` per item; a claimed slot names its
    # annotator, one slot per annotator and item
    """CREATE TABLE IF NOT EXISTS nblabel_slots (
        task TEXT NOT NULL,
        item TEXT NOT NULL,
        slot INTEGER NOT NULL,
        priority {int} NOT NULL,
        annotator TEXT,
        claimed_at {real},
        expires_at {real},
        PRIMARY KEY (task, item, slot)
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS nblabel_slots_one_per_annotator"
    " ON nblabel_slots (task, item, annotator) WHERE annotator IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS nblabel_slots_by_priority ON nblabel_slots (task, priority, slot)",
]


#: What was put up for assignment (``LabelStore.add_items``): one row per list of items (named by
#: a digest) and overlap, so that every kernel putting the same million items up again reads
#: one row instead of writing every slot again. Slots are never deleted; a program that deletes
#: or renames some (the ``sqlite3`` shell) drops the rows of their task, and the next put-up
#: writes its slots again.
_PUT_UP = """CREATE TABLE IF NOT EXISTS nblabel_put_up (
    task TEXT NOT NULL,
    items TEXT NOT NULL,
    overlap BIGINT NOT NULL,
    PRIMARY KEY (task, items, overlap)
)"""
#: One annotator's claims, for their next claim: without it, each claim read every slot.
_BY_ANNOTATOR = (
    "CREATE INDEX IF NOT EXISTS nblabel_slots_by_annotator"
    " ON nblabel_slots (task, annotator, priority, slot) WHERE annotator IS NOT NULL"
)
PUT_UP_SQLITE = [
    _PUT_UP,
    _BY_ANNOTATOR,
    "CREATE TRIGGER IF NOT EXISTS nblabel_put_up_drop_on_delete AFTER DELETE ON nblabel_slots"
    " BEGIN DELETE FROM nblabel_put_up WHERE task = OLD.task; END",
    "CREATE TRIGGER IF NOT EXISTS nblabel_put_up_drop_on_update"
    " AFTER UPDATE OF task, item, slot ON nblabel_slots"
    " BEGIN DELETE FROM nblabel_put_up WHERE task IN (OLD.task, NEW.task); END",
]
PUT_UP_POSTGRES = [
    _PUT_UP,
    _BY_ANNOTATOR,
    # the schema of the store, whatever the search path of the program that changes slots
    """CREATE OR REPLACE FUNCTION nblabel_put_up_forget() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    BEGIN
        DELETE FROM nblabel_put_up;
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS nblabel_put_up_on_change ON nblabel_slots",
    "CREATE TRIGGER nblabel_put_up_on_change"
    " AFTER UPDATE OF task, item, slot OR DELETE OR TRUNCATE ON nblabel_slots"
    " FOR EACH STATEMENT EXECUTE FUNCTION nblabel_put_up_forget()",
]


def schema_statements(*, id: str, real: str, int: str) -> list[str]:
    """The schema's DDL with an engine's column types."""
    return [s.format(id=id, real=real, int=int) for s in _SCHEMA]
