"""Editing drawn shapes without a browser: a box resized by its handles and a polygon's vertex
moved (the geometry edit.js does under the pointer), stay inside the image in original pixels;
per-shape undo through the widget's twins and the browser's messages."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import nblabel
from nblabel import NblabelError
from nblabel._codec import encode
from nblabel._edits import BOX_HANDLES, move_vertex, resize_box
from nblabel._shapes import Box, Point, Polygon
from nblabel.testing import browser_message

W, H = 600.0, 400.0
inside_x = st.floats(0, W - 2, allow_nan=False)
inside_y = st.floats(0, H - 2, allow_nan=False)
pointer = st.tuples(st.floats(-200, W + 200, allow_nan=False),
                    st.floats(-200, H + 200, allow_nan=False))  # fmt: skip


@st.composite
def boxes(draw) -> Box:
    x, y = draw(inside_x), draw(inside_y)
    width = draw(st.floats(1, W - x, allow_nan=False))
    height = draw(st.floats(1, H - y, allow_nan=False))
    return Box(x, y, width, height, "car", prelabel=draw(st.booleans()))


@given(boxes(), st.sampled_from(BOX_HANDLES), pointer, st.floats(0.5, 20))
def test_a_resized_box_stays_in_the_image_and_keeps_its_other_edges(box, handle, at, min_size):
    x, y = at
    out = resize_box(box, handle, x, y, (W, H), min_size=min_size)
    x0, y0, x1, y1 = out.bounds
    assert x0 >= 0 and x1 <= W + 1e-9 and y0 >= 0 and y1 <= H + 1e-9
    if "w" in handle or "e" in handle:  # never thinner than min_size on an axis it holds
        assert out.width >= min_size - 1e-9
    if "n" in handle or "s" in handle:
        assert out.height >= min_size - 1e-9
    assert out.label == "car" and not out.prelabel  # touched: no longer a suggestion
    bx0, by0, bx1, by1 = box.bounds
    px, py = min(W, max(0, x)), min(H, max(0, y))
    # an axis the handle does not hold is left alone
    if "w" not in handle and "e" not in handle:
        assert (x0, x1) == pytest.approx((bx0, bx1))
    if "n" not in handle and "s" not in handle:
        assert (y0, y1) == pytest.approx((by0, by1))
    # an axis it holds spans from the opposite edge to the pointer, when far enough apart
    if "e" in handle and abs(px - bx0) >= min_size:
        assert (x0, x1) == pytest.approx((min(bx0, px), max(bx0, px)))
    if "w" in handle and abs(px - bx1) >= min_size:
        assert (x0, x1) == pytest.approx((min(bx1, px), max(bx1, px)))
    if "s" in handle and abs(py - by0) >= min_size:
        assert (y0, y1) == pytest.approx((min(by0, py), max(by0, py)))
    if "n" in handle and abs(py - by1) >= min_size:
        assert (y0, y1) == pytest.approx((min(by1, py), max(by1, py)))


def test_dragging_a_corner_past_the_opposite_one_turns_the_box_over():
    box = Box(100, 100, 50, 40, "car")
    assert resize_box(box, "se", 60, 80, (W, H)).bounds == (60, 80, 100, 100)
    assert resize_box(box, "e", 100, 999, (W, H)).bounds == (100, 100, 101, 140)  # min 1 px
    assert resize_box(box, "nw", -5, -5, (W, H)).bounds == (0, 0, 150, 140)  # clamped
    with pytest.raises(NblabelError, match="a box's handles are"):
        resize_box(box, "north", 1, 1)


@given(st.integers(0, 3), pointer)
def test_a_moved_vertex_lands_where_the_pointer_is_inside_the_image(index, at):
    square = Polygon(((100, 100), (300, 100), (300, 300), (100, 300)), "bike", prelabel=True)
    try:
        out = move_vertex(square, index, *at, size=(W, H))
    except NblabelError as exc:  # folded onto its neighbours: flat
        assert "no area" in str(exc)
        return
    assert out.points[index] == (min(W, max(0, at[0])), min(H, max(0, at[1])))
    assert [p for i, p in enumerate(out.points) if i != index] == [
        p for i, p in enumerate(square.points) if i != index
    ]
    assert not out.prelabel


def test_moving_a_vertex_of_a_triangle_onto_a_line_is_refused():
    triangle = Polygon(((0, 0), (10, 0), (5, 5)), "car")
    with pytest.raises(NblabelError, match="no area"):
        move_vertex(triangle, 2, 20, 0)
    with pytest.raises(NblabelError, match="numbered from 0"):
        move_vertex(triangle, 3, 1, 1)


@pytest.fixture
def widget(tmp_path):
    Image.new("RGB", (600, 400), (90, 90, 90)).save(tmp_path / "a.png")
    Image.new("RGB", (50, 50), (90, 90, 90)).save(tmp_path / "b.png")
    df = pd.DataFrame({"path": [str(tmp_path / "a.png"), str(tmp_path / "b.png")]},
                      index=["a", "b"])  # fmt: skip
    store = nblabel.LabelStore(tmp_path / "labels.db")
    return nblabel.annotate_images(df, image="path", classes=["car", "person"], store=store,
                                   annotator="alice", task="detect")  # fmt: skip


def test_the_twins_resize_a_box_and_move_a_vertex(widget):
    w = widget
    w.add_box(100, 100, 50, 40, "car")
    w.add_polygon([(10, 10), (60, 10), (30, 50)], "person")
    w.resize_shape(0, "se", 250.5, 200)
    w.resize_shape(1, 2, 30, 80)
    assert w.shapes == [
        Box(100, 100, 150.5, 100, "car"),
        Polygon(((10, 10), (60, 10), (30, 80)), "person"),
    ]
    assert w.draft["edit"]  # the browser is told
    w.resize_shape(0, "nw", -50, -50)  # dragged out of the picture: stops at its edge
    assert w.shapes[0].bounds == (0, 0, 250.5, 200)
    w.add_point(5, 5, "car")
    with pytest.raises(NblabelError, match="a point has no handles"):
        w.resize_shape(2, "n", 1, 1)
    with pytest.raises(NblabelError, match="has 3 shape"):
        w.resize_shape(3, "n", 1, 1)
    w.submit()
    saved = w.store.annotations(task="detect")["label"].iloc[0]
    assert saved[0] == {"type": "box", "x": 0.0, "y": 0.0, "width": 250.5, "height": 200.0,
                        "label": "car"}  # fmt: skip


def test_undo_shape_takes_back_each_edit_of_the_image_in_turn(widget):
    w = widget
    with pytest.raises(NblabelError, match="no shape edit to undo"):
        w.undo_shape()
    w.add_box(100, 100, 50, 40, "car")
    w.add_point(5, 5, "person")
    w.resize_shape(0, "e", 300, 0)
    w.remove_shape(1)
    steps = []
    for _ in range(4):
        w.undo_shape()
        steps.append(w.shapes)
        assert w.draft["undo"] and w.draft["edit"]
    assert steps == [
        [Box(100, 100, 200, 40, "car"), Point(5, 5, "person")],
        [Box(100, 100, 50, 40, "car"), Point(5, 5, "person")],
        [Box(100, 100, 50, 40, "car")],
        [],
    ]
    with pytest.raises(NblabelError, match="no shape edit to undo"):
        w.undo_shape()
    # the browser's edits and its Ctrl+Z keep Python's list in step
    item = w.sample["item"]
    one = [{"type": "box", "x": 1, "y": 1, "width": 5, "height": 5, "label": "car"}]
    two = [*one, {"type": "point", "x": 9, "y": 9, "label": "car"}]
    for shapes in (one, two):
        browser_message(w, {"kind": "draft", "item": item, "shapes": encode(shapes)})
    browser_message(w, {"kind": "draft", "item": item, "shapes": encode(one), "undo": True})
    w.undo_shape()  # then one more from Python: back to before the browser's first edit
    assert w.shapes == []
    # a saved image's undo is still the base's: the label, not a shape
    w.add_point(1, 2, "car")
    w.submit()
    assert w.current == "b"
    with pytest.raises(NblabelError, match="no shape edit to undo"):
        w.undo_shape()  # a new image starts with no edits to undo
    w.undo()
    assert w.current == "a"
    assert w.store.annotations(task="detect").empty
