"""Fetch the media of a Twilio message: ``TwilioMediaClient`` and ``AsyncTwilioMediaClient``.

``GET {TWILIO_API_BASE_URL}/2010-04-01/Accounts/{AC}/Messages/{MM}/Media/{ME}`` with HTTP Basic
auth; Twilio answers 307 to a short-lived URL on its CDN, which is fetched without credentials.
Only media URLs of the configured account get credentials, the body is capped at
``TWILIO_MEDIA_MAX_BYTES`` and streamed, and retries, backoff, ``Retry-After`` and the total
deadline are the library's shared machinery. The twins differ only in their I/O; the rest is
:class:`~ai_voice_shared.services._twilio_media_base.BaseTwilioMediaClient`.

    with TwilioMediaClient() as media:                 # TwilioSettings() from TWILIO_* variables
        with media.open(payload.media[0]) as download:  # headers in, body not read yet
            download.content_type, download.size
            for chunk in download: ...
        media.download(payload.media[0])               # small media, as bytes
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Self

import httpx

from ai_voice_shared._http import (
    BodyTooLargeError,
    UnsupportedEncodingError,
    aiter_bounded,
    aread_prefix,
    async_http_transport,
    deadline,
    http_transport,
    iter_bounded,
    read_prefix,
)
from ai_voice_shared._privacy import scrubbed_logs
from ai_voice_shared._retry import get_clock
from ai_voice_shared.errors import MediaDownloadError, TwilioMediaError
from ai_voice_shared.models import TwilioMedia
from ai_voice_shared.services._twilio_media_base import (
    MAX_REDIRECTS,
    BaseTwilioMediaClient,
    MediaAttempts,
    excerpt_of,
)
from ai_voice_shared.settings import TwilioSettings

__all__ = ["AsyncMediaDownload", "AsyncTwilioMediaClient", "MediaDownload", "TwilioMediaClient"]

_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=10, keepalive_expiry=30)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_FAILURES = (httpx.TransportError, BodyTooLargeError, UnsupportedEncodingError)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class _Download:
    """What both download twins share: the media, its type and size, and error mapping."""

    def __init__(
        self,
        client: BaseTwilioMediaClient,
        attempts: MediaAttempts,
        response: httpx.Response,
        content_type: str,
    ) -> None:
        self._client = client
        self._attempts = attempts
        #: The requests of this download so far (for :meth:`resume` after a cut).
        self.attempts = attempts
        self._response = response
        self.url = attempts.url
        self.media_sid = attempts.media_sid
        self.content_type = content_type
        length = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "").strip().lower()
        self.size: int | None = (
            int(length) if length.strip().isdigit() and encoding in ("", "identity") else None
        )
        self.received = 0
        self._until = client.retrying.deadline_on_clock(attempts)

    def _broken(self, failure: Exception) -> TwilioMediaError:
        if isinstance(failure, BodyTooLargeError):
            return self._client._too_large(self._attempts, failure.seen, declared_size=False)
        self._attempts.last = f"the body cut off after {self.received} bytes"
        if self._client.retrying.remaining(self._attempts) <= 0:
            return self._client._deadline(self._attempts)  # not worth fetching again now
        error = MediaDownloadError(
            f"The media {self.media_sid} was cut off after {self.received} bytes "
            f"({type(failure).__name__}: {failure}); nothing of it should be kept. Downloading it "
            "again may succeed.",
            url=self.url,
            media_sid=self.media_sid,
            attempts=self._attempts.sent,
        )
        error.retryable = error.transient = not isinstance(failure, UnsupportedEncodingError)
        return error


class MediaDownload(_Download):
    """An open download: ``content_type`` and ``size`` (``Content-Length``, or ``None``) are
    known; iterate for the body, in chunks, capped at ``TWILIO_MEDIA_MAX_BYTES``."""

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in iter_bounded(self._response, self._client.max_bytes, until=self._until):
                self.received += len(chunk)
                yield chunk
        except _FAILURES as failure:
            raise self._broken(failure) from failure


class AsyncMediaDownload(_Download):
    """The async twin of :class:`MediaDownload` (``async for chunk in download``)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in aiter_bounded(
                self._response, self._client.max_bytes, until=self._until
            ):
                self.received += len(chunk)
                yield chunk
        except _FAILURES as failure:
            raise self._broken(failure) from failure


class TwilioMediaClient(BaseTwilioMediaClient):
    """Downloads media of the configured Twilio account, synchronously; thread-safe.

    Settings left out come from :class:`TwilioSettings` (``TWILIO_*``). ``http_client`` is
    used as given and not closed (the deadline is then checked between reads only);
    ``sleep``, ``clock`` and ``jitter`` are for tests.
    """

    def __init__(
        self,
        settings: TwilioSettings | None = None,
        *,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(settings, clock=clock, **({"jitter": jitter} if jitter else {}))
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.Client(transport=http_transport(_LIMITS))
        )
        self._sleep = sleep

    @contextlib.contextmanager
    def open(
        self, media: TwilioMedia | str, *, content_type: str | None = None
    ) -> Iterator[MediaDownload]:
        """Request the media (retrying failures before its body) and give the open download.

        ``content_type`` is the declared type when ``media`` is a bare URL; a
        :class:`TwilioMedia` carries its own. The CDN's type must agree with it.
        """
        declared = media.content_type if isinstance(media, TwilioMedia) else content_type
        with self.resume(self.start(media), declared) as download:
            yield download

    @contextlib.contextmanager
    def resume(
        self, attempts: MediaAttempts, content_type: str | None = None
    ) -> Iterator[MediaDownload]:
        """:meth:`open` again after a body was cut off (:meth:`after_cut` said how long to
        wait first): the same ``attempts`` (``download.attempts``) keep the retry budget and
        the total deadline of the first request."""
        response = self._answered(attempts)
        try:
            kind = self.check_headers(attempts, response, content_type)
            yield MediaDownload(self, attempts, response, kind)
        finally:
            response.close()

    def stream(self, media: TwilioMedia | str) -> Iterator[bytes]:
        """The media's bytes in chunks (no retry once the first chunk is out)."""
        with self.open(media) as download:
            yield from download

    def download(self, media: TwilioMedia | str) -> bytes:
        """The whole media in memory (it is capped); a body cut off is fetched again, within
        the retry budget and total deadline of the whole call."""
        declared = media.content_type if isinstance(media, TwilioMedia) else None
        attempts = self.start(media)
        while True:
            try:
                with self.resume(attempts, declared) as download:
                    return b"".join(download)
            except MediaDownloadError as error:
                delay = self.after_cut(attempts, error)
            (self._sleep or get_clock().sleep)(delay)

    def _answered(self, attempts: MediaAttempts) -> httpx.Response:
        """The 200 at the end of the redirects, after retries; anything else raises."""
        while True:
            try:
                response = self._fetch(attempts)
            except httpx.TransportError as failure:
                delay = self.after_failure(attempts, failure)
            else:
                if response.status_code == 200:
                    return response
                try:
                    with contextlib.closing(response):
                        until = self.retrying.deadline_on_clock(attempts)
                        excerpt = excerpt_of(read_prefix(response, 2048, until=until))
                except httpx.TransportError as failure:  # an error body past the deadline
                    delay = self.after_failure(attempts, failure)
                else:
                    delay = self.after_status(attempts, response, excerpt)
            (self._sleep or get_clock().sleep)(delay)

    def _fetch(self, attempts: MediaAttempts) -> httpx.Response:
        attempts.sent += 1
        url = attempts.url
        until = self.retrying.deadline_on_clock(attempts)
        for hop in range(MAX_REDIRECTS + 1):
            request = self._http.build_request(
                "GET", url, headers=self.headers(attempts), timeout=self.timeout(attempts)
            )
            if hop == 0:  # credentials go to the trusted media URL only, never to a redirect
                request.headers["Authorization"] = _basic(*self._auth)
            try:
                with deadline(until), scrubbed_logs(hide_queries=True):
                    response = self._http.send(request, stream=True, follow_redirects=False)
            except (httpx.InvalidURL, ValueError) as exc:
                # httpx builds the next request of a redirect even when not following it: a
                # Location it cannot parse (or encode, idna's ValueError) raises in send().
                raise self._unusable_location(attempts, url, exc) from None
            if response.status_code not in _REDIRECTS:
                return response
            with contextlib.closing(response):
                url = self.redirect_target(attempts, response)
        raise self._failed(attempts, response, f"it redirected more than {MAX_REDIRECTS} times")

    def close(self) -> None:
        """Close the pooled connections (not those of an ``http_client`` passed in)."""
        self._closed = True
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncTwilioMediaClient(BaseTwilioMediaClient):
    """The async twin of :class:`TwilioMediaClient`: same settings, same behaviour."""

    def __init__(
        self,
        settings: TwilioSettings | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(settings, clock=clock, **({"jitter": jitter} if jitter else {}))
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(transport=async_http_transport(_LIMITS))
        )
        self._sleep = sleep

    @contextlib.asynccontextmanager
    async def open(
        self, media: TwilioMedia | str, *, content_type: str | None = None
    ) -> AsyncIterator[AsyncMediaDownload]:
        """Request the media (retrying failures before its body) and give the open download."""
        declared = media.content_type if isinstance(media, TwilioMedia) else content_type
        async with self.resume(self.start(media), declared) as download:
            yield download

    @contextlib.asynccontextmanager
    async def resume(
        self, attempts: MediaAttempts, content_type: str | None = None
    ) -> AsyncIterator[AsyncMediaDownload]:
        """The async twin of :meth:`TwilioMediaClient.resume`."""
        response = await self._answered(attempts)
        try:
            kind = self.check_headers(attempts, response, content_type)
            yield AsyncMediaDownload(self, attempts, response, kind)
        finally:
            await response.aclose()

    async def stream(self, media: TwilioMedia | str) -> AsyncIterator[bytes]:
        """The media's bytes in chunks (no retry once the first chunk is out)."""
        async with self.open(media) as download:
            async for chunk in download:
                yield chunk

    async def download(self, media: TwilioMedia | str) -> bytes:
        """The whole media in memory (it is capped); a body cut off is fetched again, within
        the retry budget and total deadline of the whole call."""
        declared = media.content_type if isinstance(media, TwilioMedia) else None
        attempts = self.start(media)
        while True:
            try:
                async with self.resume(attempts, declared) as download:
                    return b"".join([chunk async for chunk in download])
            except MediaDownloadError as error:
                delay = self.after_cut(attempts, error)
            await (self._sleep or get_clock().async_sleep)(delay)

    async def _answered(self, attempts: MediaAttempts) -> httpx.Response:
        while True:
            try:
                response = await self._fetch(attempts)
            except httpx.TransportError as failure:
                delay = self.after_failure(attempts, failure)
            else:
                if response.status_code == 200:
                    return response
                try:
                    until = self.retrying.deadline_on_clock(attempts)
                    excerpt = excerpt_of(await aread_prefix(response, 2048, until=until))
                except httpx.TransportError as failure:  # an error body past the deadline
                    delay = self.after_failure(attempts, failure)
                else:
                    delay = self.after_status(attempts, response, excerpt)
                finally:
                    await response.aclose()
            await (self._sleep or get_clock().async_sleep)(delay)

    async def _fetch(self, attempts: MediaAttempts) -> httpx.Response:
        attempts.sent += 1
        url = attempts.url
        until = self.retrying.deadline_on_clock(attempts)
        for hop in range(MAX_REDIRECTS + 1):
            request = self._http.build_request(
                "GET", url, headers=self.headers(attempts), timeout=self.timeout(attempts)
            )
            if hop == 0:
                request.headers["Authorization"] = _basic(*self._auth)
            try:
                with deadline(until), scrubbed_logs(hide_queries=True):
                    response = await self._http.send(request, stream=True, follow_redirects=False)
            except (httpx.InvalidURL, ValueError) as exc:  # as in the sync twin
                raise self._unusable_location(attempts, url, exc) from None
            if response.status_code not in _REDIRECTS:
                return response
            try:
                url = self.redirect_target(attempts, response)
            finally:
                await response.aclose()
        raise self._failed(attempts, response, f"it redirected more than {MAX_REDIRECTS} times")

    async def aclose(self) -> None:
        """Close the pooled connections (not those of an ``http_client`` passed in)."""
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
