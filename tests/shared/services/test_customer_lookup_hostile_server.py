"""The lookup clients against a hostile server on 127.0.0.1: bounded time, bounded memory.

A live FakeLookupServer serves the answers; a FaultProxy slows them down. The deadline is a
bound the client promises, so it is asserted relative to the configured total timeout.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Iterator

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


def lookup(url: str, *, asynchronous: bool, **options: float) -> None:
    settings = {"timeout": 1.0, "total_timeout": TOTAL, "cache_ttl": 0, **options}
    if asynchronous:

        async def run() -> None:
            async with AsyncCustomerLookupClient(url, **settings) as client:  # type: ignore[arg-type]
                await client.lookup(PHONE)

        asyncio.run(run())
    else:
        with CustomerLookupClient(url, **settings) as client:  # type: ignore[arg-type]
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
