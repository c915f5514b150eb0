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


def report_widget(report: AgreementReport) -> Any:
    """VBox of an HTML summary and a GridHeatMap of the pooled label confusion."""
    try:
        import bqplot as bq
        import ipywidgets as widgets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise NblabelError(
            "the report widget needs bqplot: pip install 'nblabel[plots]'"
        ) from exc
    table = report.class_confusion
    names = [str(label) for label in table.index]
    colour = table.to_numpy(dtype=float)
    if colour.size == 0:
        colour = np.zeros((1, 1))
        names = ["(no labels)"]
    row_scale, col_scale = bq.OrdinalScale(reverse=True), bq.OrdinalScale()
    heat = bq.GridHeatMap(
        color=colour,
        row=names,
        column=names,
        scales={"row": row_scale, "column": col_scale,
                "color": bq.ColorScale(scheme="Blues", min=0)},
        tooltip=bq.Tooltip(fields=["color"], labels=["coincidences"]),
    )
    figure = bq.Figure(
        marks=[heat],
        axes=[bq.Axis(scale=col_scale, side="bottom", label="label"),
              bq.Axis(scale=row_scale, side="left", label="other annotator's label")],
        title="Labels given to the same item",
        fig_margin={"top": 40, "bottom": 50, "left": 90, "right": 10},
        layout=widgets.Layout(width="420px", height="400px"),
    )
    box = widgets.VBox([widgets.HTML(_summary_html(report)), figure])
    box.add_class("nblabel")
    return box
