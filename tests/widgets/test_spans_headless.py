"""The spans widget without a browser: its Python twins, and the browser's messages as the
front end sends them (UTF-16 offsets), stored as Python offsets that slice the text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel import NblabelError, agreement, export
from nblabel.testing import browser_message

CLASSES = ["PER", "ORG", "LOC"]
TEXTS = {
    "en": "Ada Lovelace met Charles Babbage in London.",
    "zh": "👍🏽 居里夫人在巴黎工作",  # an emoji with a skin tone (4 UTF-16 units) before Chinese
    "ar": "سافر أحمد إلى القاهرة",
}


@pytest.fixture
def df():
    return pd.DataFrame(
        {"sentence": list(TEXTS.values()), "model": [None, None, None]},
        index=pd.Index(list(TEXTS), name="id"),
    )


@pytest.fixture
def store(tmp_path):
    with nblabel.LabelStore(tmp_path / "ner.db") as opened:
        yield opened


def make(df, store, **kwargs):
    kwargs.setdefault("annotator", "alice")
    kwargs.setdefault("task", "ner")
    return nblabel.annotate_spans(df, text="sentence", classes=CLASSES, store=store, **kwargs)


def utf16(text):
    return len(text.encode("utf-16-le")) // 2


def label_message(w, spans, seq, item=None, client="tab"):
    """What the front end sends on Enter: the draft in UTF-16 units, with each span's text."""
    return {"kind": "label", "value": json.dumps({"utf16": spans}, ensure_ascii=False),
            "item": item or w.sample["item"], "client": client, "seq": seq}  # fmt: skip


def test_python_twins_mark_snap_remove_and_save_one_annotation(df, store):
    w = make(df, store)
    assert w.current == "en" and w.spans == []
    w.add_span(1, 6, "PER")  # "da Lo": snapped to the words it touches
    w.add_span(36, 42, "LOC")
    w.add_span(17, 24, "ORG")
    assert [s["text"] for s in w.spans] == ["Ada Lovelace", "Charles", "London"]
    w.remove_span(1)
    assert [s["text"] for s in w.spans] == ["Ada Lovelace", "London"]
    with pytest.raises(NblabelError, match="overlap: remove one, or allow nested spans"):
        w.add_span(4, 12, "ORG")
    w.submit()
    assert w.current == "zh"
    label = w.labels.loc["en", "label"]
    assert label == [
        {"start": 0, "end": 12, "label": "PER", "text": "Ada Lovelace"},
        {"start": 36, "end": 42, "label": "LOC", "text": "London"},
    ]
    events = store.annotations(task="ner", history=True)
    assert len(events) == 1  # the item's spans are one annotation
    w.submit([])  # an item with no span is labeled too
    assert w.labels.loc["zh", "label"] == []


def test_the_browser_sends_utf16_and_the_store_keeps_python_offsets(df, store):
    w = make(df, store, order=["zh", "en", "ar"])
    text = TEXTS["zh"]
    start = utf16("👍🏽 居里夫人在")  # the browser's offset of 巴黎: the emoji counts 4 units
    assert start == 10
    browser_message(w, label_message(w, [{"start": start, "end": start + 2, "label": "LOC",
                                          "text": "巴黎"}], seq=1))  # fmt: skip
    assert w.error == "" and w.acks == {"tab": 1}
    (span,) = w.labels.loc["zh", "label"]
    assert (span["start"], span["end"]) == (8, 10) and text[8:10] == span["text"] == "巴黎"
    # the payload's tokens are UTF-16 too: the emoji with its skin tone is one token
    tokens = np.frombuffer(w.sample["content"]["tokens"], dtype="<u4")
    assert w.sample["item"] == '"en"' and tokens[:4].tolist() == [0, 3, 4, 12]


def test_a_label_for_a_prefetched_item_is_checked_against_that_items_text(df, store):
    w = make(df, store)
    ahead = w.upcoming[1]  # the browser moved on to "ar" before the kernel did
    assert ahead["item"] == '"ar"'
    spans = [{"start": 5, "end": 9, "label": "PER", "text": "أحمد"}]
    browser_message(w, label_message(w, spans, seq=1, item=ahead["item"]))
    assert w.labels.loc["ar", "label"][0]["text"] == "أحمد"
    assert w.current == "en"  # still on screen, unlabeled


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([{"start": 0, "end": 3, "label": "PER", "text": "Bob"}], "says its text is 'Bob'"),
        ([{"start": 0, "end": 12, "label": "PER"}, {"start": 4, "end": 12, "label": "LOC"}],
         "overlap"),
        ([{"start": 0, "end": 3, "label": "DATE"}], "not one of classes"),
        ([{"start": 0, "end": 99, "label": "PER"}], "outside the text"),
    ],
)  # fmt: skip
def test_a_refused_browser_label_saves_nothing_and_says_why(df, store, spans, message):
    w = make(df, store)
    browser_message(w, label_message(w, spans, seq=1))
    assert "Not saved" in w.error and message in w.error
    assert w.acks == {"tab": 1}  # refused: acknowledged, so the browser stops resending
    assert store.annotations(task="ner").empty and w.current == "en"


def test_the_half_of_an_emoji_is_refused(df, store):
    w = make(df, store, order=["zh"])
    browser_message(w, label_message(w, [{"start": 1, "end": 10, "label": "PER"}], seq=1))
    assert "inside the character" in w.error and store.annotations(task="ner").empty


def test_the_browsers_draft_is_w_spans_and_a_saved_label_comes_back(df, store):
    w = make(df, store, order=["zh", "en"])
    start = utf16("👍🏽 ")
    w.set_state({"draft": {"item": '"zh"', "spans": [{"start": start, "end": start + 4,
                                                       "label": "PER"}]}})  # fmt: skip
    assert w.spans == [{"start": 3, "end": 7, "label": "PER", "text": "居里夫人"}]
    w.submit()
    # a new widget (a reloaded page, a new kernel) shows the saved spans, in UTF-16 again
    again = make(df, store, order=["zh", "en"])
    assert again.current == "en"
    again.goto("zh")
    assert again.draft == {"item": '"zh"', "spans": [{"start": start, "end": start + 4,
                                                      "label": "PER"}]}  # fmt: skip
    assert json.loads(again.sample["label"])[0]["text"] == "居里夫人"


def test_undo_brings_the_item_back_with_its_suggestions(df, store):
    df["model"] = [[(0, 3, "PER")], None, None]
    w = make(df, store, prelabels="model")
    assert w.spans == [{"start": 0, "end": 3, "label": "PER", "text": "Ada"}]
    assert w.draft["spans"][0]["suggested"] is True  # drawn dashed until accepted
    w.add_span(17, 24, "PER")
    w.submit()
    assert [s["text"] for s in w.labels.loc["en", "label"]] == ["Ada", "Charles"]
    w.undo()
    assert w.current == "en" and [s["text"] for s in w.spans] == ["Ada"]


def test_prelabels_from_a_function(df, store):
    def capitals(text):
        return [(i, i + 3, "PER") for i in range(len(text)) if text[i : i + 3] == "Ada"]

    w = make(df, store, prelabels=capitals)
    assert [s["text"] for s in w.spans] == ["Ada"]


def test_bad_prelabels_show_in_the_widget_not_as_a_crash(df, store):
    df["model"] = [[(0, 99, "PER")], None, None]
    w = make(df, store, prelabels="model")
    assert "prelabels=, item 'en'" in w.error and w.spans == []


def test_a_class_key_from_python_names_the_twin(df, store):
    w = make(df, store)
    with pytest.raises(NblabelError, match=r"w.add_span\(start, end, 'ORG'\)"):
        w.press("2")
    w.press("PageDown")  # back and skip are on PageUp/PageDown: the arrows move the caret
    assert w.current == "zh"
    w.press("PageUp")
    assert w.current == "en"
    assert w.keymap.get("ArrowLeft") is None and w.keymap["1"] == 0


def test_remove_span_names_the_indexes(df, store):
    w = make(df, store)
    with pytest.raises(NblabelError, match="has no span to remove"):
        w.remove_span(0)
    w.add_span(0, 3, "PER")
    with pytest.raises(NblabelError, match="has 1 span; give 0 to 0"):
        w.remove_span(3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "missing"}, "text='missing' is not a column"),
        ({"text": None}, "text= names the column of texts to mark"),
        ({"classes": {"PER", "ORG"}}, "is a set"),
        ({"classes": []}, "classes= is empty"),
        ({"prelabels": "nope"}, "prelabels='nope' is not a column"),
        ({"snap": "word"}, "snap= must be 'token'"),
        ({"overlap": "yes"}, "overlap= must be True or False"),
        ({"tokenizer": str.split, "snap": "char"}, "only with snap='token'"),
    ],
)
def test_wrong_calls_say_what_to_fix(df, store, kwargs, message):
    call = {"text": "sentence", "classes": CLASSES, "store": store} | kwargs
    with pytest.raises(NblabelError, match=message):
        nblabel.annotate_spans(df, **call)


def test_two_annotators_agreement_and_jsonl(df, store, tmp_path):
    for annotator, spans in (("alice", [(0, 12, "PER"), (36, 42, "LOC")]),
                             ("bob", [(0, 3, "PER"), (36, 42, "LOC")])):  # fmt: skip
        w = make(df, store, annotator=annotator, order=["en"])
        w.submit(spans)
    table = agreement.spans(store, "ner")
    overall = table.set_index(["match", "label"])
    assert overall.loc[("exact", "(all)"), "f1"] == pytest.approx(0.5)  # 1 of 2 on each side
    assert overall.loc[("overlap", "(all)"), "f1"] == pytest.approx(1.0)
    assert list(table["label"].unique()) == ["PER", "LOC", "(all)"]  # the task's class order
    path = tmp_path / "ner.jsonl"
    export.spans(store, "ner", df, text="sentence", path=path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["annotator"], [s["text"] for s in r["spans"]]) for r in lines] == [
        ("alice", ["Ada Lovelace", "London"]), ("bob", ["Ada", "London"])
    ]  # fmt: skip


def test_renamed_classes_name_the_classes_no_longer_given(df, store):
    w = make(df, store)
    w.submit([(0, 3, "PER"), (36, 42, "LOC")])
    with pytest.warns(nblabel.NblabelWarning, match=r"no longer an option: \"LOC\" \(1\)\."):
        nblabel.annotate_spans(df, text="sentence", classes=["PER", "ORG"], store=store,
                               annotator="alice", task="ner")  # fmt: skip


def test_a_list_of_texts_needs_no_column_name(store):
    w = nblabel.annotate_spans(["Ada met Bob.", "李雷在上海。"], classes=CLASSES, store=store,
                               annotator="alice", task="list")  # fmt: skip
    w.add_span(0, 3, "PER")
    w.submit()
    assert w.labels.loc[0, "label"][0]["text"] == "Ada" and w.current == 1
