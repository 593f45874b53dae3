"""Claims kept in this process: right for one process, wrong for a fleet of replicas."""

from __future__ import annotations

import itertools
import threading
from typing import ClassVar

from cachetools import TLRUCache

from ai_voice_shared._clock import get_clock
from ai_voice_shared._delivery.base import Created, DeliveryStore, Exists, Stored
from ai_voice_shared._delivery.record import RETENTION, Record
from ai_voice_shared.errors import ConfigurationError

__all__ = ["MemoryDeliveryStore"]


class MemoryDeliveryStore(DeliveryStore):
    """Records in a bounded map of this process: at most ``max_size`` of them, claims in
    progress included (the oldest are forgotten first, each expires on its own: a lease, or
    the TTL). Thread-safe. Every replica of a fleet has its own: use
    :class:`S3DeliveryStore` or :class:`RedisDeliveryStore` there."""

    kind: ClassVar[str] = "memory"

    def __init__(self, *, max_size: int = 100_000) -> None:
        if not (isinstance(max_size, int) and not isinstance(max_size, bool) and max_size >= 1):
            raise ConfigurationError(
                f"MemoryDeliveryStore needs an integer max_size >= 1 (DELIVERY_MAX_SIZE), not "
                f"{max_size!r}."
            )
        self.max_size = max_size
        # Each record goes at its own time (a lease, or the TTL, and RETENTION), on the
        # library's clock.
        self._records: TLRUCache[str, Stored] = TLRUCache(
            max_size,
            lambda _key, stored, _now: stored.record.expires_at + RETENTION,
            timer=self._now,
        )
        self._versions = itertools.count(1)
        self._lock = threading.Lock()

    @staticmethod
    def _now() -> float:
        return get_clock().time()

    def describe(self) -> str:
        return f"this process's memory (at most {self.max_size} keys)"

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def _stored(self, record: Record) -> Stored:
        return Stored(record, str(next(self._versions)))

    def _create(self, key: str, record: Record, ttl: float) -> Created | Exists:
        with self._lock:
            found = self._records.get(key)
            if found is not None:
                return Exists(found)
            stored = self._records[key] = self._stored(record)
            return Created(stored.version)

    def _read(self, key: str) -> Stored | None:
        with self._lock:
            return self._records.get(key)

    def _replace(self, key: str, record: Record, version: str, ttl: float) -> str | None:
        with self._lock:
            found = self._records.get(key)
            if found is None or found.version != version:
                return None
            stored = self._records[key] = self._stored(record)
            return stored.version

    def _remove(self, key: str, version: str) -> bool:
        with self._lock:
            found = self._records.get(key)
            if found is None or found.version != version:
                return False
            del self._records[key]
            return True

    async def _acreate(self, key: str, record: Record, ttl: float) -> Created | Exists:
        return self._create(key, record, ttl)  # no I/O: no thread needed

    async def _aread(self, key: str) -> Stored | None:
        return self._read(key)

    async def _areplace(self, key: str, record: Record, version: str, ttl: float) -> str | None:
        return self._replace(key, record, version, ttl)

    async def _aremove(self, key: str, version: str) -> bool:
        return self._remove(key, version)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
