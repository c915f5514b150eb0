"""Choosing what to label next: pure samplers, active learning and gold checks.

Every sampler returns item ids (the index labels of a DataFrame or Series; positions for a
bare array) as a list in labeling order, takes a ``seed`` wherever chance is involved, and
never changes its input. :class:`ActiveLearning` is an order that keeps re-ranking itself as
labels arrive; pass it as ``order=`` to a labeling widget.

Examples
--------
>>> from nblabel import sample
>>> order = sample.stratified(df, by="source", n=500, seed=0)                # doctest: +SKIP
>>> order = sample.with_gold(order, gold_items=gold.index, rate=0.05)        # doctest: +SKIP
"""

from ._active import ActiveLearning
from ._basic import random, stratified, weighted
from ._diverse import diverse
from ._gold import GoldMixed, gold_report, with_gold
from ._labels import disagreement, unlabeled
from ._simulate import simulate
from ._uncertainty import uncertainty

__all__ = [
    "ActiveLearning",
    "GoldMixed",
    "disagreement",
    "diverse",
    "gold_report",
    "random",
    "simulate",
    "stratified",
    "uncertainty",
    "unlabeled",
    "weighted",
    "with_gold",
]
