"""Span agreement: exact and overlap precision/recall/F1 per annotator pair and class, checked
against counts worked out by hand and against an independent implementation.

No NER scoring library (seqeval, nervaluate) is a dependency of the test environment, so the
cross-check below re-derives exact-match scores the way seqeval does — tag every character
with BIO tags, read the entity chunks back from the tags, count chunks in common — and
overlap scores by brute force over character sets.
"""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel import LabelStore, NblabelError, agreement
from nblabel.agreement._spans import OVERALL, SPAN_COLUMNS

TEXTS = {
    1: "John Smith works for Acme Corp in New York.",
    2: "Mary visited Paris and Rome.",
    3: "Nothing to see here.",
    4: "Only alice labeled this one.",
}


def span(item, words, label):
    text = TEXTS[item]
    start = text.index(words)
    return {"start": start, "end": start + len(words), "label": label, "text": words}


ALICE = {
    1: [span(1, "John Smith", "PER"), span(1, "Acme Corp", "ORG"), span(1, "New York", "LOC")],
    2: [span(2, "Mary", "PER"), span(2, "Paris", "LOC"), span(2, "Rome", "LOC")],
    3: [],
    4: [span(4, "alice", "PER")],
}
BOB = {
    1: [span(1, "John Smith", "PER"), span(1, "Acme", "ORG"), span(1, "New York", "LOC")],
    2: [span(2, "Mary", "PER"), span(2, "Paris", "LOC"), span(2, "Rome", "ORG")],
    3: [span(3, "Nothing", "LOC")],
}


@pytest.fixture
def ner(tmp_path):
    with LabelStore(tmp_path / "ner.db") as store:
        for annotator, labels in (("alice", ALICE), ("bob", BOB)):
            for item, spans in labels.items():
                store.append(task="ner", item=item, annotator=annotator, label=spans)
        # ignored: a review, and a label bob took back
        store.append(task="ner", item=3, annotator="carol", label=[], source="review")
        store.undo(store.append(task="ner", item=4, annotator="bob", label=[]), annotator="bob")
        yield store


def row(table, match, label):
    (found,) = table.loc[(table["match"] == match) & (table["label"] == label)].itertuples()
    return found


def test_hand_counted_example(ner):
    table = agreement.spans(ner, "ner")
    assert table.columns.tolist() == SPAN_COLUMNS
    assert set(zip(table["annotator_a"], table["annotator_b"], strict=True)) == {("alice", "bob")}
    assert set(table["items"]) == {3}  # item 4 was labeled by alice alone
    # (spans_a, spans_b, matched_a, matched_b, precision, recall, F1), counted by hand:
    expected = {
        # exact: Acme Corp ≠ Acme, Rome LOC ≠ Rome ORG, "Nothing" LOC is bob's alone
        ("exact", "PER"): (2, 2, 2, 2, 1, 1, 1),
        ("exact", "ORG"): (1, 2, 0, 0, 0, 0, 0),
        ("exact", "LOC"): (3, 3, 2, 2, Fraction(2, 3), Fraction(2, 3), Fraction(2, 3)),
        # Hripcsak & Rothschild's F = 2a / (2a + b + c) with a=4, b=3 (bob only), c=2
        ("exact", OVERALL): (6, 7, 4, 4, Fraction(4, 7), Fraction(4, 6), Fraction(8, 13)),
        ("overlap", "PER"): (2, 2, 2, 2, 1, 1, 1),
        # Acme overlaps Acme Corp; bob's Rome ORG overlaps no ORG of alice's
        ("overlap", "ORG"): (1, 2, 1, 1, Fraction(1, 2), 1, Fraction(2, 3)),
        ("overlap", "LOC"): (3, 3, 2, 2, Fraction(2, 3), Fraction(2, 3), Fraction(2, 3)),
        # P = 5/7, R = 5/6: F1 = 2PR / (P + R) = 10/13
        ("overlap", OVERALL): (6, 7, 5, 5, Fraction(5, 7), Fraction(5, 6), Fraction(10, 13)),
    }
    assert len(table) == len(expected)
    for (match, label), values in expected.items():
        got = row(table, match, label)
        counts = (got.spans_a, got.spans_b, got.matched_a, got.matched_b)
        assert counts == values[:4], (match, label)
        assert (got.precision, got.recall, got.f1) == pytest.approx(
            tuple(float(v) for v in values[4:]), abs=1e-12
        ), (match, label)
    # the classes come in a stable order, the overall row last
    assert table["label"].tolist()[:4] == ["LOC", "ORG", "PER", OVERALL]


def test_the_task_declares_the_class_order(ner):
    ner.set_task_info("ner", {"kind": "spans", "classes": ["PER", "ORG", "LOC", "DATE"]})
    table = agreement.spans(ner, "ner")
    assert table["label"].tolist()[:4] == ["PER", "ORG", "LOC", OVERALL]  # DATE: unused
    only = agreement.spans(ner, "ner", classes=["PER"])
    assert only["label"].tolist() == ["PER", OVERALL, "PER", OVERALL]
    assert only["f1"].tolist() == [1.0, 1.0, 1.0, 1.0]


def test_f1_is_the_same_whichever_annotator_is_the_reference(ner):
    ab = agreement.spans(ner, "ner", annotators=["alice", "bob"])
    ba = agreement.spans(ner, "ner", annotators=["bob", "alice"])
    assert np.allclose(ab["f1"], ba["f1"])
    assert np.allclose(ab["precision"], ba["recall"], equal_nan=True)


def test_a_class_one_side_never_used_has_nan_precision_and_zero_f1():
    frame = pd.DataFrame({
        "item": [1, 1], "annotator": ["a", "b"],
        "label": [[{"start": 0, "end": 2, "label": "X"}], []],
    })  # fmt: skip
    x = row(agreement.spans(frame), "exact", "X")
    assert np.isnan(x.precision) and x.recall == 0 and x.f1 == 0


def test_three_annotators_give_three_pairs(ner):
    ner.append(task="ner", item=1, annotator="carol", label=ALICE[1])
    table = agreement.spans(ner, "ner")
    pairs = sorted(set(zip(table["annotator_a"], table["annotator_b"], strict=True)))
    assert pairs == [("alice", "bob"), ("alice", "carol"), ("bob", "carol")]
    carol = table.loc[(table["annotator_b"] == "carol") & (table["annotator_a"] == "alice")]
    assert carol["items"].iloc[0] == 1 and (carol["f1"] == 1).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: agreement.spans(s, "ner", annotators=["alice", "zoe"]), "'zoe'"),
        (lambda s: agreement.spans(s, "ner", annotators=["alice"]), "two annotators"),
        (lambda s: agreement.spans(s, "nope"), "has no task 'nope'"),
        (lambda s: agreement.spans(pd.DataFrame({"a": [1]})), "not a wide table"),
    ],
)
def test_wrong_calls_say_what_to_fix(ner, call, message):
    with pytest.raises(NblabelError, match=message):
        call(ner)


def test_labels_that_are_not_spans_are_named(tmp_path):
    with LabelStore(tmp_path / "s.db") as store:
        store.append(task="t", item=1, annotator="a", label="pos")
        store.append(task="t", item=1, annotator="b", label="neg")
        with pytest.raises(NblabelError, match="not a list of spans: span agreement reads"):
            agreement.spans(store, "t")


# -- cross-check against an independent, seqeval-style implementation ----------------------------
def bio_tags(length, spans):
    """BIO tags per character (no overlaps), as sequence labelers write them."""
    tags = ["O"] * length
    for start, end, label in spans:
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags


def chunks(tags):
    """Entity chunks read back from BIO tags, as seqeval's get_entities does."""
    found, start, label = [], None, None
    for i, tag in enumerate([*tags, "O"]):
        if start is not None and not tag.startswith("I-"):
            found.append((label, start, i))
            start = None
        if tag.startswith("B-"):
            start, label = i, tag[2:]
    return found


def reference_scores(texts, a, b, match):
    """{class or OVERALL: (precision, recall, f1)} computed from chunks and character sets."""
    per = {}
    classes = sorted({s[2] for d in (a, b) for spans in d.values() for s in spans})
    for label in [*classes, OVERALL]:
        counts = Counter()
        for item in a.keys() & b.keys():
            ca = [
                c for c in chunks(bio_tags(len(texts[item]), a[item])) if label in (c[0], OVERALL)
            ]
            cb = [
                c for c in chunks(bio_tags(len(texts[item]), b[item])) if label in (c[0], OVERALL)
            ]
            counts["a"] += len(ca)
            counts["b"] += len(cb)
            if match == "exact":
                hit = len(set(ca) & set(cb))
                counts["ma"] += hit
                counts["mb"] += hit
            else:

                def hits(xs, ys):
                    return sum(
                        any(x[0] == y[0] and set(range(x[1], x[2])) & set(range(y[1], y[2]))
                            for y in ys)
                        for x in xs
                    )  # fmt: skip

                counts["ma"] += hits(ca, cb)
                counts["mb"] += hits(cb, ca)
        if counts["a"] + counts["b"] == 0:
            continue
        p = counts["mb"] / counts["b"] if counts["b"] else float("nan")
        r = counts["ma"] / counts["a"] if counts["a"] else float("nan")
        f = 0.0 if np.isnan(p) or np.isnan(r) or p + r == 0 else 2 * p * r / (p + r)
        per[label] = (p, r, f)
    return per


def random_spans(rng, length, classes):
    spans, at = [], 0
    while at < length - 1 and rng.random() < 0.8:
        start = rng.randrange(at, length - 1)
        end = rng.randrange(start + 1, min(length, start + 6) + 1)
        spans.append((start, end, rng.choice(classes)))
        at = end
    return spans


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_matches_the_independent_implementation(seed):
    rng = random.Random(seed)
    texts = {i: "x" * rng.randrange(2, 30) for i in range(rng.randrange(1, 6))}
    a = {i: random_spans(rng, len(t), "AB") for i, t in texts.items()}
    # b: a's spans, some moved by one character, some relabeled, some dropped, some added
    b = {}
    for i, spans in a.items():
        if rng.random() < 0.2:
            continue  # b did not label this item
        out = []
        for start, end, label in spans:
            roll = rng.random()
            if roll < 0.15:
                continue
            if roll < 0.3 and end < len(texts[i]):
                end += 1 if not any(s == end for s, _, _ in spans) else 0
            if roll > 0.85:
                label = "B" if label == "A" else "A"
            out.append((start, end, label))
        b[i] = out
    frame = pd.DataFrame(
        [
            (item, who, [{"start": s, "end": e, "label": lab} for s, e, lab in spans])
            for who, labels in (("a", a), ("b", b))
            for item, spans in labels.items()
        ],
        columns=["item", "annotator", "label"],
    )
    if not b:
        return
    table = agreement.spans(frame)
    for match in ("exact", "overlap"):
        expected = reference_scores(texts, a, b, match)
        got = table.loc[table["match"] == match].set_index("label")
        assert set(got.index) == set(expected) | {OVERALL}
        for label, (p, r, f) in expected.items():
            assert got.loc[label, ["precision", "recall", "f1"]].tolist() == pytest.approx(
                [p, r, f], nan_ok=True
            ), (match, label)
