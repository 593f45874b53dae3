"""Shared models, services and errors of the AI Voice Tool microservices.

>>> from ai_voice_shared import TwilioWebhookPayload
>>> payload = TwilioWebhookPayload.from_form(request_body)

Every public name resolves on first use (PEP 562), so a service pays only for what it imports:
``import ai_voice_shared`` never imports boto3, and ``from ai_voice_shared import
TwilioWebhookPayload`` does not build the S3 or lookup machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_voice_shared._face import lazy_face
from ai_voice_shared._version import __version__

if TYPE_CHECKING:
    from ai_voice_shared.deliveries import (
        DeliveryClaim,
        DeliveryGuard,
        DeliveryStore,
        MemoryDeliveryStore,
        RedisDeliveryStore,
        S3DeliveryStore,
        delivery_store,
    )
    from ai_voice_shared.errors import (
        AiVoiceSharedError,
        ConfigurationError,
        CustomerLookupConnectionError,
        CustomerLookupError,
        CustomerLookupResponseError,
        CustomerLookupStatusError,
        CustomerLookupTimeoutError,
        CustomerNotFoundError,
        DeliveryConflictError,
        DeliveryError,
        DeliveryInProgressError,
        DeliveryLeaseLostError,
        DeliveryStoreError,
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
        S3ObjectHead,
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
    from ai_voice_shared.settings import (
        CustomerLookupSettings,
        DeliverySettings,
        S3Settings,
        TwilioSettings,
    )
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
    "DeliveryClaim",
    "DeliveryConflictError",
    "DeliveryError",
    "DeliveryGuard",
    "DeliveryInProgressError",
    "DeliveryLeaseLostError",
    "DeliverySettings",
    "DeliveryStore",
    "DeliveryStoreError",
    "InvalidPhoneNumberError",
    "InvalidS3KeyError",
    "InvalidTwilioPayloadError",
    "InvalidTwilioSignatureError",
    "MediaConflictError",
    "MediaDownloadError",
    "MediaIngest",
    "MediaTooLargeError",
    "MemoryDeliveryStore",
    "MessageStatus",
    "RedisDeliveryStore",
    "S3AccessDeniedError",
    "S3BucketNotFoundError",
    "S3DeleteError",
    "S3DeliveryStore",
    "S3IntegrityError",
    "S3ListResponse",
    "S3ObjectExistsError",
    "S3ObjectHead",
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
    "delivery_store",
    "mask_phone_number",
    "messaging_response",
    "normalize_phone_number",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    {
        ".deliveries": [
            "DeliveryClaim",
            "DeliveryGuard",
            "DeliveryStore",
            "MemoryDeliveryStore",
            "RedisDeliveryStore",
            "S3DeliveryStore",
            "delivery_store",
        ],
        ".errors": [
            "AiVoiceSharedError",
            "ConfigurationError",
            "CustomerLookupConnectionError",
            "CustomerLookupError",
            "CustomerLookupResponseError",
            "CustomerLookupStatusError",
            "CustomerLookupTimeoutError",
            "CustomerNotFoundError",
            "DeliveryConflictError",
            "DeliveryError",
            "DeliveryInProgressError",
            "DeliveryLeaseLostError",
            "DeliveryStoreError",
            "InvalidPhoneNumberError",
            "InvalidS3KeyError",
            "InvalidTwilioPayloadError",
            "InvalidTwilioSignatureError",
            "MediaConflictError",
            "MediaDownloadError",
            "MediaTooLargeError",
            "S3AccessDeniedError",
            "S3BucketNotFoundError",
            "S3DeleteError",
            "S3IntegrityError",
            "S3ObjectExistsError",
            "S3ObjectNotFoundError",
            "S3ServiceClosedError",
            "S3ServiceError",
            "TwilioMediaError",
            "UntrustedMediaUrlError",
            "WebhookBodyTooLargeError",
        ],
        ".models": [
            "CustomerMetadata",
            "MessageStatus",
            "S3ListResponse",
            "S3ObjectHead",
            "S3ObjectMetadata",
            "S3PresignedPost",
            "S3WriteResult",
            "StoredMedia",
            "TwilioMedia",
            "TwilioStatusCallback",
            "TwilioWebhookPayload",
        ],
        ".phone": ["mask_phone_number", "normalize_phone_number"],
        ".services.async_s3_service": ["AsyncS3Service"],
        ".services.customer_lookup_client": ["AsyncCustomerLookupClient", "CustomerLookupClient"],
        ".services.media_ingest": ["AsyncMediaIngest", "MediaIngest"],
        ".services.s3_service": ["S3Service"],
        ".services.twilio_media_client": ["AsyncTwilioMediaClient", "TwilioMediaClient"],
        ".settings": [
            "CustomerLookupSettings",
            "DeliverySettings",
            "S3Settings",
            "TwilioSettings",
        ],
        ".twilio_signature": ["TwilioRequestValidator"],
        ".twiml": ["messaging_response"],
        ".webhooks": ["TwilioWebhookVerifier", "VerifiedWebhook"],
    },
)
