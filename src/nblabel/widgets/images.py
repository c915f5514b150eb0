"""Boxes, polygons and points on images: ``annotate_images``, a
:class:`~nblabel.widgets.LabelWidget` whose label is the list of an image's shapes, in the
original image's pixels; its front end is ``static/images.js``.

The path of one box: the pointer drags in the browser, where ``images.js`` draws the rubber
band on its own top canvas in the same frame (a Python mouse handler would trail the pointer);
on mouse-up the finished shape joins the image's shapes, in original pixels, and the browser
sends them as ``{kind: "draft", item, shapes}`` so that :attr:`ImagesWidget.shapes` knows them.
``Enter`` sends the label, ``{kind: "label", value: JSON list of shape dicts}``, through the
shared base: checked by :meth:`ImagesWidget._validate`, committed by the session, acknowledged
only once on disk, undoable per widget. In Python, ``add_box`` and friends edit the same shapes
(pushed as the ``draft`` trait) and :meth:`ImagesWidget.submit` saves them. Moving and resizing
by handles (``static/edit.js``) are live in the browser too, and only the finished edit is
sent; both sides keep the image's earlier shape lists, so ``Ctrl+Z`` and
:meth:`ImagesWidget.undo_shape` take back the same edit. With ``prelabels=`` or ``assist=``,
the saved label records what became of each suggested shape (``_edits.shape_outcomes``).

The picture and the committed shapes are drawn by the kernel on an ipycanvas ``MultiCanvas``
(:attr:`ImagesWidget.canvas`, ``_canvas.py``), once per committed change and again for each
new view; the browser shows its own drawing of the same only while that one lags behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import pandas as pd
import traitlets as t

from .._checks import check_callable, check_column, check_int, check_options
from .._codec import decode, encode
from .._edits import resize_shape, shape_outcomes
from .._errors import NblabelError
from .._images import MAX_SIDE, ImageContent
from .._job import Columns, Order, as_frame
from .._shapes import (
    Box,
    Mask,
    Point,
    Polygon,
    Shape,
    as_suggestions,
    check_inside,
    shapes_from,
    to_dicts,
)
from .._store import LabelStore
from ._base import _STATIC, PREFETCH, _Intent
from ._build import build
from ._canvas import CanvasWidget

__all__ = ["ImagesWidget", "annotate_images"]

log = logging.getLogger("nblabel")

TOOLS = ("box", "polygon", "point", "mask", "assist")
TOOL_KEYS = {"box": "b", "polygon": "p", "point": "k", "mask": "m", "assist": "a"}  # images.js too
AHEAD = PREFETCH + 2  # images prepared in the background beyond the one on screen
_UNDO_DEPTH = 100  # shape edits kept per image for undo_shape (edit.js keeps as many)


class ImagesWidget(CanvasWidget):
    """Draw boxes, polygons and points on each image; ``Enter`` saves the image's shapes."""

    _view = "images"

    tools = t.List().tag(sync=True)
    """The drawing tools offered, in order: ``box``, ``polygon``, ``point``."""
    active_class = t.Int(0).tag(sync=True)
    """The class new shapes get: its position in ``options`` (keys ``1``–``9`` pick it)."""
    draft = t.Dict().tag(sync=True)
    """The shapes of the item on screen not yet saved: ``{"item": JSON id, "shapes": [...],
    "rev": n, "seq": n, "edit": bool, "undo": bool}`` (``seq``: the browser's edits of them
    so far, which a new view takes up); ``edit`` marks a change made from Python
    (``add_box``...), which the browser then shows; ``undo`` one that takes the last edit
    back (the browser drops it from its own undo list)."""

    def __init__(self, data: pd.DataFrame, **kwargs: Any) -> None:
        self._draft: list[dict] = []
        self._draft_item: str | None = None
        self._history: list[list[dict]] = []  # the image's earlier shape lists, newest last
        # the shapes suggested on the image on screen: (shape, model, version) each
        self._suggested: list[tuple[Shape, str, str | None]] = []
        self._prelabels_model: tuple[str, str | None] = ("prelabels", None)
        self._rev = 0
        # the pictures are made once _use_images gives their maker: not first as text
        kwargs["content"] = lambda position: {"type": "missing"}
        super().__init__(data, **kwargs)
        self._handlers["draft"] = self._on_draft_message
        self._handlers["assist"] = self._on_assist_message
        self._assistant: Callable[[Any, dict], Any] | None = None

    def close(self) -> None:
        """Close the widget and stop preparing images."""
        close = getattr(self._content, "close", None)
        if close is not None:
            close()
        super().close()

    def _use_images(self, content: ImageContent, tools: Sequence[str]) -> None:
        self._content = content
        self._payloads.clear()
        self._start_canvas()
        tool_keys = [(key, f"{tool} tool") for tool, key in TOOL_KEYS.items() if tool in tools]
        rows = [row for row in self.key_help if row[0] not in ("Enter", "Escape")]
        picks = [[key, f"class {does.removeprefix('pick ')} (next shape, or the selected one)"]
                 for key, does in rows if does.startswith("pick ")]  # fmt: skip
        rest = [row for row in rows if not row[1].startswith("pick ")]
        brush_keys = [
            ["[", "a smaller mask brush"],
            ["]", "a larger mask brush"],
            ["Shift", "held while painting: the mask brush erases"],
        ]
        with self.hold_sync():
            self.key_help = [
                *picks,
                *([k, d] for k, d in tool_keys),
                ["Enter", "save the image's shapes (or close the polygon being drawn)"],
                ["Delete", "remove the selected shape"],
                ["Ctrl+Z", "undo the last shape edit of this image (Cmd+Z on a Mac)"],
                ["Escape", "drop the polygon being drawn, or the selection"],
                ["Space", "held: a drag pans the zoomed picture (the wheel zooms)"],
                ["0", "show the whole picture again"],
                *(brush_keys if "mask" in tools else []),
                *rest,
            ]
            self.tools = list(tools)
            self._draft_item = None
            self._push_state()

    # -- the image's shapes ---------------------------------------------------------------------
    @property
    def shapes(self) -> list[Shape]:
        """The shapes of the image on screen, drawn or added but not yet saved (original pixels)."""
        return shapes_from(self._draft)

    def _size(self) -> tuple[int, int]:
        size = getattr(self._content, "sizes", {}).get(self.sample.get("item"))
        if size is None:
            raise NblabelError(
                f"the image of item {self.current!r} cannot be shown, so it takes no shapes: "
                "skip it (w.skip())"
            )
        return size

    def _add(self, shape: Shape) -> None:
        if self.current is None:
            raise NblabelError("every image is labeled: there is no image to draw on")
        if shape.label not in self._choices:
            raise NblabelError(f"{shape.label!r} is not one of the classes {self._choices!r}")
        check_inside(shape, self._size(), index=len(self._draft))
        self._set_draft([*self._draft, shape.to_dict()])

    def _set_draft(self, shapes: list[dict], edit: bool = True, undo: bool = False) -> None:
        # edit: made from Python (the browser shows it); else the shapes a new image starts with
        if not edit:
            self._history = []
            self._new_picture()
        elif not undo:
            self._history = [*self._history[-(_UNDO_DEPTH - 1) :], self._draft]
        self._draft = shapes
        self._rev += 1
        self.draft = {"item": self._draft_item, "shapes": shapes, "rev": self._rev,
                      "seq": self._seq, "edit": edit, "undo": undo}  # fmt: skip
        self._draw()

    def resize_shape(self, index: int, handle: str | int, x: float, y: float) -> None:
        """Drag a handle of shape ``index`` to ``(x, y)`` (original pixels), as the pointer
        does: a box's handle is a compass point (``"nw"``, ``"n"``, ``"ne"``, ``"e"``,
        ``"se"``, ``"s"``, ``"sw"``, ``"w"``: that corner or edge moves, the opposite one
        stays), a polygon's the number of the vertex to move. The shape stays inside the
        image and is no longer a suggestion."""
        index = self._shape_index(index)
        edited = resize_shape(self.shapes[index], handle, x, y, self._size())
        self._set_draft([edited.to_dict() if i == index else s for i, s in enumerate(self._draft)])

    def relabel_shape(self, index: int, label: Any) -> None:
        """Give shape ``index`` the class ``label``, as a digit does to the selected shape; it is
        no longer a suggestion."""
        index = self._shape_index(index)
        if label not in self._choices:
            raise NblabelError(f"{label!r} is not one of the classes {self._choices!r}")
        shape = {**self._draft[index], "label": label}
        shape.pop("prelabel", None)
        self._set_draft([shape if i == index else s for i, s in enumerate(self._draft)])

    def undo_shape(self) -> None:
        """Take back the last edit of the image's shapes (added, moved, resized, class changed,
        removed), as ``Ctrl+Z`` does in the page; the image's saved label is undone with
        :meth:`undo` (``⌫``)."""
        if not self._history:
            raise NblabelError(
                "no shape edit to undo on this image: w.undo() undoes the last image saved"
            )
        *self._history, last = self._history
        self._set_draft(last, undo=True)

    def _shape_index(self, index: int) -> int:
        index = check_int(index, "index", minimum=0)
        if index >= len(self._draft):
            raise NblabelError(
                f"index={index}: the image has {len(self._draft)} shape(s), numbered from 0"
            )
        return index

    def add_box(self, x: float, y: float, width: float, height: float, label: Any) -> None:
        """Add a box (top-left corner, size, in original pixels) of class ``label``."""
        self._add(Box(x, y, width, height, label))

    def add_polygon(self, points: Sequence[Sequence[float]], label: Any) -> None:
        """Add a polygon through ``points`` (``[(x, y), ...]``, original pixels)."""
        self._add(Polygon(tuple(points), label))

    def add_point(self, x: float, y: float, label: Any) -> None:
        """Add a point at ``(x, y)`` (original pixels)."""
        self._add(Point(x, y, label))

    def add_mask(self, mask: Any, label: Any) -> None:
        """Add a mask: a 2-D boolean array the size of the original image."""
        self._add(Mask.from_array(mask, label))

    def assist(
        self,
        *,
        box: Sequence[float] | None = None,
        point: Sequence[float] | None = None,
        label: Any = None,
    ) -> list[Shape]:
        """Ask the assistant (``assist=``) for shapes at a rough ``box`` ``(x, y, width,
        height)`` or a ``point`` ``(x, y)``, in original pixels; its answer joins the image's
        shapes as suggestions of class ``label`` (default the class picked with a digit).
        Returns the suggestions added."""
        if self._assistant is None:
            raise NblabelError("this widget has no assistant: pass assist= to annotate_images")
        if (box is None) == (point is None):
            raise NblabelError("give the assistant a box=(x, y, width, height) or a point=(x, y)")
        label = self._choices[self.active_class] if label is None else label
        if label not in self._choices:
            raise NblabelError(f"{label!r} is not one of the classes {self._choices!r}")
        size = self._size()
        if box is not None:
            rough = Box(*box, label)
            check_inside(rough, size)
            prompt = {"box": [rough.x, rough.y, rough.width, rough.height]}
        else:
            rough = Point(*point, label)
            check_inside(rough, size)
            prompt = {"point": [rough.x, rough.y]}
        position = self.session.position
        answer = self._assistant(self._content.pixels(position), prompt)
        shapes = as_suggestions(answer, label)
        for i, shape in enumerate(shapes):
            check_inside(shape, size, index=len(self._draft) + i)
        self._suggested += [(shape, *_model_of(self._assistant, "assist")) for shape in shapes]
        self._set_draft([*self._draft, *to_dicts(shapes)])
        return shapes

    def _on_assist_message(self, content: dict, intent: _Intent) -> None:
        """A rough box or a click with the assist tool: ask the assistant."""
        if content.get("item") != self._draft_item or self._draft_item is None:
            return  # an image no longer on screen here
        label = decode(content["label"], strict=True) if "label" in content else None
        self.assist(box=content.get("box"), point=content.get("point"), label=label)

    def remove_shape(self, index: int) -> None:
        """Remove the shape at ``index`` of :attr:`shapes`."""
        index = self._shape_index(index)
        self._set_draft(self._draft[:index] + self._draft[index + 1 :])

    def submit(self, value: Any = None, rationale: str | None = None) -> None:
        """Save the image's shapes (``value``, a list of shape dicts; default :attr:`shapes`)
        and show the next image. An empty list says the image holds nothing to mark."""
        shapes = self._draft if value is None else value
        self._save(self._validate(shapes), _Intent(rationale=rationale))

    # -- the base's hooks -------------------------------------------------------------------------
    def _validate(self, value: Any) -> Any:
        return to_dicts(shapes_from(value, classes=self._choices))

    def _record(self, value: Any, item: Hashable) -> tuple[Any, dict | None]:
        # with pre-labels or an assistant, what became of each suggested shape, for
        # nblabel.suggestion_report
        if encode(item) == self._draft_item:
            suggested = self._suggested
        else:  # a label resent for an image no longer on screen: its pre-labels
            try:
                prelabels = self._content.prelabels(self.session.items.get_loc(item))
            except NblabelError:  # the model fails now: the label is saved all the same
                prelabels = []
            suggested = [(s, *self._prelabels_model) for s in shapes_from(prelabels)]
        if not suggested:
            return value, None
        self._keep_suggestions(item, suggested)
        outcomes = shape_outcomes([shape for shape, _, _ in suggested], shapes_from(value))
        for record, (_, model, version) in zip(outcomes, suggested, strict=True):
            record.update(model=model, version=version)
        return value, {"shape_suggestions": outcomes}

    def _keep_suggestions(self, item: Hashable, suggested: list) -> None:
        """Each model's suggested shapes of ``item`` as a ``source="model"`` event under the
        model's name and version, as a text suggestion is kept; again only when they changed."""
        if self.session.source != "annotator":
            return  # a review's draft is its annotators' majority, not a model's
        store, task = self.session.store, self.session.task
        by_model: dict[tuple[str, str | None], list[dict]] = {}
        for shape, model, version in suggested:
            by_model.setdefault((model, version), []).append(shape.to_dict())
        for (model, version), shapes in by_model.items():
            held = store.current_label(task, item, model, source="model")
            if held is None or held.label != shapes:
                store.append(task=task, item=item, annotator=model, label=shapes,
                             source="model", meta={"version": version})  # fmt: skip

    def _confirm_value(self, sent: Any) -> Any:
        return self._validate(self._draft if sent is None else sent)

    def _pick(self, index: int, intent: _Intent) -> None:
        self.active_class = index  # a digit picks the class of the next shape

    def _push_state(self) -> None:
        super()._push_state()
        warm = getattr(self._content, "warm", None)
        if warm is not None:  # the images after the prefetched ones, made in the background
            warm(self.session.upcoming(AHEAD)[PREFETCH:])
        item = self.sample.get("item")
        if item != self._draft_item:  # a new image: its saved shapes, else its pre-labels
            self._draft_item = item
            label = self.sample.get("label")
            content = self.sample.get("content") or {}
            shapes = decode(label) if label is not None else content.get("prelabels", [])
            self._set_draft(list(shapes or []), edit=False)
            model = self._prelabels_model
            self._suggested = [(s, *model) for s in shapes_from(content.get("prelabels") or [])]

    def _on_draft_message(self, content: dict, intent: _Intent) -> None:
        """The browser's shapes of its image after a finished edit (not yet saved)."""
        if content.get("item") != self._draft_item or self._draft_item is None:
            return  # an image no longer on screen here
        shapes = self._validate(decode(content["shapes"]))
        if content.get("undo"):  # the browser took its last edit back: so is it here
            self._history = self._history[:-1]
        else:
            self._history = [*self._history[-(_UNDO_DEPTH - 1) :], self._draft]
        self._draft = shapes
        self._count_browser_edit(content.get("seq"))
        # the browser has them already: the trait is updated for new views, rev unchanged
        self.draft = {"item": self._draft_item, "shapes": shapes, "rev": self._rev,
                      "seq": self._seq, "edit": False}  # fmt: skip
        self._draw()



# the view's helpers go between base.js and images.js: masks.js (masks between RLE and the
# canvas, the mask brush), shapes.js (constants, geometry, drawing one shape) and edit.js
# (moving, resizing by handles, per-shape undo); votes.js draws a review's annotators' shapes;
# kernel.js hosts the kernel's canvas, zoom.js zooms and pans
_FILES = ("base.js", "masks.js", "shapes.js", "edit.js", "votes.js", "kernel.js", "zoom.js",
          "images.js")
ImagesWidget._esm = "\n".join((_STATIC / name).read_text("utf-8") for name in _FILES)


def _model_of(source: Any, default: str) -> tuple[str, str | None]:
    """The name and version a suggestion is recorded under: a column's name, or a function's
    ``name`` (else ``__name__``) and ``version`` attributes."""
    if not callable(source):
        name, version = str(source), None
    else:
        name = str(getattr(source, "name", None) or getattr(source, "__name__", None) or "")
        version = getattr(source, "version", None)
    # the store keeps it as an annotator's name: never a blank one
    return name if name.strip() else default, None if version is None else str(version)


def annotate_images(
    data: Any,
    *,
    image: Hashable,
    classes: Sequence[Any],
    tools: Sequence[str] = ("box", "polygon", "point"),
    prelabels: Hashable | Callable[[pd.Series], Any] | None = None,
    fingerprint: Columns = None,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    order: Order = None,
    keys: Mapping[str, Any] | Sequence[str] | str | None = None,
    rationale: bool = False,
    max_side: int = MAX_SIDE,
    assist: Callable[[Any, dict], Any] | None = None,
) -> ImagesWidget:
    """Draw boxes, polygons and points on each image; ``Enter`` saves the image's shapes.

    Each image's label is the list of its shapes, every coordinate in the original image's
    pixels (upright, as its EXIF orientation says) whatever the display size: ``w.labels``
    holds one row per image. Keys ``1``–``9`` pick the class of the next shape (or change the
    selected shape's), ``B``/``P``/``K`` the box, polygon and point tools; drag a box, click
    polygon vertices (close on the first one or with ``Enter``), click a point. Click a shape
    to select it: drag it, or its handles (a box's corners and edges, a polygon's vertices);
    ``Delete`` removes it; ``Ctrl+Z`` takes back the image's last shape edit. ``Enter`` saves;
    ``→`` skips, ``⌫`` undoes the last image saved.

    Parameters
    ----------
    data
        A DataFrame with a unique index; never modified.
    image
        The column of images: file paths, bytes, PIL images or numpy arrays (H×W, H×W×3,
        H×W×4; uint8, or float from 0 to 1). An image that cannot be read shows its error in
        its place and can be skipped.
    classes
        The classes of shapes, in order (keys ``1``–``9``).
    tools
        The drawing tools offered, from ``("box", "polygon", "point", "mask")``: the mask
        brush paints a mask of the class (``[``/``]`` size it, ``Shift`` erases), into the
        selected mask or the last one of the class.
    prelabels
        A column, or a function ``row -> shapes``, with suggested shapes (a list of shape
        dicts, in original pixels): they show dashed until touched. Saved as they are, they
        keep ``"prelabel": True``. They are kept as a ``source="model"`` event under the
        column's (or the function's) name, and the saved label records what became of each
        (see :func:`nblabel.suggestion_report`).
    fingerprint
        The column (or columns) whose content identifies an item; default the ``image``
        column (see :func:`classify`).
    store, annotator, task, order, keys, rationale
        As in :func:`classify`.
    max_side
        The long side, in pixels, of the picture sent to the browser (larger images are
        downscaled for display only).
    assist
        A function ``(image, prompt) -> shapes``: ``image`` the original as an H×W×3 array,
        ``prompt`` ``{"box": [x, y, width, height]}`` (a rough box dragged with the assist
        tool, key ``A``) or ``{"point": [x, y]}`` (a click); it returns a 2-D boolean mask, a
        list of ``(x, y)`` vertices, a shape dict, or a list of those (a segment-anything
        predictor wrapped, or any function). The answer shows as dashed suggestions of the
        picked class, to accept, correct or delete; :meth:`ImagesWidget.assist` asks it from
        Python.

    Examples
    --------
    >>> w = nblabel.annotate_images(df, image="path", classes=["car", "person"],
    ...                             annotator="alice", task="detect")   # doctest: +SKIP
    >>> w.add_box(10, 20, 50, 40, "car"); w.submit()                   # doctest: +SKIP
    """
    check_column(image, "image")
    choices = check_options(classes, "classes", "['cat', 'dog']")
    if isinstance(tools, str) or not isinstance(tools, Sequence) or not tools:
        raise NblabelError(f"tools= is a list drawn from {list(TOOLS)}, not {tools!r}")
    unknown = [tool for tool in tools if tool not in TOOLS]
    if unknown:
        raise NblabelError(f"tools= holds {unknown!r}; the tools are {list(TOOLS)}")
    if assist is not None:
        check_callable(assist, "assist", "lambda image, prompt: mask")
        tools = tuple(tools) if "assist" in tools else (*tools, "assist")
    elif "assist" in tools:
        raise NblabelError('tools= holds "assist" but no assist= function was given')
    if prelabels is not None and callable(prelabels):
        check_callable(prelabels, "prelabels", "lambda row: row.predicted")
    elif prelabels is not None:
        check_column(prelabels, "prelabels")
    max_side = check_int(max_side, "max_side", minimum=16)
    frame, _ = as_frame(data)
    for name, column in (("image", image), ("prelabels", prelabels)):
        if column is not None and not callable(column) and column not in frame.columns:
            shown = ", ".join(map(repr, list(frame.columns)[:10]))
            raise NblabelError(f"{name}={column!r} is not a column of the data; columns: {shown}")
    widget = build(
        ImagesWidget, "images", frame, choices,
        text=image, display=None, fingerprint=fingerprint, multi=False, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=rationale,
    )  # fmt: skip
    widget._assistant = assist
    if prelabels is not None:
        widget._prelabels_model = _model_of(prelabels, "prelabels")
    widget._use_images(ImageContent(frame, image, prelabels, choices, max_side), tools)
    return widget
