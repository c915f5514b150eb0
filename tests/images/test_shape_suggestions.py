"""What became of a model's suggested shapes: accepted, relabeled, moved or resized, deleted —
recorded with the image's saved label and counted by ``nblabel.suggestion_report``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import nblabel
from nblabel._edits import shape_outcomes
from nblabel._shapes import Box, Point, Polygon

CLASSES = ["car", "person", "bike"]


def test_each_suggestion_gets_its_outcome_from_what_was_saved():
    suggested = [
        Box(10, 10, 20, 20, "car", prelabel=True),
        Box(100, 100, 40, 40, "car", prelabel=True),
        Point(5, 5, "person", prelabel=True),
        Polygon(((200, 200), (260, 200), (230, 250)), "bike", prelabel=True),
        Box(300, 10, 20, 20, "person", prelabel=True),
    ]
    saved = [
        Box(10, 10, 20, 20, "car", prelabel=True),  # as suggested
        Point(5, 5, "car"),  # the same point, another class
        Box(110, 105, 50, 40, "person"),  # moved, resized and relabeled
        Box(300, 10, 20, 20, "person", prelabel=True),  # as suggested
        Box(400, 300, 30, 30, "car"),  # the human's own, overlapping no suggestion
    ]
    outcomes = shape_outcomes(suggested, saved)
    assert [(o["outcome"], o.get("to")) for o in outcomes] == [
        ("accepted", None),
        ("edited", "person"),
        ("relabeled", "car"),
        ("deleted", None),
        ("accepted", None),
    ]
    assert outcomes[3] == {"type": "polygon", "label": "bike", "outcome": "deleted"}
    # one saved shape explains one suggestion: two equal suggestions, one kept
    twice = [Box(1, 1, 5, 5, "car", prelabel=True)] * 2
    assert [o["outcome"] for o in shape_outcomes(twice, twice[:1])] == ["accepted", "deleted"]


def colour_assistant(image, prompt):
    x, y = (int(v) for v in prompt["point"])
    return np.abs(image.astype(int) - image[y, x].astype(int)).sum(axis=2) < 30


colour_assistant.version = "2"


@pytest.fixture
def df(tmp_path) -> pd.DataFrame:
    scene = Image.new("RGB", (200, 100), (255, 255, 255))
    scene.paste((200, 20, 20), (120, 20, 160, 60))  # a red patch
    scene.save(tmp_path / "scene.png")
    guesses = [
        [{"type": "box", "x": 10, "y": 10, "width": 30, "height": 20, "label": "car"},
         {"type": "box", "x": 60, "y": 10, "width": 30, "height": 20, "label": "car"},
         {"type": "point", "x": 5, "y": 90, "label": "person"}],
        [{"type": "box", "x": 10, "y": 10, "width": 30, "height": 20, "label": "car"}],
    ]  # fmt: skip
    return pd.DataFrame({"path": [str(tmp_path / "scene.png")] * 2, "guess": guesses},
                        index=["a", "b"])  # fmt: skip


def test_the_saved_label_records_each_suggestion_and_the_report_counts_them(df, tmp_path):
    store = nblabel.LabelStore(tmp_path / "labels.db")
    w = nblabel.annotate_images(df, image="path", classes=CLASSES, prelabels="guess",
                                assist=colour_assistant, store=store, annotator="alice",
                                task="detect", fingerprint=False)  # fmt: skip
    w.resize_shape(1, "e", 120, 0)  # the second box made wider
    w.relabel_shape(2, "bike")  # the point is a bike
    w.assist(point=(130, 30), label="car")  # the assistant's mask, kept as it is
    w.submit()
    w.remove_shape(0)  # the only suggestion of "b": deleted
    w.submit()
    table = store.annotations(task="detect", source="annotator")
    meta = store.event_meta(table["event_id"].tolist())
    first = meta[int(table["event_id"].iloc[0])]["shape_suggestions"]
    assert [(s["model"], s["version"], s["label"], s["outcome"], s.get("to")) for s in first] == [
        ("guess", None, "car", "accepted", None),
        ("guess", None, "car", "edited", "car"),
        ("guess", None, "person", "relabeled", "bike"),
        ("colour_assistant", "2", "car", "accepted", None),
    ]
    # what each model suggested is kept as its own event, as suggestions of text are
    models = store.annotations(task="detect", source="model")
    assert models[["item", "annotator"]].values.tolist() == [
        ["a", "guess"], ["a", "colour_assistant"], ["b", "guess"]]  # fmt: skip
    assert models["label"].iloc[0] == [{**s, "prelabel": True} for s in df.loc["a", "guess"]]
    assert models["label"].iloc[1][0]["type"] == "mask"
    report = nblabel.suggestion_report(store, "detect")
    outcomes = report.outcomes
    assert outcomes.loc[("guess", "", "car")].to_dict() == {
        "accepted": 1, "relabeled": 0, "edited": 1, "deleted": 1}  # fmt: skip
    assert outcomes.loc[("guess", "", "person"), "relabeled"] == 1
    assert outcomes.loc[("colour_assistant", "2", "car"), "accepted"] == 1
    assert report.summary.loc[("guess", ""), ["labels", "accepted"]].tolist() == [4, 1]
    assert report.by_class.loc[("guess", "", "car"), "acceptance"] == pytest.approx(1 / 3)
    assert report.confusion.loc[("guess", "", "car"), "(deleted)"] == 1


def test_undoing_a_saved_image_leaves_its_outcomes_out_of_the_report(df, tmp_path):
    store = nblabel.LabelStore(tmp_path / "labels.db")
    w = nblabel.annotate_images(df, image="path", classes=CLASSES, prelabels="guess",
                                store=store, annotator="alice", task="detect")  # fmt: skip
    w.submit()
    w.undo()
    w.remove_shape(0)
    w.submit()  # saved again: two of three suggestions kept this time
    outcomes = nblabel.suggestion_report(store, "detect").outcomes
    assert outcomes.sum().to_dict() == {"accepted": 2, "deleted": 1}
    # the suggestions themselves are kept once, however often the image is saved
    assert len(store.annotations(task="detect", source="model", history=True)) == 1
