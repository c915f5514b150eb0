"""``nblabel.status(...).widget()``: the summary, the table and a bqplot chart of done, claimed
and left per annotator, read again from the store while it is shown."""

from __future__ import annotations

import doctest
import html
import itertools
import re
import time

import pytest

import nblabel
from nblabel import Assignment, NblabelError
from nblabel.testing import recording_comms
from nblabel.widgets import status as status_view
from nblabel.widgets.status import whole_ticks


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
            # an nblabel widget: its root carries the nblabel class, and the style that
            # goes with it comes along (the same card as every view, whatever is on the page)
            assert {"nblabel", "nblabel-status-view"} <= set(view._dom_classes)
            assert ".nblabel {" in view._legend.value
            # the legend is a line of the page, not bqplot's box drawn over the bars
            assert not view._bars.display_legend and view._legend in view.children
            assert re.findall(r"</i>(\w+)</span>", view._legend.value) == [
                "done", "claimed", "left"]  # fmt: skip
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
    hostile = '"><img src=x onerror=alert(1)>'
    store.append(task="t", item=1, annotator=hostile, label="x")
    with recording_comms():
        view = nblabel.status(store, "t").widget()
        try:
            table = view._table.value
            assert "<img" not in table and "&lt;img" in table
            # in the cell and in its title attribute: the quote cannot end the attribute
            assert table.count("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") == 2
        finally:
            view.close()


def cells(table: str) -> list[list[str]]:
    """The text of each row's cells, headings included."""
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    return [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
            for r in rows]  # fmt: skip


def test_the_table_has_headings_in_words_and_values_for_people(team):
    store, _ = team
    with recording_comms():
        view = nblabel.status(store, "t").widget()
        try:
            table = view._table.value
        finally:
            view.close()
    # one heading row (no row for the index's name), the team's row last and apart
    assert cells(table)[0] == ["annotator", "done", "claimed", "left", "pace (labels/h)", "ETA"]
    assert [row[0] for row in cells(table)[1:]] == ["alice", "bob", "all"]
    assert re.search(r"<tfoot><tr><th[^>]*>all</th>", table)
    assert "pace_per_h" not in table and "border=" not in table and "<style>" in table
    # the ETA of an annotator's row and of the team's mean two things: said under the table
    assert "<caption>ETA: an annotator&#x27;s claimed items at their pace; all: what is left" \
        in table  # fmt: skip
    # every label here was saved just now: the pace is over the one-minute floor
    assert cells(table)[1][1:] == ["2", "2", "6", "120", "1 min"]
    assert cells(table)[3][1:] == ["4", "4", "16", "240", "4 min"]


def test_unknown_values_read_as_a_dash(tmp_path):
    store = nblabel.LabelStore(tmp_path / "s.db")
    store.append(task="t", item=1, annotator="al", label="x")
    with recording_comms():
        view = nblabel.status(store, "t").widget()
        try:
            # no assignment: nothing is known to be left, so no ETA either
            assert cells(view._table.value)[-1] == ["all", "1", "0", "–", "60", "–"]
        finally:
            view.close()


def test_every_must_be_seconds(team):
    store, _ = team
    with pytest.raises(NblabelError, match="every= must be a number of seconds"):
        nblabel.status(store, "t").widget(every=0)


@pytest.mark.parametrize("top", [0, 0.4, 1, 3, 7, 10, 11, 19, 20, 21, 99, 100, 101, 4_321, 10**7])
def test_the_axis_of_counts_has_whole_ticks_up_to_the_tallest_bar(top):
    ticks = whole_ticks(top)
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert ticks[0] == 0 and len(steps) == 1 and 2 <= len(ticks) <= 11
    step = steps.pop()
    assert all(isinstance(t, int) for t in ticks)
    assert ticks[-1] >= top and ticks[-1] - step < max(top, 1)  # reaches the top, no further
    assert str(step).strip("0") in {"1", "2", "5"}
    assert doctest.testmod(status_view).failed == 0


def test_a_few_labels_are_counted_on_whole_ticks(tmp_path):
    store = nblabel.LabelStore(tmp_path / "few.db")
    for who, n in (("ann", 3), ("bob", 1)):
        for item in range(n):
            store.append(task="t", item=item, annotator=who, label="x")
    with recording_comms():
        view = nblabel.status(store, "t").widget()
        try:
            # three labels at most: ticks 0, 1, 2, 3 and the scale ends at 3 (bqplot's own
            # ticks at 0.2, 0.4... printed as whole numbers read "0 0 0 1 1 1")
            assert view._y_axis.tick_values.tolist() == [0, 1, 2, 3] and view._y.max == 3
        finally:
            view.close()
