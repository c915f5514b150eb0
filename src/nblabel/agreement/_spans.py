"""Agreement on text spans: precision, recall and F1 between two annotators, the usual NER
agreement (Hripcsak & Rothschild 2005: with no chance term to estimate, F1 is the measure).

Per pair of annotators, over the items both labeled (an empty list of spans is a label: "no
entity here"), annotator A is the reference and B the response. *Exact* match: a span of B
counts when A has a span with the same start, end and class. *Overlap* match: when A has a span
of the same class sharing at least one character. Precision is the share of B's spans matched,
recall the share of A's; F1 is their harmonic mean, the same whichever of the two is the
reference. Per class and over all classes (micro: every span counts once).
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_ids, given
from .._codec import encode
from .._errors import NblabelError
from ._input import check_annotators, long_frame, split_source

__all__ = ["OVERALL", "SPAN_COLUMNS", "spans"]

#: The ``label`` of the rows over all classes.
OVERALL = "(all)"

#: Columns of the table :func:`spans` returns.
SPAN_COLUMNS = [
    "annotator_a",
    "annotator_b",
    "match",
    "label",
    "items",
    "spans_a",
    "spans_b",
    "matched_a",
    "matched_b",
    "precision",
    "recall",
    "f1",
]

Key = tuple[int, int]


def _as_spans(value: Any, item: Any, annotator: Any) -> list[tuple[int, int, Hashable]]:
    if not isinstance(value, list):
        raise NblabelError(
            f"the label of {annotator!r} on item {item!r} is {given(value)}, not a list of "
            "spans: span agreement reads tasks labeled with nblabel.annotate_spans"
        )
    out = []
    for span in value:
        if not isinstance(span, Mapping) or not {"start", "end", "label"} <= set(span):
            raise NblabelError(
                f"the label of {annotator!r} on item {item!r} holds {given(span)}, which is "
                "not a span {'start', 'end', 'label'}"
            )
        out.append((int(span["start"]), int(span["end"]), span["label"]))
    return out


def _overlap_matched(mine: list[tuple[int, int]], theirs: list[tuple[int, int]]) -> int:
    """How many of ``mine`` share a character with one of ``theirs`` (sorted by start)."""
    if not mine or not theirs:
        return 0
    starts = [s for s, _ in theirs]
    # spans may nest: the furthest end among the spans starting before each point
    reach = list(itertools.accumulate((e for _, e in theirs), max))
    count = 0
    for start, end in mine:
        before = bisect.bisect_left(starts, end) - 1  # the last of theirs starting before end
        if before >= 0 and reach[before] > start:
            count += 1
    return count


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def _f1(precision: float, recall: float) -> float:
    if np.isnan(precision) and np.isnan(recall):
        return float("nan")
    if np.isnan(precision) or np.isnan(recall) or precision + recall == 0:
        return 0.0  # one side has spans, the other none (or none match)
    return 2 * precision * recall / (precision + recall)


def spans(
    data: Any,
    task: str | None = None,
    *,
    annotators: Sequence[Hashable] | None = None,
    classes: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Span agreement of every pair of annotators: exact and overlap F1, per class and overall.

    Parameters
    ----------
    data
        A ``LabelStore`` (with ``task=``) or its long table (``item, annotator, label``) whose
        labels are lists of spans ``{"start", "end", "label"}``. Review labels are left out.
    annotators
        The annotators to compare (default: all, in sorted order).
    classes
        The classes to report, in order (default: the task's classes when the store knows
        them, else every class used, sorted).

    Returns
    -------
    pandas.DataFrame
        One row per pair, match (``"exact"``, ``"overlap"``) and class, then the pair's overall
        row (``label == "(all)"``); columns :data:`SPAN_COLUMNS`. ``items`` counts the items both
        labeled; ``spans_a``/``spans_b`` their spans there; ``matched_a`` (A's spans that B
        matched) gives recall, ``matched_b`` precision. A class neither used gets no row;
        precision is NaN when B has no span of it (recall likewise), F1 then 0.

    Examples
    --------
    >>> nblabel.agreement.spans(store, "ner")                          # doctest: +SKIP
    """
    frame = long_frame(data, task)
    if frame is None:
        raise NblabelError(
            "span agreement needs a LabelStore with task= or a long DataFrame with columns "
            "item, annotator, label (lists of spans), not a wide table"
        )
    frame, _ = split_source(frame)
    per: dict[Hashable, dict[str, tuple[Any, list]]] = defaultdict(dict)
    for item, annotator, label in zip(
        frame["item"], frame["annotator"], frame["label"], strict=True
    ):
        per[annotator][encode(item)] = (item, _as_spans(label, item, annotator))
    names = sorted(per, key=str)
    if annotators is not None:
        annotators = check_annotators(annotators)
        unknown = [a for a in annotators if a not in per]
        if unknown:
            raise NblabelError(
                f"annotators= names {unknown!r}, who labeled nothing here: the annotators are "
                f"{names!r}"
            )
        names = list(annotators)
    if len(names) < 2:
        raise NblabelError(
            f"span agreement compares two annotators or more; there {'is' if names else 'are'} "
            f"{len(names)} ({names!r}): label the same items as another annotator first"
        )
    if classes is not None:
        classes = check_ids(classes, "classes", "['PER', 'ORG']")
    else:
        known = None
        if hasattr(data, "task_info") and task is not None:
            info = data.task_info(task) or {}
            # the widget records a span task's classes as its options
            known = info.get("classes") or info.get("options")
        used = {s[2] for labels in per.values() for _, spans_ in labels.values() for s in spans_}
        classes = list(known or []) + sorted(used - set(known or []), key=str)
    rows = []
    for a, b in itertools.combinations(names, 2):
        shared = per[a].keys() & per[b].keys()
        for match in ("exact", "overlap"):
            counts = {c: np.zeros(4, dtype=np.int64) for c in classes}
            for key in shared:
                _tally(per[a][key][1], per[b][key][1], match, counts)
            total = np.zeros(4, dtype=np.int64)
            for label in classes:
                n_a, n_b, m_a, m_b = counts[label]
                total += counts[label]
                if n_a or n_b:
                    rows.append(_row(a, b, match, label, len(shared), n_a, n_b, m_a, m_b))
            rows.append(_row(a, b, match, OVERALL, len(shared), *total))
    return pd.DataFrame(rows, columns=SPAN_COLUMNS)


def _tally(spans_a: list, spans_b: list, match: str, counts: dict[Hashable, np.ndarray]) -> None:
    by_class_a: dict[Hashable, list[Key]] = defaultdict(list)
    by_class_b: dict[Hashable, list[Key]] = defaultdict(list)
    for start, end, label in spans_a:
        by_class_a[label].append((start, end))
    for start, end, label in spans_b:
        by_class_b[label].append((start, end))
    for label in by_class_a.keys() | by_class_b.keys():
        if label not in counts:
            continue  # a class left out by classes=
        mine, theirs = sorted(by_class_a[label]), sorted(by_class_b[label])
        if match == "exact":
            hit = len(set(mine) & set(theirs))
            matched_a = matched_b = hit
        else:
            matched_a = _overlap_matched(mine, theirs)
            matched_b = _overlap_matched(theirs, mine)
        counts[label] += (len(mine), len(theirs), matched_a, matched_b)


def _row(a, b, match, label, items, n_a, n_b, m_a, m_b) -> list:
    precision, recall = _ratio(m_b, n_b), _ratio(m_a, n_a)
    return [a, b, match, label, items, int(n_a), int(n_b), int(m_a), int(m_b), precision,
            recall, _f1(precision, recall)]  # fmt: skip
