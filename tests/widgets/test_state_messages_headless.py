"""State messages: after a label the kernel sends what changed of the sample, the prefetch and
the trail, and a view that applies them as ``base.js`` does (``nblabel.testing.FrontEnd``)
holds exactly the kernel's state, step after step, whatever the widget does."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import nblabel
from nblabel import NblabelError
from nblabel.testing import FrontEnd, browser_message, follow, recording_comms

OPTIONS = ["pos", "neg", "neutral"]
CHECKED = ("sample", "upcoming", "trail", "saved", "progress_state", "done", "acks", "error",
           "selection", "save_problem", "waiting")  # fmt: skip


def plain(value):
    """JSON-like values compared as the browser holds them (tuples as lists, bytes as bytes)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    return value


def assert_same(w, *fronts: FrontEnd) -> None:
    kernel = {name: plain(getattr(w, name)) for name in CHECKED}
    for front in fronts:
        held = front.state()
        assert {name: plain(held.get(name)) for name in CHECKED} == kernel


def state_messages(log, since):
    return [d["content"] for kind, d in log.messages_since(since)
            if d.get("method") == "custom" and d["content"].get("kind") == "state"]  # fmt: skip


@pytest.fixture
def frame():
    texts = ["a <b>bold</b> claim", "plain", "x" * 50, "é 🎉", "last but one", "last"]
    return pd.DataFrame({"text": texts}, index=pd.Index([f"r{i}" for i in range(6)], name="id"))


@pytest.fixture
def store(tmp_path):
    with nblabel.LabelStore(tmp_path / "labels.db") as opened:
        yield opened


def test_a_label_sends_one_small_state_message_and_the_view_holds_the_kernels_state(
    frame, store
):
    with recording_comms(signed=True) as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a")
        front = follow(w, log)
        assert_same(w, front)
        before, bytes_before = log.count(), log.bytes_sent
        w.press("1")
        sent = log.messages_since(before)
        assert len(sent) == 1 and sent[0][1]["method"] == "custom"
        (message,) = state_messages(log, before)
        # the next sample comes from the prefetch; only the new last prefetched one is sent
        assert message["sample"]["from"] == 0 and len(message["upcoming"]["add"]) == 1
        assert message["trail"]["push"] == {"item": '"r0"', "label": '"pos"'}
        small = log.bytes_sent - bytes_before
        assert_same(w, front)
        # the same label as a whole update, for a view that does not follow
        plain_w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="b")
        before, bytes_before = log.count(), log.bytes_sent
        plain_w.press("1")
        assert [d["method"] for _, d in log.messages_since(before)] == ["update"]
        assert small < log.bytes_sent - bytes_before


def test_every_move_keeps_the_view_equal_to_the_kernel(frame, store):
    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a")
        front = follow(w, log)
        steps = [
            lambda: w.press("1"), lambda: w.press("2"), lambda: w.skip(), lambda: w.back(),
            lambda: w.press("3"), lambda: w.undo(), lambda: w.press("1"), lambda: w.goto("r0"),
            lambda: w.press("2"),  # a relabel: the trail's older entry of r0 goes
            lambda: w.undo(), lambda: w.undo(),
        ]  # fmt: skip
        for step in steps:
            step()
            assert_same(w, front)
        while w.progress.done < len(frame):  # to the end: done
            w.press("1")
            assert_same(w, front)
        assert front.state()["done"] and front.asked_again == 0
        w.back()
        assert_same(w, front)
        with pytest.raises(NblabelError):
            w.press("9")
        assert_same(w, front)


def test_browser_intents_are_acknowledged_in_the_state_message(frame, store):
    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a")
        front = follow(w, log)
        for seq, item in enumerate(["r0", "r1", "r2"], start=1):
            browser_message(w, {"kind": "label", "value": '"neg"', "item": json.dumps(item),
                                "client": "tab", "seq": seq})  # fmt: skip
            assert front.state()["acks"] == {"tab": seq}
            assert_same(w, front)
        # a label for an item the view showed ahead of the kernel (prefetched) lands on it
        browser_message(w, {"kind": "label", "value": '"pos"', "item": '"r5"', "client": "tab",
                            "seq": 4})  # fmt: skip
        assert store.current_label(w.session.task, "r5", "a").label == "pos"
        assert_same(w, front)


def test_a_multi_label_selection_and_its_confirm_stay_equal(frame, store):
    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a", multi=True)
        front = follow(w, log)
        for key in ["1", "3", "Enter", "2", "Enter", "ArrowLeft", "ArrowLeft"]:
            w.press(key)
            assert_same(w, front)
        assert front.state()["selection"] == [0, 2]  # the first item's saved labels, back


def test_a_missed_message_makes_the_view_ask_for_the_whole_state(frame, store):
    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a")
        front = follow(w, log)
        w.press("1")
        assert_same(w, front)
        w.press("2")
        del log.messages[-1], log.comm_ids[-1], log.buffers[-1]  # lost on its way
        w.press("3")  # its base is a version the view never had
        assert front.state() and front.asked_again == 1
        assert_same(w, front)  # the whole state came back
        w.press("1")
        assert_same(w, front)
        assert front.asked_again == 1


def test_two_views_and_a_view_that_joins_late_hold_the_same_state(frame, store):
    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a")
        first, second = follow(w, log), follow(w, log)
        w.press("1")
        w.press("2")
        # a reloaded page: its model comes from the whole state the kernel sends on request
        late = FrontEnd(w, log, since=log.count())
        w.send_state()
        late.follow()
        for key in ["3", "1", "ArrowLeft"]:
            w.press(key)
            assert_same(w, first, second, late)
        assert first.asked_again == second.asked_again == late.asked_again == 0


def test_the_browser_sets_only_the_traits_it_owns(frame, store, tmp_path):
    w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a")
    sample, saved = w.sample, w.saved
    # what a view's own model saving would send back: its copy of the kernel's state
    w.set_state({"sample": {"item": '"r4"'}, "saved": 99, "trail": [], "upcoming": [],
                 "state_version": 7})  # fmt: skip
    assert w.sample == sample and w.saved == saved and w.upcoming
    spans = nblabel.annotate_spans(
        frame, text="text", classes=["PER"], store=store, annotator="a", task="ner"
    )
    draft = {"item": '"r0"', "spans": [{"start": 0, "end": 1, "label": "PER"}]}
    spans.set_state({"draft": draft, "saved": 5, "state_version": 3})
    assert spans.draft == draft and spans.saved == 0


def test_spans_drafts_and_labels_keep_the_view_equal(frame, store):
    with recording_comms() as log:
        w = nblabel.annotate_spans(
            frame, text="text", classes=["PER", "LOC"], store=store, annotator="a", task="ner"
        )
        front = follow(w, log)
        w.add_span(0, 1, "PER")
        assert_same(w, front)
        assert front.state()["draft"]["spans"]
        w.submit()
        assert_same(w, front)
        w.undo()
        assert_same(w, front)
        assert front.state()["draft"] == w.draft


def test_image_content_goes_as_binary_buffers_in_state_messages(frame, store):
    def picture(row):  # display= may return image bytes: the browser gets them as buffers
        shade = 40 * int(row.name[1:])
        return Image.fromarray(np.full((8, 12, 3), shade, np.uint8))

    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, display=picture, store=store, annotator="a")
        front = follow(w, log)
        before = log.count()
        w.press("1")
        (message,) = state_messages(log, before)
        assert message["buffer_paths"] == [["upcoming", "add", 0, "content", "data"]]
        assert_same(w, front)
        assert isinstance(front.state()["sample"]["content"]["data"], bytes)
        for key in ["2", "ArrowLeft", "3", "Backspace"]:
            w.press(key)
            assert_same(w, front)
        assert front.asked_again == 0


def test_annotate_images_keeps_the_view_equal(tmp_path, store):
    paths = []
    for i in range(5):
        path = tmp_path / f"scene{i}.png"
        Image.fromarray(np.full((20 + i, 30, 3), 40 * i, np.uint8)).save(path)
        paths.append(str(path))
    frame = pd.DataFrame({"path": paths}, index=pd.Index(list("abcde"), name="id"))
    with recording_comms() as log:
        w = nblabel.annotate_images(
            frame, image="path", classes=["cat", "dog"], store=store, annotator="a", task="d"
        )
        front = follow(w, log)
        before = log.count()
        w.add_box(1, 2, 10, 12, "cat")
        w.submit()
        assert state_messages(log, before)
        assert_same(w, front)
        assert front.state()["draft"] == w.draft
        w.submit()  # no shapes
        w.undo()
        assert_same(w, front)
        assert front.state()["draft"] == w.draft and front.asked_again == 0


def test_a_view_of_an_older_version_gets_the_whole_state_when_it_follows(frame, store):
    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a")
        w.press("1")  # no view follows yet: whole updates
        assert not state_messages(log, 0)
        front = FrontEnd(w, log)
        front.state()
        front.model["state_version"] -= 1  # as if it had missed the last update
        front.follow()
        assert_same(w, front)
        before = log.count()
        w.press("2")
        assert state_messages(log, before)
        assert_same(w, front)


def test_suggestions_arriving_on_their_thread_while_labeling_keep_the_view_equal(frame, store):
    def model(row):  # a model that answers on its own thread, at its own pace
        time.sleep(0.002 * (len(row["text"]) % 5))
        return {"pos": 0.7, "neg": 0.3}

    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a",
                             suggest=model)  # fmt: skip
        front = follow(w, log)
        for key in ["1", "2", "ArrowLeft", "3", "Enter"]:
            w.press(key)
            time.sleep(0.003)  # labels while suggestions arrive
        deadline = time.monotonic() + 10
        while any("value" not in p["suggestion"] for p in [w.sample, *w.upcoming]):
            assert time.monotonic() < deadline, "suggestions did not arrive"
            time.sleep(0.01)
        assert_same(w, front)
        assert "value" in front.state()["sample"]["suggestion"]


def test_observers_of_the_traits_a_label_changes_are_still_told(frame, store):
    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a")
        front = follow(w, log)
        saved, everything = [], []
        w.observe(lambda change: saved.append(change["new"]), names="saved")
        w.press("1")
        assert saved == [1]
        w.observe(lambda change: everything.append(change["name"]))  # every trait
        w.press("2")
        assert saved == [1, 2]
        assert {"saved", "sample", "upcoming", "trail", "progress_state"} <= set(everything)
        assert_same(w, front)


def _kinds(tmp_path):
    """Widgets of other kinds, each with the keys a user would press on it."""
    answers = pd.DataFrame(
        {"prompt": [f"q{i}" for i in range(5)], "a": [f"A{i}" for i in range(5)],
         "b": [f"B{i}" for i in range(5)],
         "question": [f"Is {i} even?" for i in range(5)],
         "steps": [[f"{i} / 2", "so it is"] for i in range(5)]},
        index=pd.Index([f"r{i}" for i in range(5)], name="id"),
    )  # fmt: skip
    pictures = pd.DataFrame({"image": [np.full((8, 12, 3), 30 * i, np.uint8) for i in range(7)]})
    return {
        "rate": (lambda s: nblabel.rate(answers, text="prompt", store=s, task="rate"),
                 ["1", "5", "ArrowLeft", "3", "Backspace", "2"]),
        "caption": (lambda s: nblabel.caption(answers, text="prompt", store=s, task="cap"),
                    None),
        "compare": (lambda s: nblabel.compare(answers, prompt="prompt", candidates=["a", "b"],
                                              store=s, task="pref"),
                    ["1", "2", "ArrowLeft", "1", "Backspace", "2"]),
        "steps": (lambda s: nblabel.review_steps(answers, question="question", steps="steps",
                                                 store=s, task="steps"),
                  ["1", "1", "1", "2", "Backspace", "1", "1"]),
        "grid": (lambda s: nblabel.classify(pictures, OPTIONS, image="image", grid=3, store=s,
                                            task="grid"),
                 ["1", "Enter", "2", "Enter", "Backspace"]),
    }  # fmt: skip


@pytest.mark.parametrize("kind", ["rate", "caption", "compare", "steps", "grid"])
def test_other_kinds_keep_the_view_equal(kind, store, tmp_path):
    make, keys = _kinds(tmp_path)[kind]
    with recording_comms() as log:
        w = make(store)
        front = follow(w, log)
        before = log.count()
        if keys is None:  # a caption is typed, then saved
            for text in ["a short caption", "another", "a third"]:
                w.submit(text)
                assert_same(w, front)
            w.undo()
        else:
            for key in keys:
                w.press(key)
                assert_same(w, front)
        assert w.saved >= 2  # labels went through, and so did the undo
        assert state_messages(log, before) and front.asked_again == 0


@pytest.mark.parametrize("version", [None, "3", -1, 10**30, [1], {"v": 1}])
def test_a_follow_message_naming_no_version_it_holds_gets_the_whole_state(frame, store, version):
    with recording_comms() as log:
        w = nblabel.classify(frame, OPTIONS, text="text", store=store, annotator="a")
        front = follow(w, log)
        w.press("1")
        before = log.count()
        browser_message(w, {"kind": "follow", "version": version})
        sent = log.messages_since(before)
        assert [d.get("method") for _, d in sent] == ["update"]  # the whole state, once
        assert {"sample", "upcoming", "trail", "state_version"} <= set(sent[0][1]["state"])
        w.press("2")  # and state messages go on from there
        assert_same(w, front)
        assert front.asked_again == 0
