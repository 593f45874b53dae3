"""The base of every HTTP fake of the kit: :class:`FakeHttpService`.

A subclass only says how to answer (:meth:`~FakeHttpService.route`); the base keeps the faults,
the recorded requests and the delay, answers through one transport-free core
(:meth:`~FakeHttpService.handle`), and offers both ways in: :meth:`~FakeHttpService.intercept`
(every httpx client of the process, see :mod:`.interception`) and
:meth:`~FakeHttpService.serve` (real HTTP on 127.0.0.1, see :mod:`.live`).

Importing this module imports no httpx; it loads when a fake first intercepts.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import ClassVar, Self

from ai_voice_shared_testing._extras import require
from ai_voice_shared_testing._http.live import LiveHost
from ai_voice_shared_testing._http.types import FakeAnswer, FakeRequest, HttpFault, RecordedRequest

__all__ = ["FakeHttpService"]


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
        self._servers: dict[str, LiveHost] = {}
        self._loopbacks: dict[str, LiveHost] = {}
        self.connections = 0

    # -- where it lives -------------------------------------------------------------------------

    def url_of(self, role: str) -> str:
        """The base URL of one host of the fake: live while served, else intercepted."""
        server = self._servers.get(role)
        if server is not None:
            return server.url
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
        require("httpx")
        from ai_voice_shared_testing._http.interception import INTERCEPTION, origin_key

        origins = {origin_key(url): role for role, url in self._intercept_urls.items()}
        INTERCEPTION.add(self, origins)
        try:
            yield self
        finally:
            INTERCEPTION.remove(self)

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

    def loopback_url(self, role: str) -> str:
        """A 127.0.0.1 server of host ``role`` that intercepted libraries without a transport
        seam (aiohttp) are sent to; unlike :meth:`serve`, it leaves the fake's URLs as they are.
        Started on first use, stopped by :meth:`stop`."""
        with self._lock:
            if role in self._servers:
                return self._servers[role].url
            if role not in self._loopbacks:
                self._loopbacks[role] = LiveHost(
                    self, role, port=0, name=self.fake_name, on_connection=self._count_connection
                )
            return self._loopbacks[role].url

    def stop(self) -> None:
        """Stop serving live (and on loopback) and free the ports."""
        servers, self._servers = self._servers, {}
        loopbacks, self._loopbacks = self._loopbacks, {}
        for server in [*servers.values(), *loopbacks.values()]:
            server.stop()

    def _serve_role(self, role: str, port: int) -> None:
        self._servers[role] = LiveHost(
            self, role, port=port, name=self.fake_name, on_connection=self._count_connection
        )

    def _count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
