"""export.preferences writes what preference training reads (prompt, chosen, rejected): the
texts of the candidates the labels name, never of a side, never of a row that changed."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from nblabel import LabelStore, NblabelError, NblabelWarning, export
from nblabel._compare import Comparison
from nblabel._fingerprint import Fingerprinter

DF = pd.DataFrame(
    {
        "prompt": ["2+2?", "Capital of France?", "Say hi"],
        "answer_a": ["4", "Paris", "hello"],
        "answer_b": ["5", "Lyon", "**hi** <script>x</script>"],
    },
    index=pd.Index(["q1", "q2", "q3"], name="id"),
)
PAIR = Comparison.build(["answer_a", "answer_b"], extra_choices=["tie", "both bad"])
COLUMNS = ["prompt", "answer_a", "answer_b"]


def label(store, comparison, item, value, annotator="alice", data=DF, task="pref", **kw):
    """Store a label as the compare widget does: checked, with the screen order and the row's
    fingerprint."""
    checked = comparison.check(value, kw.pop("scores", None))
    shown = comparison.shown(task, annotator, item)
    print_ = Fingerprinter(data, [data.columns.get_loc(c) for c in COLUMNS if c in data])
    return store.append(
        task=task, item=item, annotator=annotator, label=checked.value,
        meta=comparison.meta(checked, shown),
        fingerprint=print_.one(data.index.get_loc(item)), **kw,
    )  # fmt: skip


@pytest.fixture
def pref(store):
    store.set_task_info("pref", PAIR.info("prompt", COLUMNS))
    return store


def read(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_choice_writes_prompt_chosen_rejected(pref, tmp_path):
    label(pref, PAIR, "q1", "answer_a", rationale="4 is right")
    label(pref, PAIR, "q2", "answer_a")
    label(pref, PAIR, "q2", "answer_b", annotator="bob")
    path = tmp_path / "pref.jsonl"
    written = export.preferences(pref, "pref", DF, path=path)
    lines = read(path)
    assert [(ln["item"], ln["annotator"], ln["prompt"], ln["chosen"], ln["rejected"])
            for ln in lines] == [
        ("q1", "alice", "2+2?", "4", "5"),
        ("q2", "alice", "Capital of France?", "Paris", "Lyon"),
        ("q2", "bob", "Capital of France?", "Lyon", "Paris"),
    ]  # fmt: skip
    assert lines[0]["chosen_column"] == "answer_a" and lines[0]["rejected_column"] == "answer_b"
    assert lines[0]["rationale"] == "4 is right" and lines[1]["rationale"] is None
    assert list(lines[0]) == list(written.columns)
    assert written["chosen"].tolist() == ["4", "Paris", "Lyon"]


def test_ties_and_both_bad_are_left_out_or_kept_by_the_flag(pref, tmp_path):
    label(pref, PAIR, "q1", "tie")
    label(pref, PAIR, "q2", "both bad")
    label(pref, PAIR, "q3", "answer_b")
    assert [ln["item"] for ln in read(_export(pref, tmp_path))] == ["q3"]
    kept = read(_export(pref, tmp_path, keep_extra=True))
    assert [(ln["item"], ln["choice"], ln["chosen"], ln["rejected"]) for ln in kept] == [
        ("q1", "tie", None, None),
        ("q2", "both bad", None, None),
        ("q3", "answer_b", "**hi** <script>x</script>", "hello"),  # the text, as written
    ]


def _export(store, tmp_path, **kw):
    path = tmp_path / "out.jsonl"
    export.preferences(store, "pref", DF, path=path, **kw)
    return path


def test_a_ranking_gives_every_pair_it_orders(store, tmp_path):
    data = DF.assign(answer_c=["four", "Paris, France", "hey"])
    three = Comparison.build(["answer_a", "answer_b", "answer_c"], rank=True)
    store.set_task_info("pref", three.info("prompt", [*COLUMNS, "answer_c"]))
    store.append(task="pref", item="q1", annotator="a", label=["answer_c", "answer_a", "answer_b"])
    path = tmp_path / "rank.jsonl"
    export.preferences(store, "pref", data, path=path)
    assert [(ln["chosen_column"], ln["rejected_column"]) for ln in read(path)] == [
        ("answer_c", "answer_a"),
        ("answer_c", "answer_b"),
        ("answer_a", "answer_b"),
    ]
    assert read(path)[0]["choice"] == ["answer_c", "answer_a", "answer_b"]


def test_one_choice_among_three_is_preferred_to_each_other(store, tmp_path):
    data = DF.assign(answer_c=["four", "Paris, France", "hey"])
    three = Comparison.build(["answer_a", "answer_b", "answer_c"])
    store.set_task_info("pref", three.info("prompt", None))
    store.append(task="pref", item="q2", annotator="a", label="answer_c")
    path = tmp_path / "p.jsonl"
    export.preferences(store, "pref", data, path=path)
    assert [(ln["chosen"], ln["rejected"]) for ln in read(path)] == [
        ("Paris, France", "Paris"),
        ("Paris, France", "Lyon"),
    ]


def test_scores_travel_with_each_line(store, tmp_path):
    scored = Comparison.build(["answer_a", "answer_b"], criteria=["correct"], scale=range(1, 4))
    store.set_task_info("pref", scored.info("prompt", COLUMNS))
    scores = {"answer_a": {"correct": 3}, "answer_b": {"correct": 1}}
    label(store, scored, "q1", "answer_a", scores=scores)
    assert read(_export(store, tmp_path))[0]["scores"] == scores


def test_labels_of_rows_that_changed_or_are_gone_are_left_out_with_a_warning(pref, tmp_path):
    label(pref, PAIR, "q1", "answer_a")
    label(pref, PAIR, "q2", "answer_a")
    label(pref, PAIR, "q3", "answer_a")
    edited = DF.copy()
    edited.loc["q2", "answer_b"] = "Marseille"  # the row now shows another answer
    path = tmp_path / "e.jsonl"
    with pytest.warns(NblabelWarning, match=r"1 label was given to an item that now shows other"):
        export.preferences(pref, "pref", edited.drop(index="q3"), path=path)
    assert [ln["item"] for ln in read(path)] == ["q1"]
    with pytest.warns(NblabelWarning, match=r"1 label names an item not in data= \(ids 'q3'\)"):
        export.preferences(pref, "pref", DF.drop(index="q3"), path=path)


def test_columns_come_from_the_store_or_from_the_call(store, tmp_path):
    store.append(task="bare", item="q1", annotator="a", label="answer_b")
    path = tmp_path / "b.jsonl"
    with pytest.raises(NblabelError, match=r"give prompt='prompt', candidates="):
        export.preferences(store, "bare", DF, path=path)
    assert not path.exists()
    export.preferences(store, "bare", DF, path=path, prompt="prompt",
                       candidates=["answer_a", "answer_b"])  # fmt: skip
    assert read(path)[0]["chosen"] == "5"
    with pytest.raises(NblabelError, match=r"prompt='question' is not a column of data="):
        export.preferences(store, "bare", DF, path=path, prompt="question",
                           candidates=["answer_a", "answer_b"])  # fmt: skip


def test_bad_calls_are_refused_and_write_nothing(pref, tmp_path):
    label(pref, PAIR, "q1", "answer_a")
    with pytest.raises(NblabelError, match=r"end the path with \.jsonl"):
        export.preferences(pref, "pref", DF, path=tmp_path / "p.json")
    with pytest.raises(NblabelError, match=r"data= must be the DataFrame"):
        export.preferences(pref, "pref", DF.to_dict(), path=tmp_path / "p.jsonl")
    with pytest.raises(NblabelError, match=r"has no task 'nope'"):
        export.preferences(pref, "nope", DF, path=tmp_path / "p.jsonl")
    with pytest.raises(NblabelError, match=r"keep_extra= must be True or False"):
        export.preferences(pref, "pref", DF, path=tmp_path / "p.jsonl", keep_extra="no")
    assert list(tmp_path.glob("*.jsonl")) == []
    with LabelStore(tmp_path / "labels.jsonl") as odd:  # a store whose name looks like an export
        odd.append(task="pref", item="q1", annotator="a", label="answer_a")
        with pytest.raises(NblabelError, match=r"is an open label store"):
            export.preferences(odd, "pref", DF, path=odd.path, prompt="prompt",
                               candidates=["answer_a", "answer_b"])  # fmt: skip
        assert odd.annotations()["label"].tolist() == ["answer_a"]


def test_never_over_a_sqlite_file_and_old_file_kept_on_failure(pref, tmp_path, monkeypatch):
    other = tmp_path / "other.jsonl"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
    label(pref, PAIR, "q1", "answer_a")
    with pytest.raises(NblabelError, match=r"is a SQLite database"):
        export.preferences(pref, "pref", DF, path=other)
    target = tmp_path / "keep.jsonl"
    target.write_text("old\n")
    import nblabel.export._preferences as module

    def broken(row):
        raise OSError("disk full")

    monkeypatch.setattr(module, "_line", broken)
    with pytest.raises(OSError, match="disk full"):
        export.preferences(pref, "pref", DF, path=target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep")] == []


def test_text_that_utf8_cannot_hold_is_escaped_and_reads_back(store, tmp_path):
    data = DF.astype(object)  # Arrow strings cannot hold a lone surrogate
    data.loc["q1", "answer_a"] = "file \udcff"
    store.set_task_info("pref", PAIR.info("prompt", None))
    store.append(task="pref", item="q1", annotator="a", label="answer_a")
    path = tmp_path / "s.jsonl"
    export.preferences(store, "pref", data, path=path)
    path.read_bytes().decode("utf-8")  # valid UTF-8
    assert read(path)[0]["chosen"] == "file \udcff"
