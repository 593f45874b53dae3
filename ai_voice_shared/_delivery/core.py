"""The one state machine of delivery claims, shared by every store and by both guard twins.

A claim is a record **in progress** with a lease; a handled webhook's record is **completed**
for the TTL; a failed handling removes the claim, so Twilio's redelivery is handled. A lease
that ran out (a replica died mid-handling) or a TTL that passed is taken over by exactly one
delivery: the store's conditional replace lets one writer win. The record keeps the payload's
fingerprint: the same key with another payload is refused, never taken for "already handled".

Each decision is a generator that yields the store operations it needs (:class:`Create`,
:class:`Read`, :class:`Replace`, :class:`Remove`) and receives their results, so the same
steps run on every store, synchronously (:func:`run`) or in an event loop (:func:`arun`): only
the I/O differs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from typing import Any, Final, TypeVar

from ai_voice_shared._delivery.base import Created, DeliveryStore, Exists, Stored
from ai_voice_shared._delivery.record import COMPLETED, IN_PROGRESS, RETENTION, Record
from ai_voice_shared.errors import (
    DeliveryConflictError,
    DeliveryInProgressError,
    DeliveryLeaseLostError,
)

__all__ = [
    "Create",
    "DeliveryClaim",
    "Read",
    "Remove",
    "Replace",
    "Steps",
    "arun",
    "claim_steps",
    "complete_steps",
    "release_steps",
    "run",
    "seen_steps",
]

logger = logging.getLogger("ai_voice_shared.deliveries")
T = TypeVar("T")

#: How often one claim may find the record changed under it before it gives up (each round is
#: caused by another delivery of the same key writing at that very moment).
_ROUNDS: Final = 5


class Create:
    __slots__ = ("key", "record", "ttl")

    def __init__(self, key: str, record: Record, ttl: float) -> None:
        self.key, self.record, self.ttl = key, record, ttl


class Read:
    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


class Replace:
    __slots__ = ("key", "record", "ttl", "version")

    def __init__(self, key: str, record: Record, version: str, ttl: float) -> None:
        self.key, self.record, self.version, self.ttl = key, record, version, ttl


class Remove:
    __slots__ = ("key", "version")

    def __init__(self, key: str, version: str) -> None:
        self.key, self.version = key, version


Op = Create | Read | Replace | Remove
Steps = Generator[Op, Any, T]


class DeliveryClaim:
    """A delivery being handled by this caller: complete it, or release it.

    ``reclaimed`` says that it took over a claim whose lease had run out (a replica that died
    mid-handling, or a handling slower than the lease).
    """

    __slots__ = ("fingerprint", "key", "reclaimed", "token", "version")

    def __init__(
        self, key: str, token: str, version: str, fingerprint: str, *, reclaimed: bool
    ) -> None:
        self.key = key
        self.token = token
        self.version = version
        self.fingerprint = fingerprint
        self.reclaimed = reclaimed

    def __repr__(self) -> str:
        return f"DeliveryClaim(key={self.key!r}, reclaimed={self.reclaimed})"


def claim_steps(
    key: str, fingerprint: str, token: str, *, now: float, lease: float, where: Callable[[], str]
) -> Steps[DeliveryClaim | None]:
    """Claim ``key``: a :class:`DeliveryClaim` to handle it, ``None`` when it was handled already;
    :class:`DeliveryInProgressError` while another claim holds it, and
    :class:`DeliveryConflictError` when it was claimed for another payload."""
    mine = Record(IN_PROGRESS, now + lease, fingerprint, token)
    for _ in range(_ROUNDS):
        created = yield Create(key, mine, lease + RETENTION)
        if isinstance(created, Created):
            return DeliveryClaim(key, token, created.version, fingerprint, reclaimed=False)
        assert isinstance(created, Exists)
        stored: Stored | None = created.stored
        if stored is None:
            stored = yield Read(key)
            if stored is None:  # removed between the two: try again
                continue
        theirs = stored.record
        if theirs.live(now):
            if theirs.fingerprint and fingerprint and theirs.fingerprint != fingerprint:
                raise DeliveryConflictError(
                    f"The delivery key {key!r} was {_state(theirs)} for another payload "
                    f"(fingerprint {theirs.fingerprint[:12]}..., this one {fingerprint[:12]}...): "
                    "Twilio redelivers the very same parameters, so the key does not identify "
                    "this webhook, or the request is not Twilio's. Nothing was handled; key "
                    "deliveries by their MessageSid (the guard's default).",
                    key=key,
                )
            if theirs.state == COMPLETED:
                return None
            raise DeliveryInProgressError(
                f"The webhook {key!r} is being handled right now by another request (its claim "
                f"in {where()} holds for {theirs.expires_at - now:.1f} s more): answer this "
                "delivery 503 (http_status) so that Twilio delivers it again; by then it is "
                "handled (and dropped) or its handling failed or its lease ran out (and that "
                "delivery runs).",
                key=key,
            )
        version = yield Replace(key, mine, stored.version, lease + RETENTION)
        if version is not None:
            if theirs.state == IN_PROGRESS:
                logger.warning(
                    "delivery %s: took over a claim whose lease ran out %.1f s ago (a replica "
                    "that stopped mid-handling, or a handling slower than "
                    "DELIVERY_LEASE_SECONDS)",
                    key,
                    now - theirs.expires_at,
                )
            return DeliveryClaim(
                key, token, version, fingerprint, reclaimed=theirs.state == IN_PROGRESS
            )
    raise DeliveryInProgressError(
        f"The webhook {key!r} changed in {where()} {_ROUNDS} times while this delivery tried to "
        "claim it: other deliveries of it are racing. Answer 503 so that Twilio delivers it "
        "again.",
        key=key,
    )


def complete_steps(claim: DeliveryClaim, *, now: float, ttl: float, lease: float) -> Steps[None]:
    """Mark a claim handled, remembered for ``ttl``; :class:`DeliveryLeaseLostError` when
    another delivery took the claim over meanwhile."""
    done = Record(COMPLETED, now + ttl, claim.fingerprint, claim.token)
    version = yield Replace(claim.key, done, claim.version, ttl + RETENTION)
    if version is None:
        raise DeliveryLeaseLostError(
            f"The webhook {claim.key!r} was handled, but its claim had been taken over by "
            f"another delivery when it finished: the handling took longer than its lease "
            f"({lease:g} s, DELIVERY_LEASE_SECONDS), so the webhook may have been handled twice. "
            "Raise DELIVERY_LEASE_SECONDS above the longest handling.",
            key=claim.key,
        )
    claim.version = version


def release_steps(claim: DeliveryClaim) -> Steps[None]:
    """Give a claim up (its handling failed): a redelivery is then handled. A claim already
    taken over is left to its new holder."""
    removed = yield Remove(claim.key, claim.version)
    if not removed:
        logger.warning(
            "delivery %s: the failed handling's claim had been taken over already", claim.key
        )


def seen_steps(key: str, *, now: float) -> Steps[bool]:
    """Whether ``key`` is handled (recently) or being handled."""
    stored = yield Read(key)
    return stored is not None and stored.record.live(now)


def _state(record: Record) -> str:
    return "handled" if record.state == COMPLETED else "claimed"


def run(store: DeliveryStore, steps: Steps[T]) -> T:
    """Run ``steps`` on ``store``, synchronously."""
    result: Any = None
    try:
        while True:
            op = steps.send(result)
            if isinstance(op, Create):
                result = store._create(op.key, op.record, op.ttl)
            elif isinstance(op, Read):
                result = store._read(op.key)
            elif isinstance(op, Replace):
                result = store._replace(op.key, op.record, op.version, op.ttl)
            else:
                result = store._remove(op.key, op.version)
    except StopIteration as done:
        value: T = done.value
        return value


async def arun(store: DeliveryStore, steps: Steps[T]) -> T:
    """Run ``steps`` on ``store`` in the event loop: the same steps as :func:`run` (a store
    without I/O, ``blocking=False``, is called directly)."""
    if not store.blocking:
        return run(store, steps)
    result: Any = None
    try:
        while True:
            op = steps.send(result)
            if isinstance(op, Create):
                result = await store._acreate(op.key, op.record, op.ttl)
            elif isinstance(op, Read):
                result = await store._aread(op.key)
            elif isinstance(op, Replace):
                result = await store._areplace(op.key, op.record, op.version, op.ttl)
            else:
                result = await store._aremove(op.key, op.version)
    except StopIteration as done:
        value: T = done.value
        return value
