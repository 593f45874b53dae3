"""Response bodies read within a size limit and a deadline, decoded as the server declared.

:func:`iter_bounded` / :func:`aiter_bounded` stream a body, decoded as declared (identity,
gzip, deflate), and stop with :class:`BodyTooLargeError` as soon as the decoded size passes a
limit. The compressed input is inflated in bounded steps, so a "zip bomb" costs no more memory
than an honest body of the limit's size.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

import httpx

from ai_voice_shared._clock import get_clock
from ai_voice_shared._http.deadline import deadline

__all__ = [
    "IDENTITY",
    "BodyTooLargeError",
    "UnsupportedEncodingError",
    "aiter_bounded",
    "aread_bounded",
    "aread_prefix",
    "iter_bounded",
    "read_bounded",
    "read_prefix",
]

#: Ask servers not to compress: the library's bodies are small JSON or already-compressed media.
IDENTITY: Final = {"Accept-Encoding": "identity"}
#: Raw bytes fed to the decoder at once, and the most it may inflate them to in one step: a
#: compressed body never costs more than this much memory between two size checks.
_STEP: Final = 16 * 1024
_OUT: Final = 64 * 1024


class BodyTooLargeError(Exception):
    """A response body passed the limit; ``seen`` is how many decoded bytes had arrived (or the
    declared ``Content-Length``)."""

    def __init__(self, limit: int, seen: int, *, declared: bool = False) -> None:
        how = "declares" if declared else "sent more than"
        super().__init__(f"the response {how} {seen} bytes, over the limit of {limit}")
        self.limit = limit
        self.seen = seen
        self.declared = declared


class UnsupportedEncodingError(Exception):
    """The server compressed the body with an encoding this library does not inflate."""


class _Decoder:
    """Inflates one declared Content-Encoding in bounded steps; counts the decoded bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        encoding = encoding.strip().lower()
        self.limit = limit
        self.size = 0
        self._inflate: Any = None
        self._raw_deflate_fallback = False
        if encoding in ("", "identity"):
            return
        if encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._inflate = zlib.decompressobj()
            self._raw_deflate_fallback = True
        else:
            raise UnsupportedEncodingError(
                f"the server sent Content-Encoding {encoding!r}; only gzip and deflate are "
                "inflated (the request asks for identity)"
            )

    def feed(self, raw: bytes) -> Iterator[bytes]:
        if self._inflate is None:
            yield self._count(raw)
            return
        for start in range(0, len(raw), _STEP):
            pending = raw[start : start + _STEP]
            while pending:
                try:
                    out = self._inflate.decompress(pending, min(_OUT, self.limit - self.size + 1))
                except zlib.error as exc:
                    if self._raw_deflate_fallback and self.size == 0:
                        # "deflate" is sent both zlib-wrapped and raw in the wild (as httpx
                        # handles it): retry the first bytes as raw deflate once.
                        self._raw_deflate_fallback = False
                        self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                        continue
                    raise UnsupportedEncodingError(
                        f"the compressed body is corrupt ({exc})"
                    ) from None
                self._raw_deflate_fallback = False
                pending = self._inflate.unconsumed_tail
                if out:
                    yield self._count(out)

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.limit:
            raise BodyTooLargeError(self.limit, self.size)
        return data


def _declared(response: httpx.Response, limit: int) -> _Decoder:
    encoding = response.headers.get("content-encoding", "")
    if "," in encoding:
        raise UnsupportedEncodingError(f"the server stacked Content-Encodings {encoding!r}")
    length = response.headers.get("content-length")
    if encoding.strip().lower() in ("", "identity") and length and length.strip().isdigit():
        declared = int(length)
        if declared > limit:
            raise BodyTooLargeError(limit, declared, declared=True)
    return _Decoder(encoding, limit)


def _passed(until: float | None) -> bool:
    # ">=": the socket guard (_bounded) gives up once no time is left, and so does this.
    return until is not None and get_clock().monotonic() >= until


def _expired_while_reading() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("the call's total deadline passed while reading the body")


def _check(until: float | None) -> None:
    # Between reads, for clients whose transport is not deadline-guarded (one passed in).
    if _passed(until):
        raise _expired_while_reading()


def iter_bounded(
    response: httpx.Response, limit: int, *, until: float | None = None
) -> Iterator[bytes]:
    """The decoded body of a streamed response, chunk by chunk, at most ``limit`` bytes.

    Raises :class:`BodyTooLargeError` (from ``Content-Length`` before reading, or while reading),
    :class:`UnsupportedEncodingError`, and ``httpx.ReadTimeout`` once ``until`` (a deadline on the
    library's clock) has passed between two reads. The caller closes the response.
    """
    decoder = _declared(response, limit)
    raw_chunks = response.iter_raw()
    while True:
        # Each read is guarded by the deadline (our transports honour it at the socket): the
        # consumer may read at its own pace, so the guard cannot span the whole iteration.
        with deadline(until) if until is not None else contextlib.nullcontext():
            raw = next(raw_chunks, None)
        if raw is None:
            return
        _check(until)
        yield from decoder.feed(raw)


async def aiter_bounded(
    response: httpx.Response, limit: int, *, until: float | None = None
) -> AsyncIterator[bytes]:
    """The async twin of :func:`iter_bounded`."""
    decoder = _declared(response, limit)
    raw_chunks = response.aiter_raw()
    while True:
        with deadline(until) if until is not None else contextlib.nullcontext():
            raw = await anext(raw_chunks, None)
        if raw is None:
            return
        _check(until)
        for chunk in decoder.feed(raw):
            yield chunk


def read_bounded(response: httpx.Response, limit: int, *, until: float | None = None) -> bytes:
    """The whole decoded body of a streamed response, at most ``limit`` bytes."""
    return b"".join(iter_bounded(response, limit, until=until))


async def aread_bounded(
    response: httpx.Response, limit: int, *, until: float | None = None
) -> bytes:
    """The async twin of :func:`read_bounded`."""
    return b"".join([chunk async for chunk in aiter_bounded(response, limit, until=until)])


def read_prefix(response: httpx.Response, size: int, *, until: float | None = None) -> bytes:
    """Up to ``size`` decoded bytes from the start of the body (for error excerpts); never
    reads past them. A body that cannot be decoded, or is cut off, gives what arrived.

    ``until`` (a deadline on the library's clock) bounds each read, on the library's transports
    at the socket and on any other client between reads: once it has passed, the read stops with
    ``httpx.ReadTimeout`` rather than giving what arrived, so a trickled error body cannot hold
    the call past its deadline. The caller closes the response.
    """
    parts: list[bytes] = []
    seen = 0
    try:
        decoder = _Decoder(response.headers.get("content-encoding", ""), 1 << 62)
        raw_chunks = response.iter_raw()
        while True:
            with deadline(until) if until is not None else contextlib.nullcontext():
                raw = next(raw_chunks, None)
            if raw is None:
                break
            _check(until)
            for chunk in decoder.feed(raw):
                parts.append(chunk[: size - seen])
                seen += len(parts[-1])
                if seen >= size:
                    return b"".join(parts)
    except (BodyTooLargeError, UnsupportedEncodingError, httpx.HTTPError):
        if _passed(until):
            raise _expired_while_reading() from None
    return b"".join(parts)


async def aread_prefix(response: httpx.Response, size: int, *, until: float | None = None) -> bytes:
    """The async twin of :func:`read_prefix`."""
    parts: list[bytes] = []
    seen = 0
    try:
        decoder = _Decoder(response.headers.get("content-encoding", ""), 1 << 62)
        raw_chunks = response.aiter_raw()
        while True:
            with deadline(until) if until is not None else contextlib.nullcontext():
                raw = await anext(raw_chunks, None)
            if raw is None:
                break
            _check(until)
            for chunk in decoder.feed(raw):
                parts.append(chunk[: size - seen])
                seen += len(parts[-1])
                if seen >= size:
                    return b"".join(parts)
    except (BodyTooLargeError, UnsupportedEncodingError, httpx.HTTPError):
        if _passed(until):
            raise _expired_while_reading() from None
    return b"".join(parts)
