"""Fingerprints of what a row shows, and the check that sets aside labels whose row now shows
other content: pure functions over pandas, and the session that stores and compares them."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nblabel import NblabelError, NblabelWarning, _snapshot
from nblabel._codec import concat_texts, fixed_texts
from nblabel._fingerprint import Fingerprinter, check_labels, data_key, fingerprint_columns
from nblabel._session import LabelingSession

TEXTS = ["good", "bad", "meh", "great", "awful"]


def texts(values, **columns) -> pd.DataFrame:
    return pd.DataFrame({"text": values, **columns})


def prints(frame: pd.DataFrame, columns=None, text="text") -> list[str]:
    locs = fingerprint_columns(frame, columns, text)
    return Fingerprinter(frame, locs)(np.arange(len(frame)))


# -- what a fingerprint reads ------------------------------------------------------------------
def test_a_text_column_fingerprint_is_a_short_stable_hash_of_the_text():
    # stored with every label: it must not change between versions or processes
    expected = hashlib.blake2b(b"meh", digest_size=8).hexdigest()
    got = prints(texts(TEXTS))
    assert got[2] == expected and len(expected) == 16
    assert len(set(got)) == len(TEXTS)


def test_the_fingerprint_follows_the_content_not_the_position():
    frame = texts(TEXTS)
    shuffled = frame.iloc[[3, 0, 4, 1, 2]].reset_index(drop=True)
    by_text = dict(zip(TEXTS, prints(frame), strict=True))
    assert prints(shuffled) == [by_text[t] for t in shuffled["text"]]


def test_only_the_identifying_columns_count():
    frame = texts(TEXTS)
    wider = texts(TEXTS, stars=[5, 1, 3, 5, 1])
    assert prints(wider) == prints(frame)  # text= given: a new column changes nothing
    # the whole row: a column's value changes the fingerprint, the column order does not
    whole = prints(wider, text=None)
    assert whole != prints(wider)
    assert prints(wider[["stars", "text"]], text=None) == whole
    other = wider.assign(stars=[5, 1, 3, 5, 2])
    changed = [a != b for a, b in zip(whole, prints(other, text=None), strict=True)]
    assert changed == [False, False, False, False, True]


def test_several_columns_are_framed_names_and_values():
    a = pd.DataFrame({"x": ["ab"], "y": ["c"]})
    b = pd.DataFrame({"x": ["a"], "y": ["bc"]})
    renamed = pd.DataFrame({"x": ["ab"], "z": ["c"]})
    assert len({prints(f, text=None)[0] for f in (a, b, renamed)}) == 3


def test_missing_values_hash_alike_and_types_read_by_text():
    frame = pd.DataFrame({"text": pd.Series([None, np.nan, pd.NA, "x"], dtype=object)})
    got = prints(frame)
    assert got[0] == got[1] == got[2] != got[3]
    numbers = pd.DataFrame({"text": [1, 2]})
    strings = pd.DataFrame({"text": ["1", "2"]})
    assert prints(numbers) == prints(strings)  # what a row *shows*: the same text


class Thing:
    """An object with Python's default repr, which names a memory address."""

    def __init__(self, size: int) -> None:
        self.size = size


def test_object_values_hash_without_memory_addresses_and_bytes_by_content():
    first = pd.DataFrame({"obj": [Thing(1)], "png": [b"\x89PNG-one"]})
    second = pd.DataFrame({"obj": [Thing(1)], "png": [b"\x89PNG-one"]})
    assert prints(first, text=None) == prints(second, text=None)
    other = pd.DataFrame({"obj": [Thing(1)], "png": [b"\x89PNG-two"]})
    assert prints(other, text=None) != prints(first, text=None)
    arrays = pd.DataFrame({"a": [np.zeros(3), np.ones(3)]})
    assert len(set(prints(arrays, text=None))) == 2


@given(st.lists(st.text(), min_size=1, max_size=20, unique=True))
def test_distinct_texts_get_distinct_fingerprints(values):
    got = prints(texts(values))
    assert len(set(got)) == len(values)
    assert Fingerprinter(texts(values), [0]).one(len(values) - 1) == got[-1]


def test_one_row_and_many_rows_read_cells_alike():
    # a saved label reads its row's cells one by one, the check at construction in bulk
    frame = pd.DataFrame(
        {
            "f32": np.array([0.1, 2.5, np.nan] * 7, dtype=np.float32),
            "i": np.arange(21),
            "nullable": pd.array([1, None, 3] * 7, dtype="Int64"),
            "nullable_f32": pd.array([0.1, None, 3.5] * 7, dtype="Float32"),
            "when": pd.date_range("2024-01-01", periods=21, freq="h"),
            "cat": pd.Categorical(["x", "y", "x"] * 7),
            "flag": [True, False, True] * 7,
            "obj": [1, "a", None] * 7,
            "text": pd.array(["a", None, "c"] * 7, dtype="string"),
        }
    )
    for loc in range(frame.shape[1]):
        fingerprinter = Fingerprinter(frame, [loc])
        bulk = fingerprinter(np.arange(21))
        assert [fingerprinter.one(p) for p in range(21)] == bulk, frame.columns[loc]
    whole = Fingerprinter(frame, list(range(frame.shape[1])))
    assert [whole.one(p) for p in range(21)] == whole(np.arange(21))


def test_fingerprints_of_rows_mapped_from_other_positions():
    frame = texts(TEXTS)
    review = Fingerprinter(frame, [0], rows=np.array([4, 2]))
    assert review([0, 1]) == [prints(frame)[4], prints(frame)[2]]


# -- which columns -----------------------------------------------------------------------------
def test_which_columns_identify_an_item():
    frame = texts(TEXTS, path=list("vwxyz"), stars=[1, 2, 3, 4, 5])
    assert fingerprint_columns(frame, None, "text") == [0]
    assert fingerprint_columns(frame, None, None) == [0, 1, 2]
    assert fingerprint_columns(frame, "path", None) == [1]
    assert fingerprint_columns(frame, ["stars", "path"], "text") == [2, 1]
    assert fingerprint_columns(frame, False, "text") is None
    numbered = pd.DataFrame([[1, 2]])
    assert fingerprint_columns(numbered, 1, None) == [1]


@pytest.mark.parametrize(
    ("fingerprint", "message"),
    [
        ("pth", "fingerprint='pth' is not a column of the data; columns are: 'text', 'path'"),
        (["path", "nope"], "'nope' is not a column"),
        ([], "empty list"),
        (["path", "path"], "more than once"),
        ({"path"}, "must be a column name, a list of column names, or False"),
        (lambda row: row.path, "takes the names of the columns"),
    ],
)
def test_bad_fingerprint_columns_are_refused_clearly(fingerprint, message):
    frame = texts(TEXTS, path=list("vwxyz"))
    with pytest.raises(NblabelError, match=re.escape(message)):
        fingerprint_columns(frame, fingerprint, None)


def test_a_duplicated_column_name_is_refused_clearly():
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(NblabelError, match="several columns named 'a'"):
        fingerprint_columns(frame, "a", None)


def test_the_data_key_names_the_identifying_columns_in_any_order():
    frame = texts(TEXTS, path=list("vwxyz"), stars=[1, 2, 3, 4, 5])
    assert data_key(frame, [0, 1]) == data_key(frame[["path", "text"]], [0, 1])
    assert len({data_key(frame, [0]), data_key(frame, [1]), data_key(frame, [0, 1])}) == 3
    assert len(data_key(frame, [0])) == 8


# -- matching stored labels to rows --------------------------------------------------------------
class Counting:
    """A fingerprinter that counts the rows it is asked about."""

    def __init__(self, inner: Fingerprinter) -> None:
        self.inner, self.asked = inner, 0

    def __call__(self, positions):
        self.asked += len(positions)
        return self.inner(positions)

    def digest(self, positions, stored):
        return self.inner.digest(positions, stored)


def test_labels_on_rows_that_show_other_content_are_set_aside_at_a_cost_per_label():
    n = 1_000_000
    frame = pd.DataFrame({"text": np.arange(n).astype(str)})  # a RangeIndex
    fingerprinter = Counting(Fingerprinter(frame, [0]))
    given = Fingerprinter(frame, [0])([10, 20, 30])
    stored_fps = [given[0], "0123456789abcdef", None]  # row 20 changed; row 30 from before
    check = check_labels(frame.index, [10, 20, 30], stored_fps, [1, 2, 3], fingerprinter)
    assert check.positions.tolist() == [10, 30]
    assert check.changed_events == [2] and check.changed_items == [20]
    assert fingerprinter.asked == 2  # the labels with a fingerprint, not the million rows


def test_ids_of_another_type_are_found_both_ways():
    as_text = pd.Index(["100", "101", "abc"])
    check = check_labels(as_text, [100, 101, 7], [None] * 3, [1, 2, 3], None)
    assert check.positions.size == 0 and check.retyped == [(100, "100"), (101, "101")]
    as_numbers = pd.Index([100, 101])
    check = check_labels(as_numbers, ["100", "x", "101.0"], [None] * 3, [1, 2, 3], None)
    assert check.retyped == [("100", 100)]
    message = check.describe("Lead:")
    assert message.startswith("Lead: 1 label is stored for ids of another type")
    assert "df.index = df.index.astype(str)" in message


def test_describe_names_how_many_a_few_ids_and_the_fix():
    frame = texts(TEXTS)
    fingerprinter = Fingerprinter(frame, [0])
    check = check_labels(frame.index, [0, 1, 2, 3], ["x"] * 4, [1, 2, 3, 4], fingerprinter)
    message = check.describe("Lead:")
    assert "4 labels were given to items that now show other content (ids 0, 1, 2, …)" in message
    assert 'df.set_index("id")' in message and "task=" in message
    assert check_labels(frame.index, [0], [None], [1], None).describe("Lead:") is None


# -- a check remembered: one digest of the labeled rows and their stored fingerprints --------
def digest_of(frame, positions, stored, locs=(0,)):
    return Fingerprinter(frame, list(locs)).digest(
        np.asarray(positions), np.asarray(stored, dtype=object)
    )


def test_the_digest_follows_the_content_and_the_stored_fingerprints_not_the_positions():
    frame = texts(TEXTS)
    fps = prints(frame)[:3]
    digest = digest_of(frame, [0, 1, 2], fps)
    assert digest is not None and digest == digest_of(frame, [0, 1, 2], list(fps))
    shuffled = frame.iloc[[3, 0, 4, 1, 2]].reset_index(drop=True)  # good bad meh at 1, 3, 4
    assert digest_of(shuffled, [1, 3, 4], fps) == digest
    edited = frame.assign(text=["good", "bad!", "meh", "great", "awful"])
    assert digest_of(edited, [0, 1, 2], fps) != digest
    assert digest_of(frame, [0, 1, 2], [fps[0], "0123456789abcdef", fps[2]]) != digest
    assert digest_of(frame, [0, 1, 2, 3], [*fps, prints(frame)[3]]) != digest


def test_the_digest_frames_every_text():
    # where one text ends and the next begins counts, in the data and in the stored prints
    assert digest_of(texts(["ab", "c"]), [0, 1], ["x", "y"]) != digest_of(
        texts(["a", "bc"]), [0, 1], ["x", "y"]
    )
    frame = texts(TEXTS)
    assert digest_of(frame, [0, 1], ["ab", "c"]) != digest_of(frame, [0, 1], ["a", "bc"])


@pytest.mark.parametrize("dtype", [object, "string[python]", "string[pyarrow]", "str"])
def test_the_digest_reads_text_columns_of_every_storage(dtype):
    if "pyarrow" in str(dtype):
        pytest.importorskip("pyarrow")
    frame = texts(pd.Series(TEXTS, dtype=dtype))
    fps = prints(frame)
    digest = digest_of(frame, [4, 0, 2], [fps[4], fps[0], fps[2]])
    assert digest is not None
    assert digest == digest_of(texts(pd.Series(TEXTS, dtype=dtype)), [4, 0, 2],
                               [fps[4], fps[0], fps[2]])  # fmt: skip
    edited = texts(pd.Series(["good", "bad", "meh", "great", "awful!"], dtype=dtype))
    assert digest_of(edited, [4, 0, 2], [fps[4], fps[0], fps[2]]) != digest


def test_the_digest_reads_arrow_texts_of_read_parquet_with_the_pyarrow_backend():
    pa = pytest.importorskip("pyarrow")
    for kind in (pa.string(), pa.large_string()):
        frame = texts(pd.Series(TEXTS, dtype=pd.ArrowDtype(kind)))
        fps = prints(frame)
        assert fps == prints(texts(TEXTS))  # the same fingerprints as any text column
        digest = digest_of(frame, [1, 3], [fps[1], fps[3]])
        assert digest is not None
        edited = texts(pd.Series(["good", "bad", "meh", "greater", "awful"],
                                 dtype=pd.ArrowDtype(kind)))  # fmt: skip
        assert digest_of(edited, [1, 3], [fps[1], fps[3]]) != digest
    # numbers in Arrow: row by row
    numbers = pd.DataFrame({"n": pd.Series([1, 2], dtype=pd.ArrowDtype(pa.int64()))})
    assert digest_of(numbers, [0, 1], ["p", "q"]) is None


def test_the_digest_reads_missing_texts_where_the_storage_marks_them():
    pytest.importorskip("pyarrow")
    missing = texts(pd.array(["good", None, "meh"], dtype="string[pyarrow]"))
    empty = texts(pd.array(["good", "", "meh"], dtype="string[pyarrow]"))
    stored = ["a", "b", "c"]
    assert digest_of(missing, [0, 1, 2], stored) is not None
    assert digest_of(missing, [0, 1, 2], stored) != digest_of(empty, [0, 1, 2], stored)
    # an object column with a value that is not text: row by row
    as_objects = texts(pd.Series(["good", None, "meh"], dtype=object))
    assert digest_of(as_objects, [0, 1, 2], stored) is None
    assert digest_of(texts(pd.Series(["good", 3, "meh"], dtype=object)), [0, 1, 2], stored) is None


def test_the_digest_reads_numbers_and_names_the_columns():
    frame = pd.DataFrame({"n": [1, 2, 3], "x": [0.5, 1.5, 2.5], "text": ["a", "b", "c"]})
    digest = digest_of(frame, [0, 2], ["p", "q"], locs=(0, 1, 2))
    assert digest is not None
    assert digest_of(frame.assign(x=[0.5, 1.5, 2.25]), [0, 2], ["p", "q"], locs=(0, 1, 2)) != digest
    renamed = frame.rename(columns={"x": "y"})
    assert digest_of(renamed, [0, 2], ["p", "q"], locs=(0, 1, 2)) != digest
    # values whose text the array does not carry (a time zone, categories): row by row
    zoned = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=3, tz="Europe/Paris")})
    assert digest_of(zoned, [0, 1], ["p", "q"]) is None
    assert digest_of(pd.DataFrame({"c": pd.Categorical(list("aba"))}), [0, 1], ["p", "q"]) is None


def test_the_digest_of_stored_fingerprints_that_are_not_plain_text_is_none():
    frame = texts(TEXTS)
    assert digest_of(frame, [0, 1], ["a\nb", "c"]) is None  # a line break: framing not sure
    assert digest_of(frame, [0, 1], ["a", 7]) is None  # another program stored a number


def as_objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def test_stored_fingerprints_as_bytes_of_one_width_give_the_digest_their_texts_give():
    # a snapshot and a joined read give fingerprints as bytes of one width, rows read one by
    # one as texts: the same labels have one digest whichever read gave them
    frame = texts(TEXTS)
    fps = as_objects(prints(frame))
    fixed = fixed_texts(fps)
    assert fixed.dtype == np.dtype("S16")
    digest = Fingerprinter(frame, [0]).digest(np.arange(5), fixed)
    assert digest is not None and digest == digest_of(frame, range(5), fps)
    changed = fixed.copy()
    changed[2] = b"0123456789abcdef"
    assert Fingerprinter(frame, [0]).digest(np.arange(5), changed) != digest
    # one of another width (another program's): bytes padded to the widest, and texts, agree
    mixed = as_objects([*fps[:4], "0123456789abcdef0123"])
    padded = concat_texts(fixed[:4], fixed_texts(mixed[4:]))
    assert padded.dtype == np.dtype("S20")
    assert Fingerprinter(frame, [0]).digest(np.arange(5), padded) == digest_of(
        frame, range(5), mixed
    )
    assert digest_of(frame, range(5), mixed) not in (None, digest)


@pytest.mark.parametrize("form", ["texts", "bytes"])
def test_labels_are_checked_alike_against_fingerprints_in_either_form(form):
    frame = texts(TEXTS)
    edited = frame.assign(text=["good", "bad!", "meh", "great", "awful"])
    # the first label was saved before fingerprints existed: trusted
    stored = as_objects([None, *prints(frame)[1:]])
    if form == "bytes":
        stored = fixed_texts(stored)
        assert stored.dtype.kind == "S" and stored[0] == b""
    found = check_labels(edited.index, np.arange(5), stored, np.arange(1, 6),
                         Fingerprinter(edited, [0]))  # fmt: skip
    assert found.positions.tolist() == [0, 2, 3, 4]
    assert found.changed_items == [1] and found.changed_events == [2]
    assert found.digest is None
    unchanged = check_labels(frame.index, np.arange(5), stored, np.arange(1, 6),
                             Fingerprinter(frame, [0]))  # fmt: skip
    assert unchanged.positions.tolist() == [0, 1, 2, 3, 4] and unchanged.upto == 5
    assert unchanged.digest == digest_of(frame, range(1, 5), prints(frame)[1:])


def test_the_digest_of_review_rows_reads_the_rows_they_map_to():
    frame = texts(TEXTS)
    fps = prints(frame)
    mapped = Fingerprinter(frame, [0], rows=np.array([4, 3]))
    assert mapped.digest(np.array([0, 1]), np.array([fps[4], fps[3]], dtype=object)) == digest_of(
        frame, [4, 3], [fps[4], fps[3]]
    )


def test_a_remembered_check_spares_hashing_the_labels_it_covers_and_no_others():
    n = 50_000
    frame = pd.DataFrame({"text": np.arange(n).astype(str)})
    ids, events = np.arange(n), np.arange(1, n + 1)
    fps = np.asarray(Fingerprinter(frame, [0])(ids), dtype=object)

    def check(upto_row, remembered=None, data=frame, given=events, **kw):
        counting = Counting(Fingerprinter(data, [0]))
        found = check_labels(data.index, ids[:upto_row], fps[:upto_row], given[:upto_row],
                             counting, remembered, **kw)  # fmt: skip
        return found, counting.asked

    first, asked = check(40_000)
    assert asked == 40_000 and first.positions.size == 40_000
    assert first.digest is not None and first.upto == 40_000
    remembered = (first.digest, first.upto)
    again, asked = check(40_000, remembered)
    assert asked == 0 and again.positions.tolist() == list(range(40_000))
    assert (again.digest, again.upto) == remembered
    # a few labels given since: those alone are hashed, and the check remembered stands
    few, asked = check(40_500, remembered)
    assert asked == 500 and few.positions.size == 40_500
    assert (few.digest, few.upto) == remembered
    # many (a 32nd of all or more): those alone are hashed, and the digest covers them all
    later, asked = check(n, remembered)
    assert asked == n - 40_000 and later.positions.size == n and later.upto == n
    assert later.digest == check(n)[0].digest  # as a full check would remember it
    # in another order (the index's, say): the same labels, the same digest
    shuffled = np.random.default_rng(0).permutation(n)
    counting = Counting(Fingerprinter(frame, [0]))
    mixed = check_labels(frame.index, ids[shuffled], fps[shuffled], events[shuffled], counting,
                         (later.digest, later.upto))  # fmt: skip
    assert counting.asked == 0 and mixed.digest == later.digest
    # one row edited since: every row is hashed again, and that label set aside
    edited = frame.copy()
    edited.loc[123, "text"] = "edited"
    found, asked = check(40_000, remembered, data=edited)
    assert asked == 40_000 and found.changed_items == [123] and found.changed_events == [124]
    assert found.digest is None  # not all matched: nothing to remember
    # a label checked before and no longer current (given again since): every row
    relabeled = events.copy()
    relabeled[7] = n + 1
    found, asked = check(40_000, remembered, given=relabeled)
    assert asked == 40_000 and found.upto == n + 1
    # no event ids, only a way to look the set-aside ones up: row by row, nothing to remember
    counting = Counting(Fingerprinter(frame, [0]))
    found = check_labels(frame.index, ids, fps, lambda _: [], counting, remembered)
    assert counting.asked == n and found.digest is None


# -- the session stores and compares them ------------------------------------------------------
def session_over(frame, store, **kwargs) -> LabelingSession:
    return LabelingSession(
        frame.index, store=store, task="t", annotator="alice",
        fingerprint=Fingerprinter(frame, [0]), **kwargs,
    )  # fmt: skip


def test_a_session_stores_the_fingerprint_of_the_row_it_labels(store):
    frame = texts(TEXTS)
    s = session_over(frame, store)
    s.submit("pos")
    s.submit("neg", item=3)
    held = store.current("t", "alice")
    assert {label.item: label.fingerprint for label in held.values()} == {
        0: Fingerprinter(frame, [0]).one(0),
        3: Fingerprinter(frame, [0]).one(3),
    }


def test_a_session_over_re_sorted_rows_sets_aside_the_labels_that_moved(store):
    frame = texts(TEXTS)
    s = session_over(frame, store)
    for label in ["pos", "neg", "neg"]:
        s.submit(label)
    resorted = frame.sort_values("text").reset_index(drop=True)  # awful bad good great meh
    with pytest.warns(NblabelWarning, match="2 labels were given to items") as caught:
        again = session_over(resorted, store)
    assert len(caught) == 1 and again.notice == str(caught[0].message)
    assert again.changed_items == [0, 2]  # id 1 still shows "bad"
    assert again.progress.done == 1 and again.current == 0
    with pytest.warns(NblabelWarning, match="w.labels leaves out"):
        assert again.labels()["label"].to_dict() == {1: "neg"}
    assert again.labels()["label"].to_dict() == {1: "neg"}  # said once


def test_labels_from_before_fingerprints_are_trusted(store):
    frame = texts(TEXTS)
    store.append(task="t", item=1, annotator="alice", label="pos")  # no fingerprint
    s = session_over(frame.iloc[::-1].reset_index(drop=True), store)
    assert s.notice is None and s.progress.done == 1
    assert s.labels().index.tolist() == [1]


def test_a_check_is_remembered_on_either_engine_and_a_label_arriving_below_it_is_caught(
    store, write_raw, monkeypatch
):
    monkeypatch.setattr(_snapshot, "MIN_ROWS", 1)  # remembered from the first label on
    frame = texts([f"text {i}" for i in range(300)])
    fingerprints = Fingerprinter(frame, [0])
    first = store.append(task="other", item=0, annotator="alice", label="pos")
    store.append_many(task="t", items=range(200), annotator="alice", label="pos",
                      fingerprints=fingerprints(np.arange(200)))  # fmt: skip

    def resume(data):
        counting = Counting(Fingerprinter(data, [0]))
        session = LabelingSession(data.index, store=store, task="t", annotator="alice",
                                  fingerprint=counting)  # fmt: skip
        return session, counting.asked

    session, asked = resume(frame)
    assert asked == 200 and session.progress.done == 200
    assert store._remembered_check("t", "alice", "annotator")[1] == first + 200
    session, asked = resume(frame.sample(frac=1, random_state=0))  # re-sorted, ids kept
    assert asked == 0 and session.progress.done == 200 and session.notice is None
    # a label below the remembered event: PostgreSQL commits one late, another program
    # writes one; it is not among the labels the digest covers, so every row is checked
    write_raw(
        f"DELETE FROM nblabel_events WHERE id = {first}",
        "INSERT INTO nblabel_events (id, task, item, annotator, action, label, created_at,"
        f" source, fingerprint) VALUES ({first}, 't', '250', 'alice', 'label', '\"pos\"',"
        f" 1.0, 'annotator', '{fingerprints.one(250)}')",
    )
    session, asked = resume(frame)
    assert asked == 201 and session.progress.done == 201
    edited = frame.copy()
    edited.loc[250, "text"] = "edited"
    with pytest.warns(NblabelWarning, match="1 label was given to an item that now shows"):
        session, asked = resume(edited)
    assert asked == 201 and session.changed_items == [250]
