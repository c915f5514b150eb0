"""Judging each step of a chain of reasoning (process supervision): the steps of an item, the
label of an item (one option per step shown), and the long table of step labels that
agreement reads.

An item's steps are a list in a column, or a text split by a rule (a separator such as
``"\\n"``, or a function ``text -> [steps]``). The label of an item is the list of its step
labels, in order; with ``stop_at_first="wrong"`` labeling ends at the first such step, so
the list may be shorter than the steps and then ends with that label. Notes per step, when
given, are stored beside the label (``meta["step_rationales"]``).

Pure: no widget library is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_task, given
from ._content import _is_missing, shown_text
from ._errors import NblabelError
from ._store import LabelStore

__all__ = ["StepRules", "step_labels"]


@dataclass(frozen=True)
class StepRules:
    """How the steps of an item are found and labeled: ``options`` per step, the option that
    ends an item (``stop_at_first``) and the rule that splits a text into steps."""

    options: tuple
    stop_at_first: Any = None
    split: str | Callable[[str], Sequence[str]] | None = None

    @classmethod
    def build(
        cls, options: Sequence[Any], *, stop_at_first: Any = None, split: Any = None
    ) -> StepRules:
        """The rules, every argument checked."""
        if stop_at_first is not None and not any(
            isinstance(stop_at_first, type(o)) and stop_at_first == o for o in options
        ):
            raise NblabelError(
                f"stop_at_first={stop_at_first!r} is not one of the options "
                f"{list(options)!r}: name the option that ends an item, e.g. "
                f"stop_at_first={options[min(1, len(options) - 1)]!r}"
            )
        if split is not None and not (callable(split) or (isinstance(split, str) and split)):
            raise NblabelError(
                "split= must be a separator such as '\\n' or a function text -> [steps], "
                f"not {given(split)}"
            )
        return cls(options=tuple(options), stop_at_first=stop_at_first, split=split)

    # -- the steps of one item -------------------------------------------------------------------
    def steps(self, value: Any) -> list[str]:
        """The steps of one cell: its list, or its text split by the rule."""
        if _is_missing(value):
            return []
        if isinstance(value, str):
            if self.split is None:
                raise NblabelError(
                    "the steps column holds text, not lists: give split='\\n' (or another "
                    "separator, or a function text -> [steps]) to cut it into steps"
                )
            parts = self.split(value) if callable(self.split) else value.split(self.split)
        elif isinstance(value, (list, tuple, np.ndarray, pd.Series)):
            parts = list(value)
        else:
            raise NblabelError(
                f"a cell of the steps column is {given(value)}: give a list of steps (or text "
                "with split=)"
            )
        steps = [shown_text(str(p)).strip() for p in parts if not _is_missing(p)]
        return [s for s in steps if s]

    # -- the label of one item -------------------------------------------------------------------
    def check(self, value: Any, n_steps: int) -> list:
        """``value`` as the label of an item with ``n_steps`` steps, or a clear error."""
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise NblabelError(
                f"give one label per step shown, as a list such as {[self.options[0]] * 2!r}, "
                f"not {given(value)}"
            )
        labels = list(value)
        for i, label in enumerate(labels):
            if not (
                isinstance(label, (str, int, float, bool, np.generic)) and label in self.options
            ):
                raise NblabelError(
                    f"step {i + 1} is labeled {given(label)}, which is not an option "
                    f"({', '.join(map(repr, self.options))})"
                )
        labels = [next(o for o in self.options if o == label) for label in labels]
        stop = self.stop_at_first
        if stop is not None and stop in labels:
            first = labels.index(stop)
            if first != len(labels) - 1:
                raise NblabelError(
                    f"step {first + 1} is {stop!r}, which ends the item (stop_at_first): "
                    f"give no labels after it ({first + 1} labels, not {len(labels)})"
                )
            if len(labels) <= n_steps:
                return labels
        if len(labels) != n_steps:
            ends = f", or fewer ending with {stop!r}" if stop is not None else ""
            raise NblabelError(
                f"this item has {n_steps} step{'s' if n_steps != 1 else ''}: give "
                f"{n_steps} labels{ends}, not {len(labels)}"
            )
        return labels

    def check_notes(self, notes: Any, labels: list) -> list | None:
        """Notes per step (``None`` or text each), one per label given."""
        if notes is None:
            return None
        if isinstance(notes, str) or not isinstance(notes, (list, tuple)):
            raise NblabelError(
                "step_rationales= must be a list with a note (or None) per step, not "
                f"{given(notes)}"
            )
        if len(notes) != len(labels):
            raise NblabelError(
                f"step_rationales= gives {len(notes)} notes for {len(labels)} step labels: give "
                "one per step labeled (None where there is nothing to say)"
            )
        for note in notes:
            if note is not None and not isinstance(note, str):
                raise NblabelError(f"step_rationales= holds {given(note)}: notes are text or None")
        return [note or None for note in notes]


def step_labels(store: LabelStore, task: str) -> pd.DataFrame:
    """The step labels of a ``review_steps`` task as a long table: one row per step labeled,
    with columns ``item`` (a tuple ``(item id, step number)``), ``annotator``, ``label`` and
    ``step`` (from 1). Every function of :mod:`nblabel.agreement` reads it: agreement per step
    position (steps an annotator did not reach, after a stop, are missing).

    Examples
    --------
    >>> nblabel.agreement.krippendorff_alpha(nblabel.agreement.step_labels(store, "steps"))
    ... # doctest: +SKIP
    """
    if not isinstance(store, LabelStore):
        raise NblabelError(f"store= must be a LabelStore, not {given(store)}")
    check_task(task, store.tasks())
    frame = store.annotations(task=task, source="annotator")
    rows = []
    for item, annotator, label in zip(
        frame["item"], frame["annotator"], frame["label"], strict=True
    ):
        if not isinstance(label, list):
            raise NblabelError(
                f"task {task!r} holds {given(label)} for item {item!r}, not a list of step "
                "labels: step_labels reads tasks labeled with nblabel.review_steps"
            )
        for step, value in enumerate(label, start=1):
            rows.append(
                {"item": (item, step), "annotator": annotator, "label": value, "step": step}
            )
    return pd.DataFrame(rows, columns=["item", "annotator", "label", "step"])
