"""Span JSONL is what NER tools read: one line per item and annotator, Python offsets that slice
the text written beside them in every script, written whole or not at all, and readable back
as pre-labels."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from nblabel import NblabelError, export
from nblabel._spans import check_spans, prelabel_spans

CLASSES = ["PER", "ORG", "LOC"]
DF = pd.DataFrame(
    {
        "sentence": [
            "Ada Lovelace lived in London.",
            "👩‍🔬 居里夫人 在 巴黎 工作",  # an emoji ZWJ sequence before Chinese
            "سافر أحمد إلى القاهرة",  # Arabic, right to left
            "Nothing here.",
        ],
        "other": [1, 2, 3, 4],
    },
    index=pd.Index(["a", "b", "c", "d"], name="id"),
)


def spans_of(item, *pairs):
    text = DF.loc[item, "sentence"]
    found = [(text.index(words), text.index(words) + len(words), label) for words, label in pairs]
    return check_spans(found, text, CLASSES)


@pytest.fixture
def ner(store):
    store.append(task="ner", item="a", annotator="alice",
                 label=spans_of("a", ("Ada Lovelace", "PER"), ("London", "LOC")))  # fmt: skip
    store.append(task="ner", item="b", annotator="alice",
                 label=spans_of("b", ("居里夫人", "PER"), ("巴黎", "LOC")))  # fmt: skip
    store.append(task="ner", item="c", annotator="alice",
                 label=spans_of("c", ("أحمد", "PER"), ("القاهرة", "LOC")))  # fmt: skip
    store.append(task="ner", item="d", annotator="alice", label=[])
    store.append(task="ner", item="a", annotator="bob", label=spans_of("a", ("Ada", "PER")))
    store.append(task="other", item="a", annotator="alice", label="pos")
    return store


def read_lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_line_holds_the_text_and_spans_that_slice_it(ner, tmp_path):
    path = tmp_path / "ner.jsonl"
    written = export.spans(ner, "ner", DF, text="sentence", path=path)
    lines = read_lines(path)
    assert [(r["id"], r["annotator"]) for r in lines] == [
        ("a", "alice"), ("b", "alice"), ("c", "alice"), ("d", "alice"), ("a", "bob")
    ]  # fmt: skip
    assert list(lines[0]) == ["id", "text", "spans", "annotator"]
    for record in lines:
        assert record["text"] == DF.loc[record["id"], "sentence"]
        for span in record["spans"]:
            assert record["text"][span["start"] : span["end"]] == span["text"]
    assert [s["text"] for s in lines[1]["spans"]] == ["居里夫人", "巴黎"]
    assert lines[1]["spans"][0]["start"] == 4  # code points: the emoji sequence is 3, then a space
    assert [s["text"] for s in lines[2]["spans"]] == ["أحمد", "القاهرة"]
    assert lines[3]["spans"] == []
    # the text is written as text, not escaped
    assert "居里夫人" in path.read_text(encoding="utf-8")
    assert written["id"].tolist() == ["a", "b", "c", "d", "a"]
    assert written["spans"].tolist() == [r["spans"] for r in lines]


def test_one_annotator_and_plain_pandas_read_it_back_as_prelabels(ner, tmp_path):
    path = tmp_path / "alice.jsonl"
    export.spans(ner, "ner", DF, text="sentence", path=path, annotator="alice")
    back = pd.read_json(path, lines=True, dtype={"id": str}).set_index("id")
    assert back.index.tolist() == ["a", "b", "c", "d"]
    for item, suggested in back["spans"].items():
        text = DF.loc[item, "sentence"]
        assert (
            prelabel_spans(suggested, text, CLASSES)
            == ner.current_label("ner", item, "alice").label
        )


def test_items_missing_from_the_data_or_with_changed_text_are_refused(ner, tmp_path):
    path = tmp_path / "out.jsonl"
    with pytest.raises(NblabelError, match=r"1 labeled item is not in the data \(ids 'd'\)"):
        export.spans(ner, "ner", DF.drop(index="d"), text="sentence", path=path)
    edited = DF.assign(sentence=DF["sentence"].str.replace("Ada", "Ana"))
    with pytest.raises(NblabelError, match=r"item 'a': the span 0–12 .* the data changed since"):
        export.spans(ner, "ner", edited, text="sentence", path=path)
    assert not path.exists()  # nothing half written
    with pytest.raises(NblabelError, match="not a list of spans"):
        export.spans(ner, "other", DF, text="sentence", path=path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "missing"}, "text='missing' is not a column"),
        ({"path": "ner.csv"}, r"end the path with \.jsonl"),
        ({"task": "nope"}, "has no task 'nope'"),
        ({"data": [1, 2]}, "data= must be the DataFrame"),
        ({"annotator": ""}, "annotator= must be a non-empty name"),
    ],
)
def test_wrong_calls_say_what_to_fix(ner, tmp_path, kwargs, message):
    call = {"task": "ner", "data": DF, "text": "sentence", "path": tmp_path / "x.jsonl"} | kwargs
    if kwargs.get("path"):
        call["path"] = tmp_path / kwargs["path"]
    with pytest.raises(NblabelError, match=message):
        export.spans(ner, call.pop("task"), call.pop("data"), **call)


def test_never_written_over_a_store_or_sqlite_file(ner, tmp_path):
    other = tmp_path / "other.jsonl"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(NblabelError, match="is a SQLite database"):
        export.spans(ner, "ner", DF, text="sentence", path=other)
    assert other.read_bytes().startswith(b"SQLite format 3")


def test_an_existing_file_is_replaced_whole(ner, tmp_path):
    path = tmp_path / "ner.jsonl"
    path.write_text("old\n" * 100)
    export.spans(ner, "ner", DF, text="sentence", path=path, annotator="bob")
    assert len(read_lines(path)) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
