"""Handle each webhook once, in one process or across a fleet of replicas: ``DeliveryGuard``.

Twilio may deliver one webhook more than once (a retry after a timeout or a connection error,
``#rc=`` in the URL), and behind a load balancer each delivery may land on another replica.
Make every side effect idempotent first (``MediaIngest`` is); where one is not, the guard
claims the webhook in a store every replica shares, so that it is handled once::

    guard = DeliveryGuard()                      # DELIVERY_STORE=memory|s3|redis, DELIVERY_*

    with guard.once(webhook) as first:           # keyed by the signed MessageSid
        if first:
            handle(webhook.payload)              # only once; a failure lets a retry through

    async with guard.aonce(webhook) as first:    # in an async endpoint: no blocking I/O
        ...

A delivery that arrives while the same webhook is being handled raises
:class:`~ai_voice_shared.DeliveryInProgressError`, and a store that is down
:class:`~ai_voice_shared.DeliveryStoreError`: answer both 503 (their ``http_status``), so that
Twilio delivers the webhook again; answering 200 would lose it if the handling under way
then failed. A claim is a lease (``DELIVERY_LEASE_SECONDS``): a replica that dies
mid-handling blocks its webhook only until the lease runs out, then exactly one redelivery
takes the claim over.

The stores: :class:`MemoryDeliveryStore` (this process only: the default),
:class:`S3DeliveryStore` (conditional writes in the services' bucket) and
:class:`RedisDeliveryStore` (Redis or Valkey, the ``[redis]`` extra); each keeps the same
promise, proven by one contract suite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_voice_shared._face import lazy_face

if TYPE_CHECKING:
    from ai_voice_shared._delivery.base import DeliveryStore
    from ai_voice_shared._delivery.core import DeliveryClaim
    from ai_voice_shared._delivery.guard import DeliveryGuard, delivery_store
    from ai_voice_shared._delivery.memory import MemoryDeliveryStore
    from ai_voice_shared._delivery.redis import RedisDeliveryStore
    from ai_voice_shared._delivery.s3 import S3DeliveryStore

__all__ = [
    "DeliveryClaim",
    "DeliveryGuard",
    "DeliveryStore",
    "MemoryDeliveryStore",
    "RedisDeliveryStore",
    "S3DeliveryStore",
    "delivery_store",
]

# The S3 and Redis stores import boto3 and redis-py: each only when first used.
__getattr__, __dir__ = lazy_face(
    __name__,
    {
        "._delivery.base": ["DeliveryStore"],
        "._delivery.core": ["DeliveryClaim"],
        "._delivery.guard": ["DeliveryGuard", "delivery_store"],
        "._delivery.memory": ["MemoryDeliveryStore"],
        "._delivery.redis": ["RedisDeliveryStore"],
        "._delivery.s3": ["S3DeliveryStore"],
    },
)
