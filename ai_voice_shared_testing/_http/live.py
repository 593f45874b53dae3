"""A fake served over real HTTP/1.1 (keep-alive) on 127.0.0.1: one :class:`LiveHost` per host.

For code that does not use httpx, or runs in another process. Standard library only
(``http.server``), so serving costs no import of httpx. A fault's exception is the closest a
socket gets to one: the connection drops without an answer; a cut body drops it mid-body.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from ai_voice_shared.hooks import get_clock
from ai_voice_shared_testing._http.types import Answerer, FakeRequest

__all__ = ["LiveHost"]


class _Server(ThreadingHTTPServer):
    """Serves one host of one fake; counts the connections it accepts."""

    daemon_threads = True

    def __init__(
        self, port: int, fake: Answerer, role: str, on_connection: Callable[[], None]
    ) -> None:
        self.fake = fake
        self.role = role
        self._on_connection = on_connection
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._on_connection()
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request into a :class:`FakeRequest` and writes the fake's answer."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the
    # client's delayed ACK (~40 ms) on every keep-alive request.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._reply()

    def do_POST(self) -> None:
        self._reply()

    def do_PUT(self) -> None:
        self._reply()

    def do_DELETE(self) -> None:
        self._reply()

    def do_HEAD(self) -> None:
        self._reply()

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method without a do_<METHOD> with its own 501 HTML page; every
        # method goes to the fake, which answers it as the real service would (405 + Allow).
        if name.startswith("do_") and name[3:].isupper():
            return self._reply
        raise AttributeError(name)

    def _reply(self) -> None:
        server = cast(_Server, self.server)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host", "")
        parts = urlsplit(self.path)
        request = FakeRequest(
            self.command,
            f"http://{host}{self.path}",
            host,
            parts.path,
            parts.query,
            {name.lower(): value for name, value in self.headers.items()},
            body,
        )
        answer = server.fake.handle(request, server.role)
        if answer.delay:
            get_clock().sleep(answer.delay)
        if answer.exception is not None:
            self.close_connection = True  # the closest a socket gets to an exception
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        length_header = answer.content_length
        if length_header is not None:
            self.send_header("Content-Length", str(length_header))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            for chunk in answer.chunks():
                if length_header is None:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                else:
                    self.wfile.write(chunk)
            if answer.cut_after is not None:
                self.close_connection = True  # cut: the rest never comes
            elif length_header is None:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the requests are recorded in the fake."""


class LiveHost:
    """One host (``role``) of a fake, served from a daemon thread until :meth:`stop`."""

    def __init__(
        self,
        fake: Answerer,
        role: str,
        *,
        port: int = 0,
        name: str = "fake",
        on_connection: Callable[[], None] = lambda: None,
    ) -> None:
        self._server = _Server(port, fake, role, on_connection)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=f"{name}-{role}", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The host's base URL, ``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
