"""Image classification, one image at a time or a page of thumbnails at a time:
``classify(df, options, image="path", grid=12)``. The grid is a
:class:`~nblabel.widgets.LabelWidget` whose "item on screen" is a page; its front end is
``static/grid.js``, its rules (what a page holds, what a click selects, what a key labels) the
pure :mod:`nblabel._grid`.

The path of one page: clicks select cells and digits label them in the browser at once
(``grid.js`` follows the same rules as :class:`~nblabel._grid.PageDraft`) and tell the kernel
(``{kind: "grid", item, selected, labels}``), so :attr:`GridWidget.selected` and
:attr:`GridWidget.page_labels` know them. ``Enter`` sends the page's labels as ONE label intent
through the shared base, ``{kind: "label", value: JSON [[item, label], ...]}``: checked by
:meth:`GridWidget._validate`, written by :meth:`LabelingSession.submit_batch` as one store
transaction (one event per image, one ``bulk`` id), acknowledged once on disk; ``Backspace``
undoes the page as one step. The browser shows the prefetched next page at once. In Python,
:meth:`GridWidget.select`, :meth:`~GridWidget.label_selection` and
:meth:`~GridWidget.submit_page` do the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import pandas as pd
import traitlets as t

from .._checks import check_column, given, required_rationale
from .._codec import decode, encode
from .._content import error_content
from .._errors import NblabelError, StoreError
from .._grid import PageDraft, check_grid, page_span
from .._images import MAX_SIDE, shown_image
from .._job import as_frame
from .._keymap import Action
from .._thumbnails import Thumbnails
from ._base import TRAIL, LabelWidget, SubmitEvent, _Intent
from .text import ClassifyWidget

__all__ = ["GridWidget", "check_images", "image_column", "show_images"]

log = logging.getLogger("nblabel")


class GridWidget(ClassifyWidget):
    """Label a page of thumbnails at a time: select cells, a digit labels them, ``Enter``
    saves the page (one event per image, one batch)."""

    _view = "grid"

    grid_size = t.Int(12).tag(sync=True)
    """Thumbnails on a page."""
    grid_state = t.Dict().tag(sync=True)
    """The page on screen before it is saved: ``{"item": the page's first item (JSON),
    "selected": [cell, ...], "labels": [option position or None per cell], "rev": n,
    "edit": bool}``; ``edit`` marks a change made from Python (``select``...), which the
    browser then shows."""

    def __init__(self, data: pd.DataFrame, **kwargs: Any) -> None:
        self._grid = 12
        self._draft = PageDraft([])
        self._draft_item: str | None = None
        self._cells: list[int] = []  # row positions of the page on screen
        self._rev = 0
        kwargs["content"] = lambda position: {"type": "missing"}  # thumbnails come later
        super().__init__(data, **kwargs)
        self.add_class("nblabel-grid")
        self._handlers["grid"] = self._on_grid_message

    def _use_thumbnails(self, thumbnails: Thumbnails, size: int) -> None:
        self._content = thumbnails
        self._grid = size
        pages = {  # what the actions do here: they move by pages
            Action.CONFIRM: "save the page (one label per image labeled or changed)",
            Action.UNDO: "undo the last page saved (all of it) and show it again",
            Action.BACK: "show the previous page",
            Action.SKIP: "skip the page: leave its unlabeled images for later",
        }
        rows = [
            ["click", "select an image (click it again: none)"],
            ["Shift+click", "select the range from the last image clicked"],
            ["Ctrl/⌘+click", "add or remove one image"],
        ]
        for key, does in self.key_help:
            target = self._keys.resolve(key)
            if isinstance(target, int):
                does = (
                    f"label as {self._choices[target]}: the selected images, or with none "
                    "selected every unlabeled one"
                )
            elif isinstance(target, Action):
                does = pages.get(target, does)
            rows.append([key, does])
        with self.hold_sync():
            self.grid_size = size
            self.key_help = rows
            self._push_state()

    def close(self) -> None:
        """Close the widget and stop making thumbnails."""
        close = getattr(self._content, "close", None)
        if close is not None:
            close()
        super().close()

    # -- pages ----------------------------------------------------------------------------------
    def _span(self, queue_index: int) -> tuple[int, int]:
        return page_span(queue_index, self._grid, self.session.progress.total)

    def _page_at(self, queue_index: int) -> list[int]:
        return self.session.queue_positions(*self._span(queue_index)).tolist()

    def _held(self, positions: Sequence[int]) -> list[int | None]:
        """The option position of each cell's stored label (``None``: unlabeled)."""
        session, out = self.session, []
        for position in positions:
            label = None
            if session.is_labeled(position):
                held = session.store.current_label(
                    session.task, session.items[position], session.annotator, session.source
                )
                label = None if held is None else held.label
            found = [i for i, c in enumerate(self._choices) if label is not None and c == label]
            out.append(found[0] if found else None)
        return out

    def _page_payload(self, positions: list[int]) -> dict:
        cells = []
        for position in positions:
            cell = self._content(position) if isinstance(self._content, Thumbnails) else {}
            cells.append({"item": self.session.item_key(position), **cell})
        return {
            "item": cells[0]["item"],
            "content": {"type": "grid", "cells": cells},
            "held": self._held(positions),
            "label": None,
        }

    def _next_page(self) -> list[int]:
        """The page a save of this one shows next: the first with an unlabeled image after it."""
        index = self.session.queue_index
        if index is None:
            return []
        after = self.session.first_unlabeled_from(self._span(index)[1])
        if after is None or self._span(after) == self._span(index):
            return []
        return self._page_at(after)

    def _push_state(self) -> None:
        session = self.session
        self.waiting = session.waiting
        index = session.queue_index
        if index is None:
            self.sample, self.upcoming, self.done, self._cells = {}, [], True, []
            self._draft, self._draft_item = PageDraft([]), None
        else:
            self._cells = self._page_at(index)
            payload = self._page_payload(self._cells)
            self.sample = payload
            self.done = False
            following = self._next_page()
            self.upcoming = [self._page_payload(following)] if following else []
            cells = payload["content"]["cells"]
            disabled = frozenset(i for i, cell in enumerate(cells) if "error" in cell)
            draft = self._draft
            if (payload["item"], payload["held"], disabled) != (
                self._draft_item,
                draft.held,
                draft.disabled,
            ):  # a new page, or labels or pictures of this one changed: start it afresh
                self._draft, self._draft_item = (
                    PageDraft(payload["held"], disabled),
                    payload["item"],
                )
                self._push_draft(edit=False)
            if isinstance(self._content, Thumbnails) and following:  # the page after that
                after = session.first_unlabeled_from(
                    self._span(session.queue_index_of(following[-1]))[1]
                )
                if after is not None:
                    self._content.warm(self._page_at(after))
        progress = session.progress
        self.progress_state = {"done": progress.done, "total": progress.total}

    def _push_draft(self, edit: bool = True) -> None:
        # edit: a change made from Python (the browser shows it); else a new page's start
        self._rev += 1
        self.grid_state = {
            "item": self._draft_item,
            "selected": list(self._draft.selected),
            "labels": list(self._draft.labels),
            "rev": self._rev,
            "edit": edit,
        }

    # -- public state and twins -----------------------------------------------------------------
    @property
    def page_items(self) -> list[Hashable]:
        """The ids of the images on the page on screen, cell by cell (``[]`` when done)."""
        return [self.session.items[p] for p in self._cells]

    @property
    def selected(self) -> list[int]:
        """The selected cells of the page (numbered from 0, in reading order)."""
        return list(self._draft.selected)

    @property
    def page_labels(self) -> dict[Hashable, Any]:
        """Each image of the page and its label as shown, saved or not yet (``None``: none)."""
        return {
            self.session.items[p]: None if label is None else self._choices[label]
            for p, label in zip(self._cells, self._draft.labels, strict=True)
        }

    def _need_page(self) -> None:
        if not self._cells:
            raise NblabelError("every image is labeled: there is no page on screen")

    def click(self, cell: int, *, shift: bool = False, toggle: bool = False) -> None:
        """Act as a click on ``cell``: alone selects it, ``shift=True`` the range from the
        last cell clicked, ``toggle=True`` (Ctrl/⌘-click) adds or removes it."""
        self._need_page()
        self._draft.click(cell, shift=bool(shift), toggle=bool(toggle))
        self._push_draft()

    def select(self, cells: Sequence[int]) -> None:
        """Select exactly ``cells`` of the page (numbered from 0; ``[]`` clears)."""
        self._need_page()
        if isinstance(cells, (str, bytes)) or not isinstance(cells, (Sequence, range)):
            raise NblabelError(f"cells= is a list of cell numbers such as [0, 3], not {cells!r}")
        self._draft.select(list(cells))
        self._push_draft()

    def label_selection(self, option: Any) -> list[int]:
        """Give ``option`` to the selected images, or with none selected to every unlabeled
        image of the page (not saved until :meth:`submit_page`). Returns the cells labeled."""
        self._need_page()
        index = self._positions_of(self._validate_option(option))[0]
        return self._label_cells(index)

    def _label_cells(self, index: int) -> list[int]:
        cells = self._draft.label(index)
        self._push_draft()
        return cells

    def submit_page(self, rationale: str | None = None) -> None:
        """Save the page's labels (one event per image labeled or relabeled, one batch) and
        show the next page with an unlabeled image."""
        self._need_page()
        self._save(self._draft_value(), _Intent(rationale=rationale))

    def submit(self, value: Any, rationale: str | None = None) -> None:
        """Give ``value`` to the selected images (none selected: every unlabeled one) and
        save the page: ``label_selection(value)`` then ``submit_page()``."""
        self.label_selection(value)
        self.submit_page(rationale)

    # -- the base's hooks -----------------------------------------------------------------------
    def _validate_option(self, value: Any) -> Any:
        if not self._is_choice(value):
            raise NblabelError(f"{given(value)} is not one of the options {self._choices!r}")
        return next(c for c in self._choices if c == value)

    def _validate(self, value: Any) -> list[tuple[Hashable, Any]]:
        """A page's labels: ``[[item, label], ...]``, each label one of the options."""
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise NblabelError(f"a page's labels are a list of [item, label] pairs, not {value!r}")
        out = []
        for pair in value:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise NblabelError(f"a page's labels are [item, label] pairs, not {pair!r}")
            out.append((pair[0], self._validate_option(pair[1])))
        return out

    def _draft_value(self) -> list[tuple[Hashable, Any]]:
        return [(self.session.items[self._cells[cell]], self._choices[label])
                for cell, label in enumerate(self._draft.labels) if label is not None]  # fmt: skip

    def _confirm_value(self, sent: Any) -> Any:
        return self._draft_value() if sent is None else self._validate(sent)

    def _pick(self, index: int, intent: _Intent) -> None:
        self._need_page()
        self._label_cells(index)

    def _act(self, action: Action, intent: _Intent) -> None:
        if action is Action.SKIP and self.session.queue_index is not None:
            # the next page with an unlabeled image, not the next image of this page
            start = self._page_start(intent.item)
            self.session.show_unlabeled_from(self._span(start)[1])
            self._after_move(intent)
            return
        super()._act(action, intent)
        if action is Action.UNDO:  # a page undone: none of its images stays in the trail
            items = self.session.items
            self.trail = [e for e in self.trail
                          if self.session.is_labeled(items.get_loc(decode(e["item"])))]  # fmt: skip

    def _page_start(self, item: Hashable | None) -> int:
        """Queue index of the page of ``item`` (a page's first item), else of the screen."""
        if item is not None:
            try:
                index = self.session.queue_index_of(self.session.items.get_loc(item))
            except (KeyError, TypeError):
                index = -1
            if index >= 0:
                return index
        return self.session.queue_index or 0

    def _save(self, value: Any, intent: _Intent) -> None:
        """Write the page's new labels as one batch, then show the next page. Refusals raise
        before anything is written; a failed write leaves the intent pending and raises."""
        session = self.session
        required_rationale(intent.rationale, self.rationale_required)
        positions, labels = [], []
        for item, label in value:
            try:
                position = session.items.get_loc(item)
            except (KeyError, TypeError):
                raise NblabelError(f"Not saved: {item!r} is not an image of the data") from None
            if session.is_labeled(position):
                held = session.store.current_label(
                    session.task, item, session.annotator, session.source
                )
                if held is not None and held.label == label and session.counts(held):
                    continue  # unchanged
            if position in positions:
                raise NblabelError(f"Not saved: the page names {item!r} twice")
            positions.append(int(position))
            labels.append(label)
        start = self._page_start(intent.item)
        if not positions:
            if intent.resent or self.session.queue_index is None:
                self._after_move(intent)  # saved before the connection dropped: confirm
                return
            if not value and self._draft.unlabeled:
                skip = self._keys.key_for(Action.SKIP)
                skip = {"ArrowRight": "→"}.get(skip, skip) if skip else "w.skip()"
                raise NblabelError(
                    "Nothing is labeled on this page: select images (click, Shift+click) and "
                    f"press a digit, or a digit alone labels every unlabeled image; {skip} "
                    "skips the page"
                )
            session.show_unlabeled_from(self._span(start)[1])  # a page saved before: go on
            self._after_move(intent, clear_error=True)
            return
        each = None if intent.duration_s is None else intent.duration_s / len(positions)
        try:
            ids = session.submit_batch(positions, labels, rationale=intent.rationale,
                                       duration_s=each, meta={"grid": self._grid})  # fmt: skip
        except NblabelError:
            raise
        except Exception as exc:
            reason = str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
            self._keep_pending(
                intent, f"Not saved: {reason}. The page is kept and will be sent again.", exc
            )
            raise
        session.show_unlabeled_from(self._span(start)[1])
        with self.hold_sync():
            entries = [{"item": encode(session.items[p]), "label": encode(v)}
                       for p, v in zip(positions, labels, strict=True)]  # fmt: skip
            names = {e["item"] for e in entries}
            older = [e for e in self.trail if e["item"] not in names]
            self.trail = [*reversed(entries), *older][:TRAIL]
            self._after_move(intent, clear_error=True, saved=len(ids))
        for position, label, event_id in zip(positions, labels, ids, strict=True):
            self._run_callbacks(
                SubmitEvent(item=session.items[position], label=label,
                            annotator=session.annotator, task=session.task,
                            event_id=event_id, rationale=intent.rationale)
            )  # fmt: skip

    def _on_grid_message(self, content: dict, intent: _Intent) -> None:
        """The browser's selection and labels of its page after a click or a key."""
        if content.get("item") != self._draft_item or self._draft_item is None:
            return  # a page no longer on screen here
        n = len(self._cells)
        labels = content.get("labels")
        selected = content.get("selected")
        if not isinstance(labels, list) or len(labels) != n or not isinstance(selected, list):
            raise NblabelError("a grid message without the page's selection and labels")
        options = len(self._choices)
        self._draft.labels = [
            v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < options else None
            for v in labels
        ]
        self._draft.selected = sorted(
            {int(i) for i in selected if isinstance(i, int) and 0 <= i < n}
        )
        # the browser has it already: the trait is updated for new views, not as an edit
        self._push_draft(edit=False)


def check_images(image: Any, grid: Any, **given: Any) -> int | None:
    """``image=`` and ``grid=`` of :func:`nblabel.classify`, checked with the arguments they
    cannot go with (``given``: classify's others); returns the page size or ``None``."""
    size = check_grid(grid)
    if image is None:
        raise NblabelError(
            "grid= shows pages of thumbnails of images: give image= too, the column of images "
            "(paths, bytes, PIL images or arrays), e.g. classify(df, options, image='path', "
            "grid=12); text and tables are labeled one item at a time (leave grid= out)"
        )
    check_column(image, "image")
    for name in ("text", "display"):
        if given.get(name) is not None:
            raise NblabelError(f"give image= (a column of images) or {name}=, not both")
    if size is not None:
        for name in ("multi", "suggest", "assign"):
            if given.get(name) is not None and given.get(name) is not False:
                raise NblabelError(
                    f"grid= does not take {name}= yet: label one image at a time for it "
                    "(leave grid= out)"
                )
    return size


def image_column(data: Any, image: Hashable) -> pd.DataFrame:
    """The data as a frame, with ``image`` one of its columns."""
    frame, _ = as_frame(data)
    if image not in frame.columns:
        shown = ", ".join(map(repr, list(frame.columns)[:10]))
        raise NblabelError(f"image={image!r} is not a column of the data; columns: {shown}")
    return frame


def show_images(widget: LabelWidget, image: Hashable, grid: int | None) -> None:
    """Show the ``image`` column: one picture downscaled for display at a time, or pages of
    ``grid`` thumbnails (a :class:`GridWidget`)."""
    if isinstance(widget, GridWidget):
        widget._use_thumbnails(Thumbnails(widget.data[image].array, widget.data.index), grid)
        return
    widget._content = image_content(widget.data, image, MAX_SIDE)
    widget._payloads.clear()
    widget._after_move()


def image_content(frame: pd.DataFrame, image: Hashable, max_side: int) -> Callable[[int], dict]:
    """The content maker of ``classify(..., image=)`` one image at a time: the picture
    downscaled for display, as one binary buffer; an unreadable image shows its error."""
    images = frame[image].array

    def content(position: int) -> dict:
        try:
            shown = shown_image(images[position], max_side)
        except NblabelError as exc:
            return error_content(f"{exc} (for the row {frame.index[position]!r}); skip it with →")
        return {"type": "image", "data": shown.data, "mime": shown.mime}

    return content
