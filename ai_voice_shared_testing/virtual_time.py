"""No real waiting in tests: a clock on which sleeping moves time instead of waiting for it.

Every retry loop of ``ai_voice_shared`` reads its time from one clock
(:func:`ai_voice_shared.hooks.get_clock`). :class:`VirtualTime` replaces it: a retry's backoff,
a ``Retry-After`` of 30 s or a fake's ``delay()`` advance the clock at once, so deadlines,
cache expiry and attempt counts come out exactly as in production while the test takes no
time. The fixtures install it for each test that uses a fake (opt out with
``@pytest.mark.aivs_lookup(real_sleep=True)`` and its twins); in a script::

    with VirtualTime() as clock:
        client.lookup("+15555550100")   # retries without waiting
        clock.waited                    # the seconds the retries would have waited
"""

from __future__ import annotations

import asyncio
import threading
import time
from types import TracebackType
from typing import Self

from ai_voice_shared.hooks import Clock, set_clock

__all__ = ["VirtualTime"]


class VirtualTime(Clock):
    """A clock for the library's retry loops on which waiting takes no real time.

    ``monotonic()`` and ``time()`` are the real clocks plus every second slept so far; each
    sleep advances them and returns at once (yielding to other threads and tasks).

    Monotonic time never goes back across clocks: each new clock starts where the previous
    ones ran ahead to, and the real clock put back after one is skewed as far (a client that
    outlives a test keeps cache entries stamped on its clock; they must not outlive their TTL
    in the next test).
    """

    _ahead = 0.0  # how far the virtual clocks of this process ran ahead of the real one
    _ahead_lock = threading.Lock()

    def __init__(self) -> None:
        self._start = VirtualTime._ahead
        self._offset = self._start
        self._waited = 0.0
        self._lock = threading.Lock()
        self._previous: Clock | None = None

    @property
    def waited(self) -> float:
        """The seconds slept on this clock (what the test did not wait for)."""
        return self._waited

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        if seconds > 0:
            with self._lock:
                self._offset += seconds
                self._waited += seconds

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def time(self) -> float:
        return time.time() + self._waited

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        time.sleep(0)

    async def async_sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)

    #: Real seconds a :meth:`wait` gives its event before it moves the clock on instead.
    WAIT_SLICE = 0.05

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Give ``event`` a short real slice, then move the clock ``seconds`` on: a background
        loop's timer (the queue consumer's heartbeat) fires at once while the test runs."""
        if event.wait(min(seconds, self.WAIT_SLICE)):
            return True
        self.advance(seconds)
        return event.is_set()

    async def async_wait(self, event: asyncio.Event, seconds: float) -> bool:
        try:
            await asyncio.wait_for(event.wait(), min(seconds, self.WAIT_SLICE))
        except TimeoutError:
            self.advance(seconds)
            return event.is_set()
        return True

    def install(self) -> Self:
        """Make this the clock of every client of the library until :meth:`uninstall`."""
        if self._previous is None:
            self._previous = set_clock(self)
        return self

    def uninstall(self) -> None:
        """Put back the clock that was in use before :meth:`install`."""
        if self._previous is not None:
            with VirtualTime._ahead_lock:
                VirtualTime._ahead = max(VirtualTime._ahead, self._offset)
                if not isinstance(self._previous, VirtualTime):
                    self._previous.skew = max(self._previous.skew, VirtualTime._ahead)
            set_clock(self._previous)
            self._previous = None

    def __enter__(self) -> Self:
        return self.install()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.uninstall()
