"""Grid mode in real JupyterLab and in Notebook 7: a page of 12 thumbnails labeled with the mouse
(click, Shift+click, Ctrl+click, an option button) and the keys (digits, Enter, Backspace);
the store holds one event per image in one batch, and an undo takes the page back."""

from __future__ import annotations

import json

import pytest
from lab import (
    KernelProbe,
    focus,
    notebook_cells,
    notebook_in_lab,
    notebook_in_notebook7,
    screenshot,
    wait_attr,
    wait_saved,
    wait_until,
    widget_errors,
)

G = ".nblabel-grid"
CELL = f"{G} >> .nblabel-grid-cell"
BROKEN = 9  # the cell of the image that cannot be read

CELLS = [
    """\
import random
from pathlib import Path

import pandas as pd
from PIL import Image, ImageDraw

import nblabel

CIRCLES = {5, 7, 12, 14, 17}


def scene(i: int) -> Image.Image:
    # one large shape on a soft background: a circle for the rows in CIRCLES, else a square
    rng = random.Random(i)
    back = tuple(rng.randint(200, 240) for _ in range(3))
    fill = tuple(rng.randint(30, 200) for _ in range(3))
    image = Image.new("RGB", (640, 480), back)
    draw = ImageDraw.Draw(image)
    x, y, r = rng.randint(180, 460), rng.randint(160, 320), rng.randint(80, 140)
    shape = draw.ellipse if i in CIRCLES else draw.rectangle
    shape((x - r, y - r, x + r, y + r), fill=fill)
    return image


folder = Path("grid_{frontend}")
folder.mkdir(exist_ok=True)
paths = []
for i in range(24):
    path = folder / f"shape{i:02d}.jpg"
    scene(i).save(path, quality=85)
    paths.append(str(path))
(folder / "shape09.jpg").write_bytes(b"truncated download")  # cannot be read
df = pd.DataFrame({"path": paths}, index=[f"s{i}" for i in range(24)])
store = nblabel.LabelStore(f"grid_{frontend}.db")
""",
    """\
w = nblabel.classify(df, options=["circle", "square"], image="path", grid=12,
                     store=store, annotator="alice", task="shapes")
w
""",
]


@pytest.fixture(scope="module", params=["lab", "notebook7"])
def grid(request, jupyter_server, browser):
    """The notebook in JupyterLab, then in Notebook 7 (each with its own images and store)."""
    frontend = request.param
    opener = notebook_in_lab if frontend == "lab" else notebook_in_notebook7
    cells = [cell.replace("{frontend}", frontend) for cell in CELLS]
    with opener(browser, jupyter_server, f"grid/grid_{frontend}.ipynb", cells=cells,
                widgets=G, viewport={"width": 1280, "height": 1300}) as (page, probe):
        yield page, probe, frontend


def cell(page, i: int):
    return page.locator(CELL).nth(i)


def shown_labels(page) -> list[str]:
    return page.locator(CELL).evaluate_all("els => els.map(e => e.dataset.label)")


def selected(page) -> list[int]:
    return page.locator(CELL).evaluate_all(
        "els => els.flatMap((e, i) => e.classList.contains('nblabel-selected') ? [i] : [])")


def events(probe: KernelProbe) -> list[list]:
    return probe.eval(
        "[list(r) for r in store._query(\"SELECT item, label, meta FROM"
        " nblabel_events WHERE task = 'shapes' AND action = 'label'\")]")


def test_label_a_page_with_the_mouse_and_the_keys(grid):
    page, probe, frontend = grid
    page.wait_for_function(
        "() => [...document.querySelectorAll('.nblabel-grid-cell img')]"
        ".filter(i => i.naturalWidth > 0).length === 11")
    assert page.locator(CELL).count() == 12
    assert "cannot read" in cell(page, BROKEN).inner_text()
    assert page.locator(G).get_attribute("data-item") == json.dumps("s0")
    # the status line names the page on screen, not only its first image
    assert page.locator(f"{G} .nblabel-item").inner_text().strip() == "· page of 12: s0 to s11"
    notebook = notebook_cells(page)

    cell(page, 0).click()
    cell(page, 3).click(modifiers=["Shift"])  # a range
    assert selected(page) == [0, 1, 2, 3]
    wait_until(lambda: probe.eval("w.selected") == [0, 1, 2, 3], timeout=10)  # told the kernel
    page.keyboard.press("2")
    cell(page, 5).click(modifiers=["Control"])
    cell(page, 7).click(modifiers=["Control"])
    assert selected(page) == [5, 7]
    screenshot(page, f"grid-01-selecting-{frontend}", page.locator(G))
    page.keyboard.press("1")
    page.keyboard.press("2")  # nothing selected: every unlabeled image
    labels = shown_labels(page)
    assert labels[5] == labels[7] == "circle" and labels[BROKEN] == ""
    squares = [i for i, label in enumerate(labels) if label == "square"]
    assert squares == [0, 1, 2, 3, 4, 6, 8, 10, 11]
    # each option's colour on its badges and on its button's edge
    colours = page.evaluate("""() => [
        ...[0, 5].map((i) => document.querySelectorAll('.nblabel-grid-cell')[i]
            .querySelector('.nblabel-grid-badge')),
        ...document.querySelectorAll('.nblabel-grid .nblabel-option')].map((e) => {
            const style = getComputedStyle(e);
            return e.classList.contains('nblabel-option') ? style.borderLeftColor
                                                          : style.backgroundColor; })""")
    blue, red = "rgb(31, 119, 180)", "rgb(214, 39, 40)"  # options 0 (circle) and 1 (square)
    assert colours == [red, blue, blue, red]  # badges: square, circle; buttons: circle, square
    screenshot(page, f"grid-02-labeled-{frontend}", page.locator(G))
    if frontend == "notebook7":
        screenshot(page, "grid-00-page-notebook7")  # the widget in Notebook 7's page
    assert events(probe) == []  # nothing saved before Enter

    page.keyboard.press("Enter")
    wait_attr(page, G, "data-item", json.dumps("s12"))  # the prefetched page, at once
    wait_saved(page, G)
    saved = events(probe)
    assert len(saved) == 11 and len({meta for _, _, meta in saved}) == 1  # one batch
    assert {json.loads(item): json.loads(label) for item, label, _ in saved} == {
        f"s{i}": "circle" if i in (5, 7) else "square" for i in range(12) if i != BROKEN
    }
    assert probe.eval("w.progress.done") == 11

    # page two: a click and an option button, the rest with a key
    for i in (0, 2, 5):
        cell(page, i).click(modifiers=["Control"])
    page.locator(f"{G} >> .nblabel-option[data-index='0']").click()
    focus(page, G)
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    # the unreadable image is the only one left: its page shows again, to skip or label it
    wait_attr(page, G, "data-item", json.dumps("s0"))
    wait_saved(page, G)
    assert shown_labels(page)[BROKEN] == "" and shown_labels(page)[0] == "square"
    screenshot(page, f"grid-03-saved-shown-{frontend}", page.locator(G))
    assert len(events(probe)) == 23
    assert probe.eval("w.labels.loc[['s12', 's14', 's17'], 'label'].tolist()") == ["circle"] * 3

    # Backspace takes the second page back as one step and shows it again
    focus(page, G)
    page.keyboard.press("Backspace")
    wait_attr(page, G, "data-item", json.dumps("s12"))
    wait_until(lambda: probe.eval("w.progress.done") == 11, timeout=10)
    assert probe.eval("len(w.labels)") == 11
    assert shown_labels(page) == [""] * 12
    assert notebook_cells(page) == notebook  # the keys never reached the notebook
    assert not widget_errors(page), page.errors
