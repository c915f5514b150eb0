"""The labeling process of ``test_hostile_headless.py``: one widget (spans, compare, review_steps,
classify with suggestions, or shapes on images) on a real SQLite store, labeling through its
Python twins.

Run as ``python hostile_children.py KIND PATH``. After each label it prints a JSON line: only
once the twin has returned, so each line is an acknowledged label. It reads a line from stdin
before each label while the lines say ``go``; after ``run`` it labels on without waiting (the
test kills it whenever it likes). The data and the label each item gets are made here, by
functions the test imports too; the child never decides whether the store behaved.
"""

from __future__ import annotations

import io
import json
import sys

import pandas as pd
from PIL import Image

import nblabel

N = 2_000  # more than a child labels before it is killed
CLASSES = ["PER", "ORG", "LOC"]
STEP_OPTIONS = ["correct", "wrong", "unclear"]
INTENTS = ["billing", "tech", "other"]
EMOJI = "👨‍👩‍👧 👍🏽"  # a ZWJ family and a skin tone: more UTF-16 units than code points


def span_text(i: int) -> str:
    return f"{EMOJI} 居里夫人在巴黎 #{i}, met Ada{i} in London"


def expected_spans(i: int, text: str | None = None) -> list[dict]:
    """The spans item i gets, in Python offsets of ``text`` (default: its own text)."""
    text = span_text(i) if text is None else text
    marks = [] if i % 4 == 3 else [("居里夫人", "PER"), ("巴黎", "LOC")]
    if i % 2 == 0:
        marks.append((f"Ada{i}", "PER"))
    if i % 5 == 1:
        marks.append(("London", "ORG"))
    spans = [{"start": text.index(t), "end": text.index(t) + len(t), "label": c, "text": t}
             for t, c in marks]  # fmt: skip
    return sorted(spans, key=lambda s: (s["start"], s["end"]))


def step_list(i: int) -> list[str]:
    return [f"step {j + 1} of problem {i}" for j in range(2 + i % 3)]


def expected_steps(i: int) -> list[str]:
    """One label per step of item i, ending at the first "wrong" (``stop_at_first``)."""
    labels = []
    for j in range(len(step_list(i))):
        labels.append(STEP_OPTIONS[(i + j) % 3])
        if labels[-1] == "wrong":
            break
    return labels


def predicted(i: int) -> str:
    return INTENTS[i % 3]


def expected_intent(i: int) -> tuple[str, bool]:
    """Item i's label and whether it accepts the suggestion (every fourth is changed)."""
    return (INTENTS[(i + 1) % 3], False) if i % 4 == 0 else (predicted(i), True)


def picture(i: int, shade: int = 7) -> bytes:
    """Item i's image: a small PNG of a colour of its own (``shade`` another version of it)."""
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (i % 256, i // 256 % 256, shade)).save(buffer, format="PNG")
    return buffer.getvalue()


def expected_shapes(i: int) -> list[dict]:
    """The shapes item i gets, in its image's pixels: a box, and every other item a point."""
    shapes = [{"type": "box", "x": i % 5, "y": 1, "width": 3, "height": 2,
               "label": CLASSES[i % 3]}]  # fmt: skip
    if i % 2:
        shapes.append({"type": "point", "x": 2.5, "y": 3, "label": CLASSES[(i + 1) % 3]})
    return shapes


def frame(kind: str, n: int = N) -> pd.DataFrame:
    ids = pd.Index([f"i{i}" for i in range(n)], name="id")
    if kind == "spans":
        return pd.DataFrame({"sentence": [span_text(i) for i in range(n)]}, index=ids)
    if kind == "compare":
        return pd.DataFrame(
            {"prompt": [f"What is {i} + {i}?" for i in range(n)],
             "answer_a": [f"It is **{2 * i}**." for i in range(n)],
             "answer_b": [f"Maybe {2 * i + 1}?" for i in range(n)]},
            index=ids,
        )  # fmt: skip
    if kind == "steps":
        return pd.DataFrame(
            {"question": [f"problem {i}" for i in range(n)],
             "steps": [step_list(i) for i in range(n)]},
            index=ids,
        )  # fmt: skip
    if kind == "suggest":
        return pd.DataFrame({"text": [f"message {i}" for i in range(n)]}, index=ids)
    if kind == "images":
        return pd.DataFrame({"image": [picture(i) for i in range(n)]}, index=ids)
    raise ValueError(kind)


def number(item: str) -> int:
    return int(item[1:])


def intent_model(row: pd.Series) -> dict:
    """A model that is sure of the intent its text's number names."""
    wanted = predicted(int(row["text"].split()[-1]))
    return {intent: 0.9 if intent == wanted else 0.05 for intent in INTENTS}


def build(kind: str, store: nblabel.LabelStore, data: pd.DataFrame):
    common = {"store": store, "annotator": "alice", "task": kind}
    if kind == "spans":
        return nblabel.annotate_spans(data, text="sentence", classes=CLASSES, **common)
    if kind == "compare":
        return nblabel.compare(data, prompt="prompt", candidates=["answer_a", "answer_b"],
                               extra_choices=["tie"], **common)  # fmt: skip
    if kind == "steps":
        return nblabel.review_steps(data, question="question", steps="steps",
                                    options=STEP_OPTIONS, stop_at_first="wrong", **common)
    if kind == "suggest":
        return nblabel.classify(data, INTENTS, text="text", suggest=intent_model, **common)
    if kind == "images":
        return nblabel.annotate_images(data, image="image", classes=CLASSES,
                                       tools=("box", "point"), **common)  # fmt: skip
    raise ValueError(kind)


def label_one(kind: str, w) -> dict:
    """Label the item on screen through the twins; what the test must then find stored."""
    item = w.current
    i = number(item)
    if kind == "spans":
        spans = expected_spans(i)
        if i % 2:
            for span in spans:
                w.add_span(span["start"], span["end"], span["label"])
            w.submit()
        else:
            w.submit([(s["start"], s["end"], s["label"]) for s in spans])
        return {"item": item, "label": spans}
    if kind == "compare":
        shown = list(w.shown)
        if i % 5 == 0:
            w.submit("tie")
            return {"item": item, "label": "tie", "shown": shown}
        place = 1 + i % 2
        w.press(str(place))  # the candidate shown at that place, whichever it is
        return {"item": item, "label": shown[place - 1], "shown": shown}
    if kind == "steps":
        for label in expected_steps(i):
            w.press(str(STEP_OPTIONS.index(label) + 1))
        return {"item": item, "label": expected_steps(i)}
    if kind == "suggest":
        label, accepts = expected_intent(i)
        w.press("Enter" if accepts else str(INTENTS.index(label) + 1))
        return {"item": item, "label": label, "accepted": accepts}
    if kind == "images":
        shapes = expected_shapes(i)
        if i % 2:  # drawn one by one, then saved; else saved as one list
            for shape in shapes:
                if shape["type"] == "box":
                    w.add_box(shape["x"], shape["y"], shape["width"], shape["height"],
                              shape["label"])  # fmt: skip
                else:
                    w.add_point(shape["x"], shape["y"], shape["label"])
            w.submit()
        else:
            w.submit(shapes)
        return {"item": item, "label": shapes}
    raise ValueError(kind)


def main() -> None:
    kind, path = sys.argv[1], sys.argv[2]
    w = build(kind, nblabel.LabelStore(path), frame(kind))
    print(json.dumps({"ready": w.current}), flush=True)
    waiting = True
    while w.current is not None:
        if waiting:
            line = sys.stdin.readline().strip()
            if not line:
                return
            waiting = line == "go"
        done = label_one(kind, w)
        if w.error:
            raise SystemExit(f"the widget shows an error: {w.error}")
        # the twin returned: the label is acknowledged, it must survive whatever comes next
        print(json.dumps(done, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
