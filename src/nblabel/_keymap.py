"""Key bindings as data: which key picks which option or runs which action.

The browser sends ``KeyboardEvent.key`` values; this module resolves them. The same table is
sent to the browser (to show key hints and advance at once) and rendered in the docs.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import NblabelError

__all__ = ["HELP_KEY", "Action", "KeyMap", "key_table", "normalize_key"]


class Action(str, enum.Enum):
    """Actions a key can run besides picking an option."""

    CONFIRM = "confirm"  #: submit the selection (multi-label) or the typed text
    UNDO = "undo"  #: undo the last label this widget saved and show its item again
    BACK = "back"  #: show the previous item
    SKIP = "skip"  #: leave the item unlabeled for now and show the next

    def __str__(self) -> str:
        return self.value


DEFAULT_ACTION_KEYS = {
    "Enter": Action.CONFIRM,
    "Backspace": Action.UNDO,
    "ArrowLeft": Action.BACK,
    "ArrowRight": Action.SKIP,
}

# Keys the browser handles itself, the same in every widget (keys= may not bind "?").
HELP_KEY = "?"
_FIXED_KEY_DOCS = {
    HELP_KEY: "show or hide the list of keys",
    "Escape": "leave a text box: the keys label again",
}

# Keys for options past the ninth: letters, leaving out none (actions use named keys).
_OPTION_KEYS = [*"123456789", *string.ascii_lowercase]

_ALIASES = {
    "enter": "Enter",
    "return": "Enter",
    "backspace": "Backspace",
    "left": "ArrowLeft",
    "arrowleft": "ArrowLeft",
    "right": "ArrowRight",
    "arrowright": "ArrowRight",
    "up": "ArrowUp",
    "arrowup": "ArrowUp",
    "down": "ArrowDown",
    "arrowdown": "ArrowDown",
    "space": " ",
    "spacebar": " ",
    "esc": "Escape",
    "escape": "Escape",
    "tab": "Tab",
    "delete": "Delete",
    "del": "Delete",
}


def normalize_key(key: str) -> str:
    """Spell a key as the browser's ``KeyboardEvent.key`` does (``"left"`` → ``"ArrowLeft"``).

    Single characters are case-insensitive and come back lower-case.
    """
    if not isinstance(key, str) or not key:
        raise NblabelError(f"a key must be a non-empty string such as '1' or 'Enter', not {key!r}")
    if len(key) == 1:
        return key.lower()
    return _ALIASES.get(key.lower(), key)


@dataclass(frozen=True)
class KeyMap:
    """Resolved bindings: each key runs one action or picks one option (by position)."""

    bindings: Mapping[str, Action | int]

    @classmethod
    def build(
        cls,
        options: Sequence[Any],
        keys: Mapping[str, Any] | Sequence[str] | str | None = None,
        *,
        option_keys: Sequence[str] | None = None,
    ) -> KeyMap:
        """Default bindings for ``options``, changed by ``keys``.

        ``keys`` is either a sequence with one key per option (``"asd"`` or ``["a", "s", "d"]``),
        or a mapping from key to an option value or an :class:`Action`
        (``{"p": "pos", "s": Action.SKIP}``). A target given a new key loses its default key.
        """
        defaults = list(option_keys) if option_keys is not None else _OPTION_KEYS
        bindings: dict[str, Action | int] = {
            normalize_key(k): i for i, k in enumerate(defaults[: len(options)])
        }
        bindings.update(DEFAULT_ACTION_KEYS)
        if keys is None:
            return cls(bindings)
        if isinstance(keys, (str, Sequence)) and not isinstance(keys, Mapping):
            keys = list(keys)
            if len(keys) != len(options):
                raise NblabelError(
                    f"keys= lists {len(keys)} keys for {len(options)} options: give one key "
                    "per option, or a dict such as {'p': 'pos'}"
                )
            keys = {k: options[i] for i, k in enumerate(keys)}
        if not isinstance(keys, Mapping):
            raise NblabelError("keys= must be a dict {key: option or Action} or one key per option")
        _refuse_reversed(keys, options)
        wanted: dict[str, Action | int] = {}
        for key, target in keys.items():
            if normalize_key(key) == HELP_KEY:
                raise NblabelError(
                    f"keys= binds {key!r}, which the widget keeps for itself "
                    f"({_FIXED_KEY_DOCS[HELP_KEY]}): choose another key"
                )
            wanted[normalize_key(key)] = cls._resolve_target(target, options)
        seen = {}
        for key, target in wanted.items():
            if target in seen:
                raise NblabelError(
                    f"keys= binds both {seen[target]!r} and {key!r} to the same target"
                )
            seen[target] = key
        # a rebound target drops its default key; a rebound key drops its default target
        bindings = {k: t for k, t in bindings.items() if t not in seen and k not in wanted}
        bindings.update(wanted)
        return cls(bindings)

    @staticmethod
    def _resolve_target(target: Any, options: Sequence[Any]) -> Action | int:
        if isinstance(target, Action):
            return target
        matches = [i for i, option in enumerate(options) if option == target]
        if matches:
            return matches[0]
        raise NblabelError(
            f"keys= maps to {target!r}, which is neither an option ({list(options)!r}) nor an "
            "nblabel.Action (CONFIRM, UNDO, BACK, SKIP)"
        )

    def resolve(self, key: str) -> Action | int | None:
        """What ``key`` does: an :class:`Action`, an option position, or ``None``."""
        found = self.bindings.get(key)
        if found is None and len(key) == 1:
            found = self.bindings.get(key.lower())
        return found

    def key_for(self, target: Action | int) -> str | None:
        """The key bound to ``target``, for the on-screen hints."""
        for key, bound in self.bindings.items():
            if bound == target:
                return key
        return None

    def help(
        self, options: Sequence[Any], *, multi: bool = False, typed: bool = False
    ) -> list[tuple[str, str]]:
        """Every key of this widget and what it does, options first, for the ``?`` list
        (``typed``: the widget has a text box, whose text ``Enter`` saves)."""
        rows: list[tuple[str, str]] = []
        picks = sorted((t, k) for k, t in self.bindings.items() if not isinstance(t, Action))
        for position, key in picks:
            rows.append((key, f"{'toggle' if multi else 'pick'} {options[position]}"))
        for action in Action:
            for key, target in self.bindings.items():
                if target is action:
                    doc = _ACTION_DOCS[action]
                    if action is Action.CONFIRM:
                        if not (multi or typed):
                            continue  # one key saves one option: Enter has nothing to do
                        doc = "save the selection" if multi else "save the typed text"
                    rows.append((key, doc))
        rows.extend((k, doc) for k, doc in _FIXED_KEY_DOCS.items() if k not in self.bindings)
        return rows

    def to_json(self) -> dict[str, str | int]:
        """The table for the browser: key → option position or action name."""
        return {k: (t.value if isinstance(t, Action) else t) for k, t in self.bindings.items()}


def key_table() -> str:
    """The default keys as a Markdown table (in the README; a test keeps it current)."""
    rows = [
        "| key | does |",
        "|---|---|",
        f"| `{_OPTION_KEYS[0]}` … `{_OPTION_KEYS[8]}` | pick the 1st … 9th option (toggle it "
        "with `multi=True`); options past the ninth get `a`, `b`, … |",
    ]
    for key, action in DEFAULT_ACTION_KEYS.items():
        rows.append(f"| `{key}` | {_ACTION_DOCS[action]} |")
    for key, doc in _FIXED_KEY_DOCS.items():
        rows.append(f"| `{key}` | {doc} |")
    return "\n".join(rows)


_ACTION_DOCS = {
    Action.CONFIRM: "save the multi-label selection or the typed text",
    Action.UNDO: "undo the last label this widget saved and show its item again",
    Action.BACK: "show the previous item",
    Action.SKIP: "skip: leave the item for later",
}


def _refuse_reversed(keys: Mapping, options: Sequence[Any]) -> None:
    """Refuse ``{option: key}``, the way round a dict of keys is often written, naming the
    dict to give instead: every key of it is an option and every value a text that is not
    (an :class:`Action` is a target, whatever the key is called)."""

    def is_option(value: Any) -> bool:
        return any(value == o for o in options)

    def is_key(value: Any) -> bool:
        return isinstance(value, str) and not isinstance(value, Action) and not is_option(value)

    if keys and all(is_option(k) and is_key(t) for k, t in keys.items()):
        swapped = {t: k for k, t in keys.items()}
        raise NblabelError(
            f"keys= maps each key to press to its option, and {dict(keys)!r} maps options to "
            f"keys: give {swapped!r}"
        )
