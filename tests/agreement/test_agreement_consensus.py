"""Consensus labels: majority vote with explicit tie rules, Dawid–Skene, reviews first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nblabel import LabelStore, NblabelError
from nblabel._consensus import consensus, dawid_skene

WIDE = pd.DataFrame(
    {"a": ["x", "x", "y", None], "b": ["x", "y", "z", None], "c": ["y", None, None, None]},
    index=pd.Index(["i1", "i2", "i3", "i4"], name="item"),
)


def test_majority_vote_columns_and_confidence() -> None:
    result = consensus(WIDE)
    assert list(result.columns) == ["label", "confidence", "method", "n_ratings"]
    assert result.index.name == "item"
    assert result.loc["i1"].tolist() == ["x", pytest.approx(2 / 3), "majority", 3]
    assert result.loc["i4", "n_ratings"] == 0 and pd.isna(result.loc["i4", "label"])


def test_tie_rules() -> None:
    # i2: x vs y, i3: y vs z -- "first" takes the first tied label in labels= order
    assert consensus(WIDE, tie="first").loc[["i2", "i3"], "label"].tolist() == ["x", "y"]
    reordered = consensus(WIDE, tie="first", labels=["z", "y", "x"])
    assert reordered.loc[["i2", "i3"], "label"].tolist() == ["y", "z"]
    none = consensus(WIDE, tie="none")
    assert none.loc[["i2", "i3"], "label"].isna().all() and none.loc["i1", "label"] == "x"
    assert none.loc["i2", "confidence"] == pytest.approx(0.5)


def test_random_ties_are_seeded() -> None:
    many = pd.DataFrame({"a": ["x"] * 200, "b": ["y"] * 200})
    first = consensus(many, tie="random", seed=1)["label"]
    assert first.equals(consensus(many, tie="random", seed=1)["label"])
    assert not first.equals(consensus(many, tie="random", seed=2)["label"])
    assert 60 < (first == "x").sum() < 140  # both tied labels are drawn


def test_reviews_override_with_a_store(tmp_path, append_wide) -> None:
    with LabelStore(tmp_path / "c.db") as store:
        append_wide(store, WIDE, "t")
        store.append(task="t", item="i2", annotator="rev", label="z", source="review")
        store.append(task="t", item="i2", annotator="rev2", label="y", source="review")
        store.append(task="t", item="i9", annotator="rev", label="x", source="review")
        store.append(task="t", item="i1", annotator="m", label="z", source="model")
        result = consensus(store, task="t")
        assert result.loc["i2"].tolist() == ["y", 1.0, "review", 2]  # the newest review wins
        assert result.loc["i9"].tolist() == ["x", 1.0, "review", 0]  # reviewed, never labelled
        assert result.loc["i1", "label"] == "x"  # model pre-labels are not votes
        ignored = consensus(store, task="t", use_review=False)
        assert ignored.loc["i2", "method"] == "majority" and "i9" not in ignored.index
        ds = consensus(store, task="t", method="dawid-skene")
        assert ds.loc["i2", "method"] == "review" and "confusion" in ds.attrs


def _simulated(seed: int = 0, n: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    """One careful annotator, two mediocre ones and two who answer at random."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    columns = {}
    for name, accuracy in [("good", 0.95), ("ok1", 0.6), ("ok2", 0.6), ("rnd1", 0.0),
                           ("rnd2", 0.0)]:
        correct = rng.random(n) < accuracy
        columns[name] = np.where(correct, truth, rng.integers(0, 3, n))
    return pd.DataFrame(columns), truth


def test_dawid_skene_beats_majority_when_annotators_differ() -> None:
    wide, truth = _simulated()
    majority = consensus(wide)["label"].to_numpy(dtype=float)
    ds = consensus(wide, method="dawid-skene")
    assert (ds["method"] == "dawid-skene").all()
    ds_accuracy = (ds["label"].to_numpy(dtype=float) == truth).mean()
    assert ds_accuracy > (majority == truth).mean() + 0.05
    assert ds_accuracy > 0.9
    assert ds["confidence"].between(0, 1).all()
    good = ds.attrs["confusion"]["good"]
    assert good[0][0] > 0.9 and ds.attrs["confusion"]["rnd1"][0][0] < 0.5


def test_dawid_skene_result() -> None:
    wide, _ = _simulated(seed=1, n=100)
    result = dawid_skene(wide)
    assert result.converged and result.n_iter > 1
    np.testing.assert_allclose(result.posterior.sum(axis=1), 1.0)
    for table in result.confusion.values():
        np.testing.assert_allclose(table.sum(axis=1), 1.0)
    assert list(result.confusion) == ["good", "ok1", "ok2", "rnd1", "rnd2"]
    assert result.prior.sum() == pytest.approx(1.0)
    again = dawid_skene(wide)
    pd.testing.assert_frame_equal(result.posterior, again.posterior)


def test_bad_options() -> None:
    with pytest.raises(NblabelError, match="unknown method"):
        consensus(WIDE, method="vote")
    with pytest.raises(NblabelError, match="unknown tie"):
        consensus(WIDE, tie="last")
