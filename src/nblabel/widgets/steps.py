"""The review_steps widget: judge each step of a chain of reasoning, one label per step; its
front end is ``static/steps.js``.

The path of one item: the question and its numbered steps show; a key labels the step marked
as current and moves the mark on; after the last step (or the first ``stop_at_first`` label)
the browser sends the list of step labels (``{kind: "label", value: "[\\"correct\\", ...]"}``),
which the kernel checks against the item's steps and stores as one annotation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import traitlets as t

from .._checks import check_column, check_options, check_rationale
from .._content import _is_missing, error_content, shown_text
from .._errors import NblabelError
from .._job import Order
from .._steps import StepRules
from .._store import LabelStore
from ._base import LabelWidget, _Intent
from ._build import build

__all__ = ["StepsWidget", "review_steps"]


@dataclass(frozen=True)
class _Judged:
    """A checked list of step labels, and notes per step (or ``None``)."""

    labels: list
    notes: list | None = None


class _StepsContent:
    """The payload of one item: the question (text) and its steps (text each)."""

    def __init__(
        self, data: pd.DataFrame, question: Hashable, steps: Hashable, rules: StepRules
    ) -> None:
        self._data = data
        self._question = data[question].array
        self._steps = data[steps].array
        self._rules = rules

    def steps(self, position: int) -> list[str]:
        return self._rules.steps(self._steps[position])

    def __call__(self, position: int) -> dict:
        try:
            question = self._question[position]
            return {
                "type": "steps",
                "question": None if _is_missing(question) else shown_text(str(question)),
                "steps": self.steps(position),
            }
        except Exception as exc:
            reason = str(exc) if isinstance(exc, NblabelError) else f"{type(exc).__name__}: {exc}"
            return error_content(f"{reason} (for the row {self._data.index[position]!r})")


class StepsWidget(LabelWidget):
    """Label each step of a chain of reasoning, item by item.

    Keys pick the label of the current step; the item is saved after its last step (or its
    first ``stop_at_first`` label). :meth:`submit` takes one label per step. Build one with
    :func:`nblabel.review_steps`.
    """

    _view: ClassVar[str] = "steps"

    steps_state = t.Dict().tag(sync=True)
    """``{"stop_at_first": JSON text of the option that ends an item, or None}``."""

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        rules: StepRules,
        question: Hashable,
        steps: Hashable,
        rationale_required: bool = False,
        **kwargs: Any,
    ) -> None:
        self._rules = rules
        self._steps_of = _StepsContent(data, question, steps, rules)
        kwargs["content"] = self._steps_of
        super().__init__(data, **kwargs)
        with self.hold_sync():
            self.rationale_required = rationale_required
            stop = rules.stop_at_first
            self.steps_state = {"stop_at_first": None if stop is None else self.options[
                list(rules.options).index(stop)]["value"]}  # fmt: skip
            self.key_help = [
                [key, f"label the current step {self._choices[target]}"]
                if isinstance(target := self._keys.resolve(key), int) else [key, does]
                for key, does in self.key_help
            ] + [["ArrowUp", "go back one step of the item (to label it again)"]]  # fmt: skip

    # -- public state ----------------------------------------------------------------------------
    @property
    def steps(self) -> list[str] | None:
        """The steps of the item on screen; ``None`` when every item is labeled."""
        position = self.session.position
        return None if position is None else self._steps_of.steps(position)

    # -- twins -----------------------------------------------------------------------------------
    def submit(
        self,
        value: Any,
        rationale: str | None = None,
        *,
        step_rationales: Sequence[str | None] | None = None,
    ) -> None:
        """Save one label per step of the item on screen (``["correct", "wrong"]``; with
        ``stop_at_first``, the list may end at that label) and show the next item.
        ``step_rationales`` gives a note (or ``None``) per step labeled."""
        labels = self._validate(value)
        notes = self._rules.check_notes(step_rationales, labels.labels)
        self._save(_Judged(labels.labels, notes), _Intent(rationale=rationale))

    # -- the base's hooks ------------------------------------------------------------------------
    def _validate(self, value: Any) -> _Judged:
        if isinstance(value, _Judged):
            return value
        if isinstance(value, Mapping) and set(value) == {"labels", "notes"}:
            # from the page: the step labels with the note typed for each step (or None)
            labels = self._validate(value["labels"]).labels
            return _Judged(labels, self._rules.check_notes(value["notes"], labels))
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise NblabelError(
                f"give one label per step, as a list such as {[self._choices[0]] * 2!r}, not "
                f"{value!r}"
            )
        # the count of steps is the item's: checked in _record, which knows the item
        return _Judged(self._rules.check(value, len(value)))

    def _record(self, value: Any, item: Hashable) -> tuple[Any, dict | None]:
        judged = self._validate(value)
        n_steps = len(self._steps_of.steps(self.session.items.get_loc(item)))
        labels = self._rules.check(judged.labels, n_steps)
        meta: dict[str, Any] = {"steps": n_steps}
        if judged.notes is not None:
            meta["step_rationales"] = judged.notes
        return labels, meta

    def _pick(self, index: int, intent: _Intent) -> None:
        steps = self.steps
        if steps is None:
            raise NblabelError("every item is labeled: there is nothing on screen to label")
        so_far = [*self.selection, index]
        stop = self._rules.stop_at_first
        label = self._choices[index]
        if len(so_far) >= len(steps) or (stop is not None and label == stop):
            self.selection = []
            self._save(_Judged([self._choices[i] for i in so_far]), intent)
            return
        self.selection = so_far

    def _confirm_value(self, sent: Any) -> Any:
        raise NblabelError(
            "a key labels the current step; the item is saved after its last step (from "
            "Python: w.submit([...]), one label per step)"
        )


def review_steps(
    data: Any,
    *,
    question: Hashable,
    steps: Hashable,
    options: Sequence[Any] = ("correct", "wrong", "unclear"),
    stop_at_first: Any = None,
    split: str | Callable[[str], Sequence[str]] | None = None,
    rationale: bool | str = False,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    order: Order = None,
    keys: Any = None,
) -> StepsWidget:
    """Judge each step of a chain of reasoning (process supervision), item by item.

    Parameters
    ----------
    data
        A DataFrame with a unique index. Never modified.
    question
        The column shown on top (the problem the steps solve).
    steps
        The column of steps: a list per row, or a text cut into steps by ``split``.
    options
        The label of one step, in order (keys ``1``, ``2``, …).
    stop_at_first
        An option that ends the item (``"wrong"``: nothing after the first wrong step is
        judged); the label then ends with it.
    split
        For a text column: a separator (``"\\n"``) or a function ``text -> [steps]``.
    rationale
        ``True``: a box for the reason behind the item's labels; ``"required"``: no label is
        saved without one. Notes per step: ``w.submit(labels, step_rationales=[...])``.
    store, annotator, task, order, keys
        As for :func:`nblabel.classify`.

    Returns
    -------
    StepsWidget
        ``w.steps`` lists the steps on screen; ``w.submit(["correct", "wrong"])`` labels
        them; :func:`nblabel.agreement.step_labels` gives agreement per step position.

    Examples
    --------
    >>> w = nblabel.review_steps(df, question="question", steps="steps",
    ...                          options=["correct", "wrong", "unclear"],
    ...                          stop_at_first="wrong")                # doctest: +SKIP
    """
    check_column(question, "question")
    check_column(steps, "steps")
    choices = check_options(options)
    rules = StepRules.build(choices, stop_at_first=stop_at_first, split=split)
    ask, required = check_rationale(rationale)
    if isinstance(data, pd.DataFrame):
        shown = ", ".join(map(repr, list(data.columns)[:10]))
        for name, what in ((question, "question"), (steps, "steps")):
            if name not in data.columns:
                raise NblabelError(
                    f"{what}={name!r} is not a column of the data; columns: {shown}"
                )
    return build(
        StepsWidget, "steps", data, choices,
        text=question, display=None, fingerprint=[question, steps], multi=False, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=ask,
        widget_options={"rules": rules, "question": question, "steps": steps,
                        "rationale_required": required},
    )  # fmt: skip
