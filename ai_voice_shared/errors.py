"""Every exception ``ai_voice_shared`` raises, under one root.

The hierarchy::

    AiVoiceSharedError
    ├── ConfigurationError (also ValueError)       a setting or argument is unusable
    ├── InvalidTwilioPayloadError (also ValueError) a webhook body is not a valid Twilio payload
    └── InvalidTwilioSignatureError                X-Twilio-Signature does not match the request

Errors that report a bad value also subclass :class:`ValueError`, so code that already catches
``ValueError`` around parsing keeps working. Every message says what failed and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AiVoiceSharedError",
    "ConfigurationError",
    "InvalidTwilioPayloadError",
    "InvalidTwilioSignatureError",
]


class AiVoiceSharedError(Exception):
    """The root of every error raised by ``ai_voice_shared``."""


class ConfigurationError(AiVoiceSharedError, ValueError):
    """A setting or constructor argument cannot be used as given."""


class InvalidTwilioPayloadError(AiVoiceSharedError, ValueError):
    """A webhook body is not a valid Twilio payload.

    ``fields`` names the offending wire parameters (``"NumMedia"``, ``"MediaUrl1"``, ...) in the
    order they were reported; ``"<body>"`` stands for a problem with the body as a whole.
    """

    def __init__(self, message: str, *, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.fields: tuple[str, ...] = tuple(fields)


class InvalidTwilioSignatureError(AiVoiceSharedError):
    """The ``X-Twilio-Signature`` header does not match the request it came with."""
