"""Voice notes handed over by events: S3 ``ObjectCreated`` notifications on an SQS queue.

- :class:`VoiceNoteConsumer` / :class:`AsyncVoiceNoteConsumer`: read the queue (long polling,
  batches of 10, a heartbeat while a handler runs, delete after success only, partial batch
  failure, poison messages left to the dead-letter queue, a graceful stop on SIGTERM);
- :func:`configure_voice_note_notifications`: make the bucket notify the queue;
- :class:`VoiceNoteSweep`: listing as reconciliation, for a note whose event was lost.

The engines are the private family :mod:`ai_voice_shared.services._queue`. Importing this
module imports boto3; ``from ai_voice_shared import VoiceNoteConsumer`` defers that to first use.
See docs/voice-note-events.md.
"""

from __future__ import annotations

from ai_voice_shared.services._queue.aconsumer import AsyncVoiceNoteConsumer
from ai_voice_shared.services._queue.consumer import VoiceNoteConsumer
from ai_voice_shared.services._queue.core import ConsumerReport
from ai_voice_shared.services._queue.notifications import configure_voice_note_notifications
from ai_voice_shared.services._queue.sweep import VoiceNoteSweep

__all__ = [
    "AsyncVoiceNoteConsumer",
    "ConsumerReport",
    "VoiceNoteConsumer",
    "VoiceNoteSweep",
    "configure_voice_note_notifications",
]
