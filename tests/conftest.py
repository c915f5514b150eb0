"""Fixtures shared by every tier of tests: the session's PostgreSQL server.

The server is started once per session on loopback (``postgres_server.py``), or is the one
``NBLABEL_TEST_POSTGRES_URL`` names. Where neither can be had the PostgreSQL tests are skipped,
unless ``NBLABEL_REQUIRE_POSTGRES=1`` (set by ``./dev test``, hence CI): then they fail.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # ``import postgres_server`` whatever pytest's --import-mode
    sys.path.insert(0, str(HERE))

import postgres_server  # noqa: E402


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


