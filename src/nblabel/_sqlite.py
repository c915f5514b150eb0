"""One SQLite connection per database file per process, and the checks that keep it honest.

SQLite's locks are POSIX advisory locks: they belong to the process, and closing *any*
descriptor of the file drops every one of them (SQLite's "How To Corrupt An SQLite Database
File", §2.2). A second connection opened and closed on the same file, or a plain ``open()``
of it, lets another process delete the ``-wal`` the first connection still commits into. So
every :class:`~nblabel.LabelStore` on one file shares one :class:`SharedConnection`, found in a
registry keyed by the file's device and inode, and nothing here opens the file by other means
while a connection to it is open.

A commit is acknowledged only if it reached the file that the path names *now*: before and
after each write the path's device and inode are compared with the open file's, and its size
with the smallest it has had (a database file never shrinks under nblabel). A file deleted,
replaced or truncated under the connection makes every later write fail with the reason.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ._engine import ASSIGNMENT_SQLITE, DONE_TRIGGERS_SQLITE, Conflict, schema_statements
from ._errors import NblabelError, StoreError
from ._snapshot import CHECKED_SCHEMA
from ._snapshot import SQLITE_SCHEMA as SNAPSHOT_SCHEMA
from ._snapshot import TRIGGERS as SNAPSHOT_TRIGGERS

__all__ = [
    "IDLE_CHECKPOINT_S",
    "SharedConnection",
    "SqliteEngine",
    "connect",
    "open_store_paths",
]

SQLITE_MAGIC = b"SQLite format 3\x00"

#: Seconds without a write after which the WAL is copied into the main file, so that the
#: ``.db`` alone holds every label in normal use.
IDLE_CHECKPOINT_S = 1.0
_CHECKPOINT_POLL_S = 0.25
_BUSY_TIMEOUT_S = 30.0

_registry: dict[tuple[int, int], SharedConnection] = {}
_registry_lock = threading.Lock()
# connections whose file went away: never closed, since closing the last connection makes
# SQLite checkpoint "<path>-wal" and delete it by name, and it may belong to another file now
_orphans: list[sqlite3.Connection] = []


def _leak(db: sqlite3.Connection) -> None:
    _orphans.append(db)
    try:  # not even at interpreter exit: the OS closes the descriptors, as after a kill -9
        import ctypes

        ctypes.pythonapi.Py_IncRef(ctypes.py_object(db))
    except (ImportError, AttributeError):
        pass


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino, st.st_size


def _is_damage(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text
    )


def damaged_message(path: Path, exc: BaseException | str) -> str:
    return (
        f"the label store {path} is damaged ({exc}); nblabel will not write to it. Recover what "
        f"it holds with: sqlite3 '{path}' '.recover' | sqlite3 recovered.db — then open "
        "recovered.db — or open a backup (store.backup)"
    )


class SharedConnection:
    """The one connection of this process to one database file, with its lock and state."""

    def __init__(
        self, path: Path, db: sqlite3.Connection, *, read_only: bool, created: bool
    ) -> None:
        self.path = path
        self.db = db
        self.read_only = read_only
        self.created = created  # this process made the file: it may remove it if setup fails
        self.lock = threading.RLock()
        self.users = 0
        self.stale: str | None = None  # why writes are refused: the file went away
        self.damaged: str | None = None
        self.last_write: float | None = None  # monotonic time of an unchekpointed write
        self.durability = "normal"
        self.wal = False
        ident = _identity(path)
        if ident is None:
            raise StoreError(f"the label store {path} disappeared while it was being opened")
        self.key = ident[:2]
        self.min_size = ident[2]

    # -- the file behind the connection --------------------------------------------------------
    def check_file(self) -> None:
        """Raise unless the path still names the open file, whole (call under ``lock``)."""
        if self.stale is None:
            ident = _identity(self.path)
            if ident is None:
                self._go_stale("was deleted", replaced=True)
            elif ident[:2] != self.key:
                self._go_stale("was replaced by another file", replaced=True)
            elif ident[2] < self.min_size:
                self._go_stale(f"was truncated (from {self.min_size:,} to {ident[2]:,} bytes)")
            else:
                self.min_size = ident[2]
        if self.stale is not None:
            raise StoreError(
                f"the label store {self.path} {self.stale} while it was open: nothing more is "
                "saved there. Run the cell that opens the store again (a new store file is "
                "made if none is there)"
            )
        if self.damaged is not None:
            raise StoreError(damaged_message(self.path, self.damaged))

    def _go_stale(self, reason: str, *, replaced: bool = False) -> None:
        self.stale = reason
        with _registry_lock:
            if _registry.get(self.key) is self:
                del _registry[self.key]
        if replaced:
            # "<path>-wal" now sits beside another database file: empty it into the file this
            # connection has open (the old one), so the new file never reads our pages
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        _leak(self.db)

    def error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        """A StoreError that says what went wrong and what to do."""
        text = str(exc)
        if _is_damage(exc):
            self.damaged = text
            return StoreError(damaged_message(self.path, exc))
        if "readonly" in text.replace("-", "").replace(" ", "") or "read-only" in text:
            self.read_only = True
            return StoreError(read_only_message(self.path))
        if "disk is full" in text or "disk i/o error" in text.lower():
            return StoreError(
                f"could not {doing} {self.path}: {exc} (is the disk full?); free some space "
                "and try again"
            )
        return StoreError(f"could not {doing} {self.path}: {exc}")

    # -- writing -------------------------------------------------------------------------------
    def write(self, run: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``run(db)`` (one statement or a transaction) and commit it, checked."""
        with self.lock:
            if self.read_only:
                raise StoreError(read_only_message(self.path))
            self.check_file()
            try:
                result = run(self.db)
            except sqlite3.Error as exc:
                if self.db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self.db.execute("ROLLBACK")
                raise self.error(exc, "save to") from exc
            # the commit went to the file that was open; it counts only if that is still the
            # file at the path
            self.check_file()
            self.last_write = time.monotonic()
        _checkpointer.wake()
        return result

    def read(self, run: Callable[[sqlite3.Connection], Any]) -> Any:
        with self.lock:
            self.check_file()
            try:
                return run(self.db)
            except sqlite3.Error as exc:
                raise self.error(exc, "read") from exc

    def checkpoint(self, mode: str = "PASSIVE") -> None:
        with self.lock:
            if self.stale or self.damaged or self.read_only:
                return
            try:
                self.check_file()
                self.db.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
            except (sqlite3.Error, StoreError):
                return  # a busy reader or a vanished file: the labels are safe in the WAL
            self.last_write = None

    def use_wal(self) -> None:
        """Switch the file to WAL (once it is known to be ours: this rewrites its header)."""
        with self.lock:
            if self.read_only or self.wal:
                return
            try:
                _retry_busy(lambda: self.db.execute("PRAGMA journal_mode=WAL").fetchone())
            except sqlite3.Error as exc:
                raise self.error(exc, "set up") from exc
            self.wal = True

    def set_durability(self, durability: str) -> None:
        # the strongest any store on the file asked for
        with self.lock:
            if durability == "full" or self.durability == "normal":
                self.durability = durability
                if not self.read_only:
                    self.db.execute(f"PRAGMA synchronous={durability.upper()}")

    def release(self) -> None:
        with _registry_lock:
            self.users -= 1
            if self.users > 0:
                return
            if _registry.get(self.key) is self:
                del _registry[self.key]
        if self.stale is None:
            with self.lock:
                self.checkpoint("TRUNCATE")
                self.db.close()


def read_only_message(path: Path) -> str:
    return (
        f"the label store {path} is read-only: its folder or file cannot be written, so labels "
        "cannot be saved there. Its labels can still be read; to label, copy it to a writable "
        "folder with store.backup('copy.db') and open the copy"
    )


# -- opening -------------------------------------------------------------------------------------
def open_store_paths() -> list[Path]:
    """Paths of the database files this process has open as stores."""
    with _registry_lock:
        return [conn.path for conn in _registry.values()]


def connect(path: Path, durability: str) -> SharedConnection:
    """The shared connection to ``path``, opening it if this process has none."""
    with _registry_lock:
        ident = _identity(path)
        shared = _registry.get(ident[:2]) if ident is not None else None
        others = [c for c in _registry.values() if c.path == path and c is not shared]
    for other in others:  # a connection to a file that was at this path before
        with other.lock, contextlib.suppress(StoreError):
            other.check_file()
    with _registry_lock:
        if shared is not None and shared.stale is None:
            shared.users += 1
    if shared is not None:
        try:
            shared.set_durability(durability)
        except BaseException:
            shared.release()
            raise
        return shared
    return _open_new(path, durability)


def _open_new(path: Path, durability: str) -> SharedConnection:
    created = _create_empty(path)
    db, read_only = _sqlite_connect(path, created)
    try:
        shared = SharedConnection(path, db, read_only=read_only, created=created)
    except BaseException:
        db.close()
        raise
    with _registry_lock:
        winner = _registry.get(shared.key)
        if winner is not None and winner.stale is None:
            # another thread opened it meanwhile: use that one (ours was never written to)
            winner.users += 1
            db.close()
            return winner
        _registry[shared.key] = shared
        shared.users = 1
    try:
        shared.set_durability(durability)
    except BaseException:
        shared.release()
        raise
    _checkpointer.start()
    return shared


def _create_empty(path: Path) -> bool:
    """Create ``path`` if missing; True if this call made it (so it may remove it again)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    except OSError as exc:
        raise StoreError(
            f"cannot create the label store {path}: {exc.strerror}; choose a folder you can "
            "write to"
        ) from exc
    os.close(fd)
    return True


def _sqlite_connect(path: Path, created: bool) -> tuple[sqlite3.Connection, bool]:
    """Connect and switch to WAL; fall back to read-only where the folder cannot be written."""
    uri = path.as_uri()
    attempts = [(f"{uri}?mode=rw", False)]
    if not created:
        attempts += [(f"{uri}?mode=ro", True), (f"{uri}?mode=ro&immutable=1", True)]
    first_error: sqlite3.Error | None = None
    for target, read_only in attempts:
        try:
            db = sqlite3.connect(
                target, uri=True, isolation_level=None, check_same_thread=False,
                timeout=_BUSY_TIMEOUT_S,
            )  # fmt: skip
        except sqlite3.Error as exc:
            first_error = first_error or exc
            continue
        try:
            # reading the schema is the first real access: it finds foreign and damaged files
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            db.close()
            if _is_damage(exc):
                raise _not_ours_or_damaged(path, exc) from exc
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(
                    f"the label store {path} is locked by another program: {exc}"
                ) from exc
            first_error = first_error or exc
            continue
        return db, read_only or not _writable(path)
    if created:
        _remove_failed_new_file(path)
        if first_error is not None and "disk is full" in str(first_error):
            raise StoreError(f"could not create the label store {path}: the disk is full")
    raise StoreError(f"cannot open the label store {path}: {first_error}")


def _writable(path: Path) -> bool:
    # SQLite opens a file it may not write read-only without a word: ask the OS, with the
    # effective ids and capabilities (root without them obeys permissions too)
    effective = os.access in os.supports_effective_ids
    return os.access(path, os.W_OK, effective_ids=effective)


def _retry_busy(run: Callable[[], Any], timeout: float = _BUSY_TIMEOUT_S) -> Any:
    # switching to WAL needs a moment alone with the file; SQLite does not wait for it
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            return run()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def _not_ours_or_damaged(path: Path, exc: sqlite3.Error) -> Exception:
    # no connection of ours is open on the file here, so reading its first bytes is safe
    try:
        with open(path, "rb") as f:
            header = f.read(len(SQLITE_MAGIC))
    except OSError:
        header = b""
    if header != SQLITE_MAGIC:
        return NblabelError(
            f"{path} exists and is not an nblabel database (not a SQLite file); "
            "nblabel never overwrites it: choose another file name"
        )
    return StoreError(damaged_message(path, exc))


def _remove_failed_new_file(path: Path) -> None:
    # a store this process created but could not set up leaves nothing behind, unless
    # another process has meanwhile saved labels in it (no connection of ours is open here)
    with contextlib.suppress(sqlite3.Error, FileNotFoundError):
        if path.stat().st_size:
            probe = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
            try:
                if probe.execute("SELECT count(*) FROM nblabel_events").fetchone()[0]:
                    return
            finally:
                probe.close()
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            os.remove(f"{path}{suffix}")


def remove_new_store(shared: SharedConnection) -> None:
    """Close (and delete, if this process made the file) a store that could not be set up."""
    with _registry_lock:
        if _registry.get(shared.key) is shared:
            del _registry[shared.key]
    with contextlib.suppress(sqlite3.Error):
        shared.db.close()
    if shared.created:
        _remove_failed_new_file(shared.path)


# -- checkpoints ---------------------------------------------------------------------------------
class _Checkpointer:
    """A daemon thread that copies the WAL into the main file once a store has been idle."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._event = threading.Event()
        self._guard = threading.Lock()

    def start(self) -> None:
        with self._guard:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="nblabel-checkpoint", daemon=True
                )
                self._thread.start()

    def wake(self) -> None:
        if not self._event.is_set():  # after every label: setting it again takes its lock
            self._event.set()

    def _run(self) -> None:
        while True:
            self._event.wait()
            time.sleep(_CHECKPOINT_POLL_S)
            with _registry_lock:
                connections = list(_registry.values())
            waiting = False
            now = time.monotonic()
            for shared in connections:
                last = shared.last_write
                if last is None:
                    continue
                if now - last >= IDLE_CHECKPOINT_S:
                    shared.checkpoint()
                else:
                    waiting = True
            if not waiting:
                self._event.clear()


_checkpointer = _Checkpointer()


@atexit.register
def _close_all() -> None:
    with _registry_lock:
        connections = list(_registry.values())
        _registry.clear()
    for shared in connections:
        with contextlib.suppress(Exception), shared.lock:
            shared.checkpoint("TRUNCATE")
            shared.db.close()


def _forget_after_fork() -> None:
    # a forked child must not use (or close) its parent's connections
    global _registry_lock, _checkpointer
    for shared in _registry.values():
        _leak(shared.db)
    _registry.clear()
    _registry_lock = threading.Lock()
    _checkpointer = _Checkpointer()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


# -- the store's engine --------------------------------------------------------------------------
class _SqliteTx:
    """The statements of one write transaction (see ``_engine``)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            return self.db.execute(sql, tuple(params)).fetchall()
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" not in str(exc):
                raise
            raise Conflict(str(exc)) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def tables(self) -> set[str]:
        return _tables(self.db)


def _tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


class SqliteEngine:
    """The label store's engine on one SQLite file (the protocol is in ``_engine``)."""

    name = "SQLite"
    lock_clause = ""  # BEGIN IMMEDIATE already keeps every other writer out
    ranked = "(SELECT value, key AS rank FROM json_each(?))"
    # in the order of the rows: two of them in one query stay aligned (SQLite before 3.44
    # takes no ORDER BY inside an aggregate)
    text_agg = "group_concat({}, char(10))"
    schema: ClassVar[list[str]] = [
        *schema_statements(id="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL", int="INTEGER"),
        # partial: a plain label (no target) costs no write to it
        "CREATE INDEX IF NOT EXISTS nblabel_events_by_target ON nblabel_events (target)"
        " WHERE target IS NOT NULL",
        *SNAPSHOT_SCHEMA,
        CHECKED_SCHEMA,
        *ASSIGNMENT_SQLITE,
    ]
    assignment_schema = ASSIGNMENT_SQLITE
    done_is_exact = True  # one writer at a time: the triggers see every event committed
    triggers_sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    columns_sql = "SELECT name FROM pragma_table_info(?)"
    done_triggers = DONE_TRIGGERS_SQLITE
    # ids grow in commit order (AUTOINCREMENT, one writer at a time): see ``_snapshot``
    keeps_snapshots = True
    snapshot_schema = SNAPSHOT_SCHEMA
    snapshot_triggers = SNAPSHOT_TRIGGERS
    events_by_id = "nblabel_events NOT INDEXED"  # events after an id: by rowid, not an index

    def __init__(self, path: Path, durability: str) -> None:
        self.path = path
        self.location = str(path)
        self.shared = connect(path, durability)

    @property
    def read_only(self) -> bool:
        return self.shared.read_only

    @staticmethod
    def migration(version: int) -> list[str]:
        return ["ALTER TABLE nblabel_events ADD COLUMN fingerprint TEXT"] if version < 2 else []

    def tables(self) -> set[str]:
        return self.shared.read(_tables)

    def indexes(self) -> set[str]:
        rows = self.read("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {r[0] for r in rows}

    def triggers(self) -> set[str]:
        return {r[0] for r in self.read(self.triggers_sql)}

    def read(self, sql: str, params: Sequence[Any] = (), *, binary: bool = False) -> list[tuple]:
        params = tuple(params)  # binary: as every value here
        return self.shared.read(lambda db: db.execute(sql, params).fetchall())

    def read_chunks(
        self, sql: str, params: Sequence[Any], consume: Callable[[list[tuple]], Any], size: int
    ) -> None:
        """Call ``consume(rows)`` for each ``size`` rows of one query, in order (no list of
        every row at once)."""
        params = tuple(params)

        def run(db: sqlite3.Connection) -> None:
            cursor = db.execute(sql, params)
            while rows := cursor.fetchmany(size):
                consume(rows)

        self.shared.read(run)

    def insert(self, sql: str, params: Sequence[Any]) -> int | None:
        params = tuple(params)

        def run(db: sqlite3.Connection) -> int | None:
            cursor = db.execute(sql, params)
            return int(cursor.lastrowid) if cursor.rowcount == 1 else None

        return self.shared.write(run)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        params = tuple(params)
        self.shared.write(lambda db: db.execute(sql, params))

    def transaction(
        self, run: Callable[[_SqliteTx], Any], *, lock: str | None = None, wait: bool = True
    ) -> Any:
        # BEGIN IMMEDIATE: one write transaction at a time on the file, whatever ``lock``;
        # ``wait=False``: fail at once if another connection is writing
        def in_transaction(db: sqlite3.Connection) -> Any:
            if wait:
                db.execute("BEGIN IMMEDIATE")
            else:
                db.execute("PRAGMA busy_timeout = 0")
                try:
                    db.execute("BEGIN IMMEDIATE")
                finally:
                    db.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
            try:
                result = run(_SqliteTx(db))
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

        return self.shared.write(in_transaction)

    def close(self) -> None:
        self.shared.release()

    def discard(self) -> None:
        """Close a store that could not be set up, removing the file if this process made it."""
        if self.shared.created and self.shared.users == 1:
            remove_new_store(self.shared)
        else:
            self.shared.release()
