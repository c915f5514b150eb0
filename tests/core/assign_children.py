"""One annotator's kernel for the concurrency tests of ``test_assign.py``: claims batches of
a task from a shared store and labels them at full speed until nothing is left.

Usage: ``assign_children.py STORE TASK ANNOTATOR ITEMS OVERLAP BATCH TIMEOUT [STALL]``. It puts
``range(ITEMS)`` up for assignment, prints ``ready`` and waits for a line on stdin (so that
every annotator starts at once), then labels. With ``STALL``, it labels that many items, prints
``stalled`` with its open claims and waits to be killed, holding a batch half done.
"""

from __future__ import annotations

import json
import sys
import time

import nblabel


def retried(call, *args, **kwargs):
    """``call``, again while the store cannot be reached (as a widget resends a pending label
    until the server is back)."""
    for _ in range(600):
        try:
            return call(*args, **kwargs)
        except nblabel.StoreError:
            time.sleep(0.05)
    return call(*args, **kwargs)


def main() -> None:
    where, task, annotator = sys.argv[1:4]
    items, overlap, batch = map(int, sys.argv[4:7])
    timeout = float(sys.argv[7])
    stall = int(sys.argv[8]) if len(sys.argv) > 8 else None
    plan = nblabel.Assignment(overlap=overlap, batch=batch, claim_timeout=timeout)
    store = nblabel.LabelStore(where)
    store.add_items(task, range(items), overlap=overlap)
    print("ready", flush=True)
    sys.stdin.readline()
    labeled, claims, polling, claiming = 0, 0, 0.0, 0.0
    start = time.monotonic()
    deadline = start + 120
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        batch_items = retried(plan.claim, store, task, annotator)
        claiming += time.monotonic() - t0
        claims += 1
        if not batch_items:
            t0 = time.monotonic()
            finished = retried(store.slots, task)["done"].all()
            polling += time.monotonic() - t0
            if finished:
                break
            time.sleep(0.05)  # what is left is claimed by others: their claims may lapse
            continue
        for item in batch_items:
            if stall is not None and labeled == stall:
                print(json.dumps({"stalled": batch_items}), flush=True)
                time.sleep(600)
            retried(store.append, task=task, item=item, annotator=annotator, label=item % 3)
            labeled += 1
    took = {"s": time.monotonic() - start, "claiming_s": claiming, "polling_s": polling}
    print(json.dumps({"labeled": labeled, "claims": claims, **took}), flush=True)
    store.close()


if __name__ == "__main__":
    main()
