"""Consensus labels: majority vote with explicit tie rules, Dawid–Skene, reviews first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nblabel import LabelStore, NblabelError, NblabelWarning
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
    with pytest.raises(NblabelError, match="method="):
        consensus(WIDE, method="vote")
    with pytest.raises(NblabelError, match="tie="):
        consensus(WIDE, tie="last")


# -- Dawid–Skene: convergence, and accuracy against a reference implementation ----------------
#
# crowd-kit (the usual reference) pulls in transformers and pyarrow, so it is not a test
# dependency; instead ``_reference_dawid_skene`` is a direct, dense transcription of Dawid &
# Skene (1979): one-hot ratings (items × annotators × labels), M-step and E-step as written in
# the paper, started from majority-vote shares, as crowd-kit's ``DawidSkene`` does.


def _reference_dawid_skene(votes: np.ndarray, k: int, smoothing: float, tol: float = 1e-9,
                           max_iter: int = 100_000) -> np.ndarray:
    """Posterior (items × labels) for ``votes`` (items × annotators, -1 = missing)."""
    onehot = (votes[:, :, None] == np.arange(k)).astype(float)  # T_ijl
    shares = onehot.sum(axis=1)
    total = shares.sum(axis=1, keepdims=True)
    post = np.where(total > 0, shares / np.maximum(total, 1), 1 / k)
    floor = 1e-300  # only guards log(0) when smoothing is 0, as crowd-kit clips
    for _ in range(max_iter):
        prior = (post.sum(axis=0) + smoothing) / (len(post) + smoothing * k)
        # pi[j, true, given] = Σ_i post[i, true] T_ij,given, normalised per true label
        pi = np.einsum("it,ijg->jtg", post, onehot) + smoothing
        pi /= pi.sum(axis=2, keepdims=True)
        log_like = np.einsum("ijg,jtg->it", onehot, np.log(np.maximum(pi, floor)))
        log_post = np.log(prior) + log_like
        new = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        new /= new.sum(axis=1, keepdims=True)
        done = np.abs(new - post).max() < tol
        post = new
        if done:
            break
    return post


def _crowd(seed: int, n: int = 1500, k: int = 4, swap: bool = False) -> tuple[pd.DataFrame,
                                                                            np.ndarray]:
    """Annotators with their own confusion matrices, 30% of ratings missing; with ``swap``
    two of them systematically swap labels 0 and 1."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(k, size=n, p=[0.4, 0.3, 0.2, 0.1][:k])
    columns = {}
    for j, accuracy in enumerate([0.85, 0.7, 0.6, 0.55, 0.5, 0.45, 0.4]):
        confusion = rng.dirichlet(np.ones(k), size=k) * (1 - accuracy) + np.eye(k) * accuracy
        if swap and j in (1, 2):
            confusion = confusion[:, [1, 0, 2, 3][:k]]
        given = (rng.random(n)[:, None] > np.cumsum(confusion[truth], axis=1)).sum(axis=1)
        given = np.minimum(given, k - 1).astype(float)
        given[rng.random(n) < 0.3] = np.nan
        columns[f"ann{j}"] = given
    return pd.DataFrame(columns), truth


@pytest.mark.parametrize(("seed", "swap"), [(0, False), (1, False), (2, True), (3, True)])
def test_dawid_skene_matches_the_reference_and_its_accuracy(seed, swap) -> None:
    wide, truth = _crowd(seed, swap=swap)
    votes = np.nan_to_num(wide.to_numpy(), nan=-1).astype(int)
    result = dawid_skene(wide, tol=1e-9)
    assert result.converged
    expected = _reference_dawid_skene(votes, 4, smoothing=0.01)
    np.testing.assert_allclose(result.posterior.to_numpy(), expected, atol=1e-6)
    ours = (result.posterior.to_numpy().argmax(axis=1) == truth).mean()
    # without smoothing (crowd-kit's variant) the accuracy is the same to within 1%
    plain = (_reference_dawid_skene(votes, 4, smoothing=0.0).argmax(axis=1) == truth).mean()
    assert ours == pytest.approx(plain, abs=0.01)
    majority = (consensus(wide)["label"].to_numpy(dtype=float) == truth).mean()
    assert ours > majority


def test_dawid_skene_runs_to_convergence_by_default() -> None:
    wide, _ = _simulated(seed=0, n=1000)
    result = dawid_skene(wide)
    # this data needs more than 100 iterations (the old fixed limit) to converge
    assert result.converged and result.n_iter > 100
    table = consensus(wide, method="dawid-skene")
    assert table.attrs["n_iter"] == result.n_iter and table.attrs["converged"] is True


def test_dawid_skene_warns_when_it_stops_early() -> None:
    wide, _ = _simulated(seed=0, n=1000)
    with pytest.warns(NblabelWarning, match="stopped after 10 iterations.*max_iter"):
        result = dawid_skene(wide, max_iter=10)
    assert result.n_iter == 10 and not result.converged
    with pytest.warns(NblabelWarning, match="stopped after 5 iterations"):
        table = consensus(wide, method="dawid-skene", max_iter=5)
    assert table.attrs["n_iter"] == 5 and table.attrs["converged"] is False


@pytest.mark.parametrize(
    ("options", "message"),
    [({"max_iter": 0}, "max_iter=0"), ({"max_iter": 2.5}, "max_iter=2.5"),
     ({"max_iter": "10"}, "max_iter='10'"), ({"tol": 0}, "tol=0"), ({"tol": "small"}, "tol="),
     ({"smoothing": -1}, "smoothing=-1")],
)
def test_dawid_skene_option_errors_name_the_option(options, message) -> None:
    wide, _ = _simulated(seed=0, n=20)
    with pytest.raises(NblabelError, match=message):
        dawid_skene(wide, **options)
