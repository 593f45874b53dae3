"""The SQS family behind :mod:`~ai_voice_shared_testing.sqs_queue` (the ``sqs_queue`` fixture).

From the bottom up (each module imports only modules listed before it, and the S3 family's
botocore hooks and fault machinery, which it reuses):

- :mod:`.faults`: :class:`SqsFaultInjector`, one queue's recorded calls, faults and the
  messages received but never acknowledged;
- :mod:`.moto`: moto's SQS on the library's clock, and a queue created with its dead-letter
  queue;
- :mod:`.queue`: :class:`SqsQueue`, the handle of one fresh test queue.
"""

from __future__ import annotations
