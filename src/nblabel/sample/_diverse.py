"""Orders that cover an embedding space: k-center greedy and k-means++ seeding."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import NblabelError
from ._common import as_matrix, check_n, item_ids, rng_for, to_ids

__all__ = ["diverse", "embedding_matrix", "farthest_first"]

METHODS = ("k-center", "kmeans++")


def embedding_matrix(embeddings: Any, what: str = "embeddings") -> tuple[pd.Index, np.ndarray]:
    """Item ids and a finite float matrix from a DataFrame, a Series of vectors or an array."""
    if isinstance(embeddings, pd.Series):
        index = item_ids(embeddings, what)
        try:
            values = np.stack([np.asarray(v, dtype=float) for v in embeddings.to_numpy()])
        except (TypeError, ValueError) as exc:
            raise NblabelError(f"{what} must hold vectors of one length: {exc}") from exc
        return index, as_matrix(values, what)
    index = item_ids(embeddings, what)
    values = embeddings.to_numpy() if isinstance(embeddings, pd.DataFrame) else embeddings
    return index, as_matrix(values, what)


def _squared_distances(matrix: np.ndarray, norms: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Squared distances from every row to the nearest of ``centers`` (rows of ``matrix``)."""
    nearest = np.full(len(matrix), np.inf)
    for start in range(0, len(centers), 256):  # chunks bound the memory to n x 256 floats
        block = centers[start : start + 256]
        d = norms[:, None] - 2.0 * (matrix @ matrix[block].T) + norms[block][None, :]
        np.minimum(nearest, d.min(axis=1), out=nearest)
    return np.maximum(nearest, 0.0, out=nearest)


def farthest_first(
    matrix: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    method: str = "k-center",
    initial: np.ndarray | None = None,
) -> np.ndarray:
    """Positions of ``n`` rows chosen one by one to cover ``matrix``.

    ``k-center`` takes the row farthest from every row chosen so far (ties: lowest position);
    ``kmeans++`` draws a row with probability proportional to that squared distance. Rows in
    ``initial`` (e.g. items already labeled) count as chosen but are not returned.
    """
    size = len(matrix)
    chosen = np.empty(n, dtype=np.intp)
    if n == 0:
        return chosen
    norms = np.einsum("ij,ij->i", matrix, matrix)
    initial = np.asarray([] if initial is None else initial, dtype=np.intp)
    if len(initial):
        nearest = _squared_distances(matrix, norms, initial)
        nearest[initial] = -np.inf
    else:
        nearest = np.full(size, np.inf)
    for i in range(n):
        if i == 0 and not len(initial):
            pick = int(rng.integers(size))
        elif method == "k-center":
            pick = int(np.argmax(nearest))
        else:
            weight = np.maximum(nearest, 0.0)
            total = weight.sum()
            if total > 0:
                pick = int(np.searchsorted(np.cumsum(weight), rng.random() * total, side="right"))
                pick = min(pick, size - 1)
            else:  # every row left coincides with a chosen one: draw uniformly among them
                pick = int(rng.choice(np.flatnonzero(nearest > -np.inf)))
        chosen[i] = pick
        # one matrix-vector product per pick: the whole update is vectorised
        d = norms - 2.0 * (matrix @ matrix[pick]) + norms[pick]
        np.minimum(nearest, d, out=nearest)
        nearest[pick] = -np.inf  # never chosen twice
    return chosen


def diverse(embeddings: Any, n: int, seed: int = 0, method: str = "k-center") -> list:
    """``n`` items that cover the embedding space, in the order they were picked.

    Parameters
    ----------
    embeddings
        A DataFrame indexed by item id (one row per item, numeric columns), a Series of
        vectors, or a 2-D array (item ids are then positions). NaN is refused.
    n
        How many items; at most the number of rows.
    seed
        Picks the first item (and, for ``kmeans++``, every draw).
    method
        ``"k-center"`` (default): greedy farthest-first traversal, each next item is the one
        farthest from all picked so far (a 2-approximation of the k-center cover).
        ``"kmeans++"``: each next item is drawn with probability proportional to its squared
        distance to the nearest picked item (less sensitive to outliers).

    Returns
    -------
    list
        ``n`` distinct item ids; every prefix covers the space as well as the method can.

    Examples
    --------
    >>> import numpy as np
    >>> points = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [0.0, 10.0]])
    >>> sorted(diverse(points, n=3, seed=1))
    [1, 2, 3]
    """
    if method not in METHODS:
        raise NblabelError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    index, matrix = embedding_matrix(embeddings)
    n = check_n(n, len(index), what="embeddings")
    rng = rng_for(seed)
    return to_ids(index, farthest_first(matrix, n, rng, method=method))
