"""Helpers shared by the twin customer-lookup client test files."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Self

import httpx

from ai_voice_shared._clock import get_clock

BASE_URL = "http://customer-lookup.test"
PHONE = "+15555550100"
MASKED = "+1555****100"
CUSTOMER = {"customer_id": "cus_1", "company_id": "co_9", "company_name": "Acme Ltd"}
API_KEY = "lookup-secret-key"
RETRIED = [408, 429, 500, 502, 503, 504]
NOT_RETRIED = [400, 401, 403, 409, 422]


class FakeClock:
    """A monotonic clock the test moves by hand (and that injected sleeps move)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def ok(body: dict[str, str] | None = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body or CUSTOMER, headers=headers)


def status(code: int, text: str = "", **headers: str) -> httpx.Response:
    return httpx.Response(code, text=text or json.dumps({"detail": "x"}), headers=headers)


def http_date_in(seconds: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


#: PHONE as a server may echo it, in spellings a list of exact replacements misses (ASCII, as
#: header values are), each with what it becomes once masked in place.
SPELLINGS = {
    "+1 555-555-0100": "+1 555-***-*100",
    "1.555.555.0100": "1.555.***.*100",
    "(555) 555-0100": "(555) ***-*100",
    "%2B1%20555%20555%200100": "%2B1%20555%20***%20*100",
    "tel:+1-555-555-0100": "tel:+1-555-***-*100",
}


def trickled(body: bytes, every: float, read: list[int]) -> Iterator[bytes]:
    """``body`` one byte at a time, each ``every`` seconds after the last on the library's
    (virtual) clock, counting in ``read`` the bytes the client pulled."""
    for byte in body:
        get_clock().sleep(every)
        read.append(1)
        yield bytes([byte])


async def atrickled(body: bytes, every: float, read: list[int]) -> AsyncIterator[bytes]:
    """The async twin of :func:`trickled`."""
    for chunk in trickled(body, every, read):
        yield chunk


class RawHttpServer:
    """One fixed answer to every connection, from a real socket on 127.0.0.1.

    For what FakeLookupServer cannot send: a header line no HTTP parser accepts, or headers at
    once and then a body of one byte every ``every`` seconds (real seconds). Stopped on exit,
    with every connection it accepted.
    """

    def __init__(self, head: bytes, body: bytes = b"", *, every: float = 0.0) -> None:
        self._head, self._body, self._every = head, body, every
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # accept() wakes up to notice the server stopping
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._threads[0].join(5)  # the accepting thread: no connection is added after it
        self._listener.close()
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)  # wakes a recv() blocked on it
            connection.close()
        for thread in self._threads[1:]:
            thread.join(5)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            self._connections.append(connection)
            self._spawn(self._answer, connection)

    def _answer(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:  # each request on the connection, until the client hangs up
                request = b""
                while b"\r\n\r\n" not in request:
                    data = connection.recv(65536)
                    if not data:
                        return
                    request += data
                connection.sendall(self._head)
                if not self._every:
                    connection.sendall(self._body)
                    continue
                for byte in self._body:
                    if self._stopping.wait(self._every):
                        return
                    connection.sendall(bytes([byte]))


#: 404 bodies that are not the contract's not-found answer (gateways' and frameworks' own).
NOT_THE_CONTRACTS_404 = {
    "an HTML page": ("<html><body><h1>404 Not Found</h1></body></html>", "text/html"),
    "an empty body": ("", "text/plain"),
    "FastAPI's unknown route": ('{"detail":"Not Found"}', "application/json"),
    "Spring's unknown route": (
        '{"status":404,"error":"Not Found","path":"/api/customers/lookup"}',
        "application/json",
    ),
    "another code": ('{"detail":"gone","code":"tenant_not_found"}', "application/json"),
    "FastAPI's unknown route, spaced": ('{"detail":"Not Found "}', "application/json"),
    "AWS API Gateway's unknown route": ('{"message":"Not Found"}', "application/json"),
    "Kong's unknown route": (
        '{"message":"no Route matched with those values"}',
        "application/json",
    ),
    "Django REST framework's unknown route": ('{"detail":"Not found."}', "application/json"),
    "ASP.NET Core's problem details": (
        '{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found",'
        '"status":404,"traceId":"00-1"}',
        "application/problem+json",
    ),
    "Spring Boot 3's problem details": (
        '{"type":"about:blank","title":"Not Found","status":404,'
        '"detail":"No static resource customers/lookup.","instance":"/customers/lookup"}',
        "application/problem+json",
    ),
    "an Express error handler": ('{"error":"Not Found"}', "application/json"),
    "an empty object": ("{}", "application/json"),
    "a detail that is not a message": ('{"detail":["not found"]}', "application/json"),
}
