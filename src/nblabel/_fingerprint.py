"""Fingerprints: a short, stable hash of what a row shows, stored with each label.

Labels are keyed by the row's id (the index label). When ids do not follow their rows (a default
``RangeIndex`` over re-sorted or filtered data, ids read back as another type) one id names other
content, and a label would silently sit on a text it was never given for. The fingerprint stored
with a label tells: a label whose row now hashes differently is set aside.

A fingerprint is read from the data's columns (the ``text=`` column, the ``fingerprint=``
columns, or the whole row), never by calling ``display=`` (it may be slow or heavy). Every cost
here is per label asked about, never per row of the data.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._codec import as_texts, encode, fixed_texts, join_lines, present_texts
from ._errors import NblabelError

__all__ = [
    "Fingerprinter",
    "LabelCheck",
    "check_labels",
    "data_key",
    "fingerprint_columns",
    "stored_alike",
]

#: bytes of the digest: 16 hex characters, 64 bits (a collision among a million rows of one
#: data set has a chance of about 1 in 36 million)
DIGEST_SIZE = 8
_MISSING = b"\x00"  # None, NaN, NA and NaT all hash alike: a re-read file changes which one
try:
    from pandas.arrays import NumpyExtensionArray as _NumpyArray
except ImportError:  # pragma: no cover - pandas before 2.1
    from pandas.arrays import PandasArray as _NumpyArray

_FEW = 16  # up to this many rows, cells are read one by one
# a new way of reading or hashing rows (here or in Fingerprinter) needs a new format
_CHECK_FORMAT = b"nblabel checked rows 2:"
#: a digest of n labels costs about what hashing n / _DIGEST_COST of them row by row does
_DIGEST_COST = 32
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # default reprs name a memory address: not content


def _as_bytes(value: Any) -> bytes:
    """What one value contributes to a fingerprint: its ``str()``, made stable."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (np.number, np.bool_)):
        value = value.item()  # a cell read alone is a numpy scalar, from .tolist() a Python one
    if value is None or value is pd.NA or value is pd.NaT:
        return _MISSING
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return _MISSING
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, np.ndarray):
        return f"{value.dtype.str}{value.shape}".encode() + value.tobytes()
    return _ADDRESS.sub("", str(value)).encode("utf-8", "surrogatepass")


def _add_column(digest: Any, values: Any) -> bool:
    """Add a column's values to ``digest``, framed and tagged by how they are read; ``False``
    when they can be read only one by one."""
    if isinstance(values.dtype, pd.StringDtype) or _arrow_text(values.dtype):
        if _add_arrow_texts(digest, values):
            return True
        return _add_texts(digest, np.asarray(values, dtype=object), lines=False)
    if not isinstance(values, _NumpyArray) and not isinstance(values.dtype, np.dtype):
        return False  # its text is not in the array alone (a time zone, categories, NA)
    values = np.asarray(values)
    if values.dtype.kind in "biufmM":
        digest.update(b"numbers:" + values.dtype.str.encode() + b":")
        digest.update(np.ascontiguousarray(values).tobytes())
        return True
    return values.dtype == object and _add_texts(digest, values, lines=False)


def _arrow_text(dtype: Any) -> bool:
    """Whether ``dtype`` is pandas' Arrow dtype of a text type (``string[pyarrow]`` of
    ``read_parquet(dtype_backend="pyarrow")``)."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    if arrow is None or not isinstance(dtype, getattr(pd, "ArrowDtype", ())):
        return False
    import pyarrow as pa

    view = getattr(pa.types, "is_string_view", None)  # pyarrow 16 and later
    kinds = [pa.types.is_string, pa.types.is_large_string, view]
    return any(kind is not None and kind(arrow) for kind in kinds)


def _add_arrow_texts(digest: Any, values: Any) -> bool:
    """Add a text column through its arrow buffers (no Python object per row); ``False``
    without pyarrow."""
    try:
        import pyarrow as pa

        array = values.__arrow_array__()
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        array = array.cast(pa.large_string())
    except Exception:  # no pyarrow, or one that cannot read the column
        return False
    digest.update(b"arrow texts:")
    if not len(array):
        return True
    _, offsets, data = array.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    digest.update(np.diff(ends).tobytes())
    digest.update(np.asarray(array.is_null()).tobytes())
    if data is not None:
        digest.update(memoryview(data)[ends[0] : ends[-1]])
    return True


def _add_texts(digest: Any, values: np.ndarray, *, lines: bool) -> bool:
    """Add texts to ``digest``, framed by their lengths; ``False`` when one is not text.
    ``lines``: texts that hold no line break (else ``False``), framed by one."""
    texts = values.tolist()
    try:
        joined = join_lines(texts) if lines else "".join(texts)
    except TypeError:  # a value that is not text
        return False
    if joined is None:
        return False
    if lines:
        digest.update(b"lines:")
    else:
        digest.update(b"texts:")
        digest.update(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)).tobytes())
    digest.update(joined.encode("utf-8", "surrogatepass"))
    return True


def _add_stored(digest: Any, stored: np.ndarray) -> bool:
    """Add stored fingerprints to ``digest``: as their bytes when they are ASCII of one width
    (``_codec.fixed_texts``, as a snapshot or a joined read gives them: no object each), else
    as lines (:func:`_add_texts`). The same texts take the same way in either form."""
    fixed = fixed_texts(stored)
    if fixed.dtype.kind == "S" and len(fixed):
        raw = np.ascontiguousarray(fixed).view(np.uint8)
        if raw.all():  # each of the full width: texts of several widths pad with NULs
            digest.update(b"fixed:%d:" % fixed.dtype.itemsize)
            digest.update(raw)
            return True
    return _add_texts(digest, np.asarray(as_texts(stored), dtype=object), lines=True)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).hexdigest()


def _framed(part: bytes) -> bytes:
    # a length in front of each part: ("ab", "c") and ("a", "bc") hash differently
    return b"%d:" % len(part) + part


class Fingerprinter:
    """Fingerprints of rows of ``data``, read from the columns at ``locs`` (positions).

    One column: the hash of its value. Several: the hash of (name, value) pairs, in the
    order of the names as text, so the column order of the data does not matter.
    ``rows`` maps the positions asked about to rows of ``data`` (a review's items are a few
    rows of the labeled data).
    """

    def __init__(
        self, data: pd.DataFrame, locs: Sequence[int], rows: np.ndarray | None = None
    ) -> None:
        names = [str(data.columns[loc]) for loc in locs]
        order = sorted(range(len(locs)), key=names.__getitem__)
        self._names = [_framed(names[i].encode("utf-8", "surrogatepass")) for i in order]
        self._columns = [data.iloc[:, locs[i]].array for i in order]
        self._rows = rows

    def __call__(self, positions: Sequence[int] | np.ndarray) -> list[str]:
        """The fingerprints of the rows at ``positions``, in order."""
        positions = np.asarray(positions, dtype=np.int64)
        if self._rows is not None:
            positions = self._rows[positions]
        if len(positions) <= _FEW:
            # one label saved: reading a few cells costs µs, a pyarrow take ~0.1 ms
            columns = [[column[p] for p in positions.tolist()] for column in self._columns]
        else:
            columns = [column.take(positions).tolist() for column in self._columns]
        if len(columns) == 1:
            values = columns[0]
            blake2b = hashlib.blake2b  # the hot loop of the check at construction: kept bare
            return [
                blake2b(
                    v.encode("utf-8", "surrogatepass") if type(v) is str else _as_bytes(v),
                    digest_size=DIGEST_SIZE,
                ).hexdigest()
                for v in values
            ]
        names = self._names
        rows = zip(*columns, strict=True) if columns else [()] * len(positions)
        return [
            _digest(b"".join([n + _framed(_as_bytes(v)) for n, v in zip(names, row, strict=True)]))
            for row in rows
        ]

    def digest(self, positions: np.ndarray, stored: np.ndarray) -> str | None:
        """One hash of the content at ``positions`` and of the ``stored`` fingerprints beside
        them, read as whole columns: equal digests mean each row hashes now as it did then.
        ``None`` where a column holds values read only row by row (objects other than text,
        time zones, categories) or a stored fingerprint is not plain text.

        It lets a store remember that a million labels were checked: :func:`check_labels`
        compares this one digest instead of hashing each row again (about 0.1 s a million rows
        against 1-2 µs a row).
        """
        positions = np.asarray(positions, dtype=np.int64)
        if len(stored) != len(positions):
            raise ValueError("one stored fingerprint per position")
        if self._rows is not None:
            positions = self._rows[positions]
        digest = hashlib.sha256(_CHECK_FORMAT)  # twice blake2b's speed where CPUs have SHA
        digest.update(b"%d:%d:%d:" % (DIGEST_SIZE, len(self._columns), len(positions)))
        if not _add_stored(digest, stored):
            return None
        for name, column in zip(self._names, self._columns, strict=True):
            digest.update(name)
            if not _add_column(digest, column.take(positions)):
                return None
        return digest.hexdigest()

    def one(self, position: int) -> str:
        """The fingerprint of the row at ``position``."""
        return self([position])[0]


def fingerprint_columns(
    data: pd.DataFrame, fingerprint: Any, text: Hashable | None
) -> list[int] | None:
    """Positions of the columns whose content identifies an item, from ``fingerprint=``.

    ``None`` (or ``True``): the ``text`` column when given, else every column. A column name or a
    list of them: those. ``False``: no fingerprints (labels follow the ids alone).
    """
    if fingerprint is False:
        return None
    columns = data.columns
    if callable(fingerprint):
        raise NblabelError(
            "fingerprint= takes the names of the columns whose content identifies an item "
            "(e.g. fingerprint='path'), not a function"
        )
    if fingerprint is None or fingerprint is True:
        if text is None:
            return list(range(data.shape[1]))
        names = [text]
    else:
        try:
            single = fingerprint in columns and not isinstance(fingerprint, list)
        except TypeError:  # unhashable: a list, a set
            single = False
        if not single and isinstance(fingerprint, (list, tuple, pd.Index, np.ndarray)):
            names = list(fingerprint)
        elif isinstance(fingerprint, Hashable) and not isinstance(fingerprint, (set, frozenset)):
            names = [fingerprint]
        else:
            raise NblabelError(
                "fingerprint= must be a column name, a list of column names, or False (no "
                f"check), not {fingerprint!r}"
            )
    if not names:
        raise NblabelError(
            "fingerprint= is an empty list: name the columns whose content identifies an item"
        )
    shown = ", ".join(map(repr, list(columns)[:10]))
    locs = []
    for name in names:
        try:
            loc = columns.get_loc(name)
        except (KeyError, TypeError, pd.errors.InvalidIndexError):
            raise NblabelError(
                f"fingerprint={name!r} is not a column of the data; columns are: {shown}"
            ) from None
        if not isinstance(loc, (int, np.integer)):
            raise NblabelError(
                f"the data has several columns named {name!r}: give each column its own name"
            )
        if int(loc) in locs:
            raise NblabelError(f"fingerprint= lists {name!r} more than once: give each once")
        locs.append(int(loc))
    return locs


def data_key(data: pd.DataFrame, locs: Sequence[int]) -> str:
    """A short hash of the names of the columns that identify an item (8 hex characters), to
    tell data sets apart in default task names."""
    names = sorted(str(data.columns[loc]) for loc in locs)
    return _digest(json.dumps(names, ensure_ascii=False).encode("utf-8", "surrogatepass"))[:8]


@dataclass
class LabelCheck:
    """What :func:`check_labels` found about stored labels and the data.

    ``positions``: rows of the data whose label still belongs to them. ``changed``: the event ids
    and item ids of labels whose row now shows other content. ``retyped``: pairs ``(stored id,
    data id)`` of labels stored under an id that is not in the data but whose text is.
    """

    positions: np.ndarray
    changed_events: list[int] = field(default_factory=list)
    changed_items: list[Hashable] = field(default_factory=list)
    retyped: list[tuple[Hashable, Hashable]] = field(default_factory=list)
    #: every label with a fingerprint matched its row: the digest to remember of them, in
    #: the order they were given (:meth:`Fingerprinter.digest`), and the newest event id
    #: among them; ``None`` otherwise, or when no event ids were given
    digest: str | None = None
    upto: int | None = None

    def describe(self, lead: str, limit: int = 3) -> str | None:
        """The problems found, as one message starting with ``lead``; ``None`` when all is well."""
        sentences = []
        if self.changed_items:
            n = len(self.changed_items)
            ids = ", ".join(map(repr, self.changed_items[:limit]))
            more = ", …" if n > limit else ""
            sentences.append(
                f"{n} label{'s were' if n > 1 else ' was'} given to "
                f"{'items that now show' if n > 1 else 'an item that now shows'} other "
                f"content ({'ids' if n > 1 else 'id'} {ids}{more}) and count as not labeled: "
                "the data was re-sorted, "
                "filtered or edited since, so these ids name other rows. Give each row a stable "
                'id (df.set_index("id")) so labels follow their rows, or label changed data '
                "under another task="
            )
        if self.retyped:
            n = len(self.retyped)
            stored, now = self.retyped[0]
            sentences.append(
                f"{n} label{'s are' if n > 1 else ' is'} stored for ids of another type than the "
                f"data's index (stored {stored!r}, the data has {now!r}) and left out: convert "
                f"the index back, e.g. df.index = df.index.astype({_type_name(stored)})"
            )
        if not sentences:
            return None
        return f"{lead} " + "; ".join(sentences) + "."


def _type_name(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return '"datetime64[ns]"' if value.tz is None else f'"datetime64[ns, {value.tz}]"'
    return type(value).__name__


def check_labels(
    items: pd.Index,
    stored_items: Sequence[Hashable] | np.ndarray,
    stored_fingerprints: Sequence[str | None] | None,
    event_ids: Sequence[int] | Callable[[list[Hashable]], Sequence[int | None]],
    fingerprinter: Fingerprinter | None,
    remembered: tuple[str, int] | None = None,
) -> LabelCheck:
    """Match stored labels to the rows of the data they still belong to.

    A label belongs to the row with its id unless both it and the row have a fingerprint and
    they differ (a label saved before fingerprints existed is trusted). Labels whose id is not
    in the data are checked for ids of another type (``100`` stored, ``"100"`` in the data).
    Costs are per label, not per row. ``stored_fingerprints`` may be ``None`` (no label has
    one); ``event_ids`` may be a function of the stored ids of the labels set aside (only
    those are asked for).

    ``remembered``: ``(digest, upto)`` of a check that found every label up to event id
    ``upto`` on its row (:attr:`LabelCheck.digest`). When those labels and their rows still
    have that digest, only the labels given since are hashed row by row; while they are few
    (:data:`_DIGEST_COST`) the check found stays the one remembered. It needs the event ids
    themselves (not a function).
    """
    found = items.get_indexer(_lookup(items, stored_items))
    found, retyped = stored_alike(items, stored_items, found)
    hit = np.flatnonzero(found >= 0)
    check = LabelCheck(positions=_take(found, hit).astype(np.int64))
    if fingerprinter is not None and stored_fingerprints is not None and len(hit):
        # texts, or bytes of one width (_codec.fixed_texts: from a snapshot or a joined read)
        stored = stored_fingerprints
        if getattr(stored, "dtype", np.dtype(object)).kind != "S":
            stored = np.asarray(stored, dtype=object)
        stored = _take(stored, hit)
        known = np.flatnonzero(present_texts(stored))
        if len(known):
            positions, prints = _take(check.positions, known), _take(stored, known)
            # the labels in the order given (event ids): a remembered check covers those up
            # to its newest, and labels given since are hashed row by row
            digest_of = None if callable(event_ids) else getattr(fingerprinter, "digest", None)
            to_hash, matched = np.arange(len(known)), None
            if digest_of is not None:
                given = _take(_take(np.asarray(event_ids, dtype=np.int64), hit), known)
                in_order = len(given) < 2 or bool((given[1:] > given[:-1]).all())
                order = None if in_order else np.argsort(given, kind="stable")
                ordered = given if order is None else given[order]
                if remembered is not None:
                    n_old = int(np.searchsorted(ordered, remembered[1], side="right"))
                    old = slice(n_old) if order is None else order[:n_old]
                    if n_old and digest_of(positions[old], prints[old]) == remembered[0]:
                        to_hash = np.arange(n_old, len(given)) if order is None else order[n_old:]
                        matched = remembered[0]
            bad = to_hash  # none, when nothing is left to hash
            if len(to_hash):
                now = np.asarray(fingerprinter(positions[to_hash]), dtype=object)
                bad = known[to_hash[now != as_texts(prints[to_hash])]]
            if len(bad):
                if callable(event_ids):
                    ids = _pick(stored_items, hit[bad])
                    check.changed_events = [int(e) for e in event_ids(ids) if e is not None]
                else:
                    check.changed_events = np.asarray(event_ids)[hit[bad]].tolist()
                check.changed_items = items[check.positions[bad]].tolist()
                check.positions = np.delete(check.positions, bad)
            elif matched is not None and len(to_hash) * _DIGEST_COST < len(given):
                # few labels since: the remembered check stands, and they are hashed again
                # next time (cheaper than a digest of every label now)
                check.digest, check.upto = remembered
            elif digest_of is not None:
                every = slice(None) if order is None else order
                check.digest = digest_of(positions[every], prints[every])
                check.upto = int(ordered[-1])
    missing = _pick(stored_items, np.flatnonzero(found == -1)) if len(hit) < len(found) else []
    check.retyped = retyped
    if missing and not isinstance(items, pd.MultiIndex):
        check.retyped += _retyped(items, missing)
    return check


#: ids pandas finds only under their own type, each written by encode() as it is read back
_ONE_FORM = {"string", "integer", "floating", "boolean"}


def stored_alike(
    items: pd.Index, stored: Sequence[Hashable] | np.ndarray, found: np.ndarray
) -> tuple[np.ndarray, list[tuple[Hashable, Hashable]]]:
    """``found`` (rows of ``items`` where the ``stored`` ids are, ``-1``: none) without the
    rows whose id the store writes as another text than the stored one, marked ``-2``; and
    pairs ``(stored id, data id)`` of those.

    pandas finds ``0`` at the id ``0.0``, the text ``"2024-01-01"`` at that date, and one
    instant in any time zone, but the store keys labels by the text of their id: such a label
    is not the one the widget reads, shows or replaces for that row (it would count as done
    and show no label, and a new one would leave two). Costs are per label, and nothing where
    both are whole numbers or both texts (the commonest ids).
    """
    hit = np.flatnonzero(found >= 0)
    if not len(hit):
        return found, []
    whole = isinstance(stored, np.ndarray) and stored.dtype == np.int64
    if whole and items.dtype.kind in "iu":
        return found, []
    values = _pick(stored, hit)
    data = items[found[hit]]
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind in _ONE_FORM and kind == pd.api.types.infer_dtype(data, skipna=False):
        return found, []
    alike = _same_dates(values, data) if kind == "datetime" and data.dtype.kind == "M" else None
    if alike is None:
        alike = np.fromiter(
            (_stored_as(v) == _stored_as(d) for v, d in zip(values, data, strict=True)),
            dtype=bool,
            count=len(hit),
        )
    if alike.all():
        return found, []
    found = found.copy()
    found[hit[~alike]] = -2
    other = np.flatnonzero(~alike).tolist()
    return found, [(values[k], data[k]) for k in other]


def _same_dates(values: list, data: pd.DatetimeIndex) -> np.ndarray | None:
    """:func:`stored_alike` of stored dates found at the dates ``data`` (the same instants): a
    date is stored as its wall time and offset from UTC, so those alike where the offsets
    are (none where naive); ``None`` where a value is not a Timestamp."""
    if not all(type(v) is pd.Timestamp for v in values):
        return None
    if data.tz is None:
        return np.fromiter((v.tzinfo is None for v in values), dtype=bool, count=len(values))
    if any(v.tzinfo is None for v in values):
        return None
    wall = data.tz_localize(None).as_unit("s").asi8 - data.as_unit("s").asi8  # seconds
    stored = [v.utcoffset() for v in values]
    return wall == pd.to_timedelta(stored).as_unit("s").asi8


def _stored_as(value: Any) -> str | None:
    """The text the store keeps for the id ``value`` (``None``: it keeps none)."""
    try:
        return encode(value)
    except NblabelError:
        return None


def _take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` for ascending ``rows`` (from ``flatnonzero``): ``values`` itself when
    those are all of them, as they mostly are (a million labels, no copy)."""
    return values if len(rows) == len(values) else values[rows]


def _lookup(items: pd.Index, stored: Sequence[Hashable] | np.ndarray) -> pd.Index:
    """Stored ids as an Index to look up in ``items``: whole numbers as int64 against an index
    of integers (a range index finds them by arithmetic), else as Python objects."""
    if isinstance(stored, np.ndarray) and stored.dtype == np.int64 and items.dtype.kind in "iu":
        return pd.Index(stored, copy=False)
    if isinstance(stored, np.ndarray):
        return pd.Index(stored.astype(object), dtype=object, tupleize_cols=False)
    return pd.Index(list(stored), dtype=object, tupleize_cols=False)


def _pick(stored: Sequence[Hashable] | np.ndarray, at: np.ndarray) -> list[Hashable]:
    """The stored ids at positions ``at``, as Python values (tuples stay tuples)."""
    if isinstance(stored, np.ndarray):
        return stored[at].tolist()
    return [stored[i] for i in at.tolist()]


def _retyped(items: pd.Index, missing: list) -> list[tuple[Hashable, Hashable]]:
    """Pairs (stored id, data id) of ids not in the data whose ``str()`` is a data id's (or,
    for a date, the text ``to_csv`` writes of it: the date alone at midnight)."""
    dates = items.dtype.kind == "M"
    candidates, origins = [], []  # a value to look up, and the missing id it stands for
    for at, value in enumerate(missing):
        if isinstance(value, str):
            for parse in (int, float, pd.Timestamp) if dates else (int, float):
                try:
                    candidates.append(parse(value))
                except (ValueError, TypeError, OverflowError):
                    continue
                origins.append(at)
                break
        elif not isinstance(value, (tuple, list, dict)):
            texts = [str(value)]
            if isinstance(value, pd.Timestamp) and value.tz is None and value == value.normalize():
                texts.append(str(value.date()))  # how to_csv writes dates that are midnights
            candidates += texts
            origins += [at] * len(texts)
    if not candidates:
        return []
    try:
        found = items.get_indexer(pd.Index(candidates, dtype=object))
    except (TypeError, ValueError):  # ids pandas cannot compare with the index's type
        return []
    matched = np.flatnonzero(found >= 0)
    now = items[found[matched]].tolist()
    pairs, paired = [], set()
    for k, data_id in zip(matched, now, strict=True):
        source = missing[origins[k]]  # a text read as a number or date, or a value as text
        if origins[k] not in paired and str(data_id) == (
            source if isinstance(source, str) else candidates[k]
        ):
            paired.add(origins[k])
            pairs.append((source, data_id))
    return pairs
