"""Settings read from the environment (and a ``.env`` file), one class per concern.

Every field is read from exactly the environment variable named in its alias (case-insensitive),
so the names documented in docs/settings.md are the names that work. Invalid or missing values raise
:class:`~ai_voice_shared.errors.ConfigurationError` naming the variable. Secrets are
``SecretStr``: they never appear in ``repr`` or logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_voice_shared._face import lazy_face

if TYPE_CHECKING:
    from ai_voice_shared.settings._delivery import DeliverySettings
    from ai_voice_shared.settings._lookup import CustomerLookupSettings
    from ai_voice_shared.settings._queue import VoiceNoteQueueSettings
    from ai_voice_shared.settings._s3 import S3Settings
    from ai_voice_shared.settings._twilio import TwilioSettings

__all__ = [
    "CustomerLookupSettings",
    "DeliverySettings",
    "S3Settings",
    "TwilioSettings",
    "VoiceNoteQueueSettings",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    {
        "._delivery": ["DeliverySettings"],
        "._lookup": ["CustomerLookupSettings"],
        "._queue": ["VoiceNoteQueueSettings"],
        "._s3": ["S3Settings"],
        "._twilio": ["TwilioSettings"],
    },
)
