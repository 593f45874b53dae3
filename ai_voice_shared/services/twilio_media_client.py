"""Fetch the media of a Twilio message: ``TwilioMediaClient`` and ``AsyncTwilioMediaClient``.

``GET {TWILIO_API_BASE_URL}/2010-04-01/Accounts/{AC}/Messages/{MM}/Media/{ME}`` with HTTP Basic
auth; Twilio answers 307 to a short-lived URL on its CDN, which is fetched without credentials.
Only media URLs of the configured account get credentials, the body is capped at
``TWILIO_MEDIA_MAX_BYTES`` and streamed, and retries, backoff, ``Retry-After`` and the total
deadline are the library's shared machinery. The twins differ only in their I/O; the rest is
:class:`~ai_voice_shared.services._media.base.BaseTwilioMediaClient`.

    with TwilioMediaClient() as media:                 # TwilioSettings() from TWILIO_* variables
        with media.open(payload.media[0]) as download:  # headers in, body not read yet
            download.content_type, download.size
            for chunk in download: ...
        media.download(payload.media[0])               # small media, as bytes
        media.download_into(item, lambda download: s3.upload_stream(key, download))
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Self, TypeVar

import httpx

from ai_voice_shared._http.bodies import aread_prefix, read_prefix
from ai_voice_shared._http.deadline import deadline
from ai_voice_shared._http.transports import async_http_transport, http_transport
from ai_voice_shared._privacy.logs import scrubbed_logs
from ai_voice_shared._retry import Retry, aretried, retried
from ai_voice_shared.errors import MediaDownloadError
from ai_voice_shared.models import TwilioMedia
from ai_voice_shared.services._media.base import (
    MAX_REDIRECTS,
    BaseTwilioMediaClient,
    MediaAttempts,
    excerpt_of,
)
from ai_voice_shared.services._media.download import AsyncMediaDownload, MediaDownload
from ai_voice_shared.settings import TwilioSettings

__all__ = ["AsyncTwilioMediaClient", "TwilioMediaClient"]

T = TypeVar("T")

_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=10, keepalive_expiry=30)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


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
        super().__init__(settings, clock=clock, jitter=jitter)
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
        :class:`TwilioMedia` carries its own. The CDN's type must agree with it. A body cut off
        is not fetched again here: use :meth:`download_into` for that.
        """
        declared = media.content_type if isinstance(media, TwilioMedia) else content_type
        with self._opened(self._start(media), declared) as download:
            yield download

    def stream(self, media: TwilioMedia | str) -> Iterator[bytes]:
        """The media's bytes in chunks (no retry once the first chunk is out)."""
        with self.open(media) as download:
            yield from download

    def download(self, media: TwilioMedia | str) -> bytes:
        """The whole media in memory (it is capped); a body cut off is fetched again, within
        the retry budget and total deadline of the whole call."""
        return self.download_into(media, b"".join)

    def download_into(
        self,
        media: TwilioMedia | str,
        sink: Callable[[MediaDownload], T],
        *,
        content_type: str | None = None,
    ) -> T:
        """Open the media and give the open download to ``sink`` (which stores its chunks
        elsewhere: ``lambda d: s3.upload_stream(key, d, size=d.size)``); return what it returns.

        A body cut off is fetched again and ``sink`` called again from the start, within the
        retry budget and total deadline of the whole call, so ``sink`` must keep nothing of a
        download that raised (an S3 upload aborts). Other errors propagate at once.
        """
        declared = media.content_type if isinstance(media, TwilioMedia) else content_type
        attempts = self._start(media)

        def attempt() -> T | Retry:
            try:
                with self._opened(attempts, declared) as download:
                    return sink(download)
            except MediaDownloadError as error:
                return self._after_cut(attempts, error)

        return retried(attempt, self._sleep)

    @contextlib.contextmanager
    def _opened(self, attempts: MediaAttempts, content_type: str | None) -> Iterator[MediaDownload]:
        response = retried(lambda: self._answer(attempts), self._sleep)
        try:
            kind = self._check_headers(attempts, response, content_type)
            yield MediaDownload(self, attempts, response, kind)
        finally:
            response.close()

    def _answer(self, attempts: MediaAttempts) -> httpx.Response | Retry:
        """One attempt: the 200 at the end of the redirects, a :class:`Retry`, or raise."""
        try:
            response = self._fetch(attempts)
        except httpx.TransportError as failure:
            return self._after_failure(attempts, failure)
        if response.status_code == 200:
            return response
        try:
            with contextlib.closing(response):
                until = self._retrying.deadline_on_clock(attempts)
                excerpt = excerpt_of(read_prefix(response, 2048, until=until))
        except httpx.TransportError as failure:  # an error body past the deadline
            return self._after_failure(attempts, failure)
        return self._after_status(attempts, response, excerpt)

    def _fetch(self, attempts: MediaAttempts) -> httpx.Response:
        attempts.sent += 1
        url = attempts.url
        until = self._retrying.deadline_on_clock(attempts)
        for hop in range(MAX_REDIRECTS + 1):
            request = self._http.build_request(
                "GET", url, headers=self._headers(attempts), timeout=self._timeout(attempts)
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
                url = self._redirect_target(attempts, response)
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
        super().__init__(settings, clock=clock, jitter=jitter)
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
        async with self._opened(self._start(media), declared) as download:
            yield download

    async def stream(self, media: TwilioMedia | str) -> AsyncIterator[bytes]:
        """The media's bytes in chunks (no retry once the first chunk is out)."""
        async with self.open(media) as download:
            async for chunk in download:
                yield chunk

    async def download(self, media: TwilioMedia | str) -> bytes:
        """The whole media in memory (it is capped); a body cut off is fetched again, within
        the retry budget and total deadline of the whole call."""

        async def whole(download: AsyncMediaDownload) -> bytes:
            return b"".join([chunk async for chunk in download])

        return await self.download_into(media, whole)

    async def download_into(
        self,
        media: TwilioMedia | str,
        sink: Callable[[AsyncMediaDownload], Awaitable[T]],
        *,
        content_type: str | None = None,
    ) -> T:
        """The async twin of :meth:`TwilioMediaClient.download_into` (``sink`` is awaited)."""
        declared = media.content_type if isinstance(media, TwilioMedia) else content_type
        attempts = self._start(media)

        async def attempt() -> T | Retry:
            try:
                async with self._opened(attempts, declared) as download:
                    return await sink(download)
            except MediaDownloadError as error:
                return self._after_cut(attempts, error)

        return await aretried(attempt, self._sleep)

    @contextlib.asynccontextmanager
    async def _opened(
        self, attempts: MediaAttempts, content_type: str | None
    ) -> AsyncIterator[AsyncMediaDownload]:
        response = await aretried(lambda: self._answer(attempts), self._sleep)
        try:
            kind = self._check_headers(attempts, response, content_type)
            yield AsyncMediaDownload(self, attempts, response, kind)
        finally:
            await response.aclose()

    async def _answer(self, attempts: MediaAttempts) -> httpx.Response | Retry:
        """One attempt: the 200 at the end of the redirects, a :class:`Retry`, or raise."""
        try:
            response = await self._fetch(attempts)
        except httpx.TransportError as failure:
            return self._after_failure(attempts, failure)
        if response.status_code == 200:
            return response
        try:
            until = self._retrying.deadline_on_clock(attempts)
            excerpt = excerpt_of(await aread_prefix(response, 2048, until=until))
        except httpx.TransportError as failure:  # an error body past the deadline
            return self._after_failure(attempts, failure)
        finally:
            await response.aclose()
        return self._after_status(attempts, response, excerpt)

    async def _fetch(self, attempts: MediaAttempts) -> httpx.Response:
        attempts.sent += 1
        url = attempts.url
        until = self._retrying.deadline_on_clock(attempts)
        for hop in range(MAX_REDIRECTS + 1):
            request = self._http.build_request(
                "GET", url, headers=self._headers(attempts), timeout=self._timeout(attempts)
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
                url = self._redirect_target(attempts, response)
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
