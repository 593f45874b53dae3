"""``AsyncVoiceNoteConsumer``: the voice-note queue read in a task, the heartbeat in another.

The twin of :mod:`.consumer`: the same decisions
(:class:`~ai_voice_shared.services._queue.core.ConsumerCore`), an ``async`` handler, and the
boto3 calls run in a worker thread (``asyncio.to_thread``): S3 and SQS stay on boto3.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ai_voice_shared._clock import get_clock
from ai_voice_shared.errors import VoiceNoteQueueError
from ai_voice_shared.models._s3_event import S3EventRecord
from ai_voice_shared.services._queue.client import build_sqs_client, queue_errors
from ai_voice_shared.services._queue.consumer import RECEIVE_PAUSE
from ai_voice_shared.services._queue.core import (
    ConsumerCore,
    ConsumerReport,
    Received,
    logger,
)
from ai_voice_shared.settings._queue import VoiceNoteQueueSettings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["AsyncVoiceNoteConsumer"]


class AsyncVoiceNoteConsumer:
    """The asyncio twin of :class:`~ai_voice_shared.VoiceNoteConsumer`: ``handle`` is a
    coroutine function; everything else (batches, heartbeat, partial failure, dedupe, a stop
    that finishes the running ``handle`` and gives the rest back) is the same.

    >>> consumer = AsyncVoiceNoteConsumer(handle)
    >>> await consumer.run(handle_signals=True)
    """

    def __init__(
        self,
        handle: Callable[[S3EventRecord], Awaitable[object]],
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
        self._stopping = asyncio.Event()

    def __repr__(self) -> str:
        return f"AsyncVoiceNoteConsumer(queue_url={self.settings.queue_url!r})"

    # -- the loop -------------------------------------------------------------------------------

    async def run(self, *, handle_signals: bool = False, max_polls: int | None = None) -> None:
        """Poll until :meth:`stop` (or SIGTERM / SIGINT with ``handle_signals=True``), or
        ``max_polls`` polls; a stop during a batch finishes the running ``handle`` and gives
        the rest of the batch back at once (visibility 0)."""
        polls = 0
        with self._signals() if handle_signals else contextlib.nullcontext():
            while not self._stopping.is_set() and (max_polls is None or polls < max_polls):
                polls += 1
                try:
                    await self.poll()
                except VoiceNoteQueueError:
                    logger.exception("voice-note queue: poll failed; again in %s s", RECEIVE_PAUSE)
                    await get_clock().async_wait(self._stopping, RECEIVE_PAUSE)

    def stop(self) -> None:
        """Ask :meth:`run` to stop after the ``handle`` running now (from the loop's thread)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopping.is_set()

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        try:
            yield
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    # -- one batch ------------------------------------------------------------------------------

    async def poll(self) -> ConsumerReport:
        """Receive one batch (long polling) and handle it; :class:`VoiceNoteQueueError` if the
        receive fails (nothing was handed over then)."""
        report = ConsumerReport()
        with queue_errors("ReceiveMessage", self.settings.queue_url):
            answer = await asyncio.to_thread(
                self.client.receive_message, **self._core.receive_args()
            )
        batch = [self._core.read(message) for message in answer.get("Messages", [])]
        if not batch:
            return report
        # Extended by the heartbeat until deleted: handled ones too, until the batch delete.
        inflight = {received.message_id: received.receipt for received in batch}
        done: dict[str, str] = {}
        retry: dict[str, tuple[str, int]] = {}
        async with self._heartbeat(inflight):
            for received in batch:
                if self._stopping.is_set():
                    break
                if await self._handle(received, report):
                    done[received.message_id] = received.receipt
                else:
                    del inflight[received.message_id]
                    retry[received.message_id] = (
                        received.receipt,
                        self._core.retry_delay(received),
                    )
        released = {mid: r for mid, r in inflight.items() if mid not in done}
        await self._delete(done, report)
        await self._change(retry)
        await self._change({mid: (receipt, 0) for mid, receipt in released.items()})
        report.released.extend(released)
        return report

    async def _handle(self, received: Received, report: ConsumerReport) -> bool:
        """Hand the fresh records of one message over; whether it may be deleted."""
        if received.error is not None:
            report.poison.append(received.message_id)
            return False
        for record in self._core.fresh(received, report):
            try:
                await self.handle(record)
            except Exception:
                self._core.failed(received, record, report)
                return False
            self._core.handled(record, report)
        return True

    async def _delete(self, done: dict[str, str], report: ConsumerReport) -> None:
        if not done:
            return
        with queue_errors("DeleteMessageBatch", self.settings.queue_url):
            answer = await asyncio.to_thread(
                self.client.delete_message_batch,
                QueueUrl=self.settings.queue_url,
                Entries=self._core.entries(done),
            )
        ids = list(done)
        for failed in answer.get("Failed", []):
            logger.warning(
                "voice-note queue: delete of %s failed: %s", ids[int(failed["Id"])], failed
            )
        report.deleted.extend(ids[int(ok["Id"])] for ok in answer.get("Successful", []))

    async def _change(self, receipts: dict[str, tuple[str, int]]) -> None:
        """Set the visibility of each message (best effort: a failure only delays it)."""
        if not receipts:
            return
        entries: Any = [
            {"Id": str(index), "ReceiptHandle": receipt, "VisibilityTimeout": seconds}
            for index, (receipt, seconds) in enumerate(receipts.values())
        ]
        try:
            with queue_errors("ChangeMessageVisibilityBatch", self.settings.queue_url):
                await asyncio.to_thread(
                    self.client.change_message_visibility_batch,
                    QueueUrl=self.settings.queue_url,
                    Entries=entries,
                )
        except VoiceNoteQueueError:
            logger.warning("voice-note queue: could not change visibility", exc_info=True)

    @contextlib.asynccontextmanager
    async def _heartbeat(self, inflight: dict[str, str]) -> AsyncIterator[None]:
        """While the block runs, extend the visibility of the messages still ``inflight``."""
        finished = asyncio.Event()
        interval = self._core.heartbeat_interval()
        seconds = self.settings.visibility_timeout_seconds

        async def beat() -> None:
            clock = get_clock()
            while not await clock.async_wait(finished, interval):
                await self._change({mid: (receipt, seconds) for mid, receipt in inflight.items()})

        task = asyncio.create_task(beat(), name="voice-note-heartbeat")
        try:
            yield
        finally:
            finished.set()
            await task

    # -- lifetime -------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the SQS client if this consumer built it."""
        if self._owns_client:
            self.client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
