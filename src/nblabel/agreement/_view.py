"""Optional view of an agreement report: ipywidgets + bqplot, imported only here."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from .._optional import require

if TYPE_CHECKING:
    from ._report import AgreementReport

__all__ = ["report_widget"]


def _summary_html(report: AgreementReport) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(str(name))}</td><td>{row.estimate:.3f}</td>"
        f"<td>{row.low:.3f} – {row.high:.3f}</td></tr>"
        for name, row in report.coefficients.iterrows()
    )
    task = "" if report.task is None else f" on task <b>{html.escape(str(report.task))}</b>"
    return (
        f"<p>{report.n_items} items, {report.n_annotators} annotators, {report.n_ratings} "
        f"ratings{task}.</p><p>{html.escape(report.reading)}</p>"
        f"<table><tr><th>coefficient</th><th>estimate</th><th>{report.ci:.0%} interval</th></tr>"
        f"{rows}</table>"
    )


def cell_texts(values: np.ndarray, diagonal: str | None, fmt: str) -> list[str]:
    """The text printed in each cell, row by row: the value, ``diagonal`` on the diagonal when
    given, and "n/a" where the value is missing."""
    texts = []
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if i == j and diagonal is not None:
                texts.append(diagonal)
            else:
                texts.append("n/a" if not np.isfinite(value) else format(value, fmt))
    return texts


def colour_range(values: np.ndarray) -> tuple[float, float]:
    """Colour scale limits from the off-diagonal cells: the diagonal (agreement with oneself,
    or on the same label) would otherwise take the whole scale and flatten the rest."""
    off = values[~np.eye(len(values), dtype=bool)] if values.size else values.ravel()
    off = off[np.isfinite(off)]
    if not off.size:
        return 0.0, 1.0
    low, high = float(off.min()), float(off.max())
    return (low, high) if high > low else (low, low + 1.0)


def _heat_map(bq: Any, widgets: Any, table: Any, title: str, axes: tuple[str, str],
              fmt: str, diagonal: str | None) -> Any:  # fmt: skip
    """A square GridHeatMap of ``table`` (rows and columns named alike), each cell's value
    printed in it, a colour legend on the right, the diagonal left out of the colour range."""
    names = [str(name) for name in table.index]
    values = table.to_numpy(dtype=float)
    if values.size == 0:
        values, names = np.full((1, 1), np.nan), ["(none)"]
    low, high = colour_range(values)
    colour = values.copy()
    # cells outside the scale (diagonal, missing) take its lowest colour: pale, not black
    colour[np.eye(len(colour), dtype=bool) | ~np.isfinite(colour)] = low
    row_scale, col_scale = bq.OrdinalScale(reverse=True), bq.OrdinalScale()
    colours = bq.ColorScale(colors=["#f7fbff", "#6baed6", "#2171b5"], min=low, max=high)
    heat = bq.GridHeatMap(
        color=colour, row=names, column=names,
        scales={"row": row_scale, "column": col_scale, "color": colours},
        stroke="white",  # no tooltip: the values are printed, and the diagonal's is not its own
    )  # fmt: skip
    n = len(names)
    texts = bq.Label(
        x=[names[j] for _ in range(n) for j in range(n)],
        y=[names[i] for i in range(n) for _ in range(n)],
        text=cell_texts(values, diagonal, fmt), align="middle", default_size=13,
        y_offset=5, colors=["#111111"], scales={"x": col_scale, "y": row_scale},
    )  # fmt: skip
    # the legend's ticks are the colour scale's values; the figure title says what they count
    legend = bq.ColorAxis(scale=colours, side="right", tick_format=fmt, num_ticks=4)
    longest = max(len(name) for name in names)
    left = min(40 + 8 * longest, 160)  # room for the longest tick label, then the title
    return bq.Figure(
        marks=[heat, texts],
        axes=[bq.Axis(scale=col_scale, side="bottom", label=axes[0], label_offset="36px"),
              bq.Axis(scale=row_scale, side="left", label=axes[1],
                      label_offset=f"{left - 22}px"),
              legend],
        title=title,
        fig_margin={"top": 40, "bottom": 55, "left": left, "right": 90},
        # 400 to 470 pixels wide: two side by side where the page has 820 or more, else
        # one under the other (report_widget's box wraps)
        layout=widgets.Layout(flex="1 1 400px", max_width="470px", min_width="0",
                              height="400px"),
    )  # fmt: skip


#: what the two maps show, under them: a reader asks why a cell holds a half, and why the
#: largest numbers (on the diagonal) are white
CAPTION = (
    '<p style="color: var(--jp-content-font-color2, #555); font-size: 0.9em">'
    "Left: the labels one item got from two annotators, as Krippendorff's coincidences"
    " (each pair of an item's labels weighs 1 / (its labels − 1), so counts may be halves)."
    " Right: the share of the items two annotators both labeled on which they agree."
    " Colours span the cells off the diagonal, where labels or annotators differ; the"
    " diagonal is printed but not coloured.</p>"
)


def report_widget(report: AgreementReport) -> Any:
    """VBox of an HTML summary and two heat maps: labels given to the same item (pooled
    coincidences) and agreement between each pair of annotators. Each cell prints its value;
    the colours span the off-diagonal cells (the legend shows their range)."""
    import ipywidgets as widgets

    from ..widgets._style import box_style

    bq = require("bqplot", extra="plots", purpose="the agreement report's widget")
    labels = _heat_map(bq, widgets, report.class_confusion, "Labels given to the same item",
                       ("label", "other annotator's label"), ".3g", None)  # fmt: skip
    annotators = _heat_map(bq, widgets, report.pairwise, "Agreement between annotators",
                           ("annotator", "other annotator"), ".2f", "—")  # fmt: skip
    # side by side, or one under the other where the page is narrower than both
    figure = widgets.HBox([labels, annotators], layout=widgets.Layout(flex_flow="row wrap"))
    summary = widgets.HTML(box_style("report.css") + _summary_html(report))
    box = widgets.VBox([summary, figure, widgets.HTML(CAPTION)])
    box.add_class("nblabel")
    box.add_class("nblabel-report")
    return box
