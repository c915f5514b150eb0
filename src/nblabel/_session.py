"""The labeling session: the queue of items one annotator works through, and its moves.

Pure logic over the store: no widgets. Every widget holds one session; the tests drive it
directly. Costs per move are independent of the number of items and of how many are labeled:
the next unlabeled item is found by scanning forward in small numpy chunks from the cursor.

What a session remembers is bounded: the items shown before (for ``back()``) and the labels it
saved (for ``undo()``, which takes back only this session's own labels, never those of another
widget or process of the same annotator) are kept for the last few thousand moves.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ._codec import decode_distinct, encode
from ._errors import NblabelError, NblabelWarning, StoreError
from ._fingerprint import LabelCheck, check_labels, stored_alike
from ._store import CurrentLabel, LabelStore, _spread

__all__ = ["LabelingSession", "Ordering", "Progress"]

_SCAN_CHUNK = 256
#: How many items back() can go back through.
TRAIL_LENGTH = 2_000
#: How many of its own labels a session can undo, newest first.
UNDO_DEPTH = 1_000


@runtime_checkable
class Ordering(Protocol):
    """An order that can change while labeling (active learning).

    ``start`` returns the item ids to show; ``observe`` hears of every saved label (``None``
    after an undo); ``poll`` returns a new order of the unlabeled items when one is ready.
    """

    error: str | None

    def start(self, items: pd.Index, labeled: pd.Series) -> Sequence[Hashable]: ...

    def observe(self, item: Hashable, label: Any) -> None: ...

    def poll(self) -> Sequence[Hashable] | None: ...


@dataclass(frozen=True)
class Progress:
    """How far the annotator is through the queue."""

    done: int
    total: int

    @property
    def remaining(self) -> int:
        """Items still to label."""
        return self.total - self.done

    @property
    def fraction(self) -> float:
        """Share labeled, from 0 to 1 (1 for an empty queue)."""
        return self.done / self.total if self.total else 1.0

    def __str__(self) -> str:
        return f"{self.done} / {self.total}"


def check_items(items: pd.Index) -> None:
    """Raise a clear error for an index nblabel cannot use as item ids."""
    if len(items) == 0:
        raise NblabelError("the data is empty: give at least one row to label")
    try:
        if items.dtype == object and any(isinstance(v, (list, dict, set)) for v in items):
            raise TypeError("lists, dicts and sets cannot be ids")
        unique = items.is_unique
    except TypeError as exc:
        raise NblabelError(
            f"the data's index holds unhashable values ({exc}); use df.reset_index(drop=True) "
            "or set a column of ids as the index"
        ) from exc
    if not unique:
        duplicated = items[items.duplicated()].unique()[:5].tolist()
        raise NblabelError(
            f"the data's index has duplicate values ({duplicated!r}...): each row needs its own "
            "id. Use df.reset_index(drop=True) or set a unique column as the index"
        )
    has_nan = (
        any((codes == -1).any() for codes in items.codes)
        if isinstance(items, pd.MultiIndex)
        else items.hasnans
    )
    if has_nan:
        raise NblabelError("the data's index holds NaN: give every row an id (df.reset_index())")


def _unhashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return True
    return False


class _Identity:
    """The queue of a session in the data's order: position i at queue index i, without an
    array of every row (10 million rows would cost 80 MB and most of a build). Indexing by a
    number gives that number, by a slice the positions in it."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return np.arange(*index.indices(self.n), dtype=np.int64)
        index = int(index)
        if not -self.n <= index < self.n:
            raise IndexError(index)
        return index % self.n

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.n))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.arange(self.n, dtype=dtype or np.int64)

    def copy(self) -> np.ndarray:
        return np.arange(self.n, dtype=np.int64)


class LabelingSession:
    """One annotator working through the items of one task.

    Parameters
    ----------
    items
        The item ids (the data's index). Not copied.
    store, task, annotator
        Where labels go, and under which names.
    order
        ``None`` (the data's order), a sequence of item ids (a subset is allowed), or an
        :class:`Ordering` whose order may change while labeling.
    clock
        Monotonic seconds, for the time spent on each item; injectable for tests.
    fingerprint
        A function ``positions -> [fingerprint]`` of what the rows show (a
        :class:`~nblabel._fingerprint.Fingerprinter`). Each label is stored with the fingerprint
        of its row, and a label whose row now shows other content counts as not labeled (said
        once, in an :class:`NblabelWarning` and in :attr:`notice`). ``None``: labels follow the
        ids alone.
    """

    def __init__(
        self,
        items: pd.Index,
        *,
        store: LabelStore,
        task: str,
        annotator: str,
        order: Sequence[Hashable] | Ordering | None = None,
        source: str = "annotator",
        clock: Callable[[], float] = time.monotonic,
        fingerprint: Callable[[Sequence[int]], list[str]] | None = None,
    ) -> None:
        check_items(items)
        self.items = items
        self.store = store
        self.task = task
        self.annotator = annotator
        self.source = source
        self._clock = clock
        self._fingerprint = fingerprint
        self.notice: str | None = None
        """What the widget should say about this session's labels (set aside, other ids), or
        ``None``; each notice is also an :class:`NblabelWarning`, once."""
        self._labeled = np.zeros(len(items), dtype=bool)
        # labels whose row now shows other content (or whose id changed type) are set aside;
        # a check that found every one on its row is remembered, and not made row by row again
        remembered = (
            None if fingerprint is None else store._remembered_check(task, annotator, source)
        )
        if isinstance(order, Ordering):  # it is told the labels themselves
            existing = list(store.current(task, annotator, source).values())
            self._check = check_labels(
                items,
                [label.item for label in existing],
                [label.fingerprint for label in existing],
                [label.event_id for label in existing],
                fingerprint,
                remembered,
            )
        else:  # the items alone, read as arrays: no object per label
            held, prints, event_ids = store._labeled_events(task, annotator, source)
            self._check = check_labels(
                items,
                held,
                prints,
                (
                    (lambda ids: store.current_events(task, annotator, ids, source))
                    if event_ids is None
                    else event_ids
                ),
                fingerprint,
                remembered,
            )
        check = self._check
        if check.digest is not None and (check.digest, check.upto) != remembered:
            store._remember_check(
                task, annotator, source, check.digest, check.upto, len(check.positions)
            )
        self._labeled[self._check.positions] = True
        self._labels_warned = False
        self._set_aside = set(self._check.changed_events)
        self._ordering: Ordering | None = None
        if isinstance(order, Ordering):
            existing = [label for label in existing if label.event_id not in self._set_aside]
            self._ordering = order
            labeled_series = pd.Series(
                [label.label for label in existing],
                index=pd.Index([label.item for label in existing], dtype=object),
                dtype=object,
            )
            ranked = list(order.start(items, labeled_series))
            # labels given before count towards progress: they head the queue, done already
            done_before = [items[p] for p in np.flatnonzero(self._labeled)]
            seen = set(done_before)
            order = done_before + [item for item in ranked if item not in seen]
        if order is not None and not len(order) and getattr(self._ordering, "grows", False):
            self._set_queue(np.empty(0, dtype=np.int64))  # an assignment with nothing claimed yet
        else:
            self._set_queue(self._positions(order) if order is not None else None)
        self._trail: deque[int] = deque(maxlen=TRAIL_LENGTH)  # queue indexes visited, for back()
        # (event id, position), or (event ids, positions) for a batch
        self._saved: deque[tuple[Any, Any]] = deque(maxlen=UNDO_DEPTH)
        self._ordering_failure: str | None = None
        # the items a re-rank left where they were (the browser held them already): their
        # place says nothing of the new order's ranks
        self._queued_before_order: set[Hashable] = set()
        self._cursor = self._next_unlabeled(self._resume_index(), include_start=True)
        self._furthest = self._cursor  # the furthest queue index shown: a re-rank keeps those
        self._shown_at = clock()
        found = self._check.describe(f"Task {task!r}, annotator {annotator!r}:")
        if found is not None:
            self.notify(found)

    def _resume_index(self) -> int:
        """Queue index a new session starts from: where this annotator last moved by hand (so
        an item skipped before a restart stays skipped), else the start. An active ordering
        ranks afresh instead."""
        if self._ordering is not None:
            return 0
        try:
            place = self.store.place(self.task, self.annotator, self.source)
        except StoreError:
            return 0
        if place is None:
            return 0
        try:
            position = self.items.get_loc(place)
        except (KeyError, TypeError):  # an item no longer in the data
            return 0
        if not isinstance(position, (int, np.integer)):
            return 0
        index = self._queue_index_of(int(position))
        return index if index >= 0 else 0

    def _remember_place(self) -> None:
        # where a new session starts: a convenience, so a failed write is not worth an error
        # (a label's own write reports a store that cannot be written)
        if self.position is None:
            return
        with contextlib.suppress(StoreError):
            self.store.set_place(self.task, self.annotator, self.items[self.position], self.source)

    def notify(self, message: str) -> None:
        """Say ``message`` once: as an :class:`NblabelWarning`, and in :attr:`notice` (which the
        widget shows)."""
        self.notice = message if self.notice is None else f"{self.notice}\n{message}"
        warnings.warn(message, NblabelWarning, stacklevel=_user_stacklevel())

    def counts(self, label: CurrentLabel) -> bool:
        """Whether a stored label counts here (it was not set aside for other content)."""
        return label.event_id not in self._set_aside

    @property
    def changed_items(self) -> list[Hashable]:
        """Ids of the items whose stored label was given for other content (set aside)."""
        return list(self._check.changed_items)

    # -- queue ---------------------------------------------------------------------------------
    def _positions(self, order: Sequence[Hashable]) -> np.ndarray:
        wanted = (
            pd.Index(list(order), tupleize_cols=False) if not isinstance(order, pd.Index) else order
        )
        if len(wanted) == 0:
            raise NblabelError("order= is empty: give the item ids to label, in order")
        try:
            unique = wanted.is_unique
            positions = self.items.get_indexer(wanted)
        except TypeError:  # an id that is a list or a dict: no index holds it
            odd = next((i for i in wanted if _unhashable(i)), None)
            raise NblabelError(
                f"order= holds {odd!r} ({type(odd).__name__}), which is no item id: give the "
                "ids of the data's index (df.index), one each"
            ) from None
        if not unique:
            raise NblabelError("order= lists an item more than once: give each item id once")
        if (positions < 0).any():
            missing = wanted[positions < 0][:5].tolist()
            raise NblabelError(f"order= names items that are not in the data's index: {missing!r}")
        return positions.astype(np.int64)

    def _set_queue(self, positions: np.ndarray | None) -> None:
        if positions is None:
            self._queue: np.ndarray | _Identity = _Identity(len(self.items))
            self._queue_index = None  # identity: queue index == position
            self._done = int(self._labeled.sum())
            return
        self._queue = positions
        self._queue_index = np.full(len(self.items), -1, dtype=np.int64)
        self._queue_index[positions] = np.arange(len(positions))
        self._done = int(self._labeled[self._queue].sum())

    def _queue_index_of(self, position: int) -> int:
        return position if self._queue_index is None else int(self._queue_index[position])

    def _next_unlabeled(self, start: int, *, include_start: bool = False) -> int:
        """Queue index of the first unlabeled item after ``start`` (wrapping); len if none."""
        n = len(self._queue)
        first = start if include_start else start + 1
        # the next item is almost always free: look at a few one by one before numpy
        labeled, queue = self._labeled, self._queue
        for index in range(first, min(first + 8, n)):
            if not labeled[queue[index]]:
                return index
        for lo, hi in ((first, n), (0, min(first, n))):
            # chunks grow: a resume past a million labeled rows takes a few dozen steps
            chunk_start, size = lo, _SCAN_CHUNK
            while chunk_start < hi:
                chunk_end = min(chunk_start + size, hi)
                free = np.flatnonzero(~self._labeled[self._queue[chunk_start:chunk_end]])
                if len(free):
                    return chunk_start + int(free[0])
                chunk_start, size = chunk_end, min(size * 2, 1 << 20)
        return n

    # -- state ---------------------------------------------------------------------------------
    @property
    def position(self) -> int | None:
        """Row position (in the data) of the item on screen, or ``None`` when all are done."""
        if self._cursor >= len(self._queue):
            return None
        return int(self._queue[self._cursor])

    @property
    def current(self) -> Hashable | None:
        """Id of the item on screen, or ``None`` when every item is labeled."""
        position = self.position
        return None if position is None else self.items[position]

    @property
    def progress(self) -> Progress:
        return Progress(self._done, len(self._queue))

    def is_labeled(self, position: int) -> bool:
        return bool(self._labeled[position])

    def current_label(self) -> CurrentLabel | None:
        """The saved label of the item on screen (after back/undo/goto), else ``None``."""
        position = self.position
        if position is None or not self._labeled[position]:
            return None
        return self.store.current_label(
            self.task, self.items[position], self.annotator, self.source
        )

    def upcoming(self, count: int) -> list[int]:
        """Positions of the next ``count`` items that a submit would show, in order."""
        out: list[int] = []
        index = self._cursor
        n = len(self._queue)
        while len(out) < count:
            index = self._next_unlabeled(index)
            if index >= n or (out and int(self._queue[index]) == out[0]):
                break
            position = int(self._queue[index])
            if position == self.position:
                break
            out.append(position)
        return out

    # -- moves ---------------------------------------------------------------------------------
    def _move_to(self, queue_index: int) -> None:
        if queue_index != self._cursor and self._cursor < len(self._queue):
            self._trail.append(self._cursor)
        self._show(queue_index)

    def _show(self, queue_index: int) -> None:
        self._cursor = queue_index
        if queue_index < len(self._queue):
            self._furthest = max(self._furthest, queue_index)
        self._shown_at = self._clock()

    def _position_of(self, item: Hashable) -> int:
        try:
            position = self.items.get_loc(item)
        except (KeyError, TypeError):
            raise NblabelError(
                f"item={item!r} is not an item of the data: give an id of its index, such as "
                f"{self.items[0]!r}"
            ) from None
        if not isinstance(position, (int, np.integer)):
            raise NblabelError(f"item={item!r} does not name a single item of the data")
        return int(position)

    def fingerprint_at(self, position: int) -> str | None:
        """The fingerprint of what the row at ``position`` shows (stored with its label);
        ``None`` when labels follow the ids alone."""
        return None if self._fingerprint is None else self._fingerprint([position])[0]

    def submit(
        self,
        value: Any,
        rationale: str | None = None,
        *,
        item: Hashable | None = None,
        duration_s: float | None = None,
        meta: dict | None = None,
    ) -> int:
        """Save ``value`` as the label of the item on screen (or of ``item``) and move on.

        The label is committed to the store before this returns. Returns the event id. Once the
        label is saved nothing raises: an active ordering that fails is reported through
        :attr:`ordering_error` and labeling goes on in the last order.
        """
        position = self.position if item is None else self._position_of(item)
        if position is None:
            raise NblabelError("every item is labeled: there is nothing on screen to label")
        if duration_s is None and position == self.position:
            # a wall clock set back while the item showed would give a negative time
            duration_s = max(0.0, self._clock() - self._shown_at)
        admit = getattr(self._ordering, "admit", None)
        if admit is not None:  # an assignment: the item's slot must still be this annotator's
            admit(self.items[position])
        event_id = self.store.append(
            task=self.task,
            item=self.items[position],
            annotator=self.annotator,
            label=value,
            rationale=rationale or None,
            duration_s=duration_s,
            source=self.source,
            meta=meta,
            fingerprint=self.fingerprint_at(position),
        )
        self._mark(position, True)
        self._saved.append((event_id, position))
        self._tell_ordering(self.items[position], value)
        if position == self.position:
            self._move_to(self._next_unlabeled(self._cursor))
        return event_id

    def submit_batch(
        self,
        positions: Sequence[int],
        values: Sequence[Any],
        *,
        rationale: str | None = None,
        duration_s: float | None = None,
        meta: dict | None = None,
    ) -> list[int]:
        """Save ``values[i]`` as the label of the item at row ``positions[i]``, all in ONE
        store transaction (a page of a grid): every label is committed when this returns, or
        none is. :meth:`undo` takes the batch back as one step. The cursor stays where it is
        (the caller moves on). Returns the event ids, in the order of ``positions``."""
        positions = [int(p) for p in positions]
        if not positions:
            raise NblabelError("nothing to save: give at least one item and its label")
        admit = getattr(self._ordering, "admit", None)
        if admit is not None:
            for position in positions:
                admit(self.items[position])
        ids = self.store.append_many(
            task=self.task,
            items=[self.items[p] for p in positions],
            annotator=self.annotator,
            labels=list(values),
            source=self.source,
            meta=meta,
            rationale=rationale or None,
            duration_s=duration_s,
            fingerprints=None if self._fingerprint is None else self._fingerprint(positions),
        )
        for position in positions:
            self._mark(position, True)
        self._saved.append((tuple(ids), tuple(positions)))  # one step for undo()
        for position, value in zip(positions, values, strict=True):
            self._tell_ordering(self.items[position], value)
        return ids

    @property
    def queue_index(self) -> int | None:
        """Place of the item on screen in the queue (0 first), ``None`` when all are done."""
        return self._cursor if self._cursor < len(self._queue) else None

    def queue_positions(self, start: int, stop: int) -> np.ndarray:
        """Row positions of the queue's items from ``start`` up to ``stop`` (a page)."""
        return np.asarray(self._queue[max(0, start) : min(stop, len(self._queue))], np.int64)

    def queue_index_of(self, position: int) -> int:
        """Place of the item at row ``position`` in the queue, ``-1`` if it is not in it."""
        return self._queue_index_of(int(position))

    def first_unlabeled_from(self, queue_index: int) -> int | None:
        """Queue index of the first unlabeled item at or after ``queue_index`` (wrapping
        round), ``None`` when every item is labeled. Moves nothing."""
        n = len(self._queue)
        found = self._next_unlabeled(min(max(0, queue_index), n), include_start=True)
        return found if found < n else None

    def show_unlabeled_from(self, queue_index: int) -> None:
        """Show the first unlabeled item at or after ``queue_index`` (wrapping round), like a
        move by hand (:meth:`back` returns from it); all done when there is none."""
        found = self.first_unlabeled_from(queue_index)
        self._move_to(len(self._queue) if found is None else found)
        self._remember_place()

    def _mark(self, position: int, labeled: bool) -> None:
        if self._labeled[position] != labeled:
            self._labeled[position] = labeled
            if self._queue_index_of(position) >= 0:
                self._done += 1 if labeled else -1

    def skip(self) -> None:
        """Leave the item on screen unlabeled and show the next unlabeled one."""
        if self.position is not None:
            self._move_to(self._next_unlabeled(self._cursor))
            self._remember_place()

    def back(self) -> bool:
        """Show the previously shown item again. Returns ``False`` at the start.

        The last :data:`TRAIL_LENGTH` items shown are remembered; older ones are forgotten.
        """
        if not self._trail:
            return False
        self._show(self._trail.pop())
        self._remember_place()
        return True

    def goto(self, item: Hashable) -> None:
        """Show ``item`` (labeled or not) next; it must be in the queue."""
        queue_index = self._queue_index_of(self._position_of(item))
        if queue_index < 0:
            raise NblabelError(
                f"item={item!r} is in the data but not in this widget's order: build the "
                "widget with it in order= to show it"
            )
        self._move_to(queue_index)
        self._remember_place()

    def undo(self) -> Hashable | None:
        """Undo the newest label this session saved and has not undone, and show its item.

        Only this session's own labels are undone (the last :data:`UNDO_DEPTH` of them), never
        one saved by another session, widget or process, even of the same annotator and task.
        Returns the item whose label was undone, or ``None`` when this session has nothing
        left to undo. An undone relabel brings the label before it back. A label the store
        refuses to undo (undone meanwhile by someone else) is dropped from this session's
        list and the store's :class:`NblabelError` propagates; a failed write
        (:class:`StoreError`) keeps it, to try again.
        """
        if not self._saved:
            return None
        event_id, position = self._saved[-1]
        try:
            if isinstance(event_id, tuple):  # a batch (submit_batch): all of it, one step
                self.store.undo_many(event_id, annotator=self.annotator)
            else:
                self.store.undo(event_id, annotator=self.annotator)
        except NblabelError:
            self._saved.pop()
            raise
        self._saved.pop()
        batch = position if isinstance(position, tuple) else (position,)
        for one in batch:
            self._restore(one)
        # the batch's first item in the queue is shown
        position = min(batch, key=lambda p: (self._queue_index_of(p) < 0, self._queue_index_of(p)))
        item = self.items[position]
        queue_index = self._queue_index_of(position)
        if queue_index >= 0:
            # back() from the undone item goes to the item before it in the queue, never to
            # the item on screen when undo was pressed (further on)
            while self._trail and self._trail[-1] >= queue_index:
                self._trail.pop()
            if queue_index > 0 and (not self._trail or self._trail[-1] != queue_index - 1):
                self._trail.append(queue_index - 1)
            self._show(queue_index)
            self._remember_place()
        return item

    def _restore(self, position: int) -> None:
        """After an undo: the item counts as labeled again if an earlier label of it stands."""
        item = self.items[position]
        try:
            still = self.store.current_label(self.task, item, self.annotator, self.source)
        except StoreError:  # the undo is saved: never raise; the item's label is read again
            still = None  # when it is shown, and that read reports the error
        if still is not None and not self.counts(still):
            still = None  # the label before was given for other content: still set aside
        self._mark(position, still is not None)
        self._tell_ordering(item, None if still is None else still.label)

    # -- ordering ------------------------------------------------------------------------------
    def _tell_ordering(self, item: Hashable, label: Any) -> None:
        """Tell an active ordering of a new label (``None``: undone) and take its new order.

        Runs after the store has the label: an ordering that raises is reported through
        :attr:`ordering_error`, never raised, and labeling goes on in the last order.
        """
        if self._ordering is None:
            return
        try:
            self._ordering.observe(item, label)
            self._apply_new_order()
        except Exception as exc:
            self._ordering_failure = f"{type(exc).__name__}: {exc}"
        else:
            self._ordering_failure = None

    def _apply_new_order(self, keep_ahead: int = 3, new: Sequence[Hashable] | None = None) -> None:
        if new is None:
            new = self._ordering.poll() if self._ordering is not None else None
        if new is None:
            return
        # Keep in place every item shown so far (up to the furthest point reached, even after
        # going back: the trail and back() name them by queue index), the few items the
        # browser already holds, and every labeled item; re-rank the rest. Items the new
        # order leaves out stay at the end: an item never leaves the queue.
        queue = self._queue
        shown = queue[: self._furthest + 1]
        ahead = np.asarray(self.upcoming(keep_ahead), dtype=np.int64)
        self._queued_before_order = {self.items[p] for p in ahead.tolist()}
        later = queue[self._furthest + 1 :]
        labeled_later = later[self._labeled[later]]
        ranked = self._positions(new) if len(new) else np.empty(0, dtype=np.int64)
        keep = np.concatenate([shown, ahead[~np.isin(ahead, shown)]])
        keep = np.concatenate([keep, labeled_later[~np.isin(labeled_later, keep)]])
        rest = ranked[~np.isin(ranked, keep) & ~self._labeled[ranked]]
        if self._queue_index is not None and not getattr(self._ordering, "grows", False):
            rest = rest[self._queue_index[rest] >= 0]  # never add items outside the order
        placed = np.concatenate([keep, rest])
        left_out = later[~np.isin(later, placed)]
        cursor, furthest = self._cursor, self._furthest
        self._set_queue(np.concatenate([placed, left_out]))
        self._cursor, self._furthest = cursor, furthest

    @property
    def waiting(self) -> bool:
        """Items are left, but every one is claimed by other annotators for now (an
        assignment): :meth:`refresh_order` asks again."""
        return bool(getattr(self._ordering, "waiting", False)) and self.position is None

    def refresh_order(self) -> bool:
        """Ask a growing ordering (an assignment) for more items now, e.g. once others' claims
        lapsed while this session was waiting; True if the item on screen changed."""
        refresh = getattr(self._ordering, "refresh", None)
        if refresh is None:
            return False
        before = self.position
        new = refresh()
        if new:
            self._apply_new_order(new=new)
            if self.position is None:
                self._show(self._next_unlabeled(self._cursor, include_start=True))
        return self.position != before

    def why(self, item: Hashable) -> dict | None:
        """Why an active ordering shows ``item`` now (its ``explain``), else ``None``; with
        ``queued: True`` when the item kept the place it had before the last re-rank."""
        explain = getattr(self._ordering, "explain", None)
        if explain is None:
            return None
        try:
            why = explain(item)
        except Exception:  # an explanation must never stop the labeling
            return None
        if isinstance(why, dict) and item in self._queued_before_order:
            why = {**why, "queued": True}
        return why

    @property
    def ordering_error(self) -> str | None:
        """The last error of an active ordering (labeling goes on in the last good order)."""
        if self._ordering is None:
            return None
        return self._ordering_failure or self._ordering.error

    # -- results -------------------------------------------------------------------------------
    def labels(self) -> pd.DataFrame:
        """This annotator's current labels, indexed like the data (in data order)."""
        parts = self.store._annotation_parts(self.task, self.annotator, self.source)
        if parts is None:
            current = np.empty(0, dtype=np.intp)
            event_ids = np.empty(0, dtype=np.int64)
            item_codes, item_uniques = current, np.empty(0, dtype=object)
            label_codes, label_uniques = current, np.empty(0, dtype=object)
            rationales, created_at, durations = np.empty(0, dtype=object), np.empty(0), np.empty(0)
        else:
            current = np.flatnonzero(parts.is_current)  # oldest first
            columns = parts.columns
            event_ids = columns.event_ids[current]
            item_codes, item_uniques = parts.codes["item"]
            item_codes = item_codes[current]
            label_codes, label_uniques = parts.codes["label"]
            label_codes = label_codes[current]
            rationales = columns.rationales[current]
            created_at, durations = columns.created_at[current], columns.durations[current]
            parts = columns = None
        # each distinct item is looked up once, and its row spread to its labels
        if item_uniques.dtype.kind == "i":
            values = item_uniques
            ids = pd.Index(item_uniques)  # whole numbers: what an Index of them infers
        else:
            values = decode_distinct(item_uniques)[0]
            ids = _id_index(values.tolist())
        # a label stored under another text of the id (0 for 0.0) is not this row's: the
        # session counts it as not labeled (check_labels), and so it is left out here
        found, _ = stored_alike(self.items, values, self.items.get_indexer(ids))
        positions = found[item_codes]
        keep = positions >= 0
        if self._check.changed_events:
            # labels given for other content than the rows now show are left out
            set_aside = np.isin(event_ids, self._check.changed_events)
            changed = item_codes[set_aside & keep]
            self._warn_left_out(ids[changed].tolist() if len(changed) else [])
            keep &= ~set_aside
        elif self._check.retyped:
            self._warn_left_out([])
        kept = np.flatnonzero(keep)
        order = kept[np.argsort(positions[kept], kind="stable")]
        index = self.items[positions[order]]
        # every column is a new array: taken as it is (copy=False), not copied into one block
        return pd.DataFrame(
            {
                # object columns: labels keep their Python type, a missing reason stays None
                "label": _spread(label_codes, label_uniques, order, decoded=True).set_axis(index),
                "annotator": np.full(len(order), self.annotator, dtype=object),
                "labeled_at": pd.Series(
                    pd.to_datetime(created_at[order], unit="s", utc=True), index=index
                ),
                "rationale": pd.Series(rationales[order], index=index, dtype=object),
                "duration_s": durations[order],
            },
            index=index,
            copy=False,
        )

    def _warn_left_out(self, changed: list[Hashable]) -> None:
        if self._labels_warned or not (changed or self._check.retyped):
            return
        self._labels_warned = True
        left_out = LabelCheck(np.empty(0, np.int64), changed_items=changed,
                              retyped=self._check.retyped)  # fmt: skip
        message = left_out.describe(
            f"w.labels leaves out labels of task {self.task!r}, annotator {self.annotator!r}:"
        )
        warnings.warn(message, NblabelWarning, stacklevel=_user_stacklevel())

    def item_key(self, position: int) -> str:
        """The item id of ``position`` as JSON text (how the browser names items)."""
        return encode(self.items[position])


def _id_index(ids: list) -> pd.Index:
    """Stored ids as an Index to look up: typed when they allow it (whole numbers look up
    fast), else object (an id may hold what Arrow strings cannot, such as a lone surrogate)."""
    try:
        return pd.Index(ids, tupleize_cols=False)
    except (UnicodeEncodeError, TypeError, ValueError):
        return pd.Index(ids, dtype=object, tupleize_cols=False)


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside nblabel."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level
