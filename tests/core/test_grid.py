"""Grid pages, pure: what a page holds, what a click selects, what a key labels and what a
save writes (the browser's grid.js follows the same rules)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nblabel import NblabelError
from nblabel._grid import PageDraft, check_grid, click, page_span


def test_pages_are_slices_of_the_queue():
    assert page_span(0, 12, 30) == (0, 12)
    assert page_span(13, 12, 30) == (12, 24)
    assert page_span(29, 12, 30) == (24, 30)  # the last page is short


@pytest.mark.parametrize("bad", [0, -3, 1.5, "12", True, [12], 201])
def test_grid_must_be_a_positive_whole_number(bad):
    with pytest.raises(NblabelError, match="grid="):
        check_grid(bad)


def test_grid_none_is_one_item_at_a_time():
    assert check_grid(None) is None and check_grid(12) == 12


def test_a_click_selects_one_shift_a_range_ctrl_one_more():
    selected, anchor = click([], None, 3)
    assert (selected, anchor) == ([3], 3)
    assert click(selected, anchor, 3) == ([], 3)  # again: none
    assert click([3], 3, 6, shift=True) == ([3, 4, 5, 6], 3)
    assert click([3, 4, 5, 6], 3, 1, shift=True) == ([1, 2, 3], 3)  # the anchor stays
    assert click([3], 3, 8, toggle=True) == ([3, 8], 8)
    assert click([3, 8], 8, 3, toggle=True) == ([8], 3)
    assert click([0], 0, 5, shift=True, toggle=True) == ([0, 1, 2, 3, 4, 5], 0)
    assert click([9], 9, 6, shift=True, toggle=True, disabled={7}) == ([6, 8, 9], 9)
    assert click([], None, 2, shift=True) == ([2], 2)  # no anchor yet: a plain click


def test_an_unreadable_cell_is_labeled_only_when_clicked_itself():
    draft = PageDraft([None] * 4, disabled=frozenset({1}))
    draft.click(0)
    draft.click(3, shift=True)
    assert draft.selected == [0, 2, 3]  # a range leaves it out
    draft.select([])
    assert draft.label(0) == [0, 2, 3]  # so does "label the rest"
    assert draft.labels == [0, None, 0, 0] and draft.unlabeled == []
    draft.click(1)
    assert draft.selected == [1]
    assert draft.label(1) == [1] and draft.labels[1] == 1


def test_a_digit_labels_the_selection_then_the_rest():
    draft = PageDraft([None, None, 1, None])
    draft.select([0, 3])
    assert draft.label(1) == [0, 3] and draft.selected == []
    assert draft.label(0) == [1]  # the one left unlabeled
    assert draft.labels == [1, 0, 1, 1]
    assert draft.changes() == [(0, 1), (1, 0), (3, 1)]  # cell 2 held 1 already
    draft.select([2])
    draft.label(0)
    assert (2, 0) in draft.changes()  # a relabel is a change


def test_cells_off_the_page_are_refused():
    draft = PageDraft([None] * 3)
    with pytest.raises(NblabelError, match="numbered 0 to 2"):
        draft.click(3)
    with pytest.raises(NblabelError, match="whole number"):
        draft.select(["0"])


@given(
    st.lists(st.tuples(st.integers(0, 11), st.booleans(), st.booleans()), max_size=30),
    st.frozensets(st.integers(0, 11), max_size=3),
)
def test_a_selection_is_always_cells_of_the_page(clicks, disabled):
    draft = PageDraft([None] * 12, disabled=disabled)
    for index, shift, toggle in clicks:
        before, had_anchor = set(draft.selected), draft.anchor is not None
        draft.click(index, shift=shift, toggle=toggle)
        assert set(draft.selected) <= set(range(12))
        assert draft.selected == sorted(set(draft.selected))
        if shift and had_anchor:  # a range adds no unreadable cell
            assert not (set(draft.selected) - before) & disabled
    draft.select([])
    draft.label(0)
    assert all(draft.labels[i] is None for i in disabled)
