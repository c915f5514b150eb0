"""Python time and bytes to show a large JPEG (6000×4000, a photo-like scene made with Pillow
and numpy, no download), beside a full decode, resize and re-encode in the same run.

nblabel decodes the JPEG at reduced size (Pillow's ``draft``) and sends one compressed buffer
of at most 2048 px; the baseline decodes every pixel, resizes to the same size and encodes a
PNG (what a labeler that shows a PIL image does).
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from nblabel._images import shown_image


def make_jpeg(path: Path, size: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    width, height = size
    # smooth gradients with some noise: compresses like a photo, not like a flat colour
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    pixels = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1)
    pixels += rng.normal(0, 12, pixels.shape).astype(np.float32)
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path, quality=90)


def baseline(path: Path, shown: tuple[int, int]) -> bytes:
    image = Image.open(path)
    image.load()
    image = image.resize(shown, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def run(quick: bool = False) -> list[dict]:
    size = (1500, 1000) if quick else (6000, 4000)
    repeats = 3 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jpg"
        make_jpeg(path, size)
        ours, theirs = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            shown = shown_image(path)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            plain = baseline(path, (shown.display_width, shown.display_height))
            theirs.append(time.perf_counter() - started)
        megabytes = f"{path.stat().st_size / 2**20:.1f} MB"
    name = f"show a {size[0]}×{size[1]} JPEG ({megabytes}) at {shown.display_width} px"
    return [
        {
            "name": f"{name}: Python time",
            "nblabel_s": statistics.median(ours),
            "baseline": "full decode, resize, PNG encode",
            "baseline_s": statistics.median(theirs),
            "target": "≥ 4× faster than the baseline (~0.35 s on an idle core)",
            "passed": statistics.median(theirs) >= 4 * statistics.median(ours),
        },
        {
            "name": f"{name}: bytes sent (one binary buffer)",
            "nblabel_s": round(len(shown.data) / 2**20, 2),
            "baseline": "the PNG of the baseline",
            "baseline_s": round(len(plain) / 2**20, 2),
            "unit": "MiB",
            "target": "≤ 2 MiB, never base64",
            "passed": len(shown.data) <= 2 * 2**20,
        },
    ]
