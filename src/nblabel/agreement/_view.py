"""Optional view of an agreement report: ipywidgets + bqplot, imported only here."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import NblabelError

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


def _heat_map(bq: Any, widgets: Any, table: Any, title: str, axes: tuple[str, str],
              tip: str, low: float, high: float | None) -> Any:
    """A square GridHeatMap of ``table`` (rows and columns named alike)."""
    names = [str(name) for name in table.index]
    colour = table.to_numpy(dtype=float)
    if colour.size == 0:
        colour, names = np.zeros((1, 1)), ["(none)"]
    row_scale, col_scale = bq.OrdinalScale(reverse=True), bq.OrdinalScale()
    colours = bq.ColorScale(scheme="Blues", min=low, **({} if high is None else {"max": high}))
    heat = bq.GridHeatMap(
        color=colour, row=names, column=names,
        scales={"row": row_scale, "column": col_scale, "color": colours},
        tooltip=bq.Tooltip(fields=["color"], labels=[tip]),
    )  # fmt: skip
    return bq.Figure(
        marks=[heat],
        axes=[bq.Axis(scale=col_scale, side="bottom", label=axes[0]),
              bq.Axis(scale=row_scale, side="left", label=axes[1])],
        title=title,
        fig_margin={"top": 40, "bottom": 50, "left": 90, "right": 10},
        layout=widgets.Layout(width="400px", height="380px"),
    )  # fmt: skip


def report_widget(report: AgreementReport) -> Any:
    """VBox of an HTML summary and two heat maps: labels given to the same item (pooled
    coincidences) and agreement between each pair of annotators."""
    try:
        import bqplot as bq
        import ipywidgets as widgets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise NblabelError(
            "the report widget needs bqplot: pip install 'nblabel[plots]'"
        ) from exc
    labels = _heat_map(bq, widgets, report.class_confusion, "Labels given to the same item",
                       ("label", "other annotator's label"), "coincidences", 0.0, None)
    annotators = _heat_map(bq, widgets, report.pairwise, "Agreement between annotators",
                           ("annotator", "annotator"), "share agreeing", 0.0, 1.0)
    figure = widgets.HBox([labels, annotators])
    box = widgets.VBox([widgets.HTML(_summary_html(report)), figure])
    box.add_class("nblabel")
    return box
