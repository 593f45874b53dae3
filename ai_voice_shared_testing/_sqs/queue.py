"""The handle of one fresh test queue and its dead-letter queue: :class:`SqsQueue`.

Helpers to send, count and read back messages, the calls every client made about the queue,
fault injection, and the messages received but never acknowledged (through
:class:`~ai_voice_shared_testing._sqs.faults.SqsFaultInjector`). :func:`fresh_queue` creates
the pair on moto in-process (inside the ``s3_bucket``'s moto when there is one) and removes it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from ai_voice_shared.settings import VoiceNoteQueueSettings
from ai_voice_shared_testing._extras import require
from ai_voice_shared_testing._s3.botocore_hooks import install
from ai_voice_shared_testing._s3.moto_stubber import moto_stubber
from ai_voice_shared_testing._sqs.faults import SqsCall, SqsFaultInjector
from ai_voice_shared_testing._sqs.moto import create_queue_pair, on_library_clock

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from ai_voice_shared.models import S3EventNotification, S3EventRecord
    from ai_voice_shared.services.voice_note_queue import (
        AsyncVoiceNoteConsumer,
        VoiceNoteConsumer,
    )

__all__ = ["DEFAULT_MAX_RECEIVE_COUNT", "SqsQueue", "fresh_queue", "shared_client"]

#: Receives before SQS moves a message to the dead-letter queue, in tests.
DEFAULT_MAX_RECEIVE_COUNT = 3
REGION = "eu-west-1"

_client: SQSClient | None = None


def shared_client() -> SQSClient:
    """One boto3 SQS client for every test queue of the process (a client costs ~100 ms)."""
    global _client
    if _client is None:
        install()  # first, so that this client is watched like every later one
        from ai_voice_shared.hooks import build_sqs_client

        _client = build_sqs_client(
            VoiceNoteQueueSettings(
                queue_url=f"https://sqs.{REGION}.amazonaws.com/123456789012/aivs",
                region=REGION,
                access_key_id="testing",
                secret_access_key="testing",
            )
        )
    return _client


class SqsQueue:
    """A fresh queue with its dead-letter queue, for one test.

    ``url`` / ``dlq_url``, ``settings`` (``VoiceNoteQueueSettings`` that reach it), ``client``
    (boto3, shared), ``consumer(handle)``, ``send()``, ``depth()``, ``dead_letters()``,
    ``calls``, ``fail(operation, ...)`` and ``unacknowledged()``. Calls, faults and tracking
    cover every boto3 client of the test. S3 notifies it after ``s3_bucket.notify(queue)``.
    """

    def __init__(
        self, url: str, dlq_url: str, client: SQSClient, *, max_receive_count: int
    ) -> None:
        self.url, self.dlq_url, self.client = url, dlq_url, client
        self.name = url.rsplit("/", 1)[-1]
        self.region = REGION
        self.max_receive_count = max_receive_count
        self.settings = VoiceNoteQueueSettings(queue_url=url, region=REGION)
        self._faults = SqsFaultInjector(url)

    def __repr__(self) -> str:
        return f"SqsQueue(name={self.name!r}, max_receive_count={self.max_receive_count})"

    @property
    def arn(self) -> str:
        """The queue's ARN (what a bucket's notification names)."""
        attributes = self.client.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["QueueArn"]
        )
        return attributes["Attributes"]["QueueArn"]

    def consumer(
        self, handle: Callable[[S3EventRecord], object], **options: Any
    ) -> VoiceNoteConsumer:
        """A ``VoiceNoteConsumer`` of this queue on the shared client (``options``:
        ``dedupe=``, or ``settings=`` to change batch size, visibility, retry delay)."""
        from ai_voice_shared.services.voice_note_queue import VoiceNoteConsumer

        options.setdefault("settings", self.settings)
        return VoiceNoteConsumer(handle, client=self.client, **options)

    def async_consumer(
        self, handle: Callable[[S3EventRecord], Awaitable[object]], **options: Any
    ) -> AsyncVoiceNoteConsumer:
        """The asyncio twin of :meth:`consumer`."""
        from ai_voice_shared.services.voice_note_queue import AsyncVoiceNoteConsumer

        options.setdefault("settings", self.settings)
        return AsyncVoiceNoteConsumer(handle, client=self.client, **options)

    def send(self, body: str | S3EventNotification) -> str:
        """Put a message on the queue (an event, or any body: a poison one); its id."""
        text = body if isinstance(body, str) else body.to_body()
        return self.client.send_message(QueueUrl=self.url, MessageBody=text)["MessageId"]

    def depth(self) -> dict[str, int]:
        """``{"visible": n, "in_flight": n, "dead": n}``: messages waiting, received and not
        yet deleted, and in the dead-letter queue."""
        names: Any = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        main = self.client.get_queue_attributes(QueueUrl=self.url, AttributeNames=names)
        dead = self.client.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=names)
        return {
            "visible": int(main["Attributes"][names[0]]),
            "in_flight": int(main["Attributes"][names[1]]),
            "dead": int(dead["Attributes"][names[0]]) + int(dead["Attributes"][names[1]]),
        }

    def dead_letters(self) -> list[str]:
        """The bodies in the dead-letter queue (read, then shown again: left there)."""
        messages: list[Any] = []
        while True:
            answer = self.client.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=60
            )
            if not answer.get("Messages"):
                break
            messages.extend(answer["Messages"])
        for start in range(0, len(messages), 10):
            self.client.change_message_visibility_batch(
                QueueUrl=self.dlq_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(messages[start : start + 10])
                ],
            )
        return [m["Body"] for m in messages]

    @property
    def calls(self) -> list[SqsCall]:
        """The SQS operations made on this queue by any client, in order."""
        return list(self._faults.calls)

    def fail(
        self,
        operation: str,
        *,
        code: str = "InternalError",
        status: int = 500,
        times: int = 1,
        optional: bool = False,
        skip: int = 0,
        lose_response: bool = False,
    ) -> None:
        """Make ``times`` attempts of ``operation`` (``"ReceiveMessage"``,
        ``"DeleteMessageBatch"``) fail as SQS answers, after ``skip`` attempts went through;
        as ``S3Bucket.fail`` does (botocore retries what SQS's retryable codes would, with no
        real waiting; ``lose_response=True``: done, but the answer lost). A fault that never
        triggers fails the test at teardown unless ``optional=True``."""
        self._faults.fail(
            operation,
            code=code,
            status=status,
            times=times,
            optional=optional,
            skip=skip,
            lose_response=lose_response,
        )

    def unused_faults(self) -> list[str]:
        """Faults that were registered but did not all happen."""
        return self._faults.unused()

    def unacknowledged(self) -> list[str]:
        """Ids of messages received and then neither deleted nor given back."""
        return self._faults.unacknowledged()

    def environment(self) -> dict[str, str]:
        """The ``VOICE_NOTE_QUEUE_*`` variables that reach this queue."""
        return {"VOICE_NOTE_QUEUE_URL": self.url, "VOICE_NOTE_QUEUE_REGION": self.region}

    def close(self) -> None:
        """Stop recording, faulting and tracking this queue."""
        self._faults.close()


@contextlib.contextmanager
def fresh_queue(*, max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT) -> Iterator[SqsQueue]:
    """A new queue and dead-letter queue on moto in-process (inside a running moto mock when
    there is one, ``s3_bucket``'s, so that its notifications reach the queue), removed after."""
    require("moto")
    on_library_clock()
    stubber = moto_stubber()
    with contextlib.ExitStack() as stack:
        if stubber is None or not stubber.enabled:
            stack.enter_context(require("moto").mock_aws())
        client = shared_client()
        name = f"aivs-voice-notes-{uuid.uuid4().hex[:12]}"
        url, dlq_url = create_queue_pair(client, name, max_receive_count=max_receive_count)
        queue = SqsQueue(url, dlq_url, client, max_receive_count=max_receive_count)
        try:
            yield queue
        finally:
            queue.close()
            for each in (url, dlq_url):
                with contextlib.suppress(Exception):
                    client.delete_queue(QueueUrl=each)
