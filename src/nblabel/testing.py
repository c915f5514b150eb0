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

    def publish_msg(
        self,
        msg_type: str,
        data: dict | None = None,
        metadata: dict | None = None,
        buffers: list | None = None,
        **keys: Any,
    ) -> None:
        encoded = json.dumps({"data": data, "metadata": metadata}, default=str)
        self.log.bytes_sent += len(encoded) + sum(len(memoryview(b)) for b in buffers or ())
        self.log.messages.append((msg_type, data or {}))


@contextlib.contextmanager
def recording_comms() -> Iterator[CommLog]:
    """Widgets created inside the block send their messages to a :class:`CommLog`."""
    log = CommLog()
    original = comm.create_comm

    class BoundComm(RecordingComm):
        pass

    BoundComm.log = log  # set before __init__, which already sends comm_open

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
