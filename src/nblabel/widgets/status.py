"""The live view of :func:`nblabel.status`: the summary, the table and a bqplot chart of each
annotator's done, claimed and left, read again from the store every few seconds."""

from __future__ import annotations

import html
import math
import threading
from typing import TYPE_CHECKING

import ipywidgets as ipw
import numpy as np

from .._optional import require
from .._status import ALL, ETA_NOTE, HEADINGS, status
from ._style import STATIC, box_style

if TYPE_CHECKING:
    from .._status import Status

__all__ = ["StatusView"]

PARTS = ["done", "claimed", "left"]
COLOURS = ["#2e7d32", "#f9a825", "#bdbdbd"]
STYLE = (STATIC / "status.css").read_text("utf-8")


class StatusView(ipw.VBox):
    """A task's progress, refreshed from the store every ``every`` seconds until closed."""

    def __init__(self, first: Status, *, every: float = 10.0) -> None:
        bq = require("bqplot", extra="plots", purpose="the live status chart")
        self._status, self.every = first, every
        self._stop = threading.Event()
        self._summary = ipw.HTML()
        self._table = ipw.HTML()
        x, self._y = bq.OrdinalScale(), bq.LinearScale(min=0)
        self._bars = bq.Bars(
            x=[], y=[], scales={"x": x, "y": self._y}, type="stacked", colors=COLOURS, labels=PARTS,
        )  # fmt: skip
        # the legend is a line of the page above the chart: bqplot draws its own inside the
        # plot, where it covers the tallest bars (every annotator's, when the work is even)
        self._legend = ipw.HTML(_legend_html())
        # counts are whole: ticks at whole numbers only (bqplot's own, at 0.2, 0.4… printed
        # as integers, read "0 0 0 1 1 1" for a few labels)
        self._y_axis = bq.Axis(scale=self._y, side="left", label="labels", tick_format="d")
        self._figure = bq.Figure(
            marks=[self._bars],
            axes=[bq.Axis(scale=x, label="annotator"), self._y_axis],
            title=f"Task {first.task!r}",
            layout=ipw.Layout(width="auto", height="320px"), fig_margin={
                "top": 50, "bottom": 50, "left": 60, "right": 20},
        )  # fmt: skip
        super().__init__([self._summary, self._legend, self._figure, self._table])
        self.add_class("nblabel")
        self.add_class("nblabel-status-view")
        self._show(first)
        self._thread = threading.Thread(target=self._run, name="nblabel-status", daemon=True)
        self._thread.start()

    @property
    def status(self) -> Status:
        """The status shown now."""
        return self._status

    def refresh(self) -> None:
        """Read the status again from the store and show it."""
        now = self._status
        self._show(status(now.store, now.task, window=now.window))

    def close(self) -> None:
        self._stop.set()
        super().close()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.refresh()
            except Exception as exc:  # a store that went away: say so, keep the last view
                self._summary.value = (
                    f"<p>{html.escape(self._status.summary())}</p><p><b>Not refreshed:</b> "
                    f"{html.escape(f'{type(exc).__name__}: {exc}')}</p>"
                )

    def _show(self, now: Status) -> None:
        self._status = now
        people = now.frame.drop(index=ALL)
        stacked = [people[part].fillna(0).astype(float) for part in PARTS]
        ticks = whole_ticks(float(sum(stacked).max()) if len(people) else 0.0)
        with self.hold_sync():
            self._summary.value = f"<p>{html.escape(now.summary())}</p>"
            self._table.value = _table_html(now)
            self._y.max = float(ticks[-1])
            self._y_axis.tick_values = np.array(ticks, dtype=float)
            self._bars.x = [str(name) for name in people.index]
            self._bars.y = [part.tolist() for part in stacked]

    def __repr__(self) -> str:
        return f"<StatusView task={self._status.task!r} every={self.every:g}s>"


def whole_ticks(top: float) -> list[int]:
    """Ticks at whole numbers from 0 to ``top`` or just past it, at most 11 of them: a step of
    1, 2 or 5 times a power of ten.

    >>> whole_ticks(3), whole_ticks(13), whole_ticks(0)
    ([0, 1, 2, 3], [0, 2, 4, 6, 8, 10, 12, 14], [0, 1])
    """
    top = max(1, math.ceil(top))
    power = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * power
            if top <= 10 * step:
                return list(range(0, -(-top // step) * step + 1, step))
        power *= 10


def _legend_html() -> str:
    """What each colour of the bars stands for, as a line of text with a swatch each."""
    parts = "".join(
        f'<span><i style="background: {colour}"></i>{part}</span>'
        for part, colour in zip(PARTS, COLOURS, strict=True)
    )
    return f'{box_style("status.css")}<div class="nblabel-status-legend">{parts}</div>'


def _table_html(now: Status) -> str:
    """The status as an HTML table with its style: one row per annotator, the whole team last
    (set apart), every cell's text escaped (names are data, never markup); it scrolls
    sideways where the page is narrower than it."""
    esc = html.escape
    head = "".join(f'<th scope="col">{esc(HEADINGS[c])}</th>' for c in now.frame.columns)
    rows = []
    for name, cells in now._cells():
        label = "all" if name == ALL else name
        tds = "".join(f"<td>{esc(cell)}</td>" for cell in cells)
        rows.append(f'<tr><th scope="row" title="{esc(label)}">{esc(label)}</th>{tds}</tr>')
    body, total = rows[:-1], rows[-1]  # the status always ends with the "(all)" row
    return (
        f'<style>{STYLE}</style><div class="nblabel-status-scroll">'
        f'<table class="nblabel-status-table"><caption>{esc(ETA_NOTE)}</caption>'
        f'<thead><tr><th scope="col">annotator</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody><tfoot>{total}</tfoot></table></div>"
    )
