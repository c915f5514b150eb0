"""classify(suggest=...) without a browser: suggestions computed ahead and shown with the
item, Enter accepting one (waiting for it), every label recording the suggestion it was shown,
a failing model shown while labeling goes on, and rationale='required'."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

import nblabel
from nblabel import NblabelError
from nblabel.testing import browser_message

OPTIONS = ["billing", "tech", "other"]
DF = pd.DataFrame(
    {
        "text": ["refund please", "app crashes", "hello", "invoice wrong", "login fails"],
        "predicted": ["billing", "tech", "other", "tech", "tech"],
    },
    index=pd.Index([f"t{i}" for i in range(5)], name="id"),
)


@pytest.fixture
def store(tmp_path):
    with nblabel.LabelStore(tmp_path / "labels.db") as opened:
        yield opened


def make(store, **kw):
    kw.setdefault("annotator", "alice")
    kw.setdefault("task", "intent")
    return nblabel.classify(DF, OPTIONS, text="text", store=store, **kw)


def wait_for(predicate, timeout=5.0):
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def recorded(store):
    frame = store.annotations(task="intent", source="annotator")
    meta = store.event_meta(frame["event_id"])
    return [(item, label, meta.get(e, {})) for item, label, e in
            zip(frame["item"], frame["label"], frame["event_id"], strict=True)]  # fmt: skip


def test_a_column_suggestion_is_shown_and_enter_accepts_it(store):
    w = make(store, suggest="predicted")
    wait_for(lambda: w.sample["suggestion"].get("value") == '"billing"')
    assert w.sample["suggestion"]["label"] == "billing" and w.suggest_model == "predicted"
    wait_for(lambda: all("value" in p["suggestion"] for p in w.upcoming))  # computed ahead
    w.press("Enter")  # accept
    w.press("1")  # t1 is suggested "tech": changed to billing
    rows = recorded(store)
    assert [(i, label, m["accepted"]) for i, label, m in rows] == [
        ("t0", "billing", True),
        ("t1", "billing", False),
    ]
    assert rows[1][2]["suggestion"] == {"label": "tech", "model": "predicted", "version": None,
                                        "score": None, "event_id": None}  # fmt: skip
    assert ["Enter", "accept the suggested label (waits for it if still computing)"] in w.key_help


def test_enter_waits_for_a_suggestion_still_being_computed(store):
    release = threading.Event()

    def slow_llm(row):
        release.wait(5)
        return {"tech": 0.9, "billing": 0.1}

    slow_llm.version = "2026-11"
    w = make(store, suggest=slow_llm)
    assert w.sample["suggestion"] == {"pending": True, "model": "slow_llm"}
    timer = threading.Timer(0.2, release.set)
    timer.start()
    w.press("Enter")  # returns once the suggestion came and was saved
    timer.join()
    (_, label, meta), = recorded(store)  # fmt: skip
    assert label == "tech" and meta["accepted"] is True
    assert meta["suggestion"]["version"] == "2026-11" and meta["suggestion"]["score"] == 0.9
    model_events = store.annotations(task="intent", source="model")
    assert set(model_events["annotator"]) == {"slow_llm"}  # cached under the model's name


def test_the_view_can_accept_by_sending_the_suggested_label(store):
    w = make(store, suggest="predicted")
    wait_for(lambda: "value" in w.sample["suggestion"])
    browser_message(w, {"kind": "label", "value": w.sample["suggestion"]["value"],
                        "item": w.sample["item"], "client": "c", "seq": 1})  # fmt: skip
    assert recorded(store)[0][2]["accepted"] is True


def test_a_failing_model_is_shown_and_labeling_goes_on(store):
    def broken(row):
        raise ConnectionError("LLM endpoint down")

    w = make(store, suggest=broken)
    wait_for(lambda: "error" in w.sample["suggestion"])
    assert w.sample["suggestion"]["error"] == "ConnectionError: LLM endpoint down"
    with pytest.raises(NblabelError, match=r"no suggestion to accept.*endpoint down"):
        w.press("Enter")
    w.press("2")
    (_, label, meta), = recorded(store)  # fmt: skip
    assert label == "tech" and meta["suggestion"]["error"] == "ConnectionError: LLM endpoint down"
    assert "accepted" not in meta


def test_the_report_reads_what_the_widget_recorded(store):
    w = make(store, suggest="predicted", suggest_version="v1")
    for key in ["Enter", "Enter", "1", "Enter", "3"]:
        wait_for(lambda: "value" in w.sample["suggestion"])
        w.press(key)
    report = nblabel.suggestion_report(store, "intent")
    assert report.summary.loc[("predicted", "v1")].to_dict() == {
        "labels": 5, "accepted": 3, "acceptance": 0.6, "unavailable": 0,
    }  # fmt: skip
    assert report.by_class.loc[("predicted", "v1", "tech"), "acceptance"] == pytest.approx(2 / 3)
    assert report.confusion.loc[("predicted", "v1", "tech"), "other"] == 1


def test_wrong_suggest_arguments_are_refused_before_anything_is_written(store):
    with pytest.raises(NblabelError, match=r"suggest='guess' is not a column of the data"):
        make(store, suggest="guess")
    with pytest.raises(NblabelError, match=r"suggest_version= must be text"):
        make(store, suggest="predicted", suggest_version=2)
    assert store.tasks() == []


def test_rationale_required_in_classify(store):
    w = make(store, rationale="required")
    with pytest.raises(NblabelError, match=r"a reason is required"):
        w.press("1")
    w.submit("tech", rationale="stack trace in the text")
    assert w.labels["rationale"].tolist() == ["stack trace in the text"]
