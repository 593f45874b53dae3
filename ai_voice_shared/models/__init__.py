"""The data every AI Voice service exchanges: Twilio webhooks, customers and S3 objects.

All models are frozen pydantic v2 models. The Twilio models parse the form body Twilio sends
(:meth:`TwilioWebhookPayload.from_form`) and write it back unchanged (``to_form``). Each name
loads its module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ai_voice_shared.models._customer import CustomerMetadata
    from ai_voice_shared.models._media import StoredMedia
    from ai_voice_shared.models._s3 import (
        S3ListResponse,
        S3ObjectMetadata,
        S3PresignedPost,
        S3WriteResult,
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
    "S3ListResponse",
    "S3ObjectMetadata",
    "S3PresignedPost",
    "S3WriteResult",
    "StoredMedia",
    "TwilioMedia",
    "TwilioStatusCallback",
    "TwilioWebhookPayload",
]

_MODULES = {
    "CustomerMetadata": "_customer",
    "MessageStatus": "_twilio",
    "S3ListResponse": "_s3",
    "S3ObjectMetadata": "_s3",
    "S3PresignedPost": "_s3",
    "S3WriteResult": "_s3",
    "StoredMedia": "_media",
    "TwilioMedia": "_twilio",
    "TwilioStatusCallback": "_twilio",
    "TwilioWebhookPayload": "_twilio",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
