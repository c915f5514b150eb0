"""Nothing lost under real-world abuse: other programs opening the file, the file deleted,
replaced or truncated under a running kernel, copies taken with ``cp``, exports aimed at the
store, read-only folders, damaged files, a full disk, several kernels at once.

Real SQLite files and real processes throughout (the children are in
``store_abuse_children.py``); every check on disk reads the file with plain ``sqlite3``, as any
other program would, never through the store under test.
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import shutil
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from store_abuse_children import label_items

from children import ChildProcess
from nblabel import LabelStore, NblabelError, StoreError, export

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals and locks")
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/self/fd and drops capabilities"
)

CHILDREN = Path(__file__).with_name("store_abuse_children.py")


# -- helpers ----------------------------------------------------------------------------------
class Child(ChildProcess):
    """One process of ``store_abuse_children.py``, read line by line without blocking forever."""

    def __init__(self, tmp_path: Path, role: str, *args: object) -> None:
        self.role = role
        errors = tmp_path / f"{role}-{id(self)}.err"
        super().__init__(CHILDREN, [role, *args], errors, tmp_path)

    def line(self, timeout: float = 60) -> str:
        return super().line(timeout, self.role)

    def json(self) -> object:
        return json.loads(self.line())

    def send(self, text: str = "go") -> None:
        super().send(text)

    def finish(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)
        assert self.process.returncode == 0, self.errors.read_text()


@pytest.fixture
def spawn(tmp_path):
    started: list[Child] = []

    def start(role: str, *args: object) -> Child:
        started.append(Child(tmp_path, role, *args))
        return started[-1]

    yield start
    for child in started:
        child.stop()


def copy_alone(db: Path, copy: Path) -> list:
    """``cp labels.db elsewhere`` (no ``-wal``), then the label items the copy holds."""
    shutil.copyfile(db, copy)
    assert not Path(f"{copy}-wal").exists()
    try:
        return label_items(copy)
    finally:
        for leftover in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
            leftover.unlink(missing_ok=True)


def undo_events(path: Path) -> dict[int, int]:
    """How many undo events name each event, read by plain sqlite3."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "SELECT target, COUNT(*) FROM nblabel_events WHERE action = 'undo' GROUP BY target"
        )
        return dict(rows.fetchall())
    finally:
        db.close()


def descriptors_on(path: Path) -> int:
    """How many of this process's open descriptors are the file ``path`` (any name of it)."""
    wanted = os.stat(path)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            st = os.stat(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += (st.st_dev, st.st_ino) == (wanted.st_dev, wanted.st_ino)
    return count


def label(store: LabelStore, *items: object, task: str = "t") -> list[int]:
    return [store.append(task=task, item=i, annotator="a", label=f"label {i}") for i in items]


# -- 1. one connection per file: nothing drops SQLite's locks -----------------------------------
def test_a_second_store_and_a_reader_elsewhere_lose_no_label_at_a_kill(tmp_path, spawn):
    """Store A labels once, store B opens the same file in the same process, another program
    opens, reads and closes it, A labels 4 more, the process is killed: 5 labels on disk."""
    path = tmp_path / "labels.db"
    child = spawn("two-stores-then-more", path)
    assert child.line() == "ready"
    reader = sqlite3.connect(path)  # the sqlite3 shell, another notebook...
    assert reader.execute("SELECT COUNT(*) FROM nblabel_events").fetchone() == (1,)
    reader.close()
    child.send()
    assert child.json() == {"acknowledged": 5, "b_open": "labels.db"}
    child.kill()
    assert label_items(path) == [0, 1, 2, 3, 4]


@linux_only
def test_stores_on_one_file_share_one_connection(tmp_path):
    path = tmp_path / "labels.db"
    link = tmp_path / "same-file.db"
    first = LabelStore(path)
    os.link(path, link)  # another name of the same file: still one database
    others = [LabelStore(path), LabelStore(f"sqlite:///{path}"), LabelStore(link)]
    assert descriptors_on(path) == 1
    label(first, 1)
    label(others[2], 2)
    first.close()
    others[0].close()
    # the stores still open work on: closing one closed nothing under them
    assert others[1].annotations(task="t")["item"].tolist() == [1, 2]
    label(others[1], 3)
    assert others[2].current_label("t", 3, "a").label == "label 3"
    others[1].close()
    others[2].close()
    assert descriptors_on(path) == 0
    assert label_items(path) == [1, 2, 3]


# -- 2. the file deleted, replaced or truncated under an open store ----------------------------
def test_writes_to_a_deleted_store_are_refused(tmp_path):
    path = tmp_path / "labels.db"
    store = LabelStore(path)
    label(store, 0)
    os.remove(path)  # rm labels.db while the kernel runs
    for item in (1, 2):  # every later write, not only the first
        with pytest.raises(StoreError, match=re.escape(path.name)):
            label(store, item)
    assert not path.exists()
    store.close()
    assert not path.exists()


def test_writes_to_a_replaced_store_are_refused_and_the_new_file_is_left_alone(tmp_path):
    path = tmp_path / "labels.db"
    other = tmp_path / "theirs.db"
    with LabelStore(other) as theirs:
        label(theirs, "theirs 1", "theirs 2")
    their_bytes = other.read_bytes()
    store = LabelStore(path)
    label(store, "mine")
    # the store's write-ahead log keeps its name beside the new file: once checkpointed (as it
    # is when the store is idle) it holds nothing a reader of the new file would take
    store.checkpoint()
    os.replace(other, path)  # git checkout, a sync tool
    for item in ("lost 1", "lost 2"):
        with pytest.raises(StoreError, match=re.escape(path.name)):
            label(store, item)
    assert path.read_bytes() == their_bytes
    # another program reading the new file sees its labels, and nothing of ours
    assert label_items(path, elsewhere=True) == ["theirs 1", "theirs 2"]
    store.close()
    assert label_items(path) == ["theirs 1", "theirs 2"]


def test_writes_to_a_truncated_store_are_refused(tmp_path):
    path = tmp_path / "labels.db"
    store = LabelStore(path)
    label(store, 0, 1, 2)
    os.truncate(path, 0)  # without opening it here: that alone would drop the store's locks
    for item in (3, 4):
        with pytest.raises(StoreError, match=re.escape(path.name)):
            label(store, item)
    assert path.stat().st_size == 0
    store.close()


# -- 3. copying the store -------------------------------------------------------------------
def test_the_db_file_alone_holds_every_label_when_idle_and_after_a_kill(tmp_path, spawn):
    from nblabel._sqlite import IDLE_CHECKPOINT_S

    path = tmp_path / "labels.db"
    n = 50
    child = spawn("label-then-idle", path, n)
    assert child.line() == "labeled"
    time.sleep(IDLE_CHECKPOINT_S)
    deadline = time.monotonic() + 5.0  # slack for a loaded machine

    def copied_once_idle() -> list | None:
        try:
            return copy_alone(path, tmp_path / "copy.db")
        except sqlite3.DatabaseError:  # copied while a late checkpoint wrote it: not idle yet
            return None

    while (copied := copied_once_idle()) != list(range(n)):
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert copied == list(range(n)), "cp of the .db of an idle kernel"
    child.kill()
    assert copy_alone(path, tmp_path / "copy.db") == list(range(n)), "cp after kill -9"


def test_the_db_file_alone_holds_every_label_after_the_interpreter_exits(tmp_path, spawn):
    path = tmp_path / "labels.db"
    spawn("label-then-exit", path, 30).finish()
    assert copy_alone(path, tmp_path / "copy.db") == list(range(30))


def test_backup_is_a_consistent_copy_at_any_moment(tmp_path):
    path = tmp_path / "labels.db"
    with LabelStore(path) as store, LabelStore(path) as writer:
        label(store, *range(20))
        store.undo(store.append(task="t", item=5, annotator="a", label="oops"), annotator="a")
        stop = threading.Event()

        def keep_labeling() -> None:
            item = 100
            while not stop.is_set():
                label(writer, item)
                item += 1

        thread = threading.Thread(target=keep_labeling)
        thread.start()
        try:
            time.sleep(0.05)
            copy = store.backup(tmp_path / "copy.db")  # while labels keep coming
        finally:
            stop.set()
            thread.join()
        assert Path(copy).resolve() == (tmp_path / "copy.db").resolve()
        assert not Path(f"{copy}-wal").exists()  # the copy alone is the whole store
        everything = store.annotations(history=True)
    with LabelStore(copy) as restored:
        snapshot = restored.annotations(history=True)
    # the copy is the store as it was at one moment: a prefix of its history, nothing torn
    assert len(snapshot) >= 21
    assert snapshot["event_id"].tolist() == everything["event_id"].tolist()[: len(snapshot)]
    pd.testing.assert_frame_equal(snapshot, everything.iloc[: len(snapshot)])


def test_backup_refuses_the_store_itself_open_stores_and_existing_files(tmp_path):
    path = tmp_path / "labels.db"
    out = tmp_path / "backups"
    out.mkdir()
    with LabelStore(path) as store, LabelStore(out / "open.db") as other:
        label(store, 1, 2)
        label(other, "other")
        with pytest.raises((NblabelError, StoreError), match=re.escape(path.name)):
            store.backup(path, overwrite=True)
        with pytest.raises((NblabelError, StoreError), match=re.escape("open.db")):
            store.backup(out / "open.db", overwrite=True)
        assert other.annotations()["item"].tolist() == ["other"]
        existing = out / "existing.db"
        existing.write_bytes(b"a file someone keeps")
        with pytest.raises((NblabelError, StoreError), match="overwrite"):
            store.backup(existing)
        assert existing.read_bytes() == b"a file someone keeps"
        store.backup(existing, overwrite=True)
        assert store.annotations()["item"].tolist() == [1, 2]
    assert label_items(existing) == [1, 2]
    assert label_items(path) == [1, 2]
    assert sorted(os.listdir(out)) == ["existing.db", "open.db"]  # no temporary file left


# -- 4. exports never write over a store ------------------------------------------------------
def _closed_store(path: Path) -> None:
    with LabelStore(path) as store:
        label(store, 1, 2, 3)


def _foreign_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
        db.execute("INSERT INTO customers VALUES (1, 'Ada')")
    db.close()


@pytest.mark.parametrize(
    ("target", "make"),
    [
        ("labels.csv", None),  # the store itself
        ("labels.parquet", None),
        ("archive.csv", _closed_store),  # another nblabel store, not open
        ("customers.csv", _foreign_database),  # any SQLite file
    ],
)
def test_export_never_writes_over_a_sqlite_file(tmp_path, target, make):
    out = tmp_path / target
    store_path = out if make is None else tmp_path / "labels.db"
    if make is not None:
        make(out)
    _closed_store(store_path)
    before = out.read_bytes()
    with LabelStore(store_path) as store:
        with pytest.raises(NblabelError, match=re.escape(target)):
            export.table(store, "t", out)
        assert out.read_bytes() == before
        assert store.annotations(task="t")["item"].tolist() == [1, 2, 3]
    assert out.read_bytes() == before


def _half_written_then_disk_full(self, path_or_buf=None, *args, **kwargs):
    """A pandas writer that gets part of the file out, then finds the disk full."""
    if hasattr(path_or_buf, "write"):
        try:
            path_or_buf.write("task,item\n")
        except TypeError:
            path_or_buf.write(b"PAR1")
    else:
        Path(path_or_buf).write_bytes(b"task,item\n")
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(("suffix", "writer"), [(".csv", "to_csv"), (".parquet", "to_parquet")])
def test_a_failed_export_leaves_the_previous_file_and_no_temporary_file(
    store, tmp_path, monkeypatch, suffix, writer
):
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"labels{suffix}"
    label(store, 1, 2)
    export.table(store, "t", target)
    export.table(store, "t", target)  # replacing an export of our own is fine
    assert os.listdir(out) == [target.name]
    previous = target.read_bytes()
    label(store, 3)
    monkeypatch.setattr(pd.DataFrame, writer, _half_written_then_disk_full)
    with pytest.raises((OSError, NblabelError, StoreError)):
        export.table(store, "t", target)
    assert target.read_bytes() == previous
    assert os.listdir(out) == [target.name]


def test_an_unconvertible_value_leaves_the_previous_parquet_file(store, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "labels.parquet"
    label(store, 1)
    export.table(store, "t", target)
    previous = target.read_bytes()
    label(store, 2**70)  # a valid id that Parquet cannot hold as an integer
    with pytest.raises(NblabelError, match="Parquet"):
        export.table(store, "t", target)
    assert target.read_bytes() == previous
    assert os.listdir(out) == [target.name]


# -- 5. clear errors where it cannot go on ---------------------------------------------------
@linux_only
@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_store_that_cannot_be_written_opens_read_only(tmp_path, spawn, what):
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "labels.db"
    with LabelStore(path) as store:
        label(store, 1, 2, 3)
        store.add_items("t", range(5), overlap=1)
    before = path.read_bytes()
    locked = folder if what == "folder" else path
    locked.chmod(0o555 if what == "folder" else 0o444)
    try:
        # root ignores permissions: its child gives up its capabilities (keeping its uid, so
        # the interpreter stays readable wherever it is installed)
        child = spawn("read-only", path, "drop" if os.geteuid() == 0 else "keep")
        report = child.json()
        child.finish()
    finally:
        locked.chmod(0o755 if what == "folder" else 0o644)
    if "skip" in report:
        pytest.skip(report["skip"])
    writable = {"folder": report["folder_writable"], "file": report["db_writable"]}
    assert writable == {"folder": what == "file", "file": what == "folder"}, "permissions ignored"
    assert "open_error" not in report, report
    assert report.get("read_only") is True, report
    assert report.get("items") == [1, 2, 3], report
    # the assignment counted there: no slot held, so all 5 are left; 2 of them for a, who
    # labeled 1-3 already
    counted = {"a": {"done": 3, "claimed": 0, "left": 2},
               "(all)": {"done": 0, "claimed": 0, "left": 5}}  # fmt: skip
    assert report.get("status") == counted, report
    for attempt in ("appended", "appended_again"):
        error = report.get(f"{attempt}_error")
        assert error is not None, f"a write was accepted: {report}"
        assert error["type"] == "StoreError", error
        assert "read-only" in error["message"] and path.name in error["message"], error
    assert report.get("items_after") == [1, 2, 3], report
    assert path.read_bytes() == before
    if what == "folder":
        assert os.listdir(folder) == ["labels.db"]


def _store_of_many_pages(path: Path) -> None:
    with LabelStore(path) as store:
        for item in range(300):
            store.append(task="t", item=item, annotator="a", label="x", rationale="why " * 50)


def _truncate_to_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _garbage_over_the_events_root_page(path: Path) -> None:
    db = sqlite3.connect(path)
    (page_size,) = db.execute("PRAGMA page_size").fetchone()
    (root,) = db.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'nblabel_events'"
    ).fetchone()
    db.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(random.Random(0).randbytes(page_size))


@pytest.mark.parametrize("damage", [_truncate_to_half, _garbage_over_the_events_root_page])
def test_a_damaged_store_is_called_damaged_and_never_written(tmp_path, damage):
    path = tmp_path / "labels.db"
    _store_of_many_pages(path)
    damage(path)
    before = path.read_bytes()
    errors: list[BaseException] = []
    try:
        store = LabelStore(path)
    except Exception as exc:
        errors.append(exc)
    else:
        try:
            for step in (
                lambda: store.annotations(task="t"),
                lambda: store.append(task="t", item=1000, annotator="a", label="x"),
            ):
                try:
                    step()
                except Exception as exc:
                    errors.append(exc)
            assert len(errors) == 2, f"a damaged store was read or written without error: {errors}"
        finally:
            store.close()
    assert errors, "a damaged store opened and read without error"
    first = errors[0]
    assert isinstance(first, StoreError), repr(first)
    message = str(first)
    assert "damaged" in message and path.name in message and ".recover" in message, message
    assert path.read_bytes() == before


@linux_only
def test_a_new_store_on_a_full_disk_leaves_no_file_and_no_connection(tmp_path, spawn):
    # a fresh store needs its first page, a write-ahead log and its index: each limit stops
    # the creation at another step
    limits = [0, 1000, 4096, 20_000]
    child = spawn("full-disk", tmp_path, *limits)
    reports = child.json()
    child.finish()
    for report in reports:
        assert report.get("error", {}).get("type") == "StoreError", report
        assert report["files_left"] == [], report
        assert report["open_descriptors"] == [], report
        assert report.get("items_after") == [2], report


def test_several_processes_opening_one_new_store_at_once_all_succeed(tmp_path, spawn):
    # the race is won or lost in microseconds: many rounds, each on a new file
    workers, rounds = 6, 100
    child = spawn("open-at-once", tmp_path, workers, rounds)
    reports = [report for per_worker in child.json() for report in per_worker]
    child.finish()
    assert [report for report in reports if "error" in report] == []
    for r in range(rounds):
        assert sorted(label_items(tmp_path / f"new-{r}.db")) == list(range(workers))


def test_undo_of_an_undone_event_is_refused_and_writes_nothing(tmp_path):
    path = tmp_path / "labels.db"
    with LabelStore(path) as store:
        event = label(store, *range(12))[10]
        store.undo(event, annotator="a")
        with pytest.raises(NblabelError, match=rf"\b{event}\b"):
            store.undo(event, annotator="a")
        with pytest.raises(NblabelError, match=rf"\b{event}\b"):
            store.undo(event, annotator="someone else")
        assert store.current_label("t", 10, "a") is None
    assert undo_events(path) == {event: 1}


@pytest.mark.parametrize("stores", [1, 2])
def test_two_threads_undoing_one_event_exactly_one_succeeds(tmp_path, stores):
    path = tmp_path / "labels.db"
    opened = [LabelStore(path) for _ in range(stores)]
    events = label(opened[0], *range(30))
    outcomes: dict[int, list[str]] = {event: [] for event in events}

    def undo(store: LabelStore, event: int, start: threading.Barrier) -> None:
        start.wait()
        try:
            store.undo(event, annotator="a")
            outcomes[event].append("undone")
        except NblabelError:
            outcomes[event].append("refused")
        except Exception as exc:
            outcomes[event].append(repr(exc))

    try:
        for event in events:
            start = threading.Barrier(2)
            threads = [
                threading.Thread(target=undo, args=(opened[i % stores], event, start))
                for i in range(2)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        for store in opened:
            store.close()
    assert {event: sorted(o) for event, o in outcomes.items()} == {
        event: ["refused", "undone"] for event in events
    }
    assert undo_events(path) == dict.fromkeys(events, 1)


def test_two_processes_undoing_the_same_events_undo_each_once(tmp_path, spawn):
    path = tmp_path / "labels.db"
    with LabelStore(path) as store:
        events = label(store, *range(40))
    child = spawn("undo-race", path, *events)
    outcomes = child.json()
    child.finish()
    per_event = [sorted(pair) for pair in zip(*outcomes, strict=True)]
    assert per_event == [["refused", "undone"]] * len(events)
    assert undo_events(path) == dict.fromkeys(events, 1)
