"""Lossless text encoding of item ids and label values for the store.

Item ids are the user's index labels (ints, strings, tuples of a MultiIndex, timestamps);
label values are option values, lists of them (multi-label), numbers, free text, or shapes
(dicts). Both are stored as JSON text so that SQLite and PostgreSQL hold the same bytes.

Text is kept as it is (``ensure_ascii=False``) unless it holds a lone surrogate, such as
``os.listdir`` returns for a file name that is not valid UTF-8: such a value cannot be
written as UTF-8, so it is encoded with every non-ASCII character escaped (``"\\udcff"``),
which JSON decodes back to the same string. Either way one value always gives one text. (A high
surrogate followed by a low one, two characters in Python, would come back as the one character
they pair to: such text is refused.)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._errors import NblabelError

__all__ = [
    "as_texts",
    "concat_texts",
    "decode",
    "decode_distinct",
    "decode_joined",
    "decode_many",
    "encode",
    "encode_many",
    "fixed_lines",
    "fixed_texts",
    "join_lines",
    "present_texts",
    "split_rows",
    "whole_numbers",
]

_TIMESTAMP = "$ts"
_TIMEDELTA = "$td"
_TUPLE = "$tuple"
_DICT = "$dict"  # a user's dict whose keys could be mistaken for the markers above
_SPLIT_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
# made once: json.dumps with these options builds an encoder per call (most of its 3 µs)
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_COMPACT_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


def _to_jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            raise NblabelError(f"cannot store the number {value!r}: use a finite number")
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
        return {_TIMESTAMP: pd.Timestamp(value).isoformat()}
    if isinstance(value, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        return {_TIMEDELTA: pd.Timedelta(value).isoformat()}
    if isinstance(value, tuple):
        return {_TUPLE: [_to_jsonable(v) for v in value]}
    if isinstance(value, (list, np.ndarray)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, dict):
        encoded = {str(k): _to_jsonable(v) for k, v in value.items()}
        if any(k.startswith("$") for k in encoded):
            return {_DICT: encoded}
        return encoded
    raise NblabelError(
        f"cannot store a value of type {type(value).__name__} ({value!r}): use strings, "
        "numbers, booleans, timestamps, or tuples/lists/dicts of those"
    )


def _from_jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_from_jsonable(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key == _TIMESTAMP:
                return pd.Timestamp(inner)
            if key == _TIMEDELTA:
                return pd.Timedelta(inner)
            if key == _TUPLE:
                return tuple(_from_jsonable(v) for v in inner)
            if key == _DICT:
                return {k: _from_jsonable(v) for k, v in inner.items()}
        return {k: _from_jsonable(v) for k, v in value.items()}
    return value


def encode(value: Any) -> str:
    """Encode an item id or label value as compact JSON text, always valid UTF-8.

    >>> encode(5), encode("a"), encode(("x", 1))
    ('5', '"a"', '{"$tuple":["x",1]}')
    >>> encode("caf\\xe9"), encode("caf\\xe9\\udcff")  # a lone surrogate: escaped
    ('"café"', '"caf\\\\u00e9\\\\udcff"')
    """
    if type(value) is int:  # the usual id: its JSON text without the JSON machinery
        return str(value)
    jsonable = _to_jsonable(value)
    text = _COMPACT.encode(jsonable)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: escaped, so the text is valid UTF-8
            pair = _SPLIT_PAIR.search(text)
            if pair:
                raise NblabelError(
                    f"cannot store {value!r}: it holds the surrogate pair {pair.group()!r} as two "
                    "characters, which would come back as one; decode the text properly first "
                    "(e.g. text.encode('utf-16', 'surrogatepass').decode('utf-16'))"
                ) from None
            text = _COMPACT_ASCII.encode(jsonable)
    return text


def encode_many(values: Iterable[Any]) -> list[str]:
    """:func:`encode` for many values (a bulk label's item ids): the same texts, with plain ints
    and strings written without building a JSON encoder for each (5-10x faster per value)."""
    out = []
    append = out.append
    quote = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) does to a str
    for value in values:
        kind = type(value)
        if kind is str:
            text = quote(value)
            if text.isascii() or _is_utf8(text):
                append(text)
                continue
        elif kind is int:
            append(str(value))
            continue
        append(encode(value))  # anything else, and text that needs escaping, as one value
    return out


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode(text: str | None, *, strict: bool = False) -> Any:
    """Inverse of :func:`encode` (tuples come back as tuples, timestamps as ``pd.Timestamp``).

    A stored text that is not JSON (another program's, as ``pos`` or ``+7``) is read as that
    text, and a tag of the codec around a value it never holds as the plain JSON;
    ``strict=True`` (what the browser sends) raises ``ValueError`` at a text that is not JSON.

    >>> decode('"a"'), decode("7"), decode("pos"), decode("+7")
    ('a', 7, 'pos', '+7')
    """
    if text is None:
        return None
    # the two commonest ids, read without the JSON parser (5-10x faster per row): a string
    # with no escape (one quote at each end, none between), and digits
    if text.count('"') == 2 and text[0] == '"' == text[-1] and "\\" not in text:
        return text[1:-1]
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        value = json.loads(text)
    except ValueError:
        if strict:
            raise
        return text
    try:
        return _from_jsonable(value)
    except (ValueError, TypeError, AttributeError):
        return value


def decode_many(texts: list[str | None]) -> list[Any]:
    """:func:`decode` for a column: each distinct text is parsed once (labels repeat a lot)."""
    cache: dict[str | None, Any] = {}
    out = []
    append = out.append
    for text in texts:
        try:
            value = cache[text]
        except KeyError:
            value = cache[text] = decode(text)
        # a list or dict decoded once must not be shared between rows
        append(value if not isinstance(value, (list, dict)) else decode(text))
    return out


def decode_distinct(texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """Decode distinct texts into an object array, and say which values are lists or dicts
    (mutable: a caller spreading one value over many rows must copy those)."""
    try:
        # ids 0..n (the commonest case) are whole numbers: one C loop instead of n parses
        whole = whole_numbers(np.asarray(texts, dtype=object))
    except (ValueError, TypeError, OverflowError):
        values = [decode(t) for t in texts]
    else:
        values = whole  # becomes Python ints in the object array below
        out = np.empty(len(texts), dtype=object)
        out[:] = values
        return out, []
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out, [i for i, v in enumerate(values) if isinstance(v, (list, dict))]


#: what may follow a digit in a column of whole numbers joined by newlines
_WHOLE = b"0123456789-\n"
_INT64_ENDS = np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max])
#: a negative number led by a zero ("-07"): neither JSON nor decode()'s digits, a text
_LED_BY_ZERO = re.compile(rb"(?:^|\n)-0[0-9]")


def _led_by_zero(raw: bytes) -> bool:
    return b"-0" in raw and _LED_BY_ZERO.search(raw) is not None  # a C search first: 20x


def whole_numbers(texts: np.ndarray) -> np.ndarray:
    """Stored ids as int64 when each is a whole number that :func:`decode` reads as that
    number; else ``ValueError`` (or ``TypeError``, ``OverflowError``). numpy's cast alone
    would use Python's ``int()``, which also reads ``+7``, ``7_000``, ``٧`` and `` 7``.

    >>> whole_numbers(np.array(["7", "-2"], dtype=object)).tolist()
    [7, -2]
    """
    if texts.dtype.kind in "iu":
        return texts.astype(np.int64, copy=False)
    if texts.dtype.kind != "O":
        raise TypeError(f"ids of dtype {texts.dtype}")
    whole = texts.astype(np.int64)
    if len(texts):
        raw = "\n".join(texts).encode("ascii")  # not text: TypeError; not ASCII: ValueError
        if raw.translate(None, _WHOLE) or _led_by_zero(raw):
            raise ValueError("texts that decode() does not read as whole numbers")
    return whole


def join_lines(texts: list[str]) -> str | None:
    """``texts`` joined by newlines, or ``None`` when one holds a newline (the join would not
    split back into them); ``TypeError`` at a value that is not text.

    >>> join_lines(["a", "b"]), join_lines(["a\\nb"])
    ('a\\nb', None)
    """
    joined = "\n".join(texts)
    return joined if joined.count("\n") == max(len(texts) - 1, 0) else None


# -- texts of one width: a million fingerprints with no Python object each -----------------------
def fixed_lines(joined: str, n: int) -> np.ndarray | None:
    """The ``n`` texts joined by newlines in ``joined`` as one array of bytes (``S{w}``) when
    each is ASCII of one width ``w`` with no control character; else ``None``.

    >>> fixed_lines("ab\\ncd", 2).tolist(), fixed_lines("ab\\nc", 2)
    ([b'ab', b'cd'], None)
    """
    width, rest = divmod(len(joined) + 1, n) if n else (0, 1)
    if rest or width < 2 or not joined.isascii():
        return None
    lines = np.frombuffer((joined + "\n").encode("ascii"), dtype=np.uint8).reshape(n, width)
    texts = lines[:, :-1]
    # the split is exact: a newline after each text, none inside (nor a NUL, which numpy's
    # bytes would drop from a text's end)
    if (lines[:, -1] != 10).any() or (texts < 32).any():
        return None
    return np.ascontiguousarray(texts).view(f"S{width - 1}").ravel()


def fixed_texts(values: np.ndarray) -> np.ndarray:
    """Texts (``None`` where there is none) as :func:`fixed_lines` gives them, ``b""`` where
    there is none; ``values`` itself when they are not all ASCII of one width."""
    if values.dtype.kind == "S":
        return values
    present = np.not_equal(values, None)
    texts = values[present].tolist()
    try:
        joined = join_lines(texts)
    except TypeError:  # a value that is not text
        return values
    fixed = None if joined is None else fixed_lines(joined, len(texts))
    if fixed is None:
        return values
    out = np.zeros(len(values), dtype=fixed.dtype)
    out[present] = fixed
    return out


def as_texts(values: np.ndarray) -> np.ndarray:
    """Texts of :func:`fixed_texts` back as an object array of ``str`` (``None`` for
    ``b""``); any other array as it is."""
    if values.dtype.kind != "S":
        return values
    out = values.astype(str).astype(object)
    out[values == b""] = None
    return out


def present_texts(values: np.ndarray) -> np.ndarray:
    """Which of ``values`` (texts, or :func:`fixed_texts`) are there, in C loops: an empty
    text is none (a read of texts joined by newlines cannot tell them apart)."""
    if values.dtype.kind == "S":
        return values != b""
    return np.not_equal(values, None) & np.not_equal(values, "")


def concat_texts(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Two arrays of texts as one: fixed when both can be, else objects."""
    if not len(second) or not len(first):
        return first if len(first) else second
    if first.dtype.kind != second.dtype.kind:
        first, second = fixed_texts(first), fixed_texts(second)
    if first.dtype.kind != second.dtype.kind:
        first, second = as_texts(first), as_texts(second)
    return np.concatenate([first, second])


def split_rows(joined: str, n_fields: int) -> list[str] | None:
    """Rows joined by newlines, each of ``n_fields`` values joined by tabs, as ``n_fields``
    texts: each field's values joined by newlines, row for row. ``None`` when a row has
    another count of tabs (a value holds a tab or a line break). No Python object per row.

    >>> split_rows("a\\t1\\nbc\\t22", 2)
    ['a\\nbc', '1\\n22']
    """
    if n_fields == 1:
        return [joined]
    raw = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    ends = np.flatnonzero((raw == 9) | (raw == 10))  # where each value but the last ends
    n_rows, rest = divmod(len(ends) + 1, n_fields)
    pattern = np.full(n_fields, 9, dtype=np.uint8)
    pattern[-1] = 10
    if rest or not np.array_equal(raw[ends], np.tile(pattern, n_rows)[:-1]):
        return None
    # which field each byte is of: each value with the tab or newline that ends it
    lengths = np.diff(ends, prepend=-1, append=len(raw) - 1)
    field = np.repeat(np.tile(np.arange(n_fields, dtype=np.uint8), n_rows), lengths)
    lines = raw.copy()
    lines[ends] = 10
    out = []
    for k in range(n_fields):
        values = lines[field == k]
        if k < n_fields - 1:
            values = values[:-1]  # the tab that ended its last value
        out.append(values.tobytes().decode("utf-8", "surrogatepass"))
    return out


def decode_joined(text: str) -> tuple[np.ndarray, list[str] | None]:
    """Decode stored texts joined by newlines (which :func:`encode` never writes: JSON escapes
    them) into an array of values: int64 when all are whole numbers (parsed in one C pass,
    no object per value), else object. Also returns the texts split, when it split them."""
    raw = text.encode("utf-8", "surrogatepass")
    if not raw.translate(None, _WHOLE) and not _led_by_zero(raw):
        # whole numbers: no Python object per id
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy only warns of a text it stopped short in
            try:
                values = np.fromstring(text, dtype=np.int64, sep="\n")
            except (ValueError, DeprecationWarning):
                values = None
        if (
            values is not None
            and len(values) == raw.count(b"\n") + 1
            # numpy saturates past 64 bits: such ids are read one by one
            and not np.isin(values, _INT64_ENDS).any()
        ):
            return values, None
    texts = text.split("\n")
    out = np.empty(len(texts), dtype=object)
    if _plain_strings(raw, len(texts)):
        out[:] = [t[1:-1] for t in texts]  # no JSON parser: what decode() does to each
    else:
        out[:] = decode_many(texts)
    return out, texts


def _plain_strings(raw: bytes, n: int) -> bool:
    """Whether each of the ``n`` lines of ``raw`` is a JSON string with no escape, as
    :func:`decode` reads one without the parser: a quote at each end, none between."""
    if b"\\" in raw or raw.count(b'"') != 2 * n:
        return False
    chars = np.frombuffer(raw, dtype=np.uint8)
    breaks = np.flatnonzero(chars == 10)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(chars)]])
    if ((ends - starts) < 2).any():  # each holds two quotes: two at least at its ends
        return False
    return bool((chars[starts] == 34).all() and (chars[ends - 1] == 34).all())
