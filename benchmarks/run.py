"""Run nblabel's benchmarks and print one table, each result beside a baseline measured in
the same run.

    python benchmarks/run.py            # everything (a few minutes on 2 cores)
    python benchmarks/run.py --quick    # small sizes, a smoke test
    python benchmarks/run.py core       # only benchmarks/bench_core.py

Each ``bench_*.py`` defines ``run(quick: bool) -> list[dict]`` with rows of: ``name``,
``nblabel_s`` and ``baseline_s`` (medians; seconds unless ``unit`` says otherwise),
``baseline`` (what was measured beside it), ``target`` and ``passed``.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def fmt(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "–"
    if unit != "s":
        return f"{value:g} {unit}"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="names of benchmarks to run (core, agreement, ...)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args(argv)
    files = sorted(HERE.glob("bench_*.py"))
    if args.only:
        files = [f for f in files if f.stem.removeprefix("bench_") in args.only]
    rows = []
    for path in files:
        started = time.perf_counter()
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        for row in load(path).run(quick=args.quick):
            rows.append({"suite": path.stem.removeprefix("bench_"), **row})
        print(f"  {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print(
        f"\nnblabel benchmarks · Python {platform.python_version()} · {platform.machine()}"
        f"{' · quick' if args.quick else ''}\n"
    )
    print("| suite | benchmark | nblabel | baseline | baseline value | ratio | target | ok |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        unit = row.get("unit", "s")
        ours, theirs = row.get("nblabel_s"), row.get("baseline_s")
        ratio = f"{theirs / ours:.1f}×" if ours and theirs and unit == "s" else "–"
        print(
            f"| {row['suite']} | {row['name']} | {fmt(ours, unit)} | {row.get('baseline', '–')} "
            f"| {fmt(theirs, unit)} | {ratio} | {row.get('target', '')} "
            f"| {'yes' if row.get('passed') else 'NO'} |"
        )
    print("\nratio = baseline / nblabel (higher is better for nblabel); medians of repeated runs.")
    return 0 if all(r.get("passed") for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
