"""Images to show: read a path, bytes, a PIL image or a numpy array, honour the EXIF
orientation, and make one compressed picture no larger than the display needs.

Every coordinate nblabel stores is in the ORIGINAL image's pixels, as the user sees the image
(EXIF orientation applied): :class:`ShownImage` says how many pixels the original has and how
many the picture sent to the browser has, so the front end can map one onto the other. A large
JPEG is decoded at a reduced size (Pillow's ``draft``), never in full and then shrunk. A file
that is missing, unreadable or not an image raises :class:`NblabelError` naming it, so the
widget shows the error on that item alone. Pure: Pillow (the ``images`` extra) and numpy.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._errors import NblabelError
from ._optional import require

__all__ = ["MAX_SIDE", "ShownImage", "image_size", "open_image", "shown_image"]

MAX_SIDE = 2048  # the long side of the picture sent for display, in pixels
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
        raise NblabelError(
            f"cannot read {_name(source)} as an image ({type(exc).__name__}: {exc})"
        ) from None
    raise NblabelError(
        "an image is a file path, bytes, a PIL image or a numpy array (H×W, H×W×3 or H×W×4), "
        f"not {type(source).__name__}"
    )


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
        raise NblabelError(
            f"cannot read {_name(source)} as an image ({type(exc).__name__}: {exc})"
        ) from None
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P") or (fmt == "PNG" and factor == 1.0):
        if image.mode == "P":
            image = image.convert("RGBA")
        image.save(buffer, format="PNG", compress_level=1)
        mime = "image/png"
    else:
        image.convert("RGB").save(buffer, format="JPEG", quality=88)
        mime = "image/jpeg"
    return ShownImage(buffer.getvalue(), mime, width, height, shown_w, shown_h)
