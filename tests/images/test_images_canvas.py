"""The kernel's canvas of the images widget (ipycanvas), without a browser: what it draws, in
how many messages, at which scale, when a view connects or a page reloads; the picture widgets
it keeps; and hostile view messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ipycanvas.canvas import _CANVAS_MANAGER, COMMANDS, Canvas
from PIL import Image

import nblabel
from nblabel.testing import browser_message
from nblabel.widgets._canvas import PALETTE, PICTURES_KEPT

NAMES = {number: name for name, number in COMMANDS.items()}
CLASSES = ["car", "person"]


@pytest.fixture
def drawings(monkeypatch) -> list[list[tuple[str, list]]]:
    """Every message the canvas manager sends: a list of (command, arguments) each."""
    sent: list[list[tuple[str, list]]] = []

    def record(commands, buffers=()):
        batch = commands if commands and isinstance(commands[0], list) else [commands]
        sent.append([(NAMES[c[0]], c[1] if len(c) > 1 else []) for c in batch])

    monkeypatch.setattr(_CANVAS_MANAGER, "_send_custom", record)
    return sent


@pytest.fixture
def df(tmp_path) -> pd.DataFrame:
    paths = []
    for i, size in enumerate([(3000, 1000), (400, 300), (64, 64), (64, 64), (64, 64)]):
        path = tmp_path / f"scene{i}.png"
        Image.new("RGB", size, (40 * i, 120, 200)).save(path)
        paths.append(str(path))
    return pd.DataFrame({"path": paths}, index=pd.Index(list("abcde"), name="id"))


def make(df, tmp_path, **kwargs):
    return nblabel.annotate_images(df, image="path", classes=CLASSES, annotator="al",
                                   task="detect", store=tmp_path / "l.db", **kwargs)  # fmt: skip


def connect(w, zoom=1.0, pan_x=0.0, pan_y=0.0, screen=1.0, item=None, new=True):
    """The browser's view says where it is: ``new``, as a new view's first message does."""
    item = w.sample["item"] if item is None else item
    browser_message(w, {"kind": "view", "item": item, "zoom": zoom, "pan_x": pan_x,
                        "pan_y": pan_y, "screen": screen, **({"connect": True} if new else {})})


def commands(batch) -> list[str]:
    return [name for name, _ in batch if name != "switchCanvas"]


def test_nothing_is_drawn_before_a_view_connects(df, tmp_path, drawings):
    w = make(df, tmp_path)
    w.add_box(10, 10, 100, 100, "car")
    assert drawings == []  # a widget never shown sends no drawing
    connect(w)
    assert len(drawings) == 1 and "drawImage" in commands(drawings[0])
    assert w.drawn["item"] == w.sample["item"] and w.drawn["n"] == 1


def test_one_message_per_committed_change_the_picture_only_when_it_changes(
    df, tmp_path, drawings
):
    w = make(df, tmp_path)
    connect(w)
    picture_id = w.sample["content"]["picture"]
    first = drawings[-1]
    (image_ref, *place) = next(args for name, args in first if name == "drawImage")
    assert image_ref == f"IPY_MODEL_{picture_id}"  # the Image widget the browser has too
    assert place == [0, 0, 2048, 683]  # the picture as sent, at zoom 1
    w.add_box(300, 100, 600, 400, "person")
    assert len(drawings) == 2
    shapes_only = commands(drawings[1])
    assert "drawImage" not in shapes_only and "rect" in shapes_only
    # the shapes layer maps original pixels: 2048 / 3000 canvas pixels each
    transform = [args for name, args in drawings[1] if name == "setTransform"][-1]
    assert transform[0] == pytest.approx(2048 / 3000) and transform[4:] == [0.0, 0.0]
    assert [args for name, args in drawings[1] if name == "rect"] == [[300, 100, 600, 400]]
    styles = [args for name, args in drawings[1] if name == "set"]
    assert [Canvas.ATTRS["stroke_style"], PALETTE[1]] in styles  # "person"'s colour
    assert w.drawn["rev"] == w.draft["rev"]


def test_the_browsers_edits_and_view_are_drawn_and_echoed(df, tmp_path, drawings):
    w = make(df, tmp_path)
    connect(w)
    shapes = [{"type": "box", "x": 1, "y": 2, "width": 30, "height": 40, "label": "car"}]
    browser_message(w, {"kind": "draft", "item": w.sample["item"], "seq": 3,
                        "shapes": nblabel._codec.encode(shapes)})  # fmt: skip
    assert w.drawn["seq"] == 3 and [a for n, a in drawings[-1] if n == "rect"] == [[1, 2, 30, 40]]
    assert w.draft["seq"] == 3  # a new view takes the count up, to match the kernel's drawing
    n = len(drawings)
    browser_message(w, {"kind": "draft", "item": w.sample["item"], "seq": True,
                        "shapes": nblabel._codec.encode(shapes)})  # fmt: skip
    assert w.drawn["seq"] == 3 and len(drawings) == n + 1  # not a count: kept; drawn once
    n = len(drawings)
    connect(w, zoom=2.5, pan_x=-100.0, pan_y=-50.0, screen=0.5)
    assert len(drawings) == n + 1 and "drawImage" in commands(drawings[-1])  # a new view
    assert w.drawn["view"] == [2.5, -100.0, -50.0]
    transforms = [a for name, a in drawings[-1] if name == "setTransform"]
    # the picture is the part in view, cut sharp from the original; the shapes are zoomed
    scale = 2048 / 3000 * 2.5
    assert transforms[0] == [1, 0, 0, 1, 0, 0]
    assert transforms[1] == pytest.approx([scale, 0, 0, scale, -100.0, -50.0])
    # line widths are screen pixels: at half a screen pixel per canvas pixel and 2.5x zoom
    line_width = Canvas.ATTRS["line_width"]
    widths = [a[1] for name, a in drawings[-1] if name == "set" and a[0] == line_width]
    assert widths[0] == pytest.approx(2.5 / (2048 / 3000 * 2.5 * 0.5))


@pytest.mark.parametrize(
    "bad",
    [
        {"zoom": "abc"},
        {"zoom": float("nan")},
        {"zoom": 0.5},
        {"zoom": None},
        {"pan_x": float("inf")},
        {"screen": -1},
        {"screen": [1]},
    ],
)
def test_a_hostile_view_message_changes_no_view(df, tmp_path, drawings, bad):
    w = make(df, tmp_path)
    connect(w, zoom=2.0)
    message = {"kind": "view", "item": w.sample["item"], "zoom": 3.0, "pan_x": 0.0,
               "pan_y": 0.0, "screen": 1.0, **bad}  # fmt: skip
    browser_message(w, message)
    assert w.drawn["view"] == [2.0, 0.0, 0.0] and not w.error


def test_a_view_that_says_nothing_new_draws_nothing(df, tmp_path, drawings):
    w = make(df, tmp_path)
    connect(w, zoom=2.0)
    n = len(drawings)
    connect(w, zoom=2.0, new=False)  # each new image's view, the same: drawn already
    assert len(drawings) == n
    connect(w, zoom=2.0, screen=0.5, new=False)  # the stage on screen resized: lines redrawn
    assert len(drawings) == n + 1
    connect(w, zoom=2.0, screen=0.5)  # a new view of the widget: drawn for it
    assert len(drawings) == n + 2


def test_a_view_of_another_item_is_ignored_but_drawn_for(df, tmp_path, drawings):
    w = make(df, tmp_path)
    connect(w, item='"zzz"', zoom=4.0)  # a page behind the kernel
    assert w.drawn["view"] == [1.0, 0.0, 0.0] and w.drawn["item"] == w.sample["item"]


def test_a_reloaded_page_gets_the_picture_again(df, tmp_path, drawings):
    w = make(df, tmp_path)
    connect(w)
    w.add_point(5, 5, "car")
    assert "drawImage" not in commands(drawings[-1])
    w.canvas[-1]._handle_frontend_event(None, {"event": "client_ready"}, [])
    assert "drawImage" in commands(drawings[-1]) and "arc" in commands(drawings[-1])


def test_a_new_image_resets_the_view_and_draws_its_picture(df, tmp_path, drawings):
    w = make(df, tmp_path)
    connect(w, zoom=3.0)
    w.submit([])
    assert w.drawn["item"] == w.sample["item"] and w.drawn["view"] == [1.0, 0.0, 0.0]
    assert w.drawn["seq"] == 0
    (image_ref, *place) = next(a for name, a in drawings[-1] if name == "drawImage")
    assert image_ref == f"IPY_MODEL_{w.sample['content']['picture']}" and place == [0, 0, 400, 300]


def test_a_mask_is_drawn_tinted_and_cut_to_its_extent(df, tmp_path, drawings):
    w = make(df, tmp_path, tools=("mask",))
    w.goto("b")  # 400 x 300, shown at its own size
    connect(w)
    mask = np.zeros((300, 400), bool)
    mask[100:150, 20:60] = True
    w.add_mask(mask, "person")
    (place,) = [a for name, a in drawings[-1] if name == "putImageData"]
    assert place == [20, 100]  # the extent's corner, in picture pixels
    rgba, _ = w._picture_canvas._mask(w._draft[0], PALETTE[1], w._picture_canvas.scene)
    assert rgba.shape == (50, 40, 4) and (rgba[..., 3] == round(0.45 * 255)).all()


def test_only_the_pictures_near_the_cursor_stay_open(df, tmp_path, drawings):
    w = make(df, tmp_path)
    made = []
    for _ in range(4):
        made += list(w._pictures.values())
        w.skip()
    assert len(w._pictures) <= 1 + 2 + PICTURES_KEPT  # (PREFETCH is 2)
    w.close()
    assert all(p.comm is None for p in made) and w.canvas.comm is None


def test_an_image_that_cannot_be_read_clears_the_canvas(tmp_path, drawings):
    df = pd.DataFrame({"path": [str(tmp_path / "missing.png")]}, index=["x"])
    w = make(df, tmp_path)
    connect(w)
    assert w.sample["content"]["type"] == "error"
    assert "drawImage" not in commands(drawings[-1]) and "clear" in commands(drawings[-1])
    assert w.drawn["item"] == w.sample["item"]


@pytest.fixture
def halves(tmp_path) -> pd.DataFrame:
    """A 3000 × 1000 image, red left of x = 1500 and blue right of it, and a small one."""
    pixels = np.zeros((1000, 3000, 3), np.uint8)
    pixels[:, :1500] = (255, 0, 0)
    pixels[:, 1500:] = (0, 0, 255)
    Image.fromarray(pixels).save(tmp_path / "halves.png")
    Image.new("RGB", (400, 300), (0, 200, 0)).save(tmp_path / "small.png")
    paths = [str(tmp_path / "halves.png"), str(tmp_path / "small.png")]
    return pd.DataFrame({"path": paths}, index=["big", "small"])


def drawn_picture(w, drawings):
    """The Image widget and transform the last message drew the picture with."""
    batch = drawings[-1]
    (ref, *place) = next(a for name, a in batch if name == "drawImage")
    transform = next(a for name, a in batch if name == "setTransform")
    pictures = {p.model_id: p for p in [*w._pictures.values(), *(s for _, s in w._sharp)]}
    return pictures[ref.removeprefix("IPY_MODEL_")], transform, place


def test_zoomed_in_a_large_image_the_canvas_shows_the_part_in_view_cut_from_the_original(
    halves, tmp_path, drawings
):
    import io

    w = make(halves, tmp_path)
    connect(w)
    assert w.sample["content"]["display_width"] == 2048
    connect(w, zoom=4.0, pan_x=-4000.0)  # x from 1464.8 to 2214.8 original pixels
    sharp, transform, place = drawn_picture(w, drawings)
    assert sharp.model_id != w.sample["content"]["picture"]
    assert transform == [1, 0, 0, 1, 0, 0] and place == [0, 0, 2048, 683]  # as it is
    part = Image.open(io.BytesIO(sharp.value)).convert("RGB")
    scale = 2048 / 3000 * 4
    x0, x1 = 4000 / scale, (2048 + 4000) / scale
    assert part.size == (round(x1 - x0), round(683 / scale))  # the original's own pixels
    edge = (1500 - x0) / (x1 - x0) * part.size[0]  # where red turns blue, in the part
    assert part.getpixel((int(edge) - 3, 100))[0] > 200
    assert part.getpixel((int(edge) + 3, 100))[2] > 200
    # the shapes are drawn over it at the view as ever
    w.add_box(1400, 100, 200, 200, "car")
    (rect,) = [a for name, a in drawings[-1] if name == "rect"]
    assert rect == [1400, 100, 200, 200] and "drawImage" not in commands(drawings[-1])
    connect(w)  # back to the whole picture: the picture sent for display
    picture, transform, _ = drawn_picture(w, drawings)
    assert picture.model_id == w.sample["content"]["picture"] and transform[0] == 1.0


def test_only_the_last_two_zoomed_parts_stay_open(halves, tmp_path, drawings):
    w = make(halves, tmp_path)
    connect(w)
    made = []
    for pan in (-100.0, -200.0, -300.0):
        connect(w, zoom=2.0, pan_x=pan)
        made.append(drawn_picture(w, drawings)[0])
    assert made[0].comm is None and made[1].comm is not None and made[2].comm is not None
    connect(w, zoom=2.0, pan_x=-200.0)  # a view seen before: its part again, not a new one
    assert drawn_picture(w, drawings)[0] is made[1]
    w.close()
    assert all(p.comm is None for p in made)


def test_a_small_image_or_a_lost_original_is_zoomed_as_its_picture(halves, tmp_path, drawings):
    import os

    w = make(halves, tmp_path)
    w.goto("small")  # 400 × 300: its picture has every pixel already
    connect(w, zoom=3.0)
    picture, transform, _ = drawn_picture(w, drawings)
    assert picture.model_id == w.sample["content"]["picture"] and transform[0] == 3.0
    w.goto("big")
    connect(w)
    os.remove(halves.loc["big", "path"])  # the original gone after it was shown
    connect(w, zoom=2.0)
    picture, transform, _ = drawn_picture(w, drawings)
    assert picture.model_id == w.sample["content"]["picture"] and transform[0] == 2.0
    assert not w.error
