"""label_scatter without a browser: a selection set on bqplot's Scatter as the lasso sets it,
bulk labels through the twins and browser messages, one transaction and one undo step per
batch, points coloured by their label."""

from __future__ import annotations

import io
import json
import re
import sys

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel import NblabelError
from nblabel._codec import encode
from nblabel._images import shown_image
from nblabel.testing import browser_message

pytest.importorskip("bqplot")


def points(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "ux": rng.normal(size=n),
            "uy": rng.normal(size=n),
            "text": [f"msg {i}" for i in range(n)],
        },
        index=[f"m{i}" for i in range(n)],
    )


def make(data, store, **kwargs):
    kwargs.setdefault("annotator", "alice")
    return nblabel.label_scatter(data, x="ux", y="uy", options=["spam", "ham"], preview="text",
                                 store=store, **kwargs)  # fmt: skip


def batches(store):
    rows = store._query("SELECT item, meta FROM nblabel_events WHERE action = 'label' ORDER BY id")
    return [(json.loads(item), json.loads(meta)["batch"]) for item, meta in rows]


def test_a_key_labels_every_selected_point_as_one_batch(tmp_path):
    w = make(points(), tmp_path / "s.db")
    w.points.selected = np.array([3, 1, 4])  # as the lasso sets it in the browser
    assert w.selected == ["m1", "m3", "m4"] and w.picked == 3
    assert [p["text"] for p in w.preview] == ["msg 1", "msg 3", "msg 4"]
    browser_message(w, {"kind": "label", "value": encode("ham"), "client": "c", "seq": 1})
    assert w.acks == {"c": 1} and w.saved == 1
    assert w.labels["label"].to_dict() == {"m1": "ham", "m3": "ham", "m4": "ham"}
    (first, one), *rest = batches(w.store)
    assert first == "m1" and {b for _, b in rest} == {one}  # one batch id for the three
    assert list(w.points.color[[1, 3, 4]]) == [2, 2, 2] and w.points.color[0] == 0
    assert w.counts == {"unlabeled": 197, "spam": 0, "ham": 3}
    assert [p["label"] for p in w.preview] == ["ham"] * 3


def test_undo_takes_a_whole_batch_back_and_the_labels_before_return(tmp_path):
    w = make(points(), tmp_path / "s.db")
    w.select([f"m{i}" for i in range(10)])
    assert w.label_selection("spam") == 10
    w.select([f"m{i}" for i in range(5, 60)])
    assert w.label_selection("ham") == 55
    browser_message(w, {"kind": "action", "name": "undo", "client": "c", "seq": 1})
    labels = w.labels["label"]
    assert len(labels) == 10 and set(labels) == {"spam"}  # m5..m9 are spam again
    assert w.counts == {"unlabeled": 190, "spam": 10, "ham": 0}
    assert list(w.points.color[:10]) == [1] * 10 and w.points.color[10] == 0
    assert w.undo() == 10 and w.labels.empty
    assert w.undo() == 0 and "Nothing labeled here to undo" in w.error


def test_refusals_are_acknowledged_and_a_failed_write_is_not(tmp_path):
    w = make(points(), tmp_path / "s.db")
    browser_message(w, {"kind": "label", "value": encode("spam"), "client": "c", "seq": 1})
    assert "nothing is selected" in w.error and w.acks == {"c": 1}
    w.select(["m1"])
    browser_message(w, {"kind": "label", "value": encode("eggs"), "client": "c", "seq": 2})
    assert "'eggs' is not one of the options" in w.error and w.acks == {"c": 2}
    w.store.close()
    browser_message(w, {"kind": "label", "value": encode("spam"), "client": "c", "seq": 3})
    assert w.error.startswith("Not saved:") and w.acks == {"c": 2}  # pending in the browser
    browser_message(w, {"kind": "label", "value": encode("spam"), "client": "c", "seq": 2})
    assert w.acks == {"c": 2}  # handled before: ignored


def test_the_preview_pages_through_a_large_selection(tmp_path):
    w = make(points(), tmp_path / "s.db")
    w.points.selected = np.arange(30)
    assert len(w.preview) == 12 and w.preview_pages == 3
    browser_message(w, {"kind": "page", "page": 2})
    assert [p["text"] for p in w.preview] == [f"msg {i}" for i in range(24, 30)]
    browser_message(w, {"kind": "page", "page": 9})
    assert w.preview_page == 2
    w.points.selected = np.arange(3)
    assert w.preview_page == 0 and w.preview_pages == 1


def test_labels_of_points_whose_content_changed_are_set_aside(tmp_path):
    w = make(points(), tmp_path / "s.db")
    w.select(["m1", "m2"])
    w.label_selection("spam")
    changed = points()
    changed.loc["m1", "text"] = "another message"
    with pytest.warns(nblabel.NblabelWarning, match="other content"):
        again = make(changed, tmp_path / "s.db")
    assert again.counts["spam"] == 1 and again.points.color[1] == 0


def test_wrong_arguments_are_named(tmp_path):
    data = points()
    with pytest.raises(NblabelError, match="x='nope' is not a column"):
        nblabel.label_scatter(data, x="nope", y="uy", options=["a"], store=tmp_path / "s")
    with pytest.raises(NblabelError, match=r"y='text' holds \w+ values, not numbers"):
        nblabel.label_scatter(data, x="ux", y="text", options=["a"], store=tmp_path / "s")
    with pytest.raises(NblabelError, match="selector= must be one of 'lasso', 'brush'"):
        nblabel.label_scatter(data, x="ux", y="uy", options=["a"], selector="box",
                              store=tmp_path / "s")  # fmt: skip
    with pytest.raises(NblabelError, match="'m999' is not an item"):
        make(data, tmp_path / "t.db").select(["m999"])
    assert not (tmp_path / "s").exists()


# -- thumbnails of the selected points -------------------------------------------------------------
@pytest.fixture
def pictured(tmp_path):
    """Five points whose images are a file, PNG bytes, a PIL image, an array and a missing
    file."""
    Image = pytest.importorskip("PIL.Image")
    Image.new("RGB", (300, 150), "red").save(tmp_path / "wide.png")
    small = io.BytesIO()
    Image.new("RGB", (20, 10), "blue").save(small, format="PNG")
    digit = np.zeros((8, 8), dtype=np.uint8)
    digit[2:6, 3:5] = 255
    data = points(5)
    data["img"] = [str(tmp_path / "wide.png"), small.getvalue(), Image.new("L", (40, 80), 128),
                   digit, str(tmp_path / "gone.png")]  # fmt: skip
    return data


def test_thumbnails_of_the_selection_are_made_once_and_sent_as_bytes(pictured, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    from ipywidgets.widgets.widget import _remove_buffers
    from PIL import Image

    import nblabel.widgets.scatter as scatter

    made = []

    def counted(source, side):
        made.append(side)
        return shown_image(source, side)

    monkeypatch.setattr(scatter, "shown_image", counted)
    w = make(pictured, tmp_path / "s.db", thumbnail="img")
    w.select(list(pictured.index))
    entries = w.preview
    assert [p["text"] for p in entries] == [f"msg {i}" for i in range(5)]  # the text stays
    sizes = []
    for entry in entries[:4]:
        picture = Image.open(io.BytesIO(entry["image"]["data"]))
        assert picture.size == (entry["image"]["width"], entry["image"]["height"])
        assert entry["image"]["mime"] == f"image/{picture.format.lower()}"
        sizes.append(picture.size)
    assert sizes == [(112, 56), (20, 10), (40, 80), (8, 8)]  # shrunk to 112 px, never enlarged
    assert "image" not in entries[4] and "gone.png' does not exist" in entries[4]["image_error"]
    assert made == [112] * 5
    w.label_selection("spam")  # the preview is made again, the pictures are not
    browser_message(w, {"kind": "page", "page": 0})
    assert made == [112] * 5 and [p["label"] for p in w.preview] == ["spam"] * 5
    _, _, buffers = _remove_buffers(w.get_state("preview"))  # what goes over the wire
    assert sorted(len(b) for b in buffers) == sorted(len(p["image"]["data"]) for p in entries[:4])


def test_a_thumbnail_column_is_checked_and_needs_the_images_extra(pictured, tmp_path,
                                                                  monkeypatch):  # fmt: skip
    with pytest.raises(NblabelError, match=r"thumbnail='pics' is not a column"):
        make(pictured, tmp_path / "s.db", thumbnail="pics")
    monkeypatch.setitem(sys.modules, "PIL.Image", None)  # as if Pillow were not installed
    with pytest.raises(NblabelError, match=r"thumbnail= of label_scatter needs pillow.*"
                                           r"pip install 'nblabel\[images\]'"):  # fmt: skip
        make(pictured, tmp_path / "s.db", thumbnail="img")
    assert make(pictured, tmp_path / "s.db").preview == []  # text alone needs no Pillow


def test_canvas_points_from_the_size_where_svg_slows_or_when_asked(tmp_path, monkeypatch):
    from bqplot import Scatter

    from nblabel.widgets.scatter import GL_FROM, CanvasPoints, drawn_by_canvas

    assert drawn_by_canvas(None, GL_FROM - 1) is False
    assert drawn_by_canvas(None, GL_FROM) is True
    assert drawn_by_canvas(False, 10 * GL_FROM) is False
    assert drawn_by_canvas(True, 3) is True
    monkeypatch.setitem(sys.modules, "bqplot_gl", None)  # no optional package beyond bqplot
    w = make(points(), tmp_path / "gl.db", gl=True)
    # bqplot draws the axes only: the points are the view's, coloured by the codes it is sent
    assert type(w.points) is CanvasPoints and w.figure.marks == []
    assert w.gl["colors"][0] == "#c4c4c4" and len(w.gl["colors"]) == 3
    assert np.frombuffer(w.codes, dtype="<i2").tolist() == [0] * 200 and w.chosen == b""
    w.points.selected = np.array([2, 0])
    assert np.frombuffer(w.chosen, dtype="<i4").tolist() == [0, 2]
    w.label_selection("spam")
    assert list(w.points.color[[0, 2]]) == [1, 1]
    assert np.frombuffer(w.codes, dtype="<i2")[[0, 1, 2]].tolist() == [1, 0, 1]
    assert w.labels["label"].to_dict() == {"m0": "spam", "m2": "spam"}
    w.undo()
    assert np.frombuffer(w.codes, dtype="<i2").tolist() == [0] * 200
    svg = make(points(), tmp_path / "svg.db")
    assert type(svg.points) is Scatter and svg.figure.marks == [svg.points]
    assert svg.codes == b"" and svg.chosen == b""
    svg.points.selected = np.array([1])
    assert svg.chosen == b""  # SVG points: bqplot shows the selection itself
    with pytest.raises(NblabelError, match="gl= is True, False or None"):
        make(points(), tmp_path / "bad.db", gl="yes")
    assert not (tmp_path / "bad.db").exists()  # refused before any store


def test_canvas_points_are_selected_by_the_views_lasso_as_one_int32_buffer(tmp_path):
    data = points()
    w = make(data, tmp_path / "gl.db", gl=True, selector="brush")
    # no bqplot selector: the view draws its own, over scales it can map exactly
    assert w.selector is None and w.figure.interaction is None
    x0, x1, y0, y1 = w.gl["extent"]
    assert (x0, x1) == (w.points.scales["x"].min, w.points.scales["x"].max)
    assert x0 < data.ux.min() < data.ux.max() < x1 and y0 < data.uy.min() < data.uy.max() < y1
    assert not w.points.scales["x"].allow_padding
    assert np.frombuffer(w.gl["x"], dtype=float).tolist() == data.ux.tolist()
    assert np.frombuffer(w.gl["y"], dtype=float).tolist() == data.uy.tolist()
    assert w.gl["selector"] == "brush"
    sent = np.array([7, 2, 199, 2], dtype="<i4")
    browser_message(w, {"kind": "select"}, [memoryview(sent.tobytes())])
    assert w.selected == ["m2", "m7", "m199"] and w.picked == 3 and not w.error
    assert np.frombuffer(w.chosen, dtype="<i4").tolist() == [2, 7, 199]  # drawn on top
    assert [p["text"] for p in w.preview] == ["msg 2", "msg 7", "msg 199"]
    browser_message(w, {"kind": "label", "value": encode("ham"), "client": "c", "seq": 1})
    assert w.labels["label"].to_dict() == {"m2": "ham", "m7": "ham", "m199": "ham"}
    assert list(w.points.color[[2, 7, 199]]) == [2, 2, 2]
    for buffers, said in [
        ([np.array([3, 200], dtype="<i4").tobytes()], r"positions \[200\] outside 0 to 199"),
        ([np.array([-1], dtype="<i4").tobytes()], r"positions \[-1\] outside"),
        ([b"\x01\x00\x00"], r"one buffer of int32 point positions; it had 1 buffer\(s\) of \[3\]"),
        ([], r"it had 0 buffer"),
    ]:
        browser_message(w, {"kind": "select"}, buffers)
        assert re.search(said, w.error), w.error
        assert w.selected == ["m2", "m7", "m199"]  # a wrong message leaves the selection
    browser_message(w, {"kind": "select"}, [b""])  # a click without a lasso: nothing selected
    assert w.selected == [] and w.picked == 0 and w.points.selected is None and not w.error
    svg = make(data, tmp_path / "svg.db")
    assert svg.gl == {} and svg.selector is not None and svg.figure.interaction is svg.selector
