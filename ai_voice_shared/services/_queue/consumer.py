"""``VoiceNoteConsumer``: the voice-note queue read in this thread, the heartbeat in another.

The decisions are :class:`~ai_voice_shared.services._queue.core.ConsumerCore`'s; this module
only does the SQS calls and the waiting (on the library's clock, so tests wait for nothing).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Self

from ai_voice_shared._clock import get_clock
from ai_voice_shared.errors import VoiceNoteQueueError
from ai_voice_shared.models._s3_event import S3EventRecord
from ai_voice_shared.services._queue.client import build_sqs_client, queue_errors
from ai_voice_shared.services._queue.core import (
    ConsumerCore,
    ConsumerReport,
    Received,
    logger,
)
from ai_voice_shared.settings._queue import VoiceNoteQueueSettings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["VoiceNoteConsumer"]

#: After a failed ReceiveMessage, ``run`` waits this long before the next.
RECEIVE_PAUSE = 5.0


class VoiceNoteConsumer:
    """Hands each new voice note's S3 event to ``handle``, deleting its message only after
    ``handle`` returned.

    >>> consumer = VoiceNoteConsumer(handle)      # settings from VOICE_NOTE_QUEUE_* variables
    >>> consumer.run(handle_signals=True)         # until SIGTERM / SIGINT, or consumer.stop()

    Each :meth:`poll` long-polls for a batch (up to 10), hands every fresh ``ObjectCreated``
    record over in order, extends the visibility of the batch while ``handle`` runs, deletes
    the messages handled in one ``DeleteMessageBatch`` and shows the failed ones again later:
    one failure never redelivers the others. Delivery is at least once: a record already
    handled (same bucket, key and ETag) is acknowledged without calling ``handle`` again, but a
    redelivery to another replica or after a restart calls it again, so ``handle`` must be
    idempotent (write its result under a key derived from the note's, conditionally).
    """

    def __init__(
        self,
        handle: Callable[[S3EventRecord], object],
        *,
        settings: VoiceNoteQueueSettings | None = None,
        client: SQSClient | None = None,
        dedupe: bool = True,
    ) -> None:
        self.settings = settings if settings is not None else VoiceNoteQueueSettings()
        self.handle = handle
        self._owns_client = client is None
        self.client: SQSClient = client if client is not None else build_sqs_client(self.settings)
        self._core = ConsumerCore(self.settings, dedupe=dedupe)
        self._stopping = threading.Event()

    def __repr__(self) -> str:
        return f"VoiceNoteConsumer(queue_url={self.settings.queue_url!r})"

    # -- the loop -------------------------------------------------------------------------------

    def run(self, *, handle_signals: bool = False, max_polls: int | None = None) -> None:
        """Poll until :meth:`stop` (or SIGTERM / SIGINT with ``handle_signals=True``, from the
        main thread), or ``max_polls`` polls. A stop during a batch lets the running ``handle``
        finish (its message is deleted) and gives the rest back at once (visibility 0)."""
        polls = 0
        with self._signals() if handle_signals else contextlib.nullcontext():
            while not self._stopping.is_set() and (max_polls is None or polls < max_polls):
                polls += 1
                try:
                    self.poll()
                except VoiceNoteQueueError:
                    logger.exception("voice-note queue: poll failed; again in %s s", RECEIVE_PAUSE)
                    get_clock().wait(self._stopping, RECEIVE_PAUSE)

    def stop(self) -> None:
        """Ask :meth:`run` to stop after the ``handle`` running now (safe from any thread)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopping.is_set()

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        def on_signal(signum: int, frame: FrameType | None) -> None:
            logger.info("voice-note queue: signal %d, stopping after the current note", signum)
            self.stop()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # -- one batch ------------------------------------------------------------------------------

    def poll(self) -> ConsumerReport:
        """Receive one batch (long polling) and handle it; :class:`VoiceNoteQueueError` if the
        receive fails (nothing was handed over then)."""
        report = ConsumerReport()
        with queue_errors("ReceiveMessage", self.settings.queue_url):
            answer = self.client.receive_message(**self._core.receive_args())
        batch = [self._core.read(message) for message in answer.get("Messages", [])]
        if not batch:
            return report
        # Extended by the heartbeat until deleted: handled ones too, until the batch delete.
        inflight = {received.message_id: received.receipt for received in batch}
        done: dict[str, str] = {}
        retry: dict[str, tuple[str, int]] = {}
        with self._heartbeat(inflight):
            for received in batch:
                if self._stopping.is_set():
                    break
                if self._handle(received, report):
                    done[received.message_id] = received.receipt
                else:
                    del inflight[received.message_id]
                    retry[received.message_id] = (
                        received.receipt,
                        self._core.retry_delay(received),
                    )
        released = {mid: r for mid, r in inflight.items() if mid not in done}
        self._delete(done, report)
        self._change(retry)
        self._change({mid: (receipt, 0) for mid, receipt in released.items()})
        report.released.extend(released)
        return report

    def _handle(self, received: Received, report: ConsumerReport) -> bool:
        """Hand the fresh records of one message over; whether it may be deleted."""
        if received.error is not None:
            report.poison.append(received.message_id)
            return False
        for record in self._core.fresh(received, report):
            try:
                self.handle(record)
            except Exception:
                self._core.failed(received, record, report)
                return False
            self._core.handled(record, report)
        return True

    def _delete(self, done: dict[str, str], report: ConsumerReport) -> None:
        if not done:
            return
        with queue_errors("DeleteMessageBatch", self.settings.queue_url):
            answer = self.client.delete_message_batch(
                QueueUrl=self.settings.queue_url, Entries=self._core.entries(done)
            )
        ids = list(done)
        for failed in answer.get("Failed", []):
            # Left in the queue: it is delivered again, and dropped as a duplicate then.
            logger.warning(
                "voice-note queue: delete of %s failed: %s", ids[int(failed["Id"])], failed
            )
        report.deleted.extend(ids[int(ok["Id"])] for ok in answer.get("Successful", []))

    def _change(self, receipts: dict[str, tuple[str, int]]) -> None:
        """Set the visibility of each message (best effort: a failure only delays it)."""
        if not receipts:
            return
        entries: Any = [
            {"Id": str(index), "ReceiptHandle": receipt, "VisibilityTimeout": seconds}
            for index, (receipt, seconds) in enumerate(receipts.values())
        ]
        try:
            with queue_errors("ChangeMessageVisibilityBatch", self.settings.queue_url):
                self.client.change_message_visibility_batch(
                    QueueUrl=self.settings.queue_url,
                    Entries=entries,
                )
        except VoiceNoteQueueError:
            logger.warning("voice-note queue: could not change visibility", exc_info=True)

    @contextlib.contextmanager
    def _heartbeat(self, inflight: dict[str, str]) -> Iterator[None]:
        """While the block runs, extend the visibility of the messages still ``inflight``."""
        finished = threading.Event()
        interval = self._core.heartbeat_interval()
        seconds = self.settings.visibility_timeout_seconds

        def beat() -> None:
            clock = get_clock()
            while not clock.wait(finished, interval):
                receipts = {mid: (receipt, seconds) for mid, receipt in list(inflight.items())}
                self._change(receipts)

        thread = threading.Thread(target=beat, name="voice-note-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            finished.set()
            thread.join()

    # -- lifetime -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the SQS client if this consumer built it."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
