"""Retries, backoff, ``Retry-After`` and deadlines: the one retry core of every client twin.

The customer-lookup clients and the Twilio media clients (and the media ingest, through them)
make the same decisions after a failed attempt; only their errors and their I/O differ. This
module holds what they share:

- :class:`Retrying`, one policy (``max_retries``, a total deadline, backoff with jitter,
  ``Retry-After`` up to a cap), and :class:`Attempts`, the state of one call across its
  retries;
- :meth:`Retrying.decide`, the one decision after a failed attempt: retry after N seconds
  (:class:`Retry`), or raise the client's own error;
- :func:`retried` and :func:`aretried`, the one loop shape of each side: run an attempt until it
  returns something other than :class:`Retry`, waiting its delay on the library's clock
  (:mod:`ai_voice_shared._clock`) or on an injected ``sleep``.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Final, Protocol, TypeVar

from ai_voice_shared._clock import get_clock

__all__ = [
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRIED_STATUSES",
    "Attempts",
    "GivingUp",
    "Retry",
    "Retrying",
    "aretried",
    "is_retried_status",
    "retried",
    "retry_after",
]

T = TypeVar("T")
A = TypeVar("A", bound="Attempts", contravariant=True)

#: Backoff before retry n: ``min(INITIAL_RETRY_DELAY * 2**(n - 1), MAX_RETRY_DELAY)``, minus up
#: to 25% jitter.
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
#: A ``Retry-After`` longer than this is ignored in favour of the backoff.
MAX_RETRY_AFTER: Final = 60.0
#: Statuses retried besides every 5xx.
RETRIED_STATUSES: Final = frozenset({408, 429})


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


# A plain slotted class rather than a dataclass: defining dataclasses costs about 0.4 ms each
# at import, against the package's import budget (benchmarks/import_cost.py).
class Retry:
    """Send the request again after ``delay`` seconds: what an attempt returns to its loop."""

    __slots__ = ("delay",)

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def __repr__(self) -> str:
        return f"Retry(delay={self.delay!r})"


class GivingUp(Protocol[A]):
    """What a client tells :meth:`Retrying.decide`: its deadline error, and its retry log."""

    def _deadline_error(self, attempts: A, *, waiting: float | None = None) -> Exception:
        """The error for a call whose total deadline passed (``waiting``: the retry that would
        have passed it)."""

    def _log_retry(self, attempts: A, delay: float) -> None:
        """Say (log) that attempt ``attempts.sent`` failed and is retried in ``delay`` s."""


class Retrying:
    """One retry policy: how many retries, the total deadline, and how long to wait.

    ``clock`` and ``jitter`` are for tests that drive time by hand; left out, the clock is
    :func:`~ai_voice_shared._clock.get_clock` at call time.
    """

    __slots__ = ("_clock", "_jitter", "max_retries", "total_timeout")

    def __init__(
        self,
        *,
        max_retries: int,
        total_timeout: float,
        clock: Callable[[], float] | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.total_timeout = total_timeout
        self._clock = clock
        self._jitter = jitter if jitter is not None else random.random

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
        """The call's deadline on the library's clock, for the socket guards of
        :mod:`ai_voice_shared._http`, whatever clock this policy reads."""
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

    def decide(
        self,
        attempts: A,
        client: GivingUp[A],
        final: Callable[[], Exception],
        *,
        retried: bool = True,
        timed_out: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Retry:
        """The one decision after a failed attempt: :class:`Retry` after N seconds, or raise.

        ``final`` builds the client's error for a failure that is not retried (``retried``
        false: a client error, a body that must not be fetched again) or whose retries are
        spent. A timeout once the deadline has passed, or a retry whose wait would pass it,
        raises ``client._deadline_error``. ``headers`` are the answer's, for ``Retry-After``.
        """
        if timed_out and self.remaining(attempts) <= 0:
            raise client._deadline_error(attempts)
        if not retried or not self.retries_left(attempts):
            raise final()
        delay = self.delay(attempts, headers)
        if not self.fits(attempts, delay):
            raise client._deadline_error(attempts, waiting=delay)
        client._log_retry(attempts, delay)
        return Retry(delay)


def retried(attempt: Callable[[], T | Retry], sleep: Callable[[float], None] | None = None) -> T:
    """The sync loop of every client twin: ``attempt()`` until it returns a result, waiting
    each :class:`Retry`'s delay on ``sleep`` (else the library's clock) in between."""
    while True:
        outcome = attempt()
        if not isinstance(outcome, Retry):
            return outcome
        (sleep or get_clock().sleep)(outcome.delay)


async def aretried(
    attempt: Callable[[], Awaitable[T | Retry]],
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> T:
    """The async twin of :func:`retried`."""
    while True:
        outcome = await attempt()
        if not isinstance(outcome, Retry):
            return outcome
        await (sleep or get_clock().async_sleep)(outcome.delay)


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
