"""How far a team is on a task: per annotator and overall, done, claimed, left, pace and ETA.

Read from the store alone (labels and the assignment's slots), so a lead can call it from any
kernel while the team labels. Pure: no widget library is imported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_task, given
from ._errors import NblabelError
from ._store import LabelStore

__all__ = ["Status", "status"]

ALL = "(all)"
COLUMNS = ["done", "claimed", "left", "pace_per_h", "eta"]
# the columns' headings for people, and what an unknown value reads as
HEADINGS = {"done": "done", "claimed": "claimed", "left": "left",
            "pace_per_h": "pace (labels/h)", "eta": "ETA"}  # fmt: skip
UNKNOWN = "–"
#: what the ETA column holds, which differs by row: said under the table
ETA_NOTE = "ETA: an annotator's claimed items at their pace; all: what is left, at the team's pace."


@dataclass(frozen=True)
class Status:
    """Progress of one task: :attr:`frame` has one row per annotator and a last row
    ``"(all)"``, with columns ``done, claimed, left, pace_per_h, eta``.

    Indexing, ``.loc`` and other DataFrame attributes reach :attr:`frame`.
    """

    task: str
    at: pd.Timestamp
    frame: pd.DataFrame
    assigned: bool
    store: LabelStore | None = field(default=None, repr=False, compare=False)
    window: float = 3600.0

    def widget(self, every: float = 10.0) -> Any:
        """The same, live: the summary, the table and a bqplot chart of each annotator's
        done, claimed and left, read again from the store every ``every`` seconds while the
        widget is shown (``close()`` stops it).

        Examples
        --------
        >>> nblabel.status(store, task="sentiment").widget()            # doctest: +SKIP
        """
        from .widgets.status import StatusView

        if self.store is None:
            raise NblabelError("this status was made without its store: use nblabel.status()")
        if isinstance(every, bool) or not isinstance(every, (int, float)) or not every > 0:
            raise NblabelError(f"every= must be a number of seconds above 0, not {given(every)}")
        return StatusView(self, every=float(every))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.frame, name)

    def __getitem__(self, key: Any) -> Any:
        return self.frame[key]

    def __len__(self) -> int:
        return len(self.frame)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the table, to keep or join."""
        return self.frame.copy()

    def summary(self) -> str:
        """One line: how much is done and left, the pace, and when it would be finished."""
        total = self.frame.loc[ALL]
        done, claimed, left = int(total["done"]), int(total["claimed"]), total["left"]
        at = self.at.strftime("%Y-%m-%d %H:%M UTC")
        if not self.assigned:
            head = (
                f"{done:,} label{'' if done == 1 else 's'}, no assignment (so nothing is known "
                "to be left)"
            )
        else:
            needed = done + int(left)
            share = f" ({done / needed:.0%})" if needed else ""
            head = (
                f"{done:,} of {needed:,} labels done{share}, {claimed:,} claimed, "
                f"{int(left):,} left"
            )
        pace = total["pace_per_h"]
        tail = f"; {pace:,.0f} labels/h" if pace > 0 else "; no labels lately"
        eta = total["eta"]
        if self.assigned and int(left) == 0:
            tail += "; finished"
        elif not pd.isna(eta):
            tail += f"; done in {_span(eta)} (about {(self.at + eta):%Y-%m-%d %H:%M} UTC)"
        return f"Task {self.task!r} at {at}: {head}{tail}"

    def _shown(self) -> pd.DataFrame:
        shown = self.frame.copy()
        shown["pace_per_h"] = shown["pace_per_h"].map(lambda v: f"{v:,.1f}")
        shown["left"] = shown["left"].map(lambda v: "?" if pd.isna(v) else f"{int(v):,}")
        shown["eta"] = shown["eta"].map(_span)
        return shown

    def _cells(self) -> list[tuple[str, list[str]]]:
        """Each row as text for people: ``(annotator, [done, claimed, left, pace, ETA])``;
        the ``"(all)"`` row last."""
        rows = []
        for name, row in self.frame.iterrows():
            rows.append((str(name), [_count(row["done"]), _count(row["claimed"]),
                                     _count(row["left"]), _rate(row["pace_per_h"]),
                                     _span(row["eta"])]))  # fmt: skip
        return rows

    def __repr__(self) -> str:
        return f"{self.summary()}\n{self._shown().to_string()}\n{ETA_NOTE}"

    def _repr_html_(self) -> str:
        # the table is built by pandas, which escapes every value (annotator names are data)
        import html

        return (
            f"<p>{html.escape(self.summary())}</p>{self._shown().to_html(escape=True)}"
            f"<p><small>{html.escape(ETA_NOTE)}</small></p>"
        )


def _count(value: Any) -> str:
    return UNKNOWN if pd.isna(value) else f"{int(value):,}"


def _rate(value: Any) -> str:
    """A pace: whole labels per hour, a tenth below 10 (``0.4``), ``0`` with none."""
    if pd.isna(value):
        return UNKNOWN
    return f"{value:,.0f}" if value == 0 or value >= 9.95 else f"{value:.1f}"


def _span(value: Any) -> str:
    """A duration in the two largest units that matter: ``45 s``, ``12 min``, ``1 h 20 min``,
    ``3 d 4 h``."""
    if pd.isna(value):
        return UNKNOWN
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(round(seconds / 3600), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _seconds(times: pd.Series) -> np.ndarray:
    """Timestamps as seconds since the epoch (NaN for none)."""
    epoch = pd.Timestamp(0, tz="UTC")
    return (times - epoch).dt.total_seconds().to_numpy(dtype=float)


def _pace(times: np.ndarray, now: float, window: float) -> float:
    """Labels per hour over the last ``window`` seconds, from the first label in it (at least
    a minute) to now; 0 with no label in it."""
    recent = times[times > now - window]
    if not len(recent):
        return 0.0
    span = max(now - float(recent.min()), 60.0)
    return len(recent) / (span / 3600)


def _eta(left: float, pace: float) -> pd.Timedelta:
    if pd.isna(left) or pace <= 0:
        return pd.NaT
    return pd.Timedelta(seconds=left / pace * 3600)


def status(store: LabelStore, task: str, *, window: float = 3600.0) -> Status:
    """How far a team is on ``task``, per annotator and overall.

    Parameters
    ----------
    store
        The team's store (PostgreSQL, or a SQLite file).
    task
        The task.
    window
        Seconds of recent labeling the pace is measured over: the labels of the last
        ``window`` seconds, per hour from the first of them to now (0 with none).

    Returns
    -------
    Status
        ``.frame`` has one row per annotator and a last row ``"(all)"``: ``done`` (their
        current labels; for ``"(all)"``, labels that count toward the assignment), ``claimed``
        (items held and not labeled, claims not lapsed), ``left`` (for an annotator, items they
        could still take; for ``"(all)"``, labels still needed: ``?`` without an assignment),
        ``pace_per_h`` (labels per hour) and ``eta`` (for an annotator, the time to finish
        their claimed items at their pace; for ``"(all)"``, to finish what is left at the
        team's pace).

    Examples
    --------
    >>> nblabel.status(store, task="sentiment")                     # doctest: +SKIP
    """
    if not isinstance(store, LabelStore):
        raise NblabelError(f"store= must be a LabelStore, not {given(store)}")
    if isinstance(window, bool) or not isinstance(window, (int, float)) or not window > 0:
        raise NblabelError(f"window= must be a number of seconds above 0, not {given(window)}")
    now = float(store._clock())
    counts = store._assignment_counts(task, now) if isinstance(task, str) else None
    if counts is None:
        check_task(task, store.tasks())
    labels = store.annotations(task=task, source="annotator")
    times = _seconds(labels["created_at"])
    codes, labeling = pd.factorize(labels["annotator"].to_numpy(dtype=object))
    code_of = {name: code for code, name in enumerate(labeling)}
    names = set(labeling)
    if counts is not None:
        names |= set(counts.claimed_by) | set(counts.free_items_taken_by)
    rows = {}
    for annotator in sorted(names):
        theirs = codes == code_of.get(annotator, -2)  # (-1 is pandas' code for none)
        pace = _pace(times[theirs], now, window)
        claimed = left = math.nan
        if counts is not None:
            claimed = counts.claimed_by.get(annotator, 0)
            # the items with a free slot, but those they hold a slot of or labeled
            left = counts.free_items - counts.free_items_taken_by.get(annotator, 0)
        rows[annotator] = {
            "done": int(np.count_nonzero(theirs)),
            "claimed": 0 if math.isnan(claimed) else claimed,
            "left": left,
            "pace_per_h": pace,
            "eta": _eta(claimed, pace),
        }
    pace = _pace(times, now, window)
    if counts is not None:
        total_left = counts.slots - counts.done
        rows[ALL] = {
            "done": counts.done,
            "claimed": counts.claimed,
            "left": total_left,
            "pace_per_h": pace,
            "eta": _eta(total_left, pace) if total_left else pd.Timedelta(0),
        }
    else:
        rows[ALL] = {"done": len(labels), "claimed": 0, "left": math.nan, "pace_per_h": pace,
                     "eta": pd.NaT}  # fmt: skip
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=COLUMNS)
    frame.index.name = "annotator"
    frame["left"] = frame["left"].astype(float)
    frame["eta"] = pd.to_timedelta([row["eta"] for row in rows.values()])
    return Status(
        task, pd.Timestamp(now, unit="s", tz="UTC"), frame, counts is not None, store, window
    )
