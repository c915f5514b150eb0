"""The shared argument checks accept every form the docs promise (the refusals are in
``tests/widgets/test_wrong_calls.py``): a check must never turn away a good call."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nblabel import Action
from nblabel._checks import (
    check_flag,
    check_keys,
    check_order,
    check_rate,
    check_seed,
    check_store_path,
    checked_keymap,
)
from nblabel._errors import NblabelError


@pytest.mark.parametrize("value", [True, False, np.bool_(True), np.bool_(False)])
def test_flags_take_python_and_numpy_bools(value):
    assert check_flag(value, "multi") is bool(value)


@pytest.mark.parametrize("value", [0, 7, np.int64(3)])
def test_seeds_take_whole_numbers(value):
    assert check_seed(value) == int(value) and type(check_seed(value)) is int


@pytest.mark.parametrize("value", [0, 0.05, np.float32(0.5), 0.999])
def test_rates_take_shares_below_one(value):
    assert check_rate(value, "gold_rate") == pytest.approx(float(value))


@pytest.mark.parametrize(
    "order",
    [None, ["b", "a"], ("b",), pd.Index(["b"]), np.array(["b"]), pd.Series(["a"]), iter("ab")],
)
def test_orders_take_any_list_of_ids(order):
    assert check_order(order) is order


@pytest.mark.parametrize(
    "keys",
    [None, "asd", ["a", "s", "d"], {"p": "pos"}, {"left": "pos"}, {"F2": Action.SKIP}, {" ": "n"}],
)
def test_keys_take_strings_lists_and_dicts_of_real_keys(keys):
    assert check_keys(keys, ["pos", "neg", "n"]) is keys


def test_keys_moved_within_options_are_allowed():
    # every option keeps a key: 1 and 2 swapped
    keymap = checked_keymap(["pos", "neg"], {"1": "neg", "2": "pos"})
    assert keymap.resolve("1") == 1 and keymap.resolve("2") == 0


def test_keys_past_the_default_ones_are_not_required():
    # 40 options: the last five never had a key, so keys= need not give them one
    options = [f"o{i}" for i in range(40)]
    with pytest.raises(NblabelError, match="'o0'"):
        checked_keymap(options, {"1": "o39"})
    keymap = checked_keymap(options, {"!": "o39"})
    assert keymap.resolve("!") == 39


@pytest.mark.parametrize("form", ["plain", "path", "url"])
def test_store_paths_take_text_paths_and_sqlite_urls(tmp_path, form):
    target = tmp_path / "labels.db"
    value = {"plain": str(target), "path": target, "url": f"sqlite:///{target}"}[form]
    assert check_store_path(value, "store").expanduser().resolve() == target.resolve()


def test_store_paths_name_the_parameter_given(tmp_path):
    with pytest.raises(NblabelError, match=r"^store="):
        check_store_path(tmp_path, "store")
    with pytest.raises(NblabelError, match=r"^path_or_url="):
        check_store_path(tmp_path, "path_or_url")
    assert isinstance(check_store_path(Path("x.db"), "store"), Path)
