"""The label store: an append-only log of annotation events in SQLite or PostgreSQL.

Every label, undo, review and (later) shape or span is one row of ``nblabel_events``.
Nothing is ever updated or deleted: undoing a label appends an ``undo`` event that names
the event it undoes, so history, agreement and review all read one log. The store writes its
SQL once; an engine (``_engine.py`` says what one gives) runs it on SQLite (``_sqlite.py``:
every store on one file in a process shares one connection, and a label counts as saved only
once it is committed to the file the path still names) or PostgreSQL (``_postgres.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _sqlite
from ._checks import (
    check_flag,
    check_int,
    check_item,
    check_list,
    check_name,
    check_number,
    check_order,
    check_store_path,
    given,
)
from ._codec import (
    as_texts,
    concat_texts,
    decode,
    decode_distinct,
    decode_joined,
    encode,
    encode_many,
    fixed_lines,
    present_texts,
    split_rows,
    whole_numbers,
)
from ._columns import EventColumns, factorize_texts
from ._engine import CURRENT_INDEX, OLD_INDEX, Conflict, current_label, labeled
from ._errors import NblabelError, StoreError
from ._postgres import PostgresEngine, is_postgres_url
from ._snapshot import (
    CHECKED_SCHEMA,
    LABEL_EVENTS,
    OLD_TRIGGERS,
    Mark,
    keep_labeled,
    mark,
    query_key,
    read_columns,
    read_labeled,
    remember_check,
    remembered_check,
)

__all__ = ["ANNOTATION_COLUMNS", "CurrentLabel", "LabelStore"]

SCHEMA_VERSION = 4
FORMAT_NAME = "nblabel"
DEFAULT_PATH = "nblabel.db"
#: The environment variable naming the store when none is given (a path or a URL).
STORE_URL_VARIABLE = "NBLABEL_STORE_URL"
SQLITE_MAGIC = _sqlite.SQLITE_MAGIC

_MAX_PACKED_KEY = 2**62  # past this, annotations() groups on a MultiIndex instead

#: Columns of :meth:`LabelStore.annotations`, in order.
ANNOTATION_COLUMNS = [
    "task",
    "item",
    "annotator",
    "label",
    "rationale",
    "created_at",
    "duration_s",
    "source",
    "event_id",
]

_CHUNK = 500  # ids per statement in the bulk undo


class _Refused(Exception):
    """A bulk undo names an event that is no label event, or one undone already."""

    def __init__(self, event_id: int) -> None:
        super().__init__(event_id)
        self.event_id = event_id


@dataclass(frozen=True)
class CurrentLabel:
    """The label an annotator currently holds on one item (the newest event not undone)."""

    event_id: int
    item: Any
    label: Any
    rationale: str | None
    fingerprint: str | None = None


@dataclass(frozen=True)
class AssignmentCounts:
    """A task's assignment counted (``LabelStore._assignment_counts``): its slots, those done
    and claimed, the items with a free slot, and by annotator their claimed slots and the
    items with a free slot they have taken (and so may not take again)."""

    slots: int
    done: int
    claimed: int
    free_items: int
    claimed_by: dict[str, int]
    free_items_taken_by: dict[str, int]


class LabelStore:
    """A durable, append-only store of annotations, in a SQLite file or a PostgreSQL database.

    Parameters
    ----------
    path_or_url
        A SQLite file path, a ``sqlite:///path`` URL, or a PostgreSQL URL
        ``postgresql://user@host:5432/database`` (the password in the URL or, better, in
        ``PGPASSWORD`` or ``~/.pgpass``; needs ``pip install 'nblabel[postgres]'``). Left out,
        the environment variable ``NBLABEL_STORE_URL`` names the store, else ``nblabel.db``.
        A missing SQLite file is created; an existing file that is not an nblabel database is
        refused, never overwritten; a valid store that cannot be written (a read-only folder)
        opens read-only. In a PostgreSQL database the store's tables (all named ``nblabel_…``)
        are created in the current schema if missing.
    durability
        ``"normal"`` (default): every label is committed before it is acknowledged and survives
        a killed kernel. ``"full"`` also survives a power loss, at about 10x the write cost
        (SQLite; a PostgreSQL server decides that by its own settings).
    clock
        Returns the current time in seconds since the epoch; injectable for tests.

    Notes
    -----
    Every store on the same SQLite file in one process shares one connection. About a second
    after the last write, and at exit, the write-ahead log is copied into the ``.db`` file, so
    that file alone holds the labels; to copy a store at any moment, use :meth:`backup`.
    A PostgreSQL store is one connection per store; a write is committed on the server when
    the call returns, and a lost connection is opened again on the next call.

    Examples
    --------
    >>> store = LabelStore("labels.db")                               # doctest: +SKIP
    >>> team = LabelStore("postgresql://alice@db.example.org/labels")  # doctest: +SKIP
    >>> store.annotations(task="sentiment")                           # doctest: +SKIP
    >>> store.backup("labels-backup.db", overwrite=True)              # doctest: +SKIP
    """

    def __init__(
        self,
        path_or_url: str | os.PathLike | None = None,
        *,
        durability: str = "normal",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(durability, str) or durability not in {"normal", "full"}:
            raise NblabelError(
                f"durability= must be 'normal' or 'full' (survives a power loss too), not "
                f"{durability!r}"
            )
        if not callable(clock):
            raise NblabelError(f"clock= must be a function returning seconds, not {clock!r}")
        if path_or_url is None:
            path_or_url = os.environ.get(STORE_URL_VARIABLE) or DEFAULT_PATH
        self._clock = clock
        self._closed = False
        self._engine: Any
        if is_postgres_url(path_or_url):
            self.path: Path | None = None
            self._engine = PostgresEngine(str(path_or_url))
        else:
            self.path = check_store_path(path_or_url, "path_or_url").expanduser().resolve()
            self._engine = _sqlite.SqliteEngine(self.path, durability)
        try:
            self._refuse_foreign_database()
            if self.path is not None:
                self._engine.shared.use_wal()
            self._init_schema()
        except BaseException:
            self._closed = True
            self._engine.discard()
            raise

    # -- opening -----------------------------------------------------------------------------
    def _refuse_foreign_database(self) -> None:
        tables = self._engine.tables()
        where = self._engine.location
        if "nblabel_meta" not in tables:
            ours = sorted(t for t in tables if t.startswith("nblabel_"))
            # a SQLite file is the store alone; a PostgreSQL schema may hold other tables
            foreign = (
                ours
                if self.path is None
                else sorted(t for t in tables if not t.startswith("sqlite_"))
            )
            if foreign:
                raise NblabelError(
                    f"{where} is a {self._engine.name} database of something else (tables: "
                    f"{', '.join(foreign[:5])}); nblabel never writes into it: choose "
                    f"another {'file name' if self.path is not None else 'database or schema'}"
                )
            return
        meta = dict(self._engine.read("SELECT key, value FROM nblabel_meta"))
        if meta.get("format") != FORMAT_NAME:
            raise NblabelError(f"{where} is not an nblabel database")
        _refuse_newer(where, meta.get("schema_version", 0))

    def _schema_version(self) -> int | None:
        if "nblabel_meta" not in self._engine.tables():
            return None
        row = self._engine.read("SELECT value FROM nblabel_meta WHERE key = 'schema_version'")
        return int(row[0][0]) if row else 0

    def _init_schema(self) -> None:
        version = self._schema_version()
        if version == SCHEMA_VERSION:
            self._upgrade_in_place()
            return
        if self._engine.read_only:
            if version is None:
                raise StoreError(_sqlite.read_only_message(self.path))
            if version < 2:
                self._fingerprint_sql = "NULL"  # an old store read as it is
            self._has_places = version >= 3
            self._no_slots = True
            return
        engine = self._engine
        where = engine.location

        def create_or_migrate(tx: Any) -> None:
            # look again inside the transaction: another process may have done it meanwhile
            if "nblabel_meta" in tx.tables():
                row = tx.execute("SELECT value FROM nblabel_meta WHERE key = 'schema_version'")
                old = int(row[0][0]) if row else 0
                _refuse_newer(where, old)
                if old == SCHEMA_VERSION:
                    # made meanwhile: its DDL again would lock tables others already write
                    # to (on PostgreSQL, in another order than theirs: a deadlock)
                    return
                for statement in engine.migration(old):
                    tx.execute(statement)
            for statement in engine.schema:
                tx.execute(statement)
            tx.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
            tx.executemany(
                "INSERT INTO nblabel_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                [("format", FORMAT_NAME), ("schema_version", str(SCHEMA_VERSION))],
            )
            tx.execute(
                "UPDATE nblabel_meta SET value = ? WHERE key = 'schema_version'",
                (str(SCHEMA_VERSION),),
            )

        engine.transaction(create_or_migrate, lock="nblabel schema")

    def _upgrade_in_place(self) -> None:
        """Give a store made before :data:`~nblabel._engine.CURRENT_INDEX` that index (once:
        it takes about a second per million events) in place of the one it replaces, one made
        before snapshots (``_snapshot``) their table and triggers, one made before
        remembered checks their table, and one made before put-ups were remembered
        (:meth:`add_items`) and slots marked done their table, column, triggers and indexes."""
        engine = self._engine
        if engine.read_only:
            return
        if "nblabel_events_current" not in engine.indexes():

            def swap(tx: Any) -> None:
                tx.execute(CURRENT_INDEX)
                tx.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")

            engine.transaction(swap, lock="nblabel schema")
        snapshots = getattr(engine, "snapshot_schema", [])
        triggers = engine.triggers() if snapshots else set()
        if snapshots and (
            not set(engine.snapshot_triggers) <= triggers or set(OLD_TRIGGERS) & triggers
        ):

            def add(tx: Any) -> None:
                for statement in snapshots:
                    tx.execute(statement)

            # a team member who may not create them: reads go row by row
            with contextlib.suppress(StoreError):
                engine.transaction(add, lock="nblabel schema")
        tables = engine.tables()
        if "nblabel_checked" not in tables:
            # a team member who may not create tables: checks are not remembered
            with contextlib.suppress(StoreError):
                engine.transaction(lambda tx: tx.execute(CHECKED_SCHEMA), lock="nblabel schema")
        if "nblabel_put_up" not in tables or not set(engine.done_triggers) <= engine.triggers():

            def assignment(tx: Any) -> None:
                columns = {row[0] for row in tx.execute(engine.columns_sql, ("nblabel_slots",))}
                if (
                    "nblabel_put_up" in tx.tables()
                    and "done" in columns
                    and set(engine.done_triggers)
                    <= {row[0] for row in tx.execute(engine.triggers_sql)}
                ):
                    return  # made meanwhile, by another kernel
                if "done" not in columns:  # a store of an earlier release
                    tx.execute("ALTER TABLE nblabel_slots ADD COLUMN done INTEGER")
                for statement in engine.assignment_schema:
                    tx.execute(statement)

            # a team member who may not make them: every put-up writes its slots again, and
            # claims read what is done from the events
            with contextlib.suppress(StoreError):
                engine.transaction(assignment, lock="nblabel schema")

    _fingerprint_sql = "e.fingerprint"
    _has_places = True  # an old store opened read-only has no places (schema 3)
    _no_slots = False  # nor an assignment table (schema 4)

    # -- identity ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The store's location as a URL, e.g. ``sqlite:////home/me/labels.db`` or
        ``postgresql://alice@db/labels`` (a password in it shows as ``***``)."""
        return f"sqlite:///{self.path}" if self.path is not None else self._engine.location

    @property
    def location(self) -> str:
        """Where the store is, to show a person: the file path, or the URL without password."""
        return self._engine.location

    @property
    def engine(self) -> str:
        """``"SQLite"`` or ``"PostgreSQL"``."""
        return self._engine.name

    @property
    def read_only(self) -> bool:
        """``True`` when the store can be read but not written (a read-only folder or file)."""
        return self._engine.read_only

    def __repr__(self) -> str:
        return f"LabelStore({self.location!r})"

    def close(self) -> None:
        """Close this store (every label is already committed). The connection it shares
        with other stores on the same file closes with the last of them."""
        if not self._closed:
            self._closed = True
            self._engine.close()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the label store {self.location} was closed: open it again")

    def _sqlite_only(self, what: str, instead: str) -> _sqlite.SharedConnection:
        self._check_open()
        if self.path is None:
            raise NblabelError(f"{what} is for SQLite stores; on {self.location}, {instead}")
        return self._engine.shared

    # -- copies ------------------------------------------------------------------------------
    def checkpoint(self) -> None:
        """Copy the write-ahead log into the ``.db`` file now (it also happens by itself
        about a second after the last write, and at exit). SQLite stores only."""
        self._sqlite_only("checkpoint()", "the server writes its own log").checkpoint()

    def backup(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write a consistent copy of the store to ``path`` (SQLite's backup API) and return
        its path. Safe while labeling goes on; never copy a live store with ``cp``.

        A PostgreSQL store is copied into a new SQLite store file, read in one transaction
        (for the server's own backups, use ``pg_dump``).

        The copy is written to a temporary file and renamed into place. ``overwrite=True``
        replaces an existing file (never the store itself or another open store).

        Examples
        --------
        >>> store.backup("labels-2026-11-29.db")                      # doctest: +SKIP
        """
        self._check_open()
        overwrite = check_flag(overwrite, "overwrite")
        if (
            not isinstance(path, (str, os.PathLike))
            or isinstance(os.fspath(path), bytes)
            or not os.fspath(path).strip()
        ):
            raise NblabelError(
                f"path= must be the file to write the copy to, such as 'labels-copy.db', not "
                f"{given(path)}"
            )
        target = Path(path).expanduser().resolve()
        if target.is_dir():
            raise NblabelError(
                f"path={os.fspath(path)!r} is a folder: give a file in it, such as "
                f"{target / 'labels-copy.db'}"
            )
        # an old backup may be replaced (overwrite=True); an open store never
        refuse_store_target(target, what="a backup", any_sqlite=False)
        if target.exists() and not overwrite:
            raise NblabelError(
                f"{target} already exists: choose a new file name, or pass overwrite=True"
            )
        if not target.parent.is_dir():
            raise NblabelError(f"the folder {target.parent} does not exist: create it first")

        def write(tmp: Path) -> None:
            copy = sqlite3.connect(tmp)
            try:
                if self.path is not None:
                    self._engine.shared.read(lambda db: db.backup(copy))
                else:
                    self._copy_into(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()

        write_atomically(target, write)
        return target

    def _copy_into(self, copy: sqlite3.Connection) -> None:
        """Copy every table of a PostgreSQL store, as of one moment, into a new SQLite file."""
        tables = ["nblabel_meta", "nblabel_events", "nblabel_tasks", "nblabel_slots"]

        def read_all(tx: Any) -> dict[str, list[tuple]]:
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return {t: tx.execute(f"SELECT * FROM {t}") for t in tables}

        rows = self._engine.transaction(read_all)
        for statement in _sqlite.SqliteEngine.schema:
            copy.execute(statement)
        for table, content in rows.items():
            if content:
                marks = ", ".join("?" * len(content[0]))
                copy.executemany(f"INSERT INTO {table} VALUES ({marks})", content)
        copy.commit()

    # -- writing -----------------------------------------------------------------------------
    def append(
        self,
        *,
        task: str,
        item: Any,
        annotator: str,
        label: Any,
        rationale: str | None = None,
        duration_s: float | None = None,
        source: str = "annotator",
        meta: dict | None = None,
        fingerprint: str | None = None,
    ) -> int:
        """Append one annotation and commit it. Returns the event id.

        The write is durable when this returns: a killed process loses nothing appended.
        ``fingerprint`` is a short hash of the content shown when the label was given.
        """
        self._check_open()
        params = (
            check_name(task, "task", "sentiment"),
            _encoded(check_item(item), "item"),
            check_name(annotator, "annotator"),
            _encoded(label, "label"),
            _storable_text(rationale, "rationale"),
            self._clock(),
            _duration(duration_s),
            check_name(source, "source", "annotator"),
            _meta_text(meta),
            _fingerprint(fingerprint),
        )
        return self._engine.insert(
            "INSERT INTO nblabel_events (task, item, annotator, action, label, rationale,"
            " created_at, duration_s, source, meta, fingerprint)"
            " VALUES (?, ?, ?, 'label', ?, ?, ?, ?, ?, ?, ?)",
            params,
        )

    def undo(self, event_id: int, *, annotator: str) -> int:
        """Append an event that undoes the label event ``event_id``. Returns the new event id.

        Refused (``NblabelError``) when ``event_id`` is not a label event or is already
        undone; the check and the write are one statement, so two undos cannot both pass.
        """
        event_id = _event_id(event_id, "event_id")
        check_name(annotator, "annotator")
        self._check_open()

        try:
            new_id = self._engine.insert(
                "INSERT INTO nblabel_events (task, item, annotator, action, created_at, source,"
                " target) SELECT task, item, CAST(? AS TEXT), 'undo', CAST(? AS DOUBLE PRECISION),"
                " source, id FROM nblabel_events WHERE id = ? AND action = 'label'"
                " AND NOT EXISTS (SELECT 1 FROM nblabel_events u WHERE u.target = ?)",
                (annotator, self._clock(), event_id, event_id),
            )
        except Conflict:  # another kernel undid it at the same moment (PostgreSQL)
            new_id = None
        if new_id is None:
            row = self._query("SELECT action FROM nblabel_events WHERE id = ?", (event_id,))
            if not row or row[0][0] != "label":
                raise NblabelError(f"there is no label event {event_id} to undo")
            raise NblabelError(f"the label event {event_id} is already undone")
        return new_id

    def append_many(
        self,
        *,
        task: str,
        items: Iterable[Any],
        annotator: str,
        label: Any = None,
        labels: Iterable[Any] | None = None,
        source: str = "annotator",
        meta: dict | None = None,
        fingerprints: Iterable[str | None] | None = None,
        rationale: str | None = None,
        duration_s: float | None = None,
    ) -> list[int]:
        """Append one annotation with ``label`` per item of ``items`` in ONE transaction (a
        bulk label): every event is committed when this returns, or none is. Returns the event
        ids, in the order of ``items``. ``meta`` (e.g. ``{"batch": ...}``) goes with each.

        ``labels`` gives each item its own label instead (a page of a grid), one per item;
        ``rationale`` and ``duration_s`` (seconds per item) go with every event."""
        self._check_open()
        check_name(task, "task", "sentiment")
        check_name(annotator, "annotator")
        check_name(source, "source", "annotator")
        items = _item_texts(check_list(items, "items", "['a', 'b']"), "items")
        prints = [None] * len(items) if fingerprints is None else [
            _fingerprint(fp, "fingerprints") for fp in check_list(
                fingerprints, "fingerprints", "[None, None]")
        ]  # fmt: skip
        if len(prints) != len(items):
            raise NblabelError(f"{len(prints)} fingerprints for {len(items)} items: give one each")
        if labels is None:
            values = [_encoded(label, "label")] * len(items)
        else:
            if label is not None:
                raise NblabelError("give label= (the same for every item) or labels=, not both")
            values = _encoded(check_list(labels, "labels", "['pos', 'neg']"), "labels",
                              encode_many)  # fmt: skip
            if len(values) != len(items):
                raise NblabelError(f"{len(values)} labels for {len(items)} items: give one each")
        if not items:
            return []
        # a batch id in meta tells this batch's rows from any other's, on both engines
        _meta_text(meta)
        meta = {**(meta or {}), "bulk": uuid.uuid4().hex}
        text, at = json.dumps(meta), self._clock()
        why = _storable_text(rationale, "rationale")
        took = _duration(duration_s)
        rows = [(task, item, annotator, value, why, at, took, source, text, fp)
                for item, value, fp in zip(items, values, prints, strict=True)]  # fmt: skip

        def run(tx: Any) -> list[int]:
            # the rows are new: their ids are above the largest before them (read through the
            # primary key), so only they are looked at for the batch id
            ((last,),) = tx.execute("SELECT COALESCE(MAX(id), 0) FROM nblabel_events")
            tx.executemany(
                "INSERT INTO nblabel_events (task, item, annotator, action, label, rationale,"
                " created_at, duration_s, source, meta, fingerprint)"
                " VALUES (?, ?, ?, 'label', ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            # ids grow with the insertion order: sorted, they follow the items
            found = tx.execute(
                "SELECT id FROM nblabel_events WHERE id > ? AND meta = ? ORDER BY id",
                (last, text),
            )
            return [int(r[0]) for r in found]

        return self._engine.transaction(run)

    def undo_many(self, event_ids: Iterable[int], *, annotator: str) -> list[int]:
        """:meth:`undo` every event of ``event_ids`` in ONE transaction: all are undone, or
        (one is not a label event, or is undone already) none is and ``NblabelError`` says
        which. Returns the new event ids."""
        check_name(annotator, "annotator")
        ids = [_event_id(i, "event_ids") for i in
               check_list(event_ids, "event_ids", "[12, 13]")]  # fmt: skip
        self._check_open()
        if len(set(ids)) != len(ids):
            raise NblabelError("event_ids names an event twice: undo each once")
        if not ids:
            return []
        at = self._clock()

        def run(tx: Any) -> list[int]:
            new_ids: list[int] = []
            for start in range(0, len(ids), _CHUNK):  # well under either engine's limit
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                found = tx.execute(
                    f"SELECT id FROM nblabel_events e WHERE id IN ({marks}) AND action = 'label'"
                    " AND NOT EXISTS (SELECT 1 FROM nblabel_events u WHERE u.target = e.id)",
                    chunk,
                )
                free = {int(r[0]) for r in found}
                refused = [i for i in chunk if i not in free]
                if refused:
                    raise _Refused(refused[0])
                rows = tx.execute(
                    "INSERT INTO nblabel_events (task, item, annotator, action, created_at,"
                    " source, target) SELECT task, item, CAST(? AS TEXT), 'undo',"
                    f" CAST(? AS DOUBLE PRECISION), source, id FROM nblabel_events WHERE id IN"
                    f" ({marks}) ORDER BY id RETURNING id",
                    (annotator, at, *chunk),
                )
                new_ids.extend(sorted(int(r[0]) for r in rows))
            return new_ids

        try:
            return self._engine.transaction(run)
        except (_Refused, Conflict) as exc:  # Conflict: undone meanwhile by another kernel
            which = exc.event_id if isinstance(exc, _Refused) else "of this batch"
            raise NblabelError(
                f"the label event {which} is not a label event or is undone already: "
                "nothing of this batch was undone"
            ) from None

    def task_info(self, task: str) -> dict | None:
        """What the store knows about ``task`` (its kind and options), or ``None``."""
        _check_names(task=task)
        if self._fingerprint_sql == "NULL":
            return None  # an old read-only store has no task table
        row = self._query("SELECT info FROM nblabel_tasks WHERE task = ?", (task,))
        return decode(row[0][0]) if row else None

    def set_task_info(self, task: str, info: dict) -> None:
        """Record what defines ``task`` (e.g. ``{"kind": "classify", "options": [...]}``)."""
        _check_names(task=task)
        if not isinstance(info, dict):
            raise NblabelError(
                f"info= must be a dict such as {{'kind': 'classify'}}, not {given(info)}"
            )
        self._check_open()
        text = encode(dict(info))
        self._engine.execute(
            "INSERT INTO nblabel_tasks (task, info) VALUES (?, ?)"
            " ON CONFLICT (task) DO UPDATE SET info = excluded.info",
            (task, text),
        )

    def set_place(self, task: str, annotator: str, item: Any, source: str = "annotator") -> None:
        """Record ``item`` as where ``annotator``'s session on ``task`` last moved by hand (a
        skip, back, go to or undo); a new session starts from there (:meth:`place`)."""
        _check_names(task=task, annotator=annotator, source=source)
        self._check_open()
        text = encode(item)
        self._engine.execute(
            "INSERT INTO nblabel_places (task, annotator, source, item, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (task, annotator, source)"
            " DO UPDATE SET item = excluded.item, updated_at = excluded.updated_at",
            (task, annotator, source, text, time.time()),
        )

    def place(self, task: str, annotator: str, source: str = "annotator") -> Any | None:
        """The item set by :meth:`set_place` for this annotator and task, or ``None``."""
        _check_names(task=task, annotator=annotator, source=source)
        if not self._has_places:  # an old store read as it is
            return None
        rows = self._query(
            "SELECT item FROM nblabel_places WHERE task = ? AND annotator = ? AND source = ?",
            (task, annotator, source),
        )
        return decode(rows[0][0]) if rows else None

    # -- assignment --------------------------------------------------------------------------
    def add_items(self, task: str, items: Iterable[Any], *, overlap: int) -> None:
        """Put ``items`` of ``task`` up for assignment, each to be labeled by ``overlap``
        annotators; their order is their priority. Items already up keep their place, so every
        annotator's kernel may add the same items (see :class:`~nblabel.Assignment`)."""
        _check_names(task=task)
        self._check_open()
        self._check_slots()
        overlap = check_int(overlap, "overlap", minimum=1)
        # a store without the table (its owner has not opened it since it came), or a team
        # member the owner has not granted it to: every put-up writes its slots
        remembers = "nblabel_put_up" in self._engine.tables()
        named, encoded = _named_items(items), None
        if named is None:
            encoded = _item_texts(check_list(items, "items", "df.index"), "items")
            named = "texts " + _digest("\n".join(encoded))  # JSON texts: no newline inside
        if remembers:
            try:
                if self._put_up(task, named, overlap):
                    return
            except StoreError:
                remembers = False
        if encoded is None:
            encoded = _item_texts(check_list(items, "items", "df.index"), "items")
        encoded = list(dict.fromkeys(encoded))

        def run(tx: Any) -> None:
            # each item up: its priority, and its number of slots
            known = {
                item: (priority, slots)
                for item, priority, slots in tx.execute(
                    "SELECT item, MIN(priority), COUNT(*) FROM nblabel_slots WHERE task = ?"
                    " GROUP BY item",
                    (task,),
                )
            }
            start = max((priority for priority, _ in known.values()), default=-1) + 1
            rows, fresh = [], 0
            for item in encoded:
                if item in known:
                    priority, slots = known[item]
                    if slots >= overlap:
                        continue  # up with every slot asked: nothing to write
                else:
                    priority, fresh = start + fresh, fresh + 1
                rows += [(task, item, slot, priority) for slot in range(overlap)]
            # in key order, whatever the priority: kernels putting the same items up in
            # different orders (each annotator's own ranking) then never wait on each other
            # in a cycle (PostgreSQL would end one of them as a deadlock)
            rows.sort(key=lambda row: (row[1], row[2]))
            tx.executemany(
                "INSERT INTO nblabel_slots (task, item, slot, priority) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (task, item, slot) DO NOTHING",
                rows,
            )

        self._engine.transaction(run)
        if remembers:  # the slots are there: from now on, a put-up of these items is a read
            with contextlib.suppress(StoreError):
                self._engine.execute(
                    "INSERT INTO nblabel_put_up (task, items, overlap) VALUES (?, ?, ?)"
                    " ON CONFLICT (task, items, overlap) DO NOTHING",
                    (task, named, overlap),
                )

    def _put_up(self, task: str, named: str, overlap: int) -> bool:
        """Whether ``named`` items (:func:`_named_items`) were put up for ``task`` with at least
        ``overlap`` slots each: then every slot is there (slots are never deleted; the triggers
        drop this record when another program deletes some)."""
        rows = self._engine.read(
            "SELECT 1 FROM nblabel_put_up WHERE task = ? AND items = ? AND overlap >= ?",
            (task, named, overlap),
        )
        return bool(rows)

    def claim(
        self,
        task: str,
        annotator: str,
        *,
        batch: int,
        claim_timeout: float,
        ranking: Iterable[Any] | None = None,
    ) -> list[Any]:
        """Claim up to ``batch`` items of ``task`` for ``annotator``, atomically, and return
        them in priority order: the annotator's open claims (renewed) topped up with new ones.

        A new claim takes a free slot (or one whose claim expired unlabeled) of an item this
        annotator has neither labeled nor claimed; at most ``overlap`` annotators hold an item
        (see :meth:`add_items`). An empty list: nothing left, or all that is left is claimed
        by others for now.

        ``ranking`` (optional): item ids, most wanted first (an active-learning order). New
        claims then take the top-ranked items still open to this annotator, and only items
        it names; the open claims come back first, in its order. Without it, the priority
        given by :meth:`add_items` decides.
        """
        _check_names(task=task, annotator=annotator)
        self._check_open()
        self._check_slots()
        batch = check_int(batch, "batch", minimum=1)
        if not isinstance(claim_timeout, (int, float)) or not claim_timeout > 0:
            raise NblabelError(
                f"claim_timeout= must be a number of seconds above 0, not {claim_timeout!r}"
            )
        ranks = None if ranking is None else _Ranking(ranking, first=max(64, 8 * batch))
        lock = self._engine.lock_clause
        # slots marked done (``_engine``): the open claims and the free slots are read through
        # their indexes, every slot done left aside; else each claim reads them all
        marked = self._marks_done()
        open_claim = "s.done = 0 AND " if marked else ""
        # not held by this annotator, nor labeled by them: probes of the indexes, where marked
        # (a claim reads a few rows); else each engine hashes the annotator's items once
        if marked:
            not_theirs = (  # probes (``_engine.labeled``)
                " AND NOT EXISTS (SELECT 1 FROM nblabel_slots m WHERE m.task = s.task"
                " AND m.item = s.item AND m.annotator = ? LIMIT 1 OFFSET 0)"
                " AND NOT EXISTS (SELECT 1 FROM nblabel_events e WHERE e.task = s.task"
                " AND e.annotator = ? AND e.source = 'annotator' AND e.action = 'label'"
                " AND e.item = s.item LIMIT 1 OFFSET 0)"
            )
            theirs: tuple = (annotator, annotator)
        else:
            not_theirs = (
                " AND s.item NOT IN (SELECT m.item FROM nblabel_slots m WHERE m.task = ?"
                " AND m.annotator = ?)"
                " AND s.item NOT IN (SELECT e.item FROM nblabel_events e WHERE e.task = ?"
                " AND e.annotator = ? AND e.action = 'label' AND e.source = 'annotator')"
            )
            theirs = (task, annotator, task, annotator)
        labeled = _LABELED_PROBE if marked else _LABELED
        lapsed = f"s.annotator IS NOT NULL AND {open_claim}s.expires_at < ? AND NOT {labeled}"
        # each query with whether it takes the time (a lapsed claim's)
        if ranks is not None:
            # the ranking's part drives, best rank first: free and lapsed slots in one query
            free_queries = [(
                f"SELECT s.item, s.slot, r.rank FROM nblabel_slots s JOIN {self._engine.ranked}"
                f" r ON r.value = s.item WHERE s.task = ? AND (s.annotator IS NULL OR ({lapsed}))"
                f"{not_theirs} ORDER BY r.rank, s.slot LIMIT ?{lock}", True,
            )]  # fmt: skip
        elif marked:
            # free slots, and lapsed claims, each in priority order; merged below
            free_queries = [(
                "SELECT s.item, s.slot, s.priority FROM nblabel_slots s WHERE s.task = ?"
                f" AND s.annotator IS NULL{not_theirs} ORDER BY s.priority, s.slot LIMIT ?{lock}",
                False,
            ), (
                f"SELECT s.item, s.slot, s.priority FROM nblabel_slots s WHERE s.task = ?"
                f" AND {lapsed}{not_theirs} ORDER BY s.priority, s.slot LIMIT ?{lock}", True,
            )]  # fmt: skip
        else:
            free_queries = [(
                "SELECT s.item, s.slot, s.priority FROM nblabel_slots s WHERE s.task = ?"
                f" AND (s.annotator IS NULL OR ({lapsed})){not_theirs}"
                f" ORDER BY s.priority, s.slot LIMIT ?{lock}", True,
            )]  # fmt: skip

        def chunks() -> Iterator[tuple]:
            """What the free slots are joined to: nothing, or the ranking's next part; the
            top of a ranking usually fills a batch, so its tail is rarely even encoded."""
            if ranks is None:
                yield ()
                return
            for part in ranks.parts():
                yield (json.dumps(part),)

        def free_rows(tx: Any, joined: tuple, now: float, limit: int) -> list[tuple]:
            """Up to ``limit`` slots open to the annotator, best first: (item, slot, rank)."""
            rows = []
            for sql, timed in free_queries:
                rows += tx.execute(sql, (*joined, task, *([now] if timed else []), *theirs, limit))
            if len(free_queries) > 1:
                rows.sort(key=lambda row: (row[2], row[1]))
            return rows[:limit]

        def run(tx: Any) -> list[str]:
            now = self._clock()
            until = now + float(claim_timeout)
            mine = tx.execute(
                "SELECT s.item, s.slot FROM nblabel_slots s WHERE s.task = ? AND s.annotator = ?"
                f" AND {open_claim}NOT {labeled} ORDER BY s.priority, s.slot{lock}",
                (task, annotator),
            )
            if ranks is not None:  # stable: items the ranking leaves out keep their priority
                place = ranks.places({item for item, _ in mine})
                mine.sort(key=lambda row: place.get(row[0], len(ranks)))
            renew = [(until, task, item, slot) for item, slot in mine]
            need = batch - len(mine)
            new: list[tuple] = []
            if need > 0:
                taken: set[str] = set()
                for joined in chunks():
                    # an item may have several free slots: read more rows until enough
                    # items come (or the rows run out)
                    limit = 2 * (need - len(new))
                    while True:
                        free = free_rows(tx, joined, now, limit)
                        for item, slot, _ in free:  # one slot of an item, however many are free
                            if item not in taken and len(new) < need:
                                taken.add(item)
                                new.append((annotator, now, until, task, item, slot))
                        if len(new) == need or len(free) < limit:
                            break
                        limit *= 4
                    if len(new) == need:
                        break
            if renew:
                tx.executemany(
                    "UPDATE nblabel_slots SET expires_at = ? WHERE task = ? AND item = ?"
                    " AND slot = ?",
                    renew,
                )
            if new:
                tx.executemany(
                    "UPDATE nblabel_slots SET annotator = ?, claimed_at = ?, expires_at = ?"
                    " WHERE task = ? AND item = ? AND slot = ?",
                    new,
                )
            return [item for item, _ in mine] + [row[4] for row in new]

        for attempt in range(10):
            try:
                # one claim per annotator and task at a time: two kernels of one annotator
                # share one batch
                claimed = self._engine.transaction(run, lock=f"nblabel claim {task}\n{annotator}")
                return [decode(item) for item in claimed]
            except Conflict:
                # this annotator claimed the same item from another kernel at this moment
                time.sleep(0.01 * (attempt + 1))
        raise StoreError(
            f"could not claim items of task {task!r} for {annotator!r}: another kernel of the "
            "same annotator keeps claiming the same items; label from one kernel at a time"
        )

    def release(self, task: str, annotator: str) -> None:
        """Give back the items ``annotator`` claimed on ``task`` and has not labeled."""
        _check_names(task=task, annotator=annotator)
        self._check_open()
        self._check_slots()
        self._engine.execute(
            "UPDATE nblabel_slots SET annotator = NULL, claimed_at = NULL, expires_at = NULL"
            " WHERE task = ? AND annotator = ? AND NOT EXISTS (SELECT 1 FROM nblabel_events e"
            " WHERE e.task = nblabel_slots.task AND e.item = nblabel_slots.item"
            " AND e.annotator = nblabel_slots.annotator AND e.action = 'label'"
            " AND e.source = 'annotator'"
            " AND NOT EXISTS (SELECT 1 FROM nblabel_events u WHERE u.target = e.id))",
            (task, annotator),
        )

    def holds_slot(self, task: str, item: Any, annotator: str) -> bool | None:
        """Whether ``annotator`` holds a slot of ``item`` (claimed, lapsed but not taken by
        anyone else, or labeled); ``None`` when the item is not up for assignment."""
        _check_names(task=task, annotator=annotator)
        self._check_open()
        if self._no_slots:
            return None
        rows = self._query(
            "SELECT annotator FROM nblabel_slots WHERE task = ? AND item = ?",
            (task, encode(item)),
        )
        if not rows:
            return None
        return any(row[0] == annotator for row in rows)

    def _work_left(self, task: str) -> bool:
        """Whether a slot of ``task`` is not done: free, or claimed and not labeled (by a
        claim that may lapse). One row is read, never the whole assignment."""
        if self._marks_done():  # a free slot, else an open claim: through their indexes
            wheres = [
                "s.annotator IS NULL",
                f"s.annotator IS NOT NULL AND s.done = 0 AND NOT {_LABELED_PROBE}",
            ]
            return any(
                self._query(
                    f"SELECT 1 FROM nblabel_slots s WHERE s.task = ? AND {w} LIMIT 1", (task,)
                )
                for w in wheres
            )
        rows = self._query(
            "SELECT 1 FROM nblabel_slots s WHERE s.task = ?"
            f" AND (s.annotator IS NULL OR NOT {_LABELED}) LIMIT 1",
            (task,),
        )
        return bool(rows)

    def _marks_done(self) -> bool:
        """Whether the slots' ``done`` is kept (``_engine``): its triggers are all there."""
        return set(self._engine.done_triggers) <= self._engine.triggers()

    def slots(self, task: str) -> pd.DataFrame:
        """The assignment of ``task``: one row per slot, with columns ``item, slot,
        priority, annotator, claimed_at, expires_at, done`` (``done``: its annotator holds a
        label on the item). Empty when no items were put up (:meth:`add_items`)."""
        _check_names(task=task)
        self._check_open()
        columns = ["item", "slot", "priority", "annotator", "claimed_at", "expires_at", "done"]
        # a slot's mark where it is exact (SQLite: one writer at a time, its triggers see
        # every event committed), else what the events say
        exact = getattr(self._engine, "done_is_exact", False) and self._marks_done()
        done = (
            "COALESCE(s.done, 0)"
            if exact
            else f"CASE WHEN s.annotator IS NOT NULL AND {_LABELED} THEN 1 ELSE 0 END"
        )
        rows = (
            []
            if self._no_slots
            else self._query(
                f"SELECT s.item, s.slot, s.priority, s.annotator, s.claimed_at, s.expires_at,"
                f" {done} FROM nblabel_slots s WHERE s.task = ?",
                (task,),
            )
        )
        # column by column (a million slots as rows of a DataFrame took seconds), then in
        # priority order (sorted here: no index has every slot in that order)
        values = [np.array(c, dtype=object) for c in zip(*rows, strict=True)] if rows else [[]] * 7
        rows = None
        if len(values[0]):
            order = np.lexsort((values[1].astype(np.int64), values[2].astype(np.int64)))
            values = [v[order] for v in values]
        codes, texts = pd.factorize(np.asarray(values[0], dtype=object))
        items = decode_distinct(texts)[0][codes] if len(codes) else np.empty(0, dtype=object)
        frame = pd.DataFrame(
            {
                "item": pd.Series(items, dtype=object),
                **{c: pd.Series(v) for c, v in zip(columns[1:], values[1:], strict=True)},
            },
            columns=columns,
        )
        for column in ("claimed_at", "expires_at"):
            frame[column] = pd.to_datetime(frame[column].astype(float), unit="s", utc=True)
        frame["slot"] = frame["slot"].astype("int64")
        frame["priority"] = frame["priority"].astype("int64")
        frame["done"] = frame["done"].astype(bool)
        frame["annotator"] = frame["annotator"].astype(object)
        return frame

    def _assignment_counts(self, task: str, now: float) -> AssignmentCounts | None:
        """What :func:`nblabel.status` tells of ``task``'s assignment at ``now``, counted by
        the engine (a million slots as rows took seconds); ``None`` when no items were put up.

        A slot is *done* when its annotator holds a label on its item, *claimed* when held,
        not done and not lapsed, else *free*. An annotator has *taken* an item they hold a
        slot of (in any state) or have labeled."""
        _check_names(task=task)
        self._check_open()
        if self._no_slots:
            return None
        exact = getattr(self._engine, "done_is_exact", False) and self._marks_done()
        if exact:
            done, labels, params = "COALESCE(s.done, 0) = 1", "", (now, task)
        else:  # joined, not a subquery per slot (PostgreSQL then read every label per slot)
            done = "k.item IS NOT NULL"
            labels = (
                " LEFT JOIN (SELECT DISTINCT e.item, e.annotator FROM nblabel_events e"
                f" WHERE e.task = ? AND {current_label('e')}) k"
                " ON k.item = s.item AND k.annotator = s.annotator"
            )
            params = (now, task, task)
        # each slot's state read once (0 free, 1 done, 2 claimed), and the items with a free
        # slot; then the totals, each annotator's slots, and the items they labeled holding
        # no slot (probes of the slots' index: the states have none)
        rows = self._query(
            f"WITH states AS (SELECT s.item, s.annotator, CASE WHEN {done} THEN 1"
            " WHEN s.annotator IS NOT NULL AND s.expires_at > ? THEN 2 ELSE 0 END AS state"
            f" FROM nblabel_slots s{labels} WHERE s.task = ?),"
            " free_items AS (SELECT DISTINCT item FROM states WHERE state = 0)"
            " SELECT 'all', NULL, COUNT(*), COALESCE(SUM(CASE WHEN state = 1 THEN 1 ELSE 0 END),"
            " 0), COALESCE(SUM(CASE WHEN state = 2 THEN 1 ELSE 0 END), 0),"
            " (SELECT COUNT(*) FROM free_items) FROM states"
            " UNION ALL SELECT 'held', h.annotator, 0, 0,"
            " SUM(CASE WHEN h.state = 2 THEN 1 ELSE 0 END), COUNT(f.item)"
            " FROM states h LEFT JOIN free_items f ON f.item = h.item"
            " WHERE h.annotator IS NOT NULL GROUP BY h.annotator"
            " UNION ALL SELECT 'labeled', l.annotator, 0, 0, 0, COUNT(DISTINCT l.item)"
            f" FROM nblabel_events l WHERE l.task = ? AND {current_label('l')}"
            " AND NOT EXISTS (SELECT 1 FROM nblabel_slots m WHERE m.task = l.task"
            " AND m.item = l.item AND m.annotator = l.annotator)"
            " AND l.item IN (SELECT item FROM free_items) GROUP BY l.annotator",
            (*params, task),
        )
        totals = next(row for row in rows if row[0] == "all")
        if not totals[2]:
            return None
        claimed_by: dict[str, int] = {}
        taken_free: dict[str, int] = {}
        for kind, annotator, _, _, claims, taken in rows:
            if kind != "all":
                claimed_by[annotator] = claimed_by.get(annotator, 0) + int(claims)
                taken_free[annotator] = taken_free.get(annotator, 0) + int(taken)
        return AssignmentCounts(
            slots=int(totals[2]),
            done=int(totals[3]),
            claimed=int(totals[4]),
            free_items=int(totals[5]),
            claimed_by=claimed_by,
            free_items_taken_by=taken_free,
        )

    def _check_slots(self) -> None:
        if self._no_slots:
            raise StoreError(
                f"the label store {self.location} is of an older nblabel and read-only: it has "
                "no assignment; copy it to a writable folder (store.backup) to assign work"
            )

    # -- reading -----------------------------------------------------------------------------
    def _query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        self._check_open()
        return self._engine.read(sql, params)

    def tasks(self) -> list[str]:
        """Names of the tasks that have events, sorted."""
        # one index seek per task (a store holds few), not a scan of every event
        rows = self._query(
            "WITH RECURSIVE t(task) AS (SELECT min(task) FROM nblabel_events UNION ALL"
            " SELECT (SELECT min(task) FROM nblabel_events WHERE task > t.task) FROM t"
            " WHERE t.task IS NOT NULL) SELECT task FROM t WHERE task IS NOT NULL"
        )
        return sorted(r[0] for r in rows)

    def current(
        self, task: str, annotator: str, source: str = "annotator"
    ) -> dict[str, CurrentLabel]:
        """Current labels of one annotator on one task, keyed by encoded item id."""
        _check_names(task=task, annotator=annotator, source=source)
        rows = self._query(
            f"SELECT id, item, label, rationale, {self._fingerprint_sql.removeprefix('e.')}"
            " FROM nblabel_events WHERE task = ? AND annotator = ? AND source = ?"
            " AND action = 'label' ORDER BY id",
            (task, annotator, source),
        )
        undone = self._undone_ids(task)
        newest: dict[str, tuple] = {}
        for row in rows:  # oldest first: a later event of an item replaces an earlier one
            if row[0] not in undone:
                newest[row[1]] = row
        labels: dict[str, Any] = {}  # labels repeat: decode each distinct text once
        out: dict[str, CurrentLabel] = {}
        for key, (event_id, item, label, rationale, fingerprint) in newest.items():
            value = labels[label] if label in labels else labels.setdefault(label, decode(label))
            if isinstance(value, (list, dict)):
                value = decode(label)  # never shared between items
            out[key] = CurrentLabel(event_id, decode(item), value, rationale, fingerprint)
        return out

    def _remembered_check(self, task: str, annotator: str, source: str) -> tuple[str, int] | None:
        """``(digest, upto)`` of the last check that found each of these labels on its row
        (``_snapshot``), or ``None``."""
        self._check_open()
        return remembered_check(self._engine, task, annotator, source)

    def _remember_check(
        self, task: str, annotator: str, source: str, digest: str, upto: int, n_rows: int
    ) -> None:
        self._check_open()
        remember_check(self._engine, task, annotator, source, digest, upto, n_rows)

    def labeled_items(
        self, task: str, annotator: str, source: str = "annotator"
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The items ``annotator`` holds a current label on, each once, and the fingerprint
        stored with each of those labels.

        Returns ``(items, fingerprints)``: the decoded ids (int64 when all are whole numbers,
        else object) and an aligned object array of fingerprints (``None`` where a label has
        none), or ``None`` when no label has one. Read through one index, as one joined text:
        no Python object per label when the ids are whole numbers and no label has a
        fingerprint. Labels an undo or a relabel touched are read again one by one. Where an
        earlier resume kept them, or an earlier read left their snapshot (``_snapshot``), they
        come from there instead.
        """
        _check_names(task=task, annotator=annotator, source=source)
        items, fingerprints, _ = self._labeled_events(task, annotator, source)
        return items, None if fingerprints is None else as_texts(fingerprints)

    def _labeled_events(
        self, task: str, annotator: str, source: str
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """:meth:`labeled_items`, and the event id of each label (int64) where labels have
        fingerprints (else ``None``): what a remembered check is matched by. Fingerprints of
        one width come as bytes (``_codec.fixed_texts``): no Python object per label."""
        self._check_open()
        where, fixed, grouped, fingerprint = self._event_filter(task, annotator, source)
        query = (task, annotator, source, fingerprint)
        # what an earlier resume kept, else three columns of the snapshot of w.labels
        snapshot = query_key(where, list(fixed.values()), grouped, fingerprint)
        seen = mark(self._engine)  # before any label is read
        kept = read_labeled(self._engine, seen, query, snapshot)
        if kept is None:
            keeps = None if self._engine.read_only else seen
            items, prints, event_ids = self._labeled_through_index(query, keeps)
            if prints is not None and not present_texts(prints).any():
                prints = event_ids = None  # none current has one, as _current_items says
            return items, prints, event_ids
        event_ids, items, prints = kept
        undone = np.isin(event_ids, np.fromiter(self._undone_ids(task), dtype=np.int64))
        is_current = _current_mask(_factorize_ids(items)[0], undone)
        return _current_items(event_ids, items, prints, is_current)

    def _labeled_through_index(
        self, query: tuple[str, str, str, str], seen: Mark | None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """:meth:`_labeled_events` read through the index, kept for the next resume where
        ``seen``, the store's :func:`~nblabel._snapshot.mark` before the read, is given."""
        task, annotator, source, fingerprint = query
        where = f"FROM nblabel_events WHERE {LABEL_EVENTS}"
        params = (task, annotator, source)
        printed = ["item", f"coalesce({fingerprint}, '')", "CAST(id AS TEXT)"]
        # event ids are read where they are kept for the next resume, with every event up to
        # the newest one now (see below)
        keeps = seen is not None
        # the first label tells whether they were saved with fingerprints (a text= widget's
        # are): then all three are read in one pass; else the ids, and the rest only if some
        # label has a fingerprint after all
        first = self._query(f"SELECT {fingerprint} IS NOT NULL {where} LIMIT 1", params)
        if first and first[0][0]:
            joined, prints, ids = self._joined(printed, where, params)
        else:
            columns = ["item", "CAST(id AS TEXT)"] if keeps else ["item"]
            *texts, n_prints = self._joined(columns, where, params, f"count({fingerprint})")
            joined, ids = texts if keeps else (texts[0], None)
            prints = None
            if n_prints:
                joined, prints, ids = self._joined(printed, where, params)
        if joined is None:
            return np.empty(0, dtype=np.int64), None, None
        items, texts = decode_joined(joined)
        fingerprints = event_ids = None
        if ids is not None:
            event_ids = decode_joined(ids)[0].astype(np.int64)
        if prints is not None:  # read with the event ids: both or neither
            fingerprints = fixed_lines(prints, len(items))
        if prints is not None and fingerprints is None:  # some missing, or widths differ
            split = prints.split("\n")
            if len(split) != len(items):  # another program's, holding a line break
                by_event = dict(self._query(f"SELECT id, {fingerprint} {where}", params))
                split = [by_event.get(e) for e in event_ids.tolist()]
            fingerprints = np.empty(len(split), dtype=object)
            fingerprints[:] = split
            fingerprints[fingerprints == ""] = None  # none (coalesce), or empty: alike
        if event_ids is not None:
            if keeps:  # the next resume reads these at once
                stored = items if texts is None else np.asarray(texts, dtype=object)
                keep_labeled(self._engine, query, seen, event_ids, stored, fingerprints)
            if fingerprints is None:
                event_ids = None  # matched by only where labels have fingerprints
        # a relabeled item comes once per label; an undone label may leave an older one
        # current, or none: those items are read again one by one
        if texts is None:
            ordered = np.sort(items)
            touched = {str(v) for v in ordered[1:][ordered[1:] == ordered[:-1]].tolist()}
        else:
            stored = pd.Index(np.asarray(texts, dtype=object), dtype=object)
            touched = set(stored[stored.duplicated()].tolist())
        touched |= self._undone_items(task, annotator, source)
        if not touched:
            return items, fingerprints, event_ids
        current = self._newest(task, annotator, source, sorted(touched))
        if texts is None:
            keep = ~np.isin(items, np.array([int(t) for t in touched], dtype=np.int64))
        else:
            keep = ~stored.isin(list(touched))
        again_items = np.empty(len(current), dtype=object)
        again_items[:] = [decode(t) for t in current]
        items = np.concatenate([items[keep], again_items.astype(items.dtype)])
        if fingerprints is not None:
            again_prints = np.empty(len(current), dtype=object)
            again_prints[:] = [f for _, f in current.values()]
            fingerprints = concat_texts(fingerprints[keep], again_prints)
            again_ids = np.array([e for e, _ in current.values()], dtype=np.int64)
            event_ids = np.concatenate([event_ids[keep], again_ids])
        return items, fingerprints, event_ids

    def _joined(self, columns: list[str], where: str, params: tuple, extra: str = "") -> list:
        """The values of each SQL expression of ``columns`` (never NULL) joined by newlines,
        row for row alike, then the value of the aggregate ``extra``; all in one query (``where``:
        its ``FROM`` and ``WHERE``). An engine with ``row_agg`` joins each row as one text
        and the rows are split in numpy (``_codec.split_rows``): several of its ``text_agg``
        need a sort each to stay aligned."""
        engine, tail = self._engine, f", {extra}" if extra else ""
        row_agg = getattr(engine, "row_agg", None)
        if row_agg is not None:
            joined = row_agg.format(engine.row_join.join(columns))
            text, n_rows, *rest = self._query(f"SELECT {joined}, count(*){tail} {where}", params)[0]
            split = [None] * len(columns) if text is None else split_rows(text, len(columns))
            # a value holding a tab or a newline splits wrong: read by text_agg then
            if split is not None and (text is None or text.count("\n") + 1 == n_rows):
                return [*split, *rest]
        aggs = ", ".join(engine.text_agg.format(column) for column in columns)
        return list(self._query(f"SELECT {aggs}{tail} {where}", params)[0])

    def current_events(
        self, task: str, annotator: str, items: Iterable[Any], source: str = "annotator"
    ) -> list[int | None]:
        """Ids of the current label events of ``annotator`` on ``items`` (``None``: none)."""
        _check_names(task=task, annotator=annotator, source=source)
        items = check_list(items, "items", "['r1', 'r2']")
        texts = [encode(item) for item in items]
        current = self._newest(task, annotator, source, texts)
        return [current[t][0] if t in current else None for t in texts]

    def _newest(
        self, task: str, annotator: str, source: str, texts: list[str]
    ) -> dict[str, tuple[int, str | None]]:
        """(event id, fingerprint) of the current label on each encoded item that has one."""
        undone = self._undone_ids(task)
        out: dict[str, tuple[int, str | None]] = {}
        fingerprint = self._fingerprint_sql.removeprefix("e.")
        for start in range(0, len(texts), _CHUNK):
            chunk = texts[start : start + _CHUNK]
            rows = self._query(
                f"SELECT id, item, {fingerprint} FROM nblabel_events WHERE task = ?"
                " AND annotator = ? AND source = ? AND action = 'label'"
                f" AND item IN ({', '.join('?' * len(chunk))}) ORDER BY id",
                (task, annotator, source, *chunk),
            )
            for event_id, item, print_ in rows:  # oldest first: the newest stays
                if event_id not in undone:
                    out[item] = (event_id, print_)
        return out

    def _undone_items(self, task: str, annotator: str, source: str) -> set[str]:
        """Encoded items of the label events of ``annotator`` that an undo names."""
        undone = sorted(self._undone_ids(task))
        out: set[str] = set()
        for start in range(0, len(undone), _CHUNK):
            chunk = undone[start : start + _CHUNK]
            rows = self._query(
                f"SELECT item FROM nblabel_events WHERE id IN ({', '.join('?' * len(chunk))})"
                " AND annotator = ? AND source = ?",
                (*chunk, annotator, source),
            )
            out.update(r[0] for r in rows)
        return out

    def _undone_ids(self, task: str) -> set[int]:
        rows = self._query(_UNDONE + " AND task || '' = ?", (task,))
        return {r[0] for r in rows}

    def current_label(
        self, task: str, item: Any, annotator: str, source: str = "annotator"
    ) -> CurrentLabel | None:
        """The current label of one annotator on one item, or ``None``."""
        _check_names(task=task, annotator=annotator, source=source)
        text = _encoded(check_item(item), "item")
        row = self._query(
            f"SELECT e.id, e.label, e.rationale, {self._fingerprint_sql} FROM nblabel_events e"
            " WHERE e.task = ? AND e.item = ? AND e.annotator = ? AND e.source = ?"
            " AND e.action = 'label'"
            " AND NOT EXISTS (SELECT 1 FROM nblabel_events u WHERE u.target = e.id)"
            " ORDER BY e.id DESC LIMIT 1",
            (task, text, annotator, source),
        )
        if not row:
            return None
        event_id, label, rationale, fingerprint = row[0]
        return CurrentLabel(event_id, item, decode(label), rationale, fingerprint)

    def last_label_event(self, task: str, annotator: str, source: str = "annotator") -> int | None:
        """Id of the newest label event of ``annotator`` on ``task`` that is not undone."""
        _check_names(task=task, annotator=annotator, source=source)
        row = self._query(
            "SELECT e.id FROM nblabel_events e WHERE e.task = ? AND e.annotator = ?"
            " AND e.source = ? AND e.action = 'label'"
            " AND NOT EXISTS (SELECT 1 FROM nblabel_events u WHERE u.target = e.id)"
            " ORDER BY e.id DESC LIMIT 1",
            (task, annotator, source),
        )
        return int(row[0][0]) if row else None

    def event_meta(self, event_ids: Iterable[int]) -> dict[int, dict]:
        """What was recorded beside each label event (its ``meta``: the order candidates were
        shown in, the suggestion it answered, scores), by event id; events without any are
        left out."""
        event_ids = [_event_id(i, "event_ids") for i in
                     check_list(event_ids, "event_ids", "[12, 13]")]  # fmt: skip
        ids = sorted({int(i) for i in event_ids})
        out: dict[int, dict] = {}
        for start in range(0, len(ids), 500):  # well under SQLite's limit on parameters
            chunk = ids[start : start + 500]
            rows = self._query(
                f"SELECT id, meta FROM nblabel_events WHERE id IN ({', '.join('?' * len(chunk))})"
                " AND meta IS NOT NULL",
                chunk,
            )
            out.update((event_id, json.loads(text)) for event_id, text in rows)
        return out

    def item_of(self, event_id: int) -> Any:
        """The item id an event is about."""
        event_id = _event_id(event_id, "event_id")
        row = self._query("SELECT item FROM nblabel_events WHERE id = ?", (event_id,))
        if not row:
            raise NblabelError(f"there is no event {event_id}")
        return decode(row[0][0])

    def annotations(
        self,
        task: str | None = None,
        annotator: str | None = None,
        history: bool = False,
        source: str | None = None,
    ) -> pd.DataFrame:
        """The annotations as a long table, oldest first.

        One row per current annotation (the newest label of each annotator on each item and
        source that is not undone), with columns ``task, item, annotator, label, rationale,
        created_at, duration_s, source, event_id``. ``history=True`` returns every label
        event instead, with a ``status`` column: ``current``, ``overwritten`` or ``undone``.

        Examples
        --------
        >>> store.annotations(task="sentiment", annotator="alice")     # doctest: +SKIP
        """
        history = check_flag(history, "history")
        parts = self._annotation_parts(task, annotator, source)
        if parts is None:
            frame = _empty_annotations()
            return frame.assign(status=pd.Series(dtype=object)) if history else frame
        columns, codes = parts.columns, parts.codes
        keep = slice(None) if history else parts.is_current
        # the parts are this read's own arrays: the frame takes them as they are (copy=False),
        # rather than copying the six object columns once more into one block
        frame = pd.DataFrame(
            {
                "task": _spread(*codes["task"], keep),
                "item": _spread(*codes["item"], keep, decoded=True),
                "annotator": _spread(*codes["annotator"], keep),
                "label": _spread(*codes["label"], keep, decoded=True),
                "rationale": pd.Series(columns.rationales[keep], dtype=object),
                "created_at": pd.to_datetime(columns.created_at[keep], unit="s", utc=True),
                "duration_s": columns.durations[keep],
                "source": _spread(*codes["source"], keep),
                "event_id": columns.event_ids[keep],
            },
            copy=False,
        )
        if not history:
            return frame
        status = np.full(len(columns), "overwritten", dtype=object)
        status[parts.is_current] = "current"
        status[parts.undone] = "undone"
        frame["status"] = status
        return frame

    def _labels_of(self, task: str, annotator: str | None) -> pd.DataFrame:
        """The current annotator labels of ``task``, of ``annotator`` (``None``: of all); an
        annotator with none there is named, with those who have some."""
        frame = self.annotations(task=task, annotator=annotator, source="annotator")
        if annotator is not None and frame.empty:
            who = sorted(set(self.annotations(task=task, source="annotator")["annotator"]))
            raise NblabelError(
                f"annotator={annotator!r} has no label in task {task!r}; its annotators: "
                f"{', '.join(map(repr, who)) or 'none yet'}"
            )
        return frame

    def _event_filter(
        self, task: str | None, annotator: str | None, source: str | None
    ) -> tuple[str, dict[str, str], list[str], str]:
        """The label events of a task, annotator and source (``None``: any) as SQL after
        ``WHERE``, the values it fixes by column (its parameters, in order), the columns it
        leaves open (read as codes), and the SQL of the fingerprint read beside them."""
        asked = {"task": task, "annotator": annotator, "source": source}
        fixed = {column: value for column, value in asked.items() if value is not None}
        _check_names(**fixed)  # None: any
        where = " AND ".join(["action = 'label'", *(f"{column} = ?" for column in fixed)])
        grouped = [column for column in asked if column not in fixed]
        # fingerprints only where a resuming session reads them: one annotator's labels (the
        # query of its w.labels too, so that both share one snapshot)
        fingerprint = self._fingerprint_sql.removeprefix("e.") if not grouped else "NULL"
        return where, fixed, grouped, fingerprint

    def _annotation_parts(
        self, task: str | None, annotator: str | None, source: str | None
    ) -> _Parts | None:
        """The label events of :meth:`annotations` as columns, each text column as codes of
        its distinct stored texts, and which events are current and undone; ``None`` when
        there are none."""
        self._check_open()
        where, fixed, grouped, fingerprint = self._event_filter(task, annotator, source)
        params = list(fixed.values())
        columns = read_columns(self._engine, where, params, grouped, fingerprint=fingerprint)
        # undo events name their target; one indexed pass instead of a lookup per row
        undone_ids = self._query(
            _UNDONE + (" AND task || '' = ?" if task is not None else ""),
            () if task is None else (task,),
        )
        if columns is None:
            return None
        n_rows = len(columns)
        event_ids = columns.event_ids
        undone = np.isin(event_ids, np.fromiter((r[0] for r in undone_ids), dtype=np.int64))
        # group on codes of the stored text: the newest not-undone event of each key is current
        codes = {"item": _factorize_ids(columns.items), "label": columns.labels, **columns.groups}
        # one code per (task, annotator, source): the codes of the columns a filter left open,
        # in mixed radix (a store holds few of each)
        group_codes, n_groups = np.zeros(n_rows, dtype=np.int64), 1
        for column in grouped:
            of_column, uniques = codes[column]
            group_codes = group_codes * len(uniques) + of_column
            n_groups *= len(uniques)
            if n_groups > n_rows:  # more combinations than rows: numbered as they occur
                group_codes, seen = pd.factorize(group_codes)
                n_groups = len(seen)
        for column, value in fixed.items():  # not read: one value, no object per row
            one = np.empty(1, dtype=object)
            one[0] = value
            codes[column] = (np.zeros(n_rows, dtype=np.intp), one)
        item_codes, items = codes["item"]
        if n_groups * len(items) < _MAX_PACKED_KEY:  # one number per key: hashed once
            key: Any = group_codes * len(items) + item_codes
        else:
            key = pd.MultiIndex.from_arrays([group_codes, item_codes])
        return _Parts(columns, codes, _current_mask(key, undone), undone)


def _current_mask(key: Any, undone: np.ndarray) -> np.ndarray:
    """Which events, oldest first, are current: the newest not undone of each ``key``."""
    is_current = np.zeros(len(undone), dtype=bool)
    live = np.flatnonzero(~undone)
    if len(live):
        newest = ~pd.Index(key[live]).duplicated(keep="last")
        is_current[live[newest]] = True
    return is_current


def _current_items(
    event_ids: np.ndarray, items: np.ndarray, prints: np.ndarray | None, is_current: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """:meth:`LabelStore._labeled_events` from one annotator's label events (items as int64
    or their stored texts) and which of them are current."""
    current = np.flatnonzero(is_current)
    items = items[current]
    if items.dtype.kind != "i":
        items = decode_distinct(items)[0]
    if prints is not None:
        prints = prints[current]
        if not present_texts(prints).any():  # one C loop, not a Python one
            prints = None
    return items, prints, None if prints is None else event_ids[current]


@dataclass
class _Parts:
    """What :meth:`LabelStore.annotations` builds its table from (``_annotation_parts``):
    ``codes`` maps item, label, task, annotator and source to ``(codes, uniques)``, the
    uniques being stored texts (items: whole numbers, when all are)."""

    columns: EventColumns
    codes: dict[str, tuple[np.ndarray, np.ndarray]]
    is_current: np.ndarray
    undone: np.ndarray


def _spread(
    positions: np.ndarray, uniques: np.ndarray, keep: Any = slice(None), decoded: bool = False
) -> pd.Series:
    """The values of the rows ``keep`` selects, of a column given as codes of its distinct
    values: each distinct stored text is decoded once (``decoded=True``), then spread by its
    code; a list or dict is decoded again for each row, never shared between rows."""
    if decoded and uniques.dtype.kind == "i":  # whole-number ids decode to themselves
        lookup, mutable = np.empty(len(uniques), dtype=object), []
        lookup[:] = uniques.tolist()
    elif decoded:
        lookup, mutable = decode_distinct(uniques)
    else:
        lookup, mutable = np.asarray(uniques, dtype=object), []
    chosen = positions[keep]
    out = lookup[chosen]
    if mutable:
        for row in np.flatnonzero(np.isin(chosen, mutable)):
            out[row] = decode(uniques[chosen[row]])
    return pd.Series(out, dtype=object)


class _Ranking:
    """A claim's ``ranking``: item ids, best first, encoded a part at a time (the parts grow
    fourfold), so a claim that the top of a long ranking fills encodes only that top."""

    def __init__(self, ranking: Any, first: int) -> None:
        if hasattr(ranking, "start") and hasattr(ranking, "poll"):
            raise NblabelError(
                f"ranking= takes item ids, most wanted first, not an ordering "
                f"({given(ranking)}): pass the ordering as order= to a widget built with "
                "assign=, or the list its start() or poll() returned"
            )
        if isinstance(ranking, pd.DataFrame):
            raise NblabelError(
                "ranking= is a DataFrame: give its item ids in order, e.g. "
                "ranking=df.sort_values('score', ascending=False).index"
            )
        self._items = list(check_order(ranking, "ranking"))
        self._first = first
        self._parts: list[list[str]] = []  # encoded so far, each item once
        self._seen: set[str] = set()  # encoded so far
        self._done = 0  # how many of _items are encoded
        self._lookup: dict[Any, int] | None = None  # id -> first rank, for places()

    def __len__(self) -> int:
        return len(self._items)

    def parts(self) -> Iterator[list[str]]:
        """The encoded items, part by part, best first."""
        index = 0
        while True:
            if index == len(self._parts) and not self._encode_next():
                return
            yield self._parts[index]
            index += 1

    def places(self, wanted: set[str]) -> dict[str, int]:
        """The ranks of those of the ``wanted`` encoded items that the ranking names (by
        looking their ids up, not by encoding the whole ranking)."""
        if self._lookup is None:
            self._lookup = {}
            try:
                for rank, item in enumerate(self._items):
                    self._lookup.setdefault(item, rank)
            except TypeError:  # an unhashable id (it cannot be encoded either): none found
                self._lookup = {}
        found = {}
        for text in wanted:
            try:
                rank = self._lookup.get(decode(text))
            except TypeError:
                rank = None
            # equal is not enough: 1 and 1.0 are equal ids that are stored apart
            if rank is not None and encode(self._items[rank]) == text:
                found[text] = rank
        return found

    def _encode_next(self) -> bool:
        size = self._first * 4 ** len(self._parts)
        chunk = self._items[self._done : self._done + size]
        if not chunk:
            return False
        self._done += len(chunk)
        part = []
        for item in chunk:
            text = encode(item)
            if text not in self._seen:
                self._seen.add(text)
                part.append(text)
        self._parts.append(part)
        return True


# the targets of undo events, through the index of undo events alone: a filter on task is
# written ``task || ''`` so that no index on task (a million labels) is chosen instead
_UNDONE = "SELECT target FROM nblabel_events WHERE target IS NOT NULL"

# a slot ``s`` is done: its annotator holds a label (not undone) on its item
_LABELED = labeled("s")
_LABELED_PROBE = labeled("s", probe=True)  # for the few rows a claim reads


def _refuse_newer(where: str, version: Any) -> None:
    if int(version) > SCHEMA_VERSION:
        raise NblabelError(
            f"{where} was written by a newer nblabel (schema {version}; this nblabel reads "
            f"up to {SCHEMA_VERSION}); upgrade nblabel to read it"
        )


def _factorize_ids(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`factorize_texts` of stored item ids; ids that are all whole numbers (the commonest,
    and nearly all distinct) are parsed and grouped as int64: a tenth of the cost of hashing
    their text. The uniques are then the numbers (int64, in any order), which decode to
    themselves."""
    try:
        whole = whole_numbers(values)
    except (ValueError, TypeError, OverflowError):
        return factorize_texts(values)
    if len(whole):
        low, high = int(whole.min()), int(whole.max())
        if high - low < 4 * len(whole) + 1024:  # ids 0..n, as most data has: no hashing
            offsets = whole - low
            present = np.zeros(high - low + 1, dtype=bool)
            present[offsets] = True
            code_of = np.cumsum(present, dtype=np.intp) - 1
            return code_of[offsets], np.flatnonzero(present) + low
    codes, uniques = pd.factorize(whole)
    return codes.astype(np.intp, copy=False), uniques


def _empty_annotations() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ANNOTATION_COLUMNS})
    frame["created_at"] = pd.to_datetime(pd.Series([], dtype=float), unit="s", utc=True)
    frame["duration_s"] = frame["duration_s"].astype(float)
    frame["event_id"] = frame["event_id"].astype("int64")
    return frame


def _encoded(value: Any, name: str, how: Callable[[Any], Any] = encode) -> Any:
    """``value`` as stored (``encode``), an error naming the parameter if it cannot be."""
    try:
        return how(value)
    except NblabelError as exc:
        raise NblabelError(f"{name}= {exc}") from None


def _named_items(items: Any) -> str | None:
    """A name of a list of whole numbers (an index of the data) made without a text per item:
    its range, or a digest of its values' bytes; ``None`` for any other list. The same list
    always has the same name, another list another one (``add_items`` remembers put-ups by it)."""
    if isinstance(items, pd.RangeIndex):
        return f"range {items.start} {items.stop} {items.step}"
    dtype = getattr(items, "dtype", None)
    if not isinstance(items, (pd.Index, pd.Series, np.ndarray)) or not isinstance(dtype, np.dtype):
        return None
    if dtype.kind not in "iu" or getattr(items, "ndim", 1) != 1:
        return None
    values = np.ascontiguousarray(np.asarray(items))
    return f"{dtype.str} {_digest(values.tobytes())}"


def _digest(data: str | bytes) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _item_texts(items: list, name: str) -> list[str]:
    """Item ids as stored, one text each; a list or a dict is no id (an index holds neither),
    while a tuple is (a MultiIndex's)."""
    texts = _encoded(items, name, encode_many)
    for item, text in zip(items, texts, strict=True):
        if text[0] == "[" or (text[0] == "{" and not text.startswith('{"$tuple"')):
            raise NblabelError(
                f"{name}= holds {given(item)}, which is no item id (an index label of the "
                "data): give one id per item"
            )
    return texts


def _event_id(value: Any, name: str) -> int:
    """An event id: a whole number that SQL can hold (larger ones name no event)."""
    number = check_int(value, name, minimum=1)
    if number >= 2**63:
        raise NblabelError(f"{name}= holds {number}, which is no event id of this store")
    return number


def _check_names(**names: Any) -> None:
    """The task, annotator and source a call is about: names (text). Anything else would be
    bound to the query as it is, to match nothing or fail inside the driver."""
    for name, value in names.items():
        if not isinstance(value, str):
            raise NblabelError(f"{name}= must be a {name} name (text), not {given(value)}")


def _duration(value: Any) -> float | None:
    if value is None:
        return None
    return check_number(value, "duration_s", "1.5", minimum=0)


def _meta_text(meta: Any) -> str | None:
    """``meta=`` as its JSON text: a dict of plain values (stored as they are, so a wrong type
    is refused now rather than breaking a later read)."""
    if meta is None:
        return None
    if not isinstance(meta, dict):
        raise NblabelError(f"meta= must be a dict such as {{'batch': 3}}, not {given(meta)}")
    try:
        return json.dumps(meta)
    except (TypeError, ValueError) as exc:
        raise NblabelError(
            f"meta= must hold plain values (text, numbers, lists, dicts): {exc}"
        ) from None


def _fingerprint(value: Any, name: str = "fingerprint") -> str | None:
    if value is not None and not isinstance(value, str):
        raise NblabelError(
            f"{name}= must be the text of a fingerprint, or None, not {given(value)}"
        )
    return value if value is None or value.isascii() else _storable_text(value, name)


def _storable_text(text: str | None, what: str) -> str | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise NblabelError(f"{what}= must be text, not {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NblabelError(
            f"{what}= holds a character that cannot be stored ({exc.object[exc.start]!r}, "
            "an unpaired surrogate): remove it or replace it"
        ) from None
    return text


def refuse_store_target(target: Path, *, what: str, any_sqlite: bool = True) -> None:
    """Refuse to write ``what`` over an open store or its WAL files, and (``any_sqlite``)
    over any SQLite file."""
    resolved = target.expanduser().resolve()
    for open_path in _sqlite.open_store_paths():
        if resolved in {open_path, Path(f"{open_path}-wal"), Path(f"{open_path}-shm")}:
            raise NblabelError(
                f"{resolved} is an open label store: writing {what} there would destroy it; "
                "choose another file name"
            )
    if resolved.name.endswith(("-wal", "-shm", "-journal")):
        raise NblabelError(
            f"{resolved.name} looks like a SQLite journal: choose another file name for {what}"
        )
    if any_sqlite and resolved.is_file():
        # no connection of ours is open on it (checked above): reading its first bytes is safe
        with open(resolved, "rb") as f:
            header = f.read(len(SQLITE_MAGIC))
        if header == SQLITE_MAGIC:
            raise NblabelError(
                f"{resolved} is a SQLite database (perhaps a label store): nblabel never writes "
                f"{what} over it; choose another file name"
            )


_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomically(target: Path, write: Callable[[Path], Any]) -> Any:
    """Call ``write(tmp)`` on a temporary file beside ``target``, then rename it into place:
    a failed write leaves ``target`` as it was and no temporary file behind."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        result = write(tmp)
        # mkstemp makes the file private; give it the mode a plain open() would have
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return result
