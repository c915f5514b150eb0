"""Suggestions (pre-labels): a model's proposed label for each item, computed ahead in a
background thread, cached in the store, and recorded with the human's label.

``suggest=`` is a column of the data, a function ``row -> label`` or ``row -> {label:
probability}`` (any model or LLM client), or a scikit-learn estimator with ``predict_proba``
together with its feature matrix, ``(model, X)``. A model's suggestion is stored once as a
``source="model"`` event under the model's name (annotator) with its version and score in
``meta``, so a restarted kernel does not ask the model again. The label a human then saves
records the suggestion it was shown and whether it was accepted (``meta["suggestion"]``,
``meta["accepted"]``): :func:`suggestion_report` reads them back, per model version and class.

The path of one suggestion: the widget asks :meth:`Suggester.prefetch` for the next items;
the worker thread takes the store's cached event or calls the model, stores the result and
calls the widget back; the widget shows it and pre-selects it. A model that raises or
suggests what is not an option gives a suggestion with ``error`` set: shown, never raised.

Pure: no widget library is imported here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_name, check_task, given
from ._codec import encode
from ._errors import NblabelError
from ._store import LabelStore

__all__ = ["Suggester", "Suggestion", "SuggestionReport", "suggestion_report"]


@dataclass(frozen=True)
class Suggestion:
    """A model's suggested label for one item (``label`` is ``None`` and ``error`` says why
    when it could not be had)."""

    label: Any
    model: str
    version: str | None = None
    score: float | None = None
    event_id: int | None = None
    error: str | None = None

    def recorded(self, human_label: Any) -> dict:
        """What the human's label event records about this suggestion (its ``meta``)."""
        if self.error is not None:
            return {"suggestion": {"model": self.model, "version": self.version,
                                   "error": self.error}}  # fmt: skip
        return {
            "suggestion": {
                "label": self.label,
                "model": self.model,
                "version": self.version,
                "score": self.score,
                "event_id": self.event_id,
            },
            "accepted": _same(human_label, self.label),
        }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return sorted(map(encode, a)) == sorted(map(encode, b))  # multi-label: a set
    return encode(a) == encode(b)


def _model_name(suggest: Any) -> str:
    named = getattr(suggest, "name", None)
    if isinstance(named, str) and named.strip():
        return named
    return getattr(suggest, "__name__", None) or type(suggest).__name__


class Suggester:
    """Suggestions for the rows of ``data`` from ``suggest``, checked against ``options``.

    Parameters
    ----------
    suggest
        A column name, a function ``row -> label`` or ``row -> {label: probability}``, or a
        pair ``(estimator, X)`` of a fitted scikit-learn classifier and the feature matrix
        whose rows are the data's rows.
    data
        The data being labeled.
    options
        The labels a suggestion may take; ``multi=True``: a list of them.
    store, task
        Where model suggestions are cached (``source="model"``), under ``task``.
    name, version
        The model's name (default: the column name, the function's ``name`` or ``__name__``,
        the estimator's class) and version (default: its ``version`` attribute, if any).
        A suggestion cached under another version is computed again.
    fingerprint
        A function ``position -> fingerprint`` of what the row shows (the session's). A
        suggestion is cached with it, and one cached for other content (the ids no longer
        follow their rows) is computed again.
    """

    def __init__(
        self,
        suggest: Any,
        data: pd.DataFrame,
        *,
        options: Sequence[Any],
        store: LabelStore,
        task: str,
        multi: bool = False,
        name: str | None = None,
        version: str | None = None,
        fingerprint: Callable[[int], str | None] | None = None,
    ) -> None:
        self._data = data
        self._fingerprint = fingerprint
        self._options = list(options)
        self._multi = multi
        self._store = store
        self._task = task
        self._column = None
        self._call: Callable[[int], Any]
        if isinstance(suggest, tuple):
            self._call, default_name = self._estimator(suggest), type(suggest[0]).__name__
            version = version if version is not None else getattr(suggest[0], "version", None)
        elif callable(suggest):
            self._call = lambda position: suggest(data.iloc[position])
            default_name = _model_name(suggest)
            version = version if version is not None else getattr(suggest, "version", None)
        elif isinstance(suggest, Hashable) and suggest in data.columns:
            values = data[suggest].array
            self._column = suggest
            self._call = lambda position: values[position]
            default_name = str(suggest)
        else:
            shown = ", ".join(map(repr, list(data.columns)[:8]))
            raise NblabelError(
                f"suggest= must be a column of the data (one of {shown}), a function "
                "row -> label or row -> {label: probability}, or (model, X) with a scikit-learn "
                f"classifier and its feature matrix; not {given(suggest)}"
            )
        self.model = check_name(name, "name", "my-model") if name is not None else default_name
        if version is not None and not isinstance(version, str):
            version = str(version)
        self.version: str | None = version
        self._results: dict[int, Suggestion] = {}
        self._wanted: deque[int] = deque()
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._callbacks: list[Callable[[int, Suggestion], Any]] = []

    def __repr__(self) -> str:
        return f"Suggester({self.model!r}, version={self.version!r})"

    def _estimator(self, pair: tuple) -> Callable[[int], Any]:
        if len(pair) != 2 or not hasattr(pair[0], "predict_proba"):
            raise NblabelError(
                "suggest=(model, X) takes a fitted classifier with predict_proba and its "
                f"feature matrix, not {given(pair)}"
            )
        model, features = pair
        if len(features) != len(self._data):
            raise NblabelError(
                f"suggest=(model, X): X has {len(features)} rows, the data {len(self._data)}: "
                "give one row of features per row of the data, in the same order"
            )

        def call(position: int) -> dict:
            row = (
                features.iloc[position : position + 1]
                if isinstance(features, (pd.DataFrame, pd.Series))
                else features[position : position + 1]
            )
            probabilities = np.asarray(model.predict_proba(row))[0]
            return dict(zip(list(model.classes_), probabilities.tolist(), strict=True))

        return call

    # -- one suggestion ----------------------------------------------------------------------
    def _interpret(self, raw: Any) -> tuple[Any, float | None]:
        """The suggested label and its score, from what the model returned."""
        score = None
        if isinstance(raw, dict):
            if not raw:
                raise NblabelError("the model returned no probabilities (an empty dict)")
            scores = {k.item() if isinstance(k, np.generic) else k: float(v)
                      for k, v in raw.items()}  # fmt: skip
            if self._multi:
                label = [k for k in self._options if scores.get(k, 0.0) >= 0.5]
                score = min((scores[k] for k in label), default=None)
            else:
                label = max(scores, key=scores.get)
                score = scores[label]
        else:
            label = raw.item() if isinstance(raw, np.generic) else raw
        if self._multi:
            labels = list(label) if isinstance(label, (list, tuple, set)) else [label]
            unknown = [v for v in labels if v not in self._options]
            if unknown:
                raise NblabelError(f"suggested {unknown[0]!r}, which is not an option")
            return [o for o in self._options if o in labels], score
        if isinstance(label, Hashable) and label in self._options:
            return label, score
        options = ", ".join(map(repr, self._options))
        raise NblabelError(f"suggested {given(label)}, which is not an option ({options})")

    def compute(self, position: int) -> Suggestion:
        """The suggestion for the row at ``position``, now: the store's cached one, or the
        model's (then cached). Never raises: a failure is a suggestion with ``error``."""
        item = self._data.index[position]
        shows = None if self._fingerprint is None else self._fingerprint(position)
        if self._column is None:
            try:
                cached = self._store.current_label(self._task, item, self.model, source="model")
                # a suggestion cached for what this id showed before is not this row's
                if cached is not None and cached.fingerprint == shows:
                    meta = self._store.event_meta([cached.event_id]).get(cached.event_id, {})
                    if meta.get("version") == self.version:
                        label, _ = self._interpret(cached.label)  # still an option?
                        return Suggestion(label, self.model, self.version,
                                          meta.get("score"), cached.event_id)  # fmt: skip
            except Exception:  # unreadable now, or no longer an option: ask the model again
                pass
        try:
            raw = self._call(position)
            if self._column is not None and pd.isna(raw) is True:
                return Suggestion(None, self.model, self.version, error="no suggestion (empty)")
            label, score = self._interpret(raw)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, NblabelError) else f"{type(exc).__name__}: {exc}"
            return Suggestion(None, self.model, self.version, error=reason)
        event_id = None
        if self._column is None:
            try:
                event_id = self._store.append(
                    task=self._task, item=item, annotator=self.model, label=label,
                    source="model", meta={"version": self.version, "score": score},
                    fingerprint=shows,
                )  # fmt: skip
            except Exception:  # not cached: the suggestion still stands
                event_id = None
        return Suggestion(label, self.model, self.version, score, event_id)

    # -- ahead, in the background ------------------------------------------------------------
    def on_ready(self, callback: Callable[[int, Suggestion], Any]) -> None:
        """Call ``callback(position, suggestion)`` (in the worker thread) as each is ready."""
        self._callbacks.append(callback)

    def prefetch(self, positions: Sequence[int]) -> None:
        """Compute the suggestions of ``positions`` in the background, first ones first."""
        with self._lock:
            if self._closed:
                return
            fresh = [int(p) for p in positions if int(p) not in self._results]
            for position in reversed(fresh):  # asked first, computed first
                if position in self._wanted:
                    self._wanted.remove(position)
                self._wanted.appendleft(position)
            if fresh and self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="nblabel-suggest", daemon=True
                )
                self._thread.start()
            self._ready.notify_all()

    def get(self, position: int, wait: float = 0.0) -> Suggestion | None:
        """The suggestion of ``position`` if ready (waiting up to ``wait`` seconds for it,
        asking for it first if nobody has), else ``None``."""
        position = int(position)
        with self._lock:
            if position in self._results:
                return self._results[position]
        self.prefetch([position])
        deadline = time.monotonic() + max(0.0, wait)
        with self._lock:
            while position not in self._results and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._ready.wait(left)
            return self._results.get(position)

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._wanted and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                position = self._wanted.popleft()
                if position in self._results:
                    continue
            suggestion = self.compute(position)
            with self._lock:
                self._results[position] = suggestion
                self._ready.notify_all()
            for callback in list(self._callbacks):
                # a widget's callback must not stop the worker
                with contextlib.suppress(Exception):
                    callback(position, suggestion)

    def close(self) -> None:
        """Stop the worker (a call to the model under way finishes in the background)."""
        with self._lock:
            self._closed = True
            self._ready.notify_all()


# -- the report ------------------------------------------------------------------------------
def _class_name(label: Any) -> Any:
    return tuple(label) if isinstance(label, list) else label


def _span_records(spans: dict) -> list[dict]:
    """One record per suggested span of one saved label (see ``suggestion_outcomes``)."""
    human = {"accepted": None, "changed": None, "removed": "(removed)"}
    return [
        {
            "model": spans.get("model"),
            "version": "",
            "suggested": span["label"],
            "human": span.get("to", span["label"]) if human[span["outcome"]] is None
            else human[span["outcome"]],
            "accepted": span["outcome"] == "accepted",
            "available": True,
            "outcome": span["outcome"],
        }
        for span in spans.get("spans", [])
    ]


def _shape_records(shapes: list[dict]) -> list[dict]:
    """One record per suggested shape of one saved image (see ``_edits.shape_outcomes``)."""
    return [
        {
            "model": shape.get("model"),
            "version": shape.get("version") or "",
            "suggested": shape["label"],
            "human": "(deleted)" if shape["outcome"] == "deleted"
            else shape.get("to", shape["label"]),
            "accepted": shape["outcome"] == "accepted",
            "available": True,
            "outcome": shape["outcome"],
        }
        for shape in shapes
    ]


@dataclass
class SuggestionReport:
    """How humans answered a model's suggestions: per model version, per suggested class, and
    the confusion of suggestion against human label."""

    summary: pd.DataFrame
    """Per ``(model, version)``: ``labels`` (human labels shown a suggestion), ``accepted``,
    ``acceptance`` (the share accepted) and ``unavailable`` (labels saved while the suggestion
    had failed or was not there)."""
    by_class: pd.DataFrame
    """Per ``(model, version, suggested)``: ``labels``, ``accepted``, ``acceptance``."""
    confusion: pd.DataFrame = field(repr=False)
    """Counts of ``(model, version, suggested)`` (rows) against the human label (columns)."""
    outcomes: pd.DataFrame = field(default=None, repr=False)  # type: ignore[assignment]
    """Per ``(model, version, suggested)``: how many suggestions ended each way (columns):
    ``accepted``, else ``changed`` (a label; spans: ``changed``, ``removed``; shapes:
    ``relabeled`` (same outline, other class), ``edited`` (moved or resized), ``deleted``)."""

    def __repr__(self) -> str:
        return (
            f"SuggestionReport\n{self.summary}\n\nper class:\n{self.by_class}"
            f"\n\noutcomes:\n{self.outcomes}"
        )


def suggestion_report(
    store: LabelStore, task: str, *, annotator: str | None = None
) -> SuggestionReport:
    """How often humans accepted a model's suggestions on ``task``: per model version, per
    suggested class, as a confusion table of suggestion against human label, and the count of
    each outcome (accepted, changed, edited, deleted...) per model version and class.

    Reads the current human labels (``source="annotator"``) that were saved with a
    suggestion shown (classify with ``suggest=``), or with suggested spans
    (``annotate_spans(prelabels=...)``: each suggested span counts, accepted when saved as it
    was; its human label is the class it was changed into, or ``"(removed)"``), or with
    suggested shapes (``annotate_images(prelabels=...)`` or ``assist=``: each suggested shape
    counts, accepted when saved as it was, else relabeled, edited (moved or resized) or
    deleted; its human label is its class as saved, or ``"(deleted)"``).

    Examples
    --------
    >>> report = nblabel.suggestion_report(store, "intent")          # doctest: +SKIP
    >>> report.summary, report.by_class, report.confusion             # doctest: +SKIP
    """
    if not isinstance(store, LabelStore):
        raise NblabelError(
            f"store= must be a LabelStore, not {given(store)}: open one with "
            "nblabel.LabelStore(path), or use w.store of a labeling widget"
        )
    check_task(task, store.tasks())
    if annotator is not None:
        check_name(annotator, "annotator")
    frame = store._labels_of(task, annotator)
    meta = store.event_meta(frame["event_id"].tolist())
    records = []
    for event_id, label in zip(frame["event_id"], frame["label"], strict=True):
        spans = meta.get(int(event_id), {}).get("span_suggestions")
        if spans:
            records.extend(_span_records(spans))
        records.extend(_shape_records(meta.get(int(event_id), {}).get("shape_suggestions", [])))
        suggestion = meta.get(int(event_id), {}).get("suggestion")
        if not suggestion:
            continue
        failed = "error" in suggestion
        records.append(
            {
                "model": suggestion.get("model"),
                "version": suggestion.get("version") or "",
                "suggested": None if failed else _class_name(suggestion.get("label")),
                "human": _class_name(label),
                "accepted": (not failed) and bool(meta[int(event_id)].get("accepted")),
                "available": not failed,
                "outcome": "accepted" if meta[int(event_id)].get("accepted") else "changed",
            }
        )
    if not records:
        raise NblabelError(
            f"task {task!r} holds no label saved with a suggestion shown: label it with "
            "suggest= (e.g. nblabel.classify(..., suggest='predicted')), with "
            "annotate_spans(..., prelabels=...) or annotate_images(..., prelabels=...) first"
        )
    table = pd.DataFrame(records)
    shown = table[table["available"]]
    keys = ["model", "version"]
    summary = table.groupby(keys, sort=True).agg(
        labels=("available", "sum"), accepted=("accepted", "sum")
    )
    summary["acceptance"] = summary["accepted"] / summary["labels"].where(summary["labels"] > 0)
    summary["unavailable"] = table.groupby(keys, sort=True)["available"].apply(lambda s: (~s).sum())
    summary = summary.astype({"labels": int, "accepted": int, "unavailable": int})
    by_class = shown.groupby([*keys, "suggested"], sort=True).agg(
        labels=("accepted", "size"), accepted=("accepted", "sum")
    )
    by_class["acceptance"] = by_class["accepted"] / by_class["labels"]
    by_class = by_class.astype({"labels": int, "accepted": int})
    rows = [shown["model"], shown["version"], shown["suggested"]]
    confusion = pd.crosstab(rows, shown["human"])
    outcomes = pd.crosstab(rows, shown["outcome"])
    order = ["accepted", "changed", "removed", "relabeled", "edited", "deleted"]
    outcomes = outcomes[[c for c in order if c in outcomes.columns]]
    return SuggestionReport(
        summary=summary, by_class=by_class, confusion=confusion, outcomes=outcomes
    )
