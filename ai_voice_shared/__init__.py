"""Shared models, services and errors of the AI Voice Tool microservices.

>>> from ai_voice_shared import TwilioWebhookPayload
>>> payload = TwilioWebhookPayload.from_form(request_body)

``S3Service`` resolves lazily: ``import ai_voice_shared`` never imports boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ai_voice_shared._version import __version__
from ai_voice_shared.errors import (
    AiVoiceSharedError,
    ConfigurationError,
    CustomerLookupConnectionError,
    CustomerLookupError,
    CustomerLookupResponseError,
    CustomerLookupStatusError,
    CustomerLookupTimeoutError,
    CustomerNotFoundError,
    InvalidPhoneNumberError,
    InvalidS3KeyError,
    InvalidTwilioPayloadError,
    InvalidTwilioSignatureError,
    S3AccessDeniedError,
    S3BucketNotFoundError,
    S3DeleteError,
    S3ObjectExistsError,
    S3ObjectNotFoundError,
    S3ServiceError,
)
from ai_voice_shared.models import (
    CustomerMetadata,
    MessageStatus,
    S3ListResponse,
    S3ObjectMetadata,
    S3PresignedPost,
    TwilioMedia,
    TwilioStatusCallback,
    TwilioWebhookPayload,
)
from ai_voice_shared.phone import mask_phone_number, normalize_phone_number
from ai_voice_shared.services.customer_lookup_client import (
    AsyncCustomerLookupClient,
    CustomerLookupClient,
)
from ai_voice_shared.settings import CustomerLookupSettings, S3Settings
from ai_voice_shared.twilio_signature import TwilioRequestValidator

if TYPE_CHECKING:
    from ai_voice_shared.services.s3_service import S3Service

__all__ = [
    "AiVoiceSharedError",
    "AsyncCustomerLookupClient",
    "ConfigurationError",
    "CustomerLookupClient",
    "CustomerLookupConnectionError",
    "CustomerLookupError",
    "CustomerLookupResponseError",
    "CustomerLookupSettings",
    "CustomerLookupStatusError",
    "CustomerLookupTimeoutError",
    "CustomerMetadata",
    "CustomerNotFoundError",
    "InvalidPhoneNumberError",
    "InvalidS3KeyError",
    "InvalidTwilioPayloadError",
    "InvalidTwilioSignatureError",
    "MessageStatus",
    "S3AccessDeniedError",
    "S3BucketNotFoundError",
    "S3DeleteError",
    "S3ListResponse",
    "S3ObjectExistsError",
    "S3ObjectMetadata",
    "S3ObjectNotFoundError",
    "S3PresignedPost",
    "S3Service",
    "S3ServiceError",
    "S3Settings",
    "TwilioMedia",
    "TwilioRequestValidator",
    "TwilioStatusCallback",
    "TwilioWebhookPayload",
    "__version__",
    "mask_phone_number",
    "normalize_phone_number",
]


def __getattr__(name: str) -> Any:
    # boto3 costs ~100 ms to import; load it only when S3Service is first used.
    if name == "S3Service":
        from ai_voice_shared.services.s3_service import S3Service

        return S3Service
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
