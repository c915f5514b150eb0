"""What another process does to a store while a test reads its snapshots (``test_snapshot``):
``python snapshot_children.py WHAT PATH ...``; each says ``ready`` once under way."""

from __future__ import annotations

import sqlite3
import sys
import time

from nblabel import LabelStore, _snapshot


def hold_write_lock(path: str) -> None:
    """Take the file's write lock and keep it until told to let go."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    print("ready", flush=True)
    sys.stdin.readline()
    db.execute("ROLLBACK")
    db.close()
    print("released", flush=True)


def append(path: str, annotator: str, n: str, pause_s: str = "0") -> None:
    """Save ``n`` labels of ``annotator``, one commit each, ``pause_s`` apart."""
    store = LabelStore(path)
    print("ready", flush=True)
    for item in range(int(n)):
        store.append(task="t", item=item, annotator=annotator, label=f"label {item}")
        time.sleep(float(pause_s))
    store.close()
    print("done", flush=True)


def append_annotators(path: str, n: str, pause_s: str) -> None:
    """Save item i as labeled by a new annotator ``w{i}``, for i below ``n``, one commit each,
    ``pause_s`` apart: each label brings an annotator no read has seen yet."""
    store = LabelStore(path)
    print("ready", flush=True)
    for item in range(int(n)):
        store.append(task="t", item=item, annotator=f"w{item}", label="pos")
        time.sleep(float(pause_s))
    store.close()
    print("done", flush=True)


def label_and_read(path: str) -> None:
    """Save a label and read every label (writing the snapshot each time), until killed."""
    _snapshot.MIN_ROWS = 1
    _snapshot.KEPT = 2
    store = LabelStore(path)
    item = 0
    while True:
        store.append(task="t", item=item, annotator="k", label="pos")
        store.annotations(task="t")
        store.annotations(task="t", annotator="k", source="annotator")
        if item == 0:
            print("ready", flush=True)
        item += 1


def label_and_resume(path: str) -> None:
    """Save a label with its fingerprint and build a session over the labels (remembering its
    check each time), until killed."""
    import pandas as pd

    from nblabel._fingerprint import Fingerprinter
    from nblabel._session import LabelingSession

    _snapshot.MIN_ROWS = 1
    frame = pd.DataFrame({"text": [f"text {i}" for i in range(100_000)]})
    prints = Fingerprinter(frame, [0])
    store = LabelStore(path)
    item = 0
    while True:
        store.append(task="t", item=item, annotator="k", label="pos",
                     fingerprint=prints.one(item))  # fmt: skip
        LabelingSession(frame.index, store=store, task="t", annotator="k", fingerprint=prints)
        if item == 0:
            print("ready", flush=True)
        item += 1


def edit(where: str, n: str, seed: str) -> None:
    """Another program (a plain client of the SQLite file or PostgreSQL URL ``where``): ``n``
    changes of annotator "a"'s label events, one commit each: a label, item or fingerprint
    changed, an event deleted, or one put back below the newest."""
    import random

    rng = random.Random(int(seed))
    if where.startswith("postgresql://"):
        import psycopg

        db, mark = psycopg.connect(where), "%s"
    else:
        db, mark = sqlite3.connect(where, timeout=30), "?"
    print("ready", flush=True)
    gone: list[tuple] = []
    for step in range(int(n)):
        ids = [r[0] for r in db.execute(
            "SELECT id FROM nblabel_events WHERE annotator = 'a' AND action = 'label'"
        ).fetchall()]  # fmt: skip
        event_id = rng.choice(ids)
        what = rng.random()
        if what < 0.5:  # what a resume keeps (item, fingerprint) or w.labels reads
            column, value = rng.choice([("label", f'"edit {step}"'), ("fingerprint", "x"),
                                        ("item", str(rng.randrange(400)))])  # fmt: skip
            db.execute(f"UPDATE nblabel_events SET {column} = {mark} WHERE id = {mark}",
                       (value, event_id))  # fmt: skip
        elif what < 0.8 or not gone:
            gone.append(db.execute(
                f"SELECT * FROM nblabel_events WHERE id = {mark}", (event_id,)
            ).fetchone())  # fmt: skip
            db.execute(f"DELETE FROM nblabel_events WHERE id = {mark}", (event_id,))
        else:
            back = gone.pop(rng.randrange(len(gone)))
            marks = ", ".join([mark] * len(back))
            db.execute(f"INSERT INTO nblabel_events VALUES ({marks})", back)
        db.commit()
        time.sleep(0.002)
    db.close()
    print("done", flush=True)


if __name__ == "__main__":
    {"hold_write_lock": hold_write_lock, "append": append, "label_and_read": label_and_read,
     "label_and_resume": label_and_resume, "edit": edit,
     "append_annotators": append_annotators}[sys.argv[1]](*sys.argv[2:])  # fmt: skip
