"""Span values stay right in every script: code point offsets in Python, UTF-16 in the browser,
tokens by the Unicode word boundaries, and every bad span refused with what to fix."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel import NblabelError
from nblabel._spans import (
    Offsets,
    SpanItems,
    check_classes,
    check_spans,
    prelabel_spans,
    snap_span,
    token_bounds,
    tokenizer_of,
)

CLASSES = ["PER", "ORG", "LOC"]
WORDS = tokenizer_of(None, "token")

# text of every width: ASCII, BMP (CJK, Arabic, combining marks) and astral (emoji, CJK ext. B),
# lone surrogates excluded (the store refuses them)
PIECES = ["a", " ", "中", "😀", "👍🏽", "👩‍👩‍👧", "𠀋", "é", "שלום", "مرحبا"]
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60) | st.lists(
    st.sampled_from(PIECES)
).map("".join)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# -- UTF-16 <-> code points --------------------------------------------------------------------
@settings(max_examples=300)
@given(texts)
def test_every_offset_round_trips_through_utf16(text):
    offsets = Offsets(text)
    assert offsets.utf16_length == utf16_length(text)
    for cp in range(len(text) + 1):
        unit = offsets.to_utf16(cp)
        # the browser's offset: the UTF-16 length of the prefix, computed independently
        assert unit == utf16_length(text[:cp])
        assert offsets.from_utf16(unit) == cp


@settings(max_examples=200)
@given(texts, st.data())
def test_a_utf16_slice_is_the_code_point_slice(text, data):
    offsets = Offsets(text)
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    units = text.encode("utf-16-le", "surrogatepass")
    ua, ub = offsets.to_utf16(a), offsets.to_utf16(b)
    assert units[2 * ua : 2 * ub].decode("utf-16-le", "surrogatepass") == text[a:b]


def test_offsets_inside_a_surrogate_pair_or_outside_the_text_are_refused():
    text = "a😀b"  # the emoji is UTF-16 units 1 and 2
    offsets = Offsets(text)
    assert [offsets.to_utf16(i) for i in range(4)] == [0, 1, 3, 4]
    assert [offsets.from_utf16(u) for u in (0, 1, 3, 4)] == [0, 1, 2, 3]
    with pytest.raises(NblabelError, match="inside the character '😀'"):
        offsets.from_utf16(2)
    with pytest.raises(NblabelError, match="outside the text"):
        offsets.from_utf16(5)
    with pytest.raises(NblabelError, match="outside the text"):
        offsets.to_utf16(4)


def test_chinese_after_an_emoji_keeps_its_python_offsets():
    text = "👍🏽 我在北京工作"
    offsets = Offsets(text)
    # the browser selects 北京: after 2 astral characters (4 units), a space and 我在
    start16 = utf16_length("👍🏽 我在")
    start, end = offsets.from_utf16(start16), offsets.from_utf16(start16 + 2)
    assert text[start:end] == "北京" and (start, end) == (5, 7)


# -- tokens --------------------------------------------------------------------------------------
def words(text):
    return [text[a:b] for a, b in token_bounds(text, WORDS)]


def test_unicode_word_boundaries_in_several_scripts():
    assert words("Hello, world! It's 3.5 km.") == [
        "Hello", ",", "world", "!", "It's", "3.5", "km", "."
    ]  # fmt: skip
    assert words("我爱北京天安门。") == ["我", "爱", "北", "京", "天", "安", "门", "。"]
    # a ZWJ family and a thumbs-up with a skin tone each stay one token
    assert words("hi 👩‍👩‍👧 there 👍🏽 ok") == ["hi", "👩‍👩‍👧", "there", "👍🏽", "ok"]
    assert words("שלום עולם, مرحبا بالعالم") == ["שלום", "עולם", ",", "مرحبا", "بالعالم"]
    assert words("cafe\u0301 naïve") == ["cafe\u0301", "naïve"]  # the combining accent stays


def test_a_selection_snaps_to_the_words_it_touches():
    text = "Ada Lovelace met Charles Babbage."
    tokens = token_bounds(text, WORDS)
    assert text[slice(*snap_span(6, 10, tokens))] == "Lovelace"  # inside one word
    assert text[slice(*snap_span(2, 14, tokens))] == "Ada Lovelace met"  # cuts two words
    assert text[slice(*snap_span(3, 12, tokens))] == "Lovelace"  # spaces at both ends dropped
    assert snap_span(2, 5, None) == (2, 5)  # snap="char"
    with pytest.raises(NblabelError, match="holds no word"):
        snap_span(3, 4, tokens)


def test_a_tokenizer_of_the_users_gives_bounds_or_token_strings():
    text = "我在北京工作"
    jieba_like = lambda t: ["我", "在", "北京", "工作"]  # noqa: E731
    tokens = token_bounds(text, tokenizer_of(jieba_like, "token"))
    assert tokens == [(0, 1), (1, 2), (2, 4), (4, 6)]
    assert text[slice(*snap_span(3, 4, tokens))] == "北京"
    assert token_bounds("a bc", lambda t: [(0, 1), (2, 4)]) == [(0, 1), (2, 4)]


@pytest.mark.parametrize(
    ("tokenizer", "message"),
    [
        (lambda t: ["zz"], "not in the text"),
        (lambda t: [(0, 9)], "bounds"),
        (lambda t: [(2, 3), (0, 1)], "in order"),
        (lambda t: [object()], "pairs or token strings"),
        (lambda t: 1 / 0, "raised ZeroDivisionError"),
    ],
)
def test_a_broken_tokenizer_is_named(tokenizer, message):
    with pytest.raises(NblabelError, match=message):
        token_bounds("abc", tokenizer)


def test_snap_and_tokenizer_arguments_are_checked():
    with pytest.raises(NblabelError, match="snap= must be 'token'"):
        tokenizer_of(None, "word")
    with pytest.raises(NblabelError, match="tokenizer= must be a function"):
        tokenizer_of("jieba", "token")
    with pytest.raises(NblabelError, match="only with snap='token'"):
        tokenizer_of(str.split, "char")
    assert tokenizer_of(None, "char") is None


# -- checking spans ------------------------------------------------------------------------------
TEXT = "Ada Lovelace worked in London."


def test_spans_come_back_sorted_with_their_text():
    spans = check_spans([(23, 29, "LOC"), {"start": 0, "end": 12, "label": "PER"}], TEXT, CLASSES)
    assert spans == [
        {"start": 0, "end": 12, "label": "PER", "text": "Ada Lovelace"},
        {"start": 23, "end": 29, "label": "LOC", "text": "London"},
    ]
    assert all(TEXT[s["start"] : s["end"]] == s["text"] for s in spans)


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([(0, 40, "PER")], "not inside the text of 30 characters"),
        ([(-1, 3, "PER")], "not inside the text"),
        ([(5, 5, "PER")], "start < end"),
        ([(3, 1, "PER")], "start < end"),
        ([(0, 3, "DATE")], "'DATE', which is not one of classes="),
        ([(0, 3, ["PER"])], "not one of classes="),
        ([{"start": 0, "end": 3, "label": "PER", "text": "Bob"}], "says its text is 'Bob'"),
        ([(0, 12, "PER"), (4, 12, "PER")], "overlap: remove one, or allow nested"),
        ([(0, 3, "PER"), (0, 3, "PER")], "given twice"),
        ([{"start": 0, "label": "PER"}], "has no end"),
        ([(0.5, 3, "PER")], "start must be a whole number"),
        ([(True, 3, "PER")], "start must be a whole number"),
        (["Ada"], "is not a span"),
        ("Ada", "is not a list of spans"),
    ],
)
def test_bad_spans_are_refused_with_the_fix(spans, message):
    with pytest.raises(NblabelError, match=message):
        check_spans(spans, TEXT, CLASSES, where="item 7")


def test_nested_spans_are_allowed_with_overlap_true():
    spans = check_spans([(4, 12, "PER"), (0, 12, "PER"), (0, 3, "ORG")], TEXT, CLASSES,
                        overlap=True)  # fmt: skip
    assert [(s["start"], s["end"], s["label"]) for s in spans] == [
        (0, 3, "ORG"), (0, 12, "PER"), (4, 12, "PER")
    ]  # fmt: skip
    # the same characters with two classes: two spans, not a duplicate
    assert len(check_spans([(0, 3, "PER"), (0, 3, "ORG")], TEXT, CLASSES, overlap=True)) == 2


def test_touching_spans_do_not_overlap():
    assert len(check_spans([(0, 3, "PER"), (3, 12, "PER")], TEXT, CLASSES)) == 2


def test_the_error_names_where_the_span_was_given():
    with pytest.raises(NblabelError, match=r"^prelabels, item 'b':"):
        check_spans([(0, 99, "PER")], TEXT, CLASSES, where="prelabels, item 'b'")


@settings(max_examples=200)
@given(texts, st.data())
def test_every_checked_span_holds_its_slice(text, data):
    if not text:
        return
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    (span,) = check_spans([(a, b, "PER")], text, CLASSES)
    assert text[span["start"] : span["end"]] == span["text"] == text[a:b]


@settings(max_examples=200)
@given(texts, st.data())
def test_snapped_spans_cover_the_selection_and_hold_whole_tokens(text, data):
    tokens = token_bounds(text, WORDS)
    if not tokens:
        return
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    try:
        start, end = snap_span(a, b, tokens)
    except NblabelError:
        assert text[a:b].isspace()  # refused only when nothing but spaces was selected
        return
    assert (start, end) in {(s, e) for s, e in _joined(tokens)}
    touched = [t for t in tokens if t[0] < b and t[1] > a]
    assert start == touched[0][0] and end == touched[-1][1]


def _joined(tokens):
    for i, (s, _) in enumerate(tokens):
        for _, e in tokens[i:]:
            yield s, e


def test_snapping_applies_to_given_spans():
    tokens = token_bounds(TEXT, WORDS)
    (span,) = check_spans([(5, 8, "PER")], TEXT, CLASSES, tokens=tokens)
    assert span["text"] == "Lovelace"


def test_classes_are_an_ordered_list_of_names():
    assert check_classes(("PER", "ORG")) == ["PER", "ORG"]
    with pytest.raises(NblabelError, match="is a set"):
        check_classes({"PER", "ORG"})
    with pytest.raises(NblabelError, match="span classes are names"):
        check_classes([1, 2])
    with pytest.raises(NblabelError, match="more than once"):
        check_classes(["PER", "PER"])
    with pytest.raises(NblabelError, match="is a dict"):
        check_classes({"PER": 1})


# -- prelabels -----------------------------------------------------------------------------------
class FakeEnt:  # what a spaCy pipeline's doc.ents holds
    def __init__(self, start_char, end_char, label_):
        self.start_char, self.end_char, self.label_ = start_char, end_char, label_


def test_prelabels_from_a_column_json_text_or_a_spacy_doc():
    tokens = token_bounds(TEXT, WORDS)
    assert prelabel_spans(None, TEXT, CLASSES) == []
    assert prelabel_spans(float("nan"), TEXT, CLASSES) == []
    from_json = prelabel_spans('[{"start": 23, "end": 29, "label": "LOC"}]', TEXT, CLASSES)
    assert from_json[0]["text"] == "London"
    ents = [FakeEnt(0, 3, "PER"), FakeEnt(24, 27, "LOC")]
    snapped = prelabel_spans(ents, TEXT, CLASSES, tokens=tokens)
    assert [s["text"] for s in snapped] == ["Ada", "London"]  # "ond" snapped to the word
    with pytest.raises(NblabelError, match="is text, not a list of spans"):
        prelabel_spans("London", TEXT, CLASSES)
    # snapping can make spans overlap: refused like any overlap, naming the row
    with pytest.raises(NblabelError, match=r"row 3: the spans .* overlap"):
        prelabel_spans([(0, 2, "PER"), (2, 3, "ORG")], TEXT, CLASSES, tokens=tokens,
                       where="row 3")  # fmt: skip


# -- the items of a span task --------------------------------------------------------------------
MIXED = ["👩‍🔬 居里夫人在巴黎工作", "Ada met Charles.", "سافر أحمد إلى القاهرة", None]


def items(**kwargs):
    kwargs.setdefault("tokenizer", WORDS)
    return SpanItems(MIXED, CLASSES, ids=["zh", "en", "ar", "none"], **kwargs)


def test_the_browser_gets_utf16_tokens_and_sends_utf16_spans():
    spans = items()
    content = spans.content(0)
    assert content["type"] == "spans" and content["text"] == MIXED[0] and content["snap"]
    units = MIXED[0].encode("utf-16-le")
    flat = np.frombuffer(content["tokens"], dtype="<u4").tolist()  # a binary buffer
    pairs = list(zip(flat[::2], flat[1::2], strict=True))
    shown = [units[2 * a : 2 * b].decode("utf-16-le") for a, b in pairs]
    assert shown == ["👩‍🔬", "居", "里", "夫", "人", "在", "巴", "黎", "工", "作"]
    # the browser selected 巴黎: UTF-16 units after the emoji (5 units), a space and 居里夫人在
    start16 = utf16_length("👩‍🔬 居里夫人在")
    got = spans.from_browser(0, [{"start": start16, "end": start16 + 2, "label": "LOC",
                                  "text": "巴黎"}])  # fmt: skip
    # code points: the emoji is 3 (woman, ZWJ, microscope), the space 1, 居里夫人在 5
    assert got == [{"start": 9, "end": 11, "label": "LOC", "text": "巴黎"}]
    assert MIXED[0][9:11] == "巴黎"
    assert spans.to_browser(0, got) == [{"start": start16, "end": start16 + 2, "label": "LOC"}]


def test_what_the_browser_sends_is_checked_like_any_span():
    spans = items()
    with pytest.raises(NblabelError, match="inside the character"):
        spans.from_browser(0, [{"start": 1, "end": 3, "label": "PER"}])  # half an emoji
    with pytest.raises(NblabelError, match=r"item 'en': .* says its text is 'Bob'"):
        spans.from_browser(1, [{"start": 0, "end": 3, "label": "PER", "text": "Bob"}])
    with pytest.raises(NblabelError, match="not one of classes"):
        spans.from_browser(1, [{"start": 0, "end": 3, "label": "DATE"}])
    with pytest.raises(NblabelError, match="spans come as a list"):
        spans.from_browser(1, "PER")
    with pytest.raises(NblabelError, match="item 'none': the text column holds None"):
        spans.content(3)


def test_prelabels_from_a_column_or_a_function_are_snapped():
    column = [None, [(9, 12, "PER")], None, None]  # "har" of Charles (8-15)
    assert items(prelabels=column).suggested(1) == [
        {"start": 8, "end": 15, "label": "PER", "text": "Charles"}
    ]
    content = items(prelabels=column).content(1)
    assert content["prelabels"] == [{"start": 8, "end": 15, "label": "PER"}]
    capitals = lambda text: [(m.start(), m.end(), "PER") for m in re.finditer(r"[A-Z]\w+", text)]  # noqa: E731
    assert [s["text"] for s in items(prelabels=capitals).suggested(1)] == ["Ada", "Charles"]
    with pytest.raises(NblabelError, match="prelabels=, item 'en': the prelabels function raised"):
        items(prelabels=lambda text: 1 / 0).suggested(1)


def test_snap_char_keeps_exact_characters():
    spans = items(tokenizer=None)
    assert spans.content(1)["tokens"] == b"" and not spans.content(1)["snap"]
    assert spans.add(1, [], 1, 2, "PER") == [{"start": 1, "end": 2, "label": "PER", "text": "d"}]


@settings(max_examples=200)
@given(texts, st.data())
def test_many_offsets_convert_as_each_one_does(text, data):
    offsets = Offsets(text)
    units = data.draw(st.lists(st.integers(-2, offsets.utf16_length + 2), max_size=8))
    try:
        each = [offsets.from_utf16(u) for u in units]
    except NblabelError as exc:
        with pytest.raises(NblabelError, match=re.escape(str(exc))):
            offsets.many_from_utf16(units)
    else:
        assert offsets.many_from_utf16(units) == each
