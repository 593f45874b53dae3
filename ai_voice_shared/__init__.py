"""Shared models, services and errors of the AI Voice Tool microservices.

>>> from ai_voice_shared import TwilioWebhookPayload
>>> payload = TwilioWebhookPayload.from_form(request_body)

Every public name resolves on first use (PEP 562), so a service pays only for what it imports:
``import ai_voice_shared`` never imports boto3, and ``from ai_voice_shared import
TwilioWebhookPayload`` does not build the S3 or lookup machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ai_voice_shared._version import __version__

if TYPE_CHECKING:
    from ai_voice_shared.deliveries import DeliveryGuard
    from ai_voice_shared.errors import (
        AiVoiceSharedError,
        ConfigurationError,
        CustomerLookupConnectionError,
        CustomerLookupError,
        CustomerLookupResponseError,
        CustomerLookupStatusError,
        CustomerLookupTimeoutError,
        CustomerNotFoundError,
        DeliveryInProgressError,
        InvalidPhoneNumberError,
        InvalidS3KeyError,
        InvalidTwilioPayloadError,
        InvalidTwilioSignatureError,
        MediaConflictError,
        MediaDownloadError,
        MediaTooLargeError,
        S3AccessDeniedError,
        S3BucketNotFoundError,
        S3DeleteError,
        S3IntegrityError,
        S3ObjectExistsError,
        S3ObjectNotFoundError,
        S3ServiceClosedError,
        S3ServiceError,
        TwilioMediaError,
        UntrustedMediaUrlError,
        WebhookBodyTooLargeError,
    )
    from ai_voice_shared.models import (
        CustomerMetadata,
        MessageStatus,
        S3ListResponse,
        S3ObjectMetadata,
        S3PresignedPost,
        S3WriteResult,
        StoredMedia,
        TwilioMedia,
        TwilioStatusCallback,
        TwilioWebhookPayload,
    )
    from ai_voice_shared.phone import mask_phone_number, normalize_phone_number
    from ai_voice_shared.services.async_s3_service import AsyncS3Service
    from ai_voice_shared.services.customer_lookup_client import (
        AsyncCustomerLookupClient,
        CustomerLookupClient,
    )
    from ai_voice_shared.services.media_ingest import AsyncMediaIngest, MediaIngest
    from ai_voice_shared.services.s3_service import S3Service
    from ai_voice_shared.services.twilio_media_client import (
        AsyncTwilioMediaClient,
        TwilioMediaClient,
    )
    from ai_voice_shared.settings import CustomerLookupSettings, S3Settings, TwilioSettings
    from ai_voice_shared.twilio_signature import TwilioRequestValidator
    from ai_voice_shared.twiml import messaging_response
    from ai_voice_shared.webhooks import TwilioWebhookVerifier, VerifiedWebhook

__all__ = [
    "AiVoiceSharedError",
    "AsyncCustomerLookupClient",
    "AsyncMediaIngest",
    "AsyncS3Service",
    "AsyncTwilioMediaClient",
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
    "DeliveryGuard",
    "DeliveryInProgressError",
    "InvalidPhoneNumberError",
    "InvalidS3KeyError",
    "InvalidTwilioPayloadError",
    "InvalidTwilioSignatureError",
    "MediaConflictError",
    "MediaDownloadError",
    "MediaIngest",
    "MediaTooLargeError",
    "MessageStatus",
    "S3AccessDeniedError",
    "S3BucketNotFoundError",
    "S3DeleteError",
    "S3IntegrityError",
    "S3ListResponse",
    "S3ObjectExistsError",
    "S3ObjectMetadata",
    "S3ObjectNotFoundError",
    "S3PresignedPost",
    "S3Service",
    "S3ServiceClosedError",
    "S3ServiceError",
    "S3Settings",
    "S3WriteResult",
    "StoredMedia",
    "TwilioMedia",
    "TwilioMediaClient",
    "TwilioMediaError",
    "TwilioRequestValidator",
    "TwilioSettings",
    "TwilioStatusCallback",
    "TwilioWebhookPayload",
    "TwilioWebhookVerifier",
    "UntrustedMediaUrlError",
    "VerifiedWebhook",
    "WebhookBodyTooLargeError",
    "__version__",
    "mask_phone_number",
    "messaging_response",
    "normalize_phone_number",
]

# Where each public name lives; the module is imported when the name is first used.
_MODULES = {
    "AsyncCustomerLookupClient": "services.customer_lookup_client",
    "DeliveryGuard": "deliveries",
    "TwilioWebhookVerifier": "webhooks",
    "VerifiedWebhook": "webhooks",
    "messaging_response": "twiml",
    "AsyncMediaIngest": "services.media_ingest",
    "AsyncS3Service": "services.async_s3_service",
    "AsyncTwilioMediaClient": "services.twilio_media_client",
    "MediaIngest": "services.media_ingest",
    "StoredMedia": "models",
    "TwilioMediaClient": "services.twilio_media_client",
    "TwilioSettings": "settings",
    "CustomerLookupClient": "services.customer_lookup_client",
    "CustomerLookupSettings": "settings",
    "CustomerMetadata": "models",
    "MessageStatus": "models",
    "S3ListResponse": "models",
    "S3ObjectMetadata": "models",
    "S3PresignedPost": "models",
    "S3WriteResult": "models",
    "S3Service": "services.s3_service",
    "S3Settings": "settings",
    "TwilioMedia": "models",
    "TwilioRequestValidator": "twilio_signature",
    "TwilioStatusCallback": "models",
    "TwilioWebhookPayload": "models",
    "mask_phone_number": "phone",
    "normalize_phone_number": "phone",
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        module = _MODULES[name]
    elif name in __all__:
        module = "errors"
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
