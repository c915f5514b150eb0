"""Preferences of a compare task as JSONL: one ``prompt, chosen, rejected`` line per pair.

The texts come from the data the task was labeled on (the store holds labels, not texts):
each label's item is looked up by id, and a label whose row now shows other content (its
fingerprint differs) is left out, never paired with texts it was not given for. A choice of
one candidate among N gives N - 1 pairs (the chosen one against each other); a ranking gives
every pair it orders. Extra choices such as ``"tie"`` or ``"both bad"`` prefer nothing: they
are left out, or written with ``chosen`` and ``rejected`` null when ``keep_extra=True``.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._checks import (
    check_column,
    check_flag,
    check_list,
    check_name,
    check_out_path,
    check_task,
    given,
)
from .._codec import encode
from .._content import _is_missing
from .._errors import NblabelError, NblabelWarning
from .._fingerprint import Fingerprinter
from .._store import LabelStore, refuse_store_target, write_atomically

#: Keys of every line, in order.
PREFERENCE_KEYS = [
    "item",
    "annotator",
    "prompt",
    "chosen",
    "rejected",
    "chosen_column",
    "rejected_column",
    "choice",
    "rationale",
    "scores",
]


def _column(data: pd.DataFrame, name: Any, what: str) -> int:
    try:
        loc = data.columns.get_loc(name)
    except (KeyError, TypeError):
        shown = ", ".join(map(repr, list(data.columns)[:10]))
        raise NblabelError(
            f"{what}={name!r} is not a column of data=; its columns: {shown}"
        ) from None
    if not isinstance(loc, (int, np.integer)):
        raise NblabelError(f"data= has several columns named {name!r}: give each its own name")
    return int(loc)


def _text(value: Any) -> str | None:
    return None if _is_missing(value) else value if isinstance(value, str) else str(value)


def _line(row: dict) -> str:
    try:
        text = json.dumps(row, ensure_ascii=False)
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: escaped, which JSON reads back the same
        text = json.dumps(row, ensure_ascii=True)
    return text


def preferences(
    store: LabelStore,
    task: str,
    data: pd.DataFrame,
    path: str | os.PathLike = "pref.jsonl",
    *,
    annotator: str | None = None,
    keep_extra: bool = False,
    prompt: Hashable | None = None,
    candidates: list | None = None,
) -> pd.DataFrame:
    """Write the preferences of a compare task to ``path`` as JSON lines.

    Parameters
    ----------
    store, task
        Where the labels are (a task labeled with :func:`nblabel.compare`).
    data
        The DataFrame the task was labeled on: the prompts and candidate texts are read from it.
    path
        A ``.jsonl`` file; written whole or not at all, never over a label store.
    annotator
        Only this annotator's labels (default: everyone's, one line per pair per annotator).
    keep_extra
        Also write labels that are extra choices (``"tie"``, ``"both bad"``): one line each,
        with ``chosen`` and ``rejected`` null and ``choice`` naming it. Default: left out.
    prompt, candidates
        The prompt column and candidate columns, for a task the store knows no columns of
        (the compare widget records them).

    Returns
    -------
    pandas.DataFrame
        The lines written, one row each, with the columns ``item, annotator, prompt, chosen,
        rejected, chosen_column, rejected_column, choice`` (the stored label), ``rationale``
        and ``scores`` (``{candidate: {criterion: score}}`` or null).

    Examples
    --------
    >>> nblabel.export.preferences(store, "pref", df, path="pref.jsonl")  # doctest: +SKIP
    """
    if not isinstance(store, LabelStore):
        raise NblabelError(
            f"store= must be a LabelStore, not {given(store)}: open one with "
            "nblabel.LabelStore(path), or use w.store of a compare widget"
        )
    if not isinstance(data, pd.DataFrame):
        raise NblabelError(
            f"data= must be the DataFrame the task was labeled on (its prompts and answers), "
            f"not {given(data)}"
        )
    if annotator is not None:
        check_name(annotator, "annotator")
    keep_extra = check_flag(keep_extra, "keep_extra")
    target = check_out_path(path, "path", [".jsonl"])
    refuse_store_target(target, what="an export")
    check_task(task, store.tasks())
    info = store.task_info(task) or {}
    prompt = check_column(prompt, "prompt") if prompt is not None else info.get("prompt")
    names = (
        [check_column(c, "candidates") for c in
         check_list(candidates, "candidates", "['answer_a', 'answer_b']")]
        if candidates is not None else info.get("candidates")
    )  # fmt: skip
    if prompt is None or not names:
        raise NblabelError(
            f"the store does not say which columns of task {task!r} hold the prompt and the "
            "candidates (it was not labeled with nblabel.compare): give prompt='prompt', "
            "candidates=['answer_a', 'answer_b']"
        )
    prompt_at = _column(data, prompt, "prompt")
    candidate_at = {name: _column(data, name, "candidates") for name in names}
    fingerprinter = None
    if info.get("fingerprint"):
        locs = [_column(data, c, "fingerprint") for c in info["fingerprint"]]
        fingerprinter = Fingerprinter(data, locs)

    annotators = (
        [annotator]
        if annotator is not None
        else sorted(set(store.annotations(task=task, source="annotator")["annotator"]))
    )
    labels = [
        (who, label)
        for who in annotators
        for label in sorted(store.current(task, who).values(), key=lambda c: c.event_id)
    ]
    positions = data.index.get_indexer(
        pd.Index([label.item for _, label in labels], dtype=object, tupleize_cols=False)
    )
    meta = store.event_meta(label.event_id for _, label in labels)
    missing: list = []
    changed: list = []
    rows: list[dict] = []
    for (who, label), position in zip(labels, positions, strict=True):
        if position < 0:
            missing.append(label.item)
            continue
        if (
            fingerprinter is not None
            and label.fingerprint is not None
            and fingerprinter.one(int(position)) != label.fingerprint
        ):
            changed.append(label.item)
            continue
        row = data.iloc[int(position)]
        value = label.label
        if isinstance(value, list):
            pairs = [
                (value[i], value[j]) for i in range(len(value)) for j in range(i + 1, len(value))
            ]
        elif value in candidate_at:
            pairs = [(value, other) for other in names if other != value]
        elif keep_extra:
            pairs = [(None, None)]
        else:
            continue
        base = {
            "item": json.loads(encode(label.item)),
            "annotator": who,
            "prompt": _text(row.iloc[prompt_at]),
        }
        for chosen, rejected in pairs:
            rows.append(
                {
                    **base,
                    "chosen": None if chosen is None else _text(row.iloc[candidate_at[chosen]]),
                    "rejected": None
                    if rejected is None
                    else _text(row.iloc[candidate_at[rejected]]),
                    "chosen_column": chosen,
                    "rejected_column": rejected,
                    "choice": value,
                    "rationale": label.rationale,
                    "scores": meta.get(label.event_id, {}).get("scores"),
                }
            )
    _warn_left_out(task, missing, changed)

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            for row in rows:
                out.write(_line(row) + "\n")

    write_atomically(target, write)
    # object columns: texts kept exactly (Arrow strings refuse a lone surrogate)
    return pd.DataFrame(rows, columns=PREFERENCE_KEYS, dtype=object)


def _warn_left_out(task: str, missing: list, changed: list) -> None:
    parts = []
    if missing:
        ids = ", ".join(map(repr, missing[:3])) + (", …" if len(missing) > 3 else "")
        parts.append(
            f"{len(missing)} label{'s name items' if len(missing) > 1 else ' names an item'} "
            f"not in data= (ids {ids}): pass the DataFrame the task was labeled on"
        )
    if changed:
        ids = ", ".join(map(repr, changed[:3])) + (", …" if len(changed) > 3 else "")
        parts.append(
            f"{len(changed)} label{'s were' if len(changed) > 1 else ' was'} given to "
            f"{'items that now show' if len(changed) > 1 else 'an item that now shows'} other "
            f"content (ids {ids}): give rows stable ids (df.set_index('id'))"
        )
    if parts:
        warnings.warn(
            f"export.preferences left out labels of task {task!r}: " + "; ".join(parts) + ".",
            NblabelWarning,
            stacklevel=3,
        )
