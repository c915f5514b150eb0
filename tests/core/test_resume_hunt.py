"""A resumed widget over data whose ids compare equal to the stored ones but are stored as
other texts, over ids re-read as texts, and over a resume snapshot another program rewrote:
never an item counted labeled and shown unlabeled, never two labels on one row, never a
traceback. Real SQLite files and the session's PostgreSQL server."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

import nblabel
from nblabel import NblabelWarning, _snapshot
from nblabel._fingerprint import Fingerprinter
from nblabel._session import LabelingSession
from nblabel._snapshot import pack

OPTIONS = ["pos", "neg", "neutral"]
TEXTS = ["good", "bad", "meh", "great", "awful", "fine"]


def make(data, store):
    return nblabel.classify(data, OPTIONS, text="review", store=store, annotator="alice",
                            task="sentiment")  # fmt: skip


def quietly(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NblabelWarning)
        return build()


def shown_label(w, item):
    w.goto(item)
    return w.sample["label"]


@pytest.mark.parametrize(
    "index, then",
    [
        (pd.RangeIndex(6), pd.Index([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])),  # ids made floats
        (  # dates labeled as texts, then parsed
            pd.Index([f"2024-01-0{d}" for d in range(1, 7)], dtype=object),
            pd.date_range("2024-01-01", periods=6),
        ),
        (  # the same instants in another time zone
            pd.date_range("2024-01-01", periods=6, tz="UTC"),
            pd.date_range("2024-01-01", periods=6, tz="UTC").tz_convert("Europe/Paris"),
        ),
    ],
    ids=["int-float", "text-date", "utc-paris"],
)
def test_ids_equal_to_the_stored_ones_but_stored_as_other_texts_never_count_unseen_labels(
    store, index, then
):
    data = pd.DataFrame({"review": TEXTS}, index=index)
    w = make(data, store)
    for key in "12":
        w.press(key)
    again = data.set_axis(then)
    resumed = quietly(lambda: make(again, store))
    # every item counted labeled shows its label: none is counted done and shown blank
    labeled = [then[p] for p in np.flatnonzero(resumed.session._labeled)]
    assert resumed.progress.done == len(labeled)
    assert all(shown_label(resumed, item) is not None for item in labeled)
    # the ids changed their stored form: said, with the fix, as for ids re-read as texts
    assert resumed.session.notice is not None and "ids of another type" in resumed.session.notice
    # labeling the first item again leaves it one label, and the next resume sees the same
    resumed.goto(then[0])
    resumed.press("3")
    labels = quietly(lambda: resumed.labels)
    assert labels.index.is_unique and labels.loc[then[0], "label"] == "neutral"
    resumed_again = quietly(lambda: make(again, store))
    assert resumed_again.progress.done == resumed.progress.done == 1
    assert quietly(lambda: resumed_again.labels).index.is_unique


def test_dates_re_read_from_a_csv_as_texts_are_named_with_the_fix(store):
    data = pd.DataFrame({"review": TEXTS}, index=pd.date_range("2024-01-01", periods=6, name="day"))
    w = make(data, store)
    for key in "12":
        w.press(key)
    csv = io.StringIO()
    data.to_csv(csv)  # midnights are written as dates alone: 2024-01-01
    csv.seek(0)
    reread = pd.read_csv(csv, index_col="day")
    assert reread.index[0] == "2024-01-01"
    with pytest.warns(NblabelWarning, match="ids of another type") as caught:
        w = make(reread, store)
    message = str(caught[0].message)
    assert "the data has '2024-01-01'" in message and 'astype("datetime64[ns]")' in message
    assert w.progress.done == 0
    fixed = reread.set_axis(reread.index.astype("datetime64[ns]"))  # the fix the message gives
    assert make(fixed, store).progress.done == 2


@pytest.mark.parametrize(
    "part, values",
    [
        ("fingerprints", np.arange(30, dtype=np.int64)),  # numbers where texts belong
        ("fingerprints", np.arange(30, dtype=np.float64)),
        ("items", np.full(30, None, dtype=object)),  # no id at all
    ],
    ids=["int-prints", "float-prints", "none-items"],
)
def test_a_kept_resume_rewritten_with_columns_of_another_kind_is_read_past(
    store, write_raw, monkeypatch, part, values
):
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1)
    frame = pd.DataFrame({"text": [f"text {i}" for i in range(40)]})
    store.append_many(task="t", items=range(30), annotator="a", label="pos",
                      fingerprints=Fingerprinter(frame, [0])(np.arange(30)))  # fmt: skip

    def resume() -> LabelingSession:
        return LabelingSession(frame.index, store=store, task="t", annotator="a",
                               fingerprint=Fingerprinter(frame, [0]))  # fmt: skip

    assert resume().progress.done == 30  # and its labels kept for the next resume
    kept = """substr(query, 1, 10) = '["labeled"'"""
    assert store._query(f"SELECT count(*) FROM nblabel_snapshots WHERE {kept}")[0][0]
    body = pack(values).hex()
    body = f"x'{body}'" if store.path is not None else f"decode('{body}', 'hex')"  # PostgreSQL
    write_raw(f"UPDATE nblabel_snapshots SET body = {body} WHERE part = '{part}' AND {kept}")
    session = resume()  # read through the index instead: no traceback, no label lost
    assert session.progress.done == 30 and session.notice is None
