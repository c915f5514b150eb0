"""Time to build a grid page of 12 thumbnails from 2048-px JPEGs (photo-like, made with numpy
and Pillow, no download): made the first time, taken from the cache the next, beside a full
decode, resize and re-encode of each image in the same run.

nblabel's thumbnails decode a JPEG at reduced size (Pillow's ``draft``: a 2048-px JPEG decodes
straight to 256 px) and are kept once made, so a page seen again costs a dict lookup.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from nblabel._thumbnails import THUMB_SIDE, Thumbnails

PAGE = 12


def make_jpeg(path: Path, size: tuple[int, int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    pixels = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1)
    pixels += rng.normal(0, 12, pixels.shape).astype(np.float32)
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path, quality=90)


def baseline(path: Path) -> bytes:
    image = Image.open(path)
    image.load()  # every pixel
    image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def run(quick: bool = False) -> list[dict]:
    size = (1024, 768) if quick else (2048, 1536)
    repeats = 3 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"photo{i}.jpg" for i in range(PAGE)]
        for i, path in enumerate(paths):
            make_jpeg(path, size, i)
        index = pd.RangeIndex(PAGE)
        fresh, cached, theirs = [], [], []
        for _ in range(repeats):
            thumbs = Thumbnails(paths, index)
            started = time.perf_counter()
            page = [thumbs(p) for p in range(PAGE)]
            fresh.append(time.perf_counter() - started)
            started = time.perf_counter()
            again = [thumbs(p) for p in range(PAGE)]
            cached.append(time.perf_counter() - started)
            started = time.perf_counter()
            for path in paths:
                baseline(path)
            theirs.append(time.perf_counter() - started)
    assert all(a is b for a, b in zip(page, again, strict=True))  # the same thumbnails, kept
    kib = sum(len(cell["data"]) for cell in page) / 1024
    name = f"grid page of {PAGE} thumbnails ({THUMB_SIDE} px) from {size[0]}×{size[1]} JPEGs"
    return [
        {
            "name": f"{name}: made ({kib:.0f} KiB sent as binary buffers)",
            "nblabel_s": statistics.median(fresh),
            "baseline": "full decode, resize, JPEG encode of each",
            "baseline_s": statistics.median(theirs),
            "target": "≤ 1 s, faster than the baseline (pages ahead: made in the background)",
            "passed": statistics.median(fresh) <= min(1.0, statistics.median(theirs)),
        },
        {
            "name": f"{name}: the same page again (cached)",
            "nblabel_s": statistics.median(cached),
            "baseline": "made again",
            "baseline_s": statistics.median(fresh),
            "target": "≤ 1 ms",
            "passed": statistics.median(cached) <= 1e-3,
        },
    ]
