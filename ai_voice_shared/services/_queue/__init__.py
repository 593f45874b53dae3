"""The voice-note queue family behind :mod:`ai_voice_shared.services.voice_note_queue`.

From the bottom up (each module imports only modules listed before it):

- :mod:`.client`: the boto3 SQS client from ``VoiceNoteQueueSettings``, SQS errors translated;
- :mod:`.core`: the sans-IO decisions both consumers share (parse, dedupe, retry delay,
  heartbeat interval) and the :class:`ConsumerReport` of a poll;
- :mod:`.consumer`: :class:`VoiceNoteConsumer` (threads); :mod:`.aconsumer`: its asyncio twin;
- :mod:`.notifications`: the bucket's notification configuration and the queue's policy;
- :mod:`.sweep`: :class:`VoiceNoteSweep`, listing as reconciliation.
"""

from __future__ import annotations
