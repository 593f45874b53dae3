"""Claims kept in this process: right for one process, wrong for a fleet of replicas."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from typing import ClassVar

from ai_voice_shared._clock import get_clock
from ai_voice_shared._delivery.base import Created, DeliveryStore, Exists, Stored
from ai_voice_shared._delivery.record import RETENTION, Record
from ai_voice_shared.errors import ConfigurationError

__all__ = ["MemoryDeliveryStore"]

_SHARED: dict[int, MemoryDeliveryStore] = {}
_SHARED_LOCK = threading.Lock()


class MemoryDeliveryStore(DeliveryStore):
    """Records in a bounded map of this process: at most ``max_size`` of them, claims in
    progress included (the oldest written are forgotten first; each also goes once it has
    expired, a lease or the TTL). Thread-safe. Every replica of a fleet has its own: use
    :class:`S3DeliveryStore` or :class:`RedisDeliveryStore` there."""

    kind: ClassVar[str] = "memory"
    blocking: ClassVar[bool] = False

    def __init__(self, *, max_size: int = 100_000) -> None:
        if not (isinstance(max_size, int) and not isinstance(max_size, bool) and max_size >= 1):
            raise ConfigurationError(
                f"MemoryDeliveryStore needs an integer max_size >= 1 (DELIVERY_MAX_SIZE), not "
                f"{max_size!r}."
            )
        self.max_size = max_size
        # Written by hand rather than with cachetools' TLRUCache (per-item expiry): its heap
        # cost about 14 us per claim and completion, twice the guard's whole budget on the
        # webhook path (benchmarks/delivery_guard.py). Insertion order is the eviction order;
        # an expired record is dropped when it is next looked up.
        self._records: OrderedDict[str, Stored] = OrderedDict()
        self._versions = itertools.count(1)
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, max_size: int = 100_000) -> MemoryDeliveryStore:
        """This process's store of that size, the same for every caller (``DELIVERY_STORE=
        memory``: the guards of one process share their claims, as one process's requests
        should)."""
        with _SHARED_LOCK:
            store = _SHARED.get(max_size)
            if store is None:
                store = _SHARED[max_size] = cls(max_size=max_size)
            return store

    @classmethod
    def clear_shared(cls) -> None:
        """Empty every shared store of this process (a test kit does, before each test)."""
        with _SHARED_LOCK:
            stores = list(_SHARED.values())
        for store in stores:
            store.clear()

    def describe(self) -> str:
        return f"this process's memory (at most {self.max_size} keys)"

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def _get(self, key: str) -> Stored | None:
        found = self._records.get(key)
        if found is not None and found.record.expires_at + RETENTION <= get_clock().time():
            del self._records[key]
            return None
        return found

    def _put(self, key: str, record: Record) -> str:
        version = str(next(self._versions))
        records = self._records
        records[key] = Stored(record, version)
        records.move_to_end(key)
        while len(records) > self.max_size:
            records.popitem(last=False)
        return version

    def _create(self, key: str, record: Record, ttl: float) -> Created | Exists:
        with self._lock:
            found = self._get(key)
            if found is not None:
                return Exists(found)
            return Created(self._put(key, record))

    def _read(self, key: str) -> Stored | None:
        with self._lock:
            return self._get(key)

    def _replace(self, key: str, record: Record, version: str, ttl: float) -> str | None:
        with self._lock:
            found = self._get(key)
            if found is None or found.version != version:
                return None
            return self._put(key, record)

    def _remove(self, key: str, version: str) -> bool:
        with self._lock:
            found = self._get(key)
            if found is None or found.version != version:
                return False
            del self._records[key]
            return True

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
