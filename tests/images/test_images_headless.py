"""The images widget without a browser: its Python twins, the browser's messages, undo and
resume, pre-labels, and an image that cannot be read."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import nblabel
from nblabel import NblabelError
from nblabel._codec import encode
from nblabel._shapes import Box, Point, Polygon
from nblabel.testing import browser_message

CLASSES = ["car", "person", "bike"]


@pytest.fixture
def df(tmp_path) -> pd.DataFrame:
    paths = []
    for i, size in enumerate([(400, 300), (3000, 1000), (64, 64)]):
        path = tmp_path / f"scene{i}.jpg"
        Image.new("RGB", size, (40 * i, 120, 200)).save(path)
        paths.append(str(path))
    return pd.DataFrame({"path": paths}, index=pd.Index(["a", "b", "c"], name="id"))


@pytest.fixture
def store(tmp_path):
    return nblabel.LabelStore(tmp_path / "labels.db")


def make(df, store, **kwargs):
    kwargs.setdefault("annotator", "alice")
    kwargs.setdefault("task", "detect")
    return nblabel.annotate_images(df, image="path", classes=CLASSES, store=store, **kwargs)


def stored(store) -> dict:
    return dict(store.annotations(task="detect")[["item", "label"]].values.tolist())


def test_the_twins_draw_and_submit_saves_the_images_shapes(df, store):
    w = make(df, store)
    content = w.sample["content"]
    assert content["type"] == "shapes-image" and (content["width"], content["height"]) == (400, 300)
    # the picture travels once, in the Image widget the kernel's canvas draws too
    picture = {p.model_id: p for p in w._pictures.values()}[content["picture"]]
    assert "data" not in content and content["mime"] == "image/jpeg"
    assert picture.format == "jpeg" and picture.value[:2] == b"\xff\xd8"
    w.add_box(10, 20, 100, 50, "car")
    w.add_polygon([(200, 10), (300, 10), (250, 90)], "person")
    w.add_point(5, 5, "bike")
    assert w.shapes == [
        Box(10, 20, 100, 50, "car"),
        Polygon(((200, 10), (300, 10), (250, 90)), "person"),
        Point(5, 5, "bike"),
    ]
    assert w.draft["edit"] and len(w.draft["shapes"]) == 3  # the browser shows them
    w.remove_shape(1)
    w.submit()
    assert w.current == "b"
    assert stored(store) == {"a": [
        {"type": "box", "x": 10.0, "y": 20.0, "width": 100.0, "height": 50.0, "label": "car"},
        {"type": "point", "x": 5.0, "y": 5.0, "label": "bike"},
    ]}  # fmt: skip
    assert w.shapes == [] and w.labels.loc["a", "label"][0]["label"] == "car"


def test_coordinates_are_in_original_pixels_of_a_downscaled_image(df, store):
    w = make(df, store)
    w.skip()
    content = w.sample["content"]
    assert (content["width"], content["display_width"]) == (3000, 2048)
    w.add_box(2500, 800, 400, 150, "car")  # beyond the 2048 px picture, inside the original
    with pytest.raises(NblabelError, match="outside the 3000×1000 image"):
        w.add_box(2900, 900, 200, 50, "car")
    w.submit()
    assert stored(store)["b"][0]["x"] == 2500


def test_wrong_twin_calls_are_refused_naming_the_fix(df, store):
    w = make(df, store)
    with pytest.raises(NblabelError, match="'dog' is not one of the classes"):
        w.add_box(1, 1, 5, 5, "dog")
    with pytest.raises(NblabelError, match="positive width"):
        w.add_box(1, 1, -5, 5, "car")
    with pytest.raises(NblabelError, match="has 0 shape"):
        w.remove_shape(0)
    with pytest.raises(NblabelError, match="tools= holds \\['brush'\\]"):
        make(df, store, tools=("box", "brush"))
    with pytest.raises(NblabelError, match="image='file' is not a column"):
        nblabel.annotate_images(df, image="file", classes=CLASSES, store=store)
    assert stored(store) == {}


def test_a_digit_picks_the_class_and_enter_saves(df, store):
    w = make(df, store)
    w.press("2")
    assert w.active_class == 1 and stored(store) == {}  # a digit saves nothing
    w.add_box(0, 0, 10, 10, "person")
    w.press("Enter")
    assert stored(store)["a"][0]["label"] == "person"
    w.press("Enter")  # an image with nothing to mark: an empty list, saved
    assert stored(store)["b"] == []


def test_browser_drafts_and_labels_go_through_the_base(df, store):
    w = make(df, store)
    shapes = [{"type": "box", "x": 1.5, "y": 2, "width": 30, "height": 40, "label": "bike"}]
    browser_message(w, {"kind": "draft", "item": w.sample["item"], "shapes": encode(shapes)})
    assert w.shapes == [Box(1.5, 2, 30, 40, "bike")]
    assert not w.draft["edit"]  # the browser has them: it is not told again
    bad = [{"type": "box", "x": 1, "y": 2, "width": 3, "height": 4, "label": "dog"}]
    browser_message(w, {"kind": "label", "value": encode(bad), "item": w.sample["item"],
                        "client": "t", "seq": 1})  # fmt: skip
    assert "no longer a label here" in w.error and stored(store) == {}
    assert w.acks == {"t": 1}  # refused, acknowledged: the browser stops resending it
    browser_message(w, {"kind": "label", "value": encode(shapes), "item": w.sample["item"],
                        "client": "t", "seq": 2})  # fmt: skip
    assert stored(store) == {"a": [{**shapes[0], "y": 2.0, "width": 30.0, "height": 40.0}]}
    assert w.acks == {"t": 2} and w.current == "b"


def test_undo_and_a_new_widget_bring_the_shapes_back(df, store):
    w = make(df, store)
    w.add_point(3, 4, "car")
    w.submit()
    w.undo()
    assert w.current == "a" and stored(store) == {}
    w.add_point(7, 8, "bike")
    w.submit()
    again = make(df, store)
    again.goto("a")
    assert again.shapes == [Point(7, 8, "bike")]  # the saved shapes, to edit
    assert encode(again.draft["shapes"]) == encode([Point(7, 8, "bike").to_dict()])


def test_prelabels_show_as_suggestions_and_keep_their_mark_when_accepted(df, store):
    df = df.assign(predicted=[
        [{"type": "box", "x": 5, "y": 5, "width": 20, "height": 20, "label": "car"}], None, [],
    ])  # fmt: skip
    w = make(df, store, prelabels="predicted")
    (suggested,) = w.sample["content"]["prelabels"]
    assert suggested["prelabel"] is True and w.shapes[0].prelabel
    w.add_point(1, 1, "bike")
    w.submit()
    saved = stored(store)["a"]
    assert saved[0]["prelabel"] is True and "prelabel" not in saved[1]
    with pytest.raises(NblabelError, match="prelabels='nope' is not a column"):
        make(df, store, prelabels="nope")


def test_an_image_that_cannot_be_read_shows_its_error_and_can_be_skipped(df, store, tmp_path):
    df.loc["b", "path"] = str(tmp_path / "gone.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    df.loc["c", "path"] = str(tmp_path / "broken.jpg")
    w = make(df, store)
    w.skip()
    assert w.sample["content"]["type"] == "error"
    assert (
        "gone.jpg" in w.sample["content"]["text"]
        and "does not exist" in w.sample["content"]["text"]
    )
    with pytest.raises(NblabelError, match="cannot be shown"):
        w.add_box(0, 0, 5, 5, "car")
    w.skip()
    assert "broken.jpg" in w.sample["content"]["text"]


def test_arrays_pil_images_and_bytes_are_images_too(store):
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20)).save(buffer, format="PNG")
    df = pd.DataFrame({"img": [np.zeros((20, 30, 3), np.uint8), Image.new("L", (30, 20)),
                               buffer.getvalue()]})  # fmt: skip
    w = nblabel.annotate_images(df, image="img", classes=CLASSES, store=store, task="t",
                                annotator="a", fingerprint=False)  # fmt: skip
    for _ in range(3):
        assert (w.sample["content"]["width"], w.sample["content"]["height"]) == (30, 20)
        w.add_point(29, 19, "car")
        w.submit()
    assert w.progress.done == 3


def test_the_next_images_are_prepared_in_the_background(tmp_path, store, monkeypatch):
    import threading

    import nblabel._images as images

    made = {}
    real = images.shown_image

    def recording(source, max_side):
        made[source] = threading.current_thread().name
        return real(source, max_side)

    monkeypatch.setattr(images, "shown_image", recording)
    paths = []
    for i in range(8):
        Image.new("RGB", (50 + i, 40)).save(tmp_path / f"p{i}.png")
        paths.append(str(tmp_path / f"p{i}.png"))
    df = pd.DataFrame({"path": paths})
    w = nblabel.annotate_images(df, image="path", classes=CLASSES, store=store, task="t",
                                annotator="a")  # fmt: skip
    for _ in range(4):
        w.submit([])
    assert w.sample["content"]["width"] == 54
    # the one on screen and the three prefetched first are made at once; later ones ahead
    assert [made[p] for p in paths[:4]] == ["MainThread"] * 4
    assert all(made[p].startswith("nblabel-images") for p in paths[4:8])
    w.close()


def colour_assistant(image, prompt):
    """Pixels of about the colour under the point, or in the middle of the box."""
    if "point" in prompt:
        x, y = (int(v) for v in prompt["point"])
    else:
        bx, by, bw, bh = prompt["box"]
        x, y = int(bx + bw / 2), int(by + bh / 2)
    colour = image[y, x].astype(int)
    return (np.abs(image.astype(int) - colour).sum(axis=2) < 30)


def test_the_assistant_answers_a_click_or_a_box_with_suggestions(tmp_path, store):
    scene = Image.new("RGB", (120, 80), (255, 255, 255))
    scene.paste((200, 20, 20), (30, 20, 70, 50))  # a red 40 × 30 car
    scene.save(tmp_path / "scene.png")
    df = pd.DataFrame({"path": [str(tmp_path / "scene.png")]}, index=["s"])
    w = make(df, store, assist=colour_assistant)
    assert "assist" in w.tools
    (suggested,) = w.assist(point=(40, 30), label="car")
    assert suggested.prelabel and suggested.area == 40 * 30 and suggested.bounds == (30, 20, 70, 50)
    browser_message(w, {"kind": "assist", "item": w.sample["item"], "box": [25, 15, 50, 40],
                        "label": encode("bike")})  # fmt: skip
    assert [s.label for s in w.shapes] == ["car", "bike"] and w.draft["edit"]
    w.submit()
    saved = stored(store)["s"]
    assert saved[0]["type"] == "mask" and saved[0]["prelabel"] is True
    with pytest.raises(NblabelError, match="no assist= function"):
        make(df, store, tools=("box", "assist"))
    with pytest.raises(NblabelError, match="has no assistant"):
        make(df, store, task="other").assist(point=(1, 1))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"image": ["path"]}, "image"),
        ({"classes": "car"}, "classes"),
        ({"classes": []}, "classes"),
        ({"tools": "box"}, "tools="),
        ({"tools": ()}, "tools="),
        ({"tools": ("assist",)}, "no assist= function"),
        ({"prelabels": 5}, "prelabels"),
        ({"prelabels": "guess"}, "prelabels='guess' is not a column"),
        ({"max_side": "big"}, "max_side"),
        ({"max_side": 4}, "max_side"),
        ({"assist": "sam"}, "assist"),
        ({"store": 5}, "store"),
        ({"annotator": 5}, "annotator"),
        ({"task": ["t"]}, "task"),
        ({"keys": 5}, "keys"),
        ({"order": "backwards"}, "order"),
    ],
)
def test_every_parameter_of_the_wrong_type_is_refused_naming_it(df, store, kwargs, pattern):
    call = {"image": "path", "classes": CLASSES, "store": store, **kwargs}
    with pytest.raises(NblabelError, match=pattern):
        nblabel.annotate_images(df, **call)
    assert stored(store) == {}


@pytest.mark.parametrize(
    ("twin", "args", "pattern"),
    [
        ("add_box", ("a", 1, 5, 5, "car"), "x"),
        ("add_box", (1, 1, float("nan"), 5, "car"), "width"),
        ("add_point", (1e9, 1, "car"), "outside|inside"),
        ("add_polygon", ([(1, 1), (2, 2)], "car"), "3"),
        ("add_mask", (np.ones((2, 2), bool), "car"), "size|400"),
        ("remove_shape", ("0",), "index"),
        ("resize_shape", (0, "up", 1, 1), "handle|index|shape"),
        ("relabel_shape", (True, "car"), "index"),
    ],
)
def test_a_twin_given_the_wrong_type_is_refused_naming_the_fix(df, store, twin, args, pattern):
    w = make(df, store)
    with pytest.raises(NblabelError, match=pattern):
        getattr(w, twin)(*args)
    assert w.shapes == [] and stored(store) == {}
    w.close()
