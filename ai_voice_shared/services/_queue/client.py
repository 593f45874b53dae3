"""The boto3 SQS client of the voice-note queue, and SQS errors as ``VoiceNoteQueueError``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ai_voice_shared._version import __version__
from ai_voice_shared.errors import VoiceNoteQueueError
from ai_voice_shared.settings._queue import VoiceNoteQueueSettings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["build_sqs_client", "queue_errors"]


def build_sqs_client(settings: VoiceNoteQueueSettings) -> SQSClient:
    """A boto3 SQS client for ``settings`` (its own session; standard retries; a read timeout
    above the long poll, so a 20 s ``WaitTimeSeconds`` is never cut as a timeout)."""
    config = Config(
        region_name=settings.resolved_region,
        retries={"mode": "standard", "total_max_attempts": 5},
        connect_timeout=5,
        read_timeout=settings.wait_seconds + 10,
        user_agent_extra=f"ai-voice-shared/{__version__}",
    )
    key_id, secret = settings.access_key_id, settings.secret_access_key
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=settings.endpoint_url,
        config=config,
        aws_access_key_id=key_id.get_secret_value() if key_id else None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
    )


@contextlib.contextmanager
def queue_errors(operation: str, queue_url: str) -> Iterator[None]:
    """Raise a failed SQS call as :class:`VoiceNoteQueueError` (the botocore error chained)."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        raise VoiceNoteQueueError(
            f"{operation} on the voice-note queue {queue_url} failed: SQS answered {code!r}. "
            "Check VOICE_NOTE_QUEUE_URL and the consumer's IAM permissions "
            "(docs/voice-note-events.md#iam-permissions).",
            operation=operation,
            code=code,
        ) from exc
    except BotoCoreError as exc:
        raise VoiceNoteQueueError(
            f"{operation} on the voice-note queue {queue_url} failed: {exc}. The consumer tries "
            "again after a pause (docs/voice-note-events.md#the-consumer).",
            operation=operation,
        ) from exc
