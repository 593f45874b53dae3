"""The data every AI Voice service exchanges: Twilio webhooks, customers and S3 objects.

All models are frozen pydantic v2 models. The Twilio models parse the form body Twilio sends
(:meth:`TwilioWebhookPayload.from_form`) and write it back unchanged (``to_form``). Each name
loads its module on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_voice_shared._face import lazy_face

if TYPE_CHECKING:
    from ai_voice_shared.models._customer import CustomerMetadata
    from ai_voice_shared.models._media import StoredMedia
    from ai_voice_shared.models._s3 import (
        S3ListResponse,
        S3ObjectHead,
        S3ObjectMetadata,
        S3PresignedPost,
        S3WriteResult,
    )
    from ai_voice_shared.models._s3_event import (
        S3EventBucket,
        S3EventEntity,
        S3EventNotification,
        S3EventObject,
        S3EventRecord,
    )
    from ai_voice_shared.models._twilio import (
        MessageStatus,
        TwilioMedia,
        TwilioStatusCallback,
        TwilioWebhookPayload,
    )

__all__ = [
    "CustomerMetadata",
    "MessageStatus",
    "S3EventBucket",
    "S3EventEntity",
    "S3EventNotification",
    "S3EventObject",
    "S3EventRecord",
    "S3ListResponse",
    "S3ObjectHead",
    "S3ObjectMetadata",
    "S3PresignedPost",
    "S3WriteResult",
    "StoredMedia",
    "TwilioMedia",
    "TwilioStatusCallback",
    "TwilioWebhookPayload",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    {
        "._customer": ["CustomerMetadata"],
        "._media": ["StoredMedia"],
        "._s3_event": [
            "S3EventBucket",
            "S3EventEntity",
            "S3EventNotification",
            "S3EventObject",
            "S3EventRecord",
        ],
        "._s3": [
            "S3ListResponse",
            "S3ObjectHead",
            "S3ObjectMetadata",
            "S3PresignedPost",
            "S3WriteResult",
        ],
        "._twilio": [
            "MessageStatus",
            "TwilioMedia",
            "TwilioStatusCallback",
            "TwilioWebhookPayload",
        ],
    },
)
