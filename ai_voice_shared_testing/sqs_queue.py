"""A fresh SQS queue (with its dead-letter queue) per test, on moto in-process.

The classes work without pytest::

    with mock_aws(), fresh_queue() as queue:
        queue.send('{"Records": []}')
        queue.consumer(handle).poll()

The ``sqs_queue`` fixture yields an :class:`SqsQueue`; ``s3_bucket.notify(sqs_queue)`` makes
the bucket's writes reach it. This module is the public face; the family lives in
:mod:`ai_voice_shared_testing._sqs`.
"""

from __future__ import annotations

from ai_voice_shared_testing._sqs.faults import SqsCall, SqsFaultInjector
from ai_voice_shared_testing._sqs.queue import DEFAULT_MAX_RECEIVE_COUNT, SqsQueue, fresh_queue

__all__ = ["DEFAULT_MAX_RECEIVE_COUNT", "SqsCall", "SqsFaultInjector", "SqsQueue", "fresh_queue"]
