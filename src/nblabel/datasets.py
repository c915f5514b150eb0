"""Small data sets that ship with nblabel, for the notebooks, the tests and first tries."""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["reviews"]


def reviews() -> pd.DataFrame:
    """48 short product reviews written for nblabel, with a reference ``sentiment``.

    Indexed by review id; columns ``product``, ``review`` and ``sentiment``
    (``pos``, ``neg`` or ``neutral``, 16 each).

    Examples
    --------
    >>> from nblabel.datasets import reviews
    >>> reviews().shape
    (48, 3)
    """
    with resources.files("nblabel").joinpath("data/reviews.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f, index_col="id")
