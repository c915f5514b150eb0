"""The other processes of ``test_store_abuse.py``: a kernel that labels and is killed, a user
with no write access, a disk that fills up, several kernels opening one store at once.

Run as ``python store_abuse_children.py ROLE ARGS...``. A child reports on stdout, one line per
step (``ready``, then JSON), and waits for a line on stdin where the test needs to act between its
steps. Where several processes must start at one moment, one child forks them behind a barrier.
It never decides whether the store behaved: the test does.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.synchronize import Barrier

import nblabel
from nblabel import LabelStore, NblabelError

LINUX_CAPABILITY_VERSION_3 = 0x20080522


def label_items(path: str | os.PathLike, *, elsewhere: bool = False) -> list:
    """Items of the label events in ``path`` (with its ``-wal``, if any), read by plain sqlite3.

    ``elsewhere=True`` reads from another process: needed while this process has the file open
    as a store, since closing any descriptor on it here would drop the store's locks.
    """
    if elsewhere:
        out = subprocess.run(
            [sys.executable, __file__, "read-items", os.fspath(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)
    db = sqlite3.connect(path)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "nblabel_events" not in tables:
            return []
        rows = db.execute("SELECT item FROM nblabel_events WHERE action = 'label' ORDER BY id")
        return [json.loads(item) for (item,) in rows]
    finally:
        db.close()


def say(value: object) -> None:
    print(value if isinstance(value, str) else json.dumps(value), flush=True)


def wait_for_line() -> None:
    if not sys.stdin.readline():
        raise SystemExit("the test closed stdin")


def error_of(exc: BaseException) -> dict:
    return {"type": type(exc).__name__, "message": str(exc)}


def descriptors_in(folder: str) -> list[str]:
    """The files in ``folder`` that this process has open."""
    inside = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if os.path.dirname(target) == folder:
            inside.append(os.path.basename(target))
    return inside


def drop_privileges() -> None:
    """Give up every capability, so that root obeys file permissions like any user.

    Root keeps its uid (the interpreter may live where only root can read) but loses
    CAP_DAC_OVERRIDE and the rest: a folder without ``w`` for its owner is then read-only.
    """

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.capset(ctypes.byref(Header(LINUX_CAPABILITY_VERSION_3, 0)), (Data * 2)()) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


# -- roles ------------------------------------------------------------------------------------
def two_stores_then_more(path: str) -> None:
    """Store A labels once, store B opens the same file; after the test's go, A labels 4 more."""
    a = LabelStore(path)
    a.append(task="t", item=0, annotator="a", label="x")
    b = LabelStore(path)
    say("ready")
    wait_for_line()  # meanwhile another process opens, reads and closes the file
    for item in range(1, 5):
        a.append(task="t", item=item, annotator="a", label="x")
    say({"acknowledged": 5, "b_open": b.path.name})
    wait_for_line()  # killed here


def label_then_idle(path: str, n: str) -> None:
    store = LabelStore(path)
    for item in range(int(n)):
        store.append(task="t", item=item, annotator="a", label=f"label {item}")
    say("labeled")
    wait_for_line()  # killed here


def label_then_exit(path: str, n: str) -> None:
    store = LabelStore(path)  # never closed: the interpreter exits with it open
    for item in range(int(n)):
        store.append(task="t", item=item, annotator="a", label=f"label {item}")


def counted(status) -> dict:
    """A status's ``done, claimed, left`` by row, as JSON can carry them."""
    return status.frame[["done", "claimed", "left"]].astype(int).to_dict("index")


def read_only(path: str, drop: str) -> None:
    if drop == "drop":
        try:
            drop_privileges()
        except OSError as exc:
            say({"skip": f"cannot give up root's capabilities: {exc}"})
            return
    report: dict = {
        "folder_writable": os.access(os.path.dirname(path), os.W_OK),
        "db_writable": os.access(path, os.W_OK),
    }
    try:
        store = LabelStore(path)
    except Exception as exc:
        report["open_error"] = error_of(exc)
        say(report)
        return
    for name, step in [
        ("read_only", lambda: store.read_only),
        ("items", lambda: store.annotations(task="t")["item"].tolist()),
        # a lead who may only read the team's file still sees how far it is
        ("status", lambda: counted(nblabel.status(store, "t"))),
        ("appended", lambda: store.append(task="t", item=99, annotator="a", label="x")),
        ("appended_again", lambda: store.append(task="t", item=98, annotator="a", label="x")),
        ("items_after", lambda: store.annotations(task="t")["item"].tolist()),
    ]:
        try:
            report[name] = step()
        except Exception as exc:
            report[name + "_error"] = error_of(exc)
    store.close()
    say(report)


def full_disk(folder: str, *limits: str) -> None:
    """Create a new store under each file size limit (a disk that is full after so many bytes),
    each in a folder of its own."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    reports = []
    for limit in map(int, limits):
        where = os.path.join(folder, f"limit-{limit}")
        os.mkdir(where)
        path = os.path.join(where, "labels.db")
        report: dict = {"limit": limit}
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        try:
            LabelStore(path).append(task="t", item=1, annotator="a", label="x")
            report["created"] = True
        except Exception as exc:
            report["error"] = error_of(exc)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        # right after the failure, before any garbage collection
        report["files_left"] = sorted(os.listdir(where))
        report["open_descriptors"] = descriptors_in(where)
        # the disk has room again: the same path makes a store
        try:
            with LabelStore(path) as store:
                store.append(task="t", item=2, annotator="a", label="y")
                report["items_after"] = store.annotations()["item"].tolist()
        except Exception as exc:
            report["error_after"] = error_of(exc)
        reports.append(report)
    say(reports)


def in_processes(n: int, work: Callable, *args: object) -> list:
    """Run ``work(worker, start, *args)`` in ``n`` forked processes; what each returned.

    This process imported nblabel once and runs no thread, so forking it is safe and quick;
    the workers meet at ``start`` (a barrier) to begin each step together.
    """
    context = multiprocessing.get_context("fork")
    start = context.Barrier(n, timeout=60)  # a worker that died breaks it, none hangs
    results = context.Queue()

    def run(worker: int) -> None:
        try:
            results.put((worker, work(worker, start, *args)))
        except BaseException as exc:
            results.put((worker, error_of(exc)))
            raise

    processes = [context.Process(target=run, args=(worker,)) for worker in range(n)]
    for process in processes:
        process.start()
    returned = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join()
    return [returned[worker] for worker in range(n)]


def open_and_label(worker: int, start: Barrier, folder: str, rounds: int) -> list[dict]:
    reports = []
    for r in range(rounds):
        start.wait()
        report: dict = {"round": r, "worker": worker}
        try:
            with LabelStore(os.path.join(folder, f"new-{r}.db")) as store:
                report["event"] = store.append(task="t", item=worker, annotator="a", label="x")
        except Exception as exc:
            report["error"] = error_of(exc)
        reports.append(report)
    return reports


def open_at_once(folder: str, workers: str, rounds: str) -> None:
    """Several processes open the same new store at the same moment and label once, each round
    a new file."""
    say(in_processes(int(workers), open_and_label, folder, int(rounds)))


def undo_each(worker: int, start: Barrier, path: str, event_ids: list[int]) -> list[str]:
    outcomes = []
    with LabelStore(path) as store:
        for event_id in event_ids:
            start.wait()  # both processes undo this event at the same moment
            try:
                store.undo(event_id, annotator=f"worker {worker}")
                outcomes.append("undone")
            except NblabelError:
                outcomes.append("refused")
            except Exception as exc:
                outcomes.append(f"{type(exc).__name__}: {exc}")
    return outcomes


def undo_race(path: str, *event_ids: str) -> None:
    """Two processes undo the same events, each at the same moment."""
    say(in_processes(2, undo_each, path, [int(e) for e in event_ids]))


def read_items(path: str) -> None:
    say(label_items(path))


ROLES = {
    "read-items": read_items,
    "two-stores-then-more": two_stores_then_more,
    "label-then-idle": label_then_idle,
    "label-then-exit": label_then_exit,
    "read-only": read_only,
    "full-disk": full_disk,
    "open-at-once": open_at_once,
    "undo-race": undo_race,
}

if __name__ == "__main__":
    ROLES[sys.argv[1]](*sys.argv[2:])
