"""The one base every nblabel widget stands on: navigation, keys, progress, undo, timing,
prefetch, error display and persistence. Each modality is a small subclass.

The path of a key press: the browser resolves the key with the ``keymap`` trait and sends the
label the user saw, ``{kind: "label", value: JSON text, item, seq, client}`` (actions go as
``{kind: "action", name}``); ``_handle_message`` dispatches by ``kind``; the value is checked
(:meth:`LabelWidget._validate`) and the session commits it to the store; one message goes
back (``hold_sync``) with the new state, acknowledging the intent; then user callbacks run.
That message says only what changed: the next sample is one the browser prefetched, so it
names it rather than sending it again (see *pushing state* below). In Python,
:meth:`LabelWidget.press` resolves a key with the same key map.

What is acknowledged: a label the store has committed, always, even when showing the next
item or a callback fails afterwards (that error is shown, never raised); a refused intent (a
value that is no longer a label here, an unknown key), with the reason shown. A save that
fails for any reason is never acknowledged: the error is shown and the browser keeps the label
pending and sends it again.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import anywidget
import pandas as pd
import traitlets as t
from ipywidgets.widgets.widget import _remove_buffers
from traitlets import All

from .._checks import (
    check_callable,
    check_flag,
    check_item,
    check_key,
    given,
    required_rationale,
)
from .._codec import decode, encode
from .._content import error_content
from .._errors import NblabelError, StoreError
from .._keymap import Action, KeyMap
from .._session import LabelingSession, Progress
from ._style import STATIC

__all__ = ["LabelWidget", "SubmitEvent"]

log = logging.getLogger("nblabel")

_STATIC = STATIC  # the front-end files, one folder for every view


def front_end(view: str) -> tuple[str, str]:
    """The browser module and style sheet of ``view``: ``static/base.js`` then
    ``static/<view>.js`` joined into one ES module (the view calls base's functions by name, no
    bundler), and ``base.css`` then ``<view>.css`` when there is one."""
    parts = [(_STATIC / "base.js").read_text("utf-8"), (_STATIC / f"{view}.js").read_text("utf-8")]
    css = [(_STATIC / "base.css").read_text("utf-8")]
    if (_STATIC / f"{view}.css").exists():
        css.append((_STATIC / f"{view}.css").read_text("utf-8"))
    return "\n".join(parts), "\n".join(css)
PREFETCH = 3
TRAIL = 5  # recent labels shown under the widget
SHIFTED = ("sample", "upcoming", "trail")  # sent as what changed, once a front end follows


def _sample_shift(sample: dict, sent: dict) -> dict | None:
    """``sample`` as a prefetched sample the browser holds plus the keys it adds (the saved
    label), or ``None`` when it is not one of them."""
    content = sample.get("content")
    if content is None:  # all done: nothing on screen
        return None
    for index, payload in enumerate(sent["upcoming"]):
        if payload.get("content") is content and all(
            key in sample and sample[key] == value for key, value in payload.items()
        ):
            return {"from": index, "with": {k: v for k, v in sample.items() if k not in payload}}
    return None


def _upcoming_shift(upcoming: list, sent: dict) -> dict | None:
    """``upcoming`` as the browser's list less its first ``drop`` samples plus ``add``, or
    ``None`` when it does not begin with the rest of the browser's list (``drop`` < its
    length: a list with nothing in common goes whole)."""
    held = sent["upcoming"]
    for drop in range(len(held)):  # payloads are cached: the same objects, compared at once
        kept = len(held) - drop
        if len(upcoming) >= kept and upcoming[:kept] == held[drop:]:
            return {"drop": drop, "add": upcoming[kept:]}
    return None


def _pushed(trail: list, entry: dict, keep: int) -> list:
    """``entry`` on top of ``trail``, an older entry of its item dropped, ``keep`` kept."""
    return [entry, *(e for e in trail if e["item"] != entry["item"])][:keep]


def _trail_shift(trail: list, sent: dict) -> dict | None:
    """``trail`` as one entry pushed onto the browser's trail (:func:`_pushed`), or ``None``
    when it is not."""
    if trail and trail == _pushed(sent["trail"], trail[0], len(trail)):
        return {"push": trail[0], "keep": len(trail)}
    return None


_SHIFTS = {"sample": _sample_shift, "upcoming": _upcoming_shift, "trail": _trail_shift}
_SHIPPING = threading.RLock()  # held while a state is built and sent


@dataclass(frozen=True)
class SubmitEvent:
    """What ``on_submit`` callbacks receive after a label is saved."""

    item: Hashable
    label: Any
    annotator: str
    task: str
    event_id: int
    rationale: str | None = None


class Unreadable(Exception):
    """A browser message whose fields are not what the front end sends."""


def message_handler(handlers: dict[str, Callable], content: Any) -> Callable | None:
    """The handler of a browser message's kind (``"key"``, ``"label"``...); ``None``, logged,
    for a message of no kind or of one no handler takes."""
    kind = content.get("kind") if isinstance(content, dict) else None
    handler = handlers.get(kind) if isinstance(kind, str) else None
    if handler is None:
        log.warning("nblabel: ignored a message of unknown kind: %.200r", content)
    return handler


def message_sender(content: dict) -> tuple[str | None, int | None]:
    """The client (a page's view) and sequence number of a browser message, checked: they
    become the acknowledgements the page reads."""
    client, seq = content.get("client"), content.get("seq")
    if client is None:
        return None, seq  # no acknowledgement asked (a draft's seq counts its edits instead)
    if not isinstance(client, str):
        raise Unreadable("its client is no text")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
        raise Unreadable("its sequence number is no whole number")
    return client, seq


def unreadable(widget: Any, problem: Exception, content: Any) -> None:
    """Say that a browser message was left alone: nothing of it is acted on (an item it cannot
    name is never taken for the one shown)."""
    log.warning("nblabel: ignored a message it cannot read (%s): %.200r", problem, content)
    widget.error = (
        f"The page sent a message the kernel cannot read ({problem}), so nothing of it was "
        "done: reload the page"
    )


def _elapsed_s(elapsed_ms: Any) -> float | None:
    """The browser's time on the item, in seconds; ``None`` for a value that is no time (the
    label is saved all the same)."""
    if isinstance(elapsed_ms, bool) or not isinstance(elapsed_ms, (int, float)):
        return None
    seconds = float(elapsed_ms) / 1000
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


@dataclass
class _Intent:
    """Context of a browser message: which item it was about and its place in the stream."""

    item: Hashable | None = None
    client: str | None = None
    seq: int | None = None
    duration_s: float | None = None
    rationale: str | None = None
    resent: bool = False
    not_saved: bool = False  # its write failed: leave it unacknowledged, pending in the browser


class LabelWidget(anywidget.AnyWidget):
    """Base of all nblabel widgets; build one with :func:`nblabel.classify` and friends."""

    _view: ClassVar[str] = "text"
    """The front-end file (``static/<view>.js``) that draws this widget over the shared base."""
    _esm, _css = front_end(_view)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "_view" in cls.__dict__:  # a modality with its own front end
            cls._esm, cls._css = front_end(cls._view)
        super().__init_subclass__(**kwargs)

    kind = t.Unicode("classify").tag(sync=True)
    """Which modality the browser renders (``classify``, ``rate``, ``caption``)."""
    options = t.List().tag(sync=True)
    """The choices: ``[{"label": text shown, "key": key or None, "value": JSON text,
    "note": what it means (rate's ``scale_labels``, optional)}]``, in
    order; the browser sends ``value`` back with a label, so a label pending across a restart
    names the option the user saw, not a key or a position."""
    multi = t.Bool(False).tag(sync=True)
    """Several options may be chosen for one item (confirm with Enter)."""
    allow_empty = t.Bool(False).tag(sync=True)
    """Multi-label: Enter with nothing selected saves an empty list (else it is refused)."""
    keymap = t.Dict().tag(sync=True)
    """Key → option position or action name; the browser mirrors it to act at once."""
    key_help = t.List().tag(sync=True)
    """Every key of this widget and what it does, ``[[key, does], ...]``: the list the ``?``
    key shows."""
    sample = t.Dict().tag(sync=True)
    """The item on screen: ``{"item": JSON id, "content": {...}, "label": saved label}``. A row
    that cannot be shown has ``{"type": "error", "text": why}`` as its content. With an active
    ordering, ``"why"`` says when its model last refit and the item's uncertainty rank."""
    upcoming = t.List().tag(sync=True)
    """The next items a submit would show, prefetched so the browser shows them at once."""
    done = t.Bool(False).tag(sync=True)
    """Every item in the queue is labeled."""
    waiting = t.Bool(False).tag(sync=True)
    """Items are left but all are claimed by other annotators for now (``assign=``): the page
    says so and asks the kernel again every few seconds (a ``refresh`` message)."""
    progress_state = t.Dict().tag(sync=True)
    """``{"done": n, "total": n}``."""
    selection = t.List().tag(sync=True)
    """Option positions toggled on for the item on screen (multi-label)."""
    acks = t.Dict().tag(sync=True)
    """Per browser client, the sequence number of its last intent the kernel has handled."""
    trail = t.List().tag(sync=True)
    """The last labels saved through this widget, newest first: ``[{"item": JSON id, "label":
    JSON text}]``; a click on one shows its item again (:meth:`goto`)."""
    saved = t.Int(0).tag(sync=True)
    """Labels committed to the store through this widget."""
    error = t.Unicode("").tag(sync=True)
    """The last error, shown under the widget; empty when all is well."""
    save_problem = t.Unicode("").tag(sync=True)
    """Why labels stay pending, in a few words for the status line (``"database locked by
    another program (labels.db)"``); empty once a save succeeds."""
    notice = t.Unicode("").tag(sync=True)
    """What the widget found about labels stored before (given for other content, ids of
    another type), shown above the sample until the page is reloaded; empty if nothing."""
    info = t.Dict().tag(sync=True)
    """Where labels go: ``{"store", "store_url", "task", "annotator", "source"}``, for the status
    line, and ``"export"``: the call that writes them to a file, for the done state."""
    ask_rationale = t.Bool(False).tag(sync=True)
    """Show a text box for the reason behind each label."""
    rationale_required = t.Bool(False).tag(sync=True)
    """No label is saved without a reason (``rationale="required"``): the browser asks for one
    before sending, the kernel refuses a label without one."""

    _value_kind: ClassVar[str] = "option"
    waiting_notice: str = ""  # the part of notice that says the widget waits for claims
    # the version of the shifted traits every front end holds (``state_version`` in the
    # browser's model: how many whole or shifted states of them the kernel has sent)
    _shipped_version = 0
    _shipped: dict[str, Any] | None = None  # their values at that version
    _front_follows = False  # a front end applies state messages (it said so: a "follow" message)

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        session: LabelingSession,
        content: Callable[[int], dict],
        choices: Sequence[Any] = (),
        keymap: KeyMap,
        multi: bool = False,
        rationale: bool = False,
        store_label: str = "",
        kind: str = "classify",
        allow_empty: bool = False,
        option_notes: Sequence[str | None] | None = None,
    ) -> None:
        super().__init__()
        self.data = data
        self.session = session
        self._content = content
        self._choices = list(choices)
        self._keys = keymap
        self._payloads: dict[int, dict] = {}
        self._submit_callbacks: list[Callable[[SubmitEvent], Any]] = []
        self._failed_seq: dict[str, int] = {}
        self._handlers = {
            "label": self._on_label_message,
            "key": self._on_key_message,
            "action": self._on_action_message,
            "goto": self._on_goto_message,
            "refresh": self._on_refresh_message,
            "follow": self._on_follow_message,
            # sent by earlier front ends, which named options by position: may still be pending
            "pick": self._on_positional_message,
            "confirm": self._on_positional_message,
        }
        self.on_msg(self._handle_message)
        self.add_class("nblabel")
        self.add_class(f"nblabel-{kind}")
        with self.hold_sync():
            self.kind = kind
            self.multi = multi
            self.allow_empty = allow_empty
            self.ask_rationale = rationale
            self.keymap = keymap.to_json()
            self.key_help = [
                list(row)
                for row in keymap.help(
                    self._choices, multi=multi, typed=kind in ("caption", "review")
                )
            ]
            self.options = [
                {"label": str(choice), "key": keymap.key_for(i), "value": encode(choice)}
                for i, choice in enumerate(self._choices)
            ]
            for option, note in zip(self.options, option_notes or (), strict=False):
                if note is not None:
                    option["note"] = note  # what a value of a scale means, shown under it
            self.info = {
                "store": store_label or str(session.store.path),
                "store_url": session.store.url,  # names the store unambiguously for the browser
                "task": session.task,
                "annotator": session.annotator,
                "source": session.source,
                "export": self._export_call(),  # the done state says how to write a file
            }
            self.notice = session.notice or ""
            self._push_state()

    def _export_call(self) -> str:
        """The call that writes this widget's labels to a file, as the done state shows it
        (``w`` is the widget, ``df`` the data); a modality with its own format overrides it."""
        return f"nblabel.export.table(w.store, {self.session.task!r}, 'labels.csv')"

    def __repr__(self) -> str:
        # cheap: printing a widget must not serialise its state
        return (
            f"<{type(self).__name__} task={self.session.task!r} "
            f"annotator={self.session.annotator!r} {self.session.progress}>"
        )

    # -- public state ----------------------------------------------------------------------------
    @property
    def current(self) -> Hashable | None:
        """The id (index label) of the item on screen; ``None`` when all are labeled."""
        return self.session.current

    @property
    def progress(self) -> Progress:
        """Labeled and total items in this widget's queue."""
        return self.session.progress

    @property
    def labels(self) -> pd.DataFrame:
        """This annotator's labels, indexed like the data: ``df.join(w.labels)``.

        Columns: ``label, annotator, labeled_at, rationale, duration_s``. Built fresh from the
        store on each access; the user's DataFrame is never modified.
        """
        return self.session.labels()

    @property
    def store(self):
        """The :class:`~nblabel.LabelStore` the labels go to."""
        return self.session.store

    # -- callbacks -----------------------------------------------------------------------------
    def on_submit(self, callback: Callable[[SubmitEvent], Any], remove: bool = False) -> None:
        """Call ``callback(event)`` after each label is saved (``remove=True`` to stop)."""
        check_callable(callback, "callback", "lambda event: print(event.label)")
        if check_flag(remove, "remove") and callback not in self._submit_callbacks:
            raise NblabelError(
                f"callback={getattr(callback, '__name__', callback)!s} was never added with "
                "on_submit, so remove=True has nothing to remove: pass the same function "
                "object that was added"
            )
        if remove:
            self._submit_callbacks.remove(callback)
        else:
            self._submit_callbacks.append(callback)

    def _run_callbacks(self, event: SubmitEvent) -> None:
        # the label is already committed; a failing callback is shown, never hides the save
        for callback in list(self._submit_callbacks):
            try:
                callback(event)
            except Exception as exc:
                log.exception("on_submit callback failed")
                self.error = (
                    f"on_submit callback {getattr(callback, '__name__', callback)!s} "
                    f"failed: {type(exc).__name__}: {exc}"
                )

    # -- the public twins of UI actions ---------------------------------------------------------
    def press(self, key: str) -> None:
        """Act as if ``key`` was pressed in the widget: ``"1"``, ``"Enter"``, ``"ArrowLeft"``."""
        check_key(key, "key")
        self._press(key, _Intent())

    def submit(self, value: Any, rationale: str | None = None) -> None:
        """Save ``value`` as the label of the item on screen and show the next one.

        With ``multi=True``, ``value`` is a list of options.
        """
        self._save(self._validate(value), _Intent(rationale=rationale))

    def skip(self) -> None:
        """Leave the item on screen unlabeled for now and show the next one."""
        self._act(Action.SKIP, _Intent())

    def undo(self) -> None:
        """Undo the newest label this widget saved and show its item again.

        Labels saved by another widget or process (even of the same annotator and task) are
        never undone; with nothing of this widget's left to undo, the widget says so.
        """
        self._act(Action.UNDO, _Intent())

    def back(self) -> None:
        """Show the previously shown item again."""
        self._act(Action.BACK, _Intent())

    def goto(self, item: Hashable) -> None:
        """Show ``item`` next (to relabel it, or label it out of order)."""
        check_item(item, "item")
        self.session.goto(item)
        self._after_move()

    # -- resolving intents -------------------------------------------------------------------------
    def _press(self, key: str, intent: _Intent) -> None:
        target = self._keys.resolve(key)
        if target is None:
            bound = ", ".join(sorted(self._keys.bindings))
            raise NblabelError(f"the key {key!r} does nothing here; keys in use: {bound}")
        if isinstance(target, Action):
            self._act(target, intent)
        else:
            self._pick(target, intent)

    def _pick(self, index: int, intent: _Intent) -> None:
        if self.multi:
            chosen = set(self.selection) ^ {index}
            self.selection = sorted(chosen)
            return
        self._save(self._choices[index], intent)

    def _act(self, action: Action, intent: _Intent) -> None:
        if action is Action.CONFIRM:
            self._save(self._confirm_value(None), intent)
            return
        if action is Action.SKIP:
            self.session.skip()
        elif action is Action.BACK:
            self.session.back()
        elif action is Action.UNDO:
            try:
                undone = self.session.undo()
            except StoreError as exc:
                self._keep_pending(
                    intent, f"Not undone: {exc}. Undo again when it is fixed.", exc
                )
                raise
            if undone is not None:  # its label is gone: so is its place in the trail
                self.trail = [e for e in self.trail if e["item"] != encode(undone)]
            if undone is None:
                back = self._keys.key_for(Action.BACK)
                back = {"ArrowLeft": "←"}.get(back, back) if back else "w.back()"
                self.error = f"Nothing saved here to undo; {back} goes back to earlier items"
        self._after_move(intent)

    def _confirm_value(self, sent: Any) -> Any:
        """The value Enter confirms: the browser's selection if sent, else the kernel's."""
        if not self.multi:
            raise NblabelError("Enter confirms a multi-label selection; here a key picks a label")
        positions = self.selection if sent is None else sent
        return self._validate([self._choices[int(i)] for i in sorted(positions)])

    def _validate(self, value: Any) -> Any:
        """Check a value given from Python; subclasses define what a valid value is."""
        if self.multi:
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
                raise NblabelError(f"multi-label values are lists of options, not {value!r}")
            values = list(value)
            if not values and not self.allow_empty:
                skip = self._keys.key_for(Action.SKIP)
                skip = {"ArrowRight": "→"}.get(skip, skip) if skip else "w.skip()"
                raise NblabelError(
                    f"Select at least one, or press {skip} to skip (an empty selection is "
                    "saved only with allow_empty=True)"
                )
            unknown = [v for v in values if not self._is_choice(v)]
            if unknown:
                raise NblabelError(f"{unknown!r} not in the options {self._choices!r}")
            return [c for c in self._choices if c in values]
        if not self._is_choice(value):
            raise NblabelError(f"{given(value)} is not one of the options {self._choices!r}")
        return next(c for c in self._choices if c == value)

    def _is_choice(self, value: Any) -> bool:
        try:
            return value in self._choices
        except (TypeError, ValueError):  # an array or a table: compared, it has no one truth
            return False

    # -- saving ------------------------------------------------------------------------------------
    def _record(self, value: Any, item: Hashable) -> tuple[Any, dict | None]:
        """The label to store for a checked ``value`` of ``item``, and what to record beside it
        (the event's ``meta``, or ``None``); a modality that records more overrides it."""
        return value, None

    def _save(self, value: Any, intent: _Intent) -> None:
        """Commit ``value``. A refusal (:class:`NblabelError`) raises before anything is written;
        any other failure of the save is shown, leaves the intent unacknowledged and raises;
        once the label is committed nothing raises."""
        item = self.session.current if intent.item is None else intent.item
        if item is None:  # before a view's own record of the item is asked for
            raise NblabelError("every item is labeled: there is nothing on screen to label")
        required_rationale(intent.rationale, self.rationale_required)
        value, meta = self._record(value, item)
        try:
            if intent.resent and intent.item is not None:
                held = self.session.store.current_label(
                    self.session.task, intent.item, self.session.annotator, self.session.source
                )
                if held is not None and held.label == value and self.session.counts(held):
                    self._after_move(intent)  # saved before the connection dropped: confirm
                    return
            event_id = self.session.submit(
                value,
                intent.rationale,
                item=intent.item,
                duration_s=intent.duration_s,
                meta=meta,
            )
        except NblabelError:
            raise  # refused, nothing written
        except Exception as exc:
            reason = str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
            self._keep_pending(
                intent, f"Not saved: {reason}. The label is kept and will be sent again.", exc
            )
            raise
        with self.hold_sync():  # one message: the trail goes with the new state
            self._update(trail=_pushed(self.trail, self._trail_entry(item, value), TRAIL))
            self._after_move(intent, clear_error=True, saved=1)
        if self._submit_callbacks:
            self._run_callbacks(
                SubmitEvent(
                    item=item,
                    label=value,
                    annotator=self.session.annotator,
                    task=self.session.task,
                    event_id=event_id,
                    rationale=intent.rationale,
                )
            )

    def _keep_pending(self, intent: _Intent, message: str, exc: Exception) -> None:
        """A write failed: show why; the browser keeps the intent and its later ones pending."""
        intent.not_saved = True
        if intent.client is not None:
            self._failed_seq.setdefault(intent.client, intent.seq)
        self.error = message
        self.save_problem = self._problem(exc)

    def _problem(self, exc: Exception) -> str:
        """A failed write in a few words, for the status line (the error says the rest)."""
        text = str(exc).lower()
        where = self.info.get("store", "")
        if "locked" in text or "busy" in text:
            return f"database locked by another program ({where})"
        if "disk is full" in text or "disk full" in text:
            return f"the disk is full ({where})"
        if "while it was open" in text:  # deleted, replaced or truncated under the kernel
            return f"the store file was changed by another program ({where})"
        if "damaged" in text:
            return f"the store is damaged ({where})"
        if "read-only" in text or "readonly" in text:
            return f"the store is read-only ({where})"
        return "the kernel could not save (see below)"

    # -- pushing state -----------------------------------------------------------------------------
    # After a label the browser holds most of the new state already: the next sample is the
    # first prefetched one, the prefetch moves up by one, the trail gains an entry. Once a front
    # end follows (its "follow" message), a change of those goes as what changed, in one small
    # custom message ``{kind: "state", base, set, sample, upcoming, trail}``, rather than as
    # ipywidgets' update of every value. ``base`` is the version it applies to: a front end
    # that holds another one asks for the whole state instead (``follow`` again).

    def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict:
        with _SHIPPING:
            state = super().get_state(key, drop_defaults)
            if any(name in state for name in SHIFTED):  # a whole value goes: a new version
                self._shipped_version += 1
                state["state_version"] = self._shipped_version
                self._shipped = {name: getattr(self, name) for name in SHIFTED}
            return state

    def send_state(self, key: Any = None) -> None:
        # one thread at a time (a suggestion arrives on its own), so the versions go out in
        # the order they were given
        with _SHIPPING:
            self._send_state(key)

    def _send_state(self, key: Any) -> None:
        if key is None or not self._front_follows or self._property_lock or self._shipped is None:
            super().send_state(key)
            return
        names = [key] if isinstance(key, str) else list(key)
        if not any(name in SHIFTED for name in names):
            super().send_state(names)
            return
        plain = [name for name in names if name not in SHIFTED]
        state = super().get_state(plain) if plain else {}
        message: dict[str, Any] = {"kind": "state", "base": self._shipped_version, "set": state}
        for name in names:
            if name in SHIFTED:
                value = getattr(self, name)
                shift = _SHIFTS[name](value, self._shipped)
                if shift is None:
                    state[name] = value
                else:
                    message[name] = shift
        message, buffer_paths, buffers = _remove_buffers(message)
        message["buffer_paths"] = buffer_paths
        self._shipped_version += 1
        self._shipped = {name: getattr(self, name) for name in SHIFTED}
        self.send(message, buffers)

    def set_state(self, sync_data: dict) -> None:
        # the browser may set only the traits it owns (``browser=True``); it also sends back,
        # unasked, what state messages changed in its copy, which is the kernel's to say
        owned = {
            k: v
            for k, v in sync_data.items()
            if self.has_trait(k) and self.trait_metadata(k, "browser")
        }
        if owned:
            super().set_state(owned)

    def _update(self, **values: Any) -> None:
        """Set the traits whose value changed, in the state the enclosing ``hold_sync`` sends.

        A trait no one observes is written straight into its slot: the traitlets path
        (validation, notifications, ipywidgets' checks) costs about 13 µs a trait, which
        after every label is most of the kernel's time. Values here are built by the widget
        itself, already of the trait's type. With an observer (``w.observe(...)``), outside
        ``hold_sync`` or while the browser sets the trait, it is set the usual way."""
        direct = self._holding_sync and All not in self._trait_notifiers
        for name, value in values.items():
            if getattr(self, name) == value:
                continue
            if direct and name not in self._trait_notifiers and name not in self._property_lock:
                self._trait_values[name] = value
                self._states_to_send.add(name)
            else:
                setattr(self, name, value)

    def _after_move(
        self, intent: _Intent | None = None, clear_error: bool = False, saved: int = 0
    ) -> None:
        """Acknowledge ``intent`` and push the new state, in one message. Never raises: an error
        while building the state is shown instead (the move or save it follows stands)."""
        with self.hold_sync():
            if saved:
                self._update(saved=self.saved + saved)
            if intent is not None and intent.client is not None and intent.seq is not None:
                self._update(acks={**self.acks, intent.client: intent.seq})
                self._failed_seq.pop(intent.client, None)
                self._update(save_problem="")  # the intent that failed went through, or was refused
            if clear_error:
                self._update(error="", save_problem="")
            try:
                self._push_state()
            except Exception as exc:
                log.exception("nblabel: could not push the widget's state")
                self.error = f"Could not show the next item: {type(exc).__name__}: {exc}"

    def _trail_entry(self, item: Any, value: Any) -> dict:
        """The trail's entry for a label just saved; a view that shows labels as something
        else than their value adds what it needs (the compare view: the order shown)."""
        return {"item": encode(item), "label": encode(value)}

    def _payload(self, position: int) -> dict:
        payload = self._payloads.get(position)
        if payload is None:
            item = self.session.item_key(position)
            try:
                content = self._content(position)
            except Exception as exc:  # shown in the item's place, like display= errors
                log.exception("nblabel: could not make the content of item %s", item)
                content = error_content(f"{type(exc).__name__}: {exc}")
            payload = {"item": item, "content": content}
            if content.get("type") != "error":  # a row that failed is tried again next time
                if len(self._payloads) > 64:
                    self._payloads.clear()
                self._payloads[position] = payload
        return payload

    def _push_state(self) -> None:
        session = self.session
        position = session.position
        if position is None:
            self._update(waiting=session.waiting, sample={}, done=True)
        else:
            held = session.current_label()
            sample = {
                **self._payload(position),
                "label": None if held is None else encode(held.label),
                "rationale": None if held is None else held.rationale,
            }
            why = session.why(session.current)
            if why is not None:  # an active ordering: when it refit, why this item
                sample["why"] = why
            self._update(
                waiting=session.waiting,
                sample=sample,
                done=False,
                selection=self._positions_of(held.label) if held is not None and self.multi else [],
            )
        progress = session.progress
        self._update(
            upcoming=[self._payload(p) for p in session.upcoming(PREFETCH)],
            progress_state={"done": progress.done, "total": progress.total},
        )
        ordering_error = session.ordering_error
        if ordering_error and not self.error:
            self.error = f"Re-ranking failed, labeling goes on in the last order: {ordering_error}"

    def _positions_of(self, value: Any) -> list[int]:
        values = value if isinstance(value, list) else [value]
        return [i for i, c in enumerate(self._choices) if c in values]

    # -- browser messages --------------------------------------------------------------------------
    def _handle_message(self, _widget: Any, content: dict, buffers: list) -> None:
        handler = message_handler(self._handlers, content)
        if handler is None:
            return
        try:
            intent = self._intent_of(content)
        except Unreadable as exc:
            unreadable(self, exc, content)
            return
        if intent is None:
            self._after_move()  # a duplicate or out-of-turn message: resend the state only
            return
        try:
            handler(content, intent)
        except Exception as exc:
            if intent.not_saved:
                self._after_move()  # error shown; the browser keeps the intent and resends it
                return
            if isinstance(exc, NblabelError):
                self.error = str(exc)
            else:
                log.exception("nblabel: error while handling %r", content)
                self.error = f"{type(exc).__name__}: {exc}"
            self._after_move(intent)  # refused: acknowledged, so the browser stops resending

    def _intent_of(self, content: dict) -> _Intent | None:
        """The context of a browser message; ``None`` for one handled before or out of turn.
        Raises :class:`Unreadable` for a message whose fields are not what ``base.js``
        sends (a stale or foreign front end)."""
        client, seq = message_sender(content)
        rationale = content.get("rationale")
        if rationale is not None and not isinstance(rationale, str):
            raise Unreadable("its reason is no text")
        item = content.get("item")
        if item is not None:
            try:
                item = decode(item, strict=True)
            except (TypeError, ValueError, AttributeError):
                raise Unreadable("its item is no item id") from None
        if client is not None and seq is not None:
            acked = self.acks.get(client)
            if acked is not None and seq <= acked:
                return None  # handled before
            failed = self._failed_seq.get(client)
            if failed is not None and seq != failed:
                return None  # wait for the failed intent to come again first
        return _Intent(
            item=item,
            client=client,
            seq=seq,
            duration_s=_elapsed_s(content.get("elapsed_ms")),
            rationale=rationale or None,
            resent=content.get("resent") is True,
        )

    def _on_label_message(self, content: dict, intent: _Intent) -> None:
        """The label the browser showed, as JSON text: checked against today's options."""
        try:
            sent = decode(content["value"], strict=True)
        except (KeyError, TypeError, ValueError):
            raise NblabelError("Not saved: a label message without a readable value") from None
        try:
            value = self._validate(sent)
        except NblabelError as exc:
            item = self.session.current if intent.item is None else intent.item
            raise NblabelError(
                f"Not saved: {sent!r} for item {item!r} is no longer a label here ({exc}). "
                "Label the item again."
            ) from None
        self._save(value, intent)

    def _on_key_message(self, content: dict, intent: _Intent) -> None:
        # a key pressed now means what today's key map says; a key resent from a browser's
        # storage may have been pressed under other options: it is refused, never guessed
        key = str(content.get("key", ""))
        if intent.resent and isinstance(self._keys.resolve(key), int) and not self.multi:
            self._on_positional_message(content, intent)
        else:
            self._press(key, intent)

    def _on_positional_message(self, content: dict, intent: _Intent) -> None:
        """Refuse a label that names its option by key or position (earlier front ends)."""
        item = self.session.current if intent.item is None else intent.item
        raise NblabelError(
            f"Not saved: the label for item {item!r} was sent by an earlier nblabel, which "
            "named the option by its key or position, not its value. Label the item again."
        )

    def _on_goto_message(self, content: dict, intent: _Intent) -> None:
        """A click on an item of the trail: show it again (like :meth:`goto`)."""
        if intent.item is None:
            raise NblabelError("a goto message names no item")
        self.session.goto(intent.item)
        self._after_move(intent)

    def _on_refresh_message(self, content: dict, intent: _Intent) -> None:
        """The page waits for items claimed by others: claim again (any that lapsed)."""
        if not self.session.waiting:
            return
        self.session.refresh_order()
        if not self.session.waiting and self.waiting_notice:  # items came: the notice is done
            lines = [n for n in self.notice.split("\n") if n != self.waiting_notice]
            self.notice, self.waiting_notice = "\n".join(lines), ""
        self._after_move(intent)

    def _on_action_message(self, content: dict, intent: _Intent) -> None:
        self._act(Action(content["name"]), intent)

    def _on_follow_message(self, content: dict, intent: _Intent) -> None:
        """A front end applies state messages from its ``state_version`` on: one that holds
        another version than the kernel's gets the whole state."""
        self._front_follows = True
        if content.get("version") != self._shipped_version:
            self.send_state()
