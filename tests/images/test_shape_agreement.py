"""Agreement on shapes: Hungarian matching on IoU per image and pair, with the numbers worked
out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from nblabel import LabelStore, NblabelError, agreement
from nblabel._shapes import Box, Mask, Point, Polygon
from nblabel.agreement._shapes import iou_matrix, match_shapes


def box(x, y, w, h, label="car"):
    return {"type": "box", "x": x, "y": y, "width": w, "height": h, "label": label}


def test_box_iou_is_exact():
    # 10×10 boxes overlapping 5×10: intersection 50, union 150
    assert iou_matrix([Box(0, 0, 10, 10, "a")], [Box(5, 0, 10, 10, "a")])[0, 0] == pytest.approx(
        1 / 3
    )


def test_polygons_and_masks_on_the_pixel_grid():
    square = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], "a")
    assert iou_matrix([square], [Box(0, 0, 10, 10, "a")])[0, 0] == pytest.approx(1, abs=0.05)
    array = np.zeros((20, 20), bool)
    array[0:10, 0:5] = True  # the left half of the 10×10 square
    assert iou_matrix([Mask.from_array(array, "a")], [square])[0, 0] == pytest.approx(0.5, abs=0.05)


def test_points_match_within_the_distance_and_never_an_area():
    sim = iou_matrix(
        [Point(0, 0, "a")], [Point(3, 4, "a"), Point(30, 0, "a"), Box(0, 0, 1, 1, "a")]
    )
    assert sim[0].tolist() == pytest.approx([0.5, 0, 0])  # 5 px of 10: 1 - 5/10


def test_matching_pairs_each_shape_once_for_the_best_total():
    # a0's best is b0 (IoU 0.6), a1's only match over 0.5 is b1 (70/130); b1 is as good for
    # a0, but taking it would leave a1 unmatched
    b = [Box(0, 0, 10, 6, "c"), Box(3, 0, 10, 10, "c")]
    a = [Box(0, 0, 10, 10, "c"), Box(6, 0, 10, 10, "c")]
    # a0-b0 0.6, a0-b1 70/130, a1-b0 24/136, a1-b1 70/130
    found = match_shapes(a, b, iou=0.5)
    assert [(i, j) for i, j, _ in found] == [(0, 0), (1, 1)]
    assert found[1][2] == pytest.approx(70 / 130)


def test_classes_never_match_each_other():
    assert match_shapes([Box(0, 0, 5, 5, "car")], [Box(0, 0, 5, 5, "bike")]) == []


@pytest.fixture
def store(tmp_path):
    s = LabelStore(tmp_path / "s.db")
    # image 1: alice 2 cars + 1 person; bob matches one car exactly (IoU 1), draws the other
    # car shifted (IoU 1/3, below 0.5) and the person at IoU 0.6
    s.append(
        task="det",
        item=1,
        annotator="alice",
        label=[box(0, 0, 10, 10), box(50, 0, 10, 10), box(100, 0, 10, 10, "person")],
    )
    s.append(
        task="det",
        item=1,
        annotator="bob",
        label=[box(0, 0, 10, 10), box(55, 0, 10, 10), box(100, 0, 10, 6, "person")],
    )
    # image 2: alice nothing, bob one car (a false positive)
    s.append(task="det", item=2, annotator="alice", label=[])
    s.append(task="det", item=2, annotator="bob", label=[box(0, 0, 4, 4)])
    s.append(task="det", item=3, annotator="alice", label=[box(0, 0, 4, 4)])  # bob never saw 3
    return s


def test_per_pair_and_per_class_numbers_by_hand(store):
    result = agreement.shapes(store, "det", iou=0.5)
    pair = result.pairs.loc[("alice", "bob")]
    # alice 3 shapes, bob 4, 2 matched (car IoU 1, person IoU 0.6)
    assert pair[["images", "n_a", "n_b", "matched"]].tolist() == [2, 3, 4, 2]
    assert pair["precision"] == pytest.approx(2 / 4) and pair["recall"] == pytest.approx(2 / 3)
    assert pair["f1"] == pytest.approx(4 / 7) and pair["mean_iou"] == pytest.approx(0.8)
    car = result.classes.loc[("alice", "bob", "car")]
    assert car[["n_a", "n_b", "matched"]].tolist() == [2, 3, 1]
    assert car["f1"] == pytest.approx(2 / 5) and car["mean_iou"] == pytest.approx(1.0)
    person = result.classes.loc[("alice", "bob", "person")]
    assert person["f1"] == pytest.approx(1.0) and person["mean_iou"] == pytest.approx(0.6)
    assert len(result.matches) == 2
    # a lower threshold counts the shifted car too
    loose = agreement.shapes(store, "det", iou=0.3).pairs.loc[("alice", "bob")]
    assert loose["matched"] == 3 and loose["mean_iou"] == pytest.approx((1 + 0.6 + 1 / 3) / 3)


def test_wrong_calls_are_refused(store):
    with pytest.raises(NblabelError, match="iou="):
        agreement.shapes(store, "det", iou=0)
    with pytest.raises(NblabelError, match="agreement needs two"):
        agreement.shapes(store, "det", annotators=["alice"])
    with pytest.raises(NblabelError, match="carol"):
        agreement.shapes(store, "det", annotators=["alice", "carol"])
