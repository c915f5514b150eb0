"""A child Python process for the hostile tests: the nblabel under test first on its path, its
stdout read line by line on a thread so that a test never blocks forever on it, and SIGKILL
or a clean stop at the end."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import nblabel

#: the folder that holds the nblabel under test, first on the children's path
SOURCE = Path(nblabel.__file__).resolve().parents[1]


class ChildProcess:
    """``python SCRIPT ARGS...`` in ``cwd``, its stderr kept in ``errors``."""

    def __init__(self, script: Path, args: list[object], errors: Path, cwd: Path) -> None:
        self.errors = errors
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), env.get("PYTHONPATH")]))
        with open(errors, "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, str(script), *map(str, args)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                env=env, cwd=cwd,
            )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()  # None once stdout ends
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        # a line cut by a kill has no newline: it was never said
        for line in self.process.stdout:
            if line.endswith("\n"):
                self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout: float = 60, who: str = "the child") -> str:
        """The next line, or an AssertionError saying why there is none."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{who}: no answer in {timeout} s") from None
        if line is None:
            self.process.wait(timeout=30)
            raise AssertionError(
                f"{who} ended ({self.process.returncode}): {self.errors.read_text()}"
            )
        return line

    def send(self, text: str) -> None:
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        """SIGKILL, wherever the child is."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        assert self.process.returncode == -signal.SIGKILL, self.errors.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if not pipe.closed:
                pipe.close()
