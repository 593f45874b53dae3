"""The clock every retry loop, deadline and cache of the library reads and waits on.

:class:`Clock` is the real one. A test kit swaps it for a virtual clock
(``ai_voice_shared_testing.VirtualTime``, through :mod:`ai_voice_shared.hooks`) so that a
retried fault costs no real time while the decisions (deadlines, attempt counts, cache expiry)
stay exactly what production makes.
"""

from __future__ import annotations

import asyncio
import threading
import time

__all__ = ["Clock", "get_clock", "set_clock"]


class Clock:
    """The time every retry loop of the library reads and waits on (the real one).

    ``skew`` is added to :meth:`monotonic`: a test kit's virtual clock that ran ahead sets it
    when it is removed, so that the library's monotonic time never goes back (a cache entry
    stored on the virtual clock would otherwise live longer than its TTL afterwards).
    """

    skew: float = 0.0

    def monotonic(self) -> float:
        """Seconds on a monotonic clock (deadlines are measured on it)."""
        return time.monotonic() + self.skew

    def time(self) -> float:
        """Seconds since the epoch (an HTTP-date ``Retry-After`` is measured on it)."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Wait in this thread."""
        time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """Wait in this task."""
        await asyncio.sleep(seconds)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait in this thread until ``event`` is set or ``seconds`` pass; whether it is set.

        A background loop (the queue consumer's heartbeat) waits here, so a virtual clock
        can move its time on instead of waiting for it."""
        return event.wait(seconds)

    async def async_wait(self, event: asyncio.Event, seconds: float) -> bool:
        """Wait in this task until ``event`` is set or ``seconds`` pass; whether it is set."""
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return event.is_set()
        return True


_clock_lock = threading.Lock()
_clock: Clock = Clock()


def get_clock() -> Clock:
    """The clock in use (the real one unless a test kit installed another)."""
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Install ``clock`` for every client of the library; return the one it replaces."""
    global _clock
    with _clock_lock:
        previous, _clock = _clock, clock
    return previous
