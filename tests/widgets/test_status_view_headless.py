"""``nblabel.status(...).widget()``: the summary, the table and a bqplot chart of done, claimed
and left per annotator, read again from the store while it is shown."""

from __future__ import annotations

import time

import pytest

import nblabel
from nblabel import Assignment, NblabelError
from nblabel.testing import recording_comms


@pytest.fixture
def team(tmp_path):
    store = nblabel.LabelStore(tmp_path / "team.db")
    plan = Assignment(overlap=2, batch=4, claim_timeout=600)
    for who in ("alice", "bob"):
        for item in plan.claim(store, "t", who, items=range(10))[:2]:
            store.append(task="t", item=item, annotator=who, label="x")
    return store, plan


def bars(view) -> dict:
    return dict(zip(view._bars.x, zip(*view._bars.y, strict=True), strict=True))


def test_the_chart_and_table_follow_the_store(team):
    store, plan = team
    with recording_comms():
        view = nblabel.status(store, "t").widget(every=0.05)
        try:
            assert bars(view) == {"alice": (2.0, 2.0, 6.0), "bob": (2.0, 2.0, 6.0)}
            assert "4 of 20 labels done" in view._summary.value
            for item in plan.claim(store, "t", "alice")[:2]:
                store.append(task="t", item=item, annotator="alice", label="y")
            deadline = time.monotonic() + 5
            while bars(view)["alice"][0] != 4.0 and time.monotonic() < deadline:
                time.sleep(0.05)  # the view reads the store again on its own
            assert bars(view)["alice"] == (4.0, 2.0, 4.0)
            assert "6 of 20 labels done" in view._summary.value and "alice" in view._table.value
        finally:
            view.close()
        assert not view._thread.is_alive() or view._thread.join(1) is None
        assert not view._thread.is_alive()


def test_names_are_text_in_the_table(tmp_path):
    store = nblabel.LabelStore(tmp_path / "s.db")
    store.append(task="t", item=1, annotator="<img src=x onerror=alert(1)>", label="x")
    with recording_comms():
        view = nblabel.status(store, "t").widget()
        try:
            assert "<img" not in view._table.value and "&lt;img" in view._table.value
        finally:
            view.close()


def test_every_must_be_seconds(team):
    store, _ = team
    with pytest.raises(NblabelError, match="every= must be a number of seconds"):
        nblabel.status(store, "t").widget(every=0)
