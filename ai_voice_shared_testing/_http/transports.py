"""The httpx transports that answer a fake's hosts while it intercepts: sync and async twins.

Both turn the httpx request into a :class:`FakeRequest`, let the fake answer it, honour the
answer's delay on the library's clock (virtual in tests) against the request's read timeout and
the caller's deadline, and stream the body back; a cut body ends in the error httpx raises when
a peer closes mid-body. Only the waiting and the reading differ between the twins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from ai_voice_shared.hooks import deadline_remaining, get_clock
from ai_voice_shared_testing._http.types import Answerer, FakeAnswer, FakeRequest

__all__ = ["AsyncFakeTransport", "FakeTransport"]


class _Exchange:
    """One request on its way through a fake: what both transport twins share."""

    def __init__(self, fake: Answerer, role: str, request: httpx.Request, body: bytes) -> None:
        self.fake_name = type(fake).__name__
        self.request = request
        url = request.url
        self.answer = fake.handle(
            FakeRequest(
                request.method,
                str(url),
                url.netloc.decode("ascii"),
                url.path,
                url.query.decode("ascii"),
                {name.lower(): value for name, value in request.headers.items()},
                body,
            ),
            role,
        )

    @property
    def timeout(self) -> float | None:
        """The request's read timeout, shortened to the caller's deadline."""
        read = (self.request.extensions.get("timeout") or {}).get("read")
        left = deadline_remaining()
        if left is None:
            return float(read) if read is not None else None
        return left if read is None else min(float(read), left)

    def wait(self) -> tuple[float, bool]:
        """How long to wait before answering, and whether the wait times out."""
        delay = self.answer.delay
        if not delay:
            return 0.0, False
        timeout = self.timeout
        if timeout is not None and delay >= timeout:
            return timeout, True
        return delay, False

    def timed_out(self) -> Exception:
        return httpx.ReadTimeout(
            f"{self.fake_name}.delay({self.answer.delay:g}) is beyond the request's read timeout "
            "or deadline",
            request=self.request,
        )

    def response(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
        answer = self.answer
        if answer.exception is not None:
            raise answer.exception(  # type: ignore[call-arg]
                f"injected by {self.fake_name}.fail()", request=self.request
            )
        headers = dict(answer.headers)
        length = answer.content_length
        if length is not None:
            headers["Content-Length"] = str(length)
        return httpx.Response(answer.status, headers=headers, stream=stream, request=self.request)

    def broken(self) -> Exception:
        return httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body (injected by "
            f"{self.fake_name}.fail(cut_after=...))",
            request=self.request,
        )


class _Stream(httpx.SyncByteStream):
    def __init__(self, exchange: _Exchange) -> None:
        self._exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        answer: FakeAnswer = self._exchange.answer
        yield from answer.chunks()
        if answer.cut_after is not None:
            raise self._exchange.broken()


class _AsyncStream(httpx.AsyncByteStream):
    def __init__(self, exchange: _Exchange) -> None:
        self._exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        answer: FakeAnswer = self._exchange.answer
        for chunk in answer.chunks():
            yield chunk
        if answer.cut_after is not None:
            raise self._exchange.broken()


class FakeTransport(httpx.BaseTransport):
    """Answers every request it gets from host ``role`` of ``fake``."""

    def __init__(self, fake: Answerer, role: str) -> None:
        self.fake = fake
        self.role = role

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        exchange = _Exchange(self.fake, self.role, request, request.read())
        seconds, times_out = exchange.wait()
        if seconds:
            get_clock().sleep(seconds)
        if times_out:
            raise exchange.timed_out()
        return exchange.response(_Stream(exchange))


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`FakeTransport`."""

    def __init__(self, fake: Answerer, role: str) -> None:
        self.fake = fake
        self.role = role

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange = _Exchange(self.fake, self.role, request, await request.aread())
        seconds, times_out = exchange.wait()
        if seconds:
            await get_clock().async_sleep(seconds)
        if times_out:
            raise exchange.timed_out()
        return exchange.response(_AsyncStream(exchange))
