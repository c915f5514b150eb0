"""Position bias of comparisons: how often the candidate shown at each place on screen wins.

A compare label names a candidate, and the order its candidates were shown in is stored
beside it (``meta["shown"]``). With the sides shuffled per item, an annotator without bias
picks the first-shown candidate about 1 / N of the time; a share far above that means the
place on screen, not the answer, decided some labels.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_name, check_task, given
from .._errors import NblabelError
from .._store import LabelStore

__all__ = ["position_bias"]


def _binomial_p(successes: int, n: int, p: float) -> float:
    """Two-sided exact binomial test: the chance of a count at most as likely as this one."""
    if n == 0:
        return float("nan")
    k = np.arange(n + 1)
    log_pmf = (
        math.lgamma(n + 1)
        - np.array([math.lgamma(i + 1) + math.lgamma(n - i + 1) for i in range(n + 1)])
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )
    pmf = np.exp(log_pmf - log_pmf.max())
    return float(min(1.0, pmf[pmf <= pmf[successes] * (1 + 1e-7)].sum() / pmf.sum()))


def position_bias(store: LabelStore, task: str, *, annotator: str | None = None) -> pd.DataFrame:
    """How often the candidate shown at each screen position wins, per annotator.

    Parameters
    ----------
    store
        The label store of a compare task (:func:`nblabel.compare`).
    task
        The task's name.
    annotator
        Only this annotator (default: each annotator, and ``"all"`` of them together).

    Returns
    -------
    pandas.DataFrame
        One row per annotator (and ``"all"``), columns: ``comparisons`` (labels that chose or
        ranked candidates), ``won_at_1`` … ``won_at_N`` (the share of them won by the
        candidate shown first … last; for a ranking, the one ranked best), ``expected`` (the
        share without bias, 1 / N), ``p_value`` (exact two-sided binomial test of
        ``won_at_1`` against ``expected``) and ``extra_choices`` (labels such as ``"tie"``,
        not counted above).

    Examples
    --------
    >>> nblabel.agreement.position_bias(store, "pref")                # doctest: +SKIP
    """
    if not isinstance(store, LabelStore):
        raise NblabelError(
            f"store= must be a LabelStore, not {given(store)}: open one with "
            "nblabel.LabelStore(path), or use w.store of a compare widget"
        )
    check_task(task, store.tasks())
    if annotator is not None:
        check_name(annotator, "annotator")
    frame = store._labels_of(task, annotator)
    meta = store.event_meta(frame["event_id"].tolist())
    records: list[dict[str, Any]] = []
    for event_id, who, label in zip(
        frame["event_id"], frame["annotator"], frame["label"], strict=True
    ):
        shown = meta.get(int(event_id), {}).get("shown")
        if not shown:
            continue
        winner = label[0] if isinstance(label, list) and label else label
        place = shown.index(winner) + 1 if isinstance(winner, str) and winner in shown else None
        records.append({"annotator": who, "n": len(shown), "place": place})
    if not records:
        raise NblabelError(
            f"task {task!r} holds no comparison that recorded the order its candidates were "
            "shown in: label it with nblabel.compare(...) first"
        )
    table = pd.DataFrame(records)
    widest = int(table["n"].max())
    groups = [(who, part) for who, part in table.groupby("annotator", sort=True)]
    if annotator is None:
        groups.append(("all", table))
    rows = {}
    for who, part in groups:
        judged = part[part["place"].notna()]
        count = len(judged)
        row: dict[str, Any] = {"comparisons": count}
        for place in range(1, widest + 1):
            row[f"won_at_{place}"] = (
                float((judged["place"] == place).mean()) if count else float("nan")
            )
        expected = float((1 / judged["n"]).mean()) if count else float("nan")
        row["expected"] = expected
        first = int((judged["place"] == 1).sum())
        row["p_value"] = _binomial_p(first, count, expected) if count else float("nan")
        row["extra_choices"] = int(part["place"].isna().sum())
        rows[who] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "annotator"
    return out
