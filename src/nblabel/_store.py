"""The label store: an append-only log of annotation events in SQLite (PostgreSQL later).

Every label, undo, review and (later) shape or span is one row of ``nblabel_events``.
Nothing is ever updated or deleted: undoing a label appends an ``undo`` event that names
the event it undoes, so history, agreement and review all read one log.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ._codec import decode, encode
from ._errors import NblabelError, StoreError

__all__ = ["ANNOTATION_COLUMNS", "CurrentLabel", "LabelStore"]

SCHEMA_VERSION = 1
FORMAT_NAME = "nblabel"
DEFAULT_PATH = "nblabel.db"
SQLITE_MAGIC = b"SQLite format 3\x00"

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

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS nblabel_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS nblabel_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task TEXT NOT NULL,
        item TEXT NOT NULL,
        annotator TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('label', 'undo')),
        label TEXT,
        rationale TEXT,
        created_at REAL NOT NULL,
        duration_s REAL,
        source TEXT NOT NULL,
        target INTEGER,
        meta TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS nblabel_events_by_annotator"
    " ON nblabel_events (task, annotator, item)",
    # partial: a plain label (no target) costs no write to it
    "CREATE INDEX IF NOT EXISTS nblabel_events_by_target ON nblabel_events (target)"
    " WHERE target IS NOT NULL",
]


@dataclass(frozen=True)
class CurrentLabel:
    """The label an annotator currently holds on one item (the newest event not undone)."""

    event_id: int
    item: Any
    label: Any
    rationale: str | None


def _parse_location(path_or_url: str | os.PathLike) -> Path:
    text = os.fspath(path_or_url)
    if "://" not in text:
        return Path(text)
    scheme, _, rest = text.partition("://")
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise NblabelError(
                f"bad SQLite URL {text!r}: write sqlite:///relative/path.db or "
                "sqlite:////absolute/path.db"
            )
        return Path(rest[1:])
    if scheme in {"postgresql", "postgres", "postgresql+psycopg"}:
        raise StoreError(
            f"PostgreSQL stores ({text!r}) are not available in this version of nblabel; "
            "use a SQLite file path for now"
        )
    raise NblabelError(
        f"unknown store URL scheme {scheme!r} in {text!r}: give a file path or a sqlite:/// URL"
    )


class LabelStore:
    """A durable, append-only store of annotations.

    Parameters
    ----------
    path_or_url
        A SQLite file path or a ``sqlite:///path`` URL. The file is created if missing. An
        existing file that is not an nblabel database is refused, never overwritten.
    durability
        ``"normal"`` (default): every label is committed before it is acknowledged and survives
        a killed kernel. ``"full"`` also survives a power loss, at about 10x the write cost.
    clock
        Returns the current time in seconds since the epoch; injectable for tests.

    Examples
    --------
    >>> store = LabelStore("labels.db")                               # doctest: +SKIP
    >>> store.annotations(task="sentiment")                           # doctest: +SKIP
    """

    def __init__(
        self,
        path_or_url: str | os.PathLike = DEFAULT_PATH,
        *,
        durability: str = "normal",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if durability not in {"normal", "full"}:
            raise NblabelError(f"durability must be 'normal' or 'full', not {durability!r}")
        self.path = _parse_location(path_or_url).expanduser().resolve()
        self._clock = clock
        self._lock = threading.RLock()
        self._check_is_ours_or_new(self.path)
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the label store {self.path}: {exc}") from exc
        try:
            # look before touching: switching to WAL rewrites the header of someone's database
            self._refuse_foreign_database()
        except BaseException:
            self._db.close()
            raise
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={durability.upper()}")
        self._init_schema()

    # -- opening -----------------------------------------------------------------------------
    @staticmethod
    def _check_is_ours_or_new(path: Path) -> None:
        if path.is_dir():
            raise NblabelError(
                f"{path} is a directory: give a file name such as {path / 'labels.db'}"
            )
        if not path.parent.exists():
            raise NblabelError(f"the folder {path.parent} does not exist: create it first")
        if path.exists() and path.stat().st_size > 0:
            with open(path, "rb") as f:
                header = f.read(len(SQLITE_MAGIC))
            if header != SQLITE_MAGIC:
                raise NblabelError(
                    f"{path} exists and is not an nblabel database (not a SQLite file); "
                    "nblabel never overwrites it: choose another file name"
                )

    def _table_names(self) -> set[str]:
        try:
            rows = self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            return {r[0] for r in rows}
        except sqlite3.DatabaseError as exc:
            raise NblabelError(
                f"{self.path} is not an nblabel database ({exc}); nblabel never overwrites "
                "it: choose another file name"
            ) from exc

    def _refuse_foreign_database(self) -> None:
        tables = self._table_names()
        if "nblabel_meta" not in tables:
            foreign = sorted(t for t in tables if not t.startswith("sqlite_"))
            if foreign:
                raise NblabelError(
                    f"{self.path} is a SQLite database of something else (tables: "
                    f"{', '.join(foreign[:5])}); nblabel never writes into it: choose "
                    "another file name"
                )
            return
        meta = dict(self._db.execute("SELECT key, value FROM nblabel_meta"))
        if meta.get("format") != FORMAT_NAME:
            raise NblabelError(f"{self.path} is not an nblabel database")
        if int(meta.get("schema_version", 0)) > SCHEMA_VERSION:
            raise NblabelError(
                f"{self.path} was written by a newer nblabel (schema "
                f"{meta['schema_version']}); upgrade nblabel to read it"
            )

    def _init_schema(self) -> None:
        with self._lock:
            if "nblabel_meta" in self._table_names():
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._db.executemany(
                    "INSERT OR IGNORE INTO nblabel_meta (key, value) VALUES (?, ?)",
                    [("format", FORMAT_NAME), ("schema_version", str(SCHEMA_VERSION))],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- identity ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The store's location as a URL, e.g. ``sqlite:////home/me/labels.db``."""
        return f"sqlite:///{self.path}"

    def __repr__(self) -> str:
        return f"LabelStore({str(self.path)!r})"

    def close(self) -> None:
        """Close the connection (every label is already committed)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------
    def _write(self, sql: str, params: tuple) -> int:
        with self._lock:
            try:
                cursor = self._db.execute(sql, params)
            except sqlite3.Error as exc:
                raise StoreError(f"could not save to {self.path}: {exc}") from exc
            return int(cursor.lastrowid)

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
    ) -> int:
        """Append one annotation and commit it. Returns the event id.

        The write is durable when this returns: a killed process loses nothing appended.
        """
        return self._write(
            "INSERT INTO nblabel_events (task, item, annotator, action, label, rationale,"
            " created_at, duration_s, source, meta) VALUES (?, ?, ?, 'label', ?, ?, ?, ?, ?, ?)",
            (
                task,
                encode(item),
                annotator,
                encode(label),
                rationale,
                self._clock(),
                None if duration_s is None else float(duration_s),
                source,
                None if meta is None else json.dumps(meta),
            ),
        )

    def undo(self, event_id: int, *, annotator: str) -> int:
        """Append an event that undoes the label event ``event_id``. Returns the new event id."""
        with self._lock:
            row = self._db.execute(
                "SELECT task, item, source, action FROM nblabel_events WHERE id = ?", (event_id,)
            ).fetchone()
            if row is None or row[3] != "label":
                raise NblabelError(f"there is no label event {event_id} to undo")
            return self._write(
                "INSERT INTO nblabel_events (task, item, annotator, action, created_at, source,"
                " target) VALUES (?, ?, ?, 'undo', ?, ?, ?)",
                (row[0], row[1], annotator, self._clock(), row[2], event_id),
            )

    # -- reading -----------------------------------------------------------------------------
    def _query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"could not read {self.path}: {exc}") from exc

    def tasks(self) -> list[str]:
        """Names of the tasks that have events, sorted."""
        return [r[0] for r in self._query("SELECT DISTINCT task FROM nblabel_events ORDER BY task")]

    def current(
        self, task: str, annotator: str, source: str = "annotator"
    ) -> dict[str, CurrentLabel]:
        """Current labels of one annotator on one task, keyed by encoded item id."""
        rows = self._query(
            "SELECT e.id, e.item, e.label, e.rationale FROM nblabel_events e"
            " WHERE e.task = ? AND e.annotator = ? AND e.source = ? AND e.action = 'label'"
            " AND NOT EXISTS (SELECT 1 FROM nblabel_events u WHERE u.target = e.id)"
            " ORDER BY e.id",
            (task, annotator, source),
        )
        out: dict[str, CurrentLabel] = {}
        for event_id, item, label, rationale in rows:
            out[item] = CurrentLabel(event_id, decode(item), decode(label), rationale)
        return out

    def current_label(
        self, task: str, item: Any, annotator: str, source: str = "annotator"
    ) -> CurrentLabel | None:
        """The current label of one annotator on one item, or ``None``."""
        row = self._query(
            "SELECT e.id, e.label, e.rationale FROM nblabel_events e"
            " WHERE e.task = ? AND e.item = ? AND e.annotator = ? AND e.source = ?"
            " AND e.action = 'label'"
            " AND NOT EXISTS (SELECT 1 FROM nblabel_events u WHERE u.target = e.id)"
            " ORDER BY e.id DESC LIMIT 1",
            (task, encode(item), annotator, source),
        )
        if not row:
            return None
        event_id, label, rationale = row[0]
        return CurrentLabel(event_id, item, decode(label), rationale)

    def last_label_event(self, task: str, annotator: str, source: str = "annotator") -> int | None:
        """Id of the newest label event of ``annotator`` on ``task`` that is not undone."""
        row = self._query(
            "SELECT e.id FROM nblabel_events e WHERE e.task = ? AND e.annotator = ?"
            " AND e.source = ? AND e.action = 'label'"
            " AND NOT EXISTS (SELECT 1 FROM nblabel_events u WHERE u.target = e.id)"
            " ORDER BY e.id DESC LIMIT 1",
            (task, annotator, source),
        )
        return int(row[0][0]) if row else None

    def item_of(self, event_id: int) -> Any:
        """The item id an event is about."""
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
        where, params = ["e.action = 'label'"], []
        for column, value in (("task", task), ("annotator", annotator), ("source", source)):
            if value is not None:
                where.append(f"e.{column} = ?")
                params.append(value)
        rows = self._query(
            "SELECT e.task, e.item, e.annotator, e.label, e.rationale, e.created_at,"
            " e.duration_s, e.source, e.id,"
            " EXISTS (SELECT 1 FROM nblabel_events u WHERE u.target = e.id) AS undone"
            f" FROM nblabel_events e WHERE {' AND '.join(where)} ORDER BY e.id",
            params,
        )
        frame = pd.DataFrame(rows, columns=[*ANNOTATION_COLUMNS, "undone"])
        frame["item"] = [decode(v) for v in frame["item"]]
        frame["label"] = [decode(v) for v in frame["label"]]
        frame["created_at"] = pd.to_datetime(frame["created_at"].astype(float), unit="s", utc=True)
        frame["duration_s"] = frame["duration_s"].astype(float)
        frame["rationale"] = pd.Series(
            [None if pd.isna(r) else r for r in frame["rationale"].astype(object)],
            index=frame.index,
            dtype=object,
        )
        frame["event_id"] = frame["event_id"].astype("int64")
        undone = frame.pop("undone").astype(bool).to_numpy()
        key = ["task", "item", "annotator", "source"]
        # the newest not-undone event of each key is current; older ones were overwritten
        live = frame.loc[~undone]
        is_current = pd.Series(False, index=frame.index)
        if len(live):
            hashable_keys = live[key].map(_hashable)
            is_current[hashable_keys.drop_duplicates(keep="last").index] = True
        if not history:
            return frame.loc[is_current.to_numpy()].reset_index(drop=True)
        frame["status"] = "overwritten"
        frame.loc[is_current.to_numpy(), "status"] = "current"
        frame.loc[undone, "status"] = "undone"
        return frame


def _hashable(value: Any) -> Any:
    """Lists (multi-label values, tuples decoded from JSON) are made hashable for grouping."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value
