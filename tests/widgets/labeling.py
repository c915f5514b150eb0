"""Helpers of the headless widget tests that build classify widgets on real store files."""

from __future__ import annotations

import nblabel

OPTIONS = ["pos", "neg", "neutral"]


def make(data, store, **kwargs):
    """A classify widget on ``data`` (text column ``review``) for alice's task "sentiment"."""
    kwargs.setdefault("annotator", "alice")
    kwargs.setdefault("task", "sentiment")
    kwargs.setdefault("text", "review")
    return nblabel.classify(data, kwargs.pop("options", OPTIONS), store=store, **kwargs)


def label_first(w, keys):
    for key in keys:
        w.press(key)
