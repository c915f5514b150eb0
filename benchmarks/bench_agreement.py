"""Benchmark: Krippendorff's alpha, nblabel vs the ``krippendorff`` package, same data, same run.

5 annotators × 1,000,000 items, 10% of ratings missing; nominal labels from 5 categories and
interval scores on a 1–7 scale. Each side gets the layout it expects: nblabel a wide DataFrame
(items × annotators), ``krippendorff.alpha`` an annotators × items float array. Both results are
checked to agree before timings count.

Run alone: ``python benchmarks/bench_agreement.py [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from functools import partial
from importlib.metadata import version

import numpy as np
import pandas as pd

from nblabel.agreement import krippendorff_alpha

TARGET_SPEEDUP = 10.0


def _data(n_items: int, n_annotators: int, n_values: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, n_values + 1, n_items)
    noise = rng.random((n_items, n_annotators)) < 0.3
    values = np.where(noise, rng.integers(1, n_values + 1, (n_items, n_annotators)),
                      truth[:, None]).astype(float)
    values[rng.random(values.shape) < 0.10] = np.nan
    return pd.DataFrame(values, columns=[f"annotator_{j}" for j in range(n_annotators)])


def _median_seconds(fn, repeats: int) -> tuple[float, float]:
    result = fn()  # warm-up, untimed: first touches of fresh memory cost page faults
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), float(result)


def run(quick: bool = False) -> list[dict]:
    """Rows of ``name, nblabel_s, baseline, baseline_s, target, passed`` (medians of ≥ 3 runs)."""
    import krippendorff

    n_items = 20_000 if quick else 1_000_000
    repeats = 3 if quick else 5
    baseline = f"krippendorff {version('krippendorff')}"
    rows = []
    for level, n_values in (("nominal", 5), ("interval", 7)):
        wide = _data(n_items, 5, n_values, seed=0)
        reliability = wide.to_numpy().T.copy()
        ours_s, ours = _median_seconds(partial(krippendorff_alpha, wide, level=level), repeats)
        theirs_s, theirs = _median_seconds(
            partial(krippendorff.alpha, reliability_data=reliability, level_of_measurement=level),
            repeats,
        )
        if abs(ours - theirs) > 1e-9:
            raise AssertionError(f"{level}: nblabel {ours!r} != krippendorff {theirs!r}")
        rows.append({
            "name": f"krippendorff_alpha {level}, 5 annotators × {n_items:,} items, 10% missing",
            "nblabel_s": ours_s,
            "baseline": baseline,
            "baseline_s": theirs_s,
            "target": f"≥{TARGET_SPEEDUP:g}× faster",
            "passed": theirs_s >= TARGET_SPEEDUP * ours_s,
        })
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        speedup = row["baseline_s"] / row["nblabel_s"]
        print(f"{row['name']}: nblabel {row['nblabel_s']:.3f} s, {row['baseline']} "
              f"{row['baseline_s']:.3f} s ({speedup:.1f}×, target {row['target']}) "
              f"{'PASS' if row['passed'] else 'FAIL'}")
