"""Grid pages, pure: which items a page of N thumbnails holds, what a click selects and what a
key labels. No widgets: ``widgets/grid.py`` shows it and ``static/grid.js`` mirrors the same
rules in the browser (so a click answers at once); the tests drive it directly.

A page is a slice of the session's queue, ``[k * N, (k + 1) * N)``: pages follow the session's
order, and the page on screen is the one holding the session's cursor. A cell that cannot be
shown (an unreadable image) is left out of ranges and of "label the rest": it is labeled only
when clicked itself (e.g. with an option that says so), else it stays, to skip.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._errors import NblabelError

__all__ = ["PageDraft", "check_grid", "click", "page_span"]


def check_grid(grid: Any) -> int | None:
    """``grid=``: ``None`` (one item at a time) or a positive whole number of cells."""
    if grid is None:
        return None
    if isinstance(grid, (bool, np.bool_)) or not isinstance(grid, (int, np.integer)):
        raise NblabelError(
            f"grid= is the number of thumbnails on a page, a whole number such as 12, not {grid!r}"
        )
    if not 1 <= int(grid) <= 200:
        raise NblabelError(f"grid={int(grid)}: give from 1 to 200 thumbnails on a page, e.g. 12")
    return int(grid)


def page_span(queue_index: int, size: int, total: int) -> tuple[int, int]:
    """The queue indexes ``[start, stop)`` of the page holding ``queue_index``."""
    start = (queue_index // size) * size
    return start, min(start + size, total)


def click(
    selected: Sequence[int],
    anchor: int | None,
    index: int,
    *,
    shift: bool = False,
    toggle: bool = False,
    disabled: Collection[int] = (),
) -> tuple[list[int], int | None]:
    """The selection after a click on cell ``index``: ``(selected, anchor)``.

    A plain click selects that cell alone (a click on the only selected cell clears the
    selection); ``toggle`` (Ctrl/Cmd-click) adds or removes it; ``shift`` selects the range
    from the anchor (the cell clicked last without Shift) to it, in place of the selection or,
    with ``toggle`` too, added to it. A range leaves out the cells in ``disabled``
    (unreadable images): only a click of its own selects one.
    """
    if shift and anchor is not None:
        lo, hi = sorted((anchor, index))
        span = {i for i in range(lo, hi + 1) if i not in disabled}
        chosen = set(selected) | span if toggle else span
        return sorted(chosen), anchor
    if toggle:
        return sorted(set(selected) ^ {index}), index
    if list(selected) == [index]:
        return [], index
    return [index], index


@dataclass
class PageDraft:
    """The labels of one page before it is saved: per cell an option position or ``None``.

    Parameters
    ----------
    held
        Per cell, the position of its stored label (``None``: unlabeled); the draft starts
        from them.
    disabled
        Cells that cannot be shown: never selected, never labeled.
    """

    held: list[int | None]
    disabled: frozenset[int] = frozenset()
    labels: list[int | None] = field(init=False)
    selected: list[int] = field(default_factory=list)
    anchor: int | None = None

    def __post_init__(self) -> None:
        self.labels = list(self.held)

    def click(self, index: int, *, shift: bool = False, toggle: bool = False) -> None:
        """A click on cell ``index`` (see :func:`click`)."""
        self._check(index)
        self.selected, self.anchor = click(
            self.selected, self.anchor, index, shift=shift, toggle=toggle, disabled=self.disabled
        )

    def select(self, indexes: Sequence[int]) -> None:
        """Select exactly ``indexes`` (an empty list clears the selection)."""
        for index in indexes:
            self._check(index)
        self.selected = sorted(set(indexes))
        self.anchor = self.selected[-1] if self.selected else None

    def label(self, option: int) -> list[int]:
        """Give option ``option`` to the selected cells, or with none selected to every
        readable cell still unlabeled; the selection is cleared. Returns the cells labeled."""
        if self.selected:
            cells = list(self.selected)
        else:
            cells = [i for i, held in enumerate(self.labels)
                     if held is None and i not in self.disabled]  # fmt: skip
        for cell in cells:
            self.labels[cell] = option
        self.selected = []
        return cells

    def changes(self) -> list[tuple[int, int]]:
        """``(cell, option)`` of every cell whose label is new or changed: what a save writes."""
        pairs = zip(self.labels, self.held, strict=True)
        return [(i, new) for i, (new, held) in enumerate(pairs) if new is not None and new != held]

    @property
    def unlabeled(self) -> list[int]:
        """Cells that can be labeled and hold no label yet."""
        return [
            i for i, label in enumerate(self.labels) if label is None and i not in self.disabled
        ]

    def _check(self, index: Any) -> None:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise NblabelError(
                f"a cell is a whole number from 0 to {len(self.held) - 1}, not {index!r}"
            )
        if not 0 <= index < len(self.held):
            raise NblabelError(
                f"cell {index} is not on this page: its cells are numbered 0 to "
                f"{len(self.held) - 1}"
            )
