"""The widgets without a browser: every UI action through its public Python twin, and the
browser's messages delivered as the front end would send them."""

from __future__ import annotations

import io
import json
import re
import sqlite3

import ipywidgets as ipw
import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel._codec import encode
from nblabel.testing import browser_message, recording_comms

OPTIONS = ["pos", "neg", "neutral"]


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {"review": ["good", "bad", "meh", "great", "awful"], "stars": [5, 1, 3, 5, 1]},
        index=pd.Index(["a", "b", "c", "d", "e"], name="id"),
    )


@pytest.fixture
def store(tmp_path) -> nblabel.LabelStore:
    return nblabel.LabelStore(tmp_path / "labels.db")


def make(df, store, **kwargs):
    kwargs.setdefault("annotator", "alice")
    kwargs.setdefault("task", "sentiment")
    return nblabel.classify(df, OPTIONS, text="review", store=store, **kwargs)


def test_keys_label_items_in_order_and_labels_align_with_the_data(df, store):
    original = df.copy()
    w = make(df, store)
    assert w.current == "a"
    for key in ["1", "2", "3"]:
        w.press(key)
    assert w.current == "d"
    assert w.progress == nblabel.Progress(3, 5)
    labels = w.labels
    assert list(labels.index) == ["a", "b", "c"]
    assert list(labels["label"]) == ["pos", "neg", "neutral"]
    assert set(labels["annotator"]) == {"alice"}
    assert isinstance(labels["labeled_at"].dtype, pd.DatetimeTZDtype)
    joined = df.join(w.labels)
    assert joined.loc["b", "label"] == "neg" and pd.isna(joined.loc["e", "label"])
    pd.testing.assert_frame_equal(df, original)  # the user's frame is never modified


def test_every_saved_label_is_in_the_store_before_press_returns(df, store, tmp_path):
    w = make(df, store)
    w.press("2")
    other = nblabel.LabelStore(tmp_path / "labels.db")  # another connection, like a new kernel
    rows = other.annotations(task="sentiment")
    assert rows[["item", "label"]].values.tolist() == [["a", "neg"]]


def test_skip_back_undo_goto(df, store):
    w = make(df, store)
    w.press("1")
    w.skip()
    assert w.current == "c"
    w.back()
    assert w.current == "b"
    w.press("ArrowRight")  # skip by key
    w.press("3")
    assert w.current == "d"
    w.undo()
    assert w.current == "c" and w.progress.done == 1
    w.goto("a")
    assert w.sample["label"] == json.dumps("pos")
    w.press("2")  # relabel
    assert w.labels.loc["a", "label"] == "neg"
    w.press("Backspace")  # undo the relabel: the earlier label comes back
    assert w.labels.loc["a", "label"] == "pos"


def test_done_when_every_item_is_labeled(df, store):
    w = make(df, store)
    for _ in range(5):
        w.press("1")
    assert w.current is None and w.done and w.sample == {}
    with pytest.raises(nblabel.NblabelError, match="nothing on screen"):
        w.submit("pos")


def test_the_done_state_names_the_export_of_each_kind(df, store):
    # the call shown when all is labeled writes the kind's own format, for its own task
    df = df.assign(first=df["review"].str.upper(), second=df["review"].str.title())
    widgets = {
        "nblabel.export.table(w.store, 'sentiment', 'labels.csv')": make(df, store),
        "nblabel.export.spans(w.store, 'ner', df, text='review', path='spans.jsonl')":
            nblabel.annotate_spans(df, text="review", classes=["A"], store=store, task="ner"),
        "nblabel.export.preferences(w.store, 'pref', df, path='preferences.jsonl')":
            nblabel.compare(df, prompt="review", candidates=["first", "second"], store=store,
                            task="pref"),
    }  # fmt: skip
    for call, w in widgets.items():
        assert w.info["export"] == call


def test_resume_per_annotator(df, store):
    w = make(df, store)
    w.press("1")
    w.press("1")
    assert make(df, store).current == "c"
    assert make(df, store, annotator="bob").current == "a"


def test_default_store_annotator_and_task(df, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "carol")
    w = nblabel.classify(df, OPTIONS, text="review")
    w.press("1")
    assert (tmp_path / "nblabel.db").exists()
    assert w.info["store"] == "nblabel.db"  # named in the widget
    assert w.session.annotator == "carol"
    # the options as JSON and a short hash of the columns that identify a row
    assert re.fullmatch(r'classify:\["pos","neg","neutral"\]@[0-9a-f]{8}', w.session.task)
    again = nblabel.classify(df, OPTIONS, text="review")  # the same name in every kernel
    assert again.session.task == w.session.task and again.progress.done == 1


def test_whole_row_as_table_when_no_text_column(df, store):
    w = nblabel.classify(df, OPTIONS, store=store)
    content = w.sample["content"]
    assert content["type"] == "table"
    assert content["rows"] == [["review", "good"], ["stars", "5"]]


def test_series_and_list_are_wrapped(store):
    w = nblabel.classify(pd.Series(["x", "y"], name="t"), OPTIONS, store=store, task="s")
    assert w.sample["content"] == {"type": "text", "text": "x"}
    w = nblabel.classify(["p", "q"], OPTIONS, store=store, task="l")
    assert w.sample["content"] == {"type": "text", "text": "p"} and w.current == 0


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "&lt;b&gt; &amp;",
        "مرحبا بالعالم",
        "日本語のテキスト",
        "emoji 👍🏽🎉",
        "x" * 1_000_000,
    ],
)
def test_any_text_is_sent_as_text_never_markup(store, text):
    w = nblabel.classify([text], OPTIONS, store=store)
    assert w.sample["content"] == {"type": "text", "text": text}


def test_missing_values_render_as_missing(store):
    w = nblabel.classify(pd.DataFrame({"t": [None, np.nan, "ok"]}), OPTIONS, text="t", store=store)
    assert w.sample["content"] == {"type": "missing"}
    assert [p["content"]["type"] for p in w.upcoming] == ["missing", "text"]


def test_display_callable_content_kinds(df, store):
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, format="PNG")
    audio = ipw.HTML("a widget")
    shows = {
        "a": lambda row: nblabel.HTML(f"<b>{row.review}</b>"),
        "b": lambda row: png.getvalue(),
        "c": lambda row: Image.new("RGB", (2, 2)),
        "d": lambda row: audio,
        "e": lambda row: row.review,
    }
    w = nblabel.classify(df, OPTIONS, display=lambda row: shows[row.name](row), store=store)
    kinds = [w.sample["content"]] + [p["content"] for p in w.upcoming]
    assert kinds[0] == {"type": "html", "html": "<b>good</b>"}
    assert kinds[1]["type"] == "image" and kinds[1]["mime"] == "image/png"
    assert kinds[1]["data"] == png.getvalue()
    assert kinds[2]["type"] == "image" and kinds[2]["data"].startswith(b"\x89PNG")
    assert kinds[3] == {"type": "widget", "ref": f"IPY_MODEL_{audio.model_id}"}


def test_display_errors_are_clear_and_shown_in_the_items_place(df, store):
    w = nblabel.classify(df, OPTIONS, display=lambda row: b"not an image", store=store)
    assert w.sample["content"]["type"] == "error"
    assert "not a PNG" in w.sample["content"]["text"] and "'a'" in w.sample["content"]["text"]
    w = nblabel.classify(df, OPTIONS, display=lambda row: 1 / 0, store=store, task="t2")
    assert "display= raised ZeroDivisionError" in w.sample["content"]["text"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": pd.DataFrame({"review": []})}, "empty"),
        ({"data": pd.DataFrame({"review": ["a", "b"]}, index=[1, 1])}, "duplicate"),
        ({"data": pd.DataFrame({"review": ["a"]}, index=[np.nan])}, "NaN"),
        (
            {
                "data": pd.DataFrame(
                    {"review": ["a", "b"]}, index=pd.Index([[1], [2]], tupleize_cols=False)
                )
            },
            "unhashable",
        ),
        ({"text": "reveiw"}, "not a column"),
        ({"options": []}, "empty"),
        ({"options": None}, "must be a list"),
        ({"options": ["a", "b", "a"]}, "more than once"),
        ({"options": [["nested"]]}, "use strings or numbers"),
        ({"data": {"not": "a frame"}}, "must be a pandas DataFrame"),
        ({"order": ["a", "zzz"]}, "not in the data"),
        ({"keys": {"q": "unknown"}}, "neither an option"),
        ({"annotator": ""}, "annotator"),
    ],
)
def test_bad_input_is_refused_at_construction(df, store, kwargs, message):
    args = {"data": df, "options": OPTIONS, "text": "review", "store": store, **kwargs}
    with pytest.raises(nblabel.NblabelError, match=message):
        nblabel.classify(args.pop("data"), args.pop("options"), **args)


@pytest.mark.parametrize(
    ("make_widget", "example"),
    [
        (lambda d, s: nblabel.classify(d, "pos", text="t", store=s), "['pos', 'neg']"),
        (lambda d, s: nblabel.rate(d, "12345", text="t", store=s), "[1, 2, 3, 4, 5]"),
        (lambda d, s: nblabel.annotate_spans(d, text="t", classes="PER", store=s),
         "['PER', 'ORG']"),
        (lambda d, s: nblabel.annotate_images(d, image="img", classes="cat", store=s),
         "['cat', 'dog']"),
        (lambda d, s: nblabel.label_audio(d, audio="wav", classes="speech", store=s),
         "['speech', 'music']"),
        (lambda d, s: nblabel.label_series(d, time="time", value="v", classes="walk", store=s),
         "['walk', 'run']"),
    ],
)  # fmt: skip
def test_choices_given_as_one_text_are_refused_with_a_list_of_their_kind(
    store, make_widget, example
):
    data = pd.DataFrame({"t": ["a b"], "img": ["x.png"], "wav": ["x.wav"], "time": [0.0],
                         "v": [1.0]})  # fmt: skip
    with recording_comms(), pytest.raises(nblabel.NblabelError) as caught:
        make_widget(data, store)
    assert f"must be a list such as {example}, not '" in str(caught.value)


def test_unknown_keyword_and_unknown_value(df, store):
    with pytest.raises(TypeError, match="optons"):
        nblabel.classify(df, OPTIONS, text="review", store=store, optons=1)
    w = make(df, store)
    with pytest.raises(nblabel.NblabelError, match="not one of the options"):
        w.submit("positive")
    with pytest.raises(nblabel.NblabelError, match="does nothing"):
        w.press("7")
    assert store.annotations().empty


def test_a_file_that_is_not_a_store_is_refused_and_kept(df, tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("my precious notes")
    with pytest.raises(nblabel.NblabelError, match="not an nblabel database"):
        nblabel.classify(df, OPTIONS, text="review", store=path)
    assert path.read_text() == "my precious notes"


def test_multi_label_toggles_then_confirms(df, store):
    w = nblabel.classify(df, OPTIONS, text="review", multi=True, store=store)
    w.press("1")
    w.press("3")
    w.press("1")
    assert w.selection == [2]
    w.press("2")
    w.press("Enter")
    assert w.labels.loc["a", "label"] == ["neg", "neutral"]
    w.submit(["neutral", "pos"])  # kept in option order
    assert w.labels.loc["b", "label"] == ["pos", "neutral"]
    with pytest.raises(nblabel.NblabelError, match="Select at least one, or press → to skip"):
        w.submit([])  # an empty set is refused, unless allow_empty=True
    with pytest.raises(nblabel.NblabelError, match="Select at least one"):
        w.press("Enter")  # nothing toggled on
    assert "c" not in w.labels.index and w.current == "c"
    with pytest.raises(nblabel.NblabelError, match="not in the options"):
        w.submit(["nope"])
    w.goto("a")
    assert w.selection == [1, 2]  # the saved choice shows again


def test_multi_label_allow_empty_saves_none_of_these(df, store):
    w = nblabel.classify(df, OPTIONS, text="review", multi=True, allow_empty=True, store=store)
    w.press("Enter")  # "none of these" is a label here
    w.submit([])
    assert w.labels["label"].tolist() == [[], []]
    for wrong, match in ((1, "True or False"), ("yes", "True or False")):
        with pytest.raises(nblabel.NblabelError, match=match):
            nblabel.classify(df, OPTIONS, text="review", multi=True, allow_empty=wrong,
                             store=store)
    with pytest.raises(nblabel.NblabelError, match="pass multi=True"):
        nblabel.classify(df, OPTIONS, text="review", allow_empty=True, store=store)


def test_rate_keys_are_the_values(df, store):
    w = nblabel.rate(df, text="review", store=store)
    assert w.options[0] == {"label": "1", "key": "1", "value": "1"}
    w.press("4")
    w.press("1")
    assert w.labels["label"].tolist() == [4, 1]
    w0 = nblabel.rate(df, scale=range(0, 11), text="review", store=store, task="nps")
    assert w0.keymap["1"] == 0  # more than ten values: keys pick by position


def test_caption_takes_free_text(df, store):
    w = nblabel.caption(df, text="review", store=store)
    w.submit("line one\nline two")
    assert w.labels.loc["a", "label"] == "line one\nline two"
    with pytest.raises(nblabel.NblabelError):
        w.press("Enter")
    with pytest.raises(nblabel.NblabelError, match="non-empty"):
        w.submit("   ")


def test_rationale_and_custom_keys(df, store):
    w = make(df, store, keys={"p": "pos", "x": nblabel.Action.SKIP}, rationale=True)
    assert w.ask_rationale
    w.press("x")
    assert w.current == "b"
    w.submit("pos", rationale="clearly happy")
    w.press("P")  # single letters ignore case
    labels = w.labels
    assert labels.loc["b", "rationale"] == "clearly happy"
    assert labels.loc["c", "label"] == "pos"
    with pytest.raises(nblabel.NblabelError):
        w.press("1")  # "pos" moved to "p"


def test_on_submit_callbacks_run_after_the_save(df, store):
    w = make(df, store)
    seen = []

    def record(event):
        seen.append((event.item, event.label, len(store.annotations())))

    w.on_submit(record)
    w.press("2")
    w.on_submit(record, remove=True)
    w.press("1")
    assert seen == [("a", "neg", 1)]

    def broken(event):
        raise RuntimeError("boom")

    w.on_submit(broken)
    w.press("1")
    assert "boom" in w.error
    assert len(store.annotations()) == 3  # the label was saved all the same


def key_message(w, key, seq, client="tab-1", **extra):
    return {"kind": "key", "key": key, "item": w.sample.get("item"), "client": client,
            "seq": seq, "elapsed_ms": 1500, **extra}  # fmt: skip


def label_message(w, value, seq, client="tab-1", **extra):
    """What the front end sends for a label: the value the user saw, as JSON text."""
    return {"kind": "label", "value": encode(value), "item": w.sample.get("item"),
            "client": client, "seq": seq, "elapsed_ms": 1500, **extra}  # fmt: skip


def test_browser_messages_are_acknowledged_and_cost_one_message(df, store):
    with recording_comms() as comms:
        w = make(df, store)
        before = comms.count()
        browser_message(w, key_message(w, "2", 1))
        assert comms.count() - before == 1  # one state update per label
        assert w.acks == {"tab-1": 1}
        browser_message(w, key_message(w, "1", 2, rationale="because"))
    labels = w.labels
    assert labels["label"].tolist() == ["neg", "pos"]
    assert labels["duration_s"].tolist() == [1.5, 1.5]  # the browser's own clock
    assert labels.loc["b", "rationale"] == "because"


def test_a_browser_time_that_is_no_time_gives_way_to_the_kernels_and_the_label_is_saved(
    df, store
):
    with recording_comms():
        w = make(df, store)
        for seq, elapsed in enumerate(["1500", -40, float("nan"), None, True], start=1):
            browser_message(w, key_message(w, "1", seq, elapsed_ms=elapsed))
    assert w.acks == {"tab-1": 5} and w.error == ""
    labels = w.labels
    assert len(labels) == 5 and labels["label"].eq("pos").all()
    # the kernel's own time on screen instead (milliseconds here): never -0.04 s, NaN or 1 ms
    assert labels["duration_s"].between(0, 60).all()
    assert not labels["duration_s"].isin([-0.04, 0.001]).any()


def test_signed_recording_takes_the_kernels_path_and_counts_its_bytes(df, store):
    sizes = {}
    for signed in (False, True):
        with recording_comms(signed=signed) as comms:
            w = make(df, store, task=f"signed-{signed}")
            before, bytes_before = comms.count(), comms.bytes_sent
            w.press("1")
            assert comms.count() - before == 1
            sizes[signed] = comms.bytes_sent - bytes_before
            w.close()
    # the signed message carries a header, a parent, a signature: more bytes, the same state
    assert sizes[True] > sizes[False] + 64


def test_browser_ahead_of_the_kernel_labels_the_items_it_showed(df, store):
    w = make(df, store)
    first, second = w.sample["item"], w.upcoming[0]["item"]
    # the browser showed the prefetched next item before the kernel's answer arrived
    browser_message(w, {"kind": "key", "key": "1", "item": first, "client": "t", "seq": 1})
    browser_message(w, {"kind": "key", "key": "2", "item": second, "client": "t", "seq": 2})
    assert w.labels["label"].to_dict() == {"a": "pos", "b": "neg"}
    assert w.current == "c"


def test_duplicate_and_resent_messages_are_saved_once(df, store):
    w = make(df, store)
    message = label_message(w, "neutral", 1)
    browser_message(w, message)
    browser_message(w, {**message, "resent": True})  # the same intent again
    fresh = make(df, store)  # a new kernel: same label resent from the browser's storage
    browser_message(fresh, {**message, "client": "old-tab", "resent": True})
    assert fresh.acks == {"old-tab": 1} and fresh.error == ""
    assert len(store.annotations(history=True)) == 1


def test_a_failed_save_is_shown_kept_pending_and_saved_on_resend(df, store, tmp_path):
    w = make(df, store)
    blocker = sqlite3.connect(tmp_path / "labels.db")
    blocker.execute(
        "CREATE TRIGGER full_disk BEFORE INSERT ON nblabel_events "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    blocker.commit()
    message = label_message(w, "pos", 1)
    browser_message(w, message)
    assert "Not saved" in w.error and "disk is full" in w.error
    assert w.acks == {}  # not acknowledged: the browser keeps it pending
    assert w.current == "a"
    browser_message(w, label_message(w, "neg", 2))  # later intents wait for the failed one
    assert store.annotations().empty
    blocker.execute("DROP TRIGGER full_disk")
    blocker.commit()
    browser_message(w, {**message, "resent": True})
    assert w.error == "" and w.acks == {"tab-1": 1}
    assert w.labels["label"].to_dict() == {"a": "pos"}
    with pytest.raises(nblabel.StoreError):
        blocker.execute(
            "CREATE TRIGGER full_disk BEFORE INSERT ON nblabel_events "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        blocker.commit()
        w.press("1")  # from Python the error is raised, and shown
    assert "disk is full" in w.error


def test_widget_carries_the_nblabel_css_class_and_a_cheap_repr(df, store):
    w = make(df, store)
    assert "nblabel" in w._dom_classes and "nblabel-classify" in w._dom_classes
    assert repr(w) == "<ClassifyWidget task='sentiment' annotator='alice' 0 / 5>"


def test_prefetch_holds_the_next_items(df, store):
    w = make(df, store)
    assert [p["item"] for p in w.upcoming] == ['"b"', '"c"', '"d"']
    w.press("1")
    w.skip()
    assert [p["item"] for p in w.upcoming] == ['"d"', '"e"', '"b"']  # wraps to skipped


def test_ordering_moves_with_order(df, store):
    w = make(df, store, order=["e", "c", "a"])
    assert w.current == "e" and w.progress.total == 3
    w.press("1")
    assert w.current == "c"
    with pytest.raises(nblabel.NblabelError, match="not in this widget's order"):
        w.goto("b")


def test_trail_keeps_the_last_five_labels_and_a_goto_message_shows_one(df, store):
    many = pd.DataFrame({"t": [f"row {i}" for i in range(8)]}, index=[f"r{i}" for i in range(8)])
    with recording_comms() as comms:
        w = nblabel.classify(many, ["pos", "neg"], text="t", store=store)
        for i in range(6):
            start = comms.count()
            browser_message(w, {"kind": "label", "value": encode("pos" if i % 2 else "neg"),
                                "item": encode(f"r{i}"), "client": "c", "seq": i + 1})
            assert comms.count() - start == 1  # the trail travels with the new state
        assert [(json.loads(e["item"]), json.loads(e["label"])) for e in w.trail] == [
            ("r5", "pos"), ("r4", "neg"), ("r3", "pos"), ("r2", "neg"), ("r1", "pos")]
        browser_message(w, {"kind": "goto", "item": encode("r2"), "client": "c", "seq": 7})
    assert w.current == "r2" and w.acks == {"c": 7}
    w.press("1")  # relabel r2: it moves to the front, once
    assert [json.loads(e["item"]) for e in w.trail] == ["r2", "r5", "r4", "r3", "r1"]
    w.undo()
    assert [json.loads(e["item"]) for e in w.trail] == ["r5", "r4", "r3", "r1"]


def test_rate_scale_labels_say_what_the_values_mean(df, store):
    w = nblabel.rate(df, text="review", store=store, scale_labels=("awful", "great"))
    assert [o.get("note") for o in w.options] == ["awful", None, None, None, "great"]
    w2 = nblabel.rate(df, scale=[1, 2, 3], text="review", store=store, task="three",
                      scale_labels={1: "no", 3: "yes"})
    assert [o.get("note") for o in w2.options] == ["no", None, "yes"]
    for wrong, match in (({7: "x"}, "not values of the scale"), (("a",), "two ends"),
                         ("awful", "two ends"), (("a", 5), "short text")):
        with pytest.raises(nblabel.NblabelError, match=match):
            nblabel.rate(df, text="review", store=store, scale_labels=wrong)


def test_w_labels_is_the_callers_to_change(df, store, monkeypatch):
    from nblabel import _snapshot

    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1)  # read from a snapshot too
    w = make(df, store)
    for key in "123":
        w.press(key)
    for _ in range(2):  # the first read writes the snapshot, the second reads it
        labels = w.labels
        labels.loc["a", ["label", "duration_s", "rationale"]] = ["changed", -1.0, "mine"]
        labels["annotator"] = "someone"
        again = w.labels
        assert again.loc["a", "label"] == "pos" and again.loc["a", "duration_s"] >= 0
        assert set(again["annotator"]) == {"alice"} and again.loc["a", "rationale"] is None
