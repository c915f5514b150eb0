"""Text spans: the value of a span label, its checks, token snapping and the browser's offsets.

A span is ``{"start", "end", "label", "text"}`` with ``start``/``end`` in Python string offsets
(code points) and ``text == text_of_item[start:end]``. The spans of one item are one label: a
list sorted by position, stored as one annotation, so undo, fingerprints and durability are the
store's. The browser counts UTF-16 code units (an emoji or an astral CJK character is two):
:class:`Offsets` converts at the edge, both ways, and refuses an offset inside a character.

Tokens (what a mouse selection snaps to) follow the Unicode default word boundaries (UAX #29,
the ``regex`` package's WORD flag): Chinese and Japanese text without spaces snaps to single
characters, an emoji with a skin tone or a ZWJ sequence stays whole, combining marks stay on
their letter. A tokenizer of the user's (``text -> [(start, end)]`` or ``text -> [token]``)
replaces them. Pure: no widget library is imported here.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_options, given
from ._errors import NblabelError
from ._optional import require

__all__ = [
    "SNAPS",
    "Offsets",
    "SpanItems",
    "check_classes",
    "check_spans",
    "contested_spans",
    "overlapping",
    "prelabel_spans",
    "snap_span",
    "suggestion_outcomes",
    "token_bounds",
    "tokenizer_of",
]

#: ``snap=`` values: ``"token"`` (Unicode word boundaries, or ``tokenizer=``), ``"char"``.
SNAPS = ("token", "char")

Span = dict
Tokenizer = Callable[[str], Any]


# -- UTF-16 <-> code points ----------------------------------------------------------------------
class Offsets:
    """Offsets in one text, converted between code points (Python) and UTF-16 units (the
    browser). Costs one pass over the text when it holds characters past U+FFFF, else none."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.length = len(text)
        wide = None
        if not text.isascii():
            points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
            astral = points > 0xFFFF
            if astral.any():
                # units[i]: the UTF-16 offset of code point i (one more entry: the end)
                wide = np.zeros(len(text) + 1, dtype=np.int64)
                np.cumsum(1 + astral, out=wide[1:])
        self._units = wide

    @property
    def utf16_length(self) -> int:
        """The text's length as the browser counts it."""
        return self.length if self._units is None else int(self._units[-1])

    def to_utf16(self, offset: int) -> int:
        """The UTF-16 offset of code point offset ``offset`` (``0 <= offset <= len(text)``)."""
        if not 0 <= offset <= self.length:
            raise NblabelError(
                f"offset {offset} is outside the text (0 to {self.length} characters)"
            )
        return offset if self._units is None else int(self._units[offset])

    def from_utf16(self, unit: int) -> int:
        """The code point offset of UTF-16 offset ``unit``; an offset between the two halves of
        one character (a surrogate pair) is refused."""
        length = self.utf16_length
        if not 0 <= unit <= length:
            raise NblabelError(
                f"the browser's offset {unit} is outside the text (0 to {length} UTF-16 units)"
            )
        if self._units is None:
            return unit
        offset = int(np.searchsorted(self._units, unit))
        if self._units[offset] != unit:
            raise NblabelError(
                f"the browser's offset {unit} falls inside the character "
                f"{self.text[offset - 1]!r} (two UTF-16 units): select whole characters"
            )
        return offset

    def many_from_utf16(self, units: Sequence[int]) -> list[int]:
        """:meth:`from_utf16` of several offsets at once (one search for all of them)."""
        if self._units is None or not len(units):
            return [self.from_utf16(int(u)) for u in units]
        wanted = np.asarray(units, dtype=np.int64)
        found = np.searchsorted(self._units, wanted)
        bad = (wanted < 0) | (wanted > self._units[-1])
        bad |= self._units[np.minimum(found, self.length)] != wanted
        if bad.any():
            self.from_utf16(int(wanted[np.flatnonzero(bad)[0]]))  # raises, naming the offset
        return found.tolist()


# -- tokens --------------------------------------------------------------------------------------
_WORD_BOUNDARY = None


def _unicode_tokens(text: str) -> list[tuple[int, int]]:
    global _WORD_BOUNDARY
    if _WORD_BOUNDARY is None:
        regex = require("regex", extra="spans", purpose="snapping spans to words")
        # WORD: \b follows the Unicode default word boundaries (UAX #29), not \w/\W changes
        _WORD_BOUNDARY = regex.compile(r"\b", regex.WORD | regex.V1)
    cuts = [m.start() for m in _WORD_BOUNDARY.finditer(text)]
    if not cuts or cuts[0] != 0:
        cuts.insert(0, 0)
    if cuts[-1] != len(text):
        cuts.append(len(text))
    return [(a, b) for a, b in itertools.pairwise(cuts) if a < b and not text[a:b].isspace()]


def tokenizer_of(tokenizer: Any, snap: Any) -> Tokenizer | None:
    """Check ``snap=`` and ``tokenizer=``: the function giving token bounds, or ``None`` when
    spans snap to characters."""
    if not isinstance(snap, str) or snap not in SNAPS:
        raise NblabelError(
            f"snap= must be 'token' (whole words, by Unicode word boundaries) or 'char' (exact "
            f"characters), not {given(snap)}"
        )
    if tokenizer is not None and not callable(tokenizer):
        raise NblabelError(
            "tokenizer= must be a function text -> [(start, end), ...] or text -> [token, ...] "
            f"(such as str.split), not {given(tokenizer)}"
        )
    if snap == "char":
        if tokenizer is not None:
            raise NblabelError(
                "tokenizer= is given with snap='char': spans snap to tokens only with "
                "snap='token' (the default)"
            )
        return None
    if tokenizer is None:
        require("regex", extra="spans", purpose="snapping spans to words")
        return _unicode_tokens
    return tokenizer


def token_bounds(text: str, tokenizer: Tokenizer) -> list[tuple[int, int]]:
    """The ``(start, end)`` code point bounds of the tokens of ``text``, in order.

    ``tokenizer`` returns bounds, or the tokens themselves as strings (found in order in the
    text, as ``str.split`` or a Chinese word segmenter gives them).
    """
    if tokenizer is _unicode_tokens:
        return _unicode_tokens(text)  # bounds already, in order: nothing to check
    try:
        found = tokenizer(text)
        found = list(found)
    except NblabelError:
        raise
    except Exception as exc:
        raise NblabelError(
            f"tokenizer= raised {type(exc).__name__}: {exc} on the text {given(text, 40)}"
        ) from exc
    bounds: list[tuple[int, int]] = []
    at = 0
    for token in found:
        if isinstance(token, str):
            start = text.find(token, at)
            if not token or start < 0:
                raise NblabelError(
                    f"tokenizer= returned the token {token!r}, which is not in the text after "
                    f"offset {at}: return the tokens in order, as they appear in the text"
                )
            end = start + len(token)
        else:
            try:
                start, end = (int(v) for v in token)
            except (TypeError, ValueError):
                raise NblabelError(
                    f"tokenizer= returned {given(token)}: return (start, end) pairs or token "
                    "strings"
                ) from None
            if not 0 <= start < end <= len(text) or start < at:
                raise NblabelError(
                    f"tokenizer= returned the bounds ({start}, {end}) for a text of {len(text)} "
                    "characters: give non-empty tokens in order, without overlaps"
                )
        bounds.append((start, end))
        at = end
    return bounds


def snap_span(start: int, end: int, tokens: Sequence[tuple[int, int]] | None) -> tuple[int, int]:
    """``(start, end)`` made to cover exactly the tokens it touches (a word cut in two is taken
    whole, spaces at the ends are dropped); unchanged without tokens (``snap="char"``). A
    selection that touches no token (only spaces) is refused."""
    if tokens is None:
        return start, end
    return _snap(start, end, tokens, [a for a, _ in tokens], [b for _, b in tokens])


def _snap(
    start: int, end: int, tokens: Sequence[tuple[int, int]], starts: list[int], ends: list[int]
) -> tuple[int, int]:
    # the first token ending after start, the last token starting before end
    first = bisect.bisect_right(ends, start)
    last = bisect.bisect_left(starts, end) - 1
    if first > last:
        raise NblabelError(
            f"the selection {start}–{end} holds no word (only spaces): select a word, or use "
            "snap='char' for exact characters"
        )
    # spaces at either end are dropped, a token cut in two is taken whole
    return tokens[first][0], tokens[last][1]


# -- classes and spans ---------------------------------------------------------------------------
def check_classes(classes: Any) -> list[str]:
    """The span classes: an ordered list of non-empty names, each once."""
    if isinstance(classes, Mapping):
        raise NblabelError(
            "classes= is a dict: give the class names as a list, e.g. classes=['PER', 'ORG']"
        )
    checked = check_options(classes, "classes", "['PER', 'ORG']")
    for name in checked:
        if not isinstance(name, str):
            raise NblabelError(
                f"classes= holds {name!r} ({type(name).__name__}): span classes are names, such "
                f"as 'PER'; write classes=[{str(name)!r}, ...]"
            )
    return checked


def _fields(span: Any, where: str) -> tuple[Any, Any, Any, Any]:
    if isinstance(span, Mapping):
        missing = [k for k in ("start", "end", "label") if k not in span]
        if missing:
            raise NblabelError(
                f"{where}: the span {given(span)} has no {', '.join(missing)}: give each span "
                "as {'start': 0, 'end': 5, 'label': 'PER'}"
            )
        return span["start"], span["end"], span["label"], span.get("text")
    if hasattr(span, "start_char") and hasattr(span, "label_"):  # a spaCy Span (doc.ents)
        return span.start_char, span.end_char, span.label_, None
    if isinstance(span, (tuple, list)) and len(span) in (3, 4):
        return (*span, None) if len(span) == 3 else tuple(span)  # type: ignore[return-value]
    raise NblabelError(
        f"{where}: {given(span)} is not a span: give {{'start': 0, 'end': 5, 'label': 'PER'}} "
        "or (start, end, label)"
    )


def _offset(value: Any, what: str, where: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise NblabelError(f"{where}: the span's {what} must be a whole number, not {given(value)}")
    return int(value)


def check_spans(
    spans: Any,
    text: str,
    classes: Sequence[str],
    *,
    overlap: bool = False,
    tokens: Sequence[tuple[int, int]] | None = None,
    where: str = "spans",
) -> list[Span]:
    """The spans of one text checked, snapped to ``tokens`` (when given) and sorted.

    Each span is a dict ``{"start", "end", "label"}`` (a ``"text"`` key, when given, must be
    ``text[start:end]``) or a tuple ``(start, end, label)``, with code point offsets. Refused,
    naming ``where`` and the span: offsets out of range or ``start >= end``, a label not in
    ``classes``, a span given twice, and (``overlap=False``) spans that overlap.
    Returns new dicts ``{"start", "end", "label", "text"}``, sorted by start, end and class.
    """
    if spans is None:
        return []
    if isinstance(spans, (str, bytes, Mapping)) or not isinstance(spans, Iterable):
        raise NblabelError(
            f"{where}: {given(spans)} is not a list of spans: give a list such as "
            "[{'start': 0, 'end': 5, 'label': 'PER'}] (an empty list: no spans)"
        )
    rank = {name: i for i, name in enumerate(classes)}
    if tokens is not None:  # the bounds in two sorted lists, once for all the spans
        starts, ends = [a for a, _ in tokens], [b for _, b in tokens]
    out: list[Span] = []
    for span in spans:
        start, end, label, shown = _fields(span, where)
        start, end = _offset(start, "start", where), _offset(end, "end", where)
        if not 0 <= start < end <= len(text):
            raise NblabelError(
                f"{where}: the span {start}–{end} ({label!r}) is not inside the text of "
                f"{len(text)} characters: 0 <= start < end <= {len(text)}"
            )
        if not isinstance(label, Hashable) or label not in rank:
            raise NblabelError(
                f"{where}: the span {start}–{end} has the class {given(label)}, which is not "
                f"one of classes= {list(classes)!r}"
            )
        if shown is not None and shown != text[start:end]:
            raise NblabelError(
                f"{where}: the span {start}–{end} says its text is {given(shown, 40)} but the "
                f"text there is {given(text[start:end], 40)}: the offsets are for another "
                "text, or count UTF-16 units or bytes instead of Python characters"
            )
        if tokens is not None:
            start, end = _snap(start, end, tokens, starts, ends)
        out.append({"start": start, "end": end, "label": label, "text": text[start:end]})
    out.sort(key=lambda s: (s["start"], s["end"], rank[s["label"]]))
    for a, b in itertools.pairwise(out):
        if (a["start"], a["end"], a["label"]) == (b["start"], b["end"], b["label"]):
            raise NblabelError(
                f"{where}: the span {a['start']}–{a['end']} {a['label']!r} "
                f"({a['text']!r}) is given twice: give each span once"
            )
    if not overlap:
        clash = overlapping(out)
        if clash is not None:
            a, b = clash
            raise NblabelError(
                f"{where}: the spans {a['start']}–{a['end']} {a['label']!r} ({a['text']!r}) and "
                f"{b['start']}–{b['end']} {b['label']!r} ({b['text']!r}) overlap: remove one, "
                "or allow nested spans with overlap=True"
            )
    return out


def overlapping(spans: Sequence[Span]) -> tuple[Span, Span] | None:
    """The first two spans (sorted by start) that share a character, or ``None``."""
    reach: Span | None = None
    for span in spans:
        if reach is not None and span["start"] < reach["end"]:
            return reach, span
        if reach is None or span["end"] > reach["end"]:
            reach = span
    return None


def prelabel_spans(
    value: Any,
    text: str,
    classes: Sequence[str],
    *,
    overlap: bool = False,
    tokens: Sequence[tuple[int, int]] | None = None,
    where: str = "prelabels",
) -> list[Span]:
    """Suggested spans for one text, from a cell of a ``prelabels=`` column or what a
    ``prelabels=`` function returned: checked and snapped as :func:`check_spans` does.

    A missing value (``None``, NaN) is no suggestion; JSON text (a column read back from CSV)
    is parsed; spaCy's ``doc.ents`` are taken as they are.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise NblabelError(
                f"{where}: {given(value)} is text, not a list of spans: give lists such as "
                "[{'start': 0, 'end': 5, 'label': 'PER'}] (JSON text of one is read too)"
            ) from None
    return check_spans(value, text, classes, overlap=overlap, tokens=tokens, where=where)


# -- the items of a span task --------------------------------------------------------------------
def suggestion_outcomes(suggested: Sequence[Span], saved: Sequence[Span]) -> list[dict]:
    """What the human did with each suggested span: ``accepted`` (saved as it was),
    ``changed`` (a saved span overlaps it with other bounds or another class: ``"to"`` names
    that class) or ``removed`` (nothing saved overlaps it)."""
    exact = {(s["start"], s["end"], s["label"]) for s in saved}
    out = []
    for span in suggested:
        key = (span["start"], span["end"], span["label"])
        record = {"start": span["start"], "end": span["end"], "label": span["label"]}
        if key in exact:
            record["outcome"] = "accepted"
        else:
            over = [s for s in saved if s["start"] < span["end"] and span["start"] < s["end"]]
            if over:
                # the saved span that shares most of it is what it was changed into
                best = max(over, key=lambda s: min(s["end"], span["end"])
                           - max(s["start"], span["start"]))  # fmt: skip
                record.update(outcome="changed", to=best["label"])
            else:
                record["outcome"] = "removed"
        out.append(record)
    return out


def contested_spans(
    annotations: pd.DataFrame, *, min_annotators: int = 2, include_agreed: bool = False
) -> dict[Any, dict]:
    """The items of a span task to adjudicate, in the order first labeled: each item's
    ``{"votes": [(annotator, spans)], "majority": spans}`` where the annotators' span lists
    differ (``include_agreed``: also where they agree). The majority is every span (bounds and
    class) that more than half of the item's annotators marked."""
    votes: dict[Any, list[tuple[str, list[Span]]]] = {}
    for item, annotator, label in zip(annotations["item"], annotations["annotator"],
                                      annotations["label"], strict=True):  # fmt: skip
        spans = [dict(s) for s in label] if isinstance(label, list) else []
        votes.setdefault(_hashable(item), []).append((annotator, spans))
    out = {}
    for item, marked in votes.items():
        if len(marked) < min_annotators:
            continue
        keys = [{(s["start"], s["end"], s["label"]) for s in spans} for _, spans in marked]
        if not include_agreed and all(k == keys[0] for k in keys):
            continue
        counts: dict[tuple, int] = {}
        for key_set in keys:
            for key in key_set:
                counts[key] = counts.get(key, 0) + 1
        majority = sorted(k for k, n in counts.items() if 2 * n > len(marked))
        out[item] = {
            "votes": marked,
            "majority": [{"start": a, "end": b, "label": c} for a, b, c in majority],
        }
    return out


def _hashable(item: Any) -> Any:
    return tuple(item) if isinstance(item, list) else item


class SpanItems:
    """The texts of a span task, and everything the widget does with one item's spans.

    Pure: the widget asks it for what the browser shows (:meth:`content`: the text, its token
    bounds and pre-labels in UTF-16 units) and turns what the browser sends back into checked
    code point spans (:meth:`from_browser`). Each text's tokens are computed when it is first
    asked for, for a few items at a time.
    """

    def __init__(
        self,
        texts: Sequence[Any],
        classes: Sequence[str],
        *,
        overlap: bool = False,
        tokenizer: Tokenizer | None = None,
        prelabels: Sequence[Any] | Callable[[str], Any] | None = None,
        ids: Sequence[Hashable] | None = None,
        votes: Mapping[int, list[tuple[str, list[Span]]]] | None = None,
    ) -> None:
        self.texts = texts
        self.classes = list(classes)
        self.overlap = overlap
        self.tokenizer = tokenizer
        self.prelabels = prelabels
        self.ids = ids
        self.votes = votes or {}  # review: by position, each annotator's spans, shown read-only
        self._cache: dict[int, tuple[str, Offsets, list[tuple[int, int]] | None]] = {}
        self._suggested: dict[int, list[Span]] = {}

    def _where(self, position: int) -> str:
        item = position if self.ids is None else self.ids[position]
        return f"item {item!r}"

    def text(self, position: int) -> str:
        """The text of the item at ``position``; a cell that is not text is refused."""
        value = self.texts[position]
        if not isinstance(value, str):
            raise NblabelError(
                f"{self._where(position)}: the text column holds {given(value)}, not text: "
                "spans are marked in text (fill or drop the row, or convert with .astype(str))"
            )
        return value

    def _parts(self, position: int) -> tuple[str, Offsets, list[tuple[int, int]] | None]:
        parts = self._cache.get(position)
        if parts is None:
            text = self.text(position)
            tokens = None if self.tokenizer is None else token_bounds(text, self.tokenizer)
            if len(self._cache) > 64:
                self._cache.clear()
                self._suggested.clear()
            parts = self._cache[position] = (text, Offsets(text), tokens)
        return parts

    def tokens(self, position: int) -> list[tuple[int, int]] | None:
        """The token bounds of the item's text (``None``: spans snap to characters)."""
        return self._parts(position)[2]

    def check(self, position: int, spans: Any, *, where: str | None = None) -> list[Span]:
        """Spans for the item at ``position`` (code points), checked and snapped."""
        text, _, tokens = self._parts(position)
        return check_spans(
            spans, text, self.classes, overlap=self.overlap, tokens=tokens,
            where=where or self._where(position),
        )  # fmt: skip

    def suggested(self, position: int) -> list[Span]:
        """The pre-labels of the item at ``position``, checked and snapped (``[]`` if none)."""
        if self.prelabels is None:
            return []
        if position not in self._suggested:
            self._suggested[position] = self._suggest(position)
        return [dict(span) for span in self._suggested[position]]

    def _suggest(self, position: int) -> list[Span]:
        text, _, tokens = self._parts(position)
        where = f"prelabels=, {self._where(position)}"
        if callable(self.prelabels):
            try:
                value = self.prelabels(text)
            except Exception as exc:
                raise NblabelError(
                    f"{where}: the prelabels function raised {type(exc).__name__}: {exc}"
                ) from exc
        else:
            value = self.prelabels[position]
        return prelabel_spans(
            value, text, self.classes, overlap=self.overlap, tokens=tokens, where=where
        )

    def add(
        self, position: int, spans: Sequence[Span], start: int, end: int, label: Any
    ) -> list[Span]:
        """``spans`` with one more span (code points), all checked together."""
        return self.check(position, [*spans, (start, end, label)])

    def to_browser(self, position: int, spans: Sequence[Span]) -> list[dict]:
        """Spans as the browser draws them: UTF-16 offsets, the class by name."""
        _, offsets, _ = self._parts(position)
        return [
            {
                "start": offsets.to_utf16(s["start"]),
                "end": offsets.to_utf16(s["end"]),
                "label": s["label"],
            }
            for s in spans
        ]

    def from_browser(self, position: int, value: Any) -> list[Span]:
        """The spans the browser sent (UTF-16 offsets, the class by name, and the text it
        showed), as checked code point spans: a span whose text is not the item's text there
        (the data changed since the page showed it) is refused."""
        if not isinstance(value, list):
            raise NblabelError(f"{self._where(position)}: spans come as a list, not {given(value)}")
        _, offsets, _ = self._parts(position)
        where = self._where(position)
        bounds: list[int] = []
        for span in value:
            if not isinstance(span, Mapping) or not {"start", "end", "label"} <= set(span):
                raise NblabelError(f"{where}: {given(span)} is not a span")
            bounds += (_offset(span["start"], "start", where), _offset(span["end"], "end", where))
        points = offsets.many_from_utf16(bounds)
        spans = [
            (points[2 * i], points[2 * i + 1], span["label"], span.get("text"))
            for i, span in enumerate(value)
        ]
        return self.check(position, spans)

    def content(self, position: int) -> dict:
        """What the browser shows for the item: ``{"type": "spans", "text", "tokens",
        "snap", "prelabels"}``, offsets in UTF-16 units; ``tokens`` is the token bounds
        ``start, end, start, end, ...`` as little-endian uint32 bytes."""
        text, offsets, tokens = self._parts(position)
        flat = np.asarray(tokens if tokens is not None else [], dtype=np.int64).reshape(-1)
        if offsets._units is not None:
            flat = offsets._units[flat]
        return {
            "type": "spans",
            "text": text,
            # little-endian uint32 pairs: a binary buffer, not thousands of JSON numbers
            "tokens": flat.astype("<u4").tobytes(),
            "snap": tokens is not None,
            "prelabels": self.to_browser(position, self.suggested(position)),
            "votes": [
                {"annotator": annotator, "spans": self.to_browser(position, spans)}
                for annotator, spans in self.votes.get(position, [])
            ],
        }
