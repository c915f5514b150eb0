"""A throwaway PostgreSQL server for the tests, on loopback, in a temporary folder; and plain
clients that read or write a store past the code under test, on either engine.

PostgreSQL refuses to run as root, so as root the server runs as an unprivileged user
(``postgres`` where Debian's package made it, else ``nobody``) that owns the folder. The server
trades durability for speed (``fsync=off``): it holds test data only. Its superuser has a
password, so the tests see password authentication as a team's server would.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

__all__ = ["Server", "Unavailable", "find_binaries", "raw_execute", "raw_rows", "schema_url"]

USER = "nblabel"


class Unavailable(Exception):
    """No PostgreSQL server can be started here (the message says why)."""


def find_binaries() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    candidates = [shutil.which("initdb"), "/usr/local/bin/initdb"]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for initdb in filter(None, candidates):
        folder = Path(initdb).resolve().parent
        if all(os.access(folder / b, os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def schema_url(url: str, schema: str) -> str:
    """``url`` with ``search_path`` set to ``schema``: one store per schema, in one database."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=" + urllib.parse.quote(f"-csearch_path={schema}", safe="")


class Server:
    """initdb + pg_ctl start in a new temporary folder; ``stop()`` removes it all."""

    def __init__(self) -> None:
        binaries = find_binaries()
        if binaries is None:
            raise Unavailable(
                "no PostgreSQL server binaries (initdb, pg_ctl, postgres): apt-get install "
                "postgresql, or set NBLABEL_TEST_POSTGRES_URL to a server's URL"
            )
        self.bin = binaries
        self.as_user: list[str] = []
        owner = None
        if os.geteuid() == 0:
            name = "postgres"
            try:
                owner = pwd.getpwnam(name)
            except KeyError:
                name, owner = "nobody", pwd.getpwnam("nobody")
            runuser = shutil.which("runuser")
            self.as_user = [runuser, "-u", name, "--"] if runuser else ["su", name, "-s",
                                                                        "/bin/sh", "-c"]
        # the server's user must reach its folder: under /tmp, not a private TMPDIR of root's
        parent = "/tmp" if owner is not None and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="nblabel-pg-", dir=parent))
        self.data = self.root / "data"
        self.password = secrets.token_urlsafe(12)
        (self.root / "pw").write_text(self.password + "\n")
        if owner is not None:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            os.chown(self.root / "pw", owner.pw_uid, owner.pw_gid)
        self.port = _free_port()
        try:
            self._run(
                "initdb", "-D", self.data, "-U", USER, f"--pwfile={self.root / 'pw'}",
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
            )  # fmt: skip
            self.start()
        except BaseException:
            self.stop()
            raise
        self.url = f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: object, timeout: float = 120) -> None:
        command = [str(self.bin / program), *map(str, args)]
        if self.as_user and self.as_user[0] == "su":
            command = [*self.as_user, " ".join(map(_quote, command))]
        else:
            command = [*self.as_user, *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise Unavailable(
                f"{program} failed ({done.returncode}): {done.stderr[-2000:]}{tail}"
            )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", self.data, "-l", self.root / "log", "-o", options, "-w",
                  "-t", "60", "start")  # fmt: skip

    def restart(self) -> None:
        """Stop the server (ending every connection) and start it again on the same port."""
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        self.start()

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(Unavailable, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def wait_for(url: str, timeout: float = 10) -> None:
    """Wait until a server at ``url`` accepts connections."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise Unavailable(f"no server answers at the test URL: {exc}") from None
            time.sleep(0.2)


def raw_rows(where: str, sql: str) -> list[tuple]:
    """Rows read past the store under test, with a plain client of its engine."""
    if not where.startswith("postgresql://"):
        db = sqlite3.connect(where)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()
    import psycopg

    with psycopg.connect(where) as db:
        return db.execute(sql).fetchall()


def raw_execute(where: str, *statements: str) -> None:
    """Run ``statements`` in one transaction past the store, with a plain client."""
    if not where.startswith("postgresql://"):
        db = sqlite3.connect(where)
        try:
            with db:
                for statement in statements:
                    db.execute(statement)
        finally:
            db.close()
        return
    import psycopg

    with psycopg.connect(where) as db:
        for statement in statements:
            db.execute(statement)
