"""The long table of a task's annotations as CSV or Parquet."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from pandas.api.types import infer_dtype

from .._checks import check_flag, check_name, check_out_path, check_task, given
from .._codec import encode
from .._errors import NblabelError
from .._optional import require
from .._store import LabelStore, refuse_store_target, write_atomically

_WRITERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: columns pandas finds to hold values of one scalar type alone (no None, no list)
_ONE_SCALAR_TYPE = {"integer", "string", "floating", "boolean"}


def _scalar_or_json(value: object) -> object:
    # lists (multi-label), tuples (MultiIndex ids) and dicts (shapes) become JSON text, so
    # one column holds one type and the file reads back the same everywhere
    if isinstance(value, (list, tuple, dict)):
        return encode(value)
    return value


def table(
    store: LabelStore,
    task: str,
    path: str | os.PathLike,
    *,
    annotator: str | None = None,
    history: bool = False,
) -> pd.DataFrame:
    """Write the annotations of ``task`` to ``path``: CSV or Parquet, chosen by the suffix.

    One row per current annotation (``history=True``: every event, with its status), the
    columns of :meth:`LabelStore.annotations`. Lists and tuples are written as JSON text.
    Returns the table written. The file is written whole or not at all (a temporary file
    renamed into place), and never over a label store or any other SQLite file.

    Examples
    --------
    >>> nblabel.export.table(store, "sentiment", "sentiment.csv")     # doctest: +SKIP
    """
    if not isinstance(store, LabelStore):
        raise NblabelError(
            f"store= must be a LabelStore, not {given(store)}: open one with "
            "nblabel.LabelStore(path), or use w.store of a labeling widget"
        )
    if annotator is not None:
        check_name(annotator, "annotator")
    history = check_flag(history, "history")
    target = check_out_path(path, "path", list(_WRITERS))
    writer = _WRITERS[target.suffix.lower()]
    refuse_store_target(target, what="an export")
    check_task(task, store.tasks())
    frame = store.annotations(task=task, annotator=annotator, history=history)
    for column in ("item", "label"):
        if infer_dtype(frame[column], skipna=False) in _ONE_SCALAR_TYPE:
            continue  # nothing to write as JSON, one type already: no call per row
        values = frame[column].map(_scalar_or_json)
        if values.map(type).nunique() > 1:  # e.g. options [0, 1, "unsure"]: one type per column
            values = frame[column].map(encode)
        frame[column] = values
    write_atomically(target, lambda tmp: _write(frame, tmp, writer, target.name))
    return frame


def _write(frame: pd.DataFrame, path: Path, writer: str, name: str) -> None:
    if writer == "csv":
        frame.to_csv(path, index=False)
        return
    require("pyarrow", extra="parquet", purpose="writing Parquet")
    try:
        frame.to_parquet(path, index=False)
    except Exception as exc:  # pyarrow's own errors name no fix
        raise NblabelError(f"could not write {name} as Parquet: {exc}") from exc
