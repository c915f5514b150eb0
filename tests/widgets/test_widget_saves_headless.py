"""What the widget saves, acknowledges and undoes when things go wrong: undo per widget, labels
sent as values (never keys), failed saves left pending, rows that cannot be shown, and ids and
text that are not valid UTF-8. Driven headless through the public twins and the browser's
messages."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import nblabel
from nblabel._codec import encode
from nblabel.testing import browser_message

OPTIONS = ["pos", "neg", "neutral"]


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {"review": ["good", "bad", "meh", "great", "awful"]},
        index=pd.Index(["a", "b", "c", "d", "e"], name="id"),
    )


@pytest.fixture
def store(tmp_path) -> nblabel.LabelStore:
    return nblabel.LabelStore(tmp_path / "labels.db")


def make(df, store, options=OPTIONS, **kwargs):
    kwargs.setdefault("annotator", "alice")
    kwargs.setdefault("task", "sentiment")
    return nblabel.classify(df, options, text="review", store=store, **kwargs)


def label_message(w, value, seq, client="tab-1", **extra):
    """What the front end sends for a label: the value the user saw, as JSON text."""
    return {"kind": "label", "value": encode(value), "item": w.sample.get("item"),
            "client": client, "seq": seq, **extra}  # fmt: skip


def current_labels(store) -> dict:
    return dict(store.annotations(task="sentiment")[["item", "label"]].values.tolist())


# -- undo is per widget ---------------------------------------------------------------------------
def test_undo_in_one_widget_never_takes_back_another_widgets_label(df, store):
    first, second = make(df, store), make(df, store)  # two widgets, one annotator and task
    first.press("1")  # a
    second.goto("c")
    second.press("2")  # c
    first.press("3")  # b
    second.undo()
    assert current_labels(store) == {"a": "pos", "b": "neutral"}
    second.undo()  # nothing of its own left: it says so, and takes nothing
    assert "Nothing saved here to undo" in second.error and "←" in second.error
    assert current_labels(store) == {"a": "pos", "b": "neutral"}
    browser_message(second, {"kind": "action", "name": "undo", "client": "t", "seq": 1})
    assert second.acks == {"t": 1} and "Nothing saved here to undo" in second.error
    assert current_labels(store) == {"a": "pos", "b": "neutral"}
    first.undo()
    first.undo()
    assert current_labels(store) == {}
    assert first.current == "a" and first.progress.done == 0


# -- labels travel as values -----------------------------------------------------------------------
def test_each_option_carries_its_value_for_the_browser(df, store):
    w = make(df, store, options=["pos", 1, 2.5, False])
    assert [o["value"] for o in w.options] == ['"pos"', "1", "2.5", "false"]
    assert w.options[1] == {"label": "1", "key": "2", "value": "1"}


def test_a_pending_label_keeps_its_value_when_the_options_are_reordered(df, store):
    w = make(df, store)
    pending = label_message(w, "pos", 1)  # the user saw "pos" on key 1; the kernel restarts
    reordered = make(df, store, options=["neg", "pos", "neutral"])  # key 1 is "neg" now
    browser_message(reordered, {**pending, "resent": True})
    assert current_labels(store) == {"a": "pos"}
    assert reordered.acks == {"tab-1": 1} and reordered.error == ""


def test_a_pending_label_that_is_no_longer_an_option_is_refused_visibly(df, store):
    w = make(df, store)
    pending = label_message(w, "neutral", 7)
    fewer = make(df, store, options=["pos", "neg"])
    browser_message(fewer, {**pending, "resent": True})
    assert "Not saved" in fewer.error and "'neutral'" in fewer.error and "'a'" in fewer.error
    assert fewer.acks == {"tab-1": 7}  # acknowledged: the browser stops sending it
    assert current_labels(store) == {}
    assert fewer.current == "a"


def test_a_key_resent_by_an_earlier_front_end_is_refused_not_guessed(df, store):
    w = make(df, store)
    browser_message(w, {"kind": "key", "key": "1", "item": '"a"', "client": "old", "seq": 3,
                        "resent": True})  # fmt: skip
    browser_message(w, {"kind": "pick", "index": 0, "item": '"b"', "client": "old", "seq": 4,
                        "resent": True})  # fmt: skip
    assert "Not saved" in w.error and "'b'" in w.error and "Label the item again" in w.error
    assert w.acks == {"old": 4} and current_labels(store) == {}
    browser_message(w, {"kind": "key", "key": "2", "item": '"a"', "client": "new", "seq": 1})
    assert current_labels(store) == {"a": "neg"}  # a key pressed now means today's key map


def test_multi_label_and_caption_values_travel_as_json(df, store):
    multi = nblabel.classify(df, OPTIONS, text="review", multi=True, store=store, task="m")
    values = [o["value"] for o in multi.options]
    browser_message(multi, {"kind": "label", "value": f"[{values[2]},{values[0]}]",
                            "item": '"a"', "client": "t", "seq": 1})  # fmt: skip
    assert multi.labels.loc["a", "label"] == ["pos", "neutral"]  # in option order
    browser_message(multi, {"kind": "label", "value": '["pos","gone"]', "item": '"b"',
                            "client": "t", "seq": 2})  # fmt: skip
    assert "Not saved" in multi.error and "'b'" in multi.error and multi.acks == {"t": 2}
    caption = nblabel.caption(df, text="review", store=store, task="c")
    browser_message(caption, {"kind": "label", "value": json.dumps("two\nlines"),
                              "item": '"a"', "client": "t", "seq": 1})  # fmt: skip
    assert caption.labels.loc["a", "label"] == "two\nlines"
    browser_message(caption, {"kind": "label", "value": "not json", "client": "t", "seq": 2})
    assert "Not saved" in caption.error and caption.acks == {"t": 2}


# -- failed saves are never acknowledged; saved ones always are ------------------------------------
def test_a_save_that_fails_for_any_reason_is_kept_pending(df, store, monkeypatch):
    w = make(df, store)
    real_append = store.append

    def broken(**kwargs):
        raise OSError("I/O error on the disk")

    monkeypatch.setattr(store, "append", broken)
    message = label_message(w, "neg", 1)
    browser_message(w, message)
    assert "Not saved" in w.error and "OSError: I/O error" in w.error
    assert w.acks == {}  # the browser keeps the label pending and sends it again
    with pytest.raises(OSError):
        w.submit("pos")  # from Python the error is raised too, and shown
    monkeypatch.setattr(store, "append", real_append)
    browser_message(w, {**message, "resent": True})
    assert w.acks == {"tab-1": 1} and w.error == ""
    assert current_labels(store) == {"a": "neg"}


def test_a_saved_label_is_acknowledged_even_if_what_follows_fails(df, store, monkeypatch):
    w = make(df, store)

    def broken(count):
        raise RuntimeError("prefetch went wrong")

    monkeypatch.setattr(w.session, "upcoming", broken)
    w.submit("pos")  # saved: returns normally
    assert "prefetch went wrong" in w.error
    browser_message(w, label_message(w, "neg", 1))
    assert w.acks == {"tab-1": 1} and "prefetch went wrong" in w.error
    assert current_labels(store) == {"a": "pos", "b": "neg"}
    assert w.saved == 2


# -- a row that cannot be shown --------------------------------------------------------------------
def show_except(*broken):
    def show(row):
        if row.name in broken:
            raise ValueError(f"cannot read row {row.name}")
        return row.text

    return show


@pytest.fixture
def ten() -> pd.DataFrame:
    return pd.DataFrame({"text": [f"text {i}" for i in range(10)]})


def test_a_first_row_that_cannot_be_shown_shows_why_and_can_be_skipped(ten, store):
    w = nblabel.classify(ten, OPTIONS, display=show_except(0), store=store, task="sentiment")
    content = w.sample["content"]
    assert content["type"] == "error"
    assert "ValueError: cannot read row 0" in content["text"] and "row 0" in content["text"]
    assert w.upcoming[0]["content"] == {"type": "text", "text": "text 1"}
    w.skip()
    assert w.current == 1 and w.sample["content"] == {"type": "text", "text": "text 1"}
    w.goto(0)
    w.press("2")  # the broken item is labeled like any other
    assert current_labels(store) == {0: "neg"}


def test_a_broken_row_further_on_leaves_the_others_alone(ten, store):
    w = nblabel.classify(ten, OPTIONS, display=show_except(7), store=store, task="sentiment")
    for _ in range(6):
        w.press("1")
    assert w.current == 6 and w.sample["content"] == {"type": "text", "text": "text 6"}
    assert w.upcoming[0]["content"]["type"] == "error"  # prefetched, broken, in its own place
    w.submit("neg")  # the row before the broken one: saved, returns normally
    assert current_labels(store)[6] == "neg" and w.error == ""
    assert w.current == 7 and "cannot read row 7" in w.sample["content"]["text"]
    browser_message(w, label_message(w, "neutral", 1))
    assert w.acks == {"tab-1": 1} and current_labels(store)[7] == "neutral"
    assert w.current == 8 and w.sample["content"] == {"type": "text", "text": "text 8"}


def test_a_row_that_failed_to_show_is_tried_again(ten, store):
    failures = []

    def flaky(row):
        if row.name == 1 and not failures:
            failures.append(row.name)
            raise OSError("the image server did not answer")
        return row.text

    w = nblabel.classify(ten, OPTIONS, display=flaky, store=store, task="sentiment")
    assert "did not answer" in w.upcoming[0]["content"]["text"]  # prefetched while it failed
    w.press("1")
    assert w.current == 1 and w.sample["content"] == {"type": "text", "text": "text 1"}


# -- ids and text that are not valid UTF-8 ---------------------------------------------------------
NAMES = ["r\udce9sum\u00e9.txt", "plain.txt"]  # as os.listdir gives an undecodable file name


def label_files(store):
    # object dtype: pandas' Arrow-backed strings cannot hold a lone surrogate at all
    ids = pd.Index(NAMES, name="file", dtype=object)
    files = pd.DataFrame({"name": pd.Series(NAMES, index=ids, dtype=object)})
    w = nblabel.caption(files, text="name", store=store, task="files")
    w.sample["item"].encode("utf-8")  # the browser can receive the id
    assert w.sample["content"] == {"type": "text", "text": "r\ufffdsum\u00e9.txt"}
    w.submit("caption \udcff as typed")
    browser_message(w, {"kind": "label", "value": json.dumps("from the browser \udcfe"),
                        "item": w.sample["item"], "client": "t", "seq": 1})  # fmt: skip
    assert w.acks == {"t": 1} and w.error == ""
    return files, w


def test_ids_and_captions_with_lone_surrogates_are_saved_exactly(store):
    files, w = label_files(store)
    saved = {c.item: c.label for c in store.current("files", w.session.annotator).values()}
    assert saved == {NAMES[0]: "caption \udcff as typed", NAMES[1]: "from the browser \udcfe"}
    again = nblabel.caption(files, text="name", store=store, task="files")
    assert again.done and again.progress == nblabel.Progress(2, 2)  # ids matched on resume


def test_labels_read_back_ids_and_captions_with_lone_surrogates(store):
    _, w = label_files(store)
    labels = w.labels
    assert labels.index.tolist() == NAMES
    assert labels["label"].tolist() == ["caption \udcff as typed", "from the browser \udcfe"]


def test_a_store_file_deleted_under_the_widget_keeps_the_label_pending_and_says_why(
    df, store, tmp_path
):
    w = make(df, store)
    browser_message(w, label_message(w, "pos", 1))  # a
    assert w.acks == {"tab-1": 1} and w.save_problem == ""
    store.path.unlink()  # another program deletes the store under the running kernel
    pending = label_message(w, "neg", 2)  # b, as the browser keeps it
    browser_message(w, pending)
    assert w.acks == {"tab-1": 1}  # not acknowledged: the browser keeps it and sends it again
    assert "Not saved" in w.error and str(store.path) in w.error and "was deleted" in w.error
    assert w.save_problem.startswith("the store file was changed by another program")
    assert not store.path.exists()  # nothing wrote a new file behind the user's back
    again = make(df, nblabel.LabelStore(tmp_path / "labels.db"))  # the cell run again
    browser_message(again, {**pending, "resent": True})
    assert current_labels(again.store) == {"b": "neg"}
    assert again.acks == {"tab-1": 2}
