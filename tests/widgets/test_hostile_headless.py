"""Spans, compare, review_steps, suggestions and shapes on images under hostile conditions,
headless on real SQLite files: the labeling process killed with SIGKILL in the middle of its
saves, other programs opening the store file between labels, and the data re-sorted, filtered
or edited between two sessions. Each acknowledged label must be on disk, whole, on the content
it was given for.

The labeling process is ``hostile_children.py``; every check on disk after a kill reads the file
with plain ``sqlite3``, as any other program would."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hostile_children import (
    build,
    expected_intent,
    expected_shapes,
    expected_spans,
    expected_steps,
    frame,
    label_one,
    number,
    picture,
    predicted,
    span_text,
)

import nblabel
from children import ChildProcess
from nblabel import NblabelWarning

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

CHILD = Path(__file__).with_name("hostile_children.py")
KINDS = ["spans", "compare", "steps", "suggest", "images"]


# -- the labeling process and what is on disk ---------------------------------------------------
class Labeler(ChildProcess):
    """``hostile_children.py KIND PATH``, its acknowledgements read without blocking forever."""

    def __init__(self, tmp_path: Path, kind: str, path: Path) -> None:
        super().__init__(CHILD, [kind, path], tmp_path / f"{kind}.err", tmp_path)
        self.acknowledged: list[dict] = []
        assert "ready" in self._next(), "the child did not start"

    def _next(self, timeout: float = 60) -> dict:
        return json.loads(self.line(timeout, "the labeling child"))

    def one(self) -> dict:
        """Let the child label one item; its acknowledgement."""
        self.send("go")
        self.acknowledged.append(self._next())
        return self.acknowledged[-1]

    def run_then_kill(self, n: int) -> None:
        """Let the child label freely; SIGKILL it once ``n`` more labels are acknowledged,
        in the middle of whatever save it is doing."""
        self.send("run")
        for _ in range(n):
            self.acknowledged.append(self._next())
        self.kill()
        # acknowledgements printed before the kill and not read yet count too
        while (line := self.lines.get(timeout=30)) is not None:
            self.acknowledged.append(json.loads(line))


@pytest.fixture
def labeler(tmp_path):
    started: list[Labeler] = []

    def start(kind: str, path: Path) -> Labeler:
        started.append(Labeler(tmp_path, kind, path))
        return started[-1]

    yield start
    for child in started:
        child.stop()


def on_disk(path: Path, kind: str) -> dict[str, dict]:
    """Each item's label events in ``path`` (with its ``-wal``), read by plain sqlite3: the
    newest human label, decoded, with its meta; and the model's suggestions. A torn or
    unreadable row fails here."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute(
            "SELECT item, label, source, meta FROM nblabel_events"
            " WHERE action = 'label' AND task = ? ORDER BY id", (kind,)
        ).fetchall()  # fmt: skip
    finally:
        db.close()
    out: dict[str, dict] = {}
    for item, label, source, meta in rows:
        entry = out.setdefault(json.loads(item), {})
        value = {"label": json.loads(label), "meta": json.loads(meta) if meta else {}}
        entry["human" if source == "annotator" else source] = value
    return out


def plain_spans(spans: list[dict]) -> list[tuple]:
    return [(s["start"], s["end"], s["label"]) for s in spans]


def check_stored(kind: str, stored: dict[str, dict], acknowledged: list[dict]) -> None:
    """Every acknowledged label is stored exactly; every stored label (the one in flight at
    the kill included) is a whole, valid label of its item."""
    assert acknowledged, "the child acknowledged nothing"
    items = [a["item"] for a in acknowledged]
    assert len(set(items)) == len(items)
    missing = [item for item in items if "human" not in stored.get(item, {})]
    assert missing == []
    for ack in acknowledged:
        human = stored[ack["item"]]["human"]
        if kind == "spans":
            text = span_text(number(ack["item"]))
            assert plain_spans(human["label"]) == plain_spans(ack["label"]), ack["item"]
            assert all(text[s["start"]:s["end"]] == s["text"] for s in human["label"])
        else:
            assert human["label"] == ack["label"], ack["item"]
        if kind == "compare":
            assert human["meta"]["shown"] == ack["shown"]  # the side is meta, never the label
        if kind == "suggest" and ack["accepted"]:  # Enter took the suggestion of its text
            assert human["meta"]["accepted"] is True, ack["item"]
            assert human["meta"]["suggestion"]["label"] == ack["label"], ack["item"]
        elif kind == "suggest":  # a key pressed before the suggestion came, or against it
            assert human["meta"].get("accepted") is not True, ack["item"]
    for item, events in stored.items():
        i = number(item)
        if "human" in events:
            label = events["human"]["label"]
            if kind == "spans":
                assert plain_spans(label) == plain_spans(expected_spans(i)), item
            elif kind == "compare":
                assert label in ("answer_a", "answer_b", "tie"), item
            elif kind == "steps":
                assert label == expected_steps(i), item
            elif kind == "images":
                assert label == expected_shapes(i), item
            else:
                assert label == expected_intent(i)[0], item
        if "model" in events:  # a cached suggestion is the model's, for this item's text
            assert events["model"]["label"] == predicted(i), item
    # at most the one label in flight at the kill is stored without its acknowledgement
    assert len([e for e in stored.values() if "human" in e]) - len(acknowledged) in (0, 1)


# -- 1. other programs open the file between labels, then kill -9 mid-save ----------------------
SQLITE_CLI = shutil.which("sqlite3")


def open_and_close_elsewhere(path: Path, round_: int) -> int:
    """What another program does between two labels: open the store file, read, close. The
    sqlite3 module (in a process of its own) and, every other time, the sqlite3 shell."""
    query = "SELECT COUNT(*) FROM nblabel_events WHERE action = 'label' AND source = 'annotator'"
    if SQLITE_CLI and round_ % 2:
        out = subprocess.run([SQLITE_CLI, str(path), query], capture_output=True, text=True,
                             check=True, timeout=30)  # fmt: skip
        return int(out.stdout)
    script = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        f"print(db.execute({query!r}).fetchone()[0])\n"
        "db.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                         text=True, check=True, timeout=30)  # fmt: skip
    return int(out.stdout)


@pytest.mark.parametrize("kind", KINDS)
def test_acknowledged_labels_survive_other_programs_and_sigkill_whole(tmp_path, labeler, kind):
    """Other programs open and close the store file between labels; then the labeling process
    runs freely and is killed with SIGKILL in the middle of its saves (one child per kind:
    starting one costs more than all its labels)."""
    path = tmp_path / "labels.db"
    child = labeler(kind, path)
    for round_ in range(6):
        child.one()
        # each acknowledged label is already visible to any other program
        assert open_and_close_elsewhere(path, round_) == len(child.acknowledged)
    child.run_then_kill(random.Random(kind).randint(20, 120))
    check_stored(kind, on_disk(path, kind), child.acknowledged)


# -- 2. the data re-sorted, filtered or edited between two sessions ----------------------------
def first_session(kind: str, store: nblabel.LabelStore, data: pd.DataFrame, n: int) -> dict:
    """Label the first ``n`` items in the data's order; item -> what it was given."""
    w = build(kind, store, data)
    given = {}
    for _ in range(n):
        done = label_one(kind, w)
        given[done["item"]] = done
    w.close()
    return given


def reshuffled(data: pd.DataFrame) -> pd.DataFrame:
    """Re-sorted (a seeded shuffle) and filtered (every third row gone), ids kept."""
    shuffled = data.sample(frac=1.0, random_state=7)
    return shuffled[[number(i) % 3 != 2 for i in shuffled.index]]


@pytest.mark.parametrize("kind", KINDS)
def test_resorted_and_filtered_data_keeps_each_label_on_its_row(tmp_path, kind):
    data = frame(kind, 30)
    with nblabel.LabelStore(tmp_path / "labels.db") as store:
        given = first_session(kind, store, data, 12)
        later = reshuffled(data)
        w = build(kind, store, later)  # no warning: every label is on the content it was for
        kept = [item for item in given if item in later.index]
        assert w.session.notice is None
        assert w.progress.done == len(kept)
        labels = w.labels["label"]
        assert sorted(labels.index) == sorted(kept)
        for item in kept:
            label = labels.loc[item]
            if kind == "spans":
                text = later.loc[item, "sentence"]
                assert label == given[item]["label"]
                assert all(text[s["start"]:s["end"]] == s["text"] for s in label)
            elif kind == "compare":
                # the chosen candidate's name, whose text is still the text that was chosen
                assert label == given[item]["label"] and label in ("answer_a", "answer_b", "tie")
                if label != "tie":
                    assert later.loc[item, label] == data.loc[item, label]
            else:
                assert label == given[item]["label"]
        # resuming shows the unlabeled rows only, in the new order, each once
        shown = []
        while w.current is not None:
            shown.append(w.current)
            label_one(kind, w)
        assert shown == [item for item in later.index if item not in given]
        assert w.progress.done == len(later)
        w.close()


def edited(kind: str, data: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """``data`` with the content of ``items`` changed the way a user's data changes."""
    out = data.copy()
    for item in items:
        if kind == "spans":  # the same words, one more in front: every offset moves
            out.loc[item, "sentence"] = "Note: " + out.loc[item, "sentence"]
        elif kind == "compare":  # the answers regenerated into each other's columns
            out.loc[item, ["answer_a", "answer_b"]] = out.loc[item, ["answer_b", "answer_a"]].values
        elif kind == "steps":  # a step rewritten
            out.at[item, "steps"] = [*out.at[item, "steps"][:-1], "a rewritten last step"]
        elif kind == "images":  # the picture retouched
            out.at[item, "image"] = picture(number(item), shade=200)
        else:
            out.loc[item, "text"] = "Re: " + out.loc[item, "text"]
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_changed_content_is_reported_and_labeled_again(tmp_path, kind):
    data = frame(kind, 12)
    with nblabel.LabelStore(tmp_path / "labels.db") as store:
        given = first_session(kind, store, data, 6)
        changed = ["i1", "i4"]
        later = edited(kind, data, changed).iloc[::-1]  # edited and re-sorted
        with pytest.warns(NblabelWarning, match="2 labels were given to items") as caught:
            w = build(kind, store, later)
        assert "i1" in str(caught[0].message) and "i4" in str(caught[0].message)
        assert w.progress.done == 4
        with pytest.warns(NblabelWarning, match="w.labels leaves out"):
            labels = w.labels["label"]
        assert sorted(labels.index) == sorted(set(given) - set(changed))
        # the changed items come back to be labeled, on their new content
        shown = []
        while w.current is not None:
            shown.append(w.current)
            if kind == "spans":  # the spans at their places in the text shown now
                text = later.loc[w.current, "sentence"]
                w.submit(plain_spans(expected_spans(number(w.current), text)))
            else:
                label_one(kind, w)
        assert shown == [item for item in later.index if item not in given or item in changed]
        if kind == "spans":
            for item in changed:
                spans = w.labels["label"].loc[item]
                text = later.loc[item, "sentence"]
                assert spans and all(text[s["start"]:s["end"]] == s["text"] for s in spans)
                assert spans != given[item]["label"]  # the offsets moved with the words
        w.close()


def test_a_cached_suggestion_is_not_shown_for_other_content(tmp_path):
    """The model's suggestion is cached per item in the store: when the item now shows another
    text, the model is asked again instead of the old text's answer being shown."""
    data = frame("suggest", 6)
    with nblabel.LabelStore(tmp_path / "labels.db") as store:
        w = build("suggest", store, data)
        for _ in range(3):
            label_one("suggest", w)
        w.close()
        # the same ids, other texts: i0 now shows message 1's text, and so on
        moved = data.assign(text=[f"message {i + 1}" for i in range(6)])
        with pytest.warns(NblabelWarning, match="3 labels were given to items"):
            w = build("suggest", store, moved)
        assert w.current == "i0"
        deadline = time.monotonic() + 10
        while w.suggestion is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert w.suggestion is not None and w.suggestion.label == predicted(1)
        w.press("Enter")
        assert store.current_label("suggest", "i0", "alice").label == predicted(1)
        w.close()
