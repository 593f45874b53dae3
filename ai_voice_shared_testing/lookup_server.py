"""A stateful fake customer-lookup-server that follows ``docs/customer-lookup-api.md``.

The contract lives in :meth:`FakeLookupServer.respond`, free of any transport. Two ways to reach
it, usable with or without pytest:

- :meth:`FakeLookupServer.intercept` routes every httpx request (sync or async) for
  :attr:`~FakeLookupServer.base_url`'s host to the fake through respx; other hosts are untouched;
- :meth:`FakeLookupServer.serve` serves it over real HTTP/1.1 (keep-alive) on 127.0.0.1 from a
  thread, for code that does not use httpx or runs in another process.

    with FakeLookupServer().intercept() as server:
        server.add_customer("whatsapp:+15555550100", company_name="Acme Ltd")
        CustomerLookupClient(server.base_url).lookup("+15555550100")

Importing this module imports neither httpx nor respx; they load when intercepting.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlsplit

from ai_voice_shared.contracts import LOOKUP_PATH
from ai_voice_shared.errors import InvalidPhoneNumberError
from ai_voice_shared.phone import normalize_phone_number

if TYPE_CHECKING:
    import httpx

    from ai_voice_shared.models import CustomerMetadata

__all__ = ["DEFAULT_BASE_URL", "FakeLookupServer", "RecordedLookup"]

#: Where the intercepted fake lives: the reserved ``.test`` domain never resolves, so nothing
#: can leave the machine even if interception were off.
DEFAULT_BASE_URL = "http://customer-lookup.aivs.test"

_COMPANIES = [
    "Acme Ltd",
    "Globex Corporation",
    "Initech",
    "Umbrella plc",
    "Hooli",
    "Vandelay Industries",
    "Soylent Foods",
    "Wonka Industries",
]


@dataclass(frozen=True)
class RecordedLookup:
    """One request the fake answered: what was asked and what it answered."""

    method: str
    path: str
    phone_number: str | None
    headers: Mapping[str, str]
    status: int


@dataclass
class _Fault:
    status: int
    times: int
    headers: dict[str, str]
    body: str
    exception: type[Exception] | None
    optional: bool
    triggered: int = 0

    def describe(self) -> str:
        what = self.exception.__name__ if self.exception else f"HTTP {self.status}"
        return f"fail({what}, times={self.times + self.triggered})"


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    exception: type[Exception] | None = None
    delay: float = 0.0


@dataclass
class _State:
    customers: dict[str, CustomerMetadata] = field(default_factory=dict)
    faults: list[_Fault] = field(default_factory=list)
    requests: list[RecordedLookup] = field(default_factory=list)
    api_key: str | None = None
    delay: float = 0.0


class FakeLookupServer:
    """customer-lookup-server in memory: customers by E.164 number, faults on demand.

    Strict like pytest_httpx: :meth:`problems` lists requests to the fake's host that match no
    route of the contract and faults registered but never triggered; the ``lookup_server``
    fixture fails the test with them at teardown. Thread-safe.
    """

    def __init__(self, *, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None) -> None:
        self._intercept_url = base_url.rstrip("/")
        self._state = _State(api_key=api_key)
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.connections = 0

    def __repr__(self) -> str:
        return (
            f"FakeLookupServer(base_url={self.base_url!r}, customers={len(self._state.customers)})"
        )

    # -- state ----------------------------------------------------------------------------------

    def add_customer(
        self,
        phone_number: str,
        customer: CustomerMetadata | Mapping[str, str] | None = None,
        **fields: str,
    ) -> CustomerMetadata:
        """Register the customer behind a number (any form the client accepts).

        Fields not given get realistic values derived from the number (``cus_...``,
        ``co_...``, a company name), so the same number always gets the same customer.
        """
        from ai_voice_shared.models import CustomerMetadata

        number = self._normalise(phone_number, "add_customer")
        given = (
            customer.model_dump()
            if isinstance(customer, CustomerMetadata)
            else dict(customer or {})
        )
        digest = hashlib.sha256(number.encode()).hexdigest()
        values = {
            "customer_id": f"cus_{digest[:12]}",
            "company_id": f"co_{digest[12:20]}",
            "company_name": _COMPANIES[int(digest[20:24], 16) % len(_COMPANIES)],
            **given,
            **fields,
        }
        metadata = CustomerMetadata.model_validate(values)
        with self._lock:
            self._state.customers[number] = metadata
        return metadata

    def remove_customer(self, phone_number: str) -> None:
        """Forget a number: lookups of it get 404 from now on."""
        number = self._normalise(phone_number, "remove_customer")
        with self._lock:
            self._state.customers.pop(number, None)

    def require_api_key(self, api_key: str | None) -> None:
        """Answer 401 unless requests carry ``Authorization: Bearer <api_key>`` (None: open)."""
        with self._lock:
            self._state.api_key = api_key

    def fail(
        self,
        status: int = 503,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        exception: type[Exception] | None = None,
        headers: Mapping[str, str] | None = None,
        body: str = "",
        optional: bool = False,
    ) -> None:
        """Make the next ``times`` lookups fail, in the order faults were registered.

        Either with an HTTP ``status`` (``retry_after`` adds a ``Retry-After`` header), or with
        an httpx ``exception`` such as ``httpx.ConnectTimeout`` (raised as the transport would;
        when served live, the connection is dropped instead). A fault that never triggers fails
        the test at teardown unless ``optional=True``.
        """
        reply_headers = dict(headers or {})
        if retry_after is not None:
            reply_headers["Retry-After"] = str(retry_after)
        with self._lock:
            self._state.faults.append(
                _Fault(status, times, reply_headers, body, exception, optional)
            )

    def delay(self, seconds: float) -> None:
        """Answer every lookup ``seconds`` late. Intercepted, a delay at or beyond the request's
        read timeout raises ``httpx.ReadTimeout`` at once (no test waits for it)."""
        with self._lock:
            self._state.delay = seconds

    @property
    def requests(self) -> list[RecordedLookup]:
        """Every request answered so far, in order."""
        with self._lock:
            return list(self._state.requests)

    @property
    def lookups(self) -> list[str]:
        """The E.164 numbers asked for through the contract's route, in order."""
        return [
            r.phone_number
            for r in self.requests
            if r.path.endswith(LOOKUP_PATH) and r.phone_number is not None
        ]

    def reset(self) -> None:
        """Forget customers, faults, recorded requests, the API key and the delay."""
        with self._lock:
            self._state = _State()

    def problems(self) -> list[str]:
        """What a strict test should fail on: stray requests and faults never triggered."""
        with self._lock:
            stray = [
                f"{r.method} {r.path} answered {r.status}: no route of the contract matches "
                f"(the contract has GET {LOOKUP_PATH}?phone_number=<E.164>)"
                for r in self._state.requests
                if r.status == 405
                or (r.status == 404 and not r.path.rstrip("/").endswith(LOOKUP_PATH))
            ]
            unused = [
                f"{fault.describe()} was registered but {fault.times} of its "
                f"{fault.times + fault.triggered} failure(s) never happened"
                for fault in self._state.faults
                if fault.times > 0 and not fault.optional
            ]
        return stray + unused

    @staticmethod
    def _normalise(phone_number: str, method: str) -> str:
        try:
            return normalize_phone_number(phone_number)
        except InvalidPhoneNumberError as exc:
            raise InvalidPhoneNumberError(f"FakeLookupServer.{method}: {exc}") from None

    # -- the contract ---------------------------------------------------------------------------

    def respond(
        self, method: str, target: str, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request (``target`` is the path with its query) per the contract."""
        answer = self._answer(method, target, headers)
        return answer.status, answer.headers, answer.body

    def _answer(self, method: str, target: str, headers: Mapping[str, str]) -> _Answer:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        values = query.get("phone_number")
        number = values[0] if values else None
        lowered = {name.lower(): value for name, value in headers.items()}
        with self._lock:
            answer = self._decide(method, parts.path, number, lowered)
            answer.delay = self._state.delay
            answer.headers.setdefault("Content-Type", "application/json")
            if "x-request-id" in lowered:
                answer.headers["X-Request-ID"] = lowered["x-request-id"]
            self._state.requests.append(
                RecordedLookup(method, parts.path, number, lowered, answer.status)
            )
        return answer

    def _decide(
        self, method: str, path: str, number: str | None, headers: Mapping[str, str]
    ) -> _Answer:
        state = self._state
        if not path.rstrip("/").endswith(LOOKUP_PATH):
            return _error(404, f"no route for {path}; the contract has GET {LOOKUP_PATH}")
        if method != "GET":
            return _error(405, f"{method} is not allowed; use GET")
        if state.api_key is not None and headers.get("authorization") != f"Bearer {state.api_key}":
            return _error(401, "missing or wrong bearer token")
        try:
            number = normalize_phone_number(number) if number is not None else None
        except InvalidPhoneNumberError:
            number = None
        if number is None or not number.startswith("+"):
            return _error(422, "phone_number must be E.164, e.g. +15555550100")
        if state.faults and (fault := next((f for f in state.faults if f.times > 0), None)):
            fault.times -= 1
            fault.triggered += 1
            return _Answer(fault.status, dict(fault.headers), fault.body.encode(), fault.exception)
        customer = state.customers.get(number)
        if customer is None:
            return _error(404, "no customer has this phone number")
        return _Answer(200, {}, customer.model_dump_json().encode())

    # -- respx interception ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Where clients should send lookups: the live URL while served, else the
        intercepted one."""
        if self._http is not None:
            host, port = self._http.server_address[:2]
            return f"http://{host!s}:{port}"
        return self._intercept_url

    @contextlib.contextmanager
    def intercept(self) -> Iterator[Self]:
        """Route httpx requests for :attr:`base_url`'s host here (respx); others pass through."""
        from ai_voice_shared_testing.s3_bucket import require

        respx = require("respx")
        host = urlsplit(self._intercept_url).netloc
        with respx.mock(assert_all_called=False, assert_all_mocked=False) as router:
            router.route(host=host).mock(side_effect=self._respx_side_effect)
            router.route().pass_through()
            yield self

    def _respx_side_effect(self, request: httpx.Request) -> httpx.Response:
        import httpx

        target = request.url.raw_path.decode("ascii")
        answer = self._answer(request.method, target, dict(request.headers))
        if answer.delay:
            timeout = (request.extensions.get("timeout") or {}).get("read")
            if timeout is not None and answer.delay >= timeout:
                raise httpx.ReadTimeout(
                    f"FakeLookupServer.delay({answer.delay:g}) is beyond the read timeout "
                    f"({timeout:g} s)",
                    request=request,
                )
            time.sleep(answer.delay)
        if answer.exception is not None:
            raise answer.exception("injected by FakeLookupServer.fail()", request=request)  # type: ignore[call-arg]
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    # -- live mode ------------------------------------------------------------------------------

    def serve(self, *, port: int = 0) -> str:
        """Serve over HTTP/1.1 with keep-alive on 127.0.0.1 (``port`` 0: a free one); return
        the base URL."""
        if self._http is None:
            self._start_http(port)
        return self.base_url

    def start(self) -> Self:
        """:meth:`serve`, returning the server (for ``with FakeLookupServer().start():``)."""
        self.serve()
        return self

    def _start_http(self, port: int) -> None:
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
                answer = fake._answer(self.command, self.path, dict(self.headers))
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.exception is not None:
                    self.close_connection = True  # the closest a socket gets to an exception
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the requests are recorded in ``FakeLookupServer.requests``."""

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def process_request(self, request: Any, client_address: Any) -> None:
                with fake._lock:
                    fake.connections += 1
                super().process_request(request, client_address)

        self._http = Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="fake-lookup-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving live and free the port."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _error(status: int, detail: str) -> _Answer:
    return _Answer(status, {}, json.dumps({"detail": detail}).encode())
