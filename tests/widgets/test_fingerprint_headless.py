"""Labels stay on the content they were given for: data re-sorted, filtered or re-read under
ids that no longer follow their rows. Headless, through the public builders, on real SQLite
files."""

from __future__ import annotations

import pandas as pd
import pytest
from labeling import OPTIONS, label_first, make

import nblabel
from nblabel import NblabelError, NblabelWarning, _snapshot
from nblabel._fingerprint import Fingerprinter

TEXTS = ["good", "bad", "meh", "great", "awful", "fine"]


@pytest.fixture
def df() -> pd.DataFrame:
    # no index given: a RangeIndex, the ids that do not follow their rows
    return pd.DataFrame({"review": TEXTS, "stars": [5, 1, 3, 5, 1, 4]})


@pytest.fixture
def store(tmp_path) -> nblabel.LabelStore:
    return nblabel.LabelStore(tmp_path / "labels.db")


def shown_labels(w, data) -> dict:
    """Text on screen → label, as the user would read ``df.join(w.labels)``."""
    joined = data.join(w.labels)
    return dict(zip(joined["review"], joined["label"], strict=True))


def test_re_sorted_data_with_a_range_index_does_not_put_labels_on_other_texts(df, store):
    label_first(make(df, store), "123")  # good: pos, bad: neg, meh: neutral
    resorted = df.sort_values("review").reset_index(drop=True)
    # awful bad fine good great meh: id 1 still shows "bad", ids 0 and 2 show other texts
    with pytest.warns(NblabelWarning, match="2 labels were given to items") as record:
        # called here, not through make(): the warning must point at the caller's line
        w = nblabel.classify(resorted, OPTIONS, text="review", store=store,
                             annotator="alice", task="sentiment")  # fmt: skip
    caught = [r for r in record if issubclass(r.category, NblabelWarning)]  # not a library's
    assert len(caught) == 1 and caught[0].filename == __file__  # points at the user's line
    message = str(caught[0].message)
    assert "ids 0, 2" in message and 'df.set_index("id")' in message
    assert w.session.notice == message and w.notice == message  # shown in the widget
    assert w.progress.done == 1 and w.current == 0  # "awful" is shown, not taken as labeled
    with pytest.warns(NblabelWarning, match="w.labels leaves out"):
        labels = shown_labels(w, resorted)
    assert {text: label for text, label in labels.items() if pd.notna(label)} == {"bad": "neg"}
    assert shown_labels(w, resorted)["bad"] == "neg"  # w.labels warned once


def test_filtered_data_with_reset_ids(df, store):
    label_first(make(df, store), "1122")  # good bad meh great
    kept = df[df["stars"] < 5].reset_index(drop=True)  # bad meh awful fine
    with pytest.warns(NblabelWarning, match="4 labels were given to items"):
        w = make(kept, store)
    assert w.session.changed_items == [0, 1, 2, 3]
    assert w.progress.done == 0 and w.current == 0
    label_first(w, "2113")  # each labeled again, on its own content
    assert w.labels["label"].tolist() == ["neg", "pos", "pos", "neutral"]  # nothing left out
    again = make(kept, store)  # the new labels match: nothing to say
    assert again.session.notice is None and again.progress.done == 4


def test_a_re_read_csv_whose_ids_changed_type_is_named_with_the_fix(df, store, tmp_path):
    frame = df.set_axis(pd.Index([100, 101, 102, 103, 104, 105], name="id"))
    label_first(make(frame, store), "12")
    frame.to_csv(tmp_path / "reviews.csv")
    reread = pd.read_csv(tmp_path / "reviews.csv", dtype={"id": str}).set_index("id")
    with pytest.warns(NblabelWarning, match="ids of another type") as caught:
        w = make(reread, store)
    message = str(caught[0].message)
    assert "stored 100, the data has '100'" in message
    assert "df.index = df.index.astype(int)" in message
    assert w.progress.done == 0
    fixed = reread.set_axis(reread.index.astype(int))  # the fix the message gives
    assert make(fixed, store).progress.done == 2


def test_a_new_column_with_text_given_changes_nothing(df, store):
    label_first(make(df, store, task=None), "12")
    wider = df.assign(length=df["review"].str.len())
    w = make(wider, store, task=None)  # a warning here would fail the test
    assert w.session.notice is None and w.progress.done == 2
    assert shown_labels(w, wider)["bad"] == "neg"


def test_whole_rows_and_a_fingerprint_column_with_display(df, store):
    images = df.assign(path=[f"img/{i}.png" for i in range(6)])
    show = lambda row: f"picture {row.path}"  # noqa: E731
    first = nblabel.classify(images, OPTIONS, display=show, fingerprint="path", store=store,
                             annotator="alice", task="pics")  # fmt: skip
    label_first(first, "11")
    restarred = images.assign(stars=0)  # not what identifies an item
    w = nblabel.classify(restarred, OPTIONS, display=show, fingerprint="path", store=store,
                         annotator="alice", task="pics")  # fmt: skip
    assert w.progress.done == 2
    moved = images.iloc[::-1].reset_index(drop=True)
    with pytest.warns(NblabelWarning, match="2 labels"):
        nblabel.classify(moved, OPTIONS, display=show, fingerprint="path", store=store,
                         annotator="alice", task="pics")  # fmt: skip
    # without text= or fingerprint=, the whole row identifies the item
    label_first(make(images, store, text=None, task="rows"), "1")
    with pytest.warns(NblabelWarning, match="1 label was given"):
        make(images.assign(stars=0), store, text=None, task="rows")


def test_fingerprint_false_trusts_the_ids(df, store):
    label_first(make(df, store, fingerprint=False), "12")
    w = make(df.iloc[::-1].reset_index(drop=True), store, fingerprint=False)
    assert w.progress.done == 2 and w.session.notice is None


@pytest.mark.parametrize(
    ("fingerprint", "message"),
    [
        ("path", "fingerprint='path' is not a column of the data"),
        ([], "empty list"),
        (["review", "review"], "more than once"),
        (lambda row: row.review, "not a function"),
    ],
)
def test_bad_fingerprint_is_refused_at_construction(df, store, fingerprint, message):
    with pytest.raises(NblabelError, match=message):
        make(df, store, fingerprint=fingerprint)


def test_review_stores_fingerprints_and_sets_aside_reviews_of_other_content(df, store):
    for annotator, labels in {"alice": "112", "bob": "221"}.items():
        label_first(make(df, store, annotator=annotator), labels)
    w = nblabel.review(store, "sentiment", data=df, text="review", reviewer="rita")
    w.submit("pos")
    reviews = store.current("sentiment", "rita", "review")
    assert all(label.fingerprint for label in reviews.values())
    edited = df.assign(review=[t.upper() for t in TEXTS])
    with pytest.warns(NblabelWarning, match="1 label was given"):
        again = nblabel.review(store, "sentiment", data=edited, text="review", reviewer="rita")
    assert again.progress.done == 0


def test_undoing_a_relabel_does_not_bring_back_a_label_given_for_other_content(df, store):
    label_first(make(df, store), "1")  # id 0 "good": pos
    resorted = df.sort_values("review").reset_index(drop=True)  # id 0 now shows "awful"
    with pytest.warns(NblabelWarning, match="1 label"):
        w = make(resorted, store)
    assert w.current == 0 and w.progress.done == 0
    w.press("2")  # "awful": neg, the label for what id 0 shows now
    assert w.progress.done == 1
    w.undo()  # the "pos" stored before is current in the store again, but for "good"
    assert w.current == 0 and w.progress.done == 0
    assert w.sample["label"] is None  # not shown as this item's saved label


def read_as(how: str, store, monkeypatch) -> None:
    """Labels a resume reads: through the index each time ("index"), from what the last
    resume kept ("kept"), or from the snapshot of w.labels ("snapshot")."""
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1)  # kept from the first label on
    if how != "kept":  # what a resume keeps is read first: here nothing is
        monkeypatch.setattr(nblabel._store, "keep_labeled", lambda *args: None)


def kept_by_a_resume(store) -> int:
    return store._query(
        """SELECT count(*) FROM nblabel_snapshots WHERE query LIKE '["labeled"%'"""
    )[0][0]


HOW = ["index", "kept", "snapshot"]


@pytest.mark.parametrize("how", HOW)
def test_a_resume_from_the_labels_snapshot_checks_each_row_as_a_resume_through_the_index(
    df, store, monkeypatch, how
):
    read_as(how, store, monkeypatch)
    first = make(df, store)
    label_first(first, "123")  # good: pos, bad: neg, meh: neutral
    first.press("1")  # great: pos
    first.undo()  # great: no label again
    if how == "snapshot":
        assert len(first.labels) == 3  # the read that keeps the snapshot a resume reads
    if how == "kept":
        assert make(df, store).progress.done == 3 and kept_by_a_resume(store)
    assert bool(kept_by_a_resume(store)) == (how == "kept")
    of_labels = store._query(  # the snapshot of w.labels
        """SELECT count(*) FROM nblabel_snapshots WHERE query LIKE '%"sentiment", "alice"%'"""
        """ AND query NOT LIKE '["labeled"%'"""
    )[0][0]
    assert bool(of_labels) == (how == "snapshot")
    resorted = df.sort_values("review").reset_index(drop=True)
    with pytest.warns(NblabelWarning, match="2 labels were given to items"):
        w = make(resorted, store)
    assert w.session.changed_items == [0, 2]
    assert w.progress.done == 1  # "bad" alone: "great" was undone
    with pytest.warns(NblabelWarning, match="w.labels leaves out"):
        labels = shown_labels(w, resorted)
    assert {text: label for text, label in labels.items() if pd.notna(label)} == {"bad": "neg"}


@pytest.mark.parametrize("how", HOW)
def test_a_widget_built_again_compares_one_digest_and_still_catches_an_edited_row(
    df, store, monkeypatch, how
):
    read_as(how, store, monkeypatch)  # checks remembered from the first label on too
    hashed = []
    plain_call = Fingerprinter.__call__
    monkeypatch.setattr(Fingerprinter, "__call__",
                        lambda self, positions: hashed.append(len(positions))
                        or plain_call(self, positions))  # fmt: skip
    label_first(make(df, store), "1231")  # good bad meh great
    hashed.clear()
    again = make(df, store)  # every label checked against its row, and that remembered
    assert hashed == [4]
    assert bool(kept_by_a_resume(store)) == (how == "kept")  # that resume kept its labels
    if how == "snapshot":
        assert len(again.labels) == 4  # the read that keeps the snapshot a resume reads first
    hashed.clear()
    w = make(df.sample(frac=1, random_state=1), store)  # re-sorted, each row under its id
    assert hashed == [] and w.progress.done == 4 and w.session.notice is None
    w.press("2")  # one label more, then the cell run again
    hashed.clear()
    assert make(df, store).progress.done == 5 and hashed == [1]  # the new label alone
    hashed.clear()
    edited = df.copy()
    edited.loc[3, "review"] = "terrible"  # "great" is now another text
    with pytest.warns(NblabelWarning, match="1 label was given to an item that now shows"):
        w = make(edited, store)
    assert hashed == [5] and w.session.changed_items == [3] and w.progress.done == 4
