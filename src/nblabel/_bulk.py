"""Bulk labels, pure: one annotator gives one label to many items at once (a lasso of points).

Each bulk label is ONE batch: one annotation per item, written in one store transaction
(:meth:`LabelStore.append_many`) with a shared ``batch`` id in each event's meta, and undone as
one step (:meth:`LabelStore.undo_many`). Reading goes through a
:class:`~nblabel._session.LabelingSession` on the same items, so labels given for other content
(fingerprints) are set aside exactly as for every other widget.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._errors import NblabelError, StoreError
from ._session import LabelingSession
from ._store import LabelStore

__all__ = ["Batch", "BulkLabels", "sorted_unique"]

UNDO_DEPTH = 100  # bulk labels this session can take back


@dataclass(frozen=True)
class Batch:
    """One bulk label: its id, the label, the positions it went to and their event ids."""

    batch: str
    label: Any
    positions: np.ndarray
    event_ids: list[int]
    before: np.ndarray  # the colour codes the points had: back after an undo


def sorted_unique(positions: Sequence[int] | np.ndarray) -> np.ndarray:
    """The distinct positions in order: as given when they are already (a selection usually
    is: one pass instead of a sort)."""
    positions = np.asarray(positions, dtype=np.int64)
    if positions.ndim == 1 and (len(positions) < 2 or bool(np.all(positions[1:] > positions[:-1]))):
        return positions
    return np.unique(positions)


class BulkLabels:
    """The current label of every item, for one annotator and task, labeled in batches.

    Parameters
    ----------
    items
        The item ids (the data's index).
    store, task, annotator
        Where labels go, under which names.
    choices
        The labels allowed, in order (positions are the colour codes: 0 = unlabeled, ``i + 1``
        = ``choices[i]``).
    fingerprint
        ``positions -> [fingerprint]`` of what the rows show, or ``None``.
    """

    def __init__(
        self,
        items: pd.Index,
        *,
        store: LabelStore,
        task: str,
        annotator: str,
        choices: Sequence[Any],
        fingerprint: Callable[[Sequence[int]], list[str]] | None = None,
        source: str = "annotator",
    ) -> None:
        self.session = LabelingSession(
            items, store=store, task=task, annotator=annotator, fingerprint=fingerprint,
            source=source,
        )  # fmt: skip
        self.items = items
        self.choices = list(choices)
        self._fingerprint = fingerprint
        self._batches: deque[Batch] = deque(maxlen=UNDO_DEPTH)
        self.codes = np.zeros(len(items), dtype=np.int64)
        self._read_codes()

    @property
    def store(self) -> LabelStore:
        return self.session.store

    def _code(self, label: Any) -> int:
        for i, choice in enumerate(self.choices):
            if type(choice) is type(label) and choice == label:
                return i + 1
        try:
            return next((i + 1 for i, c in enumerate(self.choices) if c == label), 0)
        except (TypeError, ValueError):  # an array or a table: no one truth, no option
            return 0

    def _read_codes(self) -> None:
        """The colour code of each item, from the store."""
        labels = self.session.labels()["label"]
        where = self.items.get_indexer(labels.index)
        self.codes = np.zeros(len(self.items), dtype=np.int64)
        self.codes[where] = [self._code(v) for v in labels.to_numpy()]

    def positions_of(self, items: Sequence[Hashable]) -> np.ndarray:
        """The positions of item ids, or an error naming one that is not in the data."""
        wanted = pd.Index(list(items), dtype=object, tupleize_cols=False)
        found = self.items.get_indexer(wanted)
        if (found < 0).any():
            missing = wanted[int(np.flatnonzero(found < 0)[0])]
            raise NblabelError(
                f"{missing!r} is not an item of the data: give ids of its index, such as "
                f"{self.items[0]!r}"
            )
        return found.astype(np.int64)

    def label(self, positions: Sequence[int] | np.ndarray, value: Any) -> Batch:
        """Give ``value`` to the items at ``positions``: one batch, one transaction."""
        code = self._code(value)
        if code == 0:
            raise NblabelError(f"{value!r} is not one of the options {self.choices!r}")
        value = self.choices[code - 1]
        positions = sorted_unique(positions)
        if len(positions) == 0:
            raise NblabelError("nothing is selected: drag a lasso (or a box) around points first")
        batch = uuid.uuid4().hex[:16]
        ids = self.store.append_many(
            task=self.session.task,
            items=self.items[positions],
            annotator=self.session.annotator,
            label=value,
            source=self.session.source,
            meta={"batch": batch},
            fingerprints=None if self._fingerprint is None else self._fingerprint(positions),
        )
        done = Batch(batch, value, positions, ids, self.codes[positions].copy())
        self._batches.append(done)
        self.codes[positions] = code
        return done

    def undo(self) -> Batch | None:
        """Take back the newest batch this session labeled, as one step; the labels the items
        had before come back. ``None`` when there is nothing left to undo."""
        if not self._batches:
            return None
        batch = self._batches[-1]
        try:
            self.store.undo_many(batch.event_ids, annotator=self.session.annotator)
        except StoreError:
            raise  # not written: kept, to try again
        except NblabelError:
            self._batches.pop()  # undone meanwhile elsewhere: dropped
            raise
        self._batches.pop()
        # the labels before come back; read from memory (the store has them too, but reading
        # every label of the task to recolour a batch costs about a second per 100,000)
        self.codes[batch.positions] = batch.before
        return batch

    def counts(self) -> dict[str, int]:
        """How many items hold each label (and ``"unlabeled"``)."""
        tally = np.bincount(self.codes, minlength=len(self.choices) + 1)
        out = {"unlabeled": int(tally[0])}
        out.update({str(c): int(n) for c, n in zip(self.choices, tally[1:], strict=True)})
        return out
