"""Thumbnails of a column of images, made once and kept: what a grid page shows.

Each is one small compressed picture, upright (EXIF orientation honoured), made by
:func:`nblabel._images.shown_image` (a large JPEG is decoded at reduced size, never in full).
An image that cannot be read gives ``{"error": why}`` for its cell alone. Pure: Pillow and the
standard library; the pages after the one on screen are made on a background thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ._errors import NblabelError
from ._images import Ahead, shown_image

__all__ = ["THUMB_SIDE", "Thumbnails"]

THUMB_SIDE = 256  # a 2048-px JPEG decodes straight to it (Pillow's draft at 1/8)
_KEPT = 2048  # thumbnails kept (each ~5-10 kB)
_AHEAD = 64  # thumbnails waiting to be made in the background, at most


class Thumbnails:
    """The thumbnail of each row, made once and kept: one small compressed picture (upright,
    EXIF honoured) per image. An image that cannot be read gives ``{"error": why}`` (tried
    again next time: the file may be fixed). :meth:`warm` makes the next pages' thumbnails on
    a background thread."""

    def __init__(self, images: Any, index: pd.Index, side: int = THUMB_SIDE) -> None:
        self._images = images
        self._index = index
        self._side = side
        self._kept: OrderedDict[int, dict] = OrderedDict()
        self._lock = threading.Lock()
        self._ahead = Ahead(self._make, _AHEAD, "nblabel-thumbnails")
        self.made = 0
        """How many thumbnails were made (not taken from the cache)."""

    def __call__(self, position: int) -> dict:
        with self._lock:
            cell = self._kept.get(position)
            if cell is not None:
                self._kept.move_to_end(position)
                return cell
        future = self._ahead.take(position)
        if future is not None:
            return future.result()  # being made: wait for it rather than start again
        return self._make(position)

    def _make(self, position: int) -> dict:
        try:
            shown = shown_image(self._images[position], self._side)
        except NblabelError as exc:
            return {"error": f"{exc} (row {self._index[position]!r})"}
        except Exception as exc:  # never stops the page: the cell says why
            return {"error": f"{type(exc).__name__}: {exc} (row {self._index[position]!r})"}
        cell = {"data": shown.data, "mime": shown.mime,
                "width": shown.width, "height": shown.height}  # fmt: skip
        with self._lock:
            self.made += 1
            self._kept[position] = cell
            while len(self._kept) > _KEPT:
                self._kept.popitem(last=False)
        return cell

    def warm(self, positions: Sequence[int]) -> None:
        """Start making the thumbnails of ``positions`` in the background."""
        self._ahead.start(positions, skip=self._kept.__contains__)

    def close(self) -> None:
        self._ahead.close()
