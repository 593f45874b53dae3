"""A stateful fake customer-lookup-server that follows ``docs/customer-lookup-api.md``.

The contract logic lives in :meth:`FakeLookupServer.respond`, free of any transport. Live mode
serves it over real HTTP/1.1 (keep-alive) on 127.0.0.1 from a thread::

    with FakeLookupServer().start() as server:
        server.add("+15555550100", customer_id="cus_1", company_id="co_9", company_name="Acme")
        CustomerLookupClient(server.base_url).lookup("whatsapp:+15555550100")

Only the standard library and the models are imported here.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared.models import CustomerMetadata
from ai_voice_shared.services._lookup_base import LOOKUP_PATH

__all__ = ["FakeLookupServer", "RecordedLookup"]

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class RecordedLookup:
    """One request the fake server answered: what was asked and what it answered."""

    method: str
    path: str
    phone_number: str | None
    headers: Mapping[str, str]
    status: int


@dataclass
class _Failure:
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


class FakeLookupServer:
    """customer-lookup-server in memory: customers by E.164 number, faults on demand.

    With ``api_key`` set, requests without ``Authorization: Bearer <api_key>`` get 401, as a
    configured server would answer. Thread-safe.
    """

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key
        self._customers: dict[str, CustomerMetadata] = {}
        self._failures: list[_Failure] = []
        self._requests: list[RecordedLookup] = []
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.connections = 0

    # -- state ----------------------------------------------------------------------------------

    def add(
        self,
        phone_number: str,
        customer: CustomerMetadata | Mapping[str, str] | None = None,
        /,
        **fields: str,
    ) -> CustomerMetadata:
        """Register the customer behind an E.164 number; return it as ``CustomerMetadata``."""
        if not _E164.match(phone_number):
            raise ValueError(
                f"FakeLookupServer.add: {phone_number!r} is not E.164 ('+' and 7 to 15 digits); "
                "the server is keyed by the number the client sends, e.g. '+15555550100'."
            )
        if isinstance(customer, CustomerMetadata):
            metadata = customer
        else:
            metadata = CustomerMetadata.model_validate({**(customer or {}), **fields})
        with self._lock:
            self._customers[phone_number] = metadata
        return metadata

    def remove(self, phone_number: str) -> None:
        """Forget a number: lookups of it get 404 from now on."""
        with self._lock:
            self._customers.pop(phone_number, None)

    def fail(
        self,
        status: int = 503,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        body: str = "",
    ) -> None:
        """Answer the next ``times`` lookups with ``status`` (and ``headers``, ``body``)."""
        with self._lock:
            self._failures.append(_Failure(status, times, dict(headers or {}), body))

    @property
    def requests(self) -> list[RecordedLookup]:
        """Every request answered so far, in order."""
        with self._lock:
            return list(self._requests)

    # -- the contract ---------------------------------------------------------------------------

    def respond(
        self, method: str, target: str, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request (``target`` is the path with its query) per the contract."""
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        values = query.get("phone_number")
        number = values[0] if values else None
        lowered = {name.lower(): value for name, value in headers.items()}
        status, extra, body = self._answer(method, parts.path, number, lowered)
        reply_headers = {"Content-Type": "application/json", **extra}
        if "x-request-id" in lowered:
            reply_headers["X-Request-ID"] = lowered["x-request-id"]
        with self._lock:
            self._requests.append(RecordedLookup(method, parts.path, number, lowered, status))
        return status, reply_headers, body

    def _answer(
        self, method: str, path: str, number: str | None, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if not path.rstrip("/").endswith(LOOKUP_PATH):
            return _error(404, f"no route for {path}; the contract has GET {LOOKUP_PATH}")
        if method != "GET":
            return _error(405, f"{method} is not allowed; use GET")
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "missing or wrong bearer token")
        if number is None or not _E164.match(number):
            return _error(422, "phone_number must be E.164, e.g. +15555550100")
        with self._lock:
            if self._failures:
                failure = self._failures[0]
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.pop(0)
                return failure.status, failure.headers, failure.body.encode()
            customer = self._customers.get(number)
        if customer is None:
            return _error(404, "no customer has this phone number")
        return 200, {}, customer.model_dump_json().encode()

    # -- live mode ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` while live."""
        if self._http is None:
            raise AiVoiceSharedError("FakeLookupServer is not live: call start() first.")
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Serve over HTTP/1.1 with keep-alive on a free 127.0.0.1 port, from a thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle's algorithm the second waits
            # for the client's delayed ACK (~40 ms) on every keep-alive request.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                self._reply()

            def do_POST(self) -> None:
                self._reply()

            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, headers, body = fake.respond(self.command, self.path, dict(self.headers))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the requests are recorded in ``FakeLookupServer.requests``."""

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def process_request(self, request: Any, client_address: Any) -> None:
                with fake._lock:
                    fake.connections += 1
                super().process_request(request, client_address)

        self._http = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="fake-lookup-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self if self._http is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _error(status: int, detail: str) -> tuple[int, dict[str, str], bytes]:
    return status, {}, json.dumps({"detail": detail}).encode()
