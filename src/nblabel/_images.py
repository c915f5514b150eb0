"""Images to show: read a path, bytes, a PIL image or a numpy array, honour the EXIF
orientation, and make one compressed picture no larger than the display needs.

Every coordinate nblabel stores is in the ORIGINAL image's pixels, as the user sees the image
(EXIF orientation applied): :class:`ShownImage` says how many pixels the original has and how
many the picture sent to the browser has, so the front end can map one onto the other. A large
JPEG is decoded at a reduced size (Pillow's ``draft``), never in full and then shrunk. A file
that is missing, unreadable or not an image raises :class:`NblabelError` naming it, so the
widget shows the error on that item alone. :class:`ImageContent` makes the payload of each
row (picture and pre-labels) for the images widget, the next ones on a background thread.
Pure: Pillow (the ``images`` extra), numpy and pandas.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._codec import encode
from ._content import error_content
from ._errors import NblabelError
from ._optional import require
from ._shapes import shapes_from

__all__ = ["MAX_SIDE", "ImageContent", "ShownImage", "image_size", "open_image", "shown_image"]

MAX_SIDE = 2048  # the long side of the picture sent for display, in pixels
_KEPT = 16  # prepared pictures kept by ImageContent (each up to ~1 MB)
_ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
_ORIENTATION = 0x0112


def _pil():
    return require("PIL.Image", extra="images", purpose="showing images", package="pillow")


@dataclass(frozen=True)
class ShownImage:
    """The picture sent for display and the size of the original it stands for."""

    data: bytes
    mime: str
    width: int  # the original, as the user sees it (EXIF orientation applied)
    height: int
    display_width: int
    display_height: int

    @property
    def scale(self) -> float:
        """Display pixels per original pixel."""
        return self.display_width / self.width


def _name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    return f"the {type(source).__name__} given"


def _from_array(array: np.ndarray):
    Image = _pil()
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise NblabelError(
            f"an image array is H×W (grey), H×W×3 (RGB) or H×W×4 (RGBA), not of shape {array.shape}"
        )
    if array.size == 0:
        raise NblabelError(f"the image array is empty (shape {array.shape})")
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise NblabelError(
                "a float image array holds values from 0 to 1 (finite): scale it, or give "
                "uint8 values from 0 to 255"
            )
        array = np.round(array * 255).astype(np.uint8)
    elif array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 255:
            raise NblabelError(
                f"an image array of {array.dtype} must hold 0…255 (or be float 0…1); convert "
                "it with array.astype('uint8') after scaling"
            )
        array = array.astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(array))  # L, RGB or RGBA by its shape


def open_image(source: Any):
    """A PIL image of ``source`` (path, bytes, PIL image or numpy array), not yet decoded for a
    file. Raises :class:`NblabelError` naming the source when it cannot be read."""
    Image = _pil()
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return _from_array(source)
    try:
        if isinstance(source, (str, os.PathLike)):
            path = Path(source).expanduser()
            if not path.is_file():
                raise NblabelError(
                    f"the image {os.fspath(source)!r} does not exist"
                    + (" (it is a folder)" if path.is_dir() else "")
                    + f"; the working directory is {Path.cwd()}"
                )
            return Image.open(path)
        if isinstance(source, (bytes, bytearray, memoryview)):
            return Image.open(io.BytesIO(bytes(source)))
    except NblabelError:
        raise
    except Exception as exc:
        raise _unreadable(source, exc) from None
    raise NblabelError(
        "an image is a file path, bytes, a PIL image or a numpy array (H×W, H×W×3 or H×W×4), "
        f"not {type(source).__name__}"
    )


def _unreadable(source: Any, exc: Exception) -> NblabelError:
    return NblabelError(f"cannot read {_name(source)} as an image ({type(exc).__name__}: {exc})")


def _orientation(image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION, 1))
    except Exception:  # an unreadable EXIF block: show the pixels as stored
        return 1


def image_size(source: Any) -> tuple[int, int]:
    """``(width, height)`` of the original as the user sees it (EXIF orientation applied),
    reading only the file's header."""
    image = open_image(source)
    width, height = image.size
    if _orientation(image) in _ROTATED:
        width, height = height, width
    return width, height


def shown_image(source: Any, max_side: int = MAX_SIDE) -> ShownImage:
    """The picture to display for ``source``: at most ``max_side`` pixels on its long side,
    upright (EXIF), as one compressed image. An original file small enough and upright is sent
    as its own bytes, not re-encoded."""
    Image = _pil()
    from PIL import ImageOps

    image = open_image(source)
    orientation = _orientation(image)
    stored_w, stored_h = image.size
    width, height = (stored_h, stored_w) if orientation in _ROTATED else (stored_w, stored_h)
    factor = min(1.0, max_side / max(width, height))
    shown_w, shown_h = max(1, round(width * factor)), max(1, round(height * factor))
    fmt = image.format
    try:
        if (
            factor == 1.0
            and orientation == 1
            and fmt in ("JPEG", "PNG")
            and isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview))
        ):
            data = (
                Path(source).read_bytes()
                if isinstance(source, (str, os.PathLike))
                else bytes(source)
            )
            image.load()  # a truncated or corrupt file is an error here, not a broken picture
            return ShownImage(data, f"image/{fmt.lower()}", width, height, width, height)
        if fmt == "JPEG" and factor < 1.0:
            # decode at the smallest power-of-two reduction still at least the display size
            target = (shown_h, shown_w) if orientation in _ROTATED else (shown_w, shown_h)
            image.draft("RGB", target)
        image.load()
        if orientation != 1:  # (an upright image would only be copied)
            image = ImageOps.exif_transpose(image)
        if image.size != (shown_w, shown_h):
            # bicubic: for the screen, half the time of Lanczos and no visible difference
            image = image.resize((shown_w, shown_h), Image.Resampling.BICUBIC)
    except NblabelError:
        raise
    except Exception as exc:
        raise _unreadable(source, exc) from None
    data, mime = _encoded(image, png=fmt == "PNG" and factor == 1.0)
    return ShownImage(data, mime, width, height, shown_w, shown_h)


def _encoded(image: Any, png: bool = False) -> tuple[bytes, str]:
    """``image`` as compressed bytes and their MIME type: PNG where it has transparency (or
    ``png``: a PNG shown at its own size stays lossless), else JPEG."""
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P") or png:
        if image.mode == "P":
            image = image.convert("RGBA")
        image.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue(), "image/png"
    image.convert("RGB").save(buffer, format="JPEG", quality=88)
    return buffer.getvalue(), "image/jpeg"


def region_image(
    image: Any, box: Sequence[float], size: Sequence[int]
) -> tuple[bytes, str]:
    """The part ``box`` = ``(x0, y0, x1, y1)`` (pixels) of the loaded PIL ``image``, resized to
    ``size`` = ``(width, height)``, as compressed bytes and their MIME type: what a zoomed
    view shows sharp, where the picture sent for display would be upscaled."""
    Image = _pil()
    x0, y0, x1, y1 = (float(v) for v in box)
    width, height = (max(1, int(v)) for v in size)
    if not (x1 > x0 and y1 > y0):
        raise NblabelError(f"a region of an image needs x1 > x0 and y1 > y0, not {tuple(box)}")
    part = image.resize((width, height), Image.Resampling.BICUBIC, box=(x0, y0, x1, y1))
    return _encoded(part)


class Ahead:
    """Work started ahead by position on one background thread (the next pictures made while
    this one is looked at). At most ``limit`` wait or are kept unclaimed; the oldest go first."""

    def __init__(self, make: Callable[[int], Any], limit: int, name: str) -> None:
        self._make, self._limit, self._name = make, limit, name
        self._ready: dict[int, Future] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def start(self, positions: Sequence[int], skip: Callable[[int], bool] | None = None) -> None:
        """Start ``make`` for each of ``positions`` not started yet (nor ``skip``-ped)."""
        with self._lock:
            todo = [p for p in positions if p not in self._ready and not (skip and skip(p))]
            if not todo:
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix=self._name)
            for position in todo:
                self._ready[position] = self._pool.submit(self._make, position)
            while len(self._ready) > self._limit:  # the oldest first (dicts keep their order)
                self._ready.pop(next(iter(self._ready))).cancel()

    def take(self, position: int) -> Future | None:
        """The work started for ``position`` (done or under way), if any: it is the caller's."""
        with self._lock:
            future = self._ready.pop(position, None)
        return None if future is None or future.cancelled() else future

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


class ImageContent:
    """The payload of one image: the picture downscaled for display (one compressed binary
    buffer), the original's size and the row's pre-labels. A missing or unreadable image
    gives an error payload naming it, on that item alone. :meth:`warm` prepares the next
    images on a background thread, so moving on seldom waits for a decode."""

    def __init__(
        self,
        frame: pd.DataFrame,
        image: Hashable,
        prelabels: Hashable | Callable[[pd.Series], Any] | None,
        classes: list,
        max_side: int,
        extra: Callable[[int], dict] | None = None,
    ) -> None:
        self._extra = extra  # more of the payload, by position (a review's votes)
        self._frame = frame
        self._images = frame[image].array
        self._prelabels = prelabels
        self._classes = classes
        self._max_side = max_side
        self.sizes: dict[str, tuple[int, int]] = {}  # item (JSON) -> (width, height)
        self._ahead = Ahead(self._make, _KEPT, "nblabel-images")
        self._original: tuple[int, Any] | None = None  # (position, upright image) last zoomed

    def warm(self, positions: Sequence[int]) -> None:
        """Start preparing the pictures of ``positions`` in the background."""
        self._ahead.start(positions)

    def close(self) -> None:
        self._ahead.close()
        self._original = None

    def region(
        self, position: int, box: Sequence[float], size: Sequence[int]
    ) -> tuple[bytes, str]:
        """The part ``box`` (original pixels) of the row's image, upright, at ``size``: the
        whole original is decoded once and kept while the same row is asked about."""
        if self._original is None or self._original[0] != position:
            from PIL import ImageOps

            self._original = None  # (let the last one go before decoding the next)
            try:
                image = ImageOps.exif_transpose(open_image(self._images[position]))
                image.load()
            except NblabelError:
                raise
            except Exception as exc:
                raise _unreadable(self._images[position], exc) from None
            self._original = (position, image)
        return region_image(self._original[1], box, size)

    def pixels(self, position: int) -> Any:
        """The original image of the row, upright, as an RGB array (for an assistant)."""
        import numpy as np
        from PIL import ImageOps

        image = ImageOps.exif_transpose(open_image(self._images[position]))
        return np.asarray(image.convert("RGB"))

    def prelabels(self, position: int) -> list[dict]:
        """The row's suggested shapes, marked as pre-labels (shown dashed until touched)."""
        if self._prelabels is None:
            return []
        row = self._frame.iloc[position]
        value = self._prelabels(row) if callable(self._prelabels) else row[self._prelabels]
        if value is None or (isinstance(value, float) and value != value):
            return []
        shapes = shapes_from(value, classes=self._classes)
        return [{**shape.to_dict(), "prelabel": True} for shape in shapes]

    def __call__(self, position: int) -> dict:
        future = self._ahead.take(position)
        if future is not None:
            return future.result()  # ready, or being made: wait for it rather than start again
        return self._make(position)

    def _make(self, position: int) -> dict:
        item = self._frame.index[position]
        try:
            shown = shown_image(self._images[position], self._max_side)
            prelabels = self.prelabels(position)
        except NblabelError as exc:
            return error_content(f"{exc} (for the row {item!r}); skip it with →")
        self.sizes[encode(item)] = (shown.width, shown.height)
        return {
            "type": "shapes-image",
            "data": shown.data,
            "mime": shown.mime,
            "width": shown.width,
            "height": shown.height,
            "display_width": shown.display_width,
            "display_height": shown.display_height,
            "prelabels": prelabels,
            **(self._extra(position) if self._extra is not None else {}),
        }
