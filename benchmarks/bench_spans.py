"""Spans on a long text, kernel side: what the browser gets for a 20,000-character text with
500 suggested spans (Unicode word tokens and pre-labels, in UTF-16 units), and one label of
500 spans from the browser (offsets converted, every span checked against the text, one
durable write). The browser's own drawing is measured by tests/ui/test_spans_browser.py.
"""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

import nblabel
from nblabel.testing import browser_message, recording_comms

CLASSES = ["PER", "ORG", "LOC"]


def long_text(chars: int) -> str:
    # words of several scripts, an astral emoji every so often: UTF-16 offsets differ
    words = ["word", "Wörter", "北京", "القاهرة", "👍🏽", "naïve", "שלום"]
    out, i = [], 0
    while sum(map(len, out)) + len(out) < chars:
        out.append(f"{words[i % len(words)]}{i}")
        i += 1
    return " ".join(out)[:chars]


def timed(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(quick: bool = False) -> list[dict]:
    chars, spans_n = (5_000, 100) if quick else (20_000, 500)
    repeat = 3 if quick else 9
    text = long_text(chars)
    starts = [m.start() for m in re.finditer(r"\S+", text)][: spans_n * 2 : 2]
    ends = [text.index(" ", s) if " " in text[s:] else len(text) for s in starts]
    spans = [(s, e, CLASSES[i % 3]) for i, (s, e) in enumerate(zip(starts, ends, strict=True))]
    frame = pd.DataFrame({"text": [text] * 40, "model": [spans] * 40})
    rows = []
    with tempfile.TemporaryDirectory() as tmp, recording_comms():
        store = nblabel.LabelStore(Path(tmp) / "spans.db")
        w = nblabel.annotate_spans(frame, text="text", classes=CLASSES, prelabels="model",
                                   store=store, annotator="bench", task="spans")  # fmt: skip

        def payload():
            w._items._cache.clear()
            w._items._suggested.clear()
            w._items.content(0)

        ours = timed(payload, repeat)
        theirs = timed(lambda: re.findall(r"\w+", text), repeat)
        rows.append(
            {
                "name": f"what the browser gets for a {chars:,}-character text with {spans_n} "
                "suggested spans (Unicode word tokens, pre-labels checked, UTF-16 offsets)",
                "nblabel_s": ours,
                "baseline": "re.findall(r'\\w+') over the text (tokens only, no offsets)",
                "baseline_s": theirs,
                "target": "< 100 ms",
                "passed": ours < 0.1,
            }
        )
        # one label of all the spans, as the browser sends it
        units = w._items._parts(0)[1]
        sent = [{"start": units.to_utf16(s), "end": units.to_utf16(e), "label": lab,
                 "text": text[s:e]} for s, e, lab in spans]  # fmt: skip
        value = json.dumps({"utf16": sent}, ensure_ascii=False)
        seq = iter(range(1, 10_000))

        def label():
            item = w.sample["item"]
            browser_message(w, {"kind": "label", "value": value, "item": item,
                                "client": "bench", "seq": next(seq)})  # fmt: skip
            assert not w.error, w.error

        ours = timed(label, min(repeat, 39))
        db = sqlite3.connect(Path(tmp) / "plain.db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (item TEXT, label TEXT)")

        def plain():
            db.execute("INSERT INTO t VALUES (?, ?)", ("x", json.dumps(json.loads(value))))
            db.commit()

        theirs = timed(plain, repeat)
        db.close()
        rows.append(
            {
                "name": f"key → {spans_n} spans on a {chars:,}-character text stored (UTF-16 "
                "to Python offsets, every span checked against the text, durable write)",
                "nblabel_s": ours,
                "baseline": "the same JSON parsed and inserted into a plain sqlite3 table",
                "baseline_s": theirs,
                "target": "< 50 ms",
                "passed": ours < 0.05,
            }
        )
        w.close()
        store.close()
    return rows
