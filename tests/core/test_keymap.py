"""Key bindings are data: defaults, user overrides and the table sent to the browser."""

from __future__ import annotations

import pytest

from nblabel import Action, NblabelError
from nblabel._keymap import KeyMap, normalize_key

OPTIONS = ["pos", "neg", "neutral"]


def test_defaults_number_keys_and_action_keys():
    keys = KeyMap.build(OPTIONS)
    assert [keys.resolve(k) for k in "123"] == [0, 1, 2]
    assert keys.resolve("4") is None  # only as many number keys as options
    assert keys.resolve("Enter") is Action.CONFIRM
    assert keys.resolve("Backspace") is Action.UNDO
    assert keys.resolve("ArrowLeft") is Action.BACK
    assert keys.resolve("ArrowRight") is Action.SKIP
    assert keys.resolve("x") is None


def test_past_nine_options_letters_follow():
    keys = KeyMap.build([f"o{i}" for i in range(12)])
    assert [keys.key_for(i) for i in (0, 8, 9, 10, 11)] == ["1", "9", "a", "b", "c"]


def test_a_string_gives_one_key_per_option_and_drops_the_numbers():
    keys = KeyMap.build(OPTIONS, "asd")
    assert [keys.resolve(k) for k in "asd"] == [0, 1, 2]
    assert keys.resolve("1") is None
    assert keys.resolve("A") == 0  # letters are case-insensitive
    assert keys.resolve("Enter") is Action.CONFIRM  # actions keep their keys


def test_a_list_gives_one_key_per_option():
    keys = KeyMap.build(OPTIONS, ["j", "k", "l"])
    assert keys.key_for(1) == "k"


def test_a_mapping_rebinds_options_and_actions():
    keys = KeyMap.build(OPTIONS, {"p": "pos", "s": Action.SKIP})
    assert keys.resolve("p") == 0 and keys.resolve("s") is Action.SKIP
    # a rebound target loses its default key; the others keep theirs
    assert keys.resolve("1") is None and keys.resolve("ArrowRight") is None
    assert keys.resolve("2") == 1 and keys.resolve("Backspace") is Action.UNDO
    assert keys.key_for(0) == "p" and keys.key_for(Action.SKIP) == "s"


def test_aliases_spell_keys_as_the_browser_does():
    keys = KeyMap.build(OPTIONS, {"left": Action.UNDO, "space": Action.SKIP, "ESC": "neg"})
    assert keys.resolve("ArrowLeft") is Action.UNDO
    assert keys.resolve(" ") is Action.SKIP
    assert keys.resolve("Escape") == 1
    # ArrowLeft was BACK's key: taken, so BACK has none; UNDO lost Backspace
    assert keys.key_for(Action.BACK) is None
    assert keys.resolve("Backspace") is None


@pytest.mark.parametrize(
    ("given", "browser"),
    [("left", "ArrowLeft"), ("Right", "ArrowRight"), ("space", " "), ("return", "Enter"),
     ("del", "Delete"), ("Q", "q"), ("F2", "F2")],
)  # fmt: skip
def test_normalize_key(given, browser):
    assert normalize_key(given) == browser


@pytest.mark.parametrize("bad", ["", None, 3])
def test_normalize_key_refuses_non_keys(bad):
    with pytest.raises(NblabelError, match="non-empty string"):
        normalize_key(bad)


def test_a_key_for_an_unknown_option_is_refused_naming_the_options():
    with pytest.raises(NblabelError, match=r"'maybe'.*neither an option.*pos"):
        KeyMap.build(OPTIONS, {"m": "maybe"})


def test_a_dict_of_option_to_key_is_refused_naming_it_the_right_way_round():
    with pytest.raises(NblabelError) as caught:
        KeyMap.build(OPTIONS, {"pos": "p", "neg": "n"})
    assert "{'p': 'pos', 'n': 'neg'}" in str(caught.value)
    # options that are keys too: each key names another option, as written
    swapped = KeyMap.build(["a", "b"], {"a": "b", "b": "a"})
    assert swapped.resolve("a") == 1 and swapped.resolve("b") == 0
    # an option named like a key, that key given an action: as written
    moves = KeyMap.build(["left", "right"], {"left": Action.BACK})
    assert moves.resolve("ArrowLeft") is Action.BACK


@pytest.mark.parametrize("keys", ["as", "asdf", ["a"]])
def test_the_wrong_number_of_keys_is_refused(keys):
    with pytest.raises(NblabelError, match="one key per option"):
        KeyMap.build(OPTIONS, keys)


def test_two_keys_for_one_target_are_refused():
    with pytest.raises(NblabelError, match="same target"):
        KeyMap.build(OPTIONS, {"p": "pos", "q": "pos"})


def test_keys_of_the_wrong_type_are_refused():
    with pytest.raises(NblabelError, match="keys="):
        KeyMap.build(OPTIONS, 5)


def test_numeric_options_are_matched_by_value():
    keys = KeyMap.build([1, 2, 3], {"z": 3})
    assert keys.resolve("z") == 2 and keys.resolve("3") is None


def test_option_keys_replace_the_default_numbers():
    keys = KeyMap.build([0, 1, 2], option_keys=["0", "1", "2"])
    assert [keys.resolve(k) for k in "012"] == [0, 1, 2]


def test_to_json_is_the_table_for_the_browser():
    table = KeyMap.build(["a", "b"], {"s": Action.SKIP}).to_json()
    assert table == {
        "1": 0, "2": 1, "Enter": "confirm", "Backspace": "undo", "ArrowLeft": "back", "s": "skip",
    }  # fmt: skip
    assert all(isinstance(v, (int, str)) and not isinstance(v, Action) for v in table.values())


def test_action_prints_as_its_name():
    assert str(Action.UNDO) == "undo" and Action("skip") is Action.SKIP


def test_help_lists_every_key_of_the_widget_from_the_key_map():
    keys = KeyMap.build(OPTIONS, {"p": "pos", "s": Action.SKIP})
    rows = keys.help(OPTIONS)
    assert rows[:3] == [("p", "pick pos"), ("2", "pick neg"), ("3", "pick neutral")]
    assert ("s", "skip: leave the item for later") in rows
    assert not [key for key, _ in rows if key in ("ArrowRight", "Enter")]  # rebound / unused
    assert rows[-2:] == [("?", "show or hide the list of keys"),
                         ("Escape", "leave a text box: the keys label again")]
    multi = KeyMap.build(OPTIONS).help(OPTIONS, multi=True)
    assert multi[0] == ("1", "toggle pos") and ("Enter", "save the selection") in multi
    typed = KeyMap.build([]).help([], typed=True)
    assert typed[0] == ("Enter", "save the typed text")


def test_the_help_key_cannot_be_bound():
    with pytest.raises(NblabelError, match="keeps for itself"):
        KeyMap.build(OPTIONS, {"?": "pos"})
