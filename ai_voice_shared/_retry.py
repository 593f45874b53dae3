"""Retries, backoff, ``Retry-After`` and deadlines, shared by every HTTP client of the library.

The customer-lookup clients and the Twilio media clients make the same decisions after a
failed attempt; only their errors differ. This module holds the decisions, and the clock they
read and wait on:

- :class:`Clock` is what every retry loop of the library asks for the time and sleeps on. The
  test kit swaps it for a virtual clock (``ai_voice_shared_testing.VirtualTime``) so that a
  retried fault costs no real time while the decisions (deadlines, attempt counts) stay exactly
  what production makes. Code that injects its own ``sleep``/``clock`` keeps them.
- :class:`Retrying` holds one policy (``max_retries``, a total deadline, backoff with jitter,
  ``Retry-After`` up to a cap), and :class:`Attempts` the state of one call across its retries.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Final

__all__ = [
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRIED_STATUSES",
    "Attempts",
    "Clock",
    "Retrying",
    "get_clock",
    "is_retried_status",
    "set_clock",
]

#: Backoff before retry n: ``min(INITIAL_RETRY_DELAY * 2**(n - 1), MAX_RETRY_DELAY)``, minus up
#: to 25% jitter.
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
#: A ``Retry-After`` longer than this is ignored in favour of the backoff.
MAX_RETRY_AFTER: Final = 60.0
#: Statuses retried besides every 5xx.
RETRIED_STATUSES: Final = frozenset({408, 429})


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


def is_retried_status(status: int) -> bool:
    """Whether an answer with this status is worth another attempt (408, 429, 5xx)."""
    return status in RETRIED_STATUSES or status >= 500


class Attempts:
    """The state of one call across its retries: the deadline, attempts sent, last outcome."""

    __slots__ = ("deadline", "last", "request_id", "sent")

    def __init__(self, deadline: float, request_id: str = "") -> None:
        self.deadline = deadline
        self.request_id = request_id
        self.sent = 0
        self.last = "nothing"


class Retrying:
    """One retry policy: how many retries, the total deadline, and how long to wait.

    ``clock`` and ``jitter`` are for tests that drive time by hand; left out, the clock is
    :func:`get_clock` at call time.
    """

    __slots__ = ("_clock", "_jitter", "max_retries", "total_timeout")

    def __init__(
        self,
        *,
        max_retries: int,
        total_timeout: float,
        clock: Callable[[], float] | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.max_retries = max_retries
        self.total_timeout = total_timeout
        self._clock = clock
        self._jitter = jitter

    def now(self) -> float:
        """The current time on the clock deadlines are measured on."""
        return self._clock() if self._clock is not None else get_clock().monotonic()

    def start(self, request_id: str = "") -> Attempts:
        """The state of a new call: its deadline starts now."""
        return Attempts(self.now() + self.total_timeout, request_id)

    def remaining(self, attempts: Attempts) -> float:
        """Seconds left before the call's deadline (negative once it has passed)."""
        return attempts.deadline - self.now()

    def deadline_on_clock(self, attempts: Attempts) -> float:
        """The call's deadline on the library's clock (:func:`get_clock`), for the socket
        guards of :mod:`ai_voice_shared._http`, whatever clock this policy reads."""
        if self._clock is None:
            return attempts.deadline
        return get_clock().monotonic() + self.remaining(attempts)

    def retries_left(self, attempts: Attempts) -> bool:
        """Whether the policy allows another attempt after the ones sent."""
        return attempts.sent <= self.max_retries

    def backoff(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1 for the first), with jitter."""
        delay: float = min(INITIAL_RETRY_DELAY * 2.0 ** (attempt - 1), MAX_RETRY_DELAY)
        return delay * (1 - 0.25 * self._jitter())

    def delay(self, attempts: Attempts, headers: Mapping[str, str] | None = None) -> float:
        """The wait before the next attempt: what the server asked for, else the backoff."""
        asked = retry_after(headers) if headers is not None else None
        return asked if asked is not None else self.backoff(attempts.sent)

    def fits(self, attempts: Attempts, delay: float) -> bool:
        """Whether waiting ``delay`` seconds still leaves time before the deadline."""
        return delay < self.remaining(attempts)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms``, ``Retry-After``), if sane.

    ``Retry-After`` may be seconds or an HTTP date; values outside 0 to
    :data:`MAX_RETRY_AFTER` seconds, and any value that cannot be read (whatever the server
    sent), are ignored: the caller backs off instead. Never raises.
    """
    seconds: float | None = None
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            seconds = float(millis) / 1000
        except ValueError:
            seconds = None
    if seconds is None and (after := headers.get("retry-after")) is not None:
        seconds = _retry_after_value(after)
    if seconds is not None and 0 <= seconds <= MAX_RETRY_AFTER:
        return seconds
    return None


def _retry_after_value(after: str) -> float | None:
    """A ``Retry-After`` value in seconds from now, or ``None`` when it cannot be read."""
    try:
        return float(after)
    except ValueError:
        pass
    # email.utils parses the date leniently and fails in several ways on hostile input: a zone
    # offset, year or hour of twenty-odd digits overflows a C int (OverflowError), a zone of a
    # day or more is no timezone and a day 32 no date (ValueError).
    try:
        when = email.utils.parsedate_to_datetime(after)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        now = datetime.fromtimestamp(get_clock().time(), UTC)
        return (when - now).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
