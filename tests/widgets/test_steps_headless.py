"""review_steps without a browser: steps from lists or split text, one label per step by keys,
stop at the first wrong step, notes per step, labels checked against the item's steps, and
agreement per step position through nblabel.agreement."""

from __future__ import annotations

import pandas as pd
import pytest

import nblabel
from nblabel import NblabelError, agreement
from nblabel._steps import StepRules
from nblabel.testing import browser_message

OPTIONS = ["correct", "wrong", "unclear"]
DF = pd.DataFrame(
    {
        "question": ["12 * 3 + 4?", "Is 91 prime?", "Area of a 3 by 4 rectangle?"],
        "steps": [
            ["12 * 3 = 36", "36 + 4 = 40", "The answer is 40"],
            ["91 is odd", "91 = 7 * 13", "So 91 is prime"],
            ["Area is width times height", "3 * 4 = 12"],
        ],
    },
    index=pd.Index(["a", "b", "c"], name="id"),
)


@pytest.fixture
def store(tmp_path):
    with nblabel.LabelStore(tmp_path / "labels.db") as opened:
        yield opened


def make(store, **kw):
    kw.setdefault("annotator", "alice")
    kw.setdefault("task", "steps")
    kw.setdefault("options", OPTIONS)
    return nblabel.review_steps(DF, question="question", steps="steps", store=store, **kw)


def labels(store, task="steps"):
    frame = store.annotations(task=task)
    return dict(zip(frame["item"], frame["label"], strict=True))


def test_keys_label_each_step_and_the_item_is_saved_after_the_last(store):
    w = make(store)
    assert w.steps == DF.loc["a", "steps"]
    assert w.sample["content"] == {
        "type": "steps", "question": "12 * 3 + 4?", "steps": DF.loc["a", "steps"],
    }  # fmt: skip
    w.press("1")
    w.press("1")
    assert w.selection == [0, 0] and store.annotations().empty
    w.press("1")
    assert labels(store) == {"a": ["correct", "correct", "correct"]}
    assert w.current == "b" and w.selection == []


def test_stop_at_first_wrong_ends_the_item(store):
    w = make(store, stop_at_first="wrong")
    w.goto("b")
    w.press("1")
    w.press("2")  # the second step is wrong: the item ends there
    assert labels(store) == {"b": ["correct", "wrong"]}
    with pytest.raises(NblabelError, match=r"step 1 is 'wrong', which ends the item"):
        w.submit(["wrong", "correct"])
    w.submit(["correct", "wrong"])  # item c: ends with the stop label
    assert labels(store)["c"] == ["correct", "wrong"]


def test_submit_checks_the_labels_against_the_items_steps(store):
    w = make(store)
    with pytest.raises(NblabelError, match=r"this item has 3 steps: give 3 labels, not 2"):
        w.submit(["correct", "wrong"])
    with pytest.raises(NblabelError, match=r"step 2 is labeled 'right', which is not an option"):
        w.submit(["correct", "right", "correct"])
    with pytest.raises(NblabelError, match=r"give one label per step"):
        w.submit("correct")
    w.submit(["correct", "unclear", "wrong"], step_rationales=[None, "no units", "36+4 is 40"])
    frame = store.annotations(task="steps")
    assert store.event_meta(frame["event_id"]) == {
        frame["event_id"][0]: {"steps": 3, "step_rationales": [None, "no units", "36+4 is 40"]}
    }
    with pytest.raises(NblabelError, match=r"gives 1 notes for 3 step labels"):
        w.submit(["correct"] * 3, step_rationales=["x"])


def test_a_list_from_the_view_is_checked_for_the_item_it_names(store):
    w = make(store)
    browser_message(w, {"kind": "label", "value": '["correct","wrong"]', "item": '"a"',
                        "client": "c", "seq": 1})  # fmt: skip
    assert "this item has 3 steps" in w.error and store.annotations().empty
    browser_message(w, {"kind": "label", "value": '["correct","wrong","wrong"]', "item": '"a"',
                        "client": "c", "seq": 2})  # fmt: skip
    assert labels(store) == {"a": ["correct", "wrong", "wrong"]}


def test_steps_from_text_split_by_a_rule(store):
    data = DF.assign(steps=["12 * 3 = 36\n36 + 4 = 40\n\n", None, "One step only"])
    w = nblabel.review_steps(data, question="question", steps="steps", options=OPTIONS,
                             split="\n", store=store, annotator="a", task="text")  # fmt: skip
    assert w.steps == ["12 * 3 = 36", "36 + 4 = 40"]
    assert StepRules.build(OPTIONS, split=lambda t: t.split(". ")).steps("A. B") == ["A", "B"]
    with pytest.raises(NblabelError, match=r"give split="):
        StepRules.build(OPTIONS).steps("a\nb")


def test_agreement_per_step_position(store):
    a = make(store, annotator="alice", stop_at_first="wrong")
    b = make(store, annotator="bob", stop_at_first="wrong")
    a.submit(["correct", "correct", "correct"])
    b.submit(["correct", "correct", "wrong"])
    a.submit(["correct", "wrong"])
    b.submit(["correct", "wrong"])
    table = agreement.step_labels(store, "steps")
    assert table["item"].tolist()[:3] == [("a", 1), ("a", 2), ("a", 3)]
    assert agreement.percent_agreement(table) == pytest.approx(4 / 5)
    by_step = table.groupby("step").size().to_dict()
    assert by_step == {1: 4, 2: 4, 3: 2}
    first_steps = table[table["step"] == 1]
    assert agreement.percent_agreement(first_steps) == 1.0


def test_wrong_calls(store):
    with pytest.raises(NblabelError, match=r"stop_at_first='bad' is not one of the options"):
        make(store, stop_at_first="bad")
    with pytest.raises(NblabelError, match=r"steps='chain' is not a column"):
        nblabel.review_steps(DF, question="question", steps="chain", store=store)
    with pytest.raises(NblabelError, match=r"split= must be a separator"):
        make(store, split=3)
    with pytest.raises(NblabelError, match=r"step_labels reads tasks labeled with"):
        store.append(task="plain", item=1, annotator="a", label="x")
        agreement.step_labels(store, "plain")
