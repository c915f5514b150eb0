"""Label events read as columns: what ``LabelStore.annotations()`` and ``w.labels`` build on.

The rows of one query are fetched a chunk at a time and each chunk is turned into columns at
once: the tuples of a million events (a tuple and six objects each) never exist together.
Ids that are whole numbers become int64, labels and the task, annotator and source (where a
filter leaves them open) become codes of their distinct texts, times become floats; only
rationales and fingerprints stay objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._codec import concat_texts, whole_numbers

__all__ = [
    "EventColumns",
    "Factorizer",
    "NotWhole",
    "concat_columns",
    "factorize_texts",
    "read_event_columns",
]

_CHUNK = 16_384  # rows per fetch: a few MB of tuples at a time


@dataclass
class EventColumns:
    """Label events, oldest first (ascending ``event_ids``), one array per column.

    ``items`` is int64 when every stored id is a whole number, else the stored texts
    (object); ``labels`` and each of ``groups`` (the columns among task, annotator and
    source that a filter left open, by name) are ``(codes, uniques)`` of the stored texts.
    """

    event_ids: np.ndarray
    items: np.ndarray
    labels: tuple[np.ndarray, np.ndarray]
    rationales: np.ndarray
    created_at: np.ndarray
    durations: np.ndarray
    groups: dict[str, tuple[np.ndarray, np.ndarray]]
    #: texts, or bytes of one width (``_codec.fixed_texts``, from a snapshot); None: not read
    fingerprints: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.event_ids)

    def take(self, rows: np.ndarray) -> EventColumns:
        """The events at ``rows`` (positions), every column alike."""
        return EventColumns(
            event_ids=self.event_ids[rows],
            items=self.items[rows],
            labels=(self.labels[0][rows], self.labels[1]),
            rationales=self.rationales[rows],
            created_at=self.created_at[rows],
            durations=self.durations[rows],
            groups={k: (codes[rows], uniques) for k, (codes, uniques) in self.groups.items()},
            fingerprints=None if self.fingerprints is None else self.fingerprints[rows],
        )


def factorize_texts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and uniques of a column of stored texts; ``None`` (SQL NULL) is a value of its
    own, the last of the uniques.

    >>> codes, uniques = factorize_texts(np.array(['"a"', None, '"b"', '"a"'], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, 2, 1, 0], ['"a"', '"b"', None])
    """
    try:
        from pandas._libs.hashtable import StringHashTable

        # pandas' string table: 2x its general object table on the few labels of a store
        uniques, codes = StringHashTable(64).factorize(values)
        if len(codes) and codes.min() < 0:  # a NULL, or a value that is not text
            raise TypeError
    except (ImportError, TypeError, ValueError):  # the general table: any value, NULL as -1
        codes, uniques = pd.factorize(values)
    codes = codes.astype(np.intp, copy=False)
    uniques = np.asarray(uniques, dtype=object)
    if len(codes) and codes.min() < 0:  # a NULL: kept as None, not as pandas' NaN
        codes = np.where(codes < 0, len(uniques), codes)
        uniques = np.append(uniques, np.array([None], dtype=object))
    return codes, uniques


def _object_table(rows: list[tuple]) -> np.ndarray:
    """Rows of a query as a 2-D object array (pandas' C loop where it has one: 3x zip)."""
    try:
        from pandas._libs.lib import to_object_array_tuples
    except ImportError:  # pragma: no cover - a pandas without it
        return np.array(rows, dtype=object)
    return to_object_array_tuples(rows)


class Factorizer:
    """Codes of stored texts given a chunk at a time, the same text getting the same code
    in every chunk.

    >>> f = Factorizer()
    >>> f.add(np.array(['"a"', '"b"'], dtype=object)).tolist()
    [0, 1]
    >>> f.add(np.array(['"b"', None], dtype=object)).tolist(), f.uniques().tolist()
    ([1, 2], ['"a"', '"b"', None])
    """

    def __init__(self) -> None:
        self._codes: dict[Any, int] = {}

    def add(self, values: np.ndarray) -> np.ndarray:
        codes, uniques = factorize_texts(values)
        known = self._codes
        to_code = np.array([known.setdefault(u, len(known)) for u in uniques], dtype=np.intp)
        return to_code[codes] if len(codes) else codes

    def uniques(self) -> np.ndarray:
        out = np.empty(len(self._codes), dtype=object)
        out[:] = list(self._codes)
        return out


def read_event_columns(
    engine: Any,
    where: str,
    params: list,
    grouped: list[str],
    *,
    fingerprint: str = "fingerprint",
    items_whole: bool | None = None,
    table_sql: str = "nblabel_events",
    scan_groups: bool = True,
) -> EventColumns | None:
    """The label events ``where`` selects (SQL after ``WHERE``) as columns, oldest first;
    ``None`` when there are none. ``grouped`` names the columns read as codes beside them
    (of task, annotator and source); ``fingerprint`` is the SQL of the fingerprint column.

    Item ids come as int64 when every one is a whole number, else as their stored texts;
    ``items_whole`` fixes that instead: ``True`` raises :class:`NotWhole` at an id that is
    not a whole number, ``False`` reads every id as its text. ``table_sql`` may add a clause to
    the table's name (SQLite's ``NOT INDEXED``).

    Where ``grouped`` are the index's last columns of the three and take few values (a store
    has few annotators), those values are found first, a seek in the index each, and every
    row brings one small number in their place rather than two or three texts to decode
    (``scan_groups=False``: not looked for, as for the few events after a snapshot).

    An engine with ``read_chunks`` hands its rows over a chunk at a time; from one without,
    they come in one chunk.
    """
    combinations = _group_combinations(engine, where, params, grouped) if scan_groups else None
    read = dict(fingerprint=fingerprint, table_sql=table_sql, combinations=combinations)
    try:
        return _read_sorted(engine, where, params, grouped, items_whole, read)
    except UnknownGroup:  # a combination written after they were found: read as texts
        read["combinations"] = None
        return _read_sorted(engine, where, params, grouped, items_whole, read)


def _read_sorted(
    engine: Any, where: str, params: list, grouped: list[str], items_whole: bool | None,
    read: dict[str, Any],
) -> EventColumns | None:  # fmt: skip
    if items_whole is None:
        try:
            columns = _read(engine, where, params, grouped, as_ints=None, **read)
        except NotWhole:  # ids of more than one type: read again, every id as its text
            columns = _read(engine, where, params, grouped, as_ints=False, **read)
    else:
        columns = _read(engine, where, params, grouped, as_ints=items_whole, **read)
    if columns is None:
        return None
    # oldest first; sorted here, since a filtered query reads the rows in index order
    ids = columns.event_ids
    if len(ids) > 1 and (np.diff(ids) < 0).any():
        columns = columns.take(np.argsort(ids, kind="stable"))
    return columns


def concat_columns(older: EventColumns, newer: EventColumns) -> EventColumns:
    """The events of ``older`` then those of ``newer``, as one set of columns: the codes of
    ``newer``'s texts are mapped onto ``older``'s, new texts coded after them. Both must read
    their ids alike (int64, or texts) and both have fingerprints, or neither."""
    if older.items.dtype != newer.items.dtype:
        raise TypeError("item ids read as whole numbers and as texts")
    if (older.fingerprints is None) != (newer.fingerprints is None):
        raise TypeError("fingerprints read in one set of columns only")
    fingerprints = None
    if older.fingerprints is not None:
        fingerprints = concat_texts(older.fingerprints, newer.fingerprints)
    return EventColumns(
        event_ids=np.concatenate([older.event_ids, newer.event_ids]),
        items=np.concatenate([older.items, newer.items]),
        labels=_concat_codes(older.labels, newer.labels),
        rationales=np.concatenate([older.rationales, newer.rationales]),
        created_at=np.concatenate([older.created_at, newer.created_at]),
        durations=np.concatenate([older.durations, newer.durations]),
        groups={k: _concat_codes(v, newer.groups[k]) for k, v in older.groups.items()},
        fingerprints=fingerprints,
    )


def _concat_codes(
    older: tuple[np.ndarray, np.ndarray], newer: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    known: dict[Any, int] = {}
    for value in older[1].tolist():
        known.setdefault(value, len(known))
    to_code = np.array([known.setdefault(v, len(known)) for v in newer[1].tolist()], np.intp)
    uniques = np.empty(len(known), dtype=object)
    uniques[:] = list(known)
    codes = to_code[newer[0]] if len(newer[0]) else newer[0].astype(np.intp)
    return np.concatenate([older[0].astype(np.intp, copy=False), codes]), uniques


class NotWhole(Exception):
    """Item ids read as whole numbers met one that is not."""


class UnknownGroup(Exception):
    """A row's task, annotator or source is none of the combinations found before the read."""


#: the columns the events' index begins with, in its order (``_engine.CURRENT_INDEX``)
_INDEXED = ("task", "annotator", "source")
#: combinations of the grouped columns read as one number per row; beyond, as their texts
MOST_GROUPS = 32
#: values of one column coded so: its CASE tries them in turn, and with 32 it costs SQLite
#: about what decoding the texts costs Python
MOST_VALUES = 16


def _group_combinations(
    engine: Any, where: str, params: list, grouped: list[str]
) -> list[tuple] | None:
    """The distinct values of the ``grouped`` columns among the events ``where`` selects, in
    the index's order: a loose index scan, a seek from each to the next. ``None`` where the
    index cannot seek so (the grouped columns are not its last of the three, or the store
    lacks it), or they are more than :data:`MOST_GROUPS`, or a column's more than
    :data:`MOST_VALUES`."""
    if not grouped or tuple(grouped) != _INDEXED[len(_INDEXED) - len(grouped) :]:
        return None
    if "nblabel_events_current" not in engine.indexes():
        return None  # an old store opened read-only: each seek would be a scan
    if getattr(engine, "seeks_row_values", False):
        found = _seek_rows(engine, where, params, grouped)
    else:
        found = _seek_columns(engine, where, params, grouped)
    if not found or len(found) > MOST_GROUPS:  # none: nothing to code
        return None
    if any(len({c[i] for c in found}) > MOST_VALUES for i in range(len(grouped))):
        return None
    return found


def _seek_rows(engine: Any, where: str, params: list, grouped: list[str]) -> list[tuple]:
    """The combinations in one query, each seek past the last one's row value (an engine
    whose index seeks to a row value, PostgreSQL: one round trip, not one per seek)."""
    columns = ", ".join(grouped)
    last = ", ".join(f"found.{c}" for c in grouped)
    sql = (
        f"WITH RECURSIVE found AS ("
        f"(SELECT {columns} FROM nblabel_events WHERE {where} ORDER BY {columns} LIMIT 1)"
        f" UNION ALL SELECT step.* FROM found, LATERAL ("
        f"SELECT {columns} FROM nblabel_events WHERE ({where}) AND ({columns}) > ({last})"
        f" ORDER BY {columns} LIMIT 1) AS step"
        f") SELECT {columns} FROM found LIMIT {MOST_GROUPS + 1}"
    )
    return [tuple(row) for row in engine.read(sql, [*params, *params])]


def _seek_columns(engine: Any, where: str, params: list, grouped: list[str]) -> list[tuple]:
    """The combinations a seek each, from each value of a column to its next (SQLite: a seek
    past a row value would walk every entry of its first column); a cheap call each."""
    found: list[tuple] = []

    def scan(fixed: tuple, depth: int) -> bool:
        column = grouped[depth]
        on = "".join(f" AND {c} = ?" for c in grouped[:depth])
        select = f"SELECT {column} FROM nblabel_events WHERE ({where}){on}"
        rows = engine.read(f"{select} ORDER BY {column} LIMIT 1", [*params, *fixed])
        while rows:
            value = rows[0][0]
            if depth + 1 < len(grouped):
                if not scan((*fixed, value), depth + 1):
                    return False
            else:
                found.append((*fixed, value))
                if len(found) > MOST_GROUPS:
                    return False
            rows = engine.read(
                f"{select} AND {column} > ? ORDER BY {column} LIMIT 1", [*params, *fixed, value]
            )
        return True

    scan((), 0)
    return found


class _GroupCode:
    """One number per row for the grouped columns of a read: each column's value coded by a
    ``CASE`` of the values found, in mixed radix (NULL: a value not found)."""

    def __init__(self, grouped: list[str], combinations: list[tuple]) -> None:
        self.grouped = grouped
        self.values = [list(dict.fromkeys(c[i] for c in combinations)) for i in range(len(grouped))]
        terms, self.params, self.radixes, radix = [], [], [], 1
        for column, values in zip(grouped, self.values, strict=True):
            whens = " ".join(f"WHEN ? THEN {code}" for code in range(len(values)))
            terms.append(f"(CASE {column} {whens} END) * {radix}")
            self.params.extend(values)
            self.radixes.append(radix)
            radix *= len(values)
        self.sql = " + ".join(terms)

    def decode(self, codes: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each column's codes and uniques, numbered in the order first read (as a
        :class:`Factorizer` numbers them)."""
        out = {}
        for column, values, radix in zip(self.grouped, self.values, self.radixes, strict=True):
            found = (codes // radix) % len(values)
            seen = pd.unique(found)
            renumber = np.zeros(len(values), dtype=np.intp)
            renumber[seen] = np.arange(len(seen))
            uniques = np.empty(len(seen), dtype=object)
            uniques[:] = [values[i] for i in seen.tolist()]
            out[column] = renumber[found], uniques
        return out


def _read(
    engine: Any,
    where: str,
    params: list,
    grouped: list[str],
    *,
    as_ints: bool | None,
    fingerprint: str,
    table_sql: str,
    combinations: list[tuple] | None,
) -> EventColumns | None:
    """:func:`read_event_columns` in the order read; ``as_ints``: item ids as int64, raising
    :class:`NotWhole` at the first chunk that has one that is not a whole number (``True``),
    as texts (``False``), or as the first chunk allows (``None``). With ``combinations``
    (:func:`_group_combinations`), the grouped columns come as one number per row, raising
    :class:`UnknownGroup` at a row of none of them."""
    selected = ["id", "item", "label", "rationale", "created_at", "duration_s"]
    no_prints = fingerprint.strip().upper() == "NULL"  # a column of NULLs: not fetched
    if not no_prints:
        selected.append(f"{fingerprint} AS fingerprint")
    coded = None if combinations is None else _GroupCode(grouped, combinations)
    selected += grouped if coded is None else [coded.sql]
    sql = f"SELECT {', '.join(selected)} FROM {table_sql} WHERE {where}"
    if coded is not None:
        params = [*coded.params, *params]  # the CASEs' values come first in the SQL
    chunks: dict[str, list[np.ndarray]] = {
        k: [] for k in ("id", "item", "rationale", "created_at", "duration_s", "fingerprint")
    }
    labels = Factorizer()
    label_codes: list[np.ndarray] = []
    groups = {column: (Factorizer(), []) for column in grouped} if coded is None else {}
    group_codes: list[np.ndarray] = []

    def consume(rows: list[tuple]) -> None:
        nonlocal as_ints
        table = _object_table(rows)
        rows.clear()  # the tuples go now: the table holds their values
        chunks["id"].append(table[:, 0].astype(np.int64))
        # copies, not views: a view would keep the chunk's whole table (every text) alive
        items = table[:, 1].copy()
        if as_ints is not False:
            try:
                items = whole_numbers(items)
            except (ValueError, TypeError, OverflowError):
                if as_ints:  # whole numbers before this chunk, or asked for
                    raise NotWhole from None
                as_ints = False  # the first chunk: every id is read as its text
            else:
                as_ints = True
        chunks["item"].append(items)
        label_codes.append(labels.add(table[:, 2]))
        chunks["rationale"].append(table[:, 3].copy())
        chunks["created_at"].append(table[:, 4].astype(float))
        chunks["duration_s"].append(table[:, 5].astype(float))
        if not no_prints:
            chunks["fingerprint"].append(table[:, 6].copy())
        first_group = 6 if no_prints else 7
        if coded is not None:
            try:
                group_codes.append(table[:, first_group].astype(np.int64))
            except TypeError:  # NULL: a value the CASEs do not name
                raise UnknownGroup from None
        for i, (factorizer, codes) in enumerate(groups.values(), start=first_group):
            codes.append(factorizer.add(table[:, i]))

    reader = getattr(engine, "read_chunks", None)
    if reader is None:
        rows = engine.read(sql, params)
        if rows:
            consume(rows)
    else:
        reader(sql, params, consume, _CHUNK)
    if not chunks["id"]:
        return None
    event_ids = np.concatenate(chunks["id"])
    if no_prints:
        fingerprints = np.full(len(event_ids), None, dtype=object)
    else:
        fingerprints = np.concatenate(chunks["fingerprint"])
    if coded is not None:
        coded_groups = coded.decode(np.concatenate(group_codes))
    else:
        coded_groups = {k: (np.concatenate(codes), f.uniques()) for k, (f, codes) in groups.items()}
    return EventColumns(
        event_ids=event_ids,
        items=np.concatenate(chunks["item"]),
        labels=(np.concatenate(label_codes), labels.uniques()),
        rationales=np.concatenate(chunks["rationale"]),
        created_at=np.concatenate(chunks["created_at"]),
        durations=np.concatenate(chunks["duration_s"]),
        groups=coded_groups,
        fingerprints=fingerprints,
    )
