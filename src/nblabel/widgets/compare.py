"""The compare widget: which of 2…N candidate answers to a prompt is best (or their ranking),
with optional scores per criterion and a reason; its front end is ``static/compare.js``.

The path of one choice: each item's candidates are shown in a seeded shuffle
(:meth:`~nblabel._compare.Comparison.shown`), their Markdown rendered and sanitised here in
Python (:func:`~nblabel._markdown.markdown_html`); key ``2`` picks the candidate shown second,
and the browser sends that candidate's *name* (``{kind: "label", value: "\\"answer_b\\""}``),
never the side. The kernel checks it (:meth:`CompareWidget._validate`) and stores the name,
with the screen order and any scores beside it (``meta``), through the shared base.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

import pandas as pd
import traitlets as t

from .._checks import check_column, check_rationale
from .._compare import CompareLabel, Comparison
from .._content import _is_missing, error_content, shown_text
from .._errors import NblabelError
from .._job import Order
from .._keymap import Action
from .._markdown import markdown_html
from .._session import LabelingSession
from .._store import LabelStore
from ._base import LabelWidget, _Intent
from ._build import build

__all__ = ["CompareWidget", "compare"]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


class _CompareContent:
    """The payload of one item: the prompt (text) and the candidates in screen order, each as
    sanitised HTML. Never raises for one row: an error is shown in the item's place."""

    def __init__(
        self, data: pd.DataFrame, prompt: Hashable, comparison: Comparison, session: LabelingSession
    ) -> None:
        self._data = data
        self._prompt = data[prompt].array
        self._columns = {name: data[name].array for name in comparison.candidates}
        self._comparison = comparison
        self._session = session

    def shown(self, position: int) -> list[str]:
        item = self._data.index[position]
        return self._comparison.shown(self._session.task, self._session.annotator, item)

    def __call__(self, position: int) -> dict:
        try:
            prompt = self._prompt[position]
            candidates = []
            for name in self.shown(position):
                value = self._columns[name][position]
                missing = _is_missing(value)
                text = "" if missing else value if isinstance(value, str) else str(value)
                candidates.append({"name": name, "html": markdown_html(text), "missing": missing})
            return {
                "type": "compare",
                "prompt": None if _is_missing(prompt) else shown_text(str(prompt)),
                "candidates": candidates,
            }
        except Exception as exc:
            reason = str(exc) if isinstance(exc, NblabelError) else f"{type(exc).__name__}: {exc}"
            return error_content(f"{reason} (for the row {self._data.index[position]!r})")


class CompareWidget(LabelWidget):
    """Choose the best of 2…N candidate answers (or rank them), per item.

    Keys ``1``…``N`` pick the candidate shown at that place on screen; :attr:`shown` names
    them; :meth:`submit` takes candidate names. Build one with :func:`nblabel.compare`.
    """

    _view: ClassVar[str] = "compare"

    compare_state = t.Dict().tag(sync=True)
    """What the view needs to draw the choice: ``{"n": candidates, "rank": bool, "criteria":
    [...], "scale": [scores]}``."""

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        comparison: Comparison,
        prompt: Hashable,
        rationale_required: bool = False,
        session: LabelingSession,
        **kwargs: Any,
    ) -> None:
        self._comparison = comparison
        self._shown_of = _CompareContent(data, prompt, comparison, session)
        kwargs["content"] = self._shown_of
        super().__init__(data, session=session, **kwargs)
        n = len(comparison.candidates)
        with self.hold_sync():
            self.rationale_required = rationale_required
            self.compare_state = {
                "n": n,
                "rank": comparison.rank,
                "criteria": list(comparison.criteria),
                "scale": list(comparison.scale),
            }
            # keys 1…N name places on screen, not candidates: the help says so
            self.key_help = [
                [key, self._key_doc(target) if isinstance(target, int) else does]
                for (key, does), target in zip(
                    self.key_help, [self._keys.resolve(row[0]) for row in self.key_help],
                    strict=True,
                )
            ]  # fmt: skip
            extra_help = []
            if comparison.criteria:
                low, high = comparison.scale[0], comparison.scale[-1]
                extra_help.append(
                    [f"{low}–{high}", "while scores are missing: score the marked response on "
                     "the marked criterion (then the keys above choose)"]
                )  # fmt: skip
                confirm = self._keys.key_for(Action.CONFIRM)
                if confirm is not None:
                    extra_help.append([confirm, "save the choice and its scores"])
            if comparison.rank:
                extra_help.append(["Escape", "clear the ranking under way"])
            self.key_help = [*self.key_help, *extra_help]

    def _key_doc(self, index: int) -> str:
        n = len(self._comparison.candidates)
        if index >= n:
            return f"pick {self._choices[index]}"
        if self._comparison.rank:
            return f"rank the candidate shown {_ordinal(index + 1)} next (again: take it back)"
        return f"pick the candidate shown {_ordinal(index + 1)}"

    def _trail_entry(self, item: Any, value: Any) -> dict:
        # the view names a candidate by its place on screen for that item, as its card did
        entry = super()._trail_entry(item, value)
        entry["shown"] = self._comparison.shown(self.session.task, self.session.annotator, item)
        return entry

    # -- public state ---------------------------------------------------------------------------
    def _export_call(self) -> str:
        return (
            f"nblabel.export.preferences(w.store, {self.session.task!r}, df, "
            "path='preferences.jsonl')"
        )

    @property
    def shown(self) -> list[str] | None:
        """The candidate columns of the item on screen, in screen order (key ``1`` picks the
        first); ``None`` when every item is labeled."""
        position = self.session.position
        return None if position is None else self._shown_of.shown(position)

    @property
    def comparison(self) -> Comparison:
        """What this task compares: candidates, extra choices, ranking, criteria."""
        return self._comparison

    # -- twins ----------------------------------------------------------------------------------
    def submit(
        self, value: Any, rationale: str | None = None, *, scores: dict | None = None
    ) -> None:
        """Save the label of the item on screen and show the next one.

        ``value`` names a candidate (``"answer_b"``), an extra choice (``"tie"``) or, with
        ``rank=True``, all candidates best first (``["m3", "m1", "m2"]``); never a side.
        ``scores`` gives each candidate a score per criterion, ``{"answer_a": {"helpful": 4},
        ...}``, when the task has ``criteria=``.
        """
        self._save(self._comparison.check(value, scores), _Intent(rationale=rationale))

    def rank(self, ranking: Sequence[str], rationale: str | None = None) -> None:
        """Save a ranking of all candidates, best first (with ``rank=True``)."""
        if not self._comparison.rank:
            raise NblabelError("this comparison picks one candidate: build it with rank=True")
        self.submit(list(ranking), rationale)

    # -- the base's hooks -----------------------------------------------------------------------
    def _validate(self, value: Any) -> CompareLabel:
        if isinstance(value, CompareLabel):
            return value
        if isinstance(value, dict) and set(value) <= {"choice", "scores"} and "choice" in value:
            return self._comparison.check(value["choice"], value.get("scores"))  # from the view
        return self._comparison.check(value)

    def _record(self, value: Any, item: Hashable) -> tuple[Any, dict | None]:
        label = self._validate(value)
        shown = self._comparison.shown(self.session.task, self.session.annotator, item)
        return label.value, self._comparison.meta(label, shown)

    def _pick(self, index: int, intent: _Intent) -> None:
        if self.session.position is None:
            raise NblabelError("every item is labeled: there is nothing on screen to label")
        n = len(self._comparison.candidates)
        if index >= n:  # an extra choice: "tie", "both bad"
            self._save(self._validate(self._choices[index]), intent)
            return
        if self._comparison.criteria:
            raise NblabelError(
                "this comparison scores each candidate on "
                f"{', '.join(map(repr, self._comparison.criteria))}: use "
                "w.submit(choice, scores={...}) (in the widget: click the scores, then Save)"
            )
        if not self._comparison.rank:
            self._save(self._validate(self.shown[index]), intent)
            return
        # ranking by keys: the places pressed so far, in order (again: taken back)
        order = list(self.selection)
        order = [i for i in order if i != index] if index in order else [*order, index]
        if len(order) >= n - 1:
            rest = [i for i in range(n) if i not in order]
            shown = self.shown
            self.selection = []
            self._save(self._validate([shown[i] for i in order + rest]), intent)
            return
        self.selection = order

    def _confirm_value(self, sent: Any) -> Any:
        raise NblabelError(
            "Enter saves once the choice and its scores are given in the widget; from Python "
            "use w.submit(choice, scores={...})"
        )


def compare(
    data: Any,
    *,
    prompt: Hashable,
    candidates: Sequence[Hashable],
    extra_choices: Sequence[str] | None = None,
    rank: bool = False,
    criteria: Sequence[str] | None = None,
    scale: Any = range(1, 6),
    rationale: bool | str = False,
    store: LabelStore | str | os.PathLike | None = None,
    annotator: str | None = None,
    task: str | None = None,
    order: Order = None,
    keys: Any = None,
    seed: int = 0,
) -> CompareWidget:
    """Compare candidate answers to a prompt: pick the best (or rank them), item by item.

    Parameters
    ----------
    data
        A DataFrame with a unique index, one row per prompt. Never modified.
    prompt
        The column of the prompt (shown as text, on top).
    candidates
        The columns of the candidate answers (2 or more), shown side by side (stacked on
        narrow screens) in an order shuffled per item and annotator (``seed=``), their
        Markdown rendered and sanitised (no script, no event handlers, no remote images;
        code blocks kept). Labels name these columns, never a side of the screen.
    extra_choices
        Labels besides the candidates, such as ``["tie", "both bad"]`` (keys after theirs).
    rank
        ``True``: rank all candidates, best first, by pressing their keys in order (the last
        one is placed for you); the label is the list of columns.
    criteria, scale
        Score every candidate on each criterion (``["helpful", "correct"]``) with a value of
        ``scale`` (one digit each, default 1–5): in the widget digit keys score the marked
        cell in turn (or click), then a candidate's key chooses; from Python
        ``w.submit(choice, scores=...)``. Stored beside the label.
    rationale
        ``True``: a box for the reason; ``"required"``: no label is saved without one.
    store, annotator, task, order, keys
        As for :func:`nblabel.classify`.
    seed
        Seeds the order candidates are shown in (per item and annotator, the same each time).

    Returns
    -------
    CompareWidget
        ``w.shown`` names the candidates on screen in order; ``w.submit("answer_b")`` picks by
        name; ``w.labels`` and ``store.annotations()`` hold the names;
        :func:`nblabel.agreement.position_bias` measures how often each place on screen wins;
        :func:`nblabel.export.preferences` writes ``prompt, chosen, rejected`` JSONL.

    Examples
    --------
    >>> w = nblabel.compare(df, prompt="prompt", candidates=["answer_a", "answer_b"],
    ...                     extra_choices=["tie", "both bad"], rationale=True)  # doctest: +SKIP
    >>> w.shown                                                        # doctest: +SKIP
    ['answer_b', 'answer_a']
    >>> w.submit("answer_a", rationale="cites its source")            # doctest: +SKIP
    """
    check_column(prompt, "prompt")
    comparison = Comparison.build(
        list(candidates) if isinstance(candidates, (list, tuple, pd.Index)) else candidates,
        extra_choices=extra_choices, rank=rank, criteria=criteria, scale=scale, seed=seed,
    )  # fmt: skip
    ask, required = check_rationale(rationale)
    if isinstance(data, pd.DataFrame):
        shown = ", ".join(map(repr, list(data.columns)[:10]))
        for name, what in [(prompt, "prompt"), *((c, "candidates") for c in comparison.candidates)]:
            if name not in data.columns:
                raise NblabelError(
                    f"{what}={name!r} is not a column of the data; columns: {shown}"
                )
    if len(comparison.candidates) + len(comparison.extra_choices) > 9 and keys is None:
        raise NblabelError(
            f"{len(comparison.candidates)} candidates and {len(comparison.extra_choices)} extra "
            "choices need more than the keys 1–9: give fewer, or keys= for each"
        )
    fingerprint = [prompt, *comparison.candidates]
    widget = build(
        CompareWidget, "compare", data,
        [*comparison.candidates, *comparison.extra_choices],
        text=prompt, display=None, fingerprint=fingerprint, multi=False, store=store,
        annotator=annotator, task=task, order=order, keys=keys, rationale=ask,
        widget_options={"comparison": comparison, "prompt": prompt,
                        "rationale_required": required},
    )  # fmt: skip
    store_ = widget.store
    if not store_.read_only:
        info = store_.task_info(widget.session.task) or {}
        store_.set_task_info(widget.session.task, {**info, **comparison.info(prompt, fingerprint)})
    return widget
