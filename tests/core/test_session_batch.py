"""A batch of labels in a session (a grid page): saved in one transaction, undone as one step,
and the moves a grid makes between pages."""

from __future__ import annotations

import pandas as pd
import pytest

from nblabel import LabelStore, NblabelError, Progress
from nblabel._session import LabelingSession


def session(store, n=10, **kwargs) -> LabelingSession:
    items = pd.Index([f"i{k}" for k in range(n)])
    return LabelingSession(items, store=store, task="t", annotator="alice", **kwargs)


def test_a_batch_is_saved_at_once_and_undone_as_one_step(tmp_path):
    with LabelStore(tmp_path / "s.db") as store:
        s = session(store)
        s.submit("dog")  # i0, alone
        ids = s.submit_batch([1, 2, 4], ["cat", "dog", "cat"], rationale="clear")
        assert len(ids) == 3 and s.progress == Progress(4, 10)
        assert s.current == "i1"  # the cursor stays: the caller moves on
        assert s.labels()["label"].to_dict() == {
            "i0": "dog", "i1": "cat", "i2": "dog", "i4": "cat"
        }
        s.show_unlabeled_from(5)
        assert s.current == "i5"
        assert s.undo() == "i1"  # the whole batch, one step; its first item is shown
        assert s.progress == Progress(1, 10) and s.current == "i1"
        assert s.labels()["label"].to_dict() == {"i0": "dog"}
        assert s.undo() == "i0" and s.undo() is None
        with pytest.raises(NblabelError, match="nothing to save"):
            s.submit_batch([], [])


def test_a_batch_undone_brings_back_the_labels_before_it(tmp_path):
    with LabelStore(tmp_path / "s.db") as store:
        s = session(store, n=4)
        s.submit_batch([0, 1], ["cat", "cat"])
        s.submit_batch([1, 2], ["dog", "dog"])  # i1 relabeled
        s.undo()
        assert s.labels()["label"].to_dict() == {"i0": "cat", "i1": "cat"}
        assert s.progress == Progress(2, 4)


def test_pages_follow_the_queue_and_the_next_unlabeled_wraps_round(tmp_path):
    with LabelStore(tmp_path / "s.db") as store:
        s = session(store, n=6, order=["i5", "i4", "i3", "i2", "i1", "i0"])
        assert s.queue_positions(0, 4).tolist() == [5, 4, 3, 2]
        assert s.queue_positions(4, 99).tolist() == [1, 0]
        assert s.queue_index == 0 and s.queue_index_of(3) == 2
        s.submit_batch([1, 0], ["a", "a"])  # the last page, queue indexes 4 and 5
        assert s.first_unlabeled_from(4) == 0  # wraps round
        s.submit_batch([5, 4, 3, 2], ["b"] * 4)
        assert s.first_unlabeled_from(0) is None
        s.show_unlabeled_from(0)
        assert s.current is None and s.queue_index is None
