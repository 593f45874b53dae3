"""Store every media item of a Twilio message in S3, streamed, once: ``MediaIngest``.

What every ``webhook-handler`` does after parsing a payload, done once with the hard parts:

- every media URL is checked before any request (credentials go to the account's media only);
- each item streams from Twilio's CDN straight into S3 (one PutObject up to the multipart
  threshold, else parts as they fill: memory stays at one part), with its full-object CRC32;
- under a deterministic key, ``{AccountSid}/{MessageSid}/{index}-{MediaSid}.{ext}`` below
  ``S3_KEY_PREFIX``, with a conditional write: a redelivered webhook stores nothing twice
  (``already_stored``), and other bytes under the key are :class:`MediaConflictError`;
- with the metadata a parser needs (SIDs, the declared type, the customer when known), never
  a phone number;
- a failure (Twilio 5xx, a body cut off, S3 down) leaves no partial object and no multipart
  upload behind; a body cut off is fetched again, and running ``ingest`` again completes the
  job.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from ai_voice_shared.errors import MediaConflictError, S3ObjectExistsError
from ai_voice_shared.models import (
    CustomerMetadata,
    S3WriteResult,
    StoredMedia,
    TwilioMedia,
    TwilioStatusCallback,
    TwilioWebhookPayload,
)
from ai_voice_shared.services._media.download import AsyncMediaDownload, MediaDownload
from ai_voice_shared.services._media.naming import media_key, media_metadata
from ai_voice_shared.services.async_s3_service import AsyncS3Service
from ai_voice_shared.services.s3_service import S3Service
from ai_voice_shared.services.twilio_media_client import (
    AsyncTwilioMediaClient,
    TwilioMediaClient,
)
from ai_voice_shared.settings._gather import SettingsGathering

__all__ = ["AsyncMediaIngest", "MediaIngest"]


class _Ingest:
    """What the twins share: the checks before any request, keys, metadata, results."""

    media: TwilioMediaClient | AsyncTwilioMediaClient

    def _plan(self, payload: TwilioWebhookPayload) -> list[tuple[int, TwilioMedia, str, str]]:
        if isinstance(payload, TwilioStatusCallback) or not isinstance(
            payload, TwilioWebhookPayload
        ):
            raise TypeError(
                f"ingest() takes a TwilioWebhookPayload, not {type(payload).__name__}: status "
                "callbacks carry no media."
            )
        plan = []
        for index, item in enumerate(payload.media):
            _, media_sid = self.media.trusted_url(item)  # every URL, before any request
            plan.append((index, item, media_sid, media_key(payload, index, media_sid)))
        return plan

    @staticmethod
    def _conflict(
        exc: S3ObjectExistsError, item: TwilioMedia, media_sid: str
    ) -> MediaConflictError:
        return MediaConflictError(
            f"The media {media_sid} was not stored: its key {exc.key!r} already holds other "
            "bytes (the same SIDs with other content: not a redelivery). Nothing was "
            "overwritten; find out what wrote that object before deleting it.",
            url=item.url,
            media_sid=media_sid,
        )


class MediaIngest(_Ingest):
    """Stores the media of inbound messages in S3, synchronously.

    >>> with MediaIngest() as ingest:          # S3Service() and TwilioMediaClient() from env
    ...     stored = ingest.ingest(payload, customer=customer)
    ...     [(s.key, s.created) for s in stored]

    Clients passed in are used as given and not closed.
    """

    media: TwilioMediaClient

    def __init__(self, s3: S3Service | None = None, media: TwilioMediaClient | None = None) -> None:
        self._owns = (s3 is None, media is None)
        settings = SettingsGathering(type(self).__name__)
        built_s3 = s3 if s3 is not None else settings.build(S3Service)
        built_media = media if media is not None else settings.build(TwilioMediaClient)
        settings.check()  # every missing setting of both groups in one error
        assert built_s3 is not None
        assert built_media is not None
        self.s3, self.media = built_s3, built_media

    def ingest(
        self, payload: TwilioWebhookPayload, *, customer: CustomerMetadata | None = None
    ) -> list[StoredMedia]:
        """Store every media item of ``payload``; return them in order. Idempotent."""
        return [
            self._store(payload, index, item, media_sid, key, customer)
            for index, item, media_sid, key in self._plan(payload)
        ]

    def _store(
        self,
        payload: TwilioWebhookPayload,
        index: int,
        item: TwilioMedia,
        media_sid: str,
        key: str,
        customer: CustomerMetadata | None,
    ) -> StoredMedia:
        def store(download: MediaDownload) -> S3WriteResult:
            return self.s3.upload_stream(
                key,
                download,
                size=download.size,
                content_type=download.content_type,
                metadata=media_metadata(payload, index, media_sid, customer),
                overwrite=False,
            )

        try:  # a body cut off is fetched again from scratch, in one budget and one deadline
            written = self.media.download_into(item, store)
        except S3ObjectExistsError as exc:
            raise self._conflict(exc, item, media_sid) from exc
        assert written.size is not None
        return StoredMedia(
            index=index,
            media_sid=media_sid,
            key=key,
            content_type=item.content_type,
            size=written.size,
            etag=written.etag,
            already_stored=written.already_stored,
        )

    def close(self) -> None:
        """Close the clients this ingest built."""
        if self._owns[0]:
            self.s3.close()
        if self._owns[1]:
            self.media.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncMediaIngest(_Ingest):
    """The async twin of :class:`MediaIngest`: the download streams in the event loop, the S3
    upload runs in :class:`AsyncS3Service`'s bounded pool, chunk by chunk."""

    media: AsyncTwilioMediaClient

    def __init__(
        self, s3: AsyncS3Service | None = None, media: AsyncTwilioMediaClient | None = None
    ) -> None:
        self._owns = (s3 is None, media is None)
        settings = SettingsGathering(type(self).__name__)
        built_s3 = s3 if s3 is not None else settings.build(AsyncS3Service)
        built_media = media if media is not None else settings.build(AsyncTwilioMediaClient)
        settings.check()  # every missing setting of both groups in one error
        assert built_s3 is not None
        assert built_media is not None
        self.s3, self.media = built_s3, built_media

    async def ingest(
        self, payload: TwilioWebhookPayload, *, customer: CustomerMetadata | None = None
    ) -> list[StoredMedia]:
        """Store every media item of ``payload``; return them in order. Idempotent."""
        return [
            await self._store(payload, index, item, media_sid, key, customer)
            for index, item, media_sid, key in self._plan(payload)
        ]

    async def _store(
        self,
        payload: TwilioWebhookPayload,
        index: int,
        item: TwilioMedia,
        media_sid: str,
        key: str,
        customer: CustomerMetadata | None,
    ) -> StoredMedia:
        async def store(download: AsyncMediaDownload) -> S3WriteResult:
            return await self.s3.upload_stream(
                key,
                download,
                size=download.size,
                content_type=download.content_type,
                metadata=media_metadata(payload, index, media_sid, customer),
                overwrite=False,
            )

        try:  # as in the sync twin
            written = await self.media.download_into(item, store)
        except S3ObjectExistsError as exc:
            raise self._conflict(exc, item, media_sid) from exc
        assert written.size is not None
        return StoredMedia(
            index=index,
            media_sid=media_sid,
            key=key,
            content_type=item.content_type,
            size=written.size,
            etag=written.etag,
            already_stored=written.already_stored,
        )

    async def aclose(self) -> None:
        """Close the clients this ingest built."""
        if self._owns[0]:
            await self.s3.aclose()
        if self._owns[1]:
            await self.media.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
