"""The core every HTTP fake of the kit shares: interception, faults, live serving, strictness.

A fake (:class:`FakeHttpService` subclass) answers requests for its own hosts from memory. It is
reached two ways, usable with or without pytest:

- :meth:`FakeHttpService.intercept`: every httpx client in the process, sync or async, built
  before or after, sends requests for the fake's hosts to the fake. Interception happens where
  httpx picks the transport for a URL, above every transport: a respx router or a pytest-httpx
  mock, opened before or after the fake, in any order, never sees the fake's requests, and the
  fake never sees theirs. (Built on respx, a fake would either shadow routers opened after it
  or be shadowed by them: respx asks its routers in the order they were opened.)
- :meth:`FakeHttpService.serve`: real HTTP/1.1 with keep-alive on 127.0.0.1, one port per host,
  for code that does not use httpx or runs in another process.

Faults (:meth:`~FakeHttpService.fail`) are answered instead of the request: a status (with
``Retry-After``), an exception as the transport would raise it (live: the connection drops), a
body cut off after N bytes, an oversized body, and a delay. Waiting goes through the library's
clock, so under :class:`~ai_voice_shared_testing.virtual_time.VirtualTime` no fault makes a
test wait. :meth:`~FakeHttpService.problems` lists stray requests and faults never triggered:
the fixtures fail the test with them at teardown, as pytest_httpx does.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

from ai_voice_shared.hooks import deadline_remaining, get_clock

if TYPE_CHECKING:
    import httpx

__all__ = [
    "FakeAnswer",
    "FakeHttpService",
    "FakeRequest",
    "HttpFault",
    "RecordedRequest",
    "intercepted_origins",
]

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FakeRequest:
    """A request as a fake sees it, whichever way it arrived; header names are lower-case."""

    method: str
    url: str
    host: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def params(self) -> dict[str, list[str]]:
        """The query string, parsed (blank values kept)."""
        return parse_qs(self.query, keep_blank_values=True)


@dataclass
class FakeAnswer:
    """What a fake answers: a status, headers and a body (bytes, or chunks with ``length``)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None
    exception: type[Exception] | None = None
    cut_after: int | None = None
    delay: float = 0.0

    def chunks(self) -> Iterator[bytes]:
        """The body in chunks, stopping after ``cut_after`` bytes when set."""
        source: Iterable[bytes] = (
            [self.body[i : i + _CHUNK] for i in range(0, len(self.body), _CHUNK)]
            if isinstance(self.body, bytes)
            else self.body
        )
        left = self.cut_after
        for chunk in source:
            if left is not None:
                chunk = chunk[:left]
                left -= len(chunk)
            if chunk:
                yield chunk
            if left == 0:
                return

    @property
    def content_length(self) -> int | None:
        """The body's full length (``Content-Length``), even when it will be cut."""
        if isinstance(self.body, bytes):
            return len(self.body)
        return self.length


@dataclass(frozen=True)
class RecordedRequest:
    """One request a fake answered: where it went, what it carried and what it got."""

    method: str
    url: str
    host: str
    path: str
    query: str
    headers: Mapping[str, str]
    status: int
    target: str | None
    role: str = ""


@dataclass
class HttpFault:
    """One registered fault; see :meth:`FakeHttpService.fail`."""

    status: int | None
    times: int
    headers: dict[str, str]
    body: bytes
    exception: type[Exception] | None
    optional: bool
    on: str | None
    cut_after: int | None
    oversize: int | None
    content_length: bool
    triggered: int = 0

    def describe(self) -> str:
        """How the fault was registered, for teardown messages."""
        if self.exception is not None:
            what = self.exception.__name__
        elif self.cut_after is not None:
            what = f"cut_after={self.cut_after}"
        elif self.oversize is not None:
            what = f"oversize={self.oversize}"
        else:
            what = f"HTTP {self.status or 503}"
        where = f", on={self.on!r}" if self.on is not None else ""
        return f"fail({what}{where}, times={self.times + self.triggered})"

    def apply(self, answer: FakeAnswer) -> FakeAnswer:
        """The answer given instead of ``answer``."""
        if self.cut_after is not None or self.oversize is not None:
            if self.status is not None:
                answer.status = self.status
            answer.headers.update(self.headers)
            if self.cut_after is not None:
                answer.cut_after = self.cut_after
            if self.oversize is not None:
                answer.body = _filler(self.oversize)
                answer.length = self.oversize if self.content_length else None
            return answer
        return FakeAnswer(
            self.status or 503,
            {"Content-Type": "application/json", **self.headers},
            self.body,
            exception=self.exception,
        )


def _filler(size: int) -> Iterator[bytes]:
    block = bytes(_CHUNK)
    for start in range(0, size, _CHUNK):
        yield block[: min(_CHUNK, size - start)]


@dataclass
class _State:
    faults: list[HttpFault] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    delay: float = 0.0


class FakeHttpService:
    """The base of the kit's HTTP fakes: subclasses only say how to answer (:meth:`route`).

    ``hosts`` maps each role of the fake (``"api"``, ``"cdn"``) to the base URL it is
    intercepted at. Thread-safe.
    """

    #: The name used in teardown messages and errors (``lookup_server``).
    fake_name: ClassVar[str] = "fake"
    #: The marker whose ``strict=False`` turns the teardown check off.
    marker: ClassVar[str] = "aivs_http"

    def __init__(self, hosts: Mapping[str, str]) -> None:
        self._intercept_urls = {role: url.rstrip("/") for role, url in hosts.items()}
        self._lock = threading.RLock()
        self._state = _State()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self.connections = 0

    # -- where it lives -------------------------------------------------------------------------

    def url_of(self, role: str) -> str:
        """The base URL of one host of the fake: live while served, else intercepted."""
        server = self._servers.get(role)
        if server is not None:
            host, port = server.server_address[:2]
            return f"http://{host!s}:{port}"
        return self._intercept_urls[role]

    @property
    def roles(self) -> list[str]:
        """The roles of the fake's hosts."""
        return list(self._intercept_urls)

    # -- faults and state -----------------------------------------------------------------------

    def fail(
        self,
        status: int | None = None,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        exception: type[Exception] | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | bytes = "",
        optional: bool = False,
        on: str | None = None,
        cut_after: int | None = None,
        oversize: int | None = None,
        content_length: bool = True,
    ) -> None:
        """Answer the next ``times`` requests the fault applies to with a failure, instead of
        the real answer; faults are used in the order they were registered.

        - ``status`` (503 unless given; with ``retry_after`` as a ``Retry-After`` header,
          ``headers``, ``body``);
        - ``exception``: an httpx exception such as ``httpx.ConnectTimeout``, raised as the
          transport would (live, the connection is dropped instead);
        - ``cut_after=N``: the real answer, but the body stops after N bytes and the connection
          drops (``Content-Length`` still announces the whole body);
        - ``oversize=N``: the real answer's status and headers (or ``status`` and ``headers``
          when given) with an N-byte body, produced as it is sent (announced in
          ``Content-Length`` unless ``content_length=False``).

        ``on`` limits the fault to one kind of request (the fake's doc says which). A fault
        that never triggers fails the test at teardown unless ``optional=True``.
        """
        if times < 1:
            raise ValueError(f"{type(self).__name__}.fail(): times must be at least 1, not {times}")
        reply_headers = dict(headers or {})
        if retry_after is not None:
            reply_headers["Retry-After"] = str(retry_after)
        self._check_target(on)
        with self._lock:
            self._state.faults.append(
                HttpFault(
                    status,
                    times,
                    reply_headers,
                    body.encode() if isinstance(body, str) else body,
                    exception,
                    optional,
                    on,
                    cut_after,
                    oversize,
                    content_length,
                )
            )

    def _check_target(self, on: str | None) -> None:
        """Refuse an ``on`` the fake does not know; subclasses name their targets."""
        if on is not None and on not in self.fault_targets():
            known = ", ".join(repr(t) for t in self.fault_targets()) or "none"
            raise ValueError(
                f"{type(self).__name__}.fail(on={on!r}): unknown target; this fake's targets "
                f"are {known}."
            )

    def fault_targets(self) -> tuple[str, ...]:
        """The values ``fail(on=...)`` accepts."""
        return ()

    def delay(self, seconds: float) -> None:
        """Answer every request ``seconds`` late. A delay at or beyond the request's read
        timeout (or its caller's deadline) times out, after that much time on the library's
        clock: under virtual time no test waits for it."""
        with self._lock:
            self._state.delay = seconds

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request answered so far, in order."""
        with self._lock:
            return list(self._state.requests)

    def reset(self) -> None:
        """Forget faults, recorded requests and the delay (subclasses also forget their data).

        Cheap: call it at the start of each Hypothesis example.
        """
        with self._lock:
            self._state = _State()

    def problems(self) -> list[str]:
        """What a strict test fails on: stray requests and faults never triggered."""
        with self._lock:
            stray = [line for r in self._state.requests if (line := self.stray(r)) is not None]
            unused = [
                f"{fault.describe()} was registered but {fault.times} of its "
                f"{fault.times + fault.triggered} failure(s) never happened"
                for fault in self._state.faults
                if fault.times > 0 and not fault.optional
            ]
        return stray + unused

    # -- what subclasses provide ----------------------------------------------------------------

    def route(self, request: FakeRequest, role: str) -> tuple[FakeAnswer, str | None]:
        """The real answer to ``request`` on host ``role``, and the fault target it is (or
        ``None`` when no fault applies to it, e.g. a request the contract refuses)."""
        raise NotImplementedError

    def stray(self, request: RecordedRequest) -> str | None:
        """Why a recorded request should fail a strict test, or ``None``."""
        return None

    def record(
        self, request: FakeRequest, answer: FakeAnswer, target: str | None, role: str
    ) -> None:
        """Keep the request for :attr:`requests` (subclasses may keep a richer record)."""
        self._state.requests.append(
            RecordedRequest(
                request.method,
                request.url,
                request.host,
                request.path,
                request.query,
                request.headers,
                answer.status,
                target,
                role,
            )
        )

    # -- answering ------------------------------------------------------------------------------

    def handle(self, request: FakeRequest, role: str) -> FakeAnswer:
        """Answer one request (the transport-free core every way in goes through)."""
        with self._lock:
            answer, target = self.route(request, role)
            if target is not None:
                fault = next(
                    (
                        f
                        for f in self._state.faults
                        if f.times > 0 and (f.on is None or f.on == target)
                    ),
                    None,
                )
                if fault is not None:
                    fault.times -= 1
                    fault.triggered += 1
                    answer = fault.apply(answer)
            answer.delay = self._state.delay
            self.record(request, answer, target, role)
        return answer

    # -- interception ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def intercept(self) -> Iterator[Self]:
        """Route every httpx request for the fake's hosts here while the block runs."""
        from ai_voice_shared_testing._extras import require

        require("httpx")
        origins = {_origin_key(url): role for role, url in self._intercept_urls.items()}
        _INTERCEPTION.add(self, origins)
        try:
            yield self
        finally:
            _INTERCEPTION.remove(self)

    # -- live mode ------------------------------------------------------------------------------

    def serve(self, *, port: int = 0) -> str:
        """Serve every host of the fake over HTTP/1.1 on 127.0.0.1 (the first host on ``port``,
        0 for a free one, the others on free ports); return the first host's base URL."""
        with self._lock:
            if not self._servers:
                for index, role in enumerate(self._intercept_urls):
                    self._serve_role(role, port if index == 0 else 0)
        return self.url_of(self.roles[0])

    def start(self) -> Self:
        """:meth:`serve`, returning the fake (for ``with Fake().start() as fake:``)."""
        self.serve()
        return self

    def stop(self) -> None:
        """Stop serving live and free the ports."""
        servers, self._servers = self._servers, {}
        for server in servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def _serve_role(self, role: str, port: int) -> None:
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

            def do_PUT(self) -> None:
                self._reply()

            def do_DELETE(self) -> None:
                self._reply()

            def do_HEAD(self) -> None:
                self._reply()

            def _reply(self) -> None:
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
                answer = fake.handle(request, role)
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

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def process_request(self, request: Any, client_address: Any) -> None:
                with fake._lock:
                    fake.connections += 1
                super().process_request(request, client_address)

        server = Server(("127.0.0.1", port), Handler)
        self._servers[role] = server
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=f"{self.fake_name}-{role}", daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# -- the process-wide interception ----------------------------------------------------------------


def _origin_key(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


class _Interception:
    """Which fake answers which origin; patches httpx's transport choice while any is active."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[FakeHttpService, str]] = {}
        self._owners: dict[int, list[str]] = {}
        self._originals: tuple[Any, Any] | None = None

    def add(self, fake: FakeHttpService, origins: Mapping[str, str]) -> None:
        with self._lock:
            taken = [o for o in origins if o in self._routes and self._routes[o][0] is not fake]
            if taken:
                other = self._routes[taken[0]][0]
                raise RuntimeError(
                    f"{type(fake).__name__}: {taken[0]} is already intercepted by "
                    f"{other!r}; give each fake its own host."
                )
            for origin, role in origins.items():
                self._routes[origin] = (fake, role)
            self._owners.setdefault(id(fake), []).extend(origins)
            if self._originals is None:
                self._patch()

    def remove(self, fake: FakeHttpService) -> None:
        with self._lock:
            for origin in self._owners.pop(id(fake), []):
                self._routes.pop(origin, None)
            if not self._routes and self._originals is not None:
                self._unpatch()

    def find(self, url: httpx.URL) -> tuple[FakeHttpService, str] | None:
        if not self._routes:
            return None
        scheme = url.scheme
        port = url.port or (443 if scheme == "https" else 80)
        return self._routes.get(f"{scheme}://{url.host}:{port}")

    def origins(self) -> list[str]:
        with self._lock:
            return sorted(self._routes)

    def _patch(self) -> None:
        # httpx chooses a transport per request (and per redirect hop) in _transport_for_url,
        # above every transport: the one place a fake can answer for its hosts whatever mocks
        # a test layers on the transports. A private method of httpx, pinned below 1.0; the
        # interception tests fail loudly if a release renames it.
        import httpx

        sync_original = httpx.Client._transport_for_url
        async_original = httpx.AsyncClient._transport_for_url
        interception = self

        def sync_transport_for_url(client: httpx.Client, url: httpx.URL) -> httpx.BaseTransport:
            found = interception.find(url)
            if found is not None:
                return _transports()[0](*found)
            return sync_original(client, url)

        def async_transport_for_url(
            client: httpx.AsyncClient, url: httpx.URL
        ) -> httpx.AsyncBaseTransport:
            found = interception.find(url)
            if found is not None:
                return _transports()[1](*found)
            return async_original(client, url)

        httpx.Client._transport_for_url = sync_transport_for_url  # type: ignore[method-assign,assignment]
        httpx.AsyncClient._transport_for_url = async_transport_for_url  # type: ignore[method-assign,assignment]
        self._originals = (sync_original, async_original)

    def _unpatch(self) -> None:
        import httpx

        assert self._originals is not None
        sync_original, async_original = self._originals
        httpx.Client._transport_for_url = sync_original  # type: ignore[method-assign]
        httpx.AsyncClient._transport_for_url = async_original  # type: ignore[method-assign]
        self._originals = None


_INTERCEPTION = _Interception()


def intercepted_origins() -> list[str]:
    """The origins (``scheme://host:port``) fakes intercept right now."""
    return _INTERCEPTION.origins()


def _fake_request(request: httpx.Request, body: bytes) -> FakeRequest:
    url = request.url
    return FakeRequest(
        request.method,
        str(url),
        url.netloc.decode("ascii"),
        url.path,
        url.query.decode("ascii"),
        {name.lower(): value for name, value in request.headers.items()},
        body,
    )


def _timeout_of(request: httpx.Request) -> float | None:
    read = (request.extensions.get("timeout") or {}).get("read")
    left = deadline_remaining()
    if left is None:
        return float(read) if read is not None else None
    return left if read is None else min(float(read), left)


def _late(answer: FakeAnswer, request: httpx.Request) -> float | None:
    """How long to wait before answering; ``None``: the wait times out (after the timeout)."""
    if not answer.delay:
        return 0.0
    timeout = _timeout_of(request)
    if timeout is not None and answer.delay >= timeout:
        return None
    return answer.delay


def _timed_out(fake: FakeHttpService, answer: FakeAnswer, request: httpx.Request) -> Exception:
    import httpx

    return httpx.ReadTimeout(
        f"{type(fake).__name__}.delay({answer.delay:g}) is beyond the request's read timeout or "
        "deadline",
        request=request,
    )


def _response(
    fake: FakeHttpService, answer: FakeAnswer, request: httpx.Request, *, asynchronous: bool
) -> httpx.Response:
    import httpx

    if answer.exception is not None:
        raise answer.exception(  # type: ignore[call-arg]
            f"injected by {type(fake).__name__}.fail()", request=request
        )
    headers = dict(answer.headers)
    length = answer.content_length
    if length is not None:
        headers["Content-Length"] = str(length)
    cut = answer.cut_after is not None

    def broken() -> Exception:
        return httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body (injected by "
            f"{type(fake).__name__}.fail(cut_after=...))",
            request=request,
        )

    stream: Any
    if asynchronous:

        class AsyncStream(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                for chunk in answer.chunks():
                    yield chunk
                if cut:
                    raise broken()

        stream = AsyncStream()
    else:

        class SyncStream(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                yield from answer.chunks()
                if cut:
                    raise broken()

        stream = SyncStream()
    return httpx.Response(answer.status, headers=headers, stream=stream, request=request)


@functools.cache
def _transports() -> tuple[
    Callable[[FakeHttpService, str], httpx.BaseTransport],
    Callable[[FakeHttpService, str], httpx.AsyncBaseTransport],
]:
    """The transports httpx gets for a fake's hosts (defined on first use: httpx loads late)."""
    import httpx

    class FakeTransport(httpx.BaseTransport):
        def __init__(self, fake: FakeHttpService, role: str) -> None:
            self.fake = fake
            self.role = role

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            answer = self.fake.handle(_fake_request(request, request.read()), self.role)
            wait = _late(answer, request)
            if wait is None:
                get_clock().sleep(_timeout_of(request) or 0.0)
                raise _timed_out(self.fake, answer, request)
            if wait:
                get_clock().sleep(wait)
            return _response(self.fake, answer, request, asynchronous=False)

    class AsyncFakeTransport(httpx.AsyncBaseTransport):
        def __init__(self, fake: FakeHttpService, role: str) -> None:
            self.fake = fake
            self.role = role

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            answer = self.fake.handle(_fake_request(request, await request.aread()), self.role)
            wait = _late(answer, request)
            if wait is None:
                await get_clock().async_sleep(_timeout_of(request) or 0.0)
                raise _timed_out(self.fake, answer, request)
            if wait:
                await get_clock().async_sleep(wait)
            return _response(self.fake, answer, request, asynchronous=True)

    return FakeTransport, AsyncFakeTransport
