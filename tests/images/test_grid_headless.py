"""Grid mode of classify without a browser: pages of thumbnails, selection, one batch per
page, undo of a page, resume, the browser's messages, wrong arguments, an unreadable image."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import nblabel
from nblabel import NblabelError
from nblabel._codec import encode
from nblabel.testing import browser_message

OPTIONS = ["cat", "dog"]


@pytest.fixture
def df(tmp_path) -> pd.DataFrame:
    paths = []
    for i in range(30):
        path = tmp_path / f"img{i:02d}.jpg"
        Image.new("RGB", (640, 480), (8 * i, 120, 200)).save(path)
        paths.append(str(path))
    (tmp_path / "img05.jpg").write_bytes(b"not a picture")  # row r5 cannot be read
    return pd.DataFrame({"path": paths}, index=[f"r{i}" for i in range(30)])


@pytest.fixture
def store(tmp_path):
    return nblabel.LabelStore(tmp_path / "labels.db")


def grid(df, store, **kwargs):
    kwargs.setdefault("annotator", "alice")
    kwargs.setdefault("task", "pets")
    kwargs.setdefault("grid", 12)
    return nblabel.classify(df, options=OPTIONS, image="path", store=store, **kwargs)


def events(store) -> pd.DataFrame:
    rows = store._query("SELECT item, label, meta FROM nblabel_events WHERE action = 'label'")
    return pd.DataFrame(rows, columns=["item", "label", "meta"])


def test_a_page_shows_thumbnails_and_prefetches_the_next(df, store):
    w = grid(df, store)
    assert isinstance(w, nblabel.widgets.grid.GridWidget) and w.grid_size == 12
    assert w.page_items == [f"r{i}" for i in range(12)]
    cells = w.sample["content"]["cells"]
    assert [c["item"] for c in cells] == [encode(f"r{i}") for i in range(12)]
    thumb = Image.open(io.BytesIO(cells[0]["data"]))
    assert max(thumb.size) == 256 and (cells[0]["width"], cells[0]["height"]) == (640, 480)
    assert "cannot read" in cells[5]["error"] and "img05.jpg" in cells[5]["error"]
    ahead = w.upcoming[0]
    assert [c["item"] for c in ahead["content"]["cells"]][:2] == [encode("r12"), encode("r13")]
    assert isinstance(ahead["content"]["cells"][0]["data"], bytes)  # a binary buffer, not text
    assert w.progress.total == 30  # progress counts images


def test_select_label_and_save_a_page_as_one_batch(df, store):
    w = grid(df, store)
    seen = []
    w.on_submit(seen.append)
    w.select([0, 1, 2])
    assert w.label_selection("dog") == [0, 1, 2] and w.selected == []
    w.click(3)
    w.click(7, shift=True)  # 3..7 but not the unreadable 5
    assert w.selected == [3, 4, 6, 7]
    w.click(9, toggle=True)
    assert w.selected == [3, 4, 6, 7, 9]
    w.press("1")
    assert w.page_labels["r9"] == "cat" and w.page_labels["r8"] is None
    w.press("2")  # nothing selected: every unlabeled readable image
    assert w.page_labels == {
        **{f"r{i}": "dog" for i in (0, 1, 2, 8, 10, 11)},
        **{f"r{i}": "cat" for i in (3, 4, 6, 7, 9)},
        "r5": None,
    }
    assert w.grid_state["edit"] and w.grid_state["labels"][0] == 1  # the browser shows it
    w.submit_page()
    saved = events(store)
    assert len(saved) == 11 and saved["meta"].nunique() == 1  # one event per image, one batch
    assert json.loads(saved["meta"][0])["bulk"]
    assert w.labels["label"].to_dict()["r3"] == "cat" and len(w.labels) == 11
    assert [e.item for e in seen] == [f"r{i}" for i in (0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11)]
    assert w.page_items[0] == "r12" and w.progress.done == 11 and w.saved == 11


def test_undo_takes_the_whole_page_back_and_shows_it(df, store):
    w = grid(df, store)
    w.press("1")
    w.press("Enter")
    w.press("2")
    w.press("Enter")
    assert w.progress.done == 23 and w.page_items[0] == "r24"
    assert [e["item"] for e in w.trail] == [encode(f"r{i}") for i in (23, 22, 21, 20, 19)]
    w.press("Backspace")
    assert w.progress.done == 11 and w.page_items[0] == "r12"
    assert w.trail == []  # the page's images left the recent labels with it
    assert set(w.page_labels.values()) == {None}
    w.undo()
    assert w.progress.done == 0 and w.page_items[0] == "r0"
    assert w.labels.empty


def test_skip_back_and_goto_move_by_pages(df, store):
    w = grid(df, store)
    w.skip()
    assert w.page_items[0] == "r12"
    w.back()
    assert w.page_items[0] == "r0"
    w.goto("r27")
    assert w.page_items == [f"r{i}" for i in range(24, 30)]  # the short last page


def test_a_new_widget_resumes_at_the_first_unlabeled_page(df, store):
    w = grid(df, store)
    w.press("1")
    w.press("Enter")
    w.select(range(12))
    w.press("2")
    w.press("Enter")
    again = grid(df, store)
    assert again.page_items[0] == "r24" and again.progress.done == 23
    one = nblabel.classify(df, options=OPTIONS, image="path", store=store,
                           annotator="alice", task="pets")  # fmt: skip
    assert one.progress.done == 23  # the same labels, one image at a time


def test_thumbnails_are_made_once(df, store):
    w = grid(df, store)
    made = w._content.made
    assert made >= 11  # this page; the next ones are made in the background
    w.skip()
    w.back()
    w.skip()
    w.back()
    assert w._content.made <= 11 + 2 * 12  # pages seen again come from the cache
    first = w.sample["content"]["cells"][0]["data"]
    w.skip()
    w.back()
    assert w.sample["content"]["cells"][0]["data"] is first


def test_the_browsers_messages(df, store):
    w = grid(df, store)
    page = encode("r0")
    labels = [0] * 12
    labels[5] = None
    browser_message(w, {"kind": "grid", "item": page, "selected": [1, 2], "labels": labels})
    assert w.selected == [1, 2] and w.page_labels["r0"] == "cat"
    assert not w.grid_state["edit"]  # the browser has it already
    value = "[" + ",".join(f'[{encode(f"r{i}")},{encode("dog")}]' for i in (0, 1, 2)) + "]"
    msg = {"kind": "label", "item": page, "value": value, "client": "c", "seq": 1,
           "elapsed_ms": 3000}  # fmt: skip
    browser_message(w, msg)
    assert w.acks == {"c": 1} and len(events(store)) == 3
    assert w.labels["duration_s"].tolist() == [1.0, 1.0, 1.0]  # the page's time, shared
    browser_message(w, {**msg, "seq": 2, "resent": True})  # saved already: not again
    assert len(events(store)) == 3 and w.acks == {"c": 2}
    bad = {**msg, "seq": 3, "value": json.dumps([['"r1"', '"bird"']])}
    browser_message(w, bad)
    assert "not one of the options" in w.error and len(events(store)) == 3
    browser_message(w, {"kind": "grid", "item": encode("elsewhere"), "selected": [0],
                        "labels": labels})  # fmt: skip
    assert w.selected == []  # a page no longer on screen: ignored


def test_pages_follow_the_order_and_the_core_keywords_work(df, store):
    order = [f"r{i}" for i in reversed(range(30))]
    w = grid(df, store, grid=5, order=order, keys="cd", rationale="required")
    assert w.page_items == ["r29", "r28", "r27", "r26", "r25"]
    w.press("d")
    with pytest.raises(NblabelError, match="reason"):
        w.submit_page()
    w.submit_page(rationale="all dogs")
    assert set(w.labels["rationale"]) == {"all dogs"} and w.page_items[0] == "r24"


def test_nothing_labeled_is_refused_and_a_saved_page_goes_on(df, store):
    w = grid(df, store)
    with pytest.raises(NblabelError, match="Nothing is labeled on this page"):
        w.submit_page()
    w.press("1")
    w.submit_page()
    w.back()
    w.submit_page()  # every image holds its label: nothing to write, the next page shows
    assert len(events(store)) == 11 and w.page_items[0] == "r12"


def test_an_unreadable_image_is_left_out_unless_clicked_itself(df, store):
    w = grid(df, store)
    w.click(3)
    w.click(7, shift=True)
    assert w.selected == [3, 4, 6, 7]  # a range leaves r5 out
    w.label_selection("dog")
    w.press("1")  # the rest, but not r5
    w.submit_page()
    assert "r5" not in w.labels.index and len(w.labels) == 11
    assert w.page_items[0] == "r12"
    w.goto("r5")
    w.click(5)  # labeled when clicked itself (say, as unusable)
    w.submit("cat")  # label_selection + submit_page
    assert w.labels.loc["r5", "label"] == "cat"


def test_numpy_and_pil_images_with_exif_orientation(store):
    upright = Image.new("RGB", (300, 100), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: shown rotated a quarter turn
    buffer = io.BytesIO()
    upright.save(buffer, format="JPEG", exif=exif)
    frame = pd.DataFrame({"image": [buffer.getvalue(), np.zeros((40, 60, 3), np.uint8), upright]})
    w = nblabel.classify(frame, options=OPTIONS, image="image", grid=3, store=store,
                         annotator="a", task="t")  # fmt: skip
    cells = w.sample["content"]["cells"]
    assert (cells[0]["width"], cells[0]["height"]) == (100, 300)  # EXIF honoured
    assert (cells[1]["width"], cells[1]["height"]) == (60, 40)
    assert Image.open(io.BytesIO(cells[2]["data"])).size == (256, 85)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grid": "12"}, "grid= is the number of thumbnails"),
        ({"grid": 0}, "from 1 to 200"),
        ({"grid": True}, "whole number"),
        ({"grid": 12, "multi": True}, "does not take multi="),
        ({"grid": 12, "suggest": "path"}, "does not take suggest="),
        ({"grid": 12, "text": "path"}, "not both"),
        ({"grid": 12, "image": "nope"}, "not a column"),
        ({"grid": 12, "image": None}, "give image= too"),
    ],
)
def test_wrong_arguments_are_refused_before_anything_is_written(df, tmp_path, kwargs, message):
    kwargs = {"image": "path", **kwargs}
    with pytest.raises(NblabelError, match=message):
        nblabel.classify(df, options=OPTIONS, store=tmp_path / "x.db", **kwargs)
    assert not (tmp_path / "x.db").exists()


def test_grid_refuses_text_content(tmp_path):
    with pytest.raises(NblabelError, match="thumbnails of images"):
        nblabel.classify(pd.DataFrame({"text": ["a", "b"]}), options=OPTIONS, text="text",
                         grid=12, store=tmp_path / "x.db")  # fmt: skip


def test_one_image_at_a_time_without_grid(df, store):
    w = nblabel.classify(df, options=OPTIONS, image="path", store=store, annotator="a", task="t")
    assert type(w).__name__ == "ClassifyWidget"  # not a grid
    content = w.sample["content"]
    assert content["type"] == "image" and Image.open(io.BytesIO(content["data"])).size == (640, 480)
    w.goto("r5")
    assert w.sample["content"]["type"] == "error" and "img05.jpg" in w.sample["content"]["text"]
    w.skip()
    w.press("2")
    assert w.labels["label"].to_dict() == {"r6": "dog"}


def test_thumbnails_go_as_binary_buffers_and_gold_and_current_work(df, store):
    from ipywidgets.widgets.widget import _remove_buffers

    w = grid(df, store, gold={"r20": "dog"}, gold_rate=0.2, seed=1)
    state, _paths, buffers = _remove_buffers(w.get_state())
    assert len(buffers) >= 11 + 12  # this page and the prefetched one, none as text
    assert "base64" not in json.dumps(state)
    queue = [df.index[p] for p in w.session.queue_positions(0, 30)]
    assert w.page_items == queue[:12] and w.current == queue[0]  # pages follow the queue
    assert queue.index("r20") != 20  # the gold item was placed by gold=
    w.goto("r20")
    w.select([w.page_items.index("r20")])
    w.submit("dog")
    report = nblabel.gold_report(store, "pets", {"r20": "dog"})
    assert report["accuracy"].iloc[0] == 1.0
