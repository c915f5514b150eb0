"""Adjudicating shapes without a browser: ``nblabel.review`` on a task of ``annotate_images``
finds the images whose annotators differ, sends each annotator's shapes and the pairs matched
by IoU with the picture, starts from the shapes most of them marked, takes one annotator's
shapes whole, and saves the final shapes with ``source="review"``."""

from __future__ import annotations

import pandas as pd
import pytest
from PIL import Image

import nblabel
from nblabel import NblabelError
from nblabel._shapes import Box, Point
from nblabel.agreement._shapes import contested_shapes

CLASSES = ["car", "person"]


@pytest.fixture
def labeled(tmp_path):
    paths = []
    for name in ("a", "b", "c"):
        Image.new("RGB", (300, 200), (120, 120, 120)).save(tmp_path / f"{name}.png")
        paths.append(str(tmp_path / f"{name}.png"))
    df = pd.DataFrame({"path": paths}, index=["a", "b", "c"])
    store = nblabel.LabelStore(tmp_path / "labels.db")
    drawn = {
        "alice": {"a": [Box(10, 10, 100, 50, "car"), Point(200, 150, "person")],
                  "b": [Box(0, 0, 20, 20, "car")], "c": [Box(50, 50, 60, 60, "car")]},
        "bob": {"a": [Box(14, 12, 100, 50, "car"), Box(150, 20, 40, 40, "car")],
                "b": [Box(0, 0, 20, 20, "car")], "c": [Box(50, 50, 60, 60, "car")]},
    }  # fmt: skip
    for annotator, images in drawn.items():
        w = nblabel.annotate_images(df, image="path", classes=CLASSES, store=store,
                                    annotator=annotator, task="detect")  # fmt: skip
        for item in ("a", "b", "c"):
            w.goto(item)
            w.submit([s.to_dict() for s in images[item]])
        w.close()
    return df, store


def test_only_images_where_annotators_differ_are_contested(labeled):
    _, store = labeled
    contested = contested_shapes(store.annotations(task="detect"))
    assert list(contested) == ["a"]  # b and c: the same shapes
    entry = contested["a"]
    assert [who for who, _ in entry["votes"]] == ["alice", "bob"]
    (match,) = entry["matches"]
    assert (match["a"], match["i"], match["b"], match["j"]) == (0, 0, 1, 0)
    assert match["iou"] == pytest.approx(96 * 48 / (2 * 100 * 50 - 96 * 48), abs=1e-4)
    # the shapes both marked: alice's box (the first to draw it); the rest is contested
    assert entry["merged"] == [Box(10, 10, 100, 50, "car").to_dict()]
    assert list(contested_shapes(store.annotations(task="detect"), include_agreed=True)) == [
        "a", "b", "c"]  # fmt: skip


def test_review_shows_the_votes_and_saves_the_final_shapes_as_review(labeled):
    df, store = labeled
    r = nblabel.review(store, "detect", data=df, image="path", reviewer="carol")
    assert r.current == "a" and r.progress.total == 1
    content = r.sample["content"]
    assert [v["annotator"] for v in content["votes"]] == ["alice", "bob"]
    assert len(content["matches"]) == 1 and content["iou"] == 0.5
    assert r.shapes == [Box(10, 10, 100, 50, "car", prelabel=True)]  # the majority, dashed
    assert "nblabel-shape-review" in r._dom_classes
    r.take("bob")
    assert r.shapes == [Box(14, 12, 100, 50, "car"), Box(150, 20, 40, 40, "car")]
    r.undo_shape()
    assert r.shapes == [Box(10, 10, 100, 50, "car", prelabel=True)]
    r.take("bob")
    r.remove_shape(1)
    r.submit()
    final = store.annotations(task="detect", source="review")
    assert final[["item", "annotator"]].values.tolist() == [["a", "carol"]]
    assert final["label"].iloc[0] == [Box(14, 12, 100, 50, "car").to_dict()]
    with pytest.raises(NblabelError, match="'dave' has no shapes on this image"):
        nblabel.review(store, "detect", data=df, image="path", include_agreed=True).take("dave")
    with pytest.raises(NblabelError, match="needs the images: pass data="):
        nblabel.review(store, "detect")
    with pytest.raises(NblabelError, match="image= names the column"):
        nblabel.review(store, "detect", data=df.assign(other=1), image="nope")
