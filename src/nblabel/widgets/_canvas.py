"""The images view's picture and committed shapes, rendered by ipycanvas from the kernel.

:class:`PictureCanvas` owns a two-layer ``MultiCanvas`` (the picture under the shapes) and
redraws it in one ``hold_canvas()`` message per committed change: a new image, the shapes
after a finished edit, a new zoom or pan. A canvas keeps nothing, so a new front end (a
reloaded page) gets the drawing again when it says it is ready. The live shape (rubber band,
polygon in progress, a drag) never comes here: the browser draws it in the pointer's own
listener (``static/images.js``), and shows its own drawing until this one has caught up.

Each picture travels once, as the compressed bytes of an ``ipywidgets.Image`` that the browser
also decodes for the instant it moves on, before the kernel has drawn. :class:`CanvasWidget` is
the images widget's side of it: the pictures, the browser's zoom and pan, a redraw per change.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import traitlets as t
from ipywidgets import Image, widget_serialization

from .._errors import NblabelError
from .._optional import require
from .._shapes import mask_decode
from ._base import _STATIC, PREFETCH, LabelWidget, _Intent

_MASK_ALPHA = 0.45  # as shapes.js draws a mask
_MASKS_KEPT = 64
# pictures kept beyond the ones near the cursor: the browser's canvas may still be drawing them,
# and going back finds them there
PICTURES_KEPT = 8


def _shared(name: str) -> Any:
    """A constant of ``shapes.js`` (JSON), so that both sides draw the same."""
    text = (_STATIC / "shapes.js").read_text("utf-8")
    return json.loads(re.search(rf"const {name} = ([^;]*);", text).group(1))


PALETTE: list[str] = _shared("PALETTE")  # the classes' colours
_TAG_CHAR_PX: float = _shared("TAG_CHAR_PX")  # a class tag's width per character


@dataclass
class Scene:
    """What the canvas shows: an image's picture and shapes, at a zoom and pan."""

    item: str | None = None
    picture: Any = None  # the ipywidgets.Image of the picture
    sharp: bool = False  # the picture is the visible part at the canvas's size, drawn as is
    size: tuple[int, int] = (1, 1)  # the original image's (width, height)
    display: tuple[int, int] = (1, 1)  # the picture's (width, height) as sent
    shapes: list[dict] = field(default_factory=list)
    rev: int = 0  # the shapes' revision from Python edits, as the widget numbers them
    seq: int = 0  # the browser's last edit of these shapes
    view: tuple[float, float, float] = (1.0, 0.0, 0.0)  # zoom, pan x, pan y (canvas pixels)
    screen: float = 1.0  # screen pixels per canvas pixel


class PictureCanvas:
    """An ipycanvas ``MultiCanvas`` with the picture (layer 0) and the shapes (layer 1).

    ``on_drawn(scene, count)`` is called after each redraw, so that the widget can tell the
    browser which state the canvas now shows. It draws once :attr:`connected` (a view said it
    is there).
    """

    def __init__(
        self,
        style: Callable[[Any], tuple[str, str]],
        on_drawn: Callable[[Scene, int], None],
    ) -> None:
        ipycanvas = require("ipycanvas", extra="images", purpose="drawing on images")
        self._hold = ipycanvas.hold_canvas
        self.canvas = ipycanvas.MultiCanvas(2, width=1, height=1)
        self.canvas.add_class("nblabel-canvas")
        self.canvas.on_client_ready(self._reconnected)
        self._style = style  # a class's (colour, name)
        self._on_drawn = on_drawn
        self._masks: dict[tuple, tuple[Any, Any]] = {}  # (RGBA, extent) by mask and colour
        self.scene = Scene()
        self._picture_drawn: tuple | None = None  # what layer 0 shows
        self.count = 0  # redraws so far
        # nothing is drawn before a view of the widget says it is there: a widget made and
        # closed in a loop, never shown, sends no drawing
        self.connected = False

    def show(self, scene: Scene) -> None:
        """Show ``scene``: one message for all of it."""
        self.scene = scene
        self.redraw()

    def _reconnected(self) -> None:
        # a new front end (a reloaded page) starts blank
        self._picture_drawn = None
        self.redraw()

    def redraw(self) -> None:
        """Draw the scene again; the picture only when it or the view changed."""
        if not self.connected:
            return
        scene = self.scene
        picture, shapes = self.canvas[0], self.canvas[1]
        # by model id: an id() could name a new widget where a closed one was
        picture_key = (getattr(scene.picture, "model_id", None), scene.display, scene.view)
        with self._hold():
            if (self.canvas.width, self.canvas.height) != scene.display:
                self.canvas.width, self.canvas.height = scene.display  # which clears them
                self._picture_drawn = None
            layers = [shapes] if picture_key == self._picture_drawn else [picture, shapes]
            for layer in layers:
                layer.reset_transform()
                layer.clear()
            if scene.picture is not None:
                if picture in layers:
                    zoom, pan_x, pan_y = (1, 0, 0) if scene.sharp else scene.view
                    picture.set_transform(zoom, 0, 0, zoom, pan_x, pan_y)
                    picture.draw_image(scene.picture, 0, 0, *scene.display)
                for shape in scene.shapes:
                    self._draw(shapes, shape, scene)
        self._picture_drawn = picture_key
        self.count += 1
        self._on_drawn(scene, self.count)

    def close(self) -> None:
        for layer in (self.canvas[0], self.canvas[1]):
            layer.close()
        self.canvas.close()

    # -- one shape, as shapes.js's drawShape draws it (without the selection's handles) --------
    def _draw(self, g: Any, shape: dict, scene: Scene) -> None:
        zoom, pan_x, pan_y = scene.view
        width = scene.size[0]
        factor = scene.display[0] / width * zoom  # canvas pixels per original pixel
        u = 1 / (factor * scene.screen)  # original pixels per screen pixel
        color, name = self._style(shape.get("label"))
        kind = shape.get("type")
        if kind == "mask":
            rgba, extent = self._mask(shape, color, scene)
            if extent is None:
                return  # covers nothing at this size
            g.set_transform(zoom, 0, 0, zoom, pan_x, pan_y)  # the mask is in picture pixels
            g.put_image_data(rgba, extent[0], extent[1])
        g.set_transform(factor, 0, 0, factor, pan_x, pan_y)
        g.save()
        g.line_width = 2.5 * u
        g.stroke_style = color
        g.fill_style = color
        g.set_line_dash([7 * u, 5 * u] if shape.get("prelabel") else [])
        bounds = None
        if kind == "box":
            x, y, w, h = (shape[k] for k in ("x", "y", "width", "height"))
            g.begin_path()
            g.rect(x, y, w, h)
            self._outline(g, u)
            bounds = (x, y)
        elif kind == "polygon":
            points = shape["points"]
            g.begin_path()
            g.move_to(*points[0])
            for point in points[1:]:
                g.line_to(*point)
            g.close_path()
            g.global_alpha = 0.15
            g.fill()
            g.global_alpha = 1
            self._outline(g, u)
            bounds = (min(p[0] for p in points), min(p[1] for p in points))
        elif kind == "point":
            g.begin_path()
            g.arc(shape["x"], shape["y"], 5 * u, 0, 2 * np.pi)
            g.fill()
            g.line_width = 1.5 * u
            g.stroke_style = "#fff"
            g.stroke()
        elif kind == "mask":
            x0, y0, x1, y1 = (v * width / scene.display[0] for v in extent)
            if shape.get("prelabel"):  # a suggested mask shows the outline of its extent
                g.begin_path()
                g.rect(x0, y0, x1 - x0, y1 - y0)
                self._outline(g, u)
            bounds = (x0, y0)
        if bounds is not None:
            self._name(g, name + (" (suggested)" if shape.get("prelabel") else ""), bounds, u,
                       color)  # fmt: skip
        g.restore()

    @staticmethod
    def _outline(g: Any, u: float) -> None:
        # a light halo under each outline: it shows on a picture of the class's own colour
        g.save()
        g.stroke_style = "rgba(255, 255, 255, 0.85)"
        g.line_width = 5 * u
        g.stroke()
        g.restore()
        g.stroke()

    @staticmethod
    def _name(g: Any, text: str, corner: tuple[float, float], u: float, color: str) -> None:
        # the class name on the shape's top-left corner, drawn as text
        x, y = corner
        y = y - 16 * u if y > 16 * u else y
        g.set_line_dash([])
        g.fill_style = color
        g.fill_rect(x, y, (len(text) * _TAG_CHAR_PX + 6) * u, 16 * u)
        g.fill_style = "#fff"
        g.font = f"{12 * u}px sans-serif"
        g.fill_text(text, x + 3 * u, y + 12 * u)

    def _mask(self, shape: dict, color: str, scene: Scene) -> tuple[Any, Any]:
        """The mask downscaled to the picture, coloured and cut to its extent: (RGBA, (x0, y0,
        x1, y1) in picture pixels), or (None, None) when it covers nothing; kept for redraws."""
        key = (hash(tuple(shape["counts"])), tuple(shape["size"]), color, scene.display)
        made = self._masks.get(key)
        if made is None:
            made = self._masks[key] = _coloured_mask(shape, color, scene.display)
            if len(self._masks) > _MASKS_KEPT:
                self._masks.pop(next(iter(self._masks)))
        return made


def _coloured_mask(shape: dict, color: str, display: tuple[int, int]) -> tuple[Any, Any]:
    height, width = shape["size"]
    full = mask_decode(shape["size"], shape["counts"])
    display_width, display_height = display
    rows = ((np.arange(display_height) + 0.5) * height / display_height).astype(int)
    cols = ((np.arange(display_width) + 0.5) * width / display_width).astype(int)
    small = full[np.ix_(rows, cols)]
    ys, xs = np.nonzero(small)
    if not len(ys):
        return None, None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    cut = small[y0:y1, x0:x1]
    rgba = np.zeros((*cut.shape, 4), dtype=np.uint8)
    rgba[cut] = [*_rgb(color), round(_MASK_ALPHA * 255)]
    return rgba, (int(x0), int(y0), int(x1), int(y1))


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def pictures_kept(held: dict[int, Any], near: Iterable[int], spare: int = 0) -> None:
    """Close the picture widgets of ``held`` (by position, oldest first) beyond the ones
    ``near`` and the ``spare`` most recent others."""
    near = set(near)
    others = [p for p in held if p not in near]
    for position in others[: max(0, len(others) - spare)]:
        held.pop(position).close()


class CanvasWidget(LabelWidget):
    """The images view's side of the kernel's canvas: the pictures sent once as Image widgets,
    the browser's zoom and pan, and a redraw after each committed change. A subclass keeps
    the image's shapes in ``_draft`` (for ``_draft_item``, revision ``_rev``), calls
    :meth:`_start_canvas` once its content is set, :meth:`_new_picture` when an image comes on
    screen, :meth:`_count_browser_edit` with the browser's edits, and :meth:`_draw` after each
    change."""

    canvas = t.Instance(object, allow_none=True).tag(sync=True, **widget_serialization)
    """The ipycanvas ``MultiCanvas`` that shows the picture and the committed shapes."""
    drawn = t.Dict().tag(sync=True)
    """What :attr:`canvas` shows since its last redraw: ``{"item", "rev", "seq", "view", "n"}``
    (the browser shows its own drawing until this matches what it has)."""

    def __init__(self, data: Any, **kwargs: Any) -> None:
        self._pictures: dict[int, Image] = {}  # the pictures near the cursor, by position
        self._seq = 0  # the browser's last edit of the image on screen
        self._zoom_pan = (1.0, 0.0, 0.0)  # the browser's zoom and pan
        self._screen = 1.0  # the browser's screen pixels per canvas pixel
        self._picture_canvas: PictureCanvas | None = None
        self._sharp: list[tuple[tuple, Image]] = []  # the last zoomed views' sharp pictures
        super().__init__(data, **kwargs)
        self._handlers["view"] = self._on_view_message

    def close(self) -> None:
        pictures_kept(self._pictures, ())
        for _, sharp in self._sharp:
            sharp.close()
        if self._picture_canvas is not None:
            self._picture_canvas.close()
        super().close()

    def _start_canvas(self) -> None:
        self._picture_canvas = PictureCanvas(self._class_style, self._on_drawn)
        self.canvas = self._picture_canvas.canvas

    def _new_picture(self) -> None:
        self._seq = 0
        self._zoom_pan = (1.0, 0.0, 0.0)

    def _count_browser_edit(self, seq: Any) -> None:
        if isinstance(seq, int) and not isinstance(seq, bool):
            self._seq = seq

    def _push_state(self) -> None:
        super()._push_state()
        position = self.session.position
        near = [] if position is None else [position]
        pictures_kept(self._pictures, [*near, *self.session.upcoming(PREFETCH)], PICTURES_KEPT)

    def _payload(self, position: int) -> dict:
        # the picture travels once, as an Image widget that the browser and the canvas share
        payload = super()._payload(position)
        content = payload["content"]
        if content.get("type") != "shapes-image":
            return payload
        picture = self._pictures.pop(position, None)  # (and back in, as the newest)
        if picture is None:
            picture = Image(value=content["data"], format=content["mime"].split("/")[-1])
        self._pictures[position] = picture
        shown = {k: v for k, v in content.items() if k != "data"}
        return {**payload, "content": {**shown, "picture": picture.model_id}}

    def _on_view_message(self, content: dict, intent: _Intent) -> None:
        """The browser's zoom and pan of its image, once they settle; ``connect``: a new view,
        which the canvas draws for (it shows the kernel's canvas once that has drawn since)."""
        if self._picture_canvas is None:
            return
        new_view = content.get("connect") is True or not self._picture_canvas.connected
        self._picture_canvas.connected = True
        before = (self._zoom_pan, self._screen)
        if content.get("item") == self._draft_item and self._draft_item is not None:
            try:
                zoom_pan = tuple(float(content[k]) for k in ("zoom", "pan_x", "pan_y"))
                screen = float(content.get("screen", self._screen))
            except (KeyError, TypeError, ValueError):
                zoom_pan, screen = before  # not a view this side can draw
            if all(map(math.isfinite, (*zoom_pan, screen))) and zoom_pan[0] >= 1 and screen > 0:
                self._zoom_pan, self._screen = zoom_pan, screen
        # (else a view behind the kernel: it catches up with the kernel's next state)
        if new_view or (self._zoom_pan, self._screen) != before:
            self._draw()  # drawn already otherwise: a new image's view says nothing new

    def _draw(self) -> None:
        """Draw the image on screen with its shapes in the kernel's canvas: one message."""
        if self._picture_canvas is None:
            return
        content = self.sample.get("content") or {}
        position = self.session.position
        picture = self._pictures.get(position) if position is not None else None
        size = getattr(self._content, "sizes", {}).get(self._draft_item)
        if content.get("type") != "shapes-image" or picture is None or size is None:
            self._picture_canvas.show(Scene(item=self._draft_item, rev=self._rev, seq=self._seq))
            return
        display = (content["display_width"], content["display_height"])
        sharp = self._sharp_picture(position, size, display)
        self._picture_canvas.show(Scene(
            item=self._draft_item, picture=sharp or picture, sharp=sharp is not None,
            size=size, display=display, shapes=self._draft, rev=self._rev, seq=self._seq,
            view=self._zoom_pan, screen=self._screen,
        ))  # fmt: skip

    def _sharp_picture(self, position: int, size: tuple, display: tuple) -> Image | None:
        """Zoomed into an image larger than its picture: the part in view, cut from the
        original at the canvas's size (else the canvas would show the picture upscaled)."""
        zoom, pan_x, pan_y = self._zoom_pan
        if zoom <= 1 or size[0] <= display[0] or not hasattr(self._content, "region"):
            return None
        scale = display[0] / size[0] * zoom  # canvas pixels per original pixel
        box = (-pan_x / scale, -pan_y / scale,
               (display[0] - pan_x) / scale, (display[1] - pan_y) / scale)  # fmt: skip
        box = (max(0.0, box[0]), max(0.0, box[1]), min(size[0], box[2]), min(size[1], box[3]))
        # no more pixels than the original has there: the canvas scales up the rest
        shape = (min(display[0], round(box[2] - box[0])), min(display[1], round(box[3] - box[1])))
        key = (position, box, shape)
        for made, sharp in self._sharp:
            if made == key:
                return sharp
        try:
            data, mime = self._content.region(position, box, shape)
        except NblabelError:
            return None  # the original cannot be read again: the picture, upscaled
        sharp = Image(value=data, format=mime.split("/")[-1])
        self._sharp = [*self._sharp, (key, sharp)]
        while len(self._sharp) > 2:  # the last one may still be drawing in the browser
            self._sharp.pop(0)[1].close()
        return sharp

    def _on_drawn(self, scene: Scene, count: int) -> None:
        self.drawn = {"item": scene.item, "rev": scene.rev, "seq": scene.seq,
                      "view": list(scene.view), "n": count}  # fmt: skip

    def _class_style(self, label: Any) -> tuple[str, str]:
        """A class's colour and name, as the browser draws them."""
        try:
            index = self._choices.index(label)
        except ValueError:
            return PALETTE[0], str(label)
        return PALETTE[index % len(PALETTE)], str(self.options[index]["label"])
