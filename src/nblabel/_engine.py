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
- ``assignment_schema``: the table that remembers what was put up for assignment, the
  triggers that keep it and each slot's ``done``, and the indexes of the free slots and of
  the open claims (:data:`ASSIGNMENT_SQLITE`, :data:`ASSIGNMENT_POSTGRES`), with
  ``done_triggers``, their names; ``triggers_sql`` and ``columns_sql``: the names of the
  triggers (``triggers()``), and of a table's columns; optionally ``done_is_exact``: the
  marks are exact (SQLite: one writer at a time), so that ``slots()`` may read them;
- ``name``, ``location`` (safe to show: no password), ``read_only``, ``close()``.

A write that breaks a unique index raises :class:`Conflict`; every other failure is a
:class:`~nblabel.StoreError` or :class:`~nblabel.NblabelError` whose message says what to fix.
"""

from __future__ import annotations

__all__ = [
    "ASSIGNMENT_POSTGRES",
    "ASSIGNMENT_SQLITE",
    "CURRENT_INDEX",
    "DONE_TRIGGERS_POSTGRES",
    "DONE_TRIGGERS_SQLITE",
    "OLD_INDEX",
    "Conflict",
    "current_label",
    "labeled",
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
        done INTEGER,
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


# A claimed slot's ``done``: 1 when its annotator holds a label on its item
# (:func:`labeled`), else 0; NULL for a free slot (so that the planners count the open
# claims as the few they are). Kept by triggers on the events (any program's) and on the
# slots' annotator, so that a claim reads the few open claims and free slots through the
# indexes below, never every slot done. Claims check it again on what they read (a
# PostgreSQL trigger sees the rows committed when its statement began).
def labeled(row: str, probe: bool = False) -> str:
    """SQL true when the slot ``row`` (an alias, ``NEW``) has its annotator's current label on
    its item. ``probe``: each subquery kept a probe of an index for each row (an ``OFFSET``:
    PostgreSQL otherwise joins it, and planned from a young table's estimates, that join read
    every label of the annotator for each row; SQLite takes an ``OFFSET`` only after a
    ``LIMIT``)."""
    keep = " LIMIT 1 OFFSET 0" if probe else ""
    return (
        f"EXISTS (SELECT 1 FROM nblabel_events e WHERE e.task = {row}.task"
        f" AND e.item = {row}.item AND e.annotator = {row}.annotator"
        f" AND {current_label('e', keep)}{keep})"
    )


def current_label(event: str, keep: str = "") -> str:
    """SQL true when the event ``event`` (an alias) is an annotator's label not undone: its
    annotator then holds a current label on its item."""
    return (
        f"{event}.action = 'label' AND {event}.source = 'annotator' AND NOT EXISTS"
        f" (SELECT 1 FROM nblabel_events u WHERE u.target = {event}.id{keep})"
    )


def _labeled_by(row: str) -> str:
    """A slot's ``done``: 1 or 0 (:func:`labeled`)."""
    return f"CASE WHEN {labeled(row)} THEN 1 ELSE 0 END"


_INDEXES = [
    # in priority order, as claims take them: the free slots, and the open claims (each
    # annotator's, and those that lapsed); the slots done are in neither. The index of every
    # slot by priority goes: a claim would read it past the slots done (SQLite chose it for
    # its order), and keeping three indexes of a million slots in step tripled a put-up
    "CREATE INDEX IF NOT EXISTS nblabel_slots_free ON nblabel_slots (task, priority, slot)"
    " WHERE annotator IS NULL",
    "CREATE INDEX IF NOT EXISTS nblabel_slots_open ON nblabel_slots (task, priority, slot)"
    " WHERE annotator IS NOT NULL AND done = 0",
    "DROP INDEX IF EXISTS nblabel_slots_by_priority",
    # every slot's done set again: right after the triggers were missing, whatever happened
    f"UPDATE nblabel_slots SET done = {_labeled_by('nblabel_slots')} WHERE annotator IS NOT NULL",
]
#: The triggers that keep ``done``, by engine (``ASSIGNMENT_*`` makes them).
DONE_TRIGGERS_SQLITE = (
    "nblabel_slots_done_on_label",
    "nblabel_slots_done_on_undo",
    "nblabel_slots_done_on_event_delete",
    "nblabel_slots_done_on_event_update",
    "nblabel_slots_done_on_claim",
    "nblabel_slots_done_on_insert",
)
DONE_TRIGGERS_POSTGRES = (
    "nblabel_slots_done_on_insert",
    "nblabel_slots_done_on_delete",
    "nblabel_slots_done_on_update",
    "nblabel_slots_done_on_truncate",
    "nblabel_slots_done_on_claim",
)


def _recompute(row: str, of_target: bool = False) -> str:
    """SQLite: set ``done`` again for the slots of event ``row`` (``NEW``/``OLD``), or of the
    event it undoes."""
    if of_target:
        task, item, annotator = (
            f"(SELECT {c} FROM nblabel_events WHERE id = {row}.target)"
            for c in ("task", "item", "annotator")
        )
    else:
        task, item, annotator = (f"{row}.{c}" for c in ("task", "item", "annotator"))
    return (
        f"UPDATE nblabel_slots SET done = {_labeled_by('nblabel_slots')}"
        f" WHERE task = {task} AND item = {item} AND annotator = {annotator};"
    )


def _on_event(name: str, when: str, rows: list[str]) -> str:
    body = " ".join(_recompute(row, of_target) for row in rows for of_target in (False, True))
    return f"CREATE TRIGGER IF NOT EXISTS {name} {when} BEGIN {body} END"


_SLOT_AGAIN = (
    "BEGIN UPDATE nblabel_slots SET done = CASE WHEN annotator IS NULL THEN NULL ELSE"
    f" {_labeled_by('nblabel_slots')} END"
    " WHERE task = NEW.task AND item = NEW.item AND slot = NEW.slot; END"
)
ASSIGNMENT_SQLITE = [
    _PUT_UP,
    "CREATE TRIGGER IF NOT EXISTS nblabel_put_up_drop_on_delete AFTER DELETE ON nblabel_slots"
    " BEGIN DELETE FROM nblabel_put_up WHERE task = OLD.task; END",
    "CREATE TRIGGER IF NOT EXISTS nblabel_put_up_drop_on_update"
    " AFTER UPDATE OF task, item, slot ON nblabel_slots"
    " BEGIN DELETE FROM nblabel_put_up WHERE task IN (OLD.task, NEW.task); END",
    # a label: its slot is done (one probe of the slots' index, nothing where there are none)
    f"CREATE TRIGGER IF NOT EXISTS {DONE_TRIGGERS_SQLITE[0]} AFTER INSERT ON nblabel_events"
    " WHEN NEW.target IS NULL AND NEW.action = 'label' AND NEW.source = 'annotator'"
    " BEGIN UPDATE nblabel_slots SET done = 1 WHERE task = NEW.task AND item = NEW.item"
    " AND annotator = NEW.annotator AND done = 0; END",
    f"CREATE TRIGGER IF NOT EXISTS {DONE_TRIGGERS_SQLITE[1]} AFTER INSERT ON nblabel_events"
    f" WHEN NEW.target IS NOT NULL BEGIN {_recompute('NEW', of_target=True)} END",
    _on_event(DONE_TRIGGERS_SQLITE[2], "AFTER DELETE ON nblabel_events", ["OLD"]),
    _on_event(DONE_TRIGGERS_SQLITE[3], "AFTER UPDATE ON nblabel_events", ["OLD", "NEW"]),
    f"CREATE TRIGGER IF NOT EXISTS {DONE_TRIGGERS_SQLITE[4]}"
    f" AFTER UPDATE OF annotator ON nblabel_slots {_SLOT_AGAIN}",
    f"CREATE TRIGGER IF NOT EXISTS {DONE_TRIGGERS_SQLITE[5]} AFTER INSERT ON nblabel_slots"
    f" WHEN NEW.annotator IS NOT NULL {_SLOT_AGAIN}",
    *_INDEXES,
]

# PostgreSQL: statement triggers on the events (an import of a million labels runs each once),
# reading the rows changed from transition tables; a row trigger on slots given an annotator
_EVENTS_CHANGED = (
    "UPDATE nblabel_slots s SET done = {labeled} FROM ("
    " SELECT c.task, c.item, c.annotator FROM {changed} c UNION"
    " SELECT e.task, e.item, e.annotator FROM {changed} c JOIN nblabel_events e ON e.id = c.target"
    ") c WHERE s.task = c.task AND s.item = c.item AND s.annotator = c.annotator;"
)


def _pg_function(name: str, body: str) -> str:
    # the schema of the store, whatever the search path of the program that changes events
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger"
        f" LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ BEGIN {body} END $$"
    )


def _pg_trigger(name: str, table: str, rest: str) -> list[str]:
    # ALWAYS: a session with session_replication_role = replica fires it too
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} {rest}",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}",
    ]


_PG_LABELED = _labeled_by("s")
ASSIGNMENT_POSTGRES = [
    # the functions first: a team member who may not make them fails here, holding no lock
    _pg_function("nblabel_put_up_forget", "DELETE FROM nblabel_put_up; RETURN NULL;"),
    _pg_function(
        "nblabel_slots_done_of_changed",
        _EVENTS_CHANGED.format(labeled=_PG_LABELED, changed="changed_rows") + " RETURN NULL;",
    ),
    _pg_function(
        "nblabel_slots_done_of_updated",
        _EVENTS_CHANGED.format(labeled=_PG_LABELED, changed="old_rows")
        + _EVENTS_CHANGED.format(labeled=_PG_LABELED, changed="changed_rows")
        + " RETURN NULL;",
    ),
    _pg_function(
        "nblabel_slots_done_of_none",
        "UPDATE nblabel_slots SET done = 0 WHERE done <> 0; RETURN NULL;",
    ),
    _pg_function(
        "nblabel_slots_done_of_claim",
        "NEW.done := CASE WHEN NEW.annotator IS NULL THEN NULL ELSE"
        f" {_labeled_by('NEW')} END; RETURN NEW;",
    ),
    # both tables at once, the slots first as a claim takes them: kernels of an earlier release
    # may be claiming (a label of this release writes the events, then its slots)
    "LOCK TABLE nblabel_slots, nblabel_events IN ACCESS EXCLUSIVE MODE",
    _PUT_UP,
    *_pg_trigger(
        "nblabel_put_up_on_change",
        "nblabel_slots",
        "AFTER UPDATE OF task, item, slot OR DELETE OR TRUNCATE ON nblabel_slots"
        " FOR EACH STATEMENT EXECUTE FUNCTION nblabel_put_up_forget()",
    ),
    *_pg_trigger(
        DONE_TRIGGERS_POSTGRES[0],
        "nblabel_events",
        "AFTER INSERT ON nblabel_events REFERENCING NEW TABLE AS changed_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION nblabel_slots_done_of_changed()",
    ),
    *_pg_trigger(
        DONE_TRIGGERS_POSTGRES[1],
        "nblabel_events",
        "AFTER DELETE ON nblabel_events REFERENCING OLD TABLE AS changed_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION nblabel_slots_done_of_changed()",
    ),
    *_pg_trigger(
        DONE_TRIGGERS_POSTGRES[2],
        "nblabel_events",
        "AFTER UPDATE ON nblabel_events REFERENCING OLD TABLE AS old_rows"
        " NEW TABLE AS changed_rows FOR EACH STATEMENT"
        " EXECUTE FUNCTION nblabel_slots_done_of_updated()",
    ),
    *_pg_trigger(
        DONE_TRIGGERS_POSTGRES[3],
        "nblabel_events",
        "AFTER TRUNCATE ON nblabel_events FOR EACH STATEMENT"
        " EXECUTE FUNCTION nblabel_slots_done_of_none()",
    ),
    *_pg_trigger(
        DONE_TRIGGERS_POSTGRES[4],
        "nblabel_slots",
        "BEFORE INSERT OR UPDATE OF annotator ON nblabel_slots FOR EACH ROW"
        " WHEN (NEW.annotator IS NOT NULL OR NEW.done IS NOT NULL)"
        " EXECUTE FUNCTION nblabel_slots_done_of_claim()",
    ),
    *_INDEXES,
]


def schema_statements(*, id: str, real: str, int: str) -> list[str]:
    """The schema's DDL with an engine's column types."""
    return [s.format(id=id, real=real, int=int) for s in _SCHEMA]
