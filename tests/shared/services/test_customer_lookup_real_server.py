"""The lookup client against a real HTTP server on 127.0.0.1: connections are reused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ai_voice_shared import AsyncCustomerLookupClient, CustomerLookupClient
from ai_voice_shared_testing import FakeLookupServer

PHONE = "+15555550100"


@pytest.fixture
def live() -> Iterator[FakeLookupServer]:
    with FakeLookupServer(api_key="k").start() as server:
        server.add_customer(PHONE, customer_id="cus_1", company_id="co_9", company_name="Acme Ltd")
        yield server


def test_the_pooled_client_reuses_one_keep_alive_connection(live: FakeLookupServer) -> None:
    with CustomerLookupClient(live.base_url, api_key="k", cache_ttl=0) as client:
        for _ in range(10):
            assert client.lookup(PHONE).company_name == "Acme Ltd"

    assert len(live.requests) == 10
    assert live.connections == 1


def test_a_fresh_httpx_get_per_call_opens_a_connection_each_time(live: FakeLookupServer) -> None:
    for _ in range(3):
        httpx.get(f"{live.base_url}/customers/lookup", params={"phone_number": PHONE})

    assert live.connections == 3


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_async_client_reuses_its_connection_too(
    live: FakeLookupServer, anyio_backend: str
) -> None:
    async with AsyncCustomerLookupClient(live.base_url, api_key="k", cache_ttl=0) as client:
        for _ in range(5):
            assert (await client.lookup(PHONE)).customer_id == "cus_1"

    assert live.connections == 1


def test_retries_over_real_http_keep_the_request_id(live: FakeLookupServer) -> None:
    live.fail(503, times=1, headers={"Retry-After": "0"})

    with CustomerLookupClient(live.base_url, api_key="k") as client:
        client.lookup(PHONE)

    first, second = live.requests
    assert (first.status, second.status) == (503, 200)
    assert first.headers["x-request-id"] == second.headers["x-request-id"]
