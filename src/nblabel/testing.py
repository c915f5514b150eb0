"""A test double for the widget channel: run nblabel widgets without a browser.

:func:`recording_comms` makes every widget created inside it talk to a :class:`RecordingComm`,
which serialises each message to JSON as a kernel would and keeps it, so tests and benchmarks
can count the messages a label costs and look at what the browser would receive.
:func:`browser_message` delivers a message as if the widget's front end had sent it.

Examples
--------
>>> with recording_comms() as comms:                       # doctest: +SKIP
...     w = nblabel.classify(df, options=["a", "b"], text="text")
...     browser_message(w, {"kind": "key", "key": "1", "item": w.sample["item"],
...                         "client": "c1", "seq": 1})
...     comms.messages_since(0)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import comm
from comm.base_comm import BaseComm

__all__ = ["CommLog", "RecordingComm", "browser_message", "recording_comms"]


@dataclass
class CommLog:
    """Every message sent by the widgets created inside :func:`recording_comms`."""

    messages: list[tuple[str, dict]] = field(default_factory=list)
    bytes_sent: int = 0

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
