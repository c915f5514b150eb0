"""Cost of one label on the kernel side, and of building a widget, at up to 1M rows.

Baseline: the usual plain-ipywidgets labeler (an HTML sample, one Button per option, a
progress Label; the click handler stores the label by position and shows the next text),
driven the same way in the same run. Every message takes the kernel's whole path up to its
socket (content cleaned, message built, signed with HMAC-SHA256 and serialised, as ipykernel
does) and is counted. The nblabel widget is followed as a loaded view follows it
(``nblabel.testing.follow``): after a label it sends a state message of what changed.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

import nblabel
from nblabel.testing import follow, recording_comms

OPTIONS = ["pos", "neg", "neutral"]


def make_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"text": [f"sample text number {i}" for i in range(n)]})


def time_presses(widget, presses: int) -> list[float]:
    keys = ["1", "2", "3"]
    out = []
    for i in range(presses):
        started = time.perf_counter()
        widget.press(keys[i % 3])
        out.append(time.perf_counter() - started)
    return out


def baseline_widget(frame: pd.DataFrame):
    """A pigeonXT-style labeler written directly with ipywidgets (no store, no undo)."""
    import ipywidgets as ipw

    texts = frame["text"].array
    codes = np.full(len(frame), -1, dtype=np.int8)
    state = {"position": 0}
    sample = ipw.HTML(texts[0])
    count = ipw.Label(f"0 / {len(frame)}")
    buttons = [ipw.Button(description=o) for o in OPTIONS]

    def on_click(button):
        codes[state["position"]] = OPTIONS.index(button.description)
        state["position"] += 1
        sample.value = texts[state["position"]]
        count.value = f"{state['position']} / {len(frame)}"

    for button in buttons:
        button.on_click(on_click)
    return ipw.VBox([sample, *buttons, count]), buttons


def run(quick: bool = False) -> list[dict]:
    sizes = [1_000, 20_000] if quick else [1_000, 1_000_000]
    presses = 100 if quick else 1_000
    prelabeled = 2_000 if quick else 100_000
    rows = []
    with tempfile.TemporaryDirectory() as tmp, recording_comms(signed=True) as comms:
        for n in sizes:
            frame = make_frame(n)
            store = nblabel.LabelStore(Path(tmp) / f"bench-{n}.db")
            builds = []
            for _ in range(5):
                started = time.perf_counter()
                widget = nblabel.classify(
                    frame, OPTIONS, text="text", store=store, annotator="bench", task="t"
                )
                builds.append(time.perf_counter() - started)
            copies = []
            for _ in range(5):
                started = time.perf_counter()
                frame["text"].tolist()
                copies.append(time.perf_counter() - started)
            if n == sizes[-1]:
                tracemalloc.start()
                nblabel.classify(
                    frame, OPTIONS, text="text", store=store, annotator="bench", task="t"
                ).close()
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                rows.append(
                    {
                        "name": f"memory a widget adds, {n:,} rows (peak while building)",
                        "nblabel_s": round(peak / 2**20, 1),
                        "baseline": "the DataFrame itself",
                        "baseline_s": round(int(frame.memory_usage(deep=True).sum()) / 2**20, 1),
                        "unit": "MiB",
                        "target": "≤ 16 bytes per row",
                        "passed": peak <= 16 * n,
                    }
                )
                rows.append(
                    {
                        "name": f"build a widget, {n:,} rows",
                        "nblabel_s": statistics.median(builds),
                        "baseline": "text column to a list (what list-based labelers take)",
                        "baseline_s": statistics.median(copies),
                        "target": "< 50 ms, no copy",
                        "passed": statistics.median(builds) < 0.05 and widget.data is frame,
                    }
                )
            follow(widget, comms)  # as its view does once loaded: state messages after a label
            before = comms.count()
            ours = time_presses(widget, presses)
            ours_messages = (comms.count() - before) / presses

            box, buttons = baseline_widget(frame)
            before = comms.count()
            theirs = []
            for i in range(presses):
                started = time.perf_counter()
                buttons[i % 3].click()
                theirs.append(time.perf_counter() - started)
            theirs_messages = (comms.count() - before) / presses
            rows.append(
                {
                    "name": f"one label (press → durable write → state sent), {n:,} rows",
                    "nblabel_s": statistics.median(ours),
                    "baseline": "plain ipywidgets, in memory",
                    "baseline_s": statistics.median(theirs),
                    "target": "≤ 0.5 ms",
                    "passed": statistics.median(ours) <= 0.5e-3,
                }
            )
            rows.append(
                {
                    "name": f"widget messages per label, {n:,} rows",
                    "nblabel_s": ours_messages,
                    "baseline": "plain ipywidgets",
                    "baseline_s": theirs_messages,
                    "unit": "msgs",
                    "target": "≤ 2",
                    "passed": ours_messages <= 2,
                }
            )
            if n == sizes[-1]:
                # the least a durable label costs: the store's append and one signed message
                # (the widget's last state message, sent again), with no widget logic at all
                message = next(
                    data["content"]
                    for _, data in reversed(comms.messages)
                    if data.get("method") == "custom"
                )
                floor_store = nblabel.LabelStore(Path(tmp) / "floor.db")
                floor = []
                for i in range(presses):
                    started = time.perf_counter()
                    floor_store.append(task="t", item=i, annotator="bench", label=OPTIONS[i % 3])
                    widget.send(message)
                    floor.append(time.perf_counter() - started)
                rows.append(
                    {
                        "name": "the floor of one label: store.append + one signed state message,"
                        " no widget logic",
                        "nblabel_s": statistics.median(floor),
                        "baseline": "plain ipywidgets, in memory",
                        "baseline_s": statistics.median(theirs),
                        "target": "reported (what any durable label costs here)",
                        "passed": True,
                    }
                )
            box.close()
            widget.close()

        # flat in the number already labeled: resume after many labels, then label on
        n = sizes[-1]
        frame = make_frame(n)
        store = nblabel.LabelStore(Path(tmp) / "prelabeled.db")
        for i in range(prelabeled):
            store.append(task="t", item=i, annotator="bench", label=OPTIONS[i % 3])
        widget = nblabel.classify(
            frame, OPTIONS, text="text", store=store, annotator="bench", task="t"
        )
        assert widget.current == prelabeled, widget.current
        follow(widget, comms)
        late = time_presses(widget, presses)
        fresh = next(r for r in rows if r["name"].startswith("one label") and f"{n:,}" in r["name"])
        rows.append(
            {
                "name": f"one label after {prelabeled:,} labeled, {n:,} rows",
                "nblabel_s": statistics.median(late),
                "baseline": "nblabel with none labeled (above)",
                "baseline_s": fresh["nblabel_s"],
                "target": "≤ 0.5 ms, flat",
                "passed": statistics.median(late) <= 0.5e-3,
            }
        )
        widget.close()

        # long texts: what a state message saves over ipywidgets' update of every value, the
        # two widgets labeling in turns (the machine's drift falls on both alike)
        long = pd.DataFrame({"text": [f"{i} " + "long review text " * 118 for i in range(4_000)]})
        kept = nblabel.LabelStore(Path(tmp) / "long.db")
        widgets = {
            follows: nblabel.classify(
                long, OPTIONS, text="text", store=kept, annotator=f"long-{follows}", task="t"
            )
            for follows in (True, False)
        }
        follow(widgets[True], comms)
        times: dict[bool, list[float]] = {True: [], False: []}
        sent = {True: 0, False: 0}
        for _ in range(10):
            for follows, widget in widgets.items():
                before = comms.bytes_sent
                times[follows] += time_presses(widget, presses // 10)
                sent[follows] += comms.bytes_sent - before
        costs = {f: (statistics.median(times[f]), sent[f] / len(times[f])) for f in times}
        for widget in widgets.values():
            widget.close()
        rows.append(
            {
                "name": "one label, texts of 2,000 characters (state message of what changed)",
                "nblabel_s": costs[True][0],
                "baseline": "the same widget with no view following: ipywidgets' update",
                "baseline_s": costs[False][0],
                "target": "faster than the update",
                "passed": costs[True][0] < costs[False][0],
            }
        )
        rows.append(
            {
                "name": "bytes sent per label, texts of 2,000 characters",
                "nblabel_s": round(costs[True][1]),
                "baseline": "the same widget with no view following: ipywidgets' update",
                "baseline_s": round(costs[False][1]),
                "unit": "bytes",
                "target": "≤ half the update",
                "passed": costs[True][1] <= costs[False][1] / 2,
            }
        )
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from run import main

    raise SystemExit(main(["core", *sys.argv[1:]]))
