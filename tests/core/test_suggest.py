"""Suggestions: from a column, a function or a scikit-learn model; computed in the background,
cached in the store as model events, recorded with the human's label; and the report of how
often humans accepted them, per model version and per class."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel import NblabelError
from nblabel._suggest import Suggester, Suggestion, suggestion_report

OPTIONS = ["billing", "tech", "other"]
DF = pd.DataFrame(
    {
        "text": ["refund please", "app crashes", "hello", "invoice wrong"],
        "predicted": ["billing", "tech", None, "tech"],
    },
    index=pd.Index(["t1", "t2", "t3", "t4"], name="id"),
)


def make(store, suggest, **kw):
    return Suggester(suggest, DF, options=OPTIONS, store=store, task="intent", **kw)


def test_a_column_suggests_its_value_and_is_not_stored_as_model_events(store):
    suggester = make(store, "predicted")
    assert suggester.compute(0) == Suggestion("billing", "predicted")
    assert suggester.compute(2).error == "no suggestion (empty)"
    assert store.annotations(source="model").empty


def test_a_function_suggests_a_label_or_the_most_probable_one(store):
    def keyword(row):
        return "billing" if "refund" in row.text else "other"

    plain = make(store, keyword)
    assert plain.model == "keyword"
    assert plain.compute(0).label == "billing" and plain.compute(0).score is None

    def probs(row):
        return {"tech": 0.7, "billing": 0.2, "other": 0.1}

    probs.version = "v2"
    scored = make(store, probs)
    got = scored.compute(1)
    assert (got.label, got.score, got.model, got.version) == ("tech", 0.7, "probs", "v2")


def test_a_scikit_learn_model_with_its_features(store):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = linear_model.LogisticRegression().fit(X, ["billing", "billing", "tech", "tech"])
    suggester = make(store, (model, X))
    assert suggester.model == "LogisticRegression"
    first, last = suggester.compute(0), suggester.compute(3)
    assert (first.label, last.label) == ("billing", "tech")
    assert first.score == pytest.approx(model.predict_proba(X[:1]).max())
    with pytest.raises(NblabelError, match=r"X has 2 rows, the data 4"):
        make(store, (model, X[:2]))
    with pytest.raises(NblabelError, match=r"takes a fitted classifier with predict_proba"):
        make(store, ("model", X))


def test_failures_become_suggestions_with_an_error_never_raised(store):
    def broken(row):
        raise TimeoutError("LLM took too long")

    assert make(store, broken).compute(0).error == "TimeoutError: LLM took too long"
    got = make(store, lambda row: "spam").compute(0)
    assert got.label is None
    assert got.error == "suggested 'spam', which is not an option ('billing', 'tech', 'other')"
    with pytest.raises(NblabelError, match=r"suggest= must be a column of the data"):
        make(store, "no_such_column")


def test_suggestions_are_cached_in_the_store_per_model_version(store):
    calls = []

    def model(row):
        calls.append(row.name)
        return "tech"

    model.version = "1"
    assert make(store, model).compute(1).label == "tech"
    again = make(store, model).compute(1)  # another widget, or after a restart
    assert calls == ["t2"] and again.event_id is not None
    events = store.annotations(task="intent", source="model")
    assert events[["item", "annotator", "label"]].values.tolist() == [["t2", "model", "tech"]]
    assert store.event_meta(events["event_id"]) == {again.event_id: {"version": "1", "score": None}}
    model.version = "2"
    make(store, model).compute(1)
    assert calls == ["t2", "t2"]  # a new version is asked again


def test_prefetch_computes_in_the_background_and_get_waits(store):
    release = threading.Event()
    seen = []

    def slow(row):
        release.wait(5)
        return "other"

    suggester = make(store, slow)
    suggester.on_ready(lambda position, suggestion: seen.append((position, suggestion.label)))
    suggester.prefetch([2, 3])
    assert suggester.get(2, wait=0.05) is None  # still computing: never blocks for long
    release.set()
    assert suggester.get(2, wait=5).label == "other"
    assert suggester.get(3, wait=5).label == "other"
    assert sorted(seen) == [(2, "other"), (3, "other")]
    assert suggester.get(0, wait=5).label == "other"  # never asked: asked on the spot
    suggester.close()


def test_the_human_event_records_the_suggestion_and_whether_it_was_accepted():
    shown = Suggestion("tech", "clf", "v1", 0.8, 12)
    assert shown.recorded("tech") == {
        "suggestion": {"label": "tech", "model": "clf", "version": "v1", "score": 0.8,
                       "event_id": 12},
        "accepted": True,
    }  # fmt: skip
    assert shown.recorded("billing")["accepted"] is False
    multi = Suggestion(["a", "b"], "clf")
    assert multi.recorded(["b", "a"])["accepted"] is True  # the same set
    failed = Suggestion(None, "clf", error="boom")
    assert failed.recorded("tech") == {
        "suggestion": {"model": "clf", "version": None, "error": "boom"}
    }


def label(store, item, human, suggestion, annotator="alice"):
    store.append(task="intent", item=item, annotator=annotator, label=human,
                 meta=suggestion.recorded(human))  # fmt: skip


def test_the_report_gives_acceptance_per_version_and_class_and_the_confusion(store):
    v1, v2 = ("clf", "v1"), ("clf", "v2")
    label(store, "t1", "billing", Suggestion("billing", *v1))
    label(store, "t2", "tech", Suggestion("billing", *v1))
    label(store, "t3", "tech", Suggestion("tech", *v1))
    label(store, "t4", "tech", Suggestion(None, *v1, error="boom"))
    label(store, "t1", "billing", Suggestion("billing", *v2), annotator="bob")
    label(store, "t2", "tech", Suggestion("tech", *v2), annotator="bob")
    store.append(task="intent", item="t3", annotator="bob", label="other")  # no suggestion
    report = nblabel.suggestion_report(store, "intent")
    summary = report.summary
    assert summary.loc[v1].to_dict() == {
        "labels": 3, "accepted": 2, "acceptance": 2 / 3, "unavailable": 1,
    }  # fmt: skip
    assert summary.loc[v2, "acceptance"] == 1.0
    assert report.by_class.loc[("clf", "v1", "billing")].to_dict() == {
        "labels": 2, "accepted": 1, "acceptance": 0.5,
    }  # fmt: skip
    assert report.confusion.loc[("clf", "v1", "billing"), "tech"] == 1
    assert report.confusion.loc[("clf", "v1", "billing"), "billing"] == 1
    assert "acceptance" in repr(report)
    only_bob = suggestion_report(store, "intent", annotator="bob")
    assert only_bob.summary.index.tolist() == [v2]


def test_the_report_refuses_what_it_cannot_read(store):
    store.append(task="plain", item=1, annotator="a", label="x")
    with pytest.raises(NblabelError, match=r"no label saved with a suggestion shown"):
        suggestion_report(store, "plain")
    with pytest.raises(NblabelError, match=r"has no task 'nope'"):
        suggestion_report(store, "nope")
    with pytest.raises(NblabelError, match=r"store= must be a LabelStore"):
        suggestion_report("labels.db", "plain")


def test_a_suggestion_is_cached_for_the_content_it_was_computed_for(store):
    """The cache is keyed by id: when an id shows other content (its fingerprint changed),
    the model is asked again, and that answer is cached for the new content."""
    calls = []

    def model(row):
        calls.append(row.text)
        return "billing" if "refund" in row.text else "tech"

    shows = {0: "fingerprint of refund please"}
    at = shows.__getitem__
    assert make(store, model, fingerprint=at).compute(0).label == "billing"
    assert make(store, model, fingerprint=at).compute(0).label == "billing"  # cached
    assert calls == ["refund please"]
    shows[0] = "fingerprint of other content"
    moved_first = DF.index[0]  # the same id, now with the last row's text
    moved = Suggester(model, DF.assign(text=DF["text"].iloc[::-1].values), options=OPTIONS,
                      store=store, task="intent", fingerprint=at)  # fmt: skip
    assert moved.compute(0).label == "tech"  # "invoice wrong", not the cached "billing"
    assert calls == ["refund please", "invoice wrong"]
    assert moved.compute(0).label == "tech"  # cached now for the new content
    assert len(calls) == 2
    assert len(store.annotations(task="intent", source="model", history=True)) == 2
    cached = store.current_label("intent", moved_first, "model", source="model")
    assert (cached.label, cached.fingerprint) == ("tech", "fingerprint of other content")

def test_a_cached_suggestion_that_is_no_longer_an_option_is_asked_again(store):
    calls = []

    def model(row):
        calls.append(row.name)
        return "tech"

    make(store, model).compute(1)
    renamed = Suggester(model, DF, options=["billing", "other"], store=store, task="intent")
    got = renamed.compute(1)  # the cached "tech" is no option now: the model is asked again
    assert calls == ["t2", "t2"] and got.error.startswith("suggested 'tech', which is not")
