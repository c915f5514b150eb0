"""Shapes in original pixels: validation with clear errors, masks as RLE, and screen ↔ image
coordinates that round-trip through zoom, pan and the display downscale."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nblabel import NblabelError
from nblabel._codec import decode, encode
from nblabel._shapes import (
    Box,
    Mask,
    Point,
    Polygon,
    ViewTransform,
    mask_decode,
    mask_encode,
    shapes_from,
    to_dicts,
)

finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
positive = st.floats(1e-3, 1e2, allow_nan=False, allow_infinity=False)


def test_each_shape_round_trips_through_its_dict_and_the_store_codec():
    mask = np.zeros((4, 5), dtype=bool)
    mask[1:3, 2:4] = True
    shapes = [
        Box(10, 20, 30, 40, "car"),
        Polygon([(0, 0), (10, 0), (10, 5)], "person", prelabel=True),
        Point(3.5, 4.25, "bike"),
        Mask.from_array(mask, "car"),
    ]
    stored = decode(encode(to_dicts(shapes)))
    assert shapes_from(stored) == shapes
    assert stored[1]["prelabel"] is True and "prelabel" not in stored[0]


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ({"type": "box", "x": 1, "y": 2, "width": 0, "height": 3, "label": "car"}, "positive"),
        ({"type": "box", "x": 1, "y": 2, "width": 2, "label": "car"}, "lacks ['height']"),
        ({"type": "circle", "x": 1, "label": "car"}, "one of ['box', 'mask', 'point', 'polygon']"),
        ({"type": "point", "x": float("nan"), "y": 2, "label": "car"}, "finite"),
        ({"type": "point", "x": "1", "y": 2, "label": "car"}, "must be a number"),
        ({"type": "polygon", "points": [[0, 0], [1, 1]], "label": "car"}, "at least 3 points"),
        ({"type": "polygon", "points": [[0, 0], [1, 1], [2, 2]], "label": "car"}, "no area"),
        ({"type": "point", "x": 1, "y": 2, "label": " "}, "blank"),
        ({"type": "point", "x": 1, "y": 2, "label": "car", "colour": 1}, "unknown fields"),
        ({"type": "mask", "size": [2, 2], "counts": [1, 2], "label": "car"}, "add up to 3"),
        ([1, 2], "must be a dict"),
    ],
)
def test_a_wrong_shape_is_refused_naming_it(shape, message):
    with pytest.raises(NblabelError, match="shape 0") as info:
        shapes_from([shape])
    assert message in str(info.value)


def test_classes_and_the_image_bounds_are_checked():
    box = {"type": "box", "x": 90, "y": 10, "width": 20, "height": 5, "label": "car"}
    assert shapes_from([box], classes=["car"], size=(110, 20))[0].width == 20
    with pytest.raises(NblabelError, match="outside the 100×20 image"):
        shapes_from([box], size=(100, 20))
    with pytest.raises(NblabelError, match="'car', which is not one of \\['dog'\\]"):
        shapes_from([box], classes=["dog"])
    with pytest.raises(NblabelError, match="list of shape dicts"):
        shapes_from(box)
    mask = Mask.from_array(np.ones((3, 4), bool), "car")
    with pytest.raises(NblabelError, match="the mask is 4×3 pixels but the image is 5×3"):
        shapes_from([mask.to_dict()], size=(5, 3))


def test_polygon_area_and_a_repeated_first_vertex():
    square = Polygon([(0, 0), (4, 0), (4, 4), (0, 4), (0, 0)], "a")
    assert len(square.points) == 4 and square.area == 16
    assert square.bounds == (0, 0, 4, 4)


@given(
    st.lists(st.lists(st.booleans(), min_size=1, max_size=7), min_size=1, max_size=7).filter(
        lambda rows: len({len(r) for r in rows}) == 1
    )
)
def test_mask_rle_round_trips(rows):
    array = np.array(rows, dtype=bool)
    height, width, counts = mask_encode(array)
    assert (height, width) == array.shape and sum(counts) == array.size
    assert np.array_equal(mask_decode((height, width), counts), array)
    assert Mask.from_array(array, "x").area == array.sum()


def test_mask_rle_is_cocos_column_major_starting_with_zeros():
    array = np.array([[1, 0], [1, 1]], dtype=bool)  # column-major: 1 1 0 1
    assert mask_encode(array) == (2, 2, [0, 2, 1, 1])
    with pytest.raises(NblabelError, match="booleans or 0/1"):
        mask_encode(np.array([[2, 0]]))


@given(
    x=finite, y=finite, scale=st.floats(0.01, 4), zoom=st.floats(0.05, 40),
    pan_x=finite, pan_y=finite,
)  # fmt: skip
def test_screen_and_image_coordinates_round_trip(x, y, scale, zoom, pan_x, pan_y):
    view = ViewTransform(scale, zoom, pan_x, pan_y)
    sx, sy = view.to_screen(x, y)
    back = view.to_image(sx, sy)
    assert back == pytest.approx((x, y), abs=1e-6 * (1 + abs(pan_x) + abs(pan_y)) / view.factor)


@given(sx=finite, sy=finite, by=st.floats(0.1, 10), ax=finite, ay=finite)
def test_zooming_keeps_the_point_under_the_pointer(sx, sy, by, ax, ay):
    view = ViewTransform(2048 / 6000, 1.5, 10, -20)
    before = view.to_image(ax, ay)
    after = view.zoomed(by, (ax, ay)).to_image(ax, ay)
    assert after == pytest.approx(before, rel=1e-6, abs=1e-4)


def test_a_drag_on_a_downscaled_image_lands_in_original_pixels():
    view = ViewTransform(scale=2048 / 6000)  # a 6000 px wide image shown 2048 px wide
    assert view.to_image(1024, 512) == pytest.approx((3000, 1500))
    with pytest.raises(NblabelError, match="zoom must be positive"):
        ViewTransform(zoom=0)


def test_the_shape_and_image_modules_import_no_widget_library():
    code = (
        "import sys, json, nblabel._shapes, nblabel._images;"
        "print(json.dumps([m for m in ('ipywidgets', 'anywidget', 'traitlets', 'ipycanvas',"
        " 'IPython', 'PIL') if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []  # not even Pillow until an image is read
