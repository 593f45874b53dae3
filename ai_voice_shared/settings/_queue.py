"""Settings of the voice-note queue: ``VoiceNoteQueueSettings`` (``VOICE_NOTE_QUEUE_*``)."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import Field, SecretStr, field_validator

from ai_voice_shared.settings._base import EnvSettings, env

__all__ = ["VoiceNoteQueueSettings"]

#: SQS caps a message's visibility timeout at 12 hours.
MAX_VISIBILITY_SECONDS = 12 * 3600


class VoiceNoteQueueSettings(EnvSettings):
    """The SQS queue S3 notifies of new voice notes, and how the consumer reads it.

    Only ``VOICE_NOTE_QUEUE_URL`` is required. The region is ``VOICE_NOTE_QUEUE_REGION``, else
    the standard AWS variables, else the one in the queue's URL; credentials come from the
    standard AWS chain unless ``VOICE_NOTE_QUEUE_ACCESS_KEY_ID`` and
    ``VOICE_NOTE_QUEUE_SECRET_ACCESS_KEY`` are both set. ``VOICE_NOTE_QUEUE_ENDPOINT_URL``
    points at an SQS-compatible server (moto's, LocalStack).

    Each receive long-polls up to ``VOICE_NOTE_QUEUE_WAIT_SECONDS`` for up to
    ``VOICE_NOTE_QUEUE_BATCH_SIZE`` messages and hides them for
    ``VOICE_NOTE_QUEUE_VISIBILITY_TIMEOUT_SECONDS``, extended while a handler runs; a message
    whose handler failed is shown again after ``VOICE_NOTE_QUEUE_RETRY_DELAY_SECONDS``, doubled
    at each receive up to 15 minutes.
    """

    _what: ClassVar[str] = "voice-note queue settings"

    queue_url: str = Field(validation_alias=env("VOICE_NOTE_QUEUE_URL"))
    region: Annotated[str, Field(min_length=1)] | None = Field(
        None,
        validation_alias=env("VOICE_NOTE_QUEUE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    endpoint_url: str | None = Field(None, validation_alias=env("VOICE_NOTE_QUEUE_ENDPOINT_URL"))
    access_key_id: SecretStr | None = Field(
        None, validation_alias=env("VOICE_NOTE_QUEUE_ACCESS_KEY_ID")
    )
    secret_access_key: SecretStr | None = Field(
        None, validation_alias=env("VOICE_NOTE_QUEUE_SECRET_ACCESS_KEY")
    )
    wait_seconds: int = Field(
        20, ge=0, le=20, validation_alias=env("VOICE_NOTE_QUEUE_WAIT_SECONDS")
    )
    batch_size: int = Field(10, ge=1, le=10, validation_alias=env("VOICE_NOTE_QUEUE_BATCH_SIZE"))
    visibility_timeout_seconds: int = Field(
        60,
        ge=2,
        le=MAX_VISIBILITY_SECONDS,
        validation_alias=env("VOICE_NOTE_QUEUE_VISIBILITY_TIMEOUT_SECONDS"),
    )
    retry_delay_seconds: int = Field(
        30, ge=0, le=900, validation_alias=env("VOICE_NOTE_QUEUE_RETRY_DELAY_SECONDS")
    )

    @field_validator("queue_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/]+/\S+$", value):
            raise ValueError(
                f"{value!r} is not an SQS queue URL such as "
                "'https://sqs.eu-west-1.amazonaws.com/123456789012/voice-notes'"
            )
        return value

    @property
    def queue_name(self) -> str:
        """The queue's name (the last segment of its URL)."""
        return self.queue_url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def resolved_region(self) -> str | None:
        """``region``, else the region in an AWS queue URL (``sqs.<region>.amazonaws.com``)."""
        if self.region:
            return self.region
        found = re.match(r"^https?://sqs\.([a-z0-9-]+)\.amazonaws\.com", self.queue_url)
        return found.group(1) if found else None
