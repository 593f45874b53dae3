"""Where ``MediaIngest`` stores a media item in S3, and with which metadata.

Keys are deterministic (``{AccountSid}/{MessageSid}/{index}-{MediaSid}.{ext}``) so a
redelivered webhook writes the same key, and the conditional write stores nothing twice.
"""

from __future__ import annotations

import mimetypes
import re
from urllib.parse import quote

from ai_voice_shared.models import CustomerMetadata, TwilioWebhookPayload
from ai_voice_shared.services._media.base import media_type_of

__all__ = ["EXTENSIONS", "extension_for", "media_key", "media_metadata"]

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
