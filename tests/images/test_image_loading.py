"""Images from paths, bytes, PIL images and arrays: upright (EXIF), downscaled for display with
the original size kept, and a clear error naming a missing or corrupt file."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from nblabel import NblabelError
from nblabel._images import MAX_SIDE, image_size, shown_image


def jpeg(width, height, orientation=None, color=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", (width, height), color)
    image.paste((0, 0, 255), (0, 0, width // 4, height // 4))  # a blue top-left corner
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(buffer, format="JPEG", exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


def decoded(shown) -> Image.Image:
    return Image.open(io.BytesIO(shown.data))


def test_a_large_jpeg_is_downscaled_for_display_keeping_its_original_size(tmp_path):
    path = tmp_path / "big.jpg"
    path.write_bytes(jpeg(6000, 4000))
    shown = shown_image(path)
    assert (shown.width, shown.height) == (6000, 4000)
    assert (shown.display_width, shown.display_height) == (MAX_SIDE, 1365)
    assert shown.mime == "image/jpeg" and decoded(shown).size == (MAX_SIDE, 1365)
    assert shown.scale == pytest.approx(MAX_SIDE / 6000)
    assert len(shown.data) < 1_000_000


def test_a_small_upright_file_is_sent_as_its_own_bytes(tmp_path):
    path = tmp_path / "small.jpg"
    path.write_bytes(jpeg(64, 48))
    shown = shown_image(str(path))
    assert shown.data == path.read_bytes()
    assert (shown.width, shown.height, shown.display_width) == (64, 48, 64)


def test_exif_orientation_is_honoured():
    # stored 80 wide, 40 high; orientation 6: shown rotated 90° clockwise, 40 wide, 80 high
    data = jpeg(80, 40, orientation=6)
    assert image_size(data) == (40, 80)
    shown = shown_image(data)
    assert (shown.width, shown.height) == (40, 80)
    picture = decoded(shown).convert("RGB")
    assert picture.size == (40, 80)
    # the blue corner, stored top-left, is top-right once upright
    r, _, b = picture.getpixel((36, 3))
    assert b > 150 and r < 100


@pytest.mark.parametrize(
    ("array", "mime"),
    [
        (np.zeros((30, 40), np.uint8), "image/jpeg"),
        (np.full((30, 40, 3), 0.5), "image/jpeg"),
        (np.zeros((30, 40, 4), np.uint8), "image/png"),
        (np.ones((30, 40), bool), "image/jpeg"),
    ],
)
def test_arrays_of_each_layout(array, mime):
    shown = shown_image(array)
    assert (shown.width, shown.height, shown.mime) == (40, 30, mime)
    assert decoded(shown).size == (40, 30)


def test_a_pil_image_and_a_large_array_are_downscaled():
    shown = shown_image(Image.new("RGB", (3000, 1000)))
    assert (shown.display_width, shown.display_height) == (MAX_SIDE, 683)
    shown = shown_image(np.zeros((5000, 100), np.uint8), max_side=500)
    assert (shown.width, shown.height, shown.display_height) == (100, 5000, 500)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("no/such.jpg", "'no/such.jpg' does not exist"),
        (b"not an image at all", "cannot read the bytes given as an image"),
        (np.zeros((3, 4, 2)), "H×W×3"),
        (np.full((3, 4), 2.0), "float image array holds values from 0 to 1"),
        (np.full((3, 4), 300, np.int32), "must hold 0…255"),
        (12, "not int"),
    ],
)
def test_an_unreadable_image_is_a_clear_error(source, message):
    with pytest.raises(NblabelError) as info:
        shown_image(source)
    assert message in str(info.value)


def test_a_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "cut.jpg"
    path.write_bytes(jpeg(64, 48)[:300])
    with pytest.raises(NblabelError, match=r"cut\.jpg"):
        shown_image(path)


def test_a_region_of_the_original_is_cut_upright_at_the_size_asked():
    import pandas as pd

    from nblabel._images import ImageContent

    # stored 800 × 400 with its blue corner top-left; orientation 6: upright 400 × 800, the
    # blue corner top-right (x 300–400, y 0–200 upright)
    frame = pd.DataFrame({"image": [jpeg(800, 400, orientation=6)]})
    content = ImageContent(frame, "image", None, ["x"], MAX_SIDE)
    data, mime = content.region(0, (300, 0, 400, 200), (50, 100))
    part = Image.open(io.BytesIO(data)).convert("RGB")
    assert mime == "image/jpeg" and part.size == (50, 100)
    assert part.getpixel((25, 50))[2] > 150  # all blue: the upright corner
    data, _ = content.region(0, (0, 400, 100, 500), (100, 100))
    assert Image.open(io.BytesIO(data)).convert("RGB").getpixel((50, 50))[0] > 150  # red
    content.close()


def test_a_region_keeps_transparency_and_refuses_an_empty_box():
    from nblabel._images import region_image

    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    data, mime = region_image(image, (10, 10, 60, 60), (25, 25))
    assert mime == "image/png" and Image.open(io.BytesIO(data)).getpixel((5, 5))[3] == 0
    with pytest.raises(NblabelError, match="x1 > x0"):
        region_image(image, (60, 10, 10, 60), (25, 25))
