"""The deadline of the current call: every socket operation made inside :func:`deadline` is
bounded by the time left before it, on the transports of :mod:`.transports`."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from ai_voice_shared._clock import get_clock

__all__ = ["current_deadline", "deadline", "deadline_remaining"]

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ai_voice_shared_deadline", default=None
)


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Bound every socket operation inside by the time left before ``at`` (on the clock of
    :func:`ai_voice_shared._clock.get_clock`), on the transports of :mod:`.transports`."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def current_deadline() -> float | None:
    """The innermost :func:`deadline`, on the library's clock (``None`` outside one)."""
    return _DEADLINE.get()


def deadline_remaining() -> float | None:
    """Seconds left before the innermost :func:`deadline` (``None`` outside one)."""
    at = _DEADLINE.get()
    return None if at is None else at - get_clock().monotonic()
