"""What a sample looks like on screen: turn a row into a small JSON payload for the browser.

The browser renders every payload as text (``textContent``) except ``HTML``, which the
user has marked as trusted markup. Images travel as binary buffers, never base64. A row that
cannot be shown (``display=`` raised, or returned something nblabel cannot show) becomes an
``{"type": "error", "text": why}`` payload in its place: that one item shows the reason and can
still be labeled or skipped, and every other item is unaffected.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._errors import NblabelError

__all__ = ["HTML", "ContentMaker", "error_content", "shown_text"]

MAX_TABLE_COLUMNS = 50
MAX_CELL_CHARS = 2_000

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"RIFF": "image/webp",
    b"<svg": "image/svg+xml",
    b"<?xml": "image/svg+xml",
}


@dataclass(frozen=True)
class HTML:
    """Markup the user trusts, shown as HTML (everything else nblabel shows is escaped).

    Examples
    --------
    >>> nblabel.classify(df, options=["a", "b"],
    ...                  display=lambda row: nblabel.HTML(f"<b>{html.escape(row.title)}</b>"))
    ... # doctest: +SKIP
    """

    markup: str


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def shown_text(text: str) -> str:
    """``text`` as the browser can receive it: a lone surrogate (an undecodable byte of a
    file name, as ``os.listdir`` gives it) shows as U+FFFD; other text is unchanged."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text)
    return text


def error_content(message: str) -> dict:
    """The payload of an item that cannot be shown: the reason, shown as text in its place."""
    return {"type": "error", "text": shown_text(message)}


def _cell_text(value: Any) -> str:
    text = shown_text(str(value))
    if len(text) > MAX_CELL_CHARS:
        return text[:MAX_CELL_CHARS] + f"… ({len(text):,} characters)"
    return text


def _image_mime(data: bytes) -> str | None:
    for magic, mime in _IMAGE_MAGIC.items():
        if data.startswith(magic):
            return mime
    return None


def to_content(value: Any) -> dict:
    """The payload for one displayable value (what ``display=`` callables may return)."""
    if isinstance(value, HTML):
        return {"type": "html", "html": value.markup}
    if _is_missing(value):
        return {"type": "missing"}
    if isinstance(value, str):
        return {"type": "text", "text": shown_text(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        mime = _image_mime(data)
        if mime is None:
            raise NblabelError(
                "display= returned bytes that are not a PNG, JPEG, GIF, WebP or SVG image; "
                "return a string, nblabel.HTML(...), image bytes, a PIL image or a widget"
            )
        return {"type": "image", "data": data, "mime": mime}
    if type(value).__module__.startswith("PIL.") and hasattr(value, "save"):
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        return {"type": "image", "data": buffer.getvalue(), "mime": "image/png"}
    if hasattr(value, "model_id") and hasattr(value, "_repr_mimebundle_"):
        return {"type": "widget", "ref": f"IPY_MODEL_{value.model_id}"}
    if isinstance(value, pd.Series):
        return table_content(value)
    return {"type": "text", "text": shown_text(str(value))}


def table_content(row: pd.Series) -> dict:
    """A row as a two-column table of (column, value) text pairs."""
    cells = [
        [shown_text(str(column)), None if _is_missing(value) else _cell_text(value)]
        for column, value in list(row.items())[:MAX_TABLE_COLUMNS]
    ]
    hidden = max(0, len(row) - MAX_TABLE_COLUMNS)
    return {"type": "table", "rows": cells, "hidden_columns": hidden}


class ContentMaker:
    """Builds the payload of the row at a position: a text column, the whole row, or
    whatever a ``display`` callable returns for the row.

    Never raises for one row: a ``display`` that raises, or returns what cannot be shown,
    gives an :func:`error_content` payload naming the row and the error.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        text: str | None = None,
        display: Callable[[pd.Series], Any] | None = None,
    ) -> None:
        if text is not None and display is not None:
            raise NblabelError("give either text= (a column to show) or display=, not both")
        if display is not None and not callable(display):
            raise NblabelError("display= must be a function taking a row and returning content")
        if text is not None and text not in data.columns:
            shown = ", ".join(map(repr, list(data.columns)[:10]))
            raise NblabelError(f"text={text!r} is not a column of the data; columns are: {shown}")
        self._data = data
        self._display = display
        self._text_values = None if text is None else data[text].array

    def __call__(self, position: int) -> dict:
        if self._text_values is not None:
            value = self._text_values[position]
            try:
                return to_content(value)
            except NblabelError as exc:
                return error_content(f"{exc} (for the row {self._data.index[position]!r})")
        row = self._data.iloc[position]
        if self._display is None:
            return table_content(row)
        try:
            shown = self._display(row)
        except Exception as exc:
            return error_content(
                f"display= raised {type(exc).__name__}: {exc} (for the row {row.name!r})"
            )
        try:
            return to_content(shown)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, NblabelError) else f"{type(exc).__name__}: {exc}"
            return error_content(f"{reason} (for the row {row.name!r})")
