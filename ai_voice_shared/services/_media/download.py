"""An open media download: the type and size are known, the body is read by iterating.

The sync and async twins share everything but the iteration: the size from
``Content-Length``, the cap of ``TWILIO_MEDIA_MAX_BYTES`` while streaming, and the error a
body cut off becomes (retryable: the client fetches it again within the call's budget).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from ai_voice_shared._http.bodies import (
    BodyTooLargeError,
    UnsupportedEncodingError,
    aiter_bounded,
    iter_bounded,
)
from ai_voice_shared.errors import MediaDownloadError, TwilioMediaError
from ai_voice_shared.services._media.base import BaseTwilioMediaClient, MediaAttempts

__all__ = ["AsyncMediaDownload", "MediaDownload"]

_FAILURES = (httpx.TransportError, BodyTooLargeError, UnsupportedEncodingError)


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
        self._until = client._retrying.deadline_on_clock(attempts)

    def _broken(self, failure: Exception) -> TwilioMediaError:
        if isinstance(failure, BodyTooLargeError):
            return self._client._too_large(self._attempts, failure.seen, declared_size=False)
        self._attempts.last = f"the body cut off after {self.received} bytes"
        if self._client._retrying.remaining(self._attempts) <= 0:
            return self._client._deadline_error(self._attempts)  # not worth fetching again now
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
            for chunk in iter_bounded(self._response, self._client._max_bytes, until=self._until):
                self.received += len(chunk)
                yield chunk
        except _FAILURES as failure:
            raise self._broken(failure) from failure


class AsyncMediaDownload(_Download):
    """The async twin of :class:`MediaDownload` (``async for chunk in download``)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in aiter_bounded(
                self._response, self._client._max_bytes, until=self._until
            ):
                self.received += len(chunk)
                yield chunk
        except _FAILURES as failure:
            raise self._broken(failure) from failure
