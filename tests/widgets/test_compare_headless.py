"""The compare widget without a browser: keys pick by place on screen and store the candidate's
name; messages from the view, rankings, scores, required reasons, sanitised candidates; and
what it stores feeds position_bias and export.preferences."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pandas as pd
import pytest

import nblabel
from nblabel import NblabelError, agreement, export
from nblabel.testing import browser_message

DF = pd.DataFrame(
    {
        "prompt": [f"question {i}" for i in range(12)],
        "answer_a": [f"**A{i}**" for i in range(12)],
        "answer_b": [f"B{i}" for i in range(12)],
        "answer_c": [f"C{i}" for i in range(12)],
    },
    index=pd.Index([f"q{i}" for i in range(12)], name="id"),
)
PAIR = ["answer_a", "answer_b"]


@pytest.fixture
def store(tmp_path) -> nblabel.LabelStore:
    with nblabel.LabelStore(tmp_path / "labels.db") as opened:
        yield opened


def make(store, **kw):
    kw.setdefault("candidates", PAIR)
    kw.setdefault("annotator", "alice")
    kw.setdefault("task", "pref")
    return nblabel.compare(DF, prompt="prompt", store=store, **kw)


def stored(store, task="pref"):
    frame = store.annotations(task=task)
    meta = store.event_meta(frame["event_id"])
    return [(i, label, meta.get(e)) for i, label, e in
            zip(frame["item"], frame["label"], frame["event_id"], strict=True)]  # fmt: skip


def test_key_n_picks_the_candidate_shown_nth_and_stores_its_name(store):
    w = make(store)
    seen = []
    for _ in range(12):
        shown = w.shown
        seen.append(tuple(shown))
        w.press("2")
    assert set(seen) == {("answer_a", "answer_b"), ("answer_b", "answer_a")}  # shuffled
    rows = stored(store)
    assert [label for _, label, _ in rows] == [s[1] for s in seen]  # the name, not the side
    assert [tuple(meta["shown"]) for _, _, meta in rows] == seen
    assert w.done


def test_the_trail_carries_each_items_screen_order_so_the_view_names_places(store):
    # the view names a saved label "Response 2", as the card it was picked on was headed
    w = make(store, extra_choices=["tie"])
    seen = {}
    for i in range(4):
        seen[json.dumps(f"q{i}")] = w.shown
        w.press("2" if i < 3 else "3")
    assert [e["shown"] for e in w.trail] == [seen[e["item"]] for e in w.trail]
    assert [json.loads(e["label"]) for e in w.trail] == ["tie", *(seen[json.dumps(f"q{i}")][1]
                                                                for i in (2, 1, 0))]  # fmt: skip


def test_the_screen_order_is_the_same_for_the_annotator_after_a_restart(store):
    first = make(store).shown
    again = make(store).shown
    assert first == again
    assert [c["name"] for c in make(store).sample["content"]["candidates"]] == first


def test_submit_takes_names_and_refuses_sides(store):
    w = make(store, extra_choices=["tie", "both bad"])
    with pytest.raises(NblabelError, match=r"never a side or position"):
        w.submit("left")
    with pytest.raises(NblabelError, match=r"never a side or position"):
        w.submit(1)
    assert store.annotations().empty
    w.submit("answer_b", rationale="shorter")
    w.submit("tie")
    assert [(label, meta["shown"] != []) for _, label, meta in stored(store)] == [
        ("answer_b", True), ("tie", True),
    ]  # fmt: skip
    assert w.labels["rationale"].tolist() == ["shorter", None]


def test_a_label_from_the_view_is_a_name_checked_by_the_kernel(store):
    w = make(store)
    item = w.sample["item"]
    browser_message(w, {"kind": "label", "value": '"answer_b"', "item": item,
                        "client": "c", "seq": 1})  # fmt: skip
    assert w.acks == {"c": 1} and stored(store)[0][1] == "answer_b"
    browser_message(w, {"kind": "label", "value": '"right"', "item": w.sample["item"],
                        "client": "c", "seq": 2})  # fmt: skip
    assert w.acks == {"c": 2} and len(stored(store)) == 1  # refused, shown, acknowledged
    assert "no longer a label here" in w.error and "never a side" in w.error


def test_rank_by_keys_in_order_the_last_is_placed_for_you(store):
    w = make(store, candidates=["answer_a", "answer_b", "answer_c"], rank=True)
    shown = w.shown
    w.press("3")
    w.press("3")  # again: taken back
    assert w.selection == [] and store.annotations().empty
    w.press("3")
    assert w.selection == [2] and store.annotations().empty
    w.press("2")  # two of three ranked: the last is placed, the ranking saved
    assert stored(store)[0][1] == [shown[2], shown[1], shown[0]]
    assert w.selection == [] and w.current == "q1"
    w.rank(["answer_c", "answer_a", "answer_b"])
    assert stored(store)[1][1] == ["answer_c", "answer_a", "answer_b"]
    with pytest.raises(NblabelError, match=r"leaves out 'answer_b'"):
        w.submit(["answer_c", "answer_a"])
    with pytest.raises(NblabelError, match=r"rank=True: give the ranking of all 3"):
        w.submit("answer_c")


def test_scores_per_criterion_are_stored_beside_the_choice(store):
    w = make(store, criteria=["helpful", "correct"], scale=range(1, 4))
    scores = {"answer_a": {"helpful": 3, "correct": 2}, "answer_b": {"helpful": 1, "correct": 1}}
    w.submit("answer_a", scores=scores)
    assert stored(store)[0][2]["scores"] == scores
    with pytest.raises(NblabelError, match=r"criteria= asks a score for each candidate"):
        w.submit("answer_a")
    with pytest.raises(NblabelError, match=r"scores each candidate on 'helpful', 'correct'"):
        w.press("1")
    # the view sends the choice and its scores together
    value = json.dumps({"choice": "answer_b", "scores": scores})
    browser_message(w, {"kind": "label", "value": value, "item": w.sample["item"],
                        "client": "c", "seq": 1})  # fmt: skip
    assert stored(store)[1][1] == "answer_b" and stored(store)[1][2]["scores"] == scores
    assert w.compare_state == {"n": 2, "rank": False, "criteria": ["helpful", "correct"],
                               "scale": [1, 2, 3]}  # fmt: skip


def test_a_required_reason_is_asked_before_anything_is_saved(store):
    w = make(store, rationale="required")
    assert w.rationale_required and w.ask_rationale
    with pytest.raises(NblabelError, match=r"a reason is required"):
        w.submit("answer_a")
    with pytest.raises(NblabelError, match=r"a reason is required"):
        w.press("1")
    browser_message(w, {"kind": "label", "value": '"answer_a"', "item": w.sample["item"],
                        "client": "c", "seq": 1})  # fmt: skip
    assert "a reason is required" in w.error and store.annotations().empty
    w.submit("answer_a", rationale="cites the source")
    assert w.labels["rationale"].tolist() == ["cites the source"]
    with pytest.raises(NblabelError, match=r"rationale= must be True"):
        make(store, rationale="yes")


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def test_candidates_reach_the_browser_only_as_sanitised_html(store):
    hostile = DF.assign(
        answer_b=[
            '<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3))'
        ]
        * 12
    )
    w = nblabel.compare(hostile, prompt="prompt", candidates=PAIR, store=store, task="h",
                        annotator="a")  # fmt: skip
    for payload in [w.sample, *w.upcoming]:
        for candidate in payload["content"]["candidates"]:
            tags = Tags()
            tags.feed(candidate["html"])
            assert all(tag in {"p", "strong"} for tag, _ in tags.found), candidate
            assert not any(attrs for _, attrs in tags.found)


def test_wrong_calls_name_the_argument(store):
    with pytest.raises(NblabelError, match=r"candidates='answer_x' is not a column"):
        make(store, candidates=["answer_a", "answer_x"])
    with pytest.raises(NblabelError, match=r"prompt='question' is not a column"):
        nblabel.compare(DF, prompt="question", candidates=PAIR, store=store)
    with pytest.raises(NblabelError, match=r"candidates= gives 1 name"):
        make(store, candidates=["answer_a"])
    with pytest.raises(TypeError):
        make(store, candidate=PAIR)


def test_what_the_widget_stores_feeds_the_bias_report_and_the_export(store, tmp_path):
    w = make(store, extra_choices=["tie"])
    for _ in range(11):
        w.press("1")  # always the first shown: a biased annotator
    w.submit("tie")
    assert store.task_info("pref")["candidates"] == PAIR
    bias = agreement.position_bias(store, "pref")
    assert bias.loc["alice", "won_at_1"] == 1.0 and bias.loc["alice", "extra_choices"] == 1
    path = tmp_path / "pref.jsonl"
    written = export.preferences(store, "pref", DF, path=path)
    assert len(written) == 11
    first = json.loads(path.read_text().splitlines()[0])
    chosen = first["chosen_column"]
    assert first["chosen"] == DF.loc[first["item"], chosen]
    assert first["prompt"] == DF.loc[first["item"], "prompt"]


def test_undo_and_relabel_keep_the_screen_order(store):
    w = make(store)
    shown = w.shown
    w.press("1")
    w.undo()
    assert w.shown == shown and w.current == "q0"
    w.press("2")
    assert stored(store)[-1][1] == shown[1]


def test_the_agreement_report_of_a_compare_task_shows_position_bias(store):
    for annotator in ("alice", "bob"):
        w = make(store, annotator=annotator)
        while w.current is not None:
            w.press("1")  # both always pick the first shown
    report = agreement.report(store, "pref", n_boot=50)
    assert report.position_bias.loc["all", "won_at_1"] == 1.0
    assert "The candidate shown first won 100% of comparisons" in report.reading
    assert "Position bias" in report._repr_html_()
    plain = agreement.report(store.annotations(task="pref"), n_boot=50)  # not a store: none
    assert plain.position_bias.empty
