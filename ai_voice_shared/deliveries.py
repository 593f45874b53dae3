"""Drop redelivered webhooks in a handler that has no store of its own: ``DeliveryGuard``.

Twilio may deliver one webhook more than once (a retry after a timeout or a connection error,
``#rc=`` in the URL): the same ``MessageSid``, the same ``I-Twilio-Idempotency-Token``. Make
every side effect idempotent first (``MediaIngest`` is); where one is not, this guard says
whether a key was handled recently::

    guard = DeliveryGuard(ttl_seconds=3600)

    with guard.once(payload.message_sid) as first:
        if first:
            handle(payload)            # only once; a failure here lets a retry through

A delivery that arrives while the same key is still being handled raises
:class:`~ai_voice_shared.DeliveryInProgressError` (answer it 503): answering it 200 would lose
the webhook if the handling under way then failed.

It is per process: a service with several processes or hosts needs a shared store (Redis,
a database) for the same promise.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator

from cachetools import TTLCache

from ai_voice_shared._clock import get_clock
from ai_voice_shared.errors import ConfigurationError, DeliveryInProgressError

__all__ = ["DeliveryGuard"]


class DeliveryGuard:
    """Remembers, for ``ttl_seconds``, the keys handled successfully (at most ``max_size``,
    the oldest forgotten first). Thread-safe: of two deliveries racing each other, one is
    handled and the other raises :class:`DeliveryInProgressError` (answer it 503)."""

    def __init__(self, ttl_seconds: float = 3600.0, *, max_size: int = 100_000) -> None:
        ttl_ok = (
            isinstance(ttl_seconds, int | float)
            and not isinstance(ttl_seconds, bool)
            and math.isfinite(ttl_seconds)
            and ttl_seconds > 0
        )
        size_ok = isinstance(max_size, int) and not isinstance(max_size, bool) and max_size >= 1
        if not (ttl_ok and size_ok):
            # NaN compares false with everything: such a TTL would silently remember nothing.
            raise ConfigurationError(
                "DeliveryGuard needs a finite ttl_seconds > 0 and an integer max_size >= 1, "
                f"not ttl_seconds={ttl_seconds!r} and max_size={max_size!r}."
            )
        self._done: TTLCache[str, bool] = TTLCache(
            max_size, ttl_seconds, timer=lambda: get_clock().monotonic()
        )
        self._handling: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """Whether the caller should handle ``key`` (``False``: handled recently). A key being
        handled right now raises :class:`DeliveryInProgressError`. A successful claim must be
        followed by :meth:`release`."""
        with self._lock:
            if key in self._done:
                return False
            if key in self._handling:
                raise DeliveryInProgressError(
                    f"The webhook {key!r} is being handled right now by another request: answer "
                    "this delivery 503 (http_status) so that Twilio delivers it again; by then "
                    "it is handled (and dropped) or its handling failed (and this one runs).",
                    key=key,
                )
            self._handling.add(key)
            return True

    def release(self, key: str, *, handled: bool) -> None:
        """End a claim: ``handled`` remembers the key; otherwise a redelivery may retry it."""
        with self._lock:
            self._handling.discard(key)
            if handled:
                self._done[key] = True

    @contextlib.contextmanager
    def once(self, key: str) -> Iterator[bool]:
        """``True`` inside for the first delivery of ``key`` (remembered if the block ends
        without an exception), ``False`` for a redelivery; :class:`DeliveryInProgressError`
        for one that arrives while the first is still being handled."""
        first = self.claim(key)
        if not first:
            yield False
            return
        handled = False
        try:
            yield True
            handled = True
        finally:
            self.release(key, handled=handled)

    def seen(self, key: str) -> bool:
        """Whether ``key`` was handled recently (or is being handled)."""
        with self._lock:
            return key in self._handling or key in self._done

    def clear(self) -> None:
        """Forget every key."""
        with self._lock:
            self._done.clear()
            self._handling.clear()
