"""COCO and YOLO files from stored shapes: read back by pycocotools, with hand-computed
numbers, and never written over a store."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import nblabel
from nblabel import LabelStore, NblabelError, export
from nblabel._shapes import Mask

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO


@pytest.fixture
def scene(tmp_path):
    """Two generated images (200×100 and 50×80) and their shapes in a store."""
    paths = []
    for name, size in (("a.png", (200, 100)), ("b.png", (50, 80))):
        Image.new("RGB", size, "white").save(tmp_path / name)
        paths.append(str(tmp_path / name))
    df = pd.DataFrame({"path": paths}, index=["img-a", "img-b"])
    mask = np.zeros((80, 50), bool)
    mask[10:20, 5:15] = True  # 10 rows × 10 columns at x 5…15, y 10…20
    store = LabelStore(tmp_path / "labels.db")
    store.set_task_info("detect", {"kind": "images", "options": ["car", "person"]})
    store.append(task="detect", item="img-a", annotator="alice", label=[
        {"type": "box", "x": 20, "y": 10, "width": 40, "height": 30, "label": "person"},
        {"type": "polygon", "points": [[100, 10], [140, 10], [140, 50]], "label": "car"},
        {"type": "point", "x": 5, "y": 6, "label": "car"},
    ])  # fmt: skip
    store.append(task="detect", item="img-b", annotator="alice",
                 label=[Mask.from_array(mask, "car").to_dict()])  # fmt: skip
    return store, df, tmp_path


def test_coco_is_read_by_pycocotools_with_sizes_categories_and_each_shape(scene):
    store, df, tmp = scene
    written = export.coco(store, task="detect", images=df, image="path", path=tmp / "coco.json")
    coco = COCO(str(tmp / "coco.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["car", "person"]
    images = coco.loadImgs(coco.getImgIds())
    assert [(i["width"], i["height"]) for i in images] == [(200, 100), (50, 80)]
    assert images[0]["file_name"] == df["path"].iloc[0]
    a = coco.loadAnns(coco.getAnnIds(imgIds=[1]))
    assert a[0]["bbox"] == [20, 10, 40, 30] and a[0]["category_id"] == 2 and a[0]["area"] == 1200
    assert a[1]["segmentation"] == [[100, 10, 140, 10, 140, 50]] and a[1]["area"] == 800
    assert a[1]["bbox"] == [100, 10, 40, 40]
    assert a[2]["keypoints"] == [5, 6, 2]
    assert coco.annToMask(a[0]).sum() == pytest.approx(1200, rel=0.1)
    (m,) = coco.loadAnns(coco.getAnnIds(imgIds=[2]))
    assert m["area"] == 100 and m["bbox"] == [5, 10, 10, 10]
    decoded = coco.annToMask(m)
    assert decoded.shape == (80, 50) and decoded[10:20, 5:15].all() and decoded.sum() == 100
    assert written["annotations"][3]["segmentation"]["counts"] == m["segmentation"]["counts"]


def test_yolo_writes_normalised_boxes_one_file_per_image_and_the_classes(scene):
    store, df, tmp = scene
    files = export.yolo(store, task="detect", images=df, image="path", folder=tmp / "labels")
    assert sorted(p.name for p in (tmp / "labels").iterdir()) == ["a.txt", "b.txt", "classes.txt"]
    assert (tmp / "labels" / "classes.txt").read_text() == "car\nperson\n"
    # the box: centre (40, 25) of 200×100, size 40×30; the polygon's bounds 100…140, 10…50
    assert files["img-a"].read_text().splitlines() == [
        "1 0.200000 0.250000 0.200000 0.300000",
        "0 0.600000 0.300000 0.200000 0.400000",
    ]  # the point has no box and is left out
    assert files["img-b"].read_text() == "0 0.200000 0.187500 0.200000 0.125000\n"


def test_exports_refuse_a_store_and_unclear_input(scene):
    store, df, tmp = scene
    other = LabelStore(tmp / "odd.json")  # a store whose name ends like a COCO file
    other.append(task="t", item=1, annotator="a", label="x")
    with pytest.raises(NblabelError, match="open label store"):
        export.coco(store, "detect", images=df, image="path", path=tmp / "odd.json")
    assert len(other.annotations(task="t")) == 1  # the refusal came before any write
    with pytest.raises(NblabelError, match="not a column"):
        export.coco(store, "detect", images=df, image="file", path=tmp / "c.json")
    with pytest.raises(NblabelError, match="lacks items"):
        export.yolo(store, "detect", images=df.iloc[:1], image="path", folder=tmp / "l")
    store.append(task="detect", item="img-a", annotator="bob", label=[])
    with pytest.raises(NblabelError, match=r"\['alice', 'bob'\]: pass annotator="):
        export.coco(store, "detect", images=df, image="path", path=tmp / "c.json")
    out = export.coco(store, "detect", images=df, image="path", path=tmp / "c.json",
                      annotator="bob")  # fmt: skip
    assert len(out["images"]) == 1 and out["annotations"] == []


def test_a_missing_image_file_is_named(scene):
    store, df, tmp = scene
    (tmp / "b.png").unlink()
    with pytest.raises(NblabelError, match=r"item .img-b.: the image .*b\.png.* does not exist"):
        export.coco(store, "detect", images=df, image="path", path=tmp / "c.json")
    assert not (tmp / "c.json").exists()
    json.dumps({})  # nothing half-written above


def test_read_coco_gives_back_the_exported_shapes_per_row(scene):
    store, df, tmp = scene
    export.coco(store, "detect", images=df, image="path", path=tmp / "coco.json")
    shapes = nblabel.read_coco(tmp / "coco.json", images=df, image="path")
    current = store.annotations(task="detect").set_index("item")["label"]
    assert shapes.index.tolist() == ["img-a", "img-b"]
    assert shapes["img-a"] == current["img-a"]  # box, polygon and point, as stored
    assert shapes["img-b"] == current["img-b"]  # the mask, back from compressed RLE
    # matched by file name when the folders differ; a row with no COCO image gets []
    moved = pd.DataFrame({"path": ["elsewhere/a.png", "c.png"]}, index=["x", "y"])
    back = nblabel.read_coco(tmp / "coco.json", images=moved, image="path")
    assert back["x"] == current["img-a"] and back["y"] == []
    with pytest.raises(NblabelError, match="does not exist"):
        nblabel.read_coco(tmp / "none.json", images=df, image="path")
    (tmp / "bad.json").write_text("{}")
    with pytest.raises(NblabelError, match="is not a COCO file"):
        nblabel.read_coco(tmp / "bad.json", images=df, image="path")
