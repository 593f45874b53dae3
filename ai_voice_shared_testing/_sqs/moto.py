"""moto's SQS for tests: on the library's clock, and a queue created with its dead-letter queue.

moto measures visibility timeouts, delays and retention with its own ``unix_time`` (the real
clock): a test that waits out a 30 s visibility timeout would wait 30 s. :func:`on_library_clock`
points moto's SQS at the library's clock (:func:`ai_voice_shared.hooks.get_clock`), the one
:class:`~ai_voice_shared_testing.virtual_time.VirtualTime` moves: ``aivs_clock.advance(31)``
makes the message visible again at once. It patches two names of ``moto.sqs.models`` (there
is no public seam); a moto release that moves them leaves real time in place, and the tests of
this kit say so.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["create_queue_pair", "on_library_clock"]

_patched = threading.Lock()
_done = False


def on_library_clock() -> bool:
    """Make moto's SQS (in this process) read the library's clock; whether it could."""
    global _done
    with _patched:
        if _done:
            return True
        try:
            from moto.sqs import models
        except ImportError:
            return False
        if not hasattr(models, "unix_time") or not hasattr(models, "unix_time_millis"):
            return False
        from ai_voice_shared.hooks import get_clock

        real_seconds, real_millis = models.unix_time, models.unix_time_millis  # type: ignore[attr-defined]

        def unix_time(dt: Any = None) -> float:
            return get_clock().time() if dt is None else float(real_seconds(dt))

        def unix_time_millis(dt: Any = None) -> float:
            return get_clock().time() * 1000 if dt is None else float(real_millis(dt))

        models.unix_time = unix_time
        models.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]
        _done = True
        return True


def create_queue_pair(
    client: SQSClient, name: str, *, max_receive_count: int, visibility_timeout: int = 30
) -> tuple[str, str]:
    """Create queue ``name`` and its dead-letter queue ``name-dlq`` (``maxReceiveCount``);
    return both URLs."""
    dlq_url = client.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
    url = client.create_queue(
        QueueName=name,
        Attributes={
            "RedrivePolicy": json.dumps(redrive),
            "VisibilityTimeout": str(visibility_timeout),
        },
    )["QueueUrl"]
    return url, dlq_url
