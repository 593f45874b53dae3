"""The data every AI Voice service exchanges: Twilio webhooks, customers and S3 objects.

All models are frozen pydantic v2 models. The Twilio models parse the form body Twilio sends
(:meth:`TwilioWebhookPayload.from_form`) and write it back unchanged (``to_form``).
"""

from __future__ import annotations

from ai_voice_shared.models._customer import CustomerMetadata
from ai_voice_shared.models._s3 import S3ListResponse, S3ObjectMetadata, S3PresignedPost
from ai_voice_shared.models._twilio import (
    MessageStatus,
    TwilioMedia,
    TwilioStatusCallback,
    TwilioWebhookPayload,
)

__all__ = [
    "CustomerMetadata",
    "MessageStatus",
    "S3ListResponse",
    "S3ObjectMetadata",
    "S3PresignedPost",
    "TwilioMedia",
    "TwilioStatusCallback",
    "TwilioWebhookPayload",
]
