"""The core every HTTP fake of the kit shares: interception, faults, live serving, strictness.

A fake (:class:`FakeHttpService` subclass) answers requests for its own hosts from memory. It is
reached two ways, usable with or without pytest:

- :meth:`FakeHttpService.intercept`: every httpx client in the process, sync or async, built
  before or after, sends requests for the fake's hosts to the fake. Interception happens where
  httpx picks the transport for a URL, above every transport: a respx router or a pytest-httpx
  mock, opened before or after the fake, in any order, never sees the fake's requests, and the
  fake never sees theirs (why there, and nowhere public:
  :mod:`ai_voice_shared_testing._http.transport_choice`).
- :meth:`FakeHttpService.serve`: real HTTP/1.1 with keep-alive on 127.0.0.1, one port per host,
  for code that does not use httpx or runs in another process.

Faults (:meth:`~FakeHttpService.fail`) are answered instead of the request: a status (with
``Retry-After``), an exception as the transport would raise it (live: the connection drops), a
body cut off after N bytes, an oversized body, and a delay. Waiting goes through the library's
clock, so under :class:`~ai_voice_shared_testing.virtual_time.VirtualTime` no fault makes a
test wait. :meth:`~FakeHttpService.problems` lists stray requests and faults never triggered:
the fixtures fail the test with them at teardown, as pytest_httpx does.

This module is the public face; the family lives in :mod:`ai_voice_shared_testing._http`.
"""

from __future__ import annotations

from ai_voice_shared_testing._http.base import FakeHttpService
from ai_voice_shared_testing._http.interception import intercepted_origins
from ai_voice_shared_testing._http.types import FakeAnswer, FakeRequest, HttpFault, RecordedRequest

__all__ = [
    "FakeAnswer",
    "FakeHttpService",
    "FakeRequest",
    "HttpFault",
    "RecordedRequest",
    "intercepted_origins",
]
