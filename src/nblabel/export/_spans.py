"""Span labels as JSONL: one line per item and annotator, the shape NER tools read.

``{"id": ..., "text": ..., "spans": [{"start", "end", "label", "text"}], "annotator": ...}`` with
code point offsets (Python's, spaCy's and Prodigy's: ``doc.char_span(start, end, label)``
takes them as they are). Read back with ``pd.read_json(path, lines=True)``, the file is a
``prelabels=`` column for :func:`nblabel.annotate_spans`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_column, check_name, check_out_path, check_task, given
from .._errors import NblabelError
from .._store import LabelStore, refuse_store_target, write_atomically

_SUFFIXES = [".jsonl"]


def _plain(value: Any) -> Any:
    """An item id as plain JSON: numbers and text as they are, tuples as lists, times as ISO."""
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _line(record: dict) -> str:
    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: escaped, so the file stays valid UTF-8
        line = json.dumps(record, ensure_ascii=True)
    return line


def spans(
    store: LabelStore,
    task: str,
    data: pd.DataFrame,
    *,
    text: Hashable,
    path: str | os.PathLike,
    annotator: str | None = None,
    source: str = "annotator",
) -> pd.DataFrame:
    """Write the span labels of ``task`` to ``path`` as JSONL, with each item's text from
    ``data[text]``.

    One line per current label of each annotator (``annotator=``: one annotator's;
    ``source="review"``: the adjudicated labels), in the order they were given. Every span is
    checked against the text it is written with (``text[start:end] == span["text"]``): a label
    whose item is no longer in ``data`` or whose text changed is refused, naming the item. The
    file is written whole or not at all, and never over a label store or any SQLite file.

    Returns
    -------
    pandas.DataFrame
        The records written: columns ``id, text, spans, annotator``.

    Examples
    --------
    >>> nblabel.export.spans(store, "ner", df, text="sentence", path="ner.jsonl")  # doctest: +SKIP
    >>> pd.read_json("ner.jsonl", lines=True)                         # doctest: +SKIP
    """
    if not isinstance(store, LabelStore):
        raise NblabelError(
            f"store= must be a LabelStore, not {given(store)}: open one with "
            "nblabel.LabelStore(path), or use w.store of a labeling widget"
        )
    if not isinstance(data, pd.DataFrame):
        raise NblabelError(
            f"data= must be the DataFrame that was labeled (for the texts), not {given(data)}"
        )
    column = check_column(text, "text")
    if column not in data.columns:
        shown = ", ".join(map(repr, list(data.columns)[:10]))
        raise NblabelError(f"text={column!r} is not a column of the data; columns are: {shown}")
    if annotator is not None:
        check_name(annotator, "annotator")
    check_name(source, "source", example="annotator")
    target = check_out_path(path, "path", _SUFFIXES)
    refuse_store_target(target, what="an export")
    check_task(task, store.tasks())
    frame = store.annotations(task=task, annotator=annotator, source=source)
    if not data.index.is_unique:
        raise NblabelError("the data's index has duplicate ids: give each row its own id")
    positions = data.index.get_indexer(pd.Index(list(frame["item"]), dtype=object))
    missing = [item for item, p in zip(frame["item"], positions, strict=True) if p < 0]
    if missing:
        raise NblabelError(
            f"{len(missing)} labeled item{'s are' if len(missing) > 1 else ' is'} not in the "
            f"data (ids {', '.join(map(repr, missing[:3]))}{', …' if len(missing) > 3 else ''}): "
            "pass the DataFrame that was labeled, with the same index"
        )
    texts = data[column].to_numpy(dtype=object)[positions] if len(frame) else []
    records = []
    for item, who, label, body in zip(
        frame["item"], frame["annotator"], frame["label"], texts, strict=True
    ):
        records.append(
            {
                "id": _plain(item),
                "text": body,
                "spans": _checked(label, body, item),
                "annotator": who,
            }
        )
    write_atomically(target, lambda tmp: _write(records, tmp))
    return pd.DataFrame(records, columns=["id", "text", "spans", "annotator"])


def _checked(label: Any, body: Any, item: Any) -> list[dict]:
    if not isinstance(body, str):
        raise NblabelError(
            f"the text of item {item!r} is {given(body)}, not text: spans need the column that "
            "was labeled, as text= names it"
        )
    if not isinstance(label, list):
        raise NblabelError(
            f"the label of item {item!r} is {given(label)}, not a list of spans: export.spans "
            "writes tasks labeled with nblabel.annotate_spans (export.table writes any task)"
        )
    out = []
    for span in label:
        start, end = int(span["start"]), int(span["end"])
        shown = span.get("text", body[start:end])
        if not 0 <= start < end <= len(body) or body[start:end] != shown:
            raise NblabelError(
                f"item {item!r}: the span {start}–{end} ({shown!r}) does not fit the text given "
                f"now ({given(body[start:end], 30)} there): the data changed since it was "
                "labeled; export with the DataFrame that was labeled"
            )
        out.append({"start": start, "end": end, "label": span["label"], "text": shown})
    return out


def _write(records: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(_line(record) + "\n")
