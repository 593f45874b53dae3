"""The sans-IO core of both voice-note consumers: what to do with each message received.

:class:`ConsumerCore` makes every decision (:class:`VoiceNoteConsumer` and
:class:`AsyncVoiceNoteConsumer` only do the I/O, one with threads, one with tasks):

- :meth:`ConsumerCore.read` parses a received message into a :class:`Received`: its S3 event
  records to hand over, the ``s3:TestEvent`` to drop, or the parse error of a poison body;
- :meth:`ConsumerCore.fresh` leaves out the records already handled (at-least-once delivery:
  a duplicate is the same bucket, key and ETag) and those that are no ``ObjectCreated``;
- :meth:`ConsumerCore.retry_delay` says how long a failed message stays hidden before its next
  delivery, doubling at each receive up to 15 minutes; a poison body is shown again at once,
  so it reaches the dead-letter queue after ``maxReceiveCount`` receives without waiting;
- :meth:`ConsumerCore.heartbeat_interval`: how often the visibility of a batch still being
  handled is extended (a third of the visibility timeout).

Nothing here deletes a message that was not handled: only a handled message (or a test event,
or one whose records were all duplicates) is acknowledged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from cachetools import TTLCache

from ai_voice_shared.errors import InvalidS3EventError
from ai_voice_shared.models._s3_event import S3EventNotification, S3EventRecord
from ai_voice_shared.settings._queue import VoiceNoteQueueSettings

__all__ = ["MAX_RETRY_DELAY", "ConsumerCore", "ConsumerReport", "Received"]

logger = logging.getLogger("ai_voice_shared.voice_note_queue")

#: A failed message is hidden at most this long before its next delivery.
MAX_RETRY_DELAY = 900
#: Identities (bucket, key, ETag) remembered as handled, and for how long (seconds).
DEDUPE_SIZE = 100_000
DEDUPE_TTL = 24 * 3600.0


class Received:
    """One message as received: its receipt handle, receive count and what its body holds."""

    __slots__ = ("body", "error", "message_id", "notification", "receipt", "receive_count")

    def __init__(self, message: Mapping[str, Any]) -> None:
        self.message_id: str = str(message.get("MessageId", ""))
        self.receipt: str = str(message["ReceiptHandle"])
        attributes = message.get("Attributes") or {}
        self.receive_count = int(attributes.get("ApproximateReceiveCount", 1))
        self.body: str = str(message.get("Body", ""))
        self.notification: S3EventNotification | None = None
        self.error: InvalidS3EventError | None = None
        try:
            self.notification = S3EventNotification.parse(self.body)
        except InvalidS3EventError as exc:
            self.error = exc

    def __repr__(self) -> str:
        return f"Received(message_id={self.message_id!r}, receive_count={self.receive_count})"


class ConsumerReport:
    """What one :meth:`~VoiceNoteConsumer.poll` did, message by message.

    ``handled``: the records handed to the handler that returned; ``duplicates``: records
    already handled (acknowledged, not handed over again); ``skipped``: test events and records
    that are not ``ObjectCreated``; ``failed``: message ids whose handler raised (shown again
    later); ``poison``: message ids whose body is no S3 event (left to the dead-letter queue);
    ``released``: message ids given back unhandled because the consumer was stopping;
    ``deleted``: message ids acknowledged.
    """

    __slots__ = ("deleted", "duplicates", "failed", "handled", "poison", "released", "skipped")

    def __init__(self) -> None:
        self.handled: list[S3EventRecord] = []
        self.duplicates: list[S3EventRecord] = []
        self.skipped = 0
        self.failed: list[str] = []
        self.poison: list[str] = []
        self.released: list[str] = []
        self.deleted: list[str] = []

    def __repr__(self) -> str:
        return (
            f"ConsumerReport(handled={len(self.handled)}, duplicates={len(self.duplicates)}, "
            f"skipped={self.skipped}, failed={self.failed}, poison={self.poison}, "
            f"released={self.released}, deleted={len(self.deleted)})"
        )


class ConsumerCore:
    """The decisions both consumers share (see the module docstring)."""

    def __init__(self, settings: VoiceNoteQueueSettings, *, dedupe: bool = True) -> None:
        self.settings = settings
        self._seen: TTLCache[tuple[str, str, str], bool] | None = (
            TTLCache(maxsize=DEDUPE_SIZE, ttl=DEDUPE_TTL) if dedupe else None
        )
        self._lock = threading.Lock()

    def receive_args(self) -> dict[str, Any]:
        """The arguments of each ReceiveMessage (long polling, a batch, the visibility)."""
        return {
            "QueueUrl": self.settings.queue_url,
            "MaxNumberOfMessages": self.settings.batch_size,
            "WaitTimeSeconds": self.settings.wait_seconds,
            "VisibilityTimeout": self.settings.visibility_timeout_seconds,
            "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
        }

    def read(self, message: Mapping[str, Any]) -> Received:
        """Parse one received message (never raises for its body: see ``Received.error``)."""
        received = Received(message)
        if received.error is not None:
            logger.error(
                "voice-note queue: message %s (receive %d) is poison, left to the dead-letter "
                "queue: %s",
                received.message_id,
                received.receive_count,
                received.error,
            )
        return received

    def fresh(self, received: Received, report: ConsumerReport) -> list[S3EventRecord]:
        """The records of ``received`` to hand over: ``ObjectCreated`` ones not yet handled."""
        notification = received.notification
        if notification is None:
            return []
        if notification.is_test_event:
            report.skipped += 1
            return []
        fresh: list[S3EventRecord] = []
        for record in notification.records:
            if not record.is_object_created:
                report.skipped += 1
            elif self.seen(record):
                report.duplicates.append(record)
            else:
                fresh.append(record)
        return fresh

    def seen(self, record: S3EventRecord) -> bool:
        """Whether this object version was handled already (by this consumer)."""
        if self._seen is None:
            return False
        with self._lock:
            return record.identity in self._seen

    def remember(self, record: S3EventRecord) -> None:
        """Record a handled object version, so that its redelivery is not handed over again."""
        if self._seen is not None:
            with self._lock:
                self._seen[record.identity] = True

    def handled(self, record: S3EventRecord, report: ConsumerReport) -> None:
        """A record its handler took: remembered (dedupe) and counted."""
        self.remember(record)
        report.handled.append(record)

    def failed(self, received: Received, record: S3EventRecord, report: ConsumerReport) -> None:
        """A record whose handler raised (call from the ``except``, so the traceback is
        logged): counted; its message is shown again after :meth:`retry_delay`."""
        logger.exception(
            "voice-note queue: handling s3://%s/%s failed (receive %d); shown again in %d s",
            record.bucket,
            record.key,
            received.receive_count,
            self.retry_delay(received),
        )
        report.failed.append(received.message_id)

    def retry_delay(self, received: Received) -> int:
        """Seconds a message whose handler failed stays hidden (0 for a poison body)."""
        if received.error is not None:
            return 0
        base = self.settings.retry_delay_seconds
        return int(min(base * 2 ** max(received.receive_count - 1, 0), MAX_RETRY_DELAY))

    def heartbeat_interval(self) -> float:
        """Seconds between two extensions of a batch still being handled."""
        return max(self.settings.visibility_timeout_seconds / 3, 1.0)

    @staticmethod
    def entries(receipts: Mapping[str, str], **extra: Any) -> Any:
        """Batch entries (``Id``, ``ReceiptHandle``, ...) for at most 10 receipts by id."""
        return [
            {"Id": str(index), "ReceiptHandle": receipt, **extra}
            for index, receipt in enumerate(receipts.values())
        ]
