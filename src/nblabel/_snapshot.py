"""Label events kept as columns in the store itself (its file, or its PostgreSQL schema), so
that a million of them are read back as a few blobs instead of a million rows.

The event log is append-only, and on SQLite an event's id is larger than that of every event
committed before it (``AUTOINCREMENT``, one writer at a time). So the columns a query read up
to event id ``upto`` are still exactly its events up to ``upto`` later on: a read loads them,
one blob per column, and fetches only the events after ``upto`` as rows. Triggers in the file
drop every snapshot when any program (the ``sqlite3`` shell included) changes or deletes an
event, inserts one below the newest or replaces the newest, and leave a new token of change in
their place; triggers made (again) drop what was kept without them. A snapshot is written
only while the token is the one read before its events were (:func:`mark`, checked in the
transaction that writes it): a change made during a read is never kept. A snapshot is right
or it is gone.

A resuming widget that finds no snapshot of its annotator's labels reads them through the
index, and keeps what it read the same way for the next one: the event ids, item ids and
fingerprints alone (:func:`keep_labeled`, :func:`read_labeled`).

PostgreSQL hands ids out in one order and commits them in another, so an event below ``upto``
may still arrive after a snapshot was read. There a snapshot keeps the token of change it was
read under (a change or delete moves it, by a trigger for each statement, so that no insert
pays for it), and the ids up to ``upto`` that no event had when it was written: its gaps. The
transaction that writes it counts the query's events up to ``upto`` first, and writes nothing
unless they are the ones read (one committed during the read adds one). A read then uses the
snapshot only while the token stands and no event of the query has come into a gap since (an
event committed late, or written below the newest by another program): one index probe per
gap. Finding the gaps reads every id up to ``upto``, so where the query's events are a small
part of the store's, or the gaps many, a snapshot keeps none, and each read counts the query's
events instead.

On either engine the store also remembers, per annotator's labels of a task, the last check
that found every labeled row showing what it showed when labeled: the digest of those labels
and rows in the order given (:meth:`~nblabel._fingerprint.Fingerprinter.digest`) and the
newest event id among them. A widget built again compares that one digest for the labels up to
that event and hashes only the labels given since. A digest names the labels and the content
it covers, so it needs no trigger: any change to either (a label undone or given again, an
edited row, another program's write, a label PostgreSQL commits late below that event) gives
another digest, and every row is checked.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any, NamedTuple

import numpy as np

from ._codec import concat_texts, fixed_texts, join_lines
from ._columns import EventColumns, NotWhole, concat_columns, read_event_columns
from ._engine import Conflict
from ._errors import NblabelError, StoreError

__all__ = [
    "CHECKED_SCHEMA",
    "LABEL_EVENTS",
    "OLD_TRIGGERS",
    "POSTGRES_SCHEMA",
    "POSTGRES_TRIGGERS",
    "SQLITE_SCHEMA",
    "TRIGGERS",
    "Mark",
    "keep_labeled",
    "mark",
    "query_key",
    "read_columns",
    "read_labeled",
    "remember_check",
    "remembered_check",
]

#: Fewer events than this are read as rows: a snapshot would save next to nothing.
MIN_ROWS = 20_000
#: At most this many queries keep a snapshot (the most recently written ones) ...
KEPT = 32
#: ... holding at most this many rows per event of the store in all (16 bytes a row or so):
#: room for, say, every annotator's w.labels, an export and the status view of a task
ROWS_PER_EVENT = 3
#: PostgreSQL: gaps are found (reading every id up to upto once) only where the query's events
#: are at least this share of those ids, and kept only while they are at most MAX_GAPS ranges
GAP_SHARE = 1 / 8
MAX_GAPS = 4096
#: where ids up to upto are missing besides those below the first: the ids of each 64 that
#: have an event, as a mask, and the query's events among them
_PRESENT = ("SELECT id >> 6, bit_or(1::bigint << (id & 63)::int), count(*) FILTER (WHERE {where})"
            " FROM nblabel_events WHERE id <= ? GROUP BY 1")  # fmt: skip

#: Remembered checks, on either engine (type names both read alike).
CHECKED_SCHEMA = """CREATE TABLE IF NOT EXISTS nblabel_checked (
    task TEXT NOT NULL,
    annotator TEXT NOT NULL,
    source TEXT NOT NULL,
    digest TEXT NOT NULL,
    upto BIGINT NOT NULL,
    rows BIGINT NOT NULL,
    checked_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (task, annotator, source)
)"""

TRIGGERS = (
    "nblabel_snapshots_drop_on_insert",
    "nblabel_snapshots_drop_on_update",
    "nblabel_snapshots_drop_on_delete",
    "nblabel_snapshots_drop_on_replace",
)
#: Triggers of earlier releases, replaced by :data:`TRIGGERS` (they left no token of change).
OLD_TRIGGERS = ("nblabel_snapshots_on_insert", "nblabel_snapshots_on_update",
                "nblabel_snapshots_on_delete")  # fmt: skip

# the token of change: a row of its own, under a query no read has ("")
_TOKEN = "query = '' AND part = 'changed'"
_CHANGED = (
    "DELETE FROM nblabel_snapshots;"
    " INSERT INTO nblabel_snapshots (query, part, upto, rows, written_at, body)"
    " VALUES ('', 'changed', random(), 0, 0, x'');"
)
_DROP = f"BEGIN {_CHANGED} END"

SQLITE_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS nblabel_snapshots (
        query TEXT NOT NULL,
        part TEXT NOT NULL,
        upto INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        written_at REAL NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (query, part)
    )""",
    # nblabel only ever appends above the newest event: these fire for other programs' writes
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[0]} AFTER INSERT ON nblabel_events"
    f" WHEN NEW.id < (SELECT max(id) FROM nblabel_events) {_DROP}",
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[1]} AFTER UPDATE ON nblabel_events {_DROP}",
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[2]} AFTER DELETE ON nblabel_events {_DROP}",
    # INSERT OR REPLACE over the newest event (the sqlite3 shell's REPLACE) deletes it and
    # inserts it again under its id: no delete trigger fires (recursive_triggers is off), and
    # the id is not below the newest; seen before the insert, its id is the newest one's (an
    # id the store hands out is not given yet: -1, or some other value, which at worst drops
    # the snapshots once too often)
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[3]} BEFORE INSERT ON nblabel_events"
    f" WHEN NEW.id = (SELECT max(id) FROM nblabel_events) {_DROP}",
    *(f"DROP TRIGGER IF EXISTS {name}" for name in OLD_TRIGGERS),
    # made now, or made again where they were gone: what was kept while no trigger watched
    # the events (another program may have changed them) is dropped, and a read under way
    # keeps none (a new token of change)
    *(statement.strip() for statement in _CHANGED.split(";") if statement.strip()),
]


#: PostgreSQL: a change or delete of events (any program's) moves the token of change
POSTGRES_TRIGGERS = ("nblabel_snapshots_on_change",)
POSTGRES_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS nblabel_snapshots (
        query TEXT NOT NULL,
        part TEXT NOT NULL,
        upto BIGINT NOT NULL,
        rows BIGINT NOT NULL,
        written_at DOUBLE PRECISION NOT NULL,
        body BYTEA NOT NULL,
        PRIMARY KEY (query, part)
    )""",
    # blobs of ids and fingerprints hardly compress: stored as they are, 5x faster to write
    "ALTER TABLE nblabel_snapshots ALTER COLUMN body SET STORAGE EXTERNAL",
    # the schema of the store, whatever the search path of the program that changes events
    """CREATE OR REPLACE FUNCTION nblabel_snapshots_changed() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    BEGIN
        INSERT INTO nblabel_snapshots (query, part, upto, rows, written_at, body)
        VALUES ('', 'changed', floor(random() * 9e18)::bigint, 0, 0, ''::bytea)
        ON CONFLICT (query, part) DO UPDATE SET upto = EXCLUDED.upto;
        RETURN NULL;
    END $$""",
    f"DROP TRIGGER IF EXISTS {POSTGRES_TRIGGERS[0]} ON nblabel_events",
    f"CREATE TRIGGER {POSTGRES_TRIGGERS[0]} AFTER UPDATE OR DELETE OR TRUNCATE ON nblabel_events"
    " FOR EACH STATEMENT EXECUTE FUNCTION nblabel_snapshots_changed()",
    # it fires in a session whose session_replication_role is replica too (a logical
    # replication subscriber, pg_restore --disable-triggers, a bulk fix past foreign keys)
    f"ALTER TABLE nblabel_events ENABLE ALWAYS TRIGGER {POSTGRES_TRIGGERS[0]}",
    # made now, or made again where it was gone or disabled: what was kept while no trigger
    # watched the events is dropped, and a read under way keeps none (a new token of change)
    "DELETE FROM nblabel_snapshots",
    "INSERT INTO nblabel_snapshots (query, part, upto, rows, written_at, body)"
    " VALUES ('', 'changed', floor(random() * 9e18)::bigint, 0, 0, ''::bytea)",
]


class Mark(NamedTuple):
    """What a read saw before it read any event (:func:`mark`): the newest event id, and
    the token of change (``None``: no program has changed an event since the snapshots' table
    was made)."""

    newest: int
    token: int | None


def mark(engine: Any) -> Mark | None:
    """:class:`Mark` of the store now, read before the events a snapshot is to hold; ``None``
    where the engine keeps no snapshots (or another program took their triggers away)."""
    if not getattr(engine, "keeps_snapshots", False) or not _has_snapshots(engine):
        return None
    newest, token = engine.read(
        "SELECT (SELECT max(id) FROM nblabel_events),"
        f" (SELECT upto FROM nblabel_snapshots WHERE {_TOKEN})"
    )[0]
    return Mark(newest or 0, token)


def query_key(where: str, params: list, grouped: list[str], fingerprint: str) -> str:
    """What names a query's snapshot: the arguments of :func:`read_columns`."""
    return json.dumps([where, list(params), grouped, fingerprint])


def read_columns(
    engine: Any, where: str, params: list, grouped: list[str], *, fingerprint: str = "fingerprint"
) -> EventColumns | None:
    """:func:`~nblabel._columns.read_event_columns`, from the query's snapshot and the events
    after it where the engine keeps snapshots; the snapshot is written, or brought up to date
    when that saves later reads enough. The result's fingerprints may be ``None`` (not read:
    :func:`read_labeled` reads them).
    """
    seen = mark(engine)
    if seen is None:
        return read_event_columns(engine, where, params, grouped, fingerprint=fingerprint)
    key = query_key(where, params, grouped, fingerprint)
    stored = _load(engine, key, _part_names(grouped, False), grouped)
    if stored is None:
        return _read_all(engine, key, seen, where, params, grouped, fingerprint)
    upto, kept, token, gaps = stored
    try:
        after = read_event_columns(
            engine,
            f"id > ? AND ({where})",
            [upto, *params],
            grouped,
            fingerprint=fingerprint,
            items_whole=kept.items.dtype.kind == "i",
            table_sql=engine.events_by_id,  # the ids after upto, not the whole index
            scan_groups=False,
        )
    except NotWhole:  # an id that is not a whole number arrived: every id read as its text
        return _read_all(engine, key, seen, where, params, grouped, fingerprint)
    n_after = 0 if after is None else len(after)
    if not _holds(engine, where, params, upto, len(kept), after, token, gaps):
        return _read_all(engine, key, seen, where, params, grouped, fingerprint)
    stale = _stale(n_after, len(kept), seen.newest, upto)
    if stale:  # written again whole: with the fingerprints, not read for the table
        whole = _load(engine, key, _part_names(grouped, True), grouped)
        if whole is not None and whole[0] == upto and whole[2] == token:  # the same write
            kept = whole[1]
    if after is None:
        columns = kept
    else:
        if kept.fingerprints is None:
            after.fingerprints = None
        columns = concat_columns(kept, after)
    if stale:
        last = int(columns.event_ids[-1]) if len(columns) else 0
        _keep(engine, key, seen, max(seen.newest, upto, last), columns, where, params)
    return columns


def _stale(n_after: int, n_kept: int, newest: int, upto: int) -> bool:
    """Whether a snapshot of ``n_kept`` events up to ``upto`` is written again: each event
    after it costs a fetch (and each id after it a look), so once they are many."""
    return n_after >= max(MIN_ROWS, n_kept // 16) or newest - upto >= max(16 * MIN_ROWS, n_kept)


def _read_all(
    engine: Any, key: str, seen: Mark, where: str, params: list, grouped: list[str],
    fingerprint: str,
) -> EventColumns | None:  # fmt: skip
    """Every event of the query as rows, kept as its snapshot when they are many; every
    event up to ``seen.newest`` was committed before this read began."""
    columns = read_event_columns(engine, where, params, grouped, fingerprint=fingerprint)
    if columns is not None and len(columns) >= MIN_ROWS:
        upto = max(seen.newest, int(columns.event_ids[-1]))
        _keep(engine, key, seen, upto, columns, where, params)
    return columns


# -- one annotator's label events, as a resuming widget reads them -------------------------------
_LABELED_PARTS = ["event_ids", "items", "fingerprints"]
#: one annotator's label events (task, annotator and source as parameters)
LABEL_EVENTS = "task = ? AND annotator = ? AND source = ? AND action = 'label'"


def _labeled_key(query: tuple[str, str, str, str]) -> str:
    return json.dumps(["labeled", *query])  # no query of read_columns starts so


def read_labeled(
    engine: Any, seen: Mark | None, query: tuple[str, str, str, str], snapshot: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(event ids, items, fingerprints)`` of one annotator's label events, oldest first,
    from what an earlier resume kept (:func:`keep_labeled`), else from those columns of the
    same events' snapshot (named ``snapshot``: :func:`query_key`, as ``w.labels`` reads
    them), and the events after it; ``None`` when neither is kept whole. ``query``: the task,
    annotator, source and the SQL of the fingerprint column; ``seen``: the store's
    :func:`mark` (``None``: it keeps no snapshots). Items are int64 or their stored texts."""
    if seen is None:
        return None
    task, annotator, source, fingerprint = query
    loaded = _load_parts(engine, _labeled_key(query), _LABELED_PARTS)
    if loaded is None:
        loaded = _load_parts(engine, snapshot, _LABELED_PARTS)
    if loaded is None:
        return None
    upto, n_rows, parts = loaded
    event_ids, items, prints = (parts[name] for name in _LABELED_PARTS)
    try:
        _check_texts(items, prints)
        _check_events(event_ids, [items, prints], n_rows, upto)
        after = read_event_columns(
            engine, f"id > ? AND {LABEL_EVENTS}", [upto, task, annotator, source], [],
            fingerprint=fingerprint, items_whole=items.dtype.kind == "i",
            table_sql=engine.events_by_id,  # the ids after upto, not the whole index
        )  # fmt: skip
    except (ValueError, NotWhole):  # the caller reads every label and keeps them anew
        return None
    if not _holds(engine, LABEL_EVENTS, [task, annotator, source], upto, n_rows, after,
                  parts.get("token"), parts.get("gaps")):  # fmt: skip
        return None
    if after is not None:
        event_ids = np.concatenate([event_ids, after.event_ids])
        items = np.concatenate([items, after.items])
        prints = concat_texts(prints, after.fingerprints)
    if _stale(0 if after is None else len(after), n_rows, seen.newest, upto):
        keep_labeled(engine, query, seen, event_ids, items, prints)
    return event_ids, items, prints


def keep_labeled(
    engine: Any,
    query: tuple[str, str, str, str],
    seen: Mark,
    event_ids: np.ndarray,
    items: np.ndarray,
    prints: np.ndarray | None,
) -> None:
    """Keep one annotator's label events (``query``: its task, annotator, source and
    fingerprint SQL) for :func:`read_labeled`, in any order, when they are many
    (:data:`MIN_ROWS`) and the file can be written now. ``seen``: the store's :func:`mark`
    before they were read (every event up to its newest is among them)."""
    if len(event_ids) < MIN_ROWS:
        return
    if prints is None:  # no label has one: b"" each (fixed_texts), a byte each in all
        prints = np.zeros(len(event_ids), dtype="S1")
    if len(event_ids) > 1 and not (event_ids[1:] > event_ids[:-1]).all():
        order = np.argsort(event_ids, kind="stable")  # an index's order: oldest first
        event_ids, items, prints = event_ids[order], items[order], prints[order]
    # events after upto committed before the read are in it too: the snapshot ends at them
    upto = max(seen.newest, int(event_ids[-1]))
    parts = {"event_ids": event_ids, "items": items, "fingerprints": fixed_texts(prints)}
    _write(engine, _labeled_key(query), seen, upto, len(event_ids), parts, LABEL_EVENTS,
           list(query[:3]))  # fmt: skip


def remembered_check(engine: Any, task: str, annotator: str, source: str) -> tuple[str, int] | None:
    """``(digest, upto)`` of the last check that found each of these labels up to event id
    ``upto`` on its row, or ``None``."""
    if "nblabel_checked" not in engine.tables():
        return None
    rows = engine.read(
        "SELECT digest, upto FROM nblabel_checked WHERE task = ? AND annotator = ? AND source = ?",
        (task, annotator, source),
    )
    if not rows or not isinstance(rows[0][0], str) or type(rows[0][1]) is not int:
        return None  # another program's value: as if none
    return rows[0][0], rows[0][1]


def remember_check(
    engine: Any, task: str, annotator: str, source: str, digest: str, upto: int, n_rows: int
) -> None:
    """Remember ``digest`` of ``n_rows`` labels up to event id ``upto`` found on their rows,
    when that spares a later check enough (:data:`MIN_ROWS`) and the file can be written now;
    else nothing."""
    if n_rows < MIN_ROWS or engine.read_only or "nblabel_checked" not in engine.tables():
        return

    def write(tx: Any) -> None:
        tx.execute(
            "INSERT INTO nblabel_checked (task, annotator, source, digest, upto, rows, checked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task, annotator, source) DO UPDATE"
            " SET digest = excluded.digest, upto = excluded.upto, rows = excluded.rows,"
            " checked_at = excluded.checked_at",
            (task, annotator, source, digest, upto, n_rows, time.time()),
        )

    try:  # never waiting for another writer: building a widget must not stall
        engine.transaction(write, wait=False)
    except (NblabelError, StoreError, sqlite3.Error):  # the next check remembers it
        return


def _holds(
    engine: Any, where: str, params: list, upto: int, n_kept: int,
    after: EventColumns | None, token: Any, gaps: np.ndarray | None,
) -> bool:  # fmt: skip
    """Whether a snapshot of ``n_kept`` events of the query ``where`` up to ``upto``, read
    with the events ``after`` it, is exact now, on an engine that checks to tell (PostgreSQL;
    elsewhere triggers drop a snapshot that is not). Checked after those events were read:
    no event of the query in the snapshot's ``gaps`` (ids no event had when it was written);
    without gaps, the count of the query's events up to the newest read is theirs (one
    committed late below them adds one, and a label given since, above them, none)."""
    if not getattr(engine, "checks_snapshots", False):
        return True
    if gaps is not None:
        # each gap its own probe of the key's index: never a scan of the query's events
        found, now = engine.read(
            "SELECT (SELECT count(*) FROM unnest(?::bigint[], ?::bigint[]) AS gap (lo, hi)"
            " CROSS JOIN LATERAL (SELECT * FROM nblabel_events WHERE id BETWEEN gap.lo AND"
            f" gap.hi OFFSET 0) AS e WHERE {where}),"
            f" (SELECT upto FROM nblabel_snapshots WHERE {_TOKEN})",
            [gaps[0::2].tolist(), gaps[1::2].tolist(), *params],
        )[0]
        return found == 0 and token == json.dumps(now)
    last, n_events = upto, n_kept
    if after is not None:
        last, n_events = max(upto, int(after.event_ids[-1])), n_kept + len(after)
    count, now = engine.read(
        f"SELECT count(*), (SELECT upto FROM nblabel_snapshots WHERE {_TOKEN})"
        f" FROM nblabel_events WHERE id <= ? AND ({where})",
        [last, *params],
    )[0]
    return count == n_events and token == json.dumps(now)


def _has_snapshots(engine: Any) -> bool:
    """Whether the store has the snapshots' table and triggers, and (SQLite) none of an
    earlier release's (an earlier release may add them back: they drop the token of change)."""
    if getattr(engine, "checks_snapshots", False):
        rows = engine.read(
            "SELECT to_regclass('nblabel_snapshots') IS NOT NULL AND EXISTS (SELECT 1 FROM"
            " pg_trigger WHERE tgrelid = to_regclass('nblabel_events') AND tgname = ?"
            " AND tgenabled = 'A')",  # disabled, or skipped by a replica session: as if gone
            POSTGRES_TRIGGERS,
        )
        return bool(rows[0][0])
    names = ("nblabel_snapshots", *TRIGGERS, *OLD_TRIGGERS)
    rows = engine.read(
        f"SELECT name FROM sqlite_master WHERE name IN ({', '.join('?' * len(names))})"
        " AND type IN ('table', 'trigger')",
        names,
    )
    return {r[0] for r in rows} == set(names[: 1 + len(TRIGGERS)])


def _part_names(grouped: list[str], fingerprints: bool) -> list[str]:
    names = ["event_ids", "items", "label_codes", "label_uniques", "rationales", "created_at",
             "durations"]  # fmt: skip
    for column in grouped:
        names += [f"{column}_codes", f"{column}_uniques"]
    return [*names, "fingerprints"] if fingerprints else names


def _load(
    engine: Any, key: str, names: list[str], grouped: list[str]
) -> tuple[int, EventColumns, Any, np.ndarray | None] | None:
    """``(upto, columns, token, gaps)`` of the query's snapshot (``token``, ``gaps``: see
    :func:`_holds`), or ``None`` when there is none whole."""
    loaded = _load_parts(engine, key, names)
    if loaded is None:
        return None
    upto, n_rows, parts = loaded
    try:
        columns = EventColumns(
            event_ids=parts["event_ids"],
            items=parts["items"],
            labels=(_codes(parts["label_codes"]), parts["label_uniques"]),
            rationales=parts["rationales"],
            created_at=parts["created_at"],
            durations=parts["durations"],
            groups={c: (_codes(parts[f"{c}_codes"]), parts[f"{c}_uniques"]) for c in grouped},
            fingerprints=parts.get("fingerprints"),
        )
        _check(columns, n_rows, upto)
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return upto, columns, parts.get("token"), parts.get("gaps")


def _codes(values: np.ndarray) -> np.ndarray:
    """Codes of a snapshot as intp; ``ValueError`` unless they are whole numbers."""
    if values.dtype.kind != "i":
        raise ValueError("codes that are not whole numbers")
    return values.astype(np.intp)


def _load_parts(
    engine: Any, key: str, names: list[str]
) -> tuple[int, int, dict[str, np.ndarray]] | None:
    """``(upto, rows, {part: values})`` of the query's snapshot, or ``None`` when it has not
    every part of ``names``, all of one snapshot, each read back whole. Where the engine
    checks that a snapshot holds (:func:`_holds`), its token comes too, as a text, and its
    gaps where it has them (ranges of ids, ``[lo, hi, lo, hi, ...]``)."""
    checks = getattr(engine, "checks_snapshots", False)
    names = [*names, "token"] if checks else names
    wanted = [*names, "gaps"] if checks else names
    rows = engine.read(
        "SELECT part, upto, rows, body FROM nblabel_snapshots"
        f" WHERE query = ? AND part IN ({', '.join('?' * len(wanted))})",
        (key, *wanted),
        binary=True,
    )
    if set(names) - {r[0] for r in rows} or len({(r[1], r[2]) for r in rows}) != 1:
        return None
    upto, n_rows = int(rows[0][1]), int(rows[0][2])
    try:
        parts = {part: unpack(body, most=n_rows) for part, _, _, body in rows}
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, UnicodeDecodeError):
        return None
    if checks:
        token = parts["token"]
        if len(token) != 1 or not isinstance(token[0], str):
            return None
        parts["token"] = token[0]
        gaps = parts.get("gaps")
        if gaps is not None and not _are_gaps(gaps, upto):
            return None
    return upto, n_rows, parts


def _check(columns: EventColumns, n_rows: int, upto: int) -> None:
    """Raise ValueError unless the columns are whole and consistent."""
    arrays = [columns.event_ids, columns.items, columns.labels[0], columns.rationales,
              columns.created_at, columns.durations]  # fmt: skip
    arrays += [codes for codes, _ in columns.groups.values()]
    if columns.fingerprints is not None:
        arrays.append(columns.fingerprints)
    _check_texts(columns.items, columns.fingerprints)
    _check_events(columns.event_ids, arrays, n_rows, upto)
    # each column of its kind: a column of another (another program's copy of another part's
    # body) would be read as if it were this one, or fail far from here
    if columns.created_at.dtype != np.float64 or columns.durations.dtype != np.float64:
        raise ValueError("times that are not floats")
    texts = [columns.items] if columns.items.dtype == object else []
    texts += [columns.rationales, columns.labels[1], *(u for _, u in columns.groups.values())]
    if columns.fingerprints is not None and columns.fingerprints.dtype.kind != "S":
        texts.append(columns.fingerprints)
    if any(column.dtype != object for column in texts):  # unpack's objects are texts or None
        raise ValueError("a column of texts holding something else")
    for codes, uniques in [columns.labels, *columns.groups.values()]:
        if codes.dtype.kind != "i" or (n_rows and (codes.min() < 0 or codes.max() >= len(uniques))):
            raise ValueError("codes out of range")
        if len(set(uniques.tolist())) != len(uniques):  # codes are merged by their text
            raise ValueError("a text coded twice")


def _check_texts(items: np.ndarray, prints: np.ndarray | None) -> None:
    """Raise ValueError unless ``items`` are whole numbers or texts (never ``None``: every
    event has an item) and ``prints`` texts (``None`` where missing) or bytes of one width:
    another program may have written a column of numbers where they belong."""
    whole = items.dtype == np.int64
    if not whole and (items.dtype != object or not np.not_equal(items, None).all()):
        raise ValueError("item ids that are neither whole numbers nor texts")
    if prints is not None and prints.dtype.kind not in "SO":
        raise ValueError("fingerprints that are not texts")


def _check_events(ids: np.ndarray, arrays: list[np.ndarray], n_rows: int, upto: int) -> None:
    """Raise ValueError unless ``arrays`` are all ``n_rows`` long and the event ids ascend,
    none past ``upto``."""
    if any(len(a) != n_rows for a in arrays) or ids.dtype != np.int64:
        raise ValueError("columns of different lengths")
    if n_rows and (ids[-1] > upto or (np.diff(ids) <= 0).any()):
        raise ValueError("event ids out of order")


def _keep(
    engine: Any, key: str, seen: Mark, upto: int, columns: EventColumns, where: str,
    params: list,
) -> None:  # fmt: skip
    """Write the snapshot of the query ``where``, in one transaction, keeping the newest
    others within :data:`KEPT` and :data:`ROWS_PER_EVENT`; a snapshot that cannot be written
    now (a read-only file, another connection writing, a value that is not text, an event
    changed since ``seen``) is not written."""
    if engine.read_only or columns.fingerprints is None:
        return
    parts = {
        "event_ids": columns.event_ids,
        "items": columns.items,
        "label_codes": _small_codes(columns.labels),
        "label_uniques": columns.labels[1],
        "rationales": columns.rationales,
        "created_at": columns.created_at,
        "durations": columns.durations,
        "fingerprints": fixed_texts(columns.fingerprints),
    }
    for column, codes in columns.groups.items():
        parts[f"{column}_codes"] = _small_codes(codes)
        parts[f"{column}_uniques"] = codes[1]
    _write(engine, key, seen, upto, len(columns), parts, where, params)


def _write(
    engine: Any, key: str, seen: Mark, upto: int, n_rows: int, parts: dict[str, np.ndarray],
    where: str, params: list,
) -> None:  # fmt: skip
    """Write ``parts`` as the snapshot of the query ``where`` of ``n_rows`` events up to
    ``upto``, read since ``seen``, unless another program changed an event meanwhile, or
    (PostgreSQL) one was committed below ``upto`` (see :func:`_keep`)."""
    if engine.read_only:
        return
    checks = getattr(engine, "checks_snapshots", False)
    if checks:  # what each read checks it against (_holds)
        parts = {**parts, "token": np.array([json.dumps(seen.token)], dtype=object)}
    try:
        bodies = [(name, pack(values)) for name, values in parts.items()]
    except TypeError:  # a value another program stored that is not text (a BLOB)
        return
    now = time.time()

    def write(tx: Any) -> None:
        token = tx.execute(f"SELECT upto FROM nblabel_snapshots WHERE {_TOKEN}")
        # an event changed during the read: what it read is not kept
        if (token[0][0] if token else None) != seen.token:
            return
        # first: a team member who may not delete snapshots is refused before any count
        tx.execute("DELETE FROM nblabel_snapshots WHERE query = ?", (key,))
        written = bodies
        if checks:
            gaps = _present(tx, where, params, upto, n_rows)
            if gaps is False:  # an event of the query committed during the read
                raise _NotKept  # the snapshot there stays
            if gaps is not None:
                written = [*bodies, ("gaps", pack(gaps))]
        tx.executemany(
            "INSERT INTO nblabel_snapshots (query, part, upto, rows, written_at, body)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(key, name, upto, n_rows, now, body) for name, body in written],
        )
        newest_first = tx.execute(
            "SELECT query, max(rows) FROM nblabel_snapshots WHERE query <> '' GROUP BY query"
            " ORDER BY query = ? DESC, max(written_at) DESC",
            (key,),
        )
        rows, dropped = 0, []
        for place, (query, n) in enumerate(newest_first):
            rows += n
            if place and (place >= KEPT or rows > ROWS_PER_EVENT * upto):
                dropped.append((query,))
        tx.executemany("DELETE FROM nblabel_snapshots WHERE query = ?", dropped)

    try:  # never waiting for another writer: a read must not stall behind a long write
        engine.transaction(write, wait=False)
    # the next read tries again; Conflict: another reader kept the same query's snapshot after
    # this one's DELETE found none to delete (PostgreSQL), and that one stands
    except (_NotKept, Conflict, NblabelError, StoreError, sqlite3.Error):
        return


class _NotKept(Exception):
    """Rolls back the transaction writing a snapshot whose events changed."""


def _present(tx: Any, where: str, params: list, upto: int, n_rows: int) -> np.ndarray | bool | None:
    """The gaps of the events up to ``upto`` as ranges of ids ``[lo, hi, lo, hi, ...]`` (see
    :func:`_holds`), found in the transaction ``tx``; ``None`` where they are not worth finding
    or keeping; ``False`` unless the query has ``n_rows`` events up to ``upto`` (one was
    committed after it was read)."""
    if n_rows < GAP_SHARE * upto:  # few of the ids: each read counts instead
        return None
    n_all, first, n_query = tx.execute(
        f"SELECT count(*), min(id), count(*) FILTER (WHERE {where}) FROM nblabel_events"
        " WHERE id <= ?",
        [*params, upto],
    )[0]
    if n_query != n_rows:
        return False
    if n_all and n_all == upto - first + 1:  # every id from the first on: the one gap below
        low = np.iinfo(np.int64).min
        return np.array([low, first - 1] if first > low else [], dtype=np.int64)
    rows = tx.execute(_PRESENT.format(where=where), [*params, upto])
    if sum(r[2] for r in rows) != n_rows:
        return False
    return gaps_of(np.array([r[0] for r in rows], dtype=np.int64),
                   np.array([r[1] for r in rows], dtype=np.int64), upto)  # fmt: skip


def gaps_of(blocks: np.ndarray, masks: np.ndarray, upto: int) -> np.ndarray | None:
    """The ids up to ``upto`` that are in no block, as ranges ``[lo, hi, lo, hi, ...]``;
    ``blocks`` numbers 64 ids each (block ``b`` holds ``64 * b`` to ``64 * b + 63``), and the
    bits of each mask say which of them are there. ``None`` past :data:`MAX_GAPS` ranges.

    >>> gaps_of(np.array([0, 2]), np.array([-2, -1]), 200).tolist()  # ids 1-63, 128-191
    [-9223372036854775808, 0, 64, 127, 192, 200]
    """
    order = np.argsort(blocks)
    blocks, masks = blocks[order], masks[order]
    full = masks == -1
    starts, ends = [blocks[full] << 6], [(blocks[full] << 6) + 63]
    if not full.all():  # the ids of the other blocks one by one
        bits = (masks[~full, None] >> np.arange(64)) & 1
        ids = ((blocks[~full, None] << 6) + np.arange(64))[bits.astype(bool)]
        starts.append(ids)
        ends.append(ids)
    start, end = np.concatenate(starts), np.concatenate(ends)
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    low = np.iinfo(np.int64).min
    if not len(start):
        return np.array([low, upto], dtype=np.int64)
    apart = start[1:] > end[:-1] + 1
    lo = [[low]] if start[0] > low else []
    hi = [[start[0] - 1]] if start[0] > low else []
    lo.append(end[:-1][apart] + 1)
    hi.append(start[1:][apart] - 1)
    if end[-1] < upto:
        lo.append([end[-1] + 1])
        hi.append([upto])
    lo_all, hi_all = np.concatenate(lo).astype(np.int64), np.concatenate(hi).astype(np.int64)
    if len(lo_all) > MAX_GAPS:
        return None
    return np.stack([lo_all, hi_all], axis=1).ravel()


def _are_gaps(gaps: np.ndarray, upto: int) -> bool:
    """Whether ``gaps`` are ranges of ids as :func:`gaps_of` gives them, none past ``upto``."""
    if gaps.dtype != np.int64 or len(gaps) % 2 or len(gaps) > 2 * MAX_GAPS:
        return False
    lo, hi = gaps[0::2], gaps[1::2]
    return bool((lo <= hi).all() and (lo[1:] > hi[:-1]).all() and (not len(hi) or hi[-1] <= upto))


def _small_codes(codes: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    n = len(codes[1])
    dtype = np.int8 if n < 2**7 else np.int16 if n < 2**15 else np.int32 if n < 2**31 else None
    return codes[0].astype(dtype or np.int64)


# -- one column as bytes -------------------------------------------------------------------------
def pack(values: np.ndarray) -> bytes:
    """One column as bytes: a line of JSON saying how, then the values. Numbers are their
    machine bytes: int64 as the steps from one to the next in the smallest type that holds
    them (event ids mostly step by one), a column of one value once; texts (or ``None``)
    are joined by newlines, or written as JSON when one holds a newline, with the positions
    of the ``None`` ones left out; ASCII texts of one width (``S{w}``, from
    :func:`~nblabel._codec.fixed_texts`) are their bytes, read back with no object each.

    >>> unpack(pack(np.array([3, 1], dtype=np.int64))).tolist()
    [3, 1]
    >>> unpack(pack(np.array(["a", None, "b\\nc"], dtype=object))).tolist()
    ['a', None, 'b\\nc']
    """
    if values.dtype.kind == "S":  # fingerprints as fixed_texts: their bytes as they are
        head: dict[str, Any] = {"width": values.dtype.itemsize, "n": len(values)}
        return _line(head) + np.ascontiguousarray(values).tobytes()
    if values.dtype != object:
        head = {"dtype": values.dtype.str, "n": len(values)}
        bits = values.view(np.uint64) if values.dtype.itemsize == 8 else None
        if bits is not None and len(bits) and (bits == bits[0]).all():
            return _line({**head, "fill": int(bits[0])})  # e.g. every duration missing
        if values.dtype == np.int64 and len(values) > 1:
            steps = np.diff(values)  # wraps around as the sum back does: exact either way
            small = np.min_scalar_type(-max(abs(int(steps.min())), abs(int(steps.max()))) - 1)
            if small.itemsize < 8:
                head["first"], head["steps"] = int(values[0]), small.str
                return _line(head) + steps.astype(small).tobytes()
        return _line(head) + np.ascontiguousarray(values).tobytes()
    present = np.flatnonzero(np.not_equal(values, None))  # one C loop
    texts = (values if len(present) == len(values) else values[present]).tolist()
    if not all(type(t) is str for t in texts):
        raise TypeError("a stored value that is not text")
    joined = join_lines(texts)
    head = {"texts": len(values), "present": len(texts), "lines": joined is not None}
    at = b"" if len(texts) == len(values) else present.astype(np.int64).tobytes()
    body = json.dumps(texts) if joined is None else joined
    return _line(head) + at + body.encode("utf-8", "surrogatepass")


def unpack(blob: bytes, most: int | None = None) -> np.ndarray:
    """The column :func:`pack` wrote (a new, writable array); ``ValueError`` if it is not
    one, or holds more than ``most`` values."""
    start = blob.index(b"\n") + 1
    head = json.loads(blob[:start])
    if most is not None and int(head.get("n", head.get("texts", 0))) > most:
        raise ValueError("more values than the snapshot has rows")
    if "width" in head:
        width, n = int(head["width"]), int(head["n"])
        if width < 1 or len(blob) - start != width * n:
            raise ValueError("not a column of texts of one width")
        fixed = np.frombuffer(blob, dtype=f"S{width}", offset=start).copy()
        if (fixed.view(np.uint8) >= 128).any():
            raise ValueError("texts of one width that are not ASCII")
        return fixed
    if "dtype" in head:
        dtype, n = np.dtype(head["dtype"]), int(head["n"])
        if dtype.kind not in "iuf":
            raise ValueError("not a column of numbers")
        if "fill" in head:
            if dtype.itemsize != 8 or len(blob) != start:
                raise ValueError("not a column of one value")
            return np.full(n, int(head["fill"]), dtype=np.uint64).view(dtype)
        if "steps" in head:
            small = np.dtype(head["steps"])
            if (
                dtype != np.int64
                or small.kind != "i"
                or len(blob) - start != small.itemsize * (n - 1)
            ):
                raise ValueError("not a column of steps")
            out = np.empty(n, dtype=np.int64)
            out[0] = head["first"]
            np.cumsum(np.frombuffer(blob, dtype=small, offset=start), dtype=np.int64, out=out[1:])
            out[1:] += out[0]  # wraps around as the steps did
            return out
        if len(blob) - start != dtype.itemsize * n:
            raise ValueError("not a column of numbers")
        return np.frombuffer(blob, dtype=dtype, offset=start).copy()
    n, present = int(head["texts"]), int(head["present"])
    if not 0 <= present <= n:
        raise ValueError("more texts than values")
    out = np.empty(n, dtype=object)
    at = None
    if present < n:
        at = np.frombuffer(blob, dtype=np.int64, count=present, offset=start)
        start += 8 * present
    text = blob[start:].decode("utf-8", "surrogatepass")
    if not present:
        texts: list = []
    else:
        texts = text.split("\n") if head["lines"] else json.loads(text)
        if not head["lines"] and not all(type(t) is str for t in texts):
            raise ValueError("texts that are not texts")  # pack writes none: another program's
    if len(texts) != present:
        raise ValueError("texts of another count")
    if at is None:
        out[:] = texts
    else:
        out[at] = texts
    return out


def _line(head: dict) -> bytes:
    return json.dumps(head).encode() + b"\n"
