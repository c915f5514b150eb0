"""Splitting the work of a team: each item labeled by ``overlap`` different annotators.

An :class:`Assignment` is plain settings; the store does the claiming, atomically, so many
kernels on one store (PostgreSQL, or one SQLite file) never over-assign an item: each item has
``overlap`` slots, a claim takes one slot of an item its annotator has not labeled or claimed,
and a claim not labeled within ``claim_timeout`` seconds lapses, so a closed laptop does not
hold work forever. Pure: no widget library is imported here.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._checks import check_int, check_name, given
from ._errors import NblabelError
from ._store import LabelStore

__all__ = ["AssignedOrder", "Assignment"]


@dataclass(frozen=True)
class Assignment:
    """How a task's items are split among annotators.

    Parameters
    ----------
    overlap
        How many different annotators label each item (2 or more to measure agreement).
    batch
        How many items an annotator claims at a time.
    claim_timeout
        Seconds after which a claimed item that is still not labeled can go to someone else.

    Examples
    --------
    >>> plan = nblabel.Assignment(overlap=2, batch=20)                # doctest: +SKIP
    >>> plan.claim(store, "sentiment", "alice", items=df.index)      # doctest: +SKIP
    [17, 3, 42, ...]
    """

    overlap: int = 1
    batch: int = 20
    claim_timeout: float = 1800.0

    def __post_init__(self) -> None:
        check_int(self.overlap, "overlap", minimum=1)
        check_int(self.batch, "batch", minimum=1)
        timeout = self.claim_timeout
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise NblabelError(
                f"claim_timeout= must be a number of seconds above 0, such as 1800 (half an "
                f"hour), not {given(timeout)}"
            )

    def claim(
        self,
        store: LabelStore,
        task: str,
        annotator: str,
        items: Iterable[Any] | None = None,
        *,
        ranking: Iterable[Any] | None = None,
    ) -> list[Any]:
        """Claim the next batch of ``task`` for ``annotator`` and return its items, in
        priority order (the annotator's unlabeled claims first, renewed).

        ``items`` (optional) puts those items up for assignment first, their order being
        their priority; every annotator's kernel may pass the same items. An empty list means
        nothing is left for this annotator, or all that is left is claimed by others for now
        (claims lapse after ``claim_timeout`` seconds).

        ``ranking`` (optional) is this annotator's own priority, item ids most wanted first
        (e.g. a model's most uncertain items): the new claims are the top-ranked items still
        open to them (fewer than ``overlap`` annotators labeled or hold it, not labeled by
        them), and only items it names.
        """
        if not isinstance(store, LabelStore):
            raise NblabelError(f"store= must be a LabelStore, not {given(store)}")
        check_name(task, "task", "sentiment")
        check_name(annotator, "annotator")
        if items is not None:
            store.add_items(task, items, overlap=self.overlap)
        return store.claim(
            task, annotator, batch=self.batch, claim_timeout=float(self.claim_timeout),
            ranking=ranking,
        )  # fmt: skip

    def release(self, store: LabelStore, task: str, annotator: str) -> None:
        """Give back what ``annotator`` claimed on ``task`` and has not labeled."""
        store.release(task, annotator)


class AssignedOrder:
    """A session's order under an assignment: the annotator's claimed items, a batch at a time.

    An :class:`~nblabel._session.Ordering` that grows: :meth:`start` puts the data's items up
    (in ``order``, else the data's order: their priority) and returns the first batch;
    once every claimed item is labeled, :meth:`poll` claims the next batch, which the session
    appends to its queue. :attr:`waiting` is true while nothing could be claimed although
    items are left: they are claimed by others (their claims may lapse; :meth:`refresh`).

    ``order`` may also be an ordering that ranks (:class:`~nblabel.sample.ActiveLearning`):
    it ranks this annotator's candidates and every batch claimed is the top of its newest
    ranking among the items still open to them. Labels go to it as they are saved; a new
    ranking (after a refit) re-orders the open claims not yet shown and decides what is
    claimed next; nothing claimed is given back for it.
    """

    grows = True  # the session appends what poll returns, items outside its first order too

    def __init__(
        self,
        plan: Assignment,
        store: LabelStore,
        task: str,
        annotator: str,
        order: Sequence[Hashable] | Any | None = None,
    ) -> None:
        self.plan, self.store, self.task, self.annotator = plan, store, task, annotator
        ranker = hasattr(order, "start") and hasattr(order, "poll")
        self.ranker: Any = order if ranker else None
        self.order = None if order is None or ranker else list(order)
        self.waiting = False
        self._items: pd.Index | None = None
        self._open: list[Hashable] = []  # claimed, not yet labeled here, in claim order
        self._ranking: list[Hashable] | None = None

    @property
    def error(self) -> str | None:
        """The last error of the ranking ordering (claims then follow its last good ranking)."""
        return getattr(self.ranker, "error", None)

    def _claim(self) -> list[Hashable]:
        claimed = self.store.claim(
            self.task, self.annotator, batch=self.plan.batch,
            claim_timeout=float(self.plan.claim_timeout), ranking=self._ranking,
        )  # fmt: skip
        # an item of another annotator's data (not in this widget's) is left to lapse
        mine = [item for item in claimed if item in self._items]
        self._open = list(mine)
        self.waiting = not mine and self.store._work_left(self.task)
        return mine

    def _rerank(self) -> bool:
        """Take the ranking ordering's newest ranking, if it has one; True if it did."""
        if self.ranker is None:
            return False
        ranked = self.ranker.poll()
        if ranked is None:
            return False
        self._ranking = list(ranked)
        return True

    def start(self, items: pd.Index, labeled: pd.Series) -> list[Hashable]:
        self._items = items
        put_up: Any = items if self.order is None else self.order
        if self.ranker is not None:
            self._ranking = list(self.ranker.start(items, labeled))
            # the first ranking is the shared priority too; items it leaves out (labeled
            # here before) follow, for the other annotators
            ranked = set(self._ranking)
            put_up = self._ranking + [item for item in items if item not in ranked]
        self.store.add_items(self.task, put_up, overlap=self.plan.overlap)
        return self._claim()

    def admit(self, item: Hashable) -> None:
        """Refuse a label on ``item`` when its claim lapsed and another annotator took the
        slot: it would be one label more than the overlap asks."""
        if self.store.holds_slot(self.task, item, self.annotator) is False:
            raise NblabelError(
                f"your claim on item {item!r} lapsed and another annotator took it: it needs "
                "no label from you; skip it"
            )

    def observe(self, item: Hashable, label: Any) -> None:
        if label is not None and item in self._open:
            self._open.remove(item)
        if self.ranker is not None:
            self.ranker.observe(item, label)

    def poll(self) -> list[Hashable] | None:
        reranked = self._rerank()
        if self._open:
            if not reranked:
                return None
            # the open claims in the new ranking's order; the session keeps what is shown
            place = {item: rank for rank, item in enumerate(self._ranking)}
            return sorted(self._open, key=lambda item: place.get(item, len(place)))
        return self._claim() or None

    def refresh(self) -> list[Hashable] | None:
        """Claim again now (after waiting for others' claims to lapse)."""
        self._rerank()
        return self._claim() or None

    def explain(self, item: Hashable) -> dict | None:
        """Why ``item`` comes now: the ranking ordering's explanation, if it gives one."""
        explain = getattr(self.ranker, "explain", None)
        return None if explain is None else explain(item)

    def close(self) -> None:
        """Stop the ranking ordering's background work, if it has any."""
        close = getattr(self.ranker, "close", None)
        if close is not None:
            close()
