"""Comparing candidates (pairwise preferences, N-way rankings): what a label is, its checks,
and the order the candidates are shown in.

The label of an item names candidates by their column, never by the side of the screen they
were shown on: ``"answer_b"``, an extra choice such as ``"tie"``, or with ``rank=True`` the
candidate columns best first (``["m3", "m1", "m2"]``). Which candidate is shown where is
shuffled per item, seeded by (seed, task, annotator, item), so one annotator sees one item the
same way every time and position bias averages out across items; the order shown is stored
with the label (``meta["shown"]``), so the bias can be measured afterwards
(:func:`nblabel.agreement.position_bias`). Scores per criterion are stored beside it
(``meta["scores"]``, ``{candidate: {criterion: score}}``).

Pure: no widget library is imported here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_seed, given
from ._codec import encode
from ._errors import NblabelError

__all__ = ["CompareLabel", "Comparison"]


def _names(value: Any, name: str, example: str, *, minimum: int = 0) -> tuple[str, ...]:
    if value is None:
        value = []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise NblabelError(f"{name}= must be a list of names such as {example}, not {given(value)}")
    names = list(value)
    for one in names:
        if not isinstance(one, str) or not one.strip():
            raise NblabelError(
                f"{name}= holds {given(one)}: each entry must be a non-empty name (a string)"
            )
    seen: set[str] = set()
    twice = [n for n in names if n in seen or seen.add(n)]
    if twice:
        raise NblabelError(f"{name}= lists {twice[0]!r} more than once: give each name once")
    if len(names) < minimum:
        raise NblabelError(
            f"{name}= gives {len(names)} name{'s' if len(names) != 1 else ''}: give at least "
            f"{minimum}, such as {example}"
        )
    return tuple(names)


@dataclass(frozen=True)
class CompareLabel:
    """A checked label of a comparison: ``value`` is stored as the label, ``scores`` (or
    ``None``) beside it; ``extra`` tells an extra choice (``"tie"``) from a candidate."""

    value: str | list[str]
    scores: dict[str, dict[str, int]] | None = None
    extra: bool = False

    @property
    def winner(self) -> str | None:
        """The candidate judged best: the one chosen, or the first of a ranking; ``None`` for
        an extra choice."""
        if self.extra:
            return None
        return self.value[0] if isinstance(self.value, list) else self.value


@dataclass(frozen=True)
class Comparison:
    """What one compare task asks: its candidates (column names), the extra choices, whether
    candidates are ranked, and the criteria scored.

    Build it with :meth:`build`, which checks every argument.
    """

    candidates: tuple[str, ...]
    extra_choices: tuple[str, ...] = ()
    rank: bool = False
    criteria: tuple[str, ...] = ()
    scale: tuple[int, ...] = (1, 2, 3, 4, 5)
    seed: int = 0

    @classmethod
    def build(
        cls,
        candidates: Any,
        *,
        extra_choices: Any = None,
        rank: Any = False,
        criteria: Any = None,
        scale: Any = range(1, 6),
        seed: Any = 0,
    ) -> Comparison:
        """The comparison, every argument checked (each error names the argument)."""
        names = _names(candidates, "candidates", "['answer_a', 'answer_b']", minimum=2)
        extra = _names(extra_choices, "extra_choices", "['tie', 'both bad']")
        clash = sorted(set(names) & set(extra))
        if clash:
            raise NblabelError(
                f"extra_choices= holds {clash[0]!r}, which is also a candidate column: a label "
                "must say which one it means; rename the extra choice"
            )
        if not isinstance(rank, (bool, np.bool_)):
            raise NblabelError(f"rank= must be True or False, not {given(rank)}")
        crits = _names(criteria, "criteria", "['helpful', 'correct']")
        if isinstance(scale, (str, bytes)) or not isinstance(scale, (range, list, tuple)):
            raise NblabelError(
                f"scale= must be a range of scores such as range(1, 6), not {given(scale)}"
            )
        points = list(scale)
        if not points or any(
            isinstance(p, (bool, np.bool_))
            or not isinstance(p, (int, np.integer))
            or not 0 <= p <= 9
            for p in points
        ):
            raise NblabelError(
                f"scale= must hold scores from 0 to 9 (one digit each), such as range(1, 6), not "
                f"{given(scale)}"
            )
        if len(set(points)) != len(points):
            raise NblabelError(f"scale= lists a score more than once: {given(scale)}")
        return cls(
            candidates=names,
            extra_choices=extra,
            rank=bool(rank),
            criteria=crits,
            scale=tuple(int(p) for p in points),
            seed=check_seed(seed),
        )

    # -- what is shown -----------------------------------------------------------------------
    def shown(self, task: str, annotator: str, item: Hashable) -> list[str]:
        """The candidate columns in screen order for one annotator and item: a shuffle seeded
        by (seed, task, annotator, item), the same every time it is asked."""
        key = encode([self.seed, task, annotator, item]).encode("utf-8")
        digest = hashlib.blake2b(key, digest_size=8).digest()
        rng = np.random.default_rng(int.from_bytes(digest, "little"))
        return [self.candidates[i] for i in rng.permutation(len(self.candidates))]

    def info(self, prompt: Hashable, fingerprint: Sequence[Hashable] | None) -> dict:
        """What defines the task, for :meth:`LabelStore.set_task_info` (exports read it)."""
        return {
            "kind": "compare",
            "prompt": prompt,
            "candidates": list(self.candidates),
            "extra_choices": list(self.extra_choices),
            "rank": self.rank,
            "criteria": list(self.criteria),
            "fingerprint": None if fingerprint is None else list(fingerprint),
        }

    # -- checking a label --------------------------------------------------------------------
    def _usage(self) -> str:
        extra = f", an extra choice ({', '.join(map(repr, self.extra_choices))})"
        if self.rank:
            first = f"the candidates best first, e.g. {list(reversed(self.candidates))!r}"
            return first + (f"{extra}" if self.extra_choices else "")
        names = ", ".join(map(repr, self.candidates))
        return f"a candidate name ({names})" + (extra if self.extra_choices else "")

    def check(self, value: Any, scores: Any = None) -> CompareLabel:
        """``value`` (and ``scores``) as a label of this comparison, or a clear error."""
        if isinstance(value, str) and value in self.extra_choices:
            return CompareLabel(value, self._check_scores(scores), extra=True)
        if self.rank:
            if isinstance(value, str) and value in self.candidates:
                example = [value, *(c for c in self.candidates if c != value)]
                raise NblabelError(
                    f"rank=True: give the ranking of all {len(self.candidates)} candidates, best "
                    f"first, not only {value!r}: e.g. {example!r}"
                )
            if not isinstance(value, (list, tuple)):
                raise NblabelError(
                    f"give {self._usage()}; not {given(value)}{self._side_hint(value)}"
                )
            ranking = list(value)
            unknown = [v for v in ranking if not (isinstance(v, str) and v in self.candidates)]
            if unknown:
                raise NblabelError(
                    f"the ranking names {given(unknown[0])}, which is not a candidate: rank "
                    f"{', '.join(map(repr, self.candidates))}{self._side_hint(unknown[0])}"
                )
            if len(set(ranking)) != len(ranking):
                twice = next(v for v in ranking if ranking.count(v) > 1)
                raise NblabelError(f"the ranking lists {twice!r} twice: give each candidate once")
            missing = [c for c in self.candidates if c not in ranking]
            if missing:
                raise NblabelError(
                    f"the ranking leaves out {', '.join(map(repr, missing))}: rank all "
                    f"{len(self.candidates)} candidates, best first"
                )
            return CompareLabel(ranking, self._check_scores(scores))
        if isinstance(value, (list, tuple)):
            raise NblabelError(
                f"a ranking ({given(value)}) was given, but this comparison picks one candidate: "
                f"give {self._usage()}, or build it with rank=True to rank them"
            )
        if not (isinstance(value, str) and value in self.candidates):
            raise NblabelError(f"give {self._usage()}; not {given(value)}{self._side_hint(value)}")
        return CompareLabel(value, self._check_scores(scores))

    def _side_hint(self, value: Any) -> str:
        # a side or a screen position is not a label: the same side holds other candidates
        if isinstance(value, (int, np.integer)) or (
            isinstance(value, str)
            and value.strip().lower() in {"left", "right", "a", "b", "1", "2"}
        ):
            return (
                ". Labels name candidates, never a side or position (the sides are shuffled per "
                "item): w.shown lists the candidates in screen order, keys 1…N pick by position"
            )
        return ""

    def _check_scores(self, scores: Any) -> dict[str, dict[str, int]] | None:
        if not self.criteria:
            if scores is not None:
                raise NblabelError(
                    "scores= were given, but this comparison has no criteria: build it with "
                    "criteria=['helpful', ...] to score candidates"
                )
            return None
        example = {self.candidates[0]: dict.fromkeys(self.criteria, self.scale[-1])}
        if not isinstance(scores, dict):
            criteria = ", ".join(map(repr, self.criteria))
            raise NblabelError(
                f"criteria= asks a score for each candidate on {criteria}: give "
                f"scores={{candidate: {{criterion: score}}}}, e.g. {example!r}, not {given(scores)}"
            )
        out: dict[str, dict[str, int]] = {}
        for candidate, given_scores in scores.items():
            if candidate not in self.candidates:
                raise NblabelError(
                    f"scores= names {given(candidate)}, which is not a candidate: score "
                    f"{', '.join(map(repr, self.candidates))}{self._side_hint(candidate)}"
                )
            if not isinstance(given_scores, dict):
                raise NblabelError(
                    f"scores[{candidate!r}] must be {{criterion: score}}, e.g. "
                    f"{example[self.candidates[0]]!r}, not {given(given_scores)}"
                )
            for criterion, score in given_scores.items():
                if criterion not in self.criteria:
                    raise NblabelError(
                        f"scores[{candidate!r}] names the criterion {given(criterion)}; the "
                        f"criteria are {', '.join(map(repr, self.criteria))}"
                    )
                if (
                    isinstance(score, (bool, np.bool_))
                    or not isinstance(score, (int, np.integer))
                    or int(score) not in self.scale
                ):
                    raise NblabelError(
                        f"scores[{candidate!r}][{criterion!r}] is {given(score)}: give a score "
                        f"from {self.scale[0]} to {self.scale[-1]}"
                    )
            out[candidate] = {c: int(given_scores[c]) for c in self.criteria if c in given_scores}
        for candidate in self.candidates:
            lacking = [c for c in self.criteria if c not in out.get(candidate, {})]
            if lacking:
                raise NblabelError(
                    f"scores= lacks {lacking[0]!r} for {candidate!r}: give every candidate a "
                    f"score on every criterion ({', '.join(map(repr, self.criteria))})"
                )
        return {c: out[c] for c in self.candidates}

    def meta(self, label: CompareLabel, shown: Sequence[str]) -> dict:
        """What is stored beside the label: the screen order, and the scores if any."""
        meta: dict[str, Any] = {"shown": list(shown)}
        if label.scores is not None:
            meta["scores"] = label.scores
        return meta
