"""Gold checks: mix items of known label into an order, and score annotators on them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_list, given
from .._errors import NblabelError
from ._common import hashable, long_frame, rng_for

__all__ = ["GoldMixed", "gold_report", "with_gold"]


def _as_list(values: Any, what: str) -> list:
    if isinstance(values, (pd.DataFrame, pd.Series)):
        return values.index.tolist()
    if isinstance(values, pd.Index):
        return values.tolist()
    return check_list(values, what, "['a', 'b']")


def _distinct(items: list) -> list:
    """``items`` without repeats, in order; a list id is compared as a tuple."""
    firsts: dict = {}
    for item in items:
        firsts.setdefault(hashable(item), item)
    return list(firsts.values())


def with_gold(order: Any, gold_items: Any, rate: float, seed: int = 0) -> list:
    """Spread gold items (items whose true label you know) through an order.

    Parameters
    ----------
    order
        Item ids in labeling order (a list, a pandas Index, or the output of any sampler).
    gold_items
        The gold item ids (a list, an Index, or a Series/dict of true labels: its keys).
        Gold items already in ``order`` are taken out of their place first.
    rate
        The share of gold in the result, in ``[0, 1)``: ``0.05`` puts about one gold item in
        every 20 positions. The result holds ``round(m * rate / (1 - rate))`` gold items for
        ``m`` other items, or every gold item when there are fewer; gold items not needed are
        left out (their labels are known already).
    seed
        Which gold items are used, in which order, and where in its stretch each one lands.

    Returns
    -------
    list
        The order with gold items interleaved: the result is cut into equal stretches, one
        gold item at a random place in each, so the checks are spread and not predictable.

    Examples
    --------
    >>> order = with_gold(list(range(95)), gold_items=["g1", "g2", "g3", "g4", "g5"], rate=0.05)
    >>> len(order), sum(isinstance(i, str) for i in order)
    (100, 5)
    >>> [i for i in order if isinstance(i, int)] == list(range(95))
    True
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)):
        raise NblabelError(f"rate= must be a number in [0, 1), not {given(rate)}")
    if not (0 <= rate < 1):
        raise NblabelError(f"rate= must be in [0, 1) (e.g. 0.05 for one in 20), not {rate!r}")
    items = _as_list(order, "order")
    gold = _distinct(_as_list(gold_items, "gold_items"))
    rng = rng_for(seed)
    golden = {hashable(g) for g in gold}
    try:  # plain ids are their own keys: no call per item
        rest = [i for i in items if i not in golden]
    except TypeError:  # a list or dict among the ids: compared as tuples
        rest = [i for i in items if hashable(i) not in golden]
    n_gold = min(len(gold), round(len(rest) * rate / (1 - rate)))
    if n_gold == 0:
        return rest
    picked = [gold[i] for i in rng.permutation(len(gold))[:n_gold]]
    total = len(rest) + n_gold
    # stretch i is [floor(i*total/g), floor((i+1)*total/g)): disjoint and never empty
    bounds = (np.arange(n_gold + 1) * total) // n_gold
    slots = bounds[:-1] + (rng.random(n_gold) * np.diff(bounds)).astype(np.int64)
    # the slots ascend, one per stretch: before gold item j come slot - j of the rest
    out: list = []
    taken = 0
    for j, (slot, item) in enumerate(zip(slots.tolist(), picked, strict=True)):
        out.extend(rest[taken : slot - j])
        out.append(item)
        taken = slot - j
    out.extend(rest[taken:])
    return out


def _truth(gold: Any) -> dict:
    if isinstance(gold, pd.Series):
        if not gold.index.is_unique:
            raise NblabelError("gold has repeated item ids: give one true label per item")
        if gold.isna().any():
            missing = gold.index[gold.isna().to_numpy()][:3].tolist()
            raise NblabelError(
                f"gold has no true label for {int(gold.isna().sum())} item(s) (e.g. {missing}): "
                "drop them, e.g. gold.dropna()"
            )
        pairs = zip(gold.index.tolist(), gold.tolist(), strict=True)
    elif isinstance(gold, Mapping):
        pairs = gold.items()
    else:
        raise NblabelError(
            "gold= must map item ids to true labels: a dict {item id: label} or a pandas Series "
            f"(index = item ids), not {given(gold)}"
        )
    truth = {hashable(item): hashable(label) for item, label in pairs}
    if not truth:
        raise NblabelError(
            "gold= is empty: give the true labels of the gold items, {item id: label}"
        )
    return truth


def gold_report(store: Any, task: str | None, gold: Any) -> pd.DataFrame:
    """How each annotator did on the gold items.

    Parameters
    ----------
    store
        A :class:`~nblabel.LabelStore` (its current annotator labels) or a long DataFrame of
        annotations with columns ``item, annotator, label``.
    task
        The task to score.
    gold
        True labels: a Series indexed by item id, or a dict ``{item: label}``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``annotator`` (sorted), with columns ``n_gold`` (gold items the annotator
        labeled), ``correct`` (how many matched the true label) and ``accuracy``
        (``correct / n_gold``). Annotators who labeled no gold item are absent.

    Examples
    --------
    >>> import pandas as pd
    >>> votes = pd.DataFrame({
    ...     "item": [1, 2, 1, 2, 3],
    ...     "annotator": ["ann", "ann", "bob", "bob", "bob"],
    ...     "label": ["cat", "dog", "cat", "cat", "dog"],
    ... })
    >>> gold_report(votes, None, {1: "cat", 2: "dog"})  # doctest: +NORMALIZE_WHITESPACE
               n_gold  correct  accuracy
    annotator
    ann             2        2       1.0
    bob             2        1       0.5
    """
    truth = _truth(gold)
    frame = long_frame(store, task, known_task=True)
    keys = [hashable(i) for i in frame["item"]]
    frame = frame.assign(_key=keys)
    # one answer per annotator per item: the newest counts
    frame = frame.loc[~frame.duplicated(subset=["_key", "annotator"], keep="last")]
    on_gold = frame.loc[[k in truth for k in frame["_key"]]]
    correct = [
        hashable(label) == truth[key]
        for key, label in zip(on_gold["_key"], on_gold["label"], strict=True)
    ]
    table = (
        pd.DataFrame({"annotator": on_gold["annotator"].to_numpy(), "correct": correct})
        .groupby("annotator", sort=True)["correct"]
        .agg(n_gold="size", correct="sum")
        .astype("int64")
    )
    table["accuracy"] = table["correct"] / table["n_gold"]
    return table


class GoldMixed:
    """An ordering (e.g. :class:`ActiveLearning`) with gold items spread through every order
    it gives, at ``rate``; gold items already labeled are not shown again.

    It follows the same protocol as the ordering it wraps (``start``, ``observe``, ``poll``,
    ``error``), so a widget takes it as ``order=``; ``classify(..., gold=...)`` builds it.

    Parameters
    ----------
    inner
        The ordering whose orders get gold mixed in.
    gold_items, rate, seed
        As for :func:`with_gold`.

    Examples
    --------
    >>> order = GoldMixed(ActiveLearning(model, X), gold_items=["r1", "r7"], rate=0.05)
    ... # doctest: +SKIP
    """

    def __init__(self, inner: Any, gold_items: Any, rate: float, seed: int = 0) -> None:
        self._inner = inner
        self._gold = _distinct(_as_list(gold_items, "gold_items"))
        self._rate, self._seed = rate, seed
        self._labeled: set = set()
        with_gold([], self._gold, rate, seed)  # checks rate and seed now, not mid-session

    @property
    def error(self) -> str | None:
        """The wrapped ordering's last error."""
        return self._inner.error

    def _mix(self, order: Any) -> list:
        remaining = [g for g in self._gold if hashable(g) not in self._labeled]
        return with_gold(list(order), remaining, self._rate, seed=self._seed)

    def start(self, items: pd.Index, labeled: pd.Series) -> list:
        """The wrapped ordering's first order, with gold mixed in."""
        done = {hashable(i) for i in labeled.index}
        self._labeled = {hashable(g) for g in self._gold if hashable(g) in done}
        return self._mix(self._inner.start(items, labeled))

    def observe(self, item: Any, label: Any) -> None:
        """Pass the label on; remember which gold items are answered."""
        if any(hashable(item) == hashable(g) for g in self._gold):
            if label is None:
                self._labeled.discard(hashable(item))
            else:
                self._labeled.add(hashable(item))
        self._inner.observe(item, label)

    def poll(self) -> list | None:
        """The wrapped ordering's new order, with the unanswered gold mixed in."""
        new = self._inner.poll()
        return None if new is None else self._mix(new)

    def close(self) -> None:
        """Close the wrapped ordering."""
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()
