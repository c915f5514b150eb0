"""A team at full speed: 8 annotator processes claim batches and label a task with overlap 2,
on SQLite (one file) and on PostgreSQL; sustained labels per second and the p95 latency of a
claim. Baseline, in the same run: 8 processes running a plain autocommit ``INSERT`` loop of
as many rows into a bare table of the same engine (no claims, no checks).

PostgreSQL is the server ``NBLABEL_BENCH_POSTGRES_URL`` names, else a throwaway one started
on loopback the way the tests start theirs (``tests/postgres_server.py``); without either,
the PostgreSQL rows are left out.

Run alone: ``python benchmarks/bench_team.py [--quick]``.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nblabel

WRITERS = 8
OVERLAP = 2
BATCH = 20
_PLAIN = "INSERT INTO plain_events (item, annotator, label, created_at) VALUES (?, ?, ?, ?)"


def _annotate(where: str, name: str, n_items: int, start_at: float, out) -> None:
    store = nblabel.LabelStore(where)
    plan = nblabel.Assignment(overlap=OVERLAP, batch=BATCH, claim_timeout=600)
    while time.time() < start_at:
        time.sleep(0.001)
    claims, labeled = [], 0
    while True:
        t0 = time.perf_counter()
        items = plan.claim(store, "t", name)
        claims.append(time.perf_counter() - t0)
        if not items:
            break  # at full speed, nobody leaves claims to lapse: empty means done
        for item in items:
            store.append(task="t", item=item, annotator=name, label=item % 3)
            labeled += 1
    out.put((labeled, claims, time.time()))
    store.close()


def _insert_loop(where: str, rows: int, start_at: float, out) -> None:
    if where.startswith("postgresql://"):
        import psycopg

        db = psycopg.connect(where, autocommit=True)
        sql = _PLAIN.replace("?", "%s")
    else:
        db = sqlite3.connect(where, isolation_level=None, timeout=60)
        db.execute("PRAGMA synchronous=NORMAL")  # as the store commits in WAL mode
        sql = _PLAIN
    while time.time() < start_at:
        time.sleep(0.001)
    for i in range(rows):
        db.execute(sql, (str(i), "plain", '"x"', time.time()))
    db.close()
    out.put((rows, [], time.time()))


def _race(target, args_of, count: int) -> tuple[int, list[float], float]:
    """Start ``count`` processes together; total rows, all claim latencies, wall seconds."""
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start_at = time.time() + 1.0 + 0.2 * count  # every process is up before it starts
    processes = [context.Process(target=target, args=(*args_of(i), start_at, out))
                 for i in range(count)]  # fmt: skip
    for p in processes:
        p.start()
    results = [out.get(timeout=600) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    done = sum(r[0] for r in results)
    claims = [c for r in results for c in r[1]]
    return done, claims, max(r[2] for r in results) - start_at


def _engine_rows(label: str, where: str, plain_where: str, n_items: int) -> list[dict]:
    with nblabel.LabelStore(where) as store:
        store.add_items("t", range(n_items), overlap=OVERLAP)
    labels, claims, seconds = _race(
        _annotate, lambda i: (where, f"a{i}", n_items), WRITERS
    )
    if labels != n_items * OVERLAP:
        raise AssertionError(f"{label}: {labels:,} labels, {n_items * OVERLAP:,} wanted")
    rows_each = n_items * OVERLAP // WRITERS
    plain, _, plain_seconds = _race(_insert_loop, lambda i: (plain_where, rows_each), WRITERS)
    rate, plain_rate = labels / seconds, plain / plain_seconds
    p95 = statistics.quantiles(claims, n=20)[-1]
    return [
        {
            "name": f"labels/s, {WRITERS} annotator processes, {n_items:,} items × overlap "
                    f"{OVERLAP}, batches of {BATCH}, {label}",
            "nblabel_s": round(rate),
            "unit": "labels/s",
            "baseline": f"{WRITERS} processes, plain autocommit INSERT loop ({label})",
            "baseline_s": round(plain_rate),
            "target": "≥ 100 labels/s",
            "passed": rate >= 100,
        },
        {
            "name": f"claim of a batch of {BATCH}, p95, {WRITERS} annotators at once, {label}",
            "nblabel_s": p95,
            "baseline": "median claim",
            "baseline_s": statistics.median(claims),
            "target": "≤ 100 ms",
            "passed": p95 <= 0.1,
        },
    ]  # fmt: skip


def _postgres(stack: list):
    """A PostgreSQL URL (and the server to stop), or None."""
    given = os.environ.get("NBLABEL_BENCH_POSTGRES_URL")
    if given:
        return given
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    try:
        import postgres_server

        server = postgres_server.Server()
    except Exception as exc:  # no server binaries here: leave the rows out, say why
        print(f"  no PostgreSQL for bench_team: {exc}", file=sys.stderr)
        return None
    stack.append(server)
    return server.url


def run(quick: bool = False) -> list[dict]:
    n_items = 400 if quick else 2_000
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "team.db")
        plain = str(Path(tmp) / "plain.db")
        db = sqlite3.connect(plain)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE plain_events (id INTEGER PRIMARY KEY, item TEXT, annotator TEXT,"
                   " label TEXT, created_at REAL)")  # fmt: skip
        db.close()
        rows += _engine_rows("SQLite", store, plain, n_items)
    servers: list = []
    try:
        url = _postgres(servers)
        if url is not None:
            import psycopg

            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute("DROP SCHEMA IF EXISTS nblabel_bench CASCADE")
                admin.execute("CREATE SCHEMA nblabel_bench")
                admin.execute(
                    "CREATE TABLE nblabel_bench.plain_events (id BIGSERIAL PRIMARY KEY,"
                    " item TEXT, annotator TEXT, label TEXT, created_at DOUBLE PRECISION)"
                )
            sep = "&" if "?" in url else "?"
            in_schema = f"{url}{sep}options=-csearch_path%3Dnblabel_bench"
            label = "PostgreSQL" if servers == [] else "PostgreSQL on loopback, fsync off"
            rows += _engine_rows(label, in_schema, in_schema, n_items)
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute("DROP SCHEMA nblabel_bench CASCADE")
    finally:
        for server in servers:
            server.stop()
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
