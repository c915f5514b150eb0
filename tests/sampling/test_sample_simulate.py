"""The point of active learning, measured: fewer labels for the same accuracy."""

from __future__ import annotations

import pytest

from nblabel import NblabelError
from nblabel.sample import simulate


def labels_needed(curve, target):
    """The smallest k whose accuracy reaches ``target``."""
    reached = curve[curve >= target]
    return int(reached.index[0]) if len(reached) else None


def test_margin_ordering_reaches_random_final_accuracy_with_fewer_labels():
    # k in steps of 20 keeps this near 10 s of CPU (budget: 30 s)
    curves = simulate(strategies=("random", "margin"), ks=range(20, 301, 20), seeds=(0, 1, 2))
    assert list(curves.columns) == ["random", "margin"]
    assert curves.index.name == "k" and curves.index[-1] == 300
    target = curves["random"].iloc[-1]
    assert target > 0.9  # the model learns at all
    needed = labels_needed(curves["margin"], target)
    assert needed is not None and needed <= 0.7 * 300, curves


def test_simulate_takes_own_data_and_small_runs():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    curves = simulate(X, y, strategies=["diverse", "entropy"], ks=[5, 20, 500], seeds=[0])
    assert curves.index.tolist() == [5, 20, 105]  # k is capped at the pool size
    assert ((curves >= 0) & (curves <= 1)).all().all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategies": ["oracle"]}, "unknown strategy 'oracle'"),
        ({"X": [[0.0]]}, "both X and y"),
        ({"ks": []}, "at least one k"),
    ],
)
def test_simulate_refuses_bad_input(kwargs, message):
    with pytest.raises(NblabelError, match=message):
        simulate(**kwargs)
