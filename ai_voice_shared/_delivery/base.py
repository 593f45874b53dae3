"""The base class of every delivery store: four small record operations, sync and async.

A store only moves records; the state machine of :mod:`.core` decides. Each operation is
atomic on the store's side (that is the whole promise a store makes):

- :meth:`DeliveryStore._create`: write a record where the key has none, or say that it has one
  (and, if the store can tell in the same request, which one);
- :meth:`DeliveryStore._read`: the key's record and its version;
- :meth:`DeliveryStore._replace`: replace the record if it is still at ``version``;
- :meth:`DeliveryStore._remove`: remove it if it is still at ``version``.

The async operations default to the sync ones in a worker thread; a store with an async
client (Redis) or no I/O (memory) overrides them. Failures are
:class:`~ai_voice_shared.DeliveryStoreError`, raised within the store's stated time bound.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from ai_voice_shared._delivery.record import Record

__all__ = ["Created", "DeliveryStore", "Exists", "Stored"]


class Stored:
    """A record as read, with the version a conditional replace or remove must match."""

    __slots__ = ("record", "version")

    def __init__(self, record: Record, version: str) -> None:
        self.record = record
        self.version = version


class Created:
    """:meth:`DeliveryStore._create` wrote the record; ``version`` is its version."""

    __slots__ = ("version",)

    def __init__(self, version: str) -> None:
        self.version = version


class Exists:
    """:meth:`DeliveryStore._create` found a record; ``stored`` is it when the store could tell
    in the same request (Redis), ``None`` when it must be read (S3 answers a bare 412)."""

    __slots__ = ("stored",)

    def __init__(self, stored: Stored | None) -> None:
        self.stored = stored


class DeliveryStore:
    """Where :class:`~ai_voice_shared.DeliveryGuard` keeps its claims. Subclasses implement the
    four record operations; ``ttl`` is how long the store may keep a record (it may drop it
    then: the record's own ``expires_at`` is what counts)."""

    #: The name of the store in ``DELIVERY_STORE`` and in messages.
    kind: ClassVar[str] = "store"
    #: Whether the operations do I/O (the async ones then run without blocking the loop);
    #: ``False`` for a store in memory, whose sync operations serve the event loop as they are.
    blocking: ClassVar[bool] = True

    def describe(self) -> str:
        """Where the records are, for messages (``s3://bucket/deliveries/``)."""
        return self.kind

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"

    # -- the four operations ----------------------------------------------------------------

    def _create(self, key: str, record: Record, ttl: float) -> Created | Exists:
        raise NotImplementedError

    def _read(self, key: str) -> Stored | None:
        raise NotImplementedError

    def _replace(self, key: str, record: Record, version: str, ttl: float) -> str | None:
        """The new version, or ``None`` when the record is no longer at ``version``."""
        raise NotImplementedError

    def _remove(self, key: str, version: str) -> bool:
        """Whether the record was removed (``False``: no longer at ``version``)."""
        raise NotImplementedError

    async def _acreate(self, key: str, record: Record, ttl: float) -> Created | Exists:
        return await asyncio.to_thread(self._create, key, record, ttl)

    async def _aread(self, key: str) -> Stored | None:
        return await asyncio.to_thread(self._read, key)

    async def _areplace(self, key: str, record: Record, version: str, ttl: float) -> str | None:
        return await asyncio.to_thread(self._replace, key, record, version, ttl)

    async def _aremove(self, key: str, version: str) -> bool:
        return await asyncio.to_thread(self._remove, key, version)

    # -- housekeeping ---------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every record of this store (for tests and local runs)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the store's connections (what it was given is left open)."""

    async def aclose(self) -> None:
        """The async twin of :meth:`close`."""
        self.close()
