"""The lookup clients against a hostile server on 127.0.0.1: bounded time, bounded memory.

A live FakeLookupServer serves the answers; a FaultProxy slows them down. The deadline is a
bound the client promises, so it is asserted relative to the configured total timeout.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Iterator

import httpx
import pytest

from ai_voice_shared import (
    AsyncCustomerLookupClient,
    CustomerLookupClient,
    CustomerLookupError,
    CustomerLookupResponseError,
    CustomerLookupStatusError,
    CustomerLookupTimeoutError,
)
from ai_voice_shared_testing import FakeLookupServer
from ai_voice_shared_testing.fault_proxy import FaultProxy
from tests.shared.services.lookup_helpers import RawHttpServer

PHONE = "+15555550100"
TOTAL = 1.5
MiB = 1024 * 1024


@pytest.fixture
def live() -> Iterator[FakeLookupServer]:
    with FakeLookupServer().start() as server:
        server.add_customer(PHONE)
        yield server


@pytest.fixture
def proxy(live: FakeLookupServer) -> Iterator[FaultProxy]:
    with FaultProxy(live.base_url) as fault_proxy:
        yield fault_proxy


def lookup(url: str, *, asynchronous: bool, own_http: bool = False, **options: float) -> None:
    """One lookup; ``own_http`` passes in an httpx client of the caller's (no socket guard)."""
    settings = {"timeout": 1.0, "total_timeout": TOTAL, "cache_ttl": 0, **options}
    if asynchronous:

        async def run() -> None:
            async with (
                httpx.AsyncClient() as http,
                AsyncCustomerLookupClient(
                    url,
                    http_client=http if own_http else None,
                    **settings,  # type: ignore[arg-type]
                ) as client,
            ):
                await client.lookup(PHONE)

        asyncio.run(run())
    else:
        with (
            httpx.Client() as http,
            CustomerLookupClient(
                url,
                http_client=http if own_http else None,
                **settings,  # type: ignore[arg-type]
            ) as client,
        ):
            client.lookup(PHONE)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("chunk", [1, 40], ids=["slow headers", "slow body"])
def test_a_trickling_server_cannot_hold_a_lookup_past_its_total_deadline(
    proxy: FaultProxy, asynchronous: bool, chunk: int
) -> None:
    # Each byte (or 40) arrives well within the 1 s read timeout: only the deadline stops it.
    proxy.trickle(chunk=chunk, every=0.25)
    start = time.monotonic()

    with pytest.raises(CustomerLookupTimeoutError):
        lookup(proxy.url, asynchronous=asynchronous)

    assert time.monotonic() - start < TOTAL + 1.0  # it took 31-37 s before the deadline guard


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("own_http", [False, True], ids=["own client", "http_client passed in"])
@pytest.mark.parametrize("status", [404, 503])
def test_an_error_body_trickled_after_prompt_headers_cannot_pass_the_total_deadline(
    asynchronous: bool, own_http: bool, status: int
) -> None:
    # Headers at once, then 400 bytes at one per 50 ms: 20 s to read the whole body.
    head = b"HTTP/1.1 %d Oops\r\nContent-Type: text/plain\r\nContent-Length: 400\r\n\r\n" % status
    total = 0.3
    with RawHttpServer(head, b"x" * 400, every=0.05) as server:
        start = time.monotonic()

        with pytest.raises(CustomerLookupTimeoutError, match=r"total deadline of 0\.3 s"):
            lookup(server.url, asynchronous=asynchronous, own_http=own_http, total_timeout=total)

        assert time.monotonic() - start < total + 1.0  # 20 s with an http_client passed in


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("status", "content_length", "error"),
    [
        (None, True, CustomerLookupResponseError),
        (None, False, CustomerLookupResponseError),
        (500, True, CustomerLookupStatusError),
        (403, False, CustomerLookupStatusError),
    ],
    ids=["200", "200 chunked", "500", "403 chunked"],
)
def test_a_100_mb_answer_is_not_read_past_what_the_client_needs(
    live: FakeLookupServer,
    proxy: FaultProxy,
    asynchronous: bool,
    status: int | None,
    content_length: bool,
    error: type[CustomerLookupError],
) -> None:
    live.fail(status, oversize=100 * MiB, content_length=content_length, times=3)

    with pytest.raises(error):
        lookup(proxy.url, asynchronous=asynchronous, max_retries=0)

    # What crossed the wire before the client hung up: socket buffers, not 100 MB.
    assert proxy.response_bytes < 16 * MiB


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_gzip_bomb_is_refused_without_inflating_it(
    live: FakeLookupServer, asynchronous: bool
) -> None:
    bomb = gzip.compress(bytes(500 * MiB), compresslevel=9)  # ~500 KiB on the wire
    live.fail(200, headers={"Content-Encoding": "gzip"}, body=bomb)

    with pytest.raises(CustomerLookupResponseError, match="more than 65536 bytes"):
        lookup(live.base_url, asynchronous=asynchronous)
