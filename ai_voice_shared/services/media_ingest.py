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

import mimetypes
import re
from collections.abc import Callable
from types import TracebackType
from typing import Self
from urllib.parse import quote

from ai_voice_shared._retry import get_clock
from ai_voice_shared.errors import MediaConflictError, MediaDownloadError, S3ObjectExistsError
from ai_voice_shared.models import (
    CustomerMetadata,
    StoredMedia,
    TwilioMedia,
    TwilioStatusCallback,
    TwilioWebhookPayload,
)
from ai_voice_shared.services._twilio_media_base import media_type_of
from ai_voice_shared.services.async_s3_service import AsyncS3Service
from ai_voice_shared.services.s3_service import S3Service
from ai_voice_shared.services.twilio_media_client import (
    AsyncTwilioMediaClient,
    TwilioMediaClient,
)

__all__ = ["AsyncMediaIngest", "MediaIngest", "extension_for", "media_key", "media_metadata"]

#: File extensions of the media WhatsApp and MMS carry (``mimetypes`` knows some differently).
EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
    "text/vcard": "vcf",
    "text/x-vcard": "vcf",
}


def extension_for(content_type: str) -> str:
    """The file extension of a media type (``audio/ogg; codecs=opus`` -> ``ogg``; unknown ->
    ``bin``)."""
    kind = media_type_of(content_type)
    known = EXTENSIONS.get(kind) or (mimetypes.guess_extension(kind) or "").lstrip(".")
    return known if re.fullmatch(r"[a-z0-9]{1,8}", known) else "bin"


def media_key(payload: TwilioWebhookPayload, index: int, media_sid: str) -> str:
    """The S3 key of one media item (relative to ``S3_KEY_PREFIX``)."""
    kind = payload.media[index].content_type
    return f"{payload.account_sid}/{payload.message_sid}/{index}-{media_sid}.{extension_for(kind)}"


def media_metadata(
    payload: TwilioWebhookPayload,
    index: int,
    media_sid: str,
    customer: CustomerMetadata | None = None,
) -> dict[str, str]:
    """The object metadata a parser needs; never a phone number or a profile name."""
    metadata = {
        "twilio-account-sid": payload.account_sid,
        "twilio-message-sid": payload.message_sid,
        "twilio-media-sid": media_sid,
        "media-index": str(index),
        "media-type": quote(payload.media[index].content_type, safe="/;= "),
        "channel": quote(payload.channel, safe=""),
    }
    if customer is not None:
        metadata["customer-id"] = quote(customer.customer_id, safe="")
        metadata["company-id"] = quote(customer.company_id, safe="")
    return metadata


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

    def __init__(
        self,
        s3: S3Service | None = None,
        media: TwilioMediaClient | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._owns = (s3 is None, media is None)
        self.s3 = s3 if s3 is not None else S3Service()
        self.media = media if media is not None else TwilioMediaClient()
        self._sleep = sleep

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
        attempts = self.media.start(item)
        while True:
            try:
                with self.media.resume(attempts, item.content_type) as download:
                    written = self.s3.upload_stream(
                        key,
                        download,
                        size=download.size,
                        content_type=download.content_type,
                        metadata=media_metadata(payload, index, media_sid, customer),
                        overwrite=False,
                    )
                break
            except S3ObjectExistsError as exc:
                raise self._conflict(exc, item, media_sid) from exc
            except MediaDownloadError as error:  # a body cut off: fetch it again, from scratch
                delay = self.media.after_cut(attempts, error)  # one budget, one deadline
            (self._sleep or get_clock().sleep)(delay)
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
        self,
        s3: AsyncS3Service | None = None,
        media: AsyncTwilioMediaClient | None = None,
    ) -> None:
        self._owns = (s3 is None, media is None)
        self.s3 = s3 if s3 is not None else AsyncS3Service()
        self.media = media if media is not None else AsyncTwilioMediaClient()

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
        attempts = self.media.start(item)
        while True:
            try:
                async with self.media.resume(attempts, item.content_type) as download:
                    written = await self.s3.upload_stream(
                        key,
                        download,
                        size=download.size,
                        content_type=download.content_type,
                        metadata=media_metadata(payload, index, media_sid, customer),
                        overwrite=False,
                    )
                break
            except S3ObjectExistsError as exc:
                raise self._conflict(exc, item, media_sid) from exc
            except MediaDownloadError as error:
                delay = self.media.after_cut(attempts, error)
            await get_clock().async_sleep(delay)
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
