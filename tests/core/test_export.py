"""Exported files are what users hand on: they must read back, by plain pandas, to the labels
in the store, with lists and tuples as JSON text."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nblabel import NblabelError, export


@pytest.fixture
def labeled(store):
    store.append(task="t", item=1, annotator="a", label="pos", rationale="clear", duration_s=2.0)
    store.append(task="t", item=2, annotator="a", label=["x", "y"])
    store.append(task="t", item=2, annotator="b", label=["y"])
    relabeled = store.append(task="t", item=3, annotator="a", label="neg")
    store.append(task="t", item=3, annotator="a", label="pos")
    store.undo(store.append(task="t", item=4, annotator="a", label="neg"), annotator="a")
    store.append(task="other", item=1, annotator="a", label="z")
    store.relabeled = relabeled
    return store


def test_csv_reads_back_to_the_current_labels(labeled, tmp_path):
    path = tmp_path / "out.csv"
    written = export.table(labeled, "t", path)
    back = pd.read_csv(path)
    assert back.columns.tolist() == written.columns.tolist()
    assert len(back) == 4  # a's three current labels and b's one; the undone item is absent
    assert back["item"].tolist() == [1, 2, 2, 3]
    assert back["annotator"].tolist() == ["a", "a", "b", "a"]
    assert back["label"].tolist() == ["pos", '["x","y"]', '["y"]', "pos"]
    assert [json.loads(v) for v in back["label"][1:3]] == [["x", "y"], ["y"]]
    assert back["rationale"].iloc[0] == "clear" and back["duration_s"].iloc[0] == 2.0
    assert set(back["task"]) == {"t"}
    assert pd.to_datetime(back["created_at"]).dt.tz is not None  # the offset is kept


@pytest.mark.parametrize("suffix", [".parquet", ".pq", ".PARQUET"])
def test_parquet_reads_back_equal_to_the_table_returned(labeled, tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    written = export.table(labeled, "t", path)
    back = pd.read_parquet(path)

    def missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
        # a missing reason is None in pandas and null in Parquet: the same value
        return frame.astype(object).where(frame.notna(), None)

    pd.testing.assert_frame_equal(missing_as_none(back), missing_as_none(written))
    assert back["label"].tolist() == ["pos", '["x","y"]', '["y"]', "pos"]


def test_filters_and_history(labeled, tmp_path):
    only_b = export.table(labeled, "t", tmp_path / "b.csv", annotator="b")
    assert only_b["annotator"].tolist() == ["b"]
    export.table(labeled, "t", tmp_path / "h.csv", history=True)
    history = pd.read_csv(tmp_path / "h.csv")
    assert history["status"].tolist() == [
        "current", "current", "current", "overwritten", "current", "undone",
    ]  # fmt: skip
    assert labeled.relabeled in history["event_id"].tolist()


def test_tuple_ids_and_dict_labels_are_json_text(store, tmp_path):
    store.append(task="shapes", item=("img", 3), annotator="a", label={"x0": 1, "y0": 2.5})
    export.table(store, "shapes", tmp_path / "s.csv")
    back = pd.read_csv(tmp_path / "s.csv")
    assert json.loads(back["item"].iloc[0]) == {"$tuple": ["img", 3]}
    assert json.loads(back["label"].iloc[0]) == {"x0": 1, "y0": 2.5}


def test_exporting_leaves_the_store_as_it_was(labeled, tmp_path):
    before = labeled.annotations(history=True)
    export.table(labeled, "t", tmp_path / "x.csv")
    pd.testing.assert_frame_equal(labeled.annotations(history=True), before)


def test_unknown_suffix_is_refused_and_writes_nothing(labeled, tmp_path):
    with pytest.raises(NblabelError, match=r"\.csv or \.parquet"):
        export.table(labeled, "t", tmp_path / "out.xlsx")
    assert list(tmp_path.glob("out*")) == []


def test_unknown_task_is_refused_naming_the_tasks(labeled, tmp_path):
    with pytest.raises(NblabelError, match=r"no task 'nope'.*'other', 't'"):
        export.table(labeled, "nope", tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_parquet_of_mixed_scalar_labels(store, tmp_path):
    store.append(task="t", item=1, annotator="a", label=0)
    store.append(task="t", item=2, annotator="a", label="unsure")
    export.table(store, "t", tmp_path / "mixed.parquet")
    back = pd.read_parquet(tmp_path / "mixed.parquet")
    assert len(back) == 2


@pytest.mark.parametrize(
    ("labels", "written"),
    [
        (["pos", "neg"], ["pos", "neg"]),  # one scalar type: written as it is
        ([1, 2], [1, 2]),
        ([0, "unsure"], ["0", '"unsure"']),  # two types: each as JSON text
        ([["x"], "y"], ['["x"]', "y"]),
    ],
)
def test_a_column_of_one_scalar_type_is_written_as_it_is_else_as_json(
    store, tmp_path, labels, written
):
    for item, label in enumerate(labels):
        store.append(task="t", item=item, annotator="a", label=label)
    path = tmp_path / "out.parquet"
    export.table(store, "t", path)
    back = pd.read_parquet(path)
    assert back["label"].tolist() == written and back["item"].tolist() == [0, 1]
