"""The images widget in real JupyterLab: a box dragged with the mouse on a 6000×4000 JPEG
shown downscaled lands in the store in original pixels (within 1 px); a polygon clicked
vertex by vertex; a digit picks the class; after a reload the saved shapes are drawn again."""

from __future__ import annotations

import json

import pytest
from lab import (
    KernelProbe,
    canvas_pixel,
    notebook_in_lab,
    notebook_in_notebook7,
    press,
    reload,
    screenshot,
    wait_attr,
    wait_saved,
    wait_until,
    widget_errors,
)

NOTEBOOK = "images/images.ipynb"
W = ".nblabel-images"
LIVE = f"{W} >> .nblabel-live"
ZOOM_ATTRIBUTES = ("zoom", "pan-x", "pan-y")  # the stage's view: canvas = zoom * display + pan

CELLS = [
    """\
import pandas as pd
from PIL import Image, ImageDraw

import nblabel

# a large street scene: a red car from (1500, 1000) to (3600, 2500) on grey
big = Image.new("RGB", (6000, 4000), (120, 120, 120))
ImageDraw.Draw(big).rectangle((1500, 1000, 3600, 2500), fill=(200, 30, 30))
big.save("big.jpg", quality=85)
small = Image.new("RGB", (800, 600), (30, 90, 160))
ImageDraw.Draw(small).polygon([(100, 100), (500, 120), (300, 450)], fill=(240, 200, 0))
small.save("small.png")
df = pd.DataFrame({"path": ["big.jpg", "small.png", "big.jpg"]}, index=["a", "b", "c"])
store = nblabel.LabelStore("images.db")
""",
    """\
w = nblabel.annotate_images(df, image="path", classes=["car", "person", "bike"],
                            store=store, annotator="alice", task="detect", fingerprint=False)
w
""",
    """import ipywidgets

second = ipywidgets.VBox([])  # a second view of w shows here (test_zoom_in_and_draw_again)
second
""",
]


@pytest.fixture(scope="module")
def lab(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, NOTEBOOK, cells=CELLS, widgets=W,
                         viewport={"width": 1280, "height": 1400}) as (page, probe):
        yield page, probe, jupyter_server


@pytest.fixture(scope="module")
def notebook7(jupyter_server, browser):
    """The same notebook in Notebook 7 (its own folder, so its own store)."""
    with notebook_in_notebook7(browser, jupyter_server, "images_nb7/images.ipynb",
                               cells=CELLS, widgets=W,
                               viewport={"width": 1280, "height": 1400}) as (page, probe):
        yield page, probe, jupyter_server


def stage_box(page) -> dict:
    page.wait_for_function(
        "() => { const c = document.querySelector('.nblabel-live');"
        " return c && c.getBoundingClientRect().width > 100; }")
    return page.locator(LIVE).bounding_box()


def to_screen(box: dict, size: tuple[int, int], x: float, y: float) -> tuple[float, float]:
    return box["x"] + x / size[0] * box["width"], box["y"] + y / size[1] * box["height"]


def drag(page, start, end, steps=12):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def flat(points) -> list[float]:
    return [v for point in points for v in point]


KERNEL = f"{W} .nblabel-kernel-canvas"


def kernel_pixel(page, x: int, y: int) -> list[int] | None:
    """RGBA of pixel (x, y) of the kernel's canvas (ipycanvas shows its layers, the picture
    under the committed shapes, as one <canvas>)."""
    return canvas_pixel(page, f"{KERNEL} canvas", x, y)


def wait_kernel_drawn(page) -> None:
    """Until the kernel's canvas is the one shown: it has drawn what the browser has."""
    page.locator(f"{KERNEL}.nblabel-current").wait_for()


def stored(probe: KernelProbe) -> dict:
    return probe.eval("store.annotations(task='detect').set_index('item')['label'].to_dict()")


@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_a_dragged_box_is_stored_in_original_pixels(request, frontend):
    page, probe, _ = request.getfixturevalue(frontend)
    suffix = "" if frontend == "lab" else "-notebook7"
    assert probe.eval("w.sample['content']['display_width']") == 2048
    box = stage_box(page)
    page.locator(LIVE).scroll_into_view_if_needed()
    box = stage_box(page)
    start = to_screen(box, (6000, 4000), 1500, 1000)
    end = to_screen(box, (6000, 4000), 3600, 2500)
    # exactly where the pointer is, in original pixels (what 1 px is measured against)
    expected = [(start[0] - box["x"]) / box["width"] * 6000,
                (start[1] - box["y"]) / box["height"] * 4000,
                (end[0] - box["x"]) / box["width"] * 6000,
                (end[1] - box["y"]) / box["height"] * 4000]
    press(page, W, "2")  # "person" for the next shape
    wait_kernel_drawn(page)
    # at mouse-up the kernel's canvas, which lacks the box yet, gives way to the page's own
    page.evaluate("""() => window.addEventListener('pointerup', () => {
        window.__kernelShownAtUp = document.querySelector('.nblabel-kernel-canvas')
            .classList.contains('nblabel-current'); }, {once: true})""")
    drag(page, start, end)
    assert page.evaluate("() => window.__kernelShownAtUp") is False
    shapes = wait_until(lambda: probe.eval("w.draft['shapes']"), timeout=10)
    assert len(shapes) == 1 and shapes[0]["label"] == "person"
    # the picture shows the committed box: its edge is drawn in the class colour
    edge_x = round(box["width"] and 1500 / 6000 * 2048)
    assert canvas_pixel(page, f"{W} .nblabel-picture", edge_x, 700) != canvas_pixel(
        page, f"{W} .nblabel-picture", edge_x - 20, 700)
    # and so does the kernel's canvas once it has the box, the picture under it
    wait_kernel_drawn(page)
    edge = kernel_pixel(page, edge_x, 700)
    assert edge[:3] == pytest.approx([0x3C, 0xB4, 0x4B], abs=40)  # "person"
    assert kernel_pixel(page, edge_x - 20, 700)[:3] == pytest.approx([120] * 3, abs=12)
    assert kernel_pixel(page, edge_x + 20, 700)[:3] == pytest.approx([200, 30, 30], abs=25)
    screenshot(page, f"images-01-box-drawn{suffix}", page.locator(W))
    press(page, W, "Enter")
    wait_attr(page, W, "data-item", json.dumps("b"))
    wait_saved(page, W)
    (saved,) = stored(probe)["a"]
    got = [saved["x"], saved["y"], saved["x"] + saved["width"], saved["y"] + saved["height"]]
    assert saved["type"] == "box" and saved["label"] == "person"
    assert got == pytest.approx(expected, abs=1.0)
    # back on it: both the page and the kernel's canvas draw what the store holds
    probe.run("w.back()")
    wait_attr(page, W, "data-item", json.dumps("a"))
    page.locator(f"{W} >> .nblabel-held").filter(has_text="1 person").wait_for()
    wait_kernel_drawn(page)
    assert kernel_pixel(page, edge_x, 700)[:3] == pytest.approx([0x3C, 0xB4, 0x4B], abs=40)
    probe.run("w.goto('b')")
    wait_attr(page, W, "data-item", json.dumps("b"))
    assert not widget_errors(page), page.errors


def test_a_polygon_clicked_vertex_by_vertex(lab):
    page, probe, _ = lab
    assert probe.eval("w.current") == "b"
    page.wait_for_function(
        "() => document.querySelector('.nblabel-images').dataset.item === '\"b\"'")
    box = stage_box(page)
    press(page, W, "p")
    press(page, W, "3")  # bike
    corners = [(100, 100), (500, 120), (300, 450)]
    for x, y in corners:
        page.mouse.click(*to_screen(box, (800, 600), x, y))
    page.mouse.move(*to_screen(box, (800, 600), 420, 300))  # the live edge follows the pointer
    screenshot(page, "images-02-polygon-in-progress", page.locator(W))
    page.mouse.click(*to_screen(box, (800, 600), 102, 101))  # near the first vertex: closed
    shapes = wait_until(lambda: probe.eval("w.draft['shapes']"), timeout=10)
    assert shapes[0]["type"] == "polygon" and shapes[0]["label"] == "bike"
    assert flat(shapes[0]["points"]) == pytest.approx(flat(corners), abs=1.5)
    page.locator(f"{W} >> .nblabel-shape-count").filter(has_text="1 shape").wait_for()
    screenshot(page, "images-03-polygon-closed", page.locator(W))
    press(page, W, "Enter")
    wait_attr(page, W, "data-item", json.dumps("c"))
    wait_saved(page, W)
    assert flat(stored(probe)["b"][0]["points"]) == pytest.approx(flat(corners), abs=1.5)


def test_select_delete_and_reload_shows_the_saved_shapes(lab):
    page, probe, _ = lab
    box = stage_box(page)
    press(page, W, "b")
    drag(page, to_screen(box, (6000, 4000), 300, 300), to_screen(box, (6000, 4000), 900, 800))
    wait_until(lambda: len(probe.eval("w.draft['shapes']")) == 1, timeout=10)
    page.mouse.click(*to_screen(box, (6000, 4000), 600, 550))  # select it
    page.locator(f"{W} >> .nblabel-shape-count").filter(has_text="selected").wait_for()
    press(page, W, "Delete")
    wait_until(lambda: probe.eval("w.draft['shapes']") == [], timeout=10)
    # the saved shapes come back after a reload
    probe.run("w.goto('a')")
    wait_attr(page, W, "data-item", json.dumps("a"))
    reload(page, widgets=W)
    wait_attr(page, W, "data-item", json.dumps("a"))
    page.locator(f"{W} >> .nblabel-shape-count").filter(has_text="1 shape").wait_for()
    page.locator(f"{W} >> .nblabel-held").filter(has_text="1 person").wait_for()
    stage_box(page)
    # a reloaded page starts with a blank canvas: the kernel draws it again for the new view
    wait_kernel_drawn(page)
    edge_x = round(1500 / 6000 * 2048)
    assert kernel_pixel(page, edge_x, 700)[:3] == pytest.approx([0x3C, 0xB4, 0x4B], abs=40)
    page.wait_for_timeout(300)  # the picture is decoded off the main thread
    screenshot(page, "images-04-after-reload", page.locator(W))
    assert not widget_errors(page), page.errors


def test_zoom_in_and_draw_again(lab):
    page, probe, _ = lab
    probe.run("w.goto('c')")
    wait_attr(page, W, "data-item", json.dumps("c"))
    box = stage_box(page)
    press(page, W, "1")  # car; the widget has the keys, so the wheel zooms
    page.mouse.move(*to_screen(box, (6000, 4000), 2000, 1500))
    for _ in range(4):
        page.mouse.wheel(0, -200)
    stage = page.locator(f"{W} >> .nblabel-stage")
    page.wait_for_function(
        "() => Number(document.querySelector('.nblabel-stage').dataset.zoom) > 2")
    # Space held: a drag pans (by the drag, in canvas pixels) and draws nothing
    _, before_x, before_y = (float(stage.get_attribute(f"data-{k}")) for k in ZOOM_ATTRIBUTES)
    box = stage_box(page)
    page.keyboard.down(" ")
    drag(page, (box["x"] + 300, box["y"] + 200), (box["x"] + 260, box["y"] + 170), steps=4)
    page.keyboard.up(" ")
    zoom, pan_x, pan_y = (float(stage.get_attribute(f"data-{k}")) for k in ZOOM_ATTRIBUTES)
    per_screen = 2048 / box["width"]
    assert [pan_x - before_x, pan_y - before_y] == pytest.approx(
        [-40 * per_screen, -30 * per_screen], abs=2)
    assert probe.eval("w.draft['shapes']") == []
    # once the zoom settles, the kernel draws its canvas at it, sharp
    wait_kernel_drawn(page)
    assert probe.eval("w.drawn['view']") == pytest.approx([zoom, pan_x, pan_y])
    # from the part in view cut from the 6000 px original, not the 2048 px picture upscaled:
    # the car's left edge (x = 1500) where the view puts it
    assert probe.eval("w._picture_canvas.scene.sharp") is True
    f = 2048 / 6000 * zoom
    edge_x, mid_y = round(1500 * f + pan_x), round(1800 * f + pan_y)
    assert 10 < edge_x < 2038 and 0 < mid_y < 1365
    assert kernel_pixel(page, edge_x - 8, mid_y)[:3] == pytest.approx([120] * 3, abs=12)
    assert kernel_pixel(page, edge_x + 8, mid_y)[:3] == pytest.approx([200, 30, 30], abs=25)
    box = stage_box(page)
    canvas_per_screen = 2048 / box["width"]

    def image_point(sx, sy):  # the inverse of ViewTransform: screen -> original pixels
        cx = (sx - box["x"]) * canvas_per_screen
        cy = (sy - box["y"]) * canvas_per_screen
        f = 2048 / 6000 * zoom
        return (cx - pan_x) / f, (cy - pan_y) / f

    start = (box["x"] + 200, box["y"] + 150)
    end = (box["x"] + 420, box["y"] + 330)
    drag(page, start, end)
    shapes = wait_until(lambda: probe.eval("w.draft['shapes']"), timeout=10)
    (x0, y0), (x1, y1) = image_point(*start), image_point(*end)
    got = shapes[0]
    assert [got["x"], got["y"], got["x"] + got["width"], got["y"] + got["height"]] == (
        pytest.approx([x0, y0, x1, y1], abs=1.0))
    # zoomed about 2.5×: the box is about 2.5× smaller in original pixels than unzoomed
    assert got["width"] < 220 * 6000 / box["width"] / 2
    screenshot(page, "images-05-zoomed-box", page.locator(W))
    # a second view of the same widget, unzoomed: the kernel's one canvas draws for it, and
    # the zoomed view, whose zoom that drawing no longer has, shows its own drawing
    probe.run("second.children = [w]")
    page.wait_for_function("""() => {
        const k = document.querySelectorAll('.nblabel-kernel-canvas');
        return k.length === 2 && k[1].classList.contains('nblabel-current')
            && !k[0].classList.contains('nblabel-current'); }""")
    assert probe.eval("w.drawn['view']") == [1.0, 0.0, 0.0]
    probe.run("second.children = []")
    page.wait_for_function("() => document.querySelectorAll('.nblabel-images').length === 1")
    press(page, W, "0")  # the whole picture again
    page.wait_for_function("() => document.querySelector('.nblabel-stage').dataset.zoom === '1'")
    wait_kernel_drawn(page)  # at the view's zoom again
    screenshot(page, "images-06-unzoomed", page.locator(W))
    press(page, W, "Enter")
    wait_saved(page, W)
    assert stored(probe)["c"][0]["label"] == "car"



def test_a_handle_resizes_a_box_and_ctrl_z_takes_it_back(lab):
    page, probe, _ = lab
    probe.run("w.goto('b')")  # 800 × 600, its saved polygon shown
    wait_attr(page, W, "data-item", json.dumps("b"))
    probe.run("w.add_box(400, 300, 200, 100, 'car')")
    page.locator(f"{W} >> .nblabel-shape-count").filter(has_text="2 shapes").wait_for()
    box = stage_box(page)
    size = (800, 600)
    wait_kernel_drawn(page)  # the box added in Python, drawn by Python
    assert kernel_pixel(page, 400, 350)[:3] == pytest.approx([0xE6, 0x19, 0x4B], abs=40)  # car
    page.mouse.click(*to_screen(box, size, 500, 350))  # select it: its eight handles show
    page.locator(f"{W} >> .nblabel-shape-count").filter(has_text="selected").wait_for()
    start, end = to_screen(box, size, 600, 400), to_screen(box, size, 700, 520)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=8)
    # the box is lifted off the picture while it moves: the kernel's canvas, which still has
    # it in place, gives way to the page's own drawing until the edit is sent
    assert not page.locator(f"{KERNEL}.nblabel-current").count()
    screenshot(page, "images-06b-resizing", page.locator(W))
    page.mouse.up()
    corner = [(end[0] - box["x"]) / box["width"] * 800, (end[1] - box["y"]) / box["height"] * 600]
    resized = wait_until(lambda: (lambda s: s if s["width"] != 200 else None)(
        probe.eval("w.draft['shapes'][1]")), timeout=10)
    assert [resized["x"], resized["y"]] == [400, 300]  # the opposite corner stayed
    assert [resized["x"] + resized["width"], resized["y"] + resized["height"]] == (
        pytest.approx(corner, abs=1.0))
    wait_kernel_drawn(page)
    assert probe.eval("w.drawn['seq']") >= 1  # the page's edit, drawn by the kernel
    press(page, W, "Control+z")  # the resize taken back, in the page and in Python
    wait_until(lambda: probe.eval("w.draft['shapes'][1]['width']") == 200, timeout=10)
    assert probe.eval("len(w.draft['shapes'])") == 2 and probe.eval("w.current") == "b"
    page.mouse.click(*to_screen(box, size, 500, 350))
    drag(page, to_screen(box, size, 400, 350), to_screen(box, size, 350, 350), steps=6)  # "w"
    press(page, W, "Enter")
    wait_saved(page, W)
    saved = stored(probe)["b"][1]
    assert [saved["x"], saved["y"], saved["width"], saved["height"]] == pytest.approx(
        [350, 300, 250, 100], abs=1.0)
    assert not widget_errors(page), page.errors

PRE_CELLS = [
    """\
import pandas as pd
from PIL import Image

import nblabel

Image.new("RGB", (1000, 500), (90, 140, 90)).save("field.png")
guess = [{"type": "box", "x": 100, "y": 100, "width": 200, "height": 100, "label": "car"}]
df = pd.DataFrame({"path": ["field.png"], "guess": [guess]}, index=["f"])
pre = nblabel.annotate_images(df, image="path", classes=["car", "person"], prelabels="guess",
                              store=nblabel.LabelStore("pre.db"), annotator="al", task="pre")
pre
""",
]


@pytest.fixture(scope="module")
def pre_lab(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, "images/prelabels.ipynb", cells=PRE_CELLS,
                         widgets=W, viewport={"width": 1280, "height": 1200}) as (page, probe):
        yield page, probe


def test_a_suggestion_is_dashed_until_moved_and_relabeled(pre_lab):
    page, probe = pre_lab
    count = page.locator(f"{W} >> .nblabel-shape-count")
    count.filter(has_text="1 suggested (dashed)").wait_for()
    box = stage_box(page)
    page.wait_for_timeout(300)  # the picture is decoded off the main thread
    screenshot(page, "images-07-suggestion", page.locator(W))
    # drag the suggested box by (+50, +40) original pixels: moved, no longer a suggestion
    drag(page, to_screen(box, (1000, 500), 200, 150), to_screen(box, (1000, 500), 250, 190))
    wait_until(lambda: not probe.eval("pre.draft['shapes'][0].get('prelabel', False)"), timeout=10)
    moved = probe.eval("pre.draft['shapes'][0]")
    assert [moved["x"], moved["y"]] == pytest.approx([150, 140], abs=1.0)
    press(page, W, "2")  # the selected box becomes a person
    wait_until(lambda: probe.eval("pre.draft['shapes'][0]['label']") == "person", timeout=10)
    press(page, W, "k")
    page.mouse.click(*to_screen(box, (1000, 500), 800, 400))
    wait_until(lambda: len(probe.eval("pre.draft['shapes']")) == 2, timeout=10)
    screenshot(page, "images-08-moved-and-point", page.locator(W))
    press(page, W, "Enter")
    wait_saved(page, W)
    saved = probe.eval("pre.store.annotations(task='pre', source='annotator')['label'].tolist()")
    assert saved == [[
        {"type": "box", "x": pytest.approx(150, abs=1), "y": pytest.approx(140, abs=1),
         "width": 200.0, "height": 100.0, "label": "person"},
        {"type": "point", "x": pytest.approx(800, abs=1), "y": pytest.approx(400, abs=1),
         "label": "car"},
    ]]  # fmt: skip
    assert not widget_errors(page), page.errors


MASK_CELLS = [
    """\
import pandas as pd
from PIL import Image

import nblabel
from nblabel._shapes import shapes_from

plain = Image.new("RGB", (400, 300), (230, 230, 230))
plain.paste((40, 60, 200), (250, 50, 350, 120))  # a blue patch of sky, 100 × 70
plain.save("plain.png")
df = pd.DataFrame({"path": ["plain.png"]}, index=["m"])


def same_colour(image, prompt):  # a stand-in for a segmentation model
    x, y = (int(v) for v in prompt["point"])
    return (abs(image.astype(int) - image[y, x].astype(int)).sum(axis=2) < 30)


paint = nblabel.annotate_images(df, image="path", classes=["sky", "road"], tools=("mask", "box"),
                                store=nblabel.LabelStore("mask.db"), annotator="al", task="seg",
                                assist=same_colour)
paint
""",
    """\
import ipywidgets

holder = ipywidgets.VBox([])  # the review of shapes shows here (test_a_review_...)
holder
""",
]


@pytest.fixture(scope="module")
def mask_lab(jupyter_server, browser):
    with notebook_in_lab(browser, jupyter_server, "images/masks.ipynb", cells=MASK_CELLS,
                         widgets=W, viewport={"width": 1280, "height": 1000}) as (page, probe):
        yield page, probe


def mask_at(probe, points):
    """Whether the widget's first mask is set at each (x, y) of ``points``, and its area."""
    check = f"[bool(m.to_array()[y, x]) for x, y in {points!r}]"
    return probe.eval(f"(lambda m: ({check}, m.area))(paint.shapes[0])")


def test_the_mask_brush_paints_and_shift_erases(mask_lab):
    page, probe = mask_lab
    box = stage_box(page)
    assert box["width"] == pytest.approx(400, abs=1)  # shown at its own size: 1 px = 1 px
    press(page, W, "2")  # road
    drag(page, to_screen(box, (400, 300), 100, 150), to_screen(box, (400, 300), 300, 150))
    wait_until(lambda: probe.eval("len(paint.draft['shapes'])") == 1, timeout=10)
    inside, area = mask_at(probe, [(200, 150), (100, 150), (200, 160), (50, 150), (200, 100)])
    assert inside == [True, True, True, False, False]
    # a stroke 200 px long, 28 px wide (a 14 px brush) with round ends
    assert area == pytest.approx(200 * 28 + 3.1416 * 14**2, rel=0.15)
    assert probe.eval("paint.shapes[0].label") == "road"
    wait_kernel_drawn(page)  # the kernel's canvas draws the mask, tinted with its class
    tinted = kernel_pixel(page, 200, 150)
    assert tinted[1] > tinted[0] + 30 and tinted[1] > tinted[2] + 30  # green: "road"
    # each tool's name on one line, beside a long hint: the hint wraps, not the names
    lines = page.locator(f"{W} >> .nblabel-tool span").evaluate_all(
        "els => els.map(e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return r.getClientRects().length; })"
    )
    assert lines == [1, 1, 1], lines
    screenshot(page, "images-09-mask-painted", page.locator(W))
    page.keyboard.down("Shift")
    drag(page, to_screen(box, (400, 300), 200, 100), to_screen(box, (400, 300), 200, 200))
    page.keyboard.up("Shift")
    wait_until(lambda: not mask_at(probe, [(200, 150)])[0][0], timeout=10)
    inside, smaller = mask_at(probe, [(200, 150), (120, 150), (280, 150)])
    assert inside == [False, True, True] and smaller < area - 500
    wait_kernel_drawn(page)
    hole, kept = kernel_pixel(page, 200, 150), kernel_pixel(page, 120, 150)
    assert abs(hole[1] - hole[0]) < 15 and kept[1] > kept[0] + 30  # erased, and not
    screenshot(page, "images-10-mask-erased", page.locator(W))
    # the assistant: a click on the blue patch with the assist tool suggests its mask
    for key in ("Escape", "a", "1"):  # drop the selection, the assist tool, class "sky"
        press(page, W, key)
    page.mouse.click(*to_screen(box, (400, 300), 300, 85))
    wait_until(lambda: probe.eval("len(paint.draft['shapes'])") == 2, timeout=10)
    suggested = probe.eval("(lambda s: [s.label, s.area, s.prelabel])(paint.shapes[1])")
    assert suggested == ["sky", 7000.0, True]
    page.locator(f"{W} >> .nblabel-shape-count").filter(has_text="1 suggested").wait_for()
    screenshot(page, "images-11-assisted", page.locator(W))
    press(page, W, "Enter")
    wait_saved(page, W)
    (saved,) = probe.eval(
        "paint.store.annotations(task='seg', source='annotator')['label'].tolist()")
    assert saved[0]["type"] == "mask" and saved[0]["size"] == [300, 400]
    assert saved[1]["label"] == "sky" and saved[1]["prelabel"] is True
    assert not widget_errors(page), page.errors


REVIEW = """
rstore = nblabel.LabelStore("review.db")
drawn = {"alice": [(240, 40, 120, 90), (30, 180, 90, 70)], "bob": [(250, 50, 100, 70)]}
for who, boxes in drawn.items():
    one = nblabel.annotate_images(df, image="path", classes=["sky", "road"], store=rstore,
                                  annotator=who, task="sky", fingerprint=False)
    for box in boxes:
        one.add_box(*box, "sky")
    one.submit()
    one.close()
r = nblabel.review(rstore, "sky", data=df, image="path", reviewer="carol")
holder.children = [r]
"""


def test_a_review_shows_each_annotators_shapes_and_takes_one_set(mask_lab):
    page, probe = mask_lab
    probe.run(REVIEW)  # two annotators' boxes on one picture, reviewed under the mask widget
    review = ".nblabel-shape-review"
    legend = page.locator(f"{review} >> .nblabel-votes")
    legend.filter(has_text="1 matched pair").wait_for()
    assert legend.locator(".nblabel-vote").all_inner_texts() == [
        "⇧1\nalice\n2 shapes", "⇧2\nbob\n1 shape"]  # fmt: skip
    page.locator(review).scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # the picture is decoded off the main thread
    screenshot(page, "images-12-review", page.locator(review))
    press(page, review, "Shift+2")  # bob's shapes, whole
    wait_until(lambda: probe.eval("len(r.draft['shapes'])") == 1
               and "prelabel" not in probe.eval("r.draft['shapes'][0]"), timeout=10)
    press(page, review, "Enter")
    wait_saved(page, review)
    final = probe.eval("rstore.annotations(task='sky', source='review')['label'].tolist()")
    assert final == [[{"type": "box", "x": 250.0, "y": 50.0, "width": 100.0, "height": 70.0,
                       "label": "sky"}]]  # fmt: skip
    assert not widget_errors(page), page.errors
