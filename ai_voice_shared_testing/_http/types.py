"""The values every HTTP fake of the kit passes around, whichever way a request arrived.

:class:`FakeRequest` in, :class:`FakeAnswer` out, :class:`RecordedRequest` kept, and
:class:`HttpFault` registered by :meth:`~ai_voice_shared_testing.http_fakes.FakeHttpService.fail`.
:class:`Answerer` is all the ways in (interception, the live server) need of a fake.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qs

import httpx

__all__ = ["CHUNK", "Answerer", "FakeAnswer", "FakeRequest", "HttpFault", "RecordedRequest"]

#: The size of the chunks a body is streamed in.
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FakeRequest:
    """A request as a fake sees it, whichever way it arrived; header names are lower-case."""

    method: str
    url: str
    host: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def params(self) -> dict[str, list[str]]:
        """The query string, parsed (blank values kept)."""
        return parse_qs(self.query, keep_blank_values=True)


@dataclass
class FakeAnswer:
    """What a fake answers: a status, headers and a body (bytes, or chunks with ``length``)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None
    exception: type[Exception] | None = None
    cut_after: int | None = None
    delay: float = 0.0

    def chunks(self) -> Iterator[bytes]:
        """The body in chunks, stopping after ``cut_after`` bytes when set."""
        source: Iterable[bytes] = (
            [self.body[i : i + CHUNK] for i in range(0, len(self.body), CHUNK)]
            if isinstance(self.body, bytes)
            else self.body
        )
        left = self.cut_after
        for chunk in source:
            if left is not None:
                chunk = chunk[:left]
                left -= len(chunk)
            if chunk:
                yield chunk
            if left == 0:
                return

    @property
    def content_length(self) -> int | None:
        """The body's full length (``Content-Length``), even when it will be cut."""
        if isinstance(self.body, bytes):
            return len(self.body)
        return self.length


@dataclass(frozen=True)
class RecordedRequest:
    """One request a fake answered: where it went, what it carried and what it got.

    ``headers`` ignores case, as HTTP does (``"Authorization" in request.headers``); it is an
    ``httpx.Headers``, equal to a dict of the same headers in any case.
    """

    method: str
    url: str
    host: str
    path: str
    query: str
    headers: Mapping[str, str]
    status: int
    target: str | None
    role: str = ""

    def __post_init__(self) -> None:
        # httpx's case-insensitive multi-dict rather than a hand-written one (httpx is a
        # dependency of the library already).
        object.__setattr__(self, "headers", httpx.Headers(self.headers))


@dataclass
class HttpFault:
    """One registered fault; see :meth:`FakeHttpService.fail`."""

    status: int | None
    times: int
    headers: dict[str, str]
    body: bytes
    exception: type[Exception] | None
    optional: bool
    on: str | None
    cut_after: int | None
    oversize: int | None
    content_length: bool
    triggered: int = 0

    def describe(self) -> str:
        """How the fault was registered, for teardown messages."""
        if self.exception is not None:
            what = self.exception.__name__
        elif self.cut_after is not None:
            what = f"cut_after={self.cut_after}"
        elif self.oversize is not None:
            what = f"oversize={self.oversize}"
        else:
            what = f"HTTP {self.status or 503}"
        where = f", on={self.on!r}" if self.on is not None else ""
        return f"fail({what}{where}, times={self.times + self.triggered})"

    def apply(self, answer: FakeAnswer) -> FakeAnswer:
        """The answer given instead of ``answer``."""
        if self.cut_after is not None or self.oversize is not None:
            if self.status is not None:
                answer.status = self.status
            answer.headers.update(self.headers)
            if self.cut_after is not None:
                answer.cut_after = self.cut_after
            if self.oversize is not None:
                answer.body = _filler(self.oversize)
                answer.length = self.oversize if self.content_length else None
            return answer
        return FakeAnswer(
            self.status or 503,
            {"Content-Type": "application/json", **self.headers},
            self.body,
            exception=self.exception,
        )


def _filler(size: int) -> Iterator[bytes]:
    block = bytes(CHUNK)
    for start in range(0, size, CHUNK):
        yield block[: min(CHUNK, size - start)]


class Answerer(Protocol):
    """What interception and the live server need of a fake: it answers a request on one of
    its hosts (``role``)."""

    def handle(self, request: FakeRequest, role: str) -> FakeAnswer:
        """Answer ``request``, recorded and with any fault applied."""
        ...
