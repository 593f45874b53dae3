"""Keep phone numbers out of logs and error messages, whoever writes them.

- :func:`mask_numbers_in` masks every phone-number-like run of digits in a text (a server's
  error body may echo the number in any spelling, or several numbers).
- :func:`scrubbed_logs` masks given numbers in every log record created while it is active in
  this thread or task, whatever logger emits it (``httpx`` logs each request URL at INFO, with
  the number in the query string). It installs a log record factory that chains to the one in
  place; records created outside the block, and every handler, level and filter, are untouched.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from ai_voice_shared.phone import mask_phone_number

__all__ = ["mask_numbers_in", "scrubbed_logs"]

# A run of at least 7 digits, possibly with the separators people write numbers with.
_NUMBER_LIKE = re.compile(r"\+?\(?\d(?:[\d \-().\u00a0]*\d)?")
_MIN_DIGITS = 7


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if sum(ch.isdigit() for ch in run) < _MIN_DIGITS:
        return run
    return mask_phone_number(run)


def mask_numbers_in(text: str) -> str:
    """``text`` with every run of 7 or more digits (a phone number in any spelling) masked."""
    return _NUMBER_LIKE.sub(_mask_run, text)


def _spellings(number: str) -> list[tuple[str, str]]:
    """How an E.164 number shows up in text and URLs, each with its masked form."""
    masked = mask_phone_number(number)
    digits = number.lstrip("+")
    return [
        (number, masked),
        (f"%2B{digits}", f"%2B{masked[1:]}"),
        (f"%2b{digits}", f"%2b{masked[1:]}"),
        (digits, masked[1:]),
    ]


_SCRUB: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar(
    "ai_voice_shared_scrub", default=()
)
_install_lock = threading.Lock()


def _scrub(record: logging.LogRecord, replacements: tuple[tuple[str, str], ...]) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a record whose args do not fit its format: leave it to logging
        return
    scrubbed = message
    for secret, masked in replacements:
        scrubbed = scrubbed.replace(secret, masked)
    if scrubbed != message:
        record.msg = scrubbed
        record.args = None


def _install() -> None:
    with _install_lock:
        current = logging.getLogRecordFactory()
        if getattr(current, "_aivs_scrubber", False):
            return

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = current(*args, **kwargs)
            numbers = _SCRUB.get()
            if numbers:
                _scrub(record, numbers)
            return record

        factory._aivs_scrubber = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)


@contextlib.contextmanager
def scrubbed_logs(*numbers: str, texts: Mapping[str, str] | None = None) -> Iterator[None]:
    """Mask ``numbers`` (E.164, in every spelling) in every log record created inside, in this
    thread or task; ``texts`` maps any other secret text to what replaces it."""
    _install()
    replacements = [pair for number in numbers for pair in _spellings(number)]
    replacements += [(secret, shown) for secret, shown in (texts or {}).items() if secret]
    token = _SCRUB.set(_SCRUB.get() + tuple(replacements))
    try:
        yield
    finally:
        _SCRUB.reset(token)
