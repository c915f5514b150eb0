"""Shared helpers of the core tests: a hand-driven clock, and a store on each engine: a SQLite
file in ``tmp_path`` and a fresh schema on a real PostgreSQL server.

The server is started once per session on loopback (``postgres_server.py``), or is the one
``NBLABEL_TEST_POSTGRES_URL`` names. Where neither can be had the PostgreSQL tests are skipped,
unless ``NBLABEL_REQUIRE_POSTGRES=1`` (set by ``./dev test``, hence CI): then they fail.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # ``import postgres_server`` whatever pytest's --import-mode
    sys.path.insert(0, str(HERE))

import postgres_server  # noqa: E402

from nblabel import LabelStore  # noqa: E402

ENGINES = ["sqlite", "postgresql"]

#: 2024-01-01T00:00:00Z, the start of every fake clock: far from "now", so a test that
#: reads the real clock by mistake shows up as a wrong date.
EPOCH = 1_704_067_200.0


class FakeClock:
    """A clock that moves only when told (``tick``) and by ``step`` on each read."""

    def __init__(self, start: float = EPOCH, step: float = 0.0) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value

    def tick(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def make_clock() -> type[FakeClock]:
    """The clock class, as a fixture: ``tests/ui`` has a conftest too, so ``from conftest
    import ...`` would pick whichever was imported first."""
    return FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(step=1.0)


class External:
    """A server started by someone else (``NBLABEL_TEST_POSTGRES_URL``)."""

    def __init__(self, url: str) -> None:
        postgres_server.wait_for(url)
        self.url = url

    def restart(self) -> None:
        pytest.skip("cannot restart a server given by NBLABEL_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def postgres():
    """The PostgreSQL server of the session (``.url`` reaches its ``postgres`` database)."""
    given = os.environ.get("NBLABEL_TEST_POSTGRES_URL")
    try:
        pytest.importorskip("psycopg")
        server = External(given) if given else postgres_server.Server()
    except (postgres_server.Unavailable, pytest.skip.Exception) as exc:
        message = f"no PostgreSQL server for the tests: {exc}"
        if os.environ.get("NBLABEL_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    yield server
    if not given:
        server.stop()


_schemas = itertools.count()


@pytest.fixture
def pg_url(postgres) -> str:
    """A URL of a new, empty schema on the session's server: a store of its own."""
    import psycopg

    name = f"t{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(postgres.url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.execute(f"CREATE SCHEMA {name}")
    return postgres_server.schema_url(postgres.url, name)


@pytest.fixture(params=ENGINES)
def store_url(request, tmp_path) -> str:
    """Where a new store lives, once per engine: a SQLite file path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "labels.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def make_store(store_url, clock):
    """Opens stores on ``store_url`` (``clock`` unless given); all closed at the end."""
    opened: list[LabelStore] = []

    def make(**kwargs) -> LabelStore:
        kwargs.setdefault("clock", clock)
        opened.append(LabelStore(store_url, **kwargs))
        return opened[-1]

    yield make
    for each in opened:
        each.close()


@pytest.fixture
def store(make_store):
    return make_store()


def raw_rows(where: str, sql: str) -> list[tuple]:
    """Rows read past the store under test, with a plain client of its engine."""
    if not where.startswith("postgresql://"):
        db = sqlite3.connect(where)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()
    import psycopg

    with psycopg.connect(where) as db:
        return db.execute(sql).fetchall()


def raw_execute(where: str, *statements: str) -> None:
    """Run ``statements`` in one transaction past the store, with a plain client."""
    if not where.startswith("postgresql://"):
        db = sqlite3.connect(where)
        try:
            with db:
                for statement in statements:
                    db.execute(statement)
        finally:
            db.close()
        return
    import psycopg

    with psycopg.connect(where) as db:
        for statement in statements:
            db.execute(statement)


@pytest.fixture
def write_raw(store_url):
    """``write_raw(*statements)``: :func:`raw_execute` on the store at ``store_url``."""
    return lambda *statements: raw_execute(store_url, *statements)


@pytest.fixture
def read_raw(store_url):
    """``read_raw(sql)``: rows of the store at ``store_url``, read with a plain client."""
    return lambda sql: raw_rows(store_url, sql)
