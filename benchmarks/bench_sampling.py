"""Speed of nblabel.sample against a simple baseline measured in the same run.

Run alone: ``python benchmarks/bench_sampling.py`` (add ``--quick`` for small sizes).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from nblabel import sample

REPEATS = 3


def _median_s(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _row(
    name: str,
    nblabel_fn: Callable[[], object],
    baseline: str,
    baseline_fn: Callable[[], object],
    limit_s: float,
) -> dict:
    nblabel_s = _median_s(nblabel_fn)
    return {
        "name": name,
        "nblabel_s": nblabel_s,
        "baseline": baseline,
        "baseline_s": _median_s(baseline_fn),
        "target": f"< {limit_s:g} s",
        "passed": nblabel_s < limit_s,
    }


def _uncertainty_row(n_items: int) -> dict:
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(10), size=n_items)
    return _row(
        f"uncertainty margin, rank {n_items:,} items x 10 classes",
        lambda: sample.uncertainty(proba, strategy="margin"),
        "numpy argsort of max proba",
        lambda: np.argsort(proba.max(axis=1)),
        1.0,
    )


def _diverse_row(n_items: int, n: int = 200) -> dict:
    from sklearn.cluster import kmeans_plusplus

    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(n_items, 64))
    return _row(
        f"diverse k-center, {n} of {n_items:,} x 64",
        lambda: sample.diverse(embeddings, n=n, seed=0),
        f"sklearn kmeans_plusplus init (n={n})",
        lambda: kmeans_plusplus(embeddings, n_clusters=n, random_state=0),
        10.0,
    )


def _stratified_row(n_items: int) -> dict:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"source": rng.choice([f"s{i}" for i in range(10)], size=n_items)})
    n = n_items // 100
    return _row(
        f"stratified, {n:,} of {n_items:,} rows in 10 strata",
        lambda: sample.stratified(df, by="source", n=n, seed=0),
        "pandas groupby().sample(frac=0.01)",
        lambda: df.groupby("source").sample(frac=0.01, random_state=0),
        1.0,
    )


def _disagreement_row(n_items: int) -> dict:
    rng = np.random.default_rng(0)
    votes = pd.DataFrame(
        {
            "item": np.repeat(np.arange(n_items), 3),
            "annotator": np.tile(["ann", "bob", "cy"], n_items),
            "label": rng.choice(["pos", "neg", "neu"], size=3 * n_items),
        }
    )
    return _row(
        f"disagreement, {3 * n_items:,} votes on {n_items:,} items",
        lambda: sample.disagreement(votes),
        "pandas groupby(item).label.value_counts()",
        lambda: votes.groupby("item")["label"].value_counts(),
        2.0,
    )


def labels_to_reach(curve: pd.Series, accuracy: float) -> int:
    """The first k at which a learning curve reaches ``accuracy``."""
    return int(curve.index[(curve >= accuracy).to_numpy()].min())


def _active_learning_row(seeds: tuple[int, ...]) -> dict:
    """The point of active learning: labels needed to reach random order's final accuracy
    on scikit-learn's digits (labels answered by an oracle, averaged over seeds)."""
    curves = sample.simulate(strategies=("random", "margin"), seeds=seeds)
    target = curves["random"].iloc[-1]
    margin, random = labels_to_reach(curves["margin"], target), int(curves.index[-1])
    return {
        "name": f"labels to reach random order's final accuracy ({target:.1%}), digits",
        "nblabel_s": margin,
        "baseline": "random order",
        "baseline_s": random,
        "unit": "labels",
        "target": "fewer labels than random",
        "passed": margin < random,
    }


def run(quick: bool = False) -> list[dict]:
    """Time every sampler; ``quick=True`` uses sizes small enough for a test run."""
    scale = 10 if quick else 1
    return [
        _uncertainty_row(1_000_000 // scale),
        _diverse_row(100_000 // scale),
        _stratified_row(1_000_000 // scale),
        _disagreement_row(100_000 // scale),
        _active_learning_row((0,) if quick else (0, 1, 2)),
    ]


if __name__ == "__main__":
    rows = run(quick="--quick" in sys.argv)
    table = pd.DataFrame(rows).set_index("name")
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.round(4))
    sys.exit(0 if table["passed"].all() else 1)
