"""Shared helpers of the core tests: a hand-driven clock and a store in ``tmp_path``."""

from __future__ import annotations

import pytest

from nblabel import LabelStore

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


@pytest.fixture
def store(tmp_path, clock):
    with LabelStore(tmp_path / "labels.db", clock=clock) as opened:
        yield opened
