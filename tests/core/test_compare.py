"""Compare labels name candidates, never sides: the checks of a comparison's arguments and
labels, the seeded screen order, rationale modes, and position bias measured from the store."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel import NblabelError, agreement
from nblabel._checks import check_rationale, required_rationale
from nblabel._compare import CompareLabel, Comparison

PAIR = Comparison.build(["answer_a", "answer_b"], extra_choices=["tie", "both bad"])
FOUR = Comparison.build(["m1", "m2", "m3", "m4"], rank=True)
SCORED = Comparison.build(["a", "b"], criteria=["helpful", "correct"], scale=range(1, 4))


# -- arguments -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"candidates": "answer_a"}, r"candidates= must be a list of names"),
        ({"candidates": ["only"]}, r"candidates= gives 1 name: give at least 2"),
        ({"candidates": ["a", "a"]}, r"candidates= lists 'a' more than once"),
        ({"candidates": ["a", 3]}, r"candidates= holds 3: each entry must be a non-empty name"),
        ({"candidates": ["a", " "]}, r"non-empty name"),
        ({"candidates": ["a", "b"], "extra_choices": ["a"]}, r"also a candidate column"),
        ({"candidates": ["a", "b"], "extra_choices": "tie"}, r"extra_choices= must be a list"),
        ({"candidates": ["a", "b"], "rank": "yes"}, r"rank= must be True or False"),
        ({"candidates": ["a", "b"], "criteria": ["x", "x"]}, r"criteria= lists 'x' more than"),
        ({"candidates": ["a", "b"], "scale": range(0, 11)}, r"scores from 0 to 9"),
        ({"candidates": ["a", "b"], "scale": "12345"}, r"scale= must be a range"),
        ({"candidates": ["a", "b"], "seed": None}, r"seed= must be a whole number"),
    ],
)
def test_bad_arguments_are_refused_naming_the_argument(kwargs, message):
    candidates = kwargs.pop("candidates")
    with pytest.raises(NblabelError, match=message):
        Comparison.build(candidates, **kwargs)


# -- labels ----------------------------------------------------------------------------------
def test_a_choice_is_a_candidate_name_or_an_extra_choice():
    assert PAIR.check("answer_b") == CompareLabel("answer_b")
    assert PAIR.check("tie") == CompareLabel("tie", extra=True)
    assert PAIR.check("answer_b").winner == "answer_b"
    assert PAIR.check("both bad").winner is None


@pytest.mark.parametrize("side", ["left", "right", "A", 0, 1, "1"])
def test_a_side_or_position_is_refused_with_the_way_to_name_a_candidate(side):
    with pytest.raises(NblabelError, match=r"never a side or position.*w\.shown"):
        PAIR.check(side)


def test_a_ranking_where_one_choice_is_expected_and_the_reverse():
    with pytest.raises(NblabelError, match=r"this comparison picks one candidate.*rank=True"):
        PAIR.check(["answer_a", "answer_b"])
    with pytest.raises(NblabelError, match=r"rank=True: give the ranking of all 4 candidates"):
        FOUR.check("m3")


def test_a_ranking_names_every_candidate_once_best_first():
    assert FOUR.check(("m3", "m1", "m2", "m4")) == CompareLabel(["m3", "m1", "m2", "m4"])
    assert FOUR.check(["m3", "m1", "m2", "m4"]).winner == "m3"
    with pytest.raises(NblabelError, match=r"leaves out 'm4'"):
        FOUR.check(["m3", "m1", "m2"])
    with pytest.raises(NblabelError, match=r"lists 'm1' twice"):
        FOUR.check(["m1", "m1", "m2", "m3"])
    with pytest.raises(NblabelError, match=r"names 'm9', which is not a candidate"):
        FOUR.check(["m9", "m1", "m2", "m3"])


def test_scores_per_candidate_and_criterion():
    full = {"b": {"correct": 3, "helpful": 1}, "a": {"helpful": 2, "correct": 2}}
    label = SCORED.check("a", full)
    # stored in candidate and criterion order, whatever order they were given in
    assert label.scores == {"a": {"helpful": 2, "correct": 2}, "b": {"helpful": 1, "correct": 3}}
    assert list(label.scores["b"]) == ["helpful", "correct"]
    with pytest.raises(NblabelError, match=r"criteria= asks a score for each candidate"):
        SCORED.check("a")
    with pytest.raises(NblabelError, match=r"lacks 'correct' for 'b'"):
        SCORED.check("a", {"a": {"helpful": 1, "correct": 1}, "b": {"helpful": 1}})
    with pytest.raises(NblabelError, match=r"\['a'\]\['helpful'\] is 4: give a score from 1 to 3"):
        SCORED.check("a", {"a": {"helpful": 4, "correct": 1}, "b": {"helpful": 1, "correct": 1}})
    with pytest.raises(NblabelError, match=r"names the criterion 'fun'"):
        SCORED.check("a", {"a": {"fun": 1}})
    with pytest.raises(NblabelError, match=r"scores= names 'left', which is not a candidate"):
        SCORED.check("a", {"left": {"helpful": 1}})
    with pytest.raises(NblabelError, match=r"this comparison has no criteria"):
        PAIR.check("tie", {"answer_a": {"x": 1}})


def test_meta_holds_the_screen_order_and_the_scores():
    full = {"a": {"helpful": 2, "correct": 2}, "b": {"helpful": 1, "correct": 3}}
    assert SCORED.meta(SCORED.check("b", full), ["b", "a"]) == {"shown": ["b", "a"], "scores": full}
    assert PAIR.meta(PAIR.check("tie"), ["answer_b", "answer_a"]) == {
        "shown": ["answer_b", "answer_a"]
    }


# -- screen order ----------------------------------------------------------------------------
def test_the_screen_order_is_a_seeded_shuffle_per_annotator_and_item():
    orders = [tuple(FOUR.shown("t", "alice", item)) for item in range(400)]
    assert all(sorted(o) == ["m1", "m2", "m3", "m4"] for o in orders)
    assert orders == [tuple(FOUR.shown("t", "alice", item)) for item in range(400)]  # stable
    firsts = np.array([o[0] for o in orders])
    counts = [int((firsts == m).sum()) for m in FOUR.candidates]
    assert min(counts) > 60, counts  # each candidate leads about a quarter of the time
    assert [FOUR.shown("t", "bob", i) for i in range(20)] != [orders[i] for i in range(20)]
    reseeded = Comparison.build(FOUR.candidates, rank=True, seed=1)
    assert [tuple(reseeded.shown("t", "alice", i)) for i in range(20)] != orders[:20]


@settings(max_examples=50, deadline=None)
@given(st.one_of(st.integers(), st.text(), st.tuples(st.text(), st.integers())))
def test_any_item_id_gets_a_shuffle_of_the_candidates(item):
    assert sorted(PAIR.shown("t", "a", item)) == ["answer_a", "answer_b"]


def test_info_names_the_columns_for_exports():
    assert PAIR.info("prompt", ["prompt", "answer_a", "answer_b"]) == {
        "kind": "compare",
        "prompt": "prompt",
        "candidates": ["answer_a", "answer_b"],
        "extra_choices": ["tie", "both bad"],
        "rank": False,
        "criteria": [],
        "fingerprint": ["prompt", "answer_a", "answer_b"],
    }


# -- rationale -------------------------------------------------------------------------------
def test_rationale_modes():
    assert check_rationale(False) == (False, False)
    assert check_rationale(True) == (True, False)
    assert check_rationale("required") == (True, True)
    with pytest.raises(NblabelError, match=r"write it exactly as 'required'"):
        check_rationale("Required")
    with pytest.raises(NblabelError, match=r"rationale= must be True"):
        check_rationale("yes")
    assert required_rationale("  because  ", True) == "  because  "
    assert required_rationale("", False) is None
    with pytest.raises(NblabelError, match=r"a reason is required"):
        required_rationale("   ", True)
    with pytest.raises(NblabelError, match=r"a reason is required"):
        required_rationale(None, True)
    with pytest.raises(NblabelError, match=r"rationale= must be text"):
        required_rationale(3, False)


# -- position bias ---------------------------------------------------------------------------
def label_all(store, comparison, annotator, pick, n=200, task="pref"):
    """Label ``n`` items as ``pick(shown) -> value`` would, storing the screen order."""
    for item in range(n):
        shown = comparison.shown(task, annotator, item)
        label = comparison.check(pick(shown))
        store.append(
            task=task, item=item, annotator=annotator, label=label.value,
            meta=comparison.meta(label, shown),
        )  # fmt: skip


def test_position_bias_finds_an_annotator_who_always_picks_the_first_shown(store):
    label_all(store, PAIR, "lazy", lambda shown: shown[0])
    label_all(store, PAIR, "fair", lambda shown: "answer_b")  # prefers one answer, any side
    store.append(
        task="pref",
        item=0,
        annotator="fair",
        label="tie",
        meta={"shown": PAIR.shown("pref", "fair", 0)},
    )  # fmt: skip (relabel: a tie)
    report = agreement.position_bias(store, "pref")
    assert report.index.tolist() == ["fair", "lazy", "all"]
    assert report.loc["lazy", "won_at_1"] == 1.0 and report.loc["lazy", "won_at_2"] == 0.0
    assert report.loc["lazy", "p_value"] < 1e-50
    assert report.loc["fair", "comparisons"] == 199 and report.loc["fair", "extra_choices"] == 1
    assert 0.4 < report.loc["fair", "won_at_1"] < 0.6 and report.loc["fair", "p_value"] > 0.05
    assert report.loc["all", "comparisons"] == 399
    assert report["expected"].tolist() == [0.5, 0.5, 0.5]


def test_position_bias_of_rankings_counts_the_best_ranked(store):
    label_all(store, FOUR, "r", lambda shown: list(reversed(shown)), n=40)
    report = agreement.position_bias(store, "pref", annotator="r")
    assert report.index.tolist() == ["r"]
    assert report.loc["r", ["won_at_1", "won_at_4", "expected"]].tolist() == [0.0, 1.0, 0.25]


def test_position_bias_refuses_what_it_cannot_measure(store):
    store.append(task="plain", item=1, annotator="a", label="pos")
    with pytest.raises(NblabelError, match=r"no comparison that recorded the order"):
        agreement.position_bias(store, "plain")
    with pytest.raises(NblabelError, match=r"has no task 'nope'"):
        agreement.position_bias(store, "nope")
    with pytest.raises(NblabelError, match=r"store= must be a LabelStore"):
        agreement.position_bias("labels.db", "plain")


def test_the_binomial_p_value_matches_the_exact_test():
    from nblabel.agreement._position import _binomial_p

    scipy_stats = pytest.importorskip("scipy.stats")
    for k, n, p in [(7, 10, 0.5), (0, 12, 0.25), (30, 40, 1 / 3), (50, 100, 0.5)]:
        assert _binomial_p(k, n, p) == pytest.approx(scipy_stats.binomtest(k, n, p).pvalue)
