"""A test double for the widget channel: run nblabel widgets without a browser.

:func:`recording_comms` makes every widget created inside it talk to a :class:`RecordingComm`,
which serialises each message to JSON as a kernel would and keeps it, so tests and benchmarks
can count the messages a label costs and look at what the browser would receive.
:func:`browser_message` delivers a message as if the widget's front end had sent it, and
:func:`follow` stands in for a loaded view: it asks for the small state messages every view
asks for, and returns a :class:`FrontEnd`, the widget's state as that view would hold it.

Examples
--------
>>> with recording_comms() as comms:                       # doctest: +SKIP
...     w = nblabel.classify(df, options=["a", "b"], text="text")
...     browser_message(w, {"kind": "key", "key": "1", "item": w.sample["item"],
...                         "client": "c1", "seq": 1})
...     comms.messages_since(0)
>>> with recording_comms() as comms:                       # doctest: +SKIP
...     w = nblabel.classify(df, options=["a", "b"], text="text")
...     view = follow(w, comms)     # a loaded page: labels answered with state messages
...     w.press("1")
...     view.state()["sample"] == w.sample
True
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import comm
from comm.base_comm import BaseComm
from ipywidgets.widgets.widget import _put_buffers  # what the front end does, in Python

__all__ = ["CommLog", "FrontEnd", "RecordingComm", "browser_message", "follow", "recording_comms"]


@dataclass
class CommLog:
    """Every message sent by the widgets created inside :func:`recording_comms`."""

    messages: list[tuple[str, dict]] = field(default_factory=list)
    bytes_sent: int = 0
    comm_ids: list[str] = field(default_factory=list)  # of each message, in order
    buffers: list[list] = field(default_factory=list)  # sent with each message

    def count(self) -> int:
        return len(self.messages)

    def messages_since(self, start: int) -> list[tuple[str, dict]]:
        return self.messages[start:]


class RecordingComm(BaseComm):
    """A comm that encodes each message to JSON, as ipykernel does, and records it."""

    log: CommLog
    session: Any = None  # a jupyter_client Session: sign each message as a kernel does
    clean: Any = None  # ipykernel's json_clean, with it

    def publish_msg(
        self,
        msg_type: str,
        data: dict | None = None,
        metadata: dict | None = None,
        buffers: list | None = None,
        **keys: Any,
    ) -> None:
        if self.session is None:
            encoded = json.dumps({"data": data, "metadata": metadata}, default=str)
            sent = len(encoded)
        else:  # ipykernel's Comm.publish_msg and Session.send, up to the socket
            content = self.clean(dict(data=data or {}, comm_id=self.comm_id, **keys))
            message = self.session.msg(msg_type, content, metadata=self.clean(metadata or {}))
            sent = sum(len(part) for part in self.session.serialize(message, ident=b"comm"))
        self.log.bytes_sent += sent + sum(len(memoryview(b)) for b in buffers or ())
        self.log.messages.append((msg_type, data or {}))
        self.log.comm_ids.append(self.comm_id)
        self.log.buffers.append([bytes(memoryview(b)) for b in buffers or ()])


@contextlib.contextmanager
def recording_comms(signed: bool = False) -> Iterator[CommLog]:
    """Widgets created inside the block send their messages to a :class:`CommLog`.

    ``signed=True`` takes each message the whole way a kernel does before its socket (the
    content cleaned, the message built and signed with HMAC-SHA256, serialised): what a
    benchmark of one label should count.
    """
    log = CommLog()
    original = comm.create_comm

    class BoundComm(RecordingComm):
        pass

    BoundComm.log = log  # set before __init__, which already sends comm_open
    if signed:
        from ipykernel.jsonutil import json_clean
        from jupyter_client.session import Session

        BoundComm.clean = staticmethod(json_clean)
        BoundComm.session = Session(key=b"nblabel-benchmark-key", signature_scheme="hmac-sha256")

    def create(*args: Any, **kwargs: Any) -> RecordingComm:
        return BoundComm(*args, **kwargs)

    comm.create_comm = create
    try:
        yield log
    finally:
        comm.create_comm = original


def browser_message(widget: Any, content: dict, buffers: list | None = None) -> None:
    """Deliver ``content`` to ``widget`` as if its front end had sent it (``model.send``)."""
    widget._handle_custom_msg(content, buffers or [])


class FrontEnd:
    """A widget's state as a view in the browser holds it: the state the widget opened with,
    then each update and each state message, applied in order as ``base.js`` applies them
    (JSON in, JSON out); ``since`` (a message count of ``log``) starts it later, as a view of a
    reloaded page. Made by :func:`follow`; :meth:`state` brings it up to date."""

    def __init__(self, widget: Any, log: CommLog, since: int = 0) -> None:
        self.widget = widget
        self.log = log
        self.model: dict[str, Any] = {}
        self.asked_again = 0  # whole states asked for: state messages that did not fit
        self._read = since  # a view made later starts from a whole state sent then
        self._asked: int | None = None

    def state(self) -> dict[str, Any]:
        """Apply the messages sent since the last call; return the state."""
        comm_id = self.widget.comm.comm_id
        while self._read < len(self.log.messages):
            at = self._read
            self._read += 1
            if self.log.comm_ids[at] != comm_id:
                continue
            kind, data = self.log.messages[at]
            data = json.loads(json.dumps(data))
            buffers = self.log.buffers[at]
            if kind == "comm_open" or data.get("method") == "update":
                _put_buffers(data["state"], data.get("buffer_paths", []), buffers)
                self.model.update(data["state"])
            elif data.get("method") == "custom" and data["content"].get("kind") == "state":
                self._apply(data["content"], buffers)
        return self.model

    def _apply(self, message: dict, buffers: list) -> None:
        version = self.model.get("state_version")
        if version > message["base"]:
            return
        if version < message["base"]:
            if self._asked != version:
                self.asked_again += 1
                self.follow()
            return
        _put_buffers(message, message.get("buffer_paths", []), buffers)
        held = self.model["upcoming"]
        new = {**message["set"], "state_version": message["base"] + 1}
        if "sample" in message:
            new["sample"] = {**held[message["sample"]["from"]], **message["sample"]["with"]}
        if "upcoming" in message:
            new["upcoming"] = held[message["upcoming"]["drop"] :] + message["upcoming"]["add"]
        if "trail" in message:
            push, keep = message["trail"]["push"], message["trail"]["keep"]
            rest = [e for e in self.model["trail"] if e["item"] != push["item"]]
            new["trail"] = [push, *rest][:keep]
        self.model.update(new)

    def follow(self) -> None:
        """Tell the kernel this view applies state messages from its version on."""
        self.state()
        self._asked = self.model.get("state_version")
        browser_message(self.widget, {"kind": "follow", "version": self._asked})


def follow(widget: Any, log: CommLog) -> FrontEnd:
    """Stand in for a loaded view of ``widget`` (made inside :func:`recording_comms`, whose
    ``log`` is given): ask for state messages, as every view does. Returns the view's state."""
    front = FrontEnd(widget, log)
    front.follow()
    return front
