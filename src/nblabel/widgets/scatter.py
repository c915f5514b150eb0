"""``label_scatter``: label the points of an embedding in bulk. Lasso (or brush) a group of
points, press a digit: every selected point gets that label, one annotation per point.

Why a sibling of :class:`~nblabel.widgets.LabelWidget` and not a subclass: the base is a queue
shown one item at a time (a cursor, skip, back, prefetch of the next items), and none of that
applies when every point is on screen at once and a key labels thousands of them. What the
base guarantees is kept by standing on the same core: :class:`~nblabel._bulk.BulkLabels` writes
a bulk label as ONE store transaction (one event per point, a shared ``batch`` id) that is
acknowledged only once committed, undone as ONE step (this widget's batches only), and reads
through a :class:`~nblabel._session.LabelingSession`, so labels given for other content
(fingerprints) are set aside as everywhere else. The front end (``static/scatter.js``) uses
base.js's helpers (``h``, option buttons, key names) but not its item-by-item shell.

A label from the browser names the label value and the points the view showed as selected;
it is acknowledged (``acks``) once committed or refused, and shown as pending until then.
Pending labels are not kept across a page reload (unlike the item widgets'): the selection
they name lives in the page.

With ``thumbnail=``, each selected point on the preview's page shows a small picture of its
image (a path, bytes, a PIL image or an array, read by :mod:`nblabel._images`), made once per
point and kept, and sent as binary inside the ``preview`` trait (no base64).
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets as t
from ipywidgets import widget_serialization

from .._bulk import BulkLabels, sorted_unique
from .._checks import (
    check_choice,
    check_column,
    check_int,
    check_list,
    check_name,
    check_options,
    checked_keymap,
)
from .._codec import decode, encode
from .._errors import NblabelError, StoreError
from .._fingerprint import Fingerprinter, data_key, fingerprint_columns
from .._images import shown_image
from .._job import as_frame, default_annotator, default_task, open_store, store_label
from .._keymap import Action
from .._optional import require
from .._store import LabelStore
from ._base import Unreadable, front_end, message_handler, message_sender, unreadable
from .series import CLASS_COLORS

__all__ = ["ScatterWidget", "label_scatter"]

log = logging.getLogger("nblabel")

UNLABELED = "#c4c4c4"
# the lasso in the theme's muted text colour (bqplot sets it as a style: the variable follows
# the theme)
LASSO_COLOR = "var(--jp-ui-font-color2, #555555)"
PREVIEW_PAGE = 12  # previews shown per page
THUMB_SIDE = 112  # the long side of a thumbnail in pixels: shown at 56 CSS pixels, sharp at 2x
THUMBS_KEPT = 4096  # thumbnails kept made (a few KB each)
ACTIONS_UNUSED = {"confirm", "skip", "back"}  # no queue here: only undo is an action


class ScatterWidget(anywidget.AnyWidget):
    """Points of an embedding, labeled a selection at a time; build with
    :func:`nblabel.label_scatter`."""

    _esm, _css = front_end("scatter")

    figure = t.Instance(object, allow_none=True).tag(sync=True, **widget_serialization)
    """The bqplot ``Figure``: the points, coloured by their current label, and the selector."""
    options = t.List().tag(sync=True)
    """``[{"label", "key", "value": JSON text, "color"}]``, in order."""
    keymap = t.Dict().tag(sync=True)
    """Key → option position or action name (``undo``)."""
    key_help = t.List().tag(sync=True)
    """Every key and what it does, ``[[key, does], ...]``."""
    picked = t.Int(0).tag(sync=True)
    """How many points are selected."""
    preview = t.List().tag(sync=True)
    """The selected points' ``preview=`` column, a page of them: ``[{"item", "text",
    "label"}]``; with ``thumbnail=`` also ``"image": {"data": bytes, "mime", "width",
    "height"}`` or ``"image_error"``, the reason it cannot be shown."""
    preview_page = t.Int(0).tag(sync=True)
    """Which page of the selection the preview shows."""
    preview_pages = t.Int(0).tag(sync=True)
    """How many pages the selection's preview has."""
    counts = t.Dict().tag(sync=True)
    """How many points hold each label, and ``"unlabeled"``."""
    saved = t.Int(0).tag(sync=True)
    """Bulk labels committed through this widget."""
    acks = t.Dict().tag(sync=True)
    """Per browser view, the sequence number of its last intent the kernel has handled."""
    error = t.Unicode("").tag(sync=True)
    """The last error, shown under the widget; empty when all is well."""
    notice = t.Unicode("").tag(sync=True)
    """What the widget found about labels stored before (given for other content)."""
    info = t.Dict().tag(sync=True)
    """``{"store", "task", "annotator"}`` for the status line."""
    gl = t.Dict().tag(sync=True)
    """With points drawn by the view's own canvas (which also draws the lasso), what it draws
    and selects with: ``{"x", "y": float64 bytes, "extent": [x0, x1, y0, y1] plotted,
    "selector", "colors": [unlabeled, one per option]}``; empty with SVG points."""
    codes = t.Bytes(b"").tag(sync=True)
    """With canvas points, each point's label code (int16 bytes, 0 unlabeled; option ``i`` is
    ``i + 1``): the view colours the points by it."""
    chosen = t.Bytes(b"").tag(sync=True)
    """With canvas points, the positions of the selected points (int32 bytes), drawn on top."""

    def __init__(self, frame: pd.DataFrame, bulk: BulkLabels, *, x: Hashable, y: Hashable,
                 preview: Hashable | None, keymap: Any, selector: str, height: int,
                 store_text: str, thumbnail: Hashable | None = None,
                 gl: bool | None = None) -> None:  # fmt: skip
        super().__init__()
        bq = require("bqplot", extra="plots", purpose="label_scatter")
        canvas = drawn_by_canvas(gl, len(frame))
        self.data, self.bulk, self._keys = frame, bulk, keymap
        self._preview_column = preview
        self._thumb_column = thumbnail
        self._thumbs: OrderedDict[int, dict] = OrderedDict()  # position -> its preview image
        choices = bulk.choices
        colors = [UNLABELED] + [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(len(choices))]
        xy = [frame[c].to_numpy(dtype=float) for c in (x, y)]
        if canvas:  # the view maps points and lasso through the plot area: fixed scales
            xs, ys = (bq.LinearScale(min=lo, max=hi, allow_padding=False)
                      for lo, hi in (plotted_range(v) for v in xy))  # fmt: skip
            self.points: Any = CanvasPoints(x=xy[0], y=xy[1], color=bulk.codes.copy(),
                                            scales={"x": xs, "y": ys})  # fmt: skip
            marks = []  # bqplot draws the axes only
        else:
            xs, ys = bq.LinearScale(), bq.LinearScale()
            self._colors = bq.OrdinalColorScale(domain=list(range(len(choices) + 1)),
                                                colors=colors)  # fmt: skip
            self.points = bq.Scatter(
                x=xy[0], y=xy[1],
                color=bulk.codes.copy(), scales={"x": xs, "y": ys, "color": self._colors},
                default_size=24, stroke_width=0,
                selected_style={"stroke": "black", "stroke-width": 1},
                unselected_style={"opacity": 0.35},
            )  # fmt: skip
            marks = [self.points]
        """The points: a bqplot ``Scatter``, or with canvas points a :class:`CanvasPoints`;
        either way ``selected`` holds the positions of the selected points, ``color`` codes."""
        if canvas:  # the view draws its own lasso or brush over its canvas
            self.selector = None
        elif selector == "lasso":
            self.selector = bq.interacts.LassoSelector(marks=[self.points], color=LASSO_COLOR)
        else:
            self.selector = bq.interacts.BrushSelector(
                x_scale=xs, y_scale=ys, marks=[self.points], color=LASSO_COLOR
            )
        self.points.observe(self._on_selected, names="selected")
        fig = bq.Figure(
            marks=marks,
            axes=[bq.Axis(scale=xs, label=str(x)), bq.Axis(scale=ys, label=str(y), side="left")],
            interaction=self.selector, animation_duration=0, padding_x=0.04, padding_y=0.04,
            fig_margin={"top": 12, "bottom": 40, "left": 50, "right": 12},
            display_toolbar=False,  # its pan-zoom would take the selector's place
        )  # fmt: skip
        fig.layout.width, fig.layout.height = "100%", f"{height}px"
        self._handlers = {"label": self._on_label, "action": self._on_action,
                          "page": self._on_page, "select": self._on_select}  # fmt: skip
        self.on_msg(self._handle_message)
        self.add_class("nblabel")
        self.add_class("nblabel-scatter")
        with self.hold_sync():
            self.figure = fig
            if self.selector is None:
                self.gl = {"x": xy[0].tobytes(), "y": xy[1].tobytes(), "selector": selector,
                           "extent": [xs.min, xs.max, ys.min, ys.max],
                           "colors": colors}  # fmt: skip
                self.codes = bulk.codes.astype("<i2").tobytes()
            self.options = [
                {"label": str(c), "key": keymap.key_for(i), "value": encode(c),
                 "color": colors[i + 1]}
                for i, c in enumerate(choices)
            ]  # fmt: skip
            self.keymap = {k: v for k, v in keymap.to_json().items() if v not in ACTIONS_UNUSED}
            undo = keymap.key_for(Action.UNDO)
            self.key_help = [
                *([k, f"label the selected points {c}"] for i, c in enumerate(choices)
                  if (k := keymap.key_for(i)) is not None),
                *([[undo, "take back the last bulk label"]] if undo else []),
            ]  # fmt: skip
            self.info = {"store": store_text, "task": bulk.session.task,
                         "annotator": bulk.session.annotator}  # fmt: skip
            self.notice = bulk.session.notice or ""
            self.counts = bulk.counts()

    def __repr__(self) -> str:
        return (f"<ScatterWidget task={self.bulk.session.task!r} "
                f"annotator={self.bulk.session.annotator!r} {len(self.data)} points>")  # fmt: skip

    # -- public state and twins ---------------------------------------------------------------
    @property
    def selected(self) -> list[Hashable]:
        """The ids of the selected points (what a digit labels)."""
        return self.data.index[self._selected_positions()].tolist()

    @property
    def labels(self) -> pd.DataFrame:
        """This annotator's labels, indexed like the data (``df.join(w.labels)``)."""
        return self.bulk.session.labels()

    @property
    def store(self) -> LabelStore:
        return self.bulk.store

    def select(self, items: Sequence[Hashable]) -> None:
        """Select the points with these ids, as a lasso around them does."""
        ids = check_list(items, "items", "['p1', 'p2']")
        try:
            positions = self.bulk.positions_of(ids)
        except TypeError:  # an id that is a list or a dict
            raise NblabelError(
                "items= holds a list or a dict: give the ids of the points, one value each"
            ) from None
        self.points.selected = np.unique(positions) if len(positions) else None

    def label_selection(self, label: Any) -> int:
        """Give ``label`` to every selected point, as one batch (one store transaction, one
        undo step). Returns how many points were labeled."""
        return self._label(self._selected_positions(), label)

    def undo(self) -> int:
        """Take back this widget's last bulk label as one step. Returns how many points it
        had; 0 when there is nothing to undo."""
        batch = self.bulk.undo()
        if batch is None:
            self.error = "Nothing labeled here to undo"
            return 0
        self._repaint()
        return len(batch.positions)

    # -- inside -------------------------------------------------------------------------------
    def _selected_positions(self) -> np.ndarray:
        chosen = self.points.selected
        if chosen is None:
            return np.empty(0, dtype=np.int64)
        return sorted_unique(chosen)

    def _label(self, positions: np.ndarray, label: Any) -> int:
        self.bulk.label(positions, label)
        with self.hold_sync():
            self.saved += 1
            self.error = ""
            self._repaint()
        return len(positions)

    def _repaint(self) -> None:
        with self.hold_sync():
            self.points.color = self.bulk.codes.copy()
            if self.selector is None:
                self.codes = self.bulk.codes.astype("<i2").tobytes()
            self.counts = self.bulk.counts()
            self._show_preview()

    def _on_selected(self, change: dict) -> None:
        if self.selector is None:
            self.chosen = self._selected_positions().astype("<i4").tobytes()
        self.preview_page = 0
        self._show_preview()

    def _show_preview(self) -> None:
        positions = self._selected_positions()
        self.picked = len(positions)
        self.preview_pages = -(-len(positions) // PREVIEW_PAGE)
        page = positions[self.preview_page * PREVIEW_PAGE :][:PREVIEW_PAGE]
        column = self._preview_column
        choices = self.bulk.choices
        self.preview = [
            {
                "item": encode(self.data.index[p]),
                "text": "" if column is None else str(self.data[column].iloc[p]),
                "label": "" if self.bulk.codes[p] == 0 else str(choices[self.bulk.codes[p] - 1]),
                **({} if self._thumb_column is None else self._thumbnail(int(p))),
            }
            for p in page
        ]

    def _thumbnail(self, position: int) -> dict:
        """The preview image of the point at ``position``, made the first time it is shown;
        a picture that cannot be made is said on that point alone."""
        made = self._thumbs.get(position)
        if made is not None:
            self._thumbs.move_to_end(position)
            return made
        source = self.data[self._thumb_column].iloc[position]
        try:
            shown = shown_image(source, THUMB_SIDE)
        except NblabelError as exc:
            made = {"image_error": str(exc)}
        else:
            made = {"image": {"data": shown.data, "mime": shown.mime,
                              "width": shown.display_width,
                              "height": shown.display_height}}  # fmt: skip
        self._thumbs[position] = made
        if len(self._thumbs) > THUMBS_KEPT:
            self._thumbs.popitem(last=False)
        return made

    # -- browser intents ----------------------------------------------------------------------
    def _handle_message(self, _widget: Any, content: dict, buffers: list) -> None:
        handler = message_handler(self._handlers, content)
        if handler is None:
            return
        try:
            client, seq = message_sender(content)
        except Unreadable as exc:
            unreadable(self, exc, content)
            return
        if client is not None and seq is not None and seq <= self.acks.get(client, -1):
            return  # handled before
        try:
            handler(content, buffers)
        except StoreError as exc:
            self.error = f"Not saved: {exc}. Press the key again when it is fixed."
            return  # not acknowledged: the view shows it as not saved
        except Exception as exc:
            self.error = (
                str(exc) if isinstance(exc, NblabelError) else f"{type(exc).__name__}: {exc}"
            )
        if client is not None and seq is not None:
            self.acks = {**self.acks, client: seq}

    def _on_label(self, content: dict, buffers: list) -> None:
        value = decode(content["value"])
        sent = content.get("items")
        positions = (
            self._selected_positions() if sent is None
            else self.bulk.positions_of([decode(i) for i in sent])
        )  # fmt: skip
        self._label(positions, value)

    def _on_action(self, content: dict, buffers: list) -> None:
        if content.get("name") == "undo":
            self.undo()

    def _on_select(self, content: dict, buffers: list) -> None:
        """The view's own lasso (canvas points): the positions inside it, one int32 buffer."""
        if len(buffers) != 1 or len(buffers[0]) % 4:
            raise NblabelError(
                "a selection message carries one buffer of int32 point positions; it had "
                f"{len(buffers)} buffer(s) of {[len(b) for b in buffers]} bytes"
            )
        positions = np.frombuffer(buffers[0], dtype="<i4")
        wrong = positions[(positions < 0) | (positions >= len(self.data))]
        if len(wrong):
            raise NblabelError(
                f"the selection names point positions {wrong[:5].tolist()} outside 0 to "
                f"{len(self.data) - 1}: the view's points are not this widget's; show it again"
            )
        with self.hold_sync():
            self.error = ""
            self.points.selected = np.unique(positions) if len(positions) else None

    def _on_page(self, content: dict, buffers: list) -> None:
        pages = max((self.picked - 1) // PREVIEW_PAGE, 0)
        self.preview_page = int(np.clip(int(content.get("page", 0)), 0, pages))
        self._show_preview()


GL_FROM = 10_000
"""With ``gl=None``, from this many points on the view draws the points on its own canvas:
bqplot's SVG keeps one element per point, which slows the page past that."""


class CanvasPoints(t.HasTraits):
    """The points of a scatter whose view draws them on its own canvas: what a bqplot
    ``Scatter`` would hold (``selected`` positions, ``color`` codes), kept in Python only; the
    widget sends them to the view as bytes (``gl``, ``codes``, ``chosen``)."""

    x = t.Any()
    y = t.Any()
    color = t.Any()
    selected = t.Any(None, allow_none=True)
    scales = t.Dict()


def plotted_range(values: np.ndarray) -> tuple[float, float]:
    """The axis range that shows ``values`` with a margin of 4% each side (of 1 when all are
    equal)."""
    if not len(values):
        return 0.0, 1.0
    lo, hi = float(values.min()), float(values.max())
    margin = 0.04 * (hi - lo) if hi > lo else 1.0
    return lo - margin, hi + margin


def drawn_by_canvas(gl: bool | None, n_points: int) -> bool:
    """Whether the view draws ``n_points`` points on its own canvas (``True``) or bqplot
    draws them as SVG: ``gl=True`` always, ``False`` never, ``None`` from :data:`GL_FROM`
    points."""
    if gl is not None and not isinstance(gl, bool):
        raise NblabelError(f"gl= is True, False or None (canvas from {GL_FROM:,} points), "
                           f"not {gl!r}")  # fmt: skip
    return gl is True or (gl is None and n_points >= GL_FROM)


def label_scatter(
    data: Any,
    *,
    x: Hashable,
    y: Hashable,
    options: Sequence[Any],
    preview: Hashable | None = None,
    thumbnail: Hashable | None = None,
    selector: str = "lasso",
    fingerprint: Hashable | Sequence[Hashable] | bool | None = None,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    height: int = 420,
    gl: bool | None = None,
) -> ScatterWidget:
    """Label the points of a 2-D embedding in bulk: select a group, press a digit.

    Parameters
    ----------
    data
        A DataFrame with one row per point and a unique index (never modified).
    x, y
        The columns of the point coordinates (e.g. ``"umap_x"``, ``"umap_y"``).
    options
        The labels, in order (keys ``1``–``9``).
    preview
        A column shown for the selected points beside the plot (e.g. their ``"text"``),
        a page at a time.
    thumbnail
        A column of images shown as thumbnails beside the selected points (with their
        ``preview`` text, if any): file paths, bytes, PIL images or numpy arrays (H×W,
        H×W×3, H×W×4), as for :func:`nblabel.annotate_images`. Needs the ``images`` extra.
    selector
        ``"lasso"`` (default) or ``"brush"`` (a rectangle).
    gl
        Draw the points on the view's own canvas (fast for 100,000 points; bqplot keeps the
        axes): ``None`` (default) does from 10,000 points, ``True`` always, ``False`` never
        (bqplot's SVG points, one page element each). No optional package beyond ``plots``.
    fingerprint, store, annotator, task, keys
        As for :func:`nblabel.classify`; the fingerprint defaults to the ``preview`` column,
        else every column. The default task is ``scatter:[options]@`` a short hash of the
        identifying columns' names.

    Returns
    -------
    ScatterWidget
        Every selected point gets the label of the key pressed: one annotation per point,
        written in one transaction with a shared ``batch`` id; ``Backspace`` takes the last bulk
        label back as one step. Points are coloured by their current label. From Python:
        ``w.select(items)``, ``w.selected``, ``w.label_selection(label)``, ``w.undo()``,
        ``w.labels``.

    Examples
    --------
    >>> w = nblabel.label_scatter(df, x="umap_x", y="umap_y", options=["spam", "ham"],
    ...                           preview="text")   # doctest: +SKIP
    """
    frame, _ = as_frame(data)
    named = {"x": x, "y": y, "preview": preview, "thumbnail": thumbnail}
    for argument, column in named.items():
        if column is None and argument in ("preview", "thumbnail"):
            continue
        check_column(column, argument)
        if column not in frame.columns:
            raise NblabelError(
                f"{argument}={column!r} is not a column of the data; its columns are "
                f"{list(frame.columns)!r}"
            )
    for argument, column in {"x": x, "y": y}.items():
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise NblabelError(f"{argument}={column!r} holds {values.dtype} values, not numbers")
        if not np.isfinite(values.to_numpy(dtype=float, na_value=np.nan)).all():
            raise NblabelError(
                f"{argument}={column!r} holds missing or infinite values: drop those rows first"
            )
    check_choice(selector, "selector", ("lasso", "brush"))
    choices = check_options(options)
    height = check_int(height, "height", minimum=120)
    if annotator is not None:
        check_name(annotator, "annotator")
    if task is not None:
        check_name(task, "task", "topics")
    keymap = checked_keymap(choices, keys)
    drawn_by_canvas(gl, len(frame))  # gl= checked before any store
    require("bqplot", extra="plots", purpose="label_scatter")
    if thumbnail is not None:
        require("PIL.Image", extra="images", purpose="thumbnail= of label_scatter",
                package="pillow")  # fmt: skip
    locs = fingerprint_columns(frame, fingerprint, preview)
    identifying = locs if locs is not None else fingerprint_columns(frame, None, preview)
    if task is None:
        task = default_task("scatter", choices, data_key(frame, identifying))
    store = open_store(store)
    bulk = BulkLabels(
        frame.index, store=store, task=task,
        annotator=default_annotator() if annotator is None else annotator, choices=choices,
        fingerprint=None if locs is None else Fingerprinter(frame, locs),
    )  # fmt: skip
    return ScatterWidget(
        frame, bulk, x=x, y=y, preview=preview, keymap=keymap, selector=selector,
        height=height, store_text=store_label(store), thumbnail=thumbnail, gl=gl,
    )  # fmt: skip
