"""The label store's engine on PostgreSQL (psycopg 3): one server shared by a team.

Each :class:`~nblabel.LabelStore` holds one connection in autocommit mode, so every write is
committed on the server before the call returns; a transaction (a claim, a migration) is
explicit. A connection lost (the server restarted, the network dropped) fails the call with a
:class:`~nblabel.StoreError` and is opened again on the next call, so a widget keeps its label
pending and saves it once the server is back.

Credentials come from the URL or libpq's environment (``PGPASSWORD``, ``~/.pgpass``) and are
never shown: :func:`redact` removes the password from every URL this module prints, and the
server's error text is cleaned of it too.
"""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, ClassVar

from ._engine import ASSIGNMENT_POSTGRES, DONE_TRIGGERS_POSTGRES, Conflict, schema_statements
from ._errors import NblabelError, StoreError
from ._optional import require
from ._snapshot import CHECKED_SCHEMA, POSTGRES_SCHEMA, POSTGRES_TRIGGERS

__all__ = ["SCHEMES", "PostgresEngine", "is_postgres_url", "redact"]

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
CONNECT_TIMEOUT_S = 10
_FORMAT = "postgresql://user@host:5432/database"


def is_postgres_url(value: Any) -> bool:
    """Whether ``value`` is a text naming a PostgreSQL database (``postgresql://...``)."""
    if not isinstance(value, str):
        return False
    scheme, sep, _ = value.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def redact(url: str) -> str:
    """``url`` with its password (in the user part or as ``?password=``) replaced by ``***``."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://…"
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        query = "&".join(
            f"{k}={'***' if k.lower() == 'password' else urllib.parse.quote(v, safe='')}"
            for k, v in pairs
        )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _password(url: str) -> str | None:
    try:
        parts = urllib.parse.urlsplit(url)
        for key, value in urllib.parse.parse_qsl(parts.query):
            if key.lower() == "password":
                return value
        return urllib.parse.unquote(parts.password) if parts.password else None
    except ValueError:  # a URL too broken to split: take what stands between ':' and '@'
        user = url.partition("://")[2].partition("/")[0].rpartition("@")[0]
        return user.partition(":")[2] or None


@lru_cache(maxsize=256)
def _dialect(sql: str) -> str:
    # the store writes ``?`` placeholders (no literal ``?`` or ``%`` in its SQL)
    return sql.replace("?", "%s")


def _check_text(params: Sequence[Any]) -> tuple:
    params = tuple(params)
    for value in params:
        if isinstance(value, str) and "\x00" in value:
            raise NblabelError(
                f"{value[:40]!r} holds the character '\\x00' (NUL), which PostgreSQL cannot "
                "store in text: remove it"
            )
    return params


class _PostgresTx:
    """The statements of one transaction (see ``_engine``)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self.conn.execute(_dialect(sql), _check_text(params))
        return cursor.fetchall() if cursor.description else []

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_dialect(sql), [_check_text(r) for r in rows])

    def tables(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema()"
        ).fetchall()
        return {r[0] for r in rows}


class PostgresEngine:
    """The label store's engine on one PostgreSQL database (the protocol is in ``_engine``)."""

    name = "PostgreSQL"
    lock_clause = " FOR UPDATE OF s SKIP LOCKED"  # the slots read, not a joined ranking
    ranked = (
        "(SELECT value, ordinality AS rank"
        " FROM jsonb_array_elements_text(CAST(? AS jsonb)) WITH ORDINALITY)"
    )
    # several in one query stay aligned by one order each; a row of them (row_agg) needs none
    text_agg = "string_agg({}, chr(10) ORDER BY id)"
    row_agg = "string_agg({}, chr(10))"
    row_join = " || chr(9) || "
    read_only = False
    path = None
    # ids are handed out in one order and committed in another: each read checks that a
    # snapshot still holds (see ``_snapshot``)
    keeps_snapshots = True
    checks_snapshots = True
    snapshot_schema = POSTGRES_SCHEMA
    snapshot_triggers = POSTGRES_TRIGGERS
    events_by_id = "nblabel_events"
    # an index seeks to a row value ``(annotator, source) > (?, ?)``: ``_columns`` finds the
    # values of those columns in one query
    seeks_row_values = True
    schema: ClassVar[list[str]] = [
        *schema_statements(
            id="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            real="DOUBLE PRECISION",
            int="BIGINT",
        ),
        # an event is undone once, even by two kernels undoing it at the same moment
        "CREATE UNIQUE INDEX IF NOT EXISTS nblabel_events_undone_once ON nblabel_events (target)"
        " WHERE target IS NOT NULL",
        CHECKED_SCHEMA,
        *POSTGRES_SCHEMA,
        *ASSIGNMENT_POSTGRES,
    ]
    assignment_schema = ASSIGNMENT_POSTGRES
    triggers_sql = (
        "SELECT tgname FROM pg_trigger WHERE tgrelid IN (to_regclass('nblabel_events'),"
        " to_regclass('nblabel_slots')) AND NOT tgisinternal AND tgenabled = 'A'"
    )
    columns_sql = (
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ?"
    )
    done_triggers = DONE_TRIGGERS_POSTGRES

    def __init__(self, url: str) -> None:
        self.psycopg = require(
            "psycopg", extra="postgres", purpose="A PostgreSQL label store",
            package="psycopg[binary]",
        )  # fmt: skip
        rest = url.partition("://")[2]
        self._conninfo = "postgresql://" + rest  # libpq knows no "+psycopg"
        self._url = url
        self._secret = _password(url)
        self.location = redact(url)
        self._lock = threading.RLock()
        self._conn: Any = None
        self._pid = os.getpid()
        self._closed = False
        try:
            self.psycopg.conninfo.conninfo_to_dict(self._conninfo)
        except self.psycopg.Error as exc:
            raise NblabelError(
                f"{self.location} is not a PostgreSQL URL libpq understands "
                f"({self._clean(exc)}): write it as {_FORMAT}"
            ) from None
        with self._lock:
            self._connection()

    # -- connecting ---------------------------------------------------------------------------
    def _clean(self, exc: BaseException) -> str:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        text = text.replace(self._url, self.location)
        if self._secret:
            text = text.replace(self._secret, "***")
        return text

    def _connection(self) -> Any:
        """The open connection, made (again) if there is none or it broke (call under lock)."""
        if self._closed:
            raise StoreError(f"the label store {self.location} was closed: open it again")
        if self._pid != os.getpid():
            # a forked child: the parent's socket is not ours to use or to close
            _parents.append(self._conn)
            self._conn, self._pid = None, os.getpid()
        if self._conn is not None and not _lost(self._conn):
            return self._conn
        self._conn = None
        psycopg = self.psycopg
        try:
            self._conn = psycopg.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="nblabel",
            )
        except psycopg.OperationalError as exc:
            raise StoreError(self._connect_message(exc)) from None
        except psycopg.Error as exc:
            raise StoreError(
                f"could not connect to the label store {self.location}: {self._clean(exc)}"
            ) from None
        return self._conn

    def _connect_message(self, exc: BaseException) -> str:
        text = self._clean(exc)
        low = str(exc).lower()
        where = f"the label store {self.location}"
        if "password authentication failed" in low or "no password supplied" in low:
            return (
                f"the server refused the password for {where} ({text}): check the password "
                "in the URL, in PGPASSWORD or in ~/.pgpass"
            )
        if "database" in low and "does not exist" in low:
            return (
                f"{where}: the database does not exist on that server ({text}): create it "
                "(createdb, or CREATE DATABASE) or fix its name in the URL"
            )
        if "role" in low and "does not exist" in low:
            return f"{where}: the server has no such user ({text}): fix the user in the URL"
        if "could not translate host name" in low or "name or service not known" in low:
            return f"{where}: the host name is unknown ({text}): check the host in the URL"
        if "refused" in low or "no such file or directory" in low or "timeout" in low:
            return (
                f"no PostgreSQL server answers for {where} ({text}): start the server, or "
                "check the host and port in the URL"
            )
        return f"could not connect to {where}: {text}"

    def _run(self, doing: str, run: Callable[[Any], Any]) -> Any:
        psycopg = self.psycopg
        with self._lock:
            conn = self._connection()
            try:
                return run(conn)
            except psycopg.errors.UniqueViolation as exc:
                raise Conflict(self._clean(exc)) from None
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if _lost(conn):
                    self._conn = None
                    raise StoreError(
                        f"could not {doing} the label store {self.location}: the connection to "
                        f"the server was lost ({self._clean(exc)}); nothing from this call is "
                        "confirmed as saved. It reconnects on the next call once the server "
                        "is back"
                    ) from None
                raise StoreError(
                    f"could not {doing} the label store {self.location}: {self._clean(exc)}"
                ) from None
            except psycopg.errors.InsufficientPrivilege as exc:
                raise StoreError(
                    f"could not {doing} the label store {self.location}: {self._clean(exc)}; "
                    "ask the database's owner to GRANT this user SELECT, INSERT and UPDATE on "
                    "the nblabel_ tables (and CREATE on the schema, for the first store, which "
                    "creates them)"
                ) from None
            except psycopg.Error as exc:
                raise StoreError(
                    f"could not {doing} the label store {self.location}: {self._clean(exc)}"
                ) from None

    # -- the engine protocol -------------------------------------------------------------------
    @staticmethod
    def migration(version: int) -> list[str]:
        return []  # schemas 1 and 2 never existed here; 3 adds a table the DDL creates

    def tables(self) -> set[str]:
        return self._run("read", lambda conn: _PostgresTx(conn).tables())

    def triggers(self) -> set[str]:
        """The triggers on the events and slots that fire for every session's change: one
        disabled, or that a session with ``session_replication_role = replica`` skips, is as
        if gone."""
        return {r[0] for r in self.read(self.triggers_sql)}

    def indexes(self) -> set[str]:
        rows = self.read(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = 'nblabel_events'"
        )
        return {r[0] for r in rows}

    def read(self, sql: str, params: Sequence[Any] = (), *, binary: bool = False) -> list[tuple]:
        """Rows of one query; ``binary=True`` has the server send them in binary (BYTEA as its
        bytes: a quarter of the time of its hex text)."""
        params = _check_text(params)

        def run(conn: Any) -> list[tuple]:
            return conn.cursor(binary=binary).execute(_dialect(sql), params).fetchall()

        return self._run("read", run)

    def read_chunks(
        self, sql: str, params: Sequence[Any], consume: Callable[[list[tuple]], Any], size: int
    ) -> None:
        """Call ``consume(rows)`` for each ``size`` rows of one query, in order: the result
        stays in libpq's compact form, and only a chunk of it is Python tuples at a time."""
        params = _check_text(params)

        def run(conn: Any) -> None:
            cursor = conn.cursor().execute(_dialect(sql), params)
            while rows := cursor.fetchmany(size):
                consume(rows)

        self._run("read", run)

    def insert(self, sql: str, params: Sequence[Any]) -> int | None:
        params = _check_text(params)

        def run(conn: Any) -> int | None:
            row = conn.execute(_dialect(sql) + " RETURNING id", params).fetchone()
            return None if row is None else int(row[0])

        return self._run("save to", run)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        params = _check_text(params)
        self._run("save to", lambda conn: conn.execute(_dialect(sql), params))

    def transaction(
        self, run: Callable[[_PostgresTx], Any], *, lock: str | None = None, wait: bool = True
    ) -> Any:
        def in_transaction(conn: Any) -> Any:
            with conn.transaction():
                if not wait:  # a row another transaction holds fails the write at once
                    conn.execute("SET LOCAL lock_timeout = '1ms'")
                if lock is not None:  # one such transaction at a time, server-wide
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lock,))
                return run(_PostgresTx(conn))

        return self._run("save to", in_transaction)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
            if conn is not None and self._pid == os.getpid():
                conn.close()

    discard = close


def _lost(conn: Any) -> bool:
    return bool(conn.closed or getattr(conn, "broken", False))


# connections a forked child inherited: kept referenced, never closed (that would end the
# parent's session on the server)
_parents: list[Any] = []
