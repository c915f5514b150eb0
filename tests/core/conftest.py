"""Shared helpers of the core tests: a hand-driven clock, and a store on each engine: a SQLite
file in ``tmp_path`` and a fresh schema on the session's PostgreSQL server (``pg_url``, from
``tests/conftest.py``)."""

from __future__ import annotations

import pytest

from nblabel import LabelStore
from postgres_server import raw_execute, raw_rows

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


@pytest.fixture
def write_raw(store_url):
    """``write_raw(*statements)``: :func:`raw_execute` on the store at ``store_url``."""
    return lambda *statements: raw_execute(store_url, *statements)


@pytest.fixture
def read_raw(store_url):
    """``read_raw(sql)``: rows of the store at ``store_url``, read with a plain client."""
    return lambda sql: raw_rows(store_url, sql)
