"""Log records scrubbed while a call runs: its numbers, in any spelling, and URL queries."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any, Final

from ai_voice_shared._privacy.masking import digits_of, mask_runs_holding, spellings_of

__all__ = ["scrubbed_logs"]

# A run of text without whitespace or quotes: where a URL in a log line ends (a bytes repr
# included: httpcore logs headers so).
_TOKEN: Final = re.compile(r"[^\s'\"]+")


def _hide_queries(text: str) -> str:
    """``text`` with the query string of every http(s) URL replaced. By hand, token by token,
    in linear time: a regex from each ``http://`` to a ``?`` backtracks quadratically on a
    hostile header full of URLs without one."""
    if "?" not in text:
        return text

    def hide(match: re.Match[str]) -> str:
        token = match.group(0)
        query = token.find("?")
        if query < 0:
            return token
        head = token[:query].lower()
        start = max(head.rfind("http://"), head.rfind("https://"))
        if start < 0 or "#" in head[start:]:
            return token
        end = token.find("#", query)
        return token[: query + 1] + "<query hidden>" + (token[end:] if end >= 0 else "")

    return _TOKEN.sub(hide, text)


class _Secrets:
    """What to mask in log records: the numbers' usual spellings, any spelling (their digits), and
    the query strings of URLs (a CDN's signed query is a short-lived credential)."""

    __slots__ = ("hide_queries", "numbers", "replacements")

    def __init__(
        self,
        replacements: tuple[tuple[str, str], ...],
        numbers: tuple[str, ...],
        hide_queries: bool = False,
    ) -> None:
        self.replacements = replacements
        self.numbers = numbers
        self.hide_queries = hide_queries


# None outside every scrubbed_logs block.
_SCRUB: contextvars.ContextVar[_Secrets | None] = contextvars.ContextVar(
    "ai_voice_shared_scrub", default=None
)
_install_lock = threading.Lock()


def _scrub(record: logging.LogRecord, secrets: _Secrets) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a record whose args do not fit its format: leave it to logging
        return
    scrubbed = message
    for secret, masked in secrets.replacements:
        scrubbed = scrubbed.replace(secret, masked)
    scrubbed = mask_runs_holding(scrubbed, secrets.numbers)
    if secrets.hide_queries:
        scrubbed = _hide_queries(scrubbed)
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
            secrets = _SCRUB.get()
            if secrets is not None:
                _scrub(record, secrets)
            return record

        factory._aivs_scrubber = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)


@contextlib.contextmanager
def scrubbed_logs(*numbers: str, hide_queries: bool = False) -> Iterator[None]:
    """Mask ``numbers`` (E.164, in every spelling, as :func:`mask_number_in` does) in every log
    record created inside, in this thread or task; ``hide_queries`` replaces the query string of
    every http(s) URL (a redirect's signed ``Location`` that httpcore logs before anyone can
    know it)."""
    _install()
    replacements = [pair for number in numbers for pair in spellings_of(number)]
    secrets = _Secrets(
        tuple(replacements), tuple(digits_of(number) for number in numbers), hide_queries
    )
    if (outer := _SCRUB.get()) is not None:  # nested blocks mask what each one masks
        secrets = _Secrets(
            outer.replacements + secrets.replacements,
            outer.numbers + secrets.numbers,
            outer.hide_queries or hide_queries,
        )
    token = _SCRUB.set(secrets)
    try:
        yield
    finally:
        _SCRUB.reset(token)
