"""Orders that cover an embedding space: k-center greedy and k-means++ seeding.

On large inputs both methods prune (`_Cells`): k-center still picks exactly as the plain
loop in `farthest_first` (same values, same ties, same draws); k-means++ keeps the same
values and draws from the same law, a cell and then a row of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_choice
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


PRUNE_MIN_ROWS = 100_000
"""Below this many rows farthest_first keeps the plain loop: one pass over every row per pick is
then about as fast as pruning, with no set-up."""

PRUNE_MIN_PICKS = 16
"""Nor does it prune for fewer picks: sorting the rows into cells costs about ten passes."""

ROWS_PER_CELL = 2_048
"""About how many rows share a cell of the grid that farthest_first prunes with."""

NARROW_COLUMNS = 4
"""Rows at most this wide get their products column by column (`row_products`): the same
values whatever block of rows is computed. Only such rows prune (a grid over more
dimensions has too few cells per axis to skip any)."""

_PRODUCT_ROWS = 16_384  # rows per step of row_products: the step's rows stay in cache
_EPS = float(np.finfo(np.float64).eps)


def row_products(matrix: np.ndarray, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``matrix @ x``, where a row's value depends on that row alone: the products of a
    row with ``x`` summed column by column, left to right, for rows of at most
    ``NARROW_COLUMNS`` (wider ones: BLAS). A BLAS rounds a row of a matrix-vector product by
    where it falls in the call (OpenBLAS's kernels sum the last rows in another order, and
    which kernel runs depends on the CPU), so a block of rows could get other values than
    the whole matrix gives it, and the pruned loop break a tie unlike the plain one.

    >>> row_products(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 10.0])).tolist()
    [21.0, 43.0]
    """
    size, width = matrix.shape
    out = np.empty(size) if out is None else out
    if width == 0 or width > NARROW_COLUMNS:
        return np.matmul(matrix, x, out=out)
    scratch = np.empty(min(size, _PRODUCT_ROWS))
    for begin in range(0, size, _PRODUCT_ROWS):
        rows, part = matrix[begin : begin + _PRODUCT_ROWS], out[begin : begin + _PRODUCT_ROWS]
        np.multiply(rows[:, 0], x[0], out=part)
        step = scratch[: len(part)]
        for column in range(1, width):
            np.multiply(rows[:, column], x[column], out=step)
            part += step
    return out


def _nearest_to(matrix: np.ndarray, norms: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Squared distances from every row to the nearest of ``centers`` (rows of ``matrix``),
    -inf for the centers themselves: what the loop holds once they are chosen."""
    nearest = np.full(len(matrix), np.inf)
    for start in range(0, len(centers), 256):  # chunks bound the memory to n x 256 floats
        block = centers[start : start + 256]
        d = norms[:, None] - 2.0 * (matrix @ matrix[block].T) + norms[block][None, :]
        np.minimum(nearest, d.min(axis=1), out=nearest)
    np.maximum(nearest, 0.0, out=nearest)
    nearest[centers] = -np.inf
    return nearest


def _prunable(matrix: np.ndarray, norms: np.ndarray, n: int, initial: np.ndarray) -> bool:
    """Whether k-center may prune on ``matrix`` and still pick exactly as the plain loop."""
    size, width = matrix.shape
    if size < PRUNE_MIN_ROWS or n < PRUNE_MIN_PICKS or matrix.dtype != np.float64:
        return False
    if not 0 < width <= NARROW_COLUMNS:
        return False
    if n > size - len(np.unique(initial)):
        return False  # the plain loop would pick a row twice: leave that to it
    # every squared distance is at most 4 x the largest norm: it must not overflow
    return bool(np.isfinite(4.0 * norms.max()))


class _Cells:
    """The state of a pruned ``farthest_first``: the rows sorted into the cells of a grid.

    ``values`` holds what the plain loop's ``nearest`` holds (each row's squared distance to
    its nearest center, by the same formula; -inf once chosen), in the order of ``order`` (the
    rows' positions in the matrix), cell after cell. Each cell keeps a bounding box and its
    largest value: a new center is compared only with the cells where a row may come nearer
    (`may_change`), and the farthest row is looked for in the cell with the largest value.
    """

    def __init__(self, matrix: np.ndarray, norms: np.ndarray, *, weighted: bool = False) -> None:
        size, width = matrix.shape
        self.work = np.empty(size)  # one buffer for every product: no fresh memory per pick
        key = _cell_keys(matrix, self.work)
        self.order = np.argsort(key, kind="stable")
        counts = np.bincount(key)
        counts = counts[counts > 0]
        self.ends = np.cumsum(counts)
        self.starts = self.ends - counts
        if matrix.flags.c_contiguous:  # a row at a time: a column at a time gathers slowly
            self.coords = matrix.take(self.order, axis=0)
        else:
            self.coords = np.empty((size, width), order="F")
            for column in range(width):
                np.take(matrix[:, column], self.order, out=self.coords[:, column])
        self.norms = norms.take(self.order)
        self.values = np.empty(size)
        self.largest = np.empty(len(counts))  # the largest value in each cell
        # k-means++ draws a cell by its weight (the sum of its values above 0), then a row;
        # k-center keeps no weights
        self.weighted = weighted
        self.weights = np.zeros(len(counts))
        low = np.minimum.reduceat(self.coords, self.starts, axis=0)
        high = np.maximum.reduceat(self.coords, self.starts, axis=0)
        self.middle = (low + high) / 2.0
        reach = np.maximum(high - self.middle, self.middle - low)
        # distances computed from differences err by a few ulps of themselves: widen them
        self.fuzz = 8.0 * (width + 4) * _EPS
        widest = np.einsum("ij,ij->i", reach, reach) * (1.0 + self.fuzz)
        self.reach = np.sqrt(widest) * (1.0 + self.fuzz)  # no row is farther from the middle
        # A bound on the rounding error of one squared distance by the formula: the norms and
        # the dot product each err by at most width * 2**-53 of |x|^2 + |y|^2, the two sums by
        # a few ulps more; times four to spare.
        self.slack = self.fuzz * float(norms.max())

    def start(self, pick: int) -> None:
        """The first center, with no ``initial``: the plain loop's first pass."""
        at = int(np.flatnonzero(self.order == pick)[0])
        x, x_norm = self.coords[at], self.norms[at]
        self._distances(slice(None), x, x_norm, out=self.values)
        self.values[at] = -np.inf  # never chosen twice
        self._refresh(0, len(self.starts) - 1)

    def start_from(self, nearest: np.ndarray) -> None:
        """The plain loop's distances to the ``initial`` rows (-inf for them)."""
        np.take(nearest, self.order, out=self.values)
        self._refresh(0, len(self.starts) - 1)

    def farthest(self) -> tuple[int, int]:
        """The row farthest from every center (ties: the lowest position), and its place."""
        top = self.largest.max()
        tied = np.flatnonzero(self.largest == top)
        if len(tied) > 16:  # many cells tie (repeated points): one pass over all of them
            in_tied = np.zeros(len(self.largest), dtype=bool)
            in_tied[tied] = True
            in_tied = np.repeat(in_tied, self.ends - self.starts)
            places = np.flatnonzero(in_tied & (self.values == top))
        else:
            places = np.concatenate(
                [self.starts[c] + np.flatnonzero(self._cell(c) == top) for c in tied.tolist()]
            )
        at = int(places[np.argmin(self.order[places])])
        return int(self.order[at]), at

    def add(self, at: int) -> None:
        """Make the row at place ``at`` a center: each row keeps the smaller of its value
        and its distance to it."""
        x, x_norm = self.coords[at], self.norms[at]
        self.values[at] = -np.inf  # never chosen twice
        # the chosen row's cell is among them: its bound is 0 and its largest value was the
        # row's own (at least -slack), so its largest value is refreshed below
        cells = np.flatnonzero(self.may_change(x))
        breaks = np.flatnonzero(np.diff(cells) != 1)
        firsts = cells[np.concatenate([[0], breaks + 1])].tolist()
        lasts = cells[np.concatenate([breaks, [len(cells) - 1]])].tolist()
        for first, last in zip(firsts, lasts, strict=True):  # runs of cells side by side
            begin, end = int(self.starts[first]), int(self.ends[last])
            values = self.values[begin:end]
            np.minimum(values, self._distances(slice(begin, end), x, x_norm), out=values)
            self._refresh(first, last)

    def _refresh(self, first: int, last: int) -> None:
        """Each cell's largest value (and weight) again, for the cells ``first..last``."""
        begin, end = int(self.starts[first]), int(self.ends[last])
        values = self.values[begin:end]
        offsets = self.starts[first : last + 1] - begin
        self.largest[first : last + 1] = np.maximum.reduceat(values, offsets)
        if self.weighted:
            above = np.maximum(values, 0.0)
            self.weights[first : last + 1] = np.add.reduceat(above, offsets)

    def draw(self, rng: np.random.Generator) -> tuple[int, int]:
        """A row drawn with probability proportional to its value (k-means++), and its
        place: a cell by its weight, then a row of it. Rows of value 0 or less (chosen ones,
        and rows on a center) are never drawn while any row is above 0."""
        total = self.weights.sum()
        if not total > 0:  # every row left coincides with a center: uniformly among them
            alive = np.flatnonzero(self.values > -np.inf)
            alive = alive[np.argsort(self.order[alive])]  # in position order, as the plain loop
            at = int(rng.choice(alive))
            return int(self.order[at]), at
        target = rng.random() * total
        cells = np.flatnonzero(self.weights > 0)
        sums = np.cumsum(self.weights[cells])
        i = min(int(np.searchsorted(sums, target, side="right")), len(cells) - 1)
        cell = int(cells[i])
        values = self._cell(cell)
        rows = np.flatnonzero(values > 0)
        inner = np.cumsum(values[rows])
        # the cell's own sum may round unlike the cumulative one: stay inside it
        within = target - (sums[i] - self.weights[cell])
        j = min(int(np.searchsorted(inner, within, side="right")), len(rows) - 1)
        at = int(self.starts[cell] + rows[j])
        return int(self.order[at]), at

    def may_change(self, x: np.ndarray) -> np.ndarray:
        """Per cell, whether a row of it may come nearer to the new center ``x``.

        The triangle inequality: a row within ``reach`` of its cell's middle is at least
        |middle - x| - reach from ``x``. The formula's squared distances err by at most
        ``slack`` (they can even go below zero), so when that bound squared is above the
        cell's largest value + slack, no row's new distance can be below its value and the
        cell is skipped. Both sides are computed with room for their own rounding.
        """
        gap = self.middle - x
        apart = np.sqrt(np.einsum("ij,ij->i", gap, gap) * (1.0 - self.fuzz)) * (1.0 - self.fuzz)
        bound = np.maximum(apart - self.reach, 0.0) * (1.0 - self.fuzz)
        return bound * bound <= self.largest + 2.0 * self.slack

    def _cell(self, c: int) -> np.ndarray:
        return self.values[self.starts[c] : self.ends[c]]

    def _distances(
        self, rows: slice, x: np.ndarray, x_norm: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        """The plain loop's formula for the rows at places ``rows`` (into the work buffer)."""
        norms = self.norms[rows]
        out = self.work[: len(norms)] if out is None else out
        row_products(self.coords[rows], x, out=out)
        out *= -2.0  # norms - 2.0 * product + x_norm: the same operations, the same rounding
        out += norms
        out += x_norm
        return out


def _cell_keys(matrix: np.ndarray, scaled: np.ndarray) -> np.ndarray:
    """Each row's cell in a grid of about ``len(matrix) / ROWS_PER_CELL`` cells over the range
    of a sample of rows (the rows outside it fall in the edge cells); ``scaled``: a buffer."""
    size, width = matrix.shape
    wanted = min(max(size // ROWS_PER_CELL, 1), 2**16 - 1)
    bins = max(1, int(wanted ** (1.0 / width)))
    while bins**width > wanted and bins > 1:  # the root may round up
        bins -= 1
    sample = matrix[:: max(1, size // 65_536)]
    low, high = sample.min(axis=0), sample.max(axis=0)
    key = np.zeros(size, dtype=np.uint16)
    for column in range(width):
        if high[column] <= low[column]:
            continue
        np.subtract(matrix[:, column], low[column], out=scaled)
        scaled *= bins / (high[column] - low[column])
        np.clip(scaled, 0, bins - 1, out=scaled)
        key *= bins
        key += scaled.astype(np.uint16)
    return key


def _pruned(
    matrix: np.ndarray,
    norms: np.ndarray,
    n: int,
    first: int | None,
    initial: np.ndarray,
    rng: np.random.Generator,
    method: str,
) -> np.ndarray:
    """``farthest_first``'s picks, each new center compared with few rows."""
    cells = _Cells(matrix, norms, weighted=method == "kmeans++")
    chosen = np.empty(n, dtype=np.intp)
    if first is None:
        cells.start_from(_nearest_to(matrix, norms, initial))
    else:
        chosen[0] = first
        cells.start(first)
    for i in range(0 if first is None else 1, n):
        chosen[i], at = cells.farthest() if method == "k-center" else cells.draw(rng)
        if i < n - 1:  # the last center's distances are never needed
            cells.add(at)
    return chosen


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

    On large matrices k-center prunes, and picks exactly as the plain loop below: the rows
    are sorted into the cells of a grid, each with a bounding box and the largest squared
    distance of its rows to their nearest center. By the triangle inequality, a new center
    can only come nearer to the rows of cells within reach of it; the others are skipped
    (`_Cells.may_change`, with room for the formula's rounding, which can break the
    inequality). The rows compared get their values by the same formula, in the same order
    of operations, each row's by itself (`row_products`: no BLAS on such narrow rows), so
    every value, and so every pick and tie, is the plain loop's. k-means++ prunes the
    same way and draws a cell by the sum of its rows' squared distances, then a row of it:
    the same law as the plain loop's draw over every row, but another row for the same seed.
    """
    size = len(matrix)
    chosen = np.empty(n, dtype=np.intp)
    if n == 0:
        return chosen
    norms = np.einsum("ij,ij->i", matrix, matrix)
    initial = np.asarray([] if initial is None else initial, dtype=np.intp)
    first = None if len(initial) else int(rng.integers(size))  # drawn once, whichever path
    if _prunable(matrix, norms, n, initial):
        return _pruned(matrix, norms, n, first, initial, rng, method)
    nearest = _nearest_to(matrix, norms, initial)  # every row at inf when none is chosen
    for i in range(n):
        if first is not None and i == 0:
            pick = first
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
        d = norms - 2.0 * row_products(matrix, matrix[pick]) + norms[pick]
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
    check_choice(method, "method", METHODS)
    index, matrix = embedding_matrix(embeddings)
    n = check_n(n, len(index), what="embeddings")
    rng = rng_for(seed)
    return to_ids(index, farthest_first(matrix, n, rng, method=method))
