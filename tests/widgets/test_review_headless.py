"""The review (adjudication) widget without a browser."""

from __future__ import annotations

import pandas as pd
import pytest

import nblabel
from nblabel.widgets.review import contested_items


@pytest.fixture
def store(tmp_path):
    store = nblabel.LabelStore(tmp_path / "labels.db")
    votes = {
        "a": {"alice": "pos", "bob": "pos", "carl": "pos"},  # agreed
        "b": {"alice": "pos", "bob": "neg", "carl": "neutral"},  # three ways
        "c": {"alice": "neg", "bob": "neg", "carl": "pos"},  # 2 : 1
        "d": {"alice": "neg"},  # one annotator only
    }
    for item, labels in votes.items():
        for annotator, label in labels.items():
            store.append(task="s", item=item, annotator=annotator, label=label,
                         rationale=f"{annotator}'s reason")  # fmt: skip
    return store


@pytest.fixture
def df():
    return pd.DataFrame({"text": ["A", "B", "C", "D"]}, index=list("abcd"))


def test_most_contested_first_and_agreed_or_single_items_left_out(store):
    table = contested_items(store.annotations(task="s"))
    assert list(table.index) == ["b", "c"]
    assert table.loc["c", "majority"] == "neg" and pd.isna(table.loc["b", "majority"])
    everything = contested_items(store.annotations(task="s"), include_agreed=True)
    assert list(everything.index) == ["b", "c", "a"]


def test_review_shows_votes_and_sample_and_stores_final_labels(store, df):
    w = nblabel.review(store, "s", data=df, text="text", reviewer="rita")
    assert w.current == "b" and w.progress == nblabel.Progress(0, 2)
    content = w.sample["content"]
    assert content["type"] == "review"
    assert content["sample"] == {"type": "text", "text": "B"}
    assert {v["annotator"]: v["label"] for v in content["votes"]} == {
        "alice": "pos", "bob": "neg", "carl": "neutral"}  # fmt: skip
    assert content["votes"][0]["rationale"] == "alice's reason"
    assert [o["label"] for o in w.options] == ["neg", "neutral", "pos"]
    w.press("2")  # neutral
    w.submit("mixed", rationale="both praise and complaint")  # a label nobody used
    reviews = store.annotations(task="s", source="review")
    assert reviews[["item", "annotator", "label"]].values.tolist() == [
        ["b", "rita", "neutral"], ["c", "rita", "mixed"]]  # fmt: skip
    assert w.current is None
    # annotators' own labels are untouched, and the review wins in consensus
    assert len(store.annotations(task="s", source="annotator")) == 10
    final = nblabel.consensus(store, "s")
    assert final.loc["b", "label"] == "neutral" and final.loc["b", "method"] == "review"


def test_review_resumes_per_reviewer(store):
    nblabel.review(store, "s", reviewer="rita").press("1")
    assert nblabel.review(store, "s", reviewer="rita").current == "c"
    assert nblabel.review(store, "s", reviewer="sam").current == "b"


def test_review_errors(store, tmp_path):
    with pytest.raises(nblabel.NblabelError, match="no task 'nope'"):
        nblabel.review(store, "nope")
    with pytest.raises(nblabel.NblabelError, match="nothing to review"):
        nblabel.review(store, "s", min_annotators=4)
    with pytest.raises(nblabel.NblabelError, match="lacks items"):
        nblabel.review(store, "s", data=pd.DataFrame({"text": ["x"]}, index=["b"]), text="text")
    w = nblabel.review(store, "s", reviewer="rita")
    with pytest.raises(nblabel.NblabelError, match="empty"):
        w.submit("  ")
    with pytest.raises(nblabel.NblabelError, match="type the final label"):
        w.press("Enter")


def test_review_keys_follow_the_tasks_option_order(tmp_path):
    store = nblabel.LabelStore(tmp_path / "labels.db")
    data = pd.DataFrame({"text": ["one", "two"]}, index=["x", "y"])
    for annotator, keys in (("alice", "12"), ("bob", "21")):
        w = nblabel.classify(data, options=["pos", "neg", "neutral"], text="text",
                             store=store, annotator=annotator, task="s")  # fmt: skip
        for key in keys:
            w.press(key)
    store.append(task="s", item="x", annotator="carl", label="mixed")  # not an option
    rev = nblabel.review(store, "s", data=data, text="text", reviewer="rita")
    # key 1 is "pos" here as in the classify widget (not "mixed", first alphabetically)
    assert [o["label"] for o in rev.options] == ["pos", "neg", "neutral", "mixed"]
    shown = rev.current
    rev.press("1")
    assert store.current_label("s", shown, "rita", source="review").label == "pos"
