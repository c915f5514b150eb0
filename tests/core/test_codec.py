"""The codec stores ids and labels as JSON text: every supported value must come back equal
and of the same type, and numbers JSON cannot hold must be refused, not mangled."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel import NblabelError
from nblabel._codec import (
    as_texts,
    concat_texts,
    decode,
    decode_distinct,
    decode_joined,
    encode,
    encode_many,
    fixed_lines,
    fixed_texts,
    present_texts,
    split_rows,
    whole_numbers,
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
# dict keys are str: JSON has no other key type; "$" keys (the codec's markers) included
KEYS = st.text(max_size=5)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(KEYS, inner, max_size=4)
    ),
    max_leaves=20,
)


def same(a, b) -> bool:
    """Equal and of the same type all the way down (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


@settings(max_examples=200, deadline=None, derandomize=True)
@given(VALUES)
def test_round_trip_keeps_value_and_type(value):
    text = encode(value)
    assert isinstance(text, str)
    assert same(decode(text), value)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(VALUES)
def test_encoding_is_deterministic_text(value):
    # the store compares encoded item ids in SQL, so equal values must give equal text
    assert encode(value) == encode(decode(encode(value)))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.one_of(st.integers(), st.text(), st.booleans(), st.floats(allow_nan=False,
                 allow_infinity=False), st.lists(st.integers(), max_size=3)))  # fmt: skip
def test_plain_values_encode_as_compact_json(value):
    # the texts stored so far: a faster encoder must write exactly these
    assert encode(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    "value",
    [
        pd.Timestamp("2024-03-01 12:30:00"),
        pd.Timestamp("2024-03-01 12:30:00.123456789", tz="UTC"),
        pd.Timestamp("2024-03-01", tz="Europe/Paris"),
        pd.Timedelta("1 days 02:03:04.5"),
        ("a", 1, pd.Timestamp("2024-01-01")),
        "日本語 עברית 🙂",
        "",
        '{"$tuple": [1]}',
    ],
)
def test_round_trip_of_ids_beyond_json(value):
    back = decode(encode(value))
    assert type(back) is type(value)
    assert back == value


def test_numpy_and_datetime_scalars_come_back_as_python_values():
    assert same(decode(encode(np.int64(7))), 7)
    assert same(decode(encode(np.float32(0.5))), 0.5)
    assert same(decode(encode(np.bool_(True))), True)
    assert decode(encode(np.array([1, 2]))) == [1, 2]
    assert decode(encode(dt.datetime(2024, 1, 2, 3))) == pd.Timestamp("2024-01-02 03:00")


def test_equal_ids_of_numpy_and_python_types_encode_alike():
    # an item labeled through a numpy index must be found again by its Python value
    assert encode(np.int64(5)) == encode(5)
    assert encode((np.int64(1), "a")) == encode((1, "a"))


def test_values_of_different_types_encode_apart():
    assert len({encode(1), encode(1.0), encode(True), encode("1"), encode((1,)), encode([1])}) == 6


def test_decode_none_is_none():
    assert decode(None) is None


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan"), [1, math.nan]])
def test_non_finite_numbers_are_refused(bad):
    with pytest.raises(NblabelError, match="finite"):
        encode(bad)


@pytest.mark.parametrize("bad", [object(), {1, 2}, b"bytes"])
def test_unknown_types_are_refused_with_the_supported_ones_named(bad):
    with pytest.raises(NblabelError, match="strings"):
        encode(bad)


@pytest.mark.parametrize("value", [{"$tuple": [1, 2]}, {"$ts": "2024-01-01"}])
def test_dicts_that_look_like_codec_markers_round_trip(value):
    assert same(decode(encode(value)), value)


# a lone surrogate is what os.listdir gives for a file name that is not valid UTF-8
# (joined from characters: st.text() leaves surrogates out)
SURROGATE_TEXT = st.lists(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"]) | st.characters(),
    min_size=1,
    max_size=8,
).map("".join)


@pytest.mark.parametrize(
    "value",
    ["\udcff", "r\udce9sum\u00e9.txt", ("dir", "f\ud800"), ["\udcff", "ok"], {"k\udcff": "v"}],
)
def test_lone_surrogates_round_trip_as_valid_utf8(value):
    text = encode(value)
    text.encode("utf-8")  # SQLite and the browser take it
    assert same(decode(text), value)
    assert encode(decode(text)) == text  # one value, one text: the store matches ids by text


@settings(max_examples=200, deadline=None, derandomize=True)
@given(SURROGATE_TEXT)
def test_any_python_string_round_trips_or_is_refused(value):
    split_pair = any(
        "\ud800" <= a <= "\udbff" and "\udc00" <= b <= "\udfff"
        for a, b in itertools.pairwise(value)
    )
    if split_pair:  # JSON would join the two into one character: refused, never changed
        with pytest.raises(NblabelError, match="surrogate pair"):
            encode(value)
        return
    text = encode(value)
    text.encode("utf-8")
    assert decode(text) == value and encode(value) == text


def test_text_without_lone_surrogates_keeps_its_encoding():
    assert encode("café ☕ 日本") == '"café ☕ 日本"'
    assert encode(["ok", "\U0001f642"]) == '["ok","\U0001f642"]'  # a real pair is no surrogate


@given(st.lists(st.one_of(VALUES, st.integers()), max_size=8))
def test_decoding_distinct_texts_at_once_gives_what_decoding_each_gives(values):
    texts = list(dict.fromkeys(encode(v) for v in values))
    decoded, mutable = decode_distinct(texts)
    expected = [decode(t) for t in texts]
    assert list(decoded) == expected
    assert [type(v) for v in decoded] == [type(v) for v in expected]
    assert mutable == [i for i, v in enumerate(expected) if isinstance(v, (list, dict))]


def _encoded_or_error(value):
    try:
        return encode(value)
    except NblabelError as exc:
        return type(exc), str(exc)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.one_of(VALUES, SURROGATE_TEXT, st.integers(), st.booleans(),
                          st.integers(-(2**63), 2**63 - 1).map(np.int64)), max_size=8))  # fmt: skip
def test_encoding_many_at_once_gives_the_texts_of_encoding_each(values):
    expected = [_encoded_or_error(v) for v in values]
    refused = next((e for e in expected if isinstance(e, tuple)), None)
    if refused is None:
        assert encode_many(values) == expected
    else:  # the first value refused stops it, with the same message
        with pytest.raises(refused[0]) as caught:
            encode_many(values)
        assert str(caught.value) == refused[1]


def test_encoding_many_ids_keeps_the_fast_cases_exact():
    values = [0, -7, 2**70, True, "plain", 'quo"te\\', "café", "\udcff", "tab\t", np.int64(5)]
    assert encode_many(values) == [encode(v) for v in values]
    assert encode_many(values)[3:5] == ["true", '"plain"']


# -- texts of one width: fingerprints read with no Python object each --------------------------
def objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@pytest.mark.parametrize(
    "joined, n, expected",
    [
        ("0123\nabcd", 2, [b"0123", b"abcd"]),
        ("ab\nabc", 2, None),  # widths differ
        ("ab\ncd", 3, None),  # another count
        ("ab\n\nc", 2, None),  # "ab\n" and "c": the newline is inside a text
        ("a\tb\ncde", 2, None),  # a control character
        ("ab\x00\ncde", 2, None),  # a NUL: numpy's bytes would drop it from the end
        ("é1\né2", 2, None),  # not ASCII
        ("\n", 2, None),  # empty texts
        ("", 0, None),
    ],
)
def test_texts_of_one_width_are_read_as_one_array_of_bytes(joined, n, expected):
    fixed = fixed_lines(joined, n)
    assert (fixed if fixed is None else fixed.tolist()) == expected


ONE_WIDTH = st.text(alphabet="ab\t\n\x00é", min_size=2, max_size=2)


@given(st.lists(st.none() | st.text() | ONE_WIDTH, max_size=8))
def test_texts_as_bytes_of_one_width_come_back_as_they_were(values):
    fixed = fixed_texts(objects(values))
    assert as_texts(fixed).tolist() == values
    assert present_texts(fixed).tolist() == [v not in (None, "") for v in values]
    present = [v for v in values if v is not None]
    if fixed.dtype.kind == "S":  # only plain ASCII texts of one width become bytes
        assert len({len(v) for v in present}) == 1 and len(present[0]) >= 1
        assert all(32 <= ord(c) < 128 for v in present for c in v)
    else:
        assert fixed.dtype == object


def test_texts_in_either_form_join_into_one_array():
    fixed = fixed_texts(objects(["ab", None]))
    assert fixed.dtype == np.dtype("S2")
    assert concat_texts(fixed, objects(["cd"])).tolist() == [b"ab", b"", b"cd"]
    wider = concat_texts(fixed, objects(["cde"]))
    assert wider.dtype == np.dtype("S3") and as_texts(wider).tolist() == ["ab", None, "cde"]
    as_objects = concat_texts(fixed, objects(["café"]))
    assert as_objects.dtype == object and as_objects.tolist() == ["ab", None, "café"]
    assert concat_texts(fixed, objects([])) is fixed and concat_texts(objects([]), fixed) is fixed
    assert fixed_texts(objects([1, 2])).tolist() == [1, 2]  # not texts: left as they are


FIELD = st.text(alphabet=st.characters(blacklist_characters="\t\n"), max_size=4)


@given(st.integers(1, 4).flatmap(lambda n: st.lists(st.lists(FIELD, min_size=n, max_size=n),
                                                     min_size=1, max_size=6)))  # fmt: skip
def test_rows_joined_by_tabs_and_newlines_split_into_their_columns(rows):
    joined = "\n".join("\t".join(row) for row in rows)
    columns = ["\n".join(column) for column in zip(*rows, strict=True)]
    assert split_rows(joined, len(rows[0])) == columns


@pytest.mark.parametrize(
    "joined, n_fields",
    [
        ("a\tb\nc", 2),  # a row short of a value
        ("a\tb\tc\nd\te", 2),  # a value holding a tab
        ("a\nb\tc", 2),  # a value holding a line break
        ("", 2),
    ],
)
def test_rows_that_do_not_split_into_whole_rows_are_refused(joined, n_fields):
    assert split_rows(joined, n_fields) is None


def test_an_empty_text_is_no_text():
    assert present_texts(objects(["a", "", None])).tolist() == [True, False, False]


#: texts another program may store: Python's int() reads each as a number, JSON none of them
NOT_JSON_NUMBERS = ["+7", "7_000", "\u0667", "-007", "0x7", "\uff17"]


@pytest.mark.parametrize("text", [*NOT_JSON_NUMBERS, "pos", "", "{", '"open', "[1,"])
def test_a_stored_text_that_is_not_json_is_read_as_that_text(text):
    assert decode(text) == text
    with pytest.raises(ValueError):  # what the browser sends is JSON, or refused
        decode(text, strict=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    # tags of the codec holding what it never writes: the JSON as it is
    [
        ('{"$tuple": 5}', {"$tuple": 5}),
        ('{"$ts": "never"}', {"$ts": "never"}),
        ('{"$td": [1]}', {"$td": [1]}),
    ],
)
def test_a_codec_tag_around_a_value_it_never_holds_is_read_as_plain_json(text, expected):
    assert decode(text) == expected


@pytest.mark.parametrize(
    "text",
    [*NOT_JSON_NUMBERS, " 7", "7 ", "-0", "007", "7", "-7", '"open', '"a"b"', '""', '"'],
)
def test_every_bulk_read_of_a_stored_id_gives_what_decoding_it_gives(text):
    # Python's int() (which numpy's cast uses) reads "+7", "7_000" and "٧" as numbers; the
    # store reads an id as decode() does, row by row or a million at once
    expected = decode(text)
    texts = np.array([text, "1"], dtype=object)
    try:
        bulk = whole_numbers(texts).tolist()
    except ValueError:
        bulk = None
    assert bulk is None or bulk == [expected, 1]
    assert decode_distinct([text, "1"])[0].tolist() == [expected, 1]
    values, _ = decode_joined(f"{text}\n1")
    assert typed_list(values.tolist()) == typed_list([expected, 1])


def typed_list(values: list) -> list:
    return [(type(v).__name__, v) for v in values]


def test_whole_numbers_reads_ids_as_int64_and_refuses_anything_else():
    assert whole_numbers(np.array(["3", "-2", "0"], dtype=object)).tolist() == [3, -2, 0]
    assert whole_numbers(np.array([4, 5])).dtype == np.int64
    for bad in [["1", 2], ["1", b"2"], ["1", "2.0"], ["1", str(2**63)], ["1", "+2"]]:
        with pytest.raises((ValueError, TypeError, OverflowError)):
            whole_numbers(np.array(bad, dtype=object))


STORED = st.one_of(
    st.text().filter(lambda t: "\n" not in t),
    VALUES.map(encode),
    st.sampled_from([*NOT_JSON_NUMBERS, '"open', '"a"b"', '""', '"', "-0", "007", " 7"]),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(STORED, min_size=1, max_size=6))
def test_texts_joined_by_newlines_decode_as_each_decodes(texts):
    values, _ = decode_joined("\n".join(texts))
    assert typed_list(values.tolist()) == typed_list([decode(t) for t in texts])
