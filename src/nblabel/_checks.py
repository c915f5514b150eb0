"""Checks of public arguments, shared by every function users call.

Each check raises :class:`NblabelError` with a message that names the parameter (``keys=``),
shows what was given, and says what to give instead; it returns the value in the form the
caller goes on with. Pure: no widget library is imported here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Hashable, Iterable, KeysView, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import numpy as np

from ._codec import encode
from ._errors import NblabelError
from ._keymap import Action, KeyMap, normalize_key
from ._postgres import is_postgres_url, redact

__all__ = [
    "check_callable",
    "check_choice",
    "check_column",
    "check_flag",
    "check_id",
    "check_ids",
    "check_int",
    "check_item",
    "check_key",
    "check_keys",
    "check_keys_cover",
    "check_list",
    "check_name",
    "check_number",
    "check_options",
    "check_order",
    "check_out_path",
    "check_rate",
    "check_rationale",
    "check_seed",
    "check_store_path",
    "check_task",
    "checked_keymap",
    "given",
    "required_rationale",
]

# KeyboardEvent.key values a binding may use besides single characters
NAMED_KEYS = frozenset(
    {"Enter", "Backspace", "Tab", "Escape", "Delete", "Insert", "Home", "End", "PageUp",
     "PageDown", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"}
    | {f"F{i}" for i in range(1, 13)}
)  # fmt: skip


def given(value: Any, limit: int = 60) -> str:
    """``value`` as shown in a message: its repr, cut short, and its type when that helps."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    plain = (str, int, float, bool, type(None), list, tuple, dict, set, bytes)
    return text if isinstance(value, plain) else f"{text} ({type(value).__name__})"


def check_flag(value: Any, name: str) -> bool:
    """``True`` or ``False``, never a string: ``"false"`` would read as true."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    hint = ""
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "0", "off"}:
        hint = f" ({value!r} would read as True)"
    raise NblabelError(
        f"{name}= must be True or False, not {given(value)}{hint}: write {name}=True or "
        f"{name}=False"
    )


def check_name(value: Any, name: str, example: str = "alice") -> str:
    """A non-empty name (annotator, reviewer, task)."""
    if not isinstance(value, str) or not value.strip():
        raise NblabelError(
            f"{name}= must be a non-empty name such as {example!r}, not {given(value)}"
        )
    return value


def check_task(
    value: Any, known: Sequence[str], name: str = "task", holder: str = "the store"
) -> str:
    """A task that ``holder`` (a store, or a table of annotations) holds."""
    if not isinstance(value, str) or not value.strip():
        raise NblabelError(f"{name}= must be a task name (a string), not {given(value)}")
    if value not in known:
        listed = ", ".join(map(repr, known)) or "none yet"
        raise NblabelError(f"{name}={value!r}: {holder} has no task {value!r}; its tasks: {listed}")
    return value


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """A whole number, at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise NblabelError(f"{name}= must be a whole number, not {given(value)}")
    if minimum is not None and value < minimum:
        raise NblabelError(f"{name}= must be {minimum} or more, not {value}")
    return int(value)


def check_seed(value: Any, name: str = "seed") -> int:
    """A seed: a whole number, 0 or more (None would make each run differ)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise NblabelError(
            f"{name}= must be a whole number such as 0, not {given(value)}: the same seed gives "
            "the same result"
        )
    if value < 0:
        raise NblabelError(f"{name}= must be 0 or more, not {value}")
    return int(value)


def check_rate(value: Any, name: str) -> float:
    """A share in ``[0, 1)``, such as ``0.05``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise NblabelError(f"{name}= must be a number in [0, 1) such as 0.05, not {given(value)}")
    if not 0 <= float(value) < 1:
        raise NblabelError(
            f"{name}= must be in [0, 1) (0.05 is one in 20), not {value}"
            + (f": for {value}%, write {name}={value / 100:g}" if 1 <= value < 100 else "")
        )
    return float(value)


def check_rationale(value: Any, name: str = "rationale") -> tuple[bool, bool]:
    """``rationale=`` as (ask for one, require one): ``False``, ``True`` or ``"required"``."""
    if value is None:
        return False, False
    if isinstance(value, (bool, np.bool_)):
        return bool(value), False
    if isinstance(value, str) and value == "required":
        return True, True
    hint = ""
    if isinstance(value, str) and value.strip().lower() in {"require", "required", "mandatory"}:
        hint = ": write it exactly as 'required'"
    raise NblabelError(
        f"{name}= must be True (a box for the reason), 'required' (no label saved without a "
        f"reason) or False, not {given(value)}{hint}"
    )


def required_rationale(rationale: Any, required: bool) -> str | None:
    """The rationale to store; refused when ``required`` and empty."""
    text = rationale.strip() if isinstance(rationale, str) else rationale
    if rationale is not None and not isinstance(rationale, str):
        raise NblabelError(f"rationale= must be text, not {given(rationale)}")
    if required and not text:
        raise NblabelError(
            "a reason is required for each label (rationale='required'): write it in the box, "
            "or give w.submit(..., rationale='why')"
        )
    return rationale or None


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """One of ``choices``, and of its type: ``"1"`` is not ``1``, and a DataFrame or an array
    is no choice (comparing one to a string would ask for its truth value)."""
    if not any(isinstance(value, type(c)) and value == c for c in choices):
        listed = ", ".join(map(repr, choices))
        raise NblabelError(f"{name}= must be one of {listed}, not {given(value)}")
    return value


def check_number(
    value: Any, name: str, example: str, *, minimum: float | None = None,
    maximum: float | None = None, finite: bool = True,
) -> float:  # fmt: skip
    """A real number (not a bool, a string or an array), within the bounds given (inclusive)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise NblabelError(f"{name}= must be a number such as {example}, not {given(value)}")
    number = float(value)
    if finite and not math.isfinite(number):
        raise NblabelError(f"{name}= must be a finite number such as {example}, not {value}")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        low = "" if minimum is None else f"{minimum:g} or more"
        high = "" if maximum is None else f"{maximum:g} or less"
        raise NblabelError(
            f"{name}= must be {' and '.join(b for b in (low, high) if b)}, not {value}"
        )
    return number


def check_callable(value: Any, name: str, example: str) -> Callable:
    """A function; a name of one (``"print"``) is refused now, not at its first call."""
    if callable(value):
        return value
    hint = (
        f": pass the function itself, {name}={value}, not its name"
        if isinstance(value, str)
        else ""
    )
    raise NblabelError(f"{name}= must be a function such as {example}, not {given(value)}{hint}")


def check_column(value: Any, name: str) -> Hashable:
    """One column name (its existence is checked against the data later)."""
    if isinstance(value, (list, set, dict, np.ndarray)) or not isinstance(value, Hashable):
        raise NblabelError(
            f"{name}= must be one column name, not {given(value)}: to show several columns, "
            "leave it out (the whole row shows) or use display=lambda row: ..."
        )
    return value


def check_item(value: Any, name: str = "item") -> Hashable:
    """One item id (an index label), not a list of them."""
    if type(value) is str or type(value) is int:  # the usual ids: checked at once (per label)
        return value
    if isinstance(value, (list, set, dict, np.ndarray)) or not isinstance(value, Hashable):
        raise NblabelError(
            f"{name}= must be one item id (an index label of the data), not {given(value)}"
        )
    return value


def check_key(value: Any, name: str = "key") -> str:
    """One key as ``KeyboardEvent.key`` spells it: ``"1"``, ``"a"``, ``"Enter"``."""
    if not isinstance(value, str) or not value:
        hint = f": write w.press({str(value)!r})" if isinstance(value, (int, np.integer)) else ""
        raise NblabelError(
            f"{name}= must be a key as a string, such as '1', 'a', 'Enter' or 'ArrowLeft', not "
            f"{given(value)}{hint}"
        )
    return value


def check_list(value: Any, name: str, example: str) -> list:
    """A list of values (a list, tuple, 1-D array, Series or Index), never a string, dict, set
    or a table (a DataFrame iterates over its column names)."""
    if (
        isinstance(value, (str, bytes, Mapping, AbstractSet))
        or not isinstance(value, Iterable)
        or getattr(value, "ndim", 1) != 1
    ):
        raise NblabelError(f"{name}= must be a list such as {example}, not {given(value)}")
    return list(value)


def check_ids(value: Any, name: str, example: str) -> list:
    """A list of ids (annotators, labels, classes): :func:`check_list`, each one value."""
    values = check_list(value, name, example)
    for one in values:
        try:
            hash(one)
        except TypeError:
            raise NblabelError(
                f"{name}= holds {given(one)}: give one value for each, as in {example}"
            ) from None
    return values


def check_id(value: Any, name: str, example: str) -> Hashable:
    """One id (an annotator, an item, a label): a hashable value, not a list of them."""
    try:
        hash(value)
    except TypeError:
        raise NblabelError(
            f"{name}= must be one id such as {example}, not {given(value)}"
        ) from None
    if getattr(value, "ndim", 0) != 0:  # a hashable array-like, such as a tuple subclass
        raise NblabelError(f"{name}= must be one id such as {example}, not {given(value)}")
    return value


def check_options(options: Any, name: str = "options", example: str = "['pos', 'neg']") -> list:
    """The options as a list, checked: ordered (their order gives the keys and the default task
    name), each a non-empty string or a number, each once; ``example`` shows such a list.

    A set is refused: its order differs between kernels. A dict is refused too, though ordered:
    it reads as a key map, which is ``keys=``.
    """
    if options is None or isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
        raise NblabelError(f"{name}= must be a list such as {example}, not {given(options)}")
    if isinstance(options, AbstractSet) and not isinstance(options, KeysView):
        raise NblabelError(
            f"{name}= is a set, whose order (the keys 1, 2, 3…, the task name) changes from one "
            f"kernel to the next: give a list, e.g. {name}=sorted({given(options, 40)})"
        )
    if isinstance(options, Mapping):
        raise NblabelError(
            f"{name}= is a dict: give the options as a list, e.g. {name}=list(d) for its keys; "
            "to choose the key of each option use keys={'p': 'pos', ...}"
        )
    options = list(options)
    if not options:
        raise NblabelError(f"{name}= is empty: give at least one choice")
    for option in options:
        if not isinstance(option, (str, int, float, bool, np.integer, np.floating)):
            raise NblabelError(
                f"{name}= holds {option!r} ({type(option).__name__}): use strings or numbers"
            )
        if isinstance(option, str) and not option.strip():
            raise NblabelError(
                f"{name}= holds the blank option {option!r}, which shows as an empty button: "
                "give each option a visible name"
            )
        encode(option)  # rejects NaN and infinities with a clear message
    seen: set = set()
    duplicates = [o for o in options if o in seen or seen.add(o)]
    if duplicates:
        raise NblabelError(f"{name}= lists {duplicates!r} more than once: give each choice once")
    return [o.item() if isinstance(o, np.generic) else o for o in options]


def _key(key: Any, name: str) -> str:
    """One key as the browser spells it; a string that is no key is refused."""
    if not isinstance(key, str) or not key:
        raise NblabelError(
            f"{name}= holds {given(key)}, which is not a key: keys are strings such as 'a', "
            "'1' or 'Enter'"
        )
    spelled = normalize_key(key)
    if len(spelled) != 1 and spelled not in NAMED_KEYS:
        raise NblabelError(
            f"{name}= holds {key!r}, which is not one key: give one character (such as 'a') or "
            f"a key name ({', '.join(sorted(NAMED_KEYS)[:6])}, …); for one key per option, "
            f"write {name}=['a', 's', 'd']"
        )
    return spelled


def check_keys(keys: Any, options: Sequence[Any], name: str = "keys") -> Any:
    """``keys=`` checked before the key map is built: a string or list with one usable key per
    option, or a dict ``{key: option or Action}``; no key given twice."""
    if keys is None:
        return None
    if isinstance(keys, Mapping):
        spelled = [_key(k, name) for k in keys]
    elif isinstance(keys, str) or (
        isinstance(keys, Sequence) and not isinstance(keys, (bytes, bytearray))
    ):
        spelled = [_key(k, name) for k in keys]
        if len(spelled) != len(options):
            raise NblabelError(
                f"{name}= gives {len(spelled)} keys for {len(options)} options "
                f"({given(list(options))}): give one key per option, or a dict such as "
                "{'p': 'pos'}"
            )
    else:
        raise NblabelError(
            f"{name}= must be one key per option ('asd' or ['a', 's', 'd']) or a dict such as "
            f"{{'p': 'pos', 'x': nblabel.Action.SKIP}}, not {given(keys)}"
        )
    seen: set[str] = set()
    for original, key in zip(keys, spelled, strict=True):
        if key in seen:
            raise NblabelError(
                f"{name}= gives the key {original!r} twice: each key can do one thing; give "
                "another key to one of them"
            )
        seen.add(key)
    return keys


def check_keys_cover(
    bindings: Mapping[str, Action | int],
    before: Mapping[str, Action | int],
    options: Sequence[Any],
    name: str = "keys",
) -> None:
    """After ``keys=`` changed the key map: no option that had a key is left without one (a key
    given to an option takes that key from the option it picked by default)."""
    bound = set(bindings.values())
    keyless = [options[i] for i in sorted(set(before.values()) - bound) if isinstance(i, int)]
    if keyless:
        raise NblabelError(
            f"{name}= leaves the option {keyless[0]!r} without a key (its key now picks another "
            f"option): give it a key too, e.g. {name}={{..., 'x': {keyless[0]!r}}}"
        )


def checked_keymap(
    options: Sequence[Any],
    keys: Any,
    *,
    option_keys: Sequence[str] | None = None,
    name: str = "keys",
) -> KeyMap:
    """The key map of ``options`` with ``keys=`` checked before and after it is built."""
    check_keys(keys, options, name)
    keymap = KeyMap.build(options, keys, option_keys=option_keys)
    if keys is not None:
        plain = KeyMap.build(options, None, option_keys=option_keys)
        check_keys_cover(keymap.bindings, plain.bindings, options, name)
    return keymap


def check_order(order: Any, name: str = "order") -> Any:
    """``order=`` as a list of item ids, or an ordering object (passed on as it is)."""
    if order is None or (hasattr(order, "start") and hasattr(order, "poll")):
        return order
    if isinstance(order, (str, bytes)):
        raise NblabelError(
            f"{name}= is the string {given(order)}: give a list of item ids, e.g. "
            f"{name}=[{order!r}] for one item"
        )
    if isinstance(order, Mapping):
        raise NblabelError(
            f"{name}= is a dict: give a list of item ids, e.g. {name}=list(d) for its keys or "
            f"{name}=sorted(d, key=d.get) to order them by value"
        )
    if isinstance(order, AbstractSet):
        raise NblabelError(
            f"{name}= is a set, whose order changes from one kernel to the next: give a list, "
            f"e.g. {name}=sorted(...)"
        )
    if not isinstance(order, Iterable) or getattr(order, "ndim", 1) != 1:
        raise NblabelError(
            f"{name}= must be a list of item ids or an ordering from nblabel.sample, not "
            f"{given(order)}"
            + (": for a table, give its index (df.index)" if getattr(order, "ndim", 1) == 2 else "")
        )
    return order


def check_store_path(value: Any, name: str) -> Path | str:
    """Where a store lives: a file path (str or path-like) or a ``sqlite:///`` URL, whose
    folder exists, as a path not yet resolved; or a ``postgresql://`` URL, as it is."""
    if isinstance(value, (bytes, bytearray)):
        raise NblabelError(
            f"{name}= is bytes ({given(value)}): give the path as text, e.g. "
            f"{name}={bytes(value).decode(errors='replace')!r}"
        )
    if not isinstance(value, (str, os.PathLike)):
        store = "" if name == "path_or_url" else " or a LabelStore"
        raise NblabelError(
            f"{name}= must be a file path such as 'labels.db', a sqlite:/// or postgresql:// URL"
            f"{store}, not "
            f"{given(value)}"
        )
    text = os.fspath(value)
    if not isinstance(text, str) or not text.strip():
        raise NblabelError(f"{name}= is empty: give a file path such as 'labels.db'")
    if is_postgres_url(text):
        return text
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower().startswith("sqlite") and not rest.startswith("//"):
        raise NblabelError(
            f"{name}={text!r} is not a SQLite URL: write sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db (three slashes), or give the file path itself"
        )
    path = _location(text, name)
    full = path.expanduser().resolve()
    if full.is_dir():
        raise NblabelError(
            f"{name}={text!r} is a directory, not a file: give a file name in it, such as "
            f"{full / 'labels.db'}"
        )
    if not full.parent.is_dir():
        raise NblabelError(
            f"{name}={text!r}: the folder {full.parent} does not exist: create it first "
            "(os.makedirs) or give another path"
        )
    return path


def check_out_path(value: Any, name: str, suffixes: Sequence[str]) -> Path:
    """A file to write: a path (not an open file) ending in one of ``suffixes``, in a folder
    that exists; resolved."""
    endings = " or ".join(suffixes)
    if not isinstance(value, (str, os.PathLike)) or isinstance(os.fspath(value), bytes):
        raise NblabelError(
            f"{name}= must be a file path ending in {endings}, not {given(value)}: the file is "
            "written whole or not at all, which an open file or buffer cannot promise"
        )
    text = os.fspath(value)
    if not text.strip():
        raise NblabelError(f"{name}= is empty: give a file path ending in {endings}")
    target = Path(text).expanduser().resolve()
    if target.is_dir():
        raise NblabelError(
            f"{name}={text!r} is a folder: give a file in it, such as "
            f"{target / ('labels' + suffixes[0])}"
        )
    if target.suffix.lower() not in suffixes:
        raise NblabelError(
            f"{name}={text!r}: cannot tell the format of {target.name!r}: end the path with "
            f"{endings}"
        )
    if not target.parent.is_dir():
        raise NblabelError(
            f"{name}={text!r}: the folder {target.parent} does not exist: create it first "
            "(os.makedirs) or give another path"
        )
    return target


def _location(text: str, name: str) -> Path:
    if "://" not in text:
        return Path(text)
    scheme, _, rest = text.partition("://")
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise NblabelError(
                f"{name}={text!r} is not a SQLite URL: write sqlite:///relative/path.db or "
                "sqlite:////absolute/path.db"
            )
        return Path(rest[1:])
    raise NblabelError(
        f"{name}={redact(text)!r} has the unknown URL scheme {scheme!r}: give a file path, a "
        "sqlite:/// URL or a postgresql://user@host/database URL"
    )
