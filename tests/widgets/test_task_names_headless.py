"""Default task names that do not collide, ordered options, and renamed options: headless,
through the public builders, on real SQLite files."""

from __future__ import annotations

import pandas as pd
import pytest
from labeling import OPTIONS, label_first, make

import nblabel
from nblabel import NblabelError, NblabelWarning


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({"review": ["good", "bad", "meh", "great"], "stars": [5, 1, 3, 5]})


@pytest.fixture
def store(tmp_path) -> nblabel.LabelStore:
    return nblabel.LabelStore(tmp_path / "labels.db")


@pytest.mark.parametrize(
    "options",
    [{"pos", "neg"}, frozenset({"pos", "neg"}), {"pos": 1, "neg": 2}],
)
def test_unordered_or_mapped_options_are_refused_with_the_fix(df, store, options):
    with pytest.raises(NblabelError, match=r"give a list, e\.g\. options=|options=list\(d\)"):
        make(df, store, options=options)
    with pytest.raises(NblabelError, match=r"scale=sorted\("):
        nblabel.rate(df, scale={1, 2, 3}, text="review", store=store)


def test_the_keys_of_a_dict_are_ordered_and_taken(df, store):
    w = make(df, store, options={"pos": None, "neg": None}.keys())
    assert [o["label"] for o in w.options] == ["pos", "neg"]


@pytest.mark.parametrize(
    ("one", "other"), [(["a|b", "c"], ["a", "b|c"]), ([1, 2], ["1", "2"])]
)
def test_options_that_used_to_collide_get_different_default_tasks(df, store, one, other):
    first = make(df, store, options=one, task=None)
    first.press("1")
    second = make(df, store, options=other, task=None)
    assert first.session.task != second.session.task
    assert second.progress.done == 0 and second.labels.empty


def test_same_options_on_two_data_sets_in_one_folder(df, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    reviews = nblabel.classify(df, OPTIONS, text="review", annotator="alice")
    tweets = pd.DataFrame({"tweet": ["so good", "meh"]})
    other = nblabel.classify(tweets, OPTIONS, text="tweet", annotator="alice")
    assert reviews.session.store.path == other.session.store.path
    assert reviews.session.task != other.session.task
    assert reviews.session.task.startswith('classify:["pos","neg","neutral"]@')
    reviews.press("1")
    assert nblabel.classify(tweets, OPTIONS, text="tweet", annotator="alice").progress.done == 0


def test_renamed_options_warn_once_naming_the_labels_no_longer_options(df, store):
    label_first(make(df, store), "1123")  # pos pos neg neutral
    make(df, store, options=["neutral", "neg", "pos", "mixed"])  # reordered, one more: silent
    renamed = ["positive", "negative", "neutral"]
    with pytest.warns(NblabelWarning, match="no longer an option") as caught:
        w = make(df, store, options=renamed)
    message = str(caught[0].message)
    assert '"neg" (1), "pos" (2)' in message and "3 labels" in message
    assert "neutral" not in message.split("no longer an option")[1]
    assert w.session.notice == message
    make(df, store, options=renamed)  # said once: the store knows the new options


def test_renamed_options_of_a_task_from_before_task_info(df, store):
    for item, label in enumerate(["pos", "neg"]):
        store.append(task="old", item=item, annotator="bob", label=label)
    with pytest.warns(NblabelWarning, match=r'no longer an option: "pos" \(1\)\.'):
        make(df, store, task="old", options=["neg", "positive"])


def test_multi_label_values_are_checked_one_by_one(df, store):
    w = make(df, store, multi=True, task="topics")
    w.submit(["pos", "neg"])
    with pytest.warns(NblabelWarning, match=r'1 label in the store is no longer an option: "neg"'):
        make(df, store, multi=True, task="topics", options=["pos", "negative"])


def test_labels_under_the_earlier_default_name_are_pointed_to(df, store):
    store.append(task="classify:pos|neg|neutral", item=0, annotator="alice", label="pos")
    with pytest.warns(NblabelWarning, match=r"pass task='classify:pos\|neg\|neutral'"):
        make(df, store, task=None)
