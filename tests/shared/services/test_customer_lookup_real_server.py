"""The lookup client against a real HTTP server on 127.0.0.1: connections are reused, and what a
server echoes of the number on the wire never reaches an error or a log line."""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ai_voice_shared import (
    AsyncCustomerLookupClient,
    CustomerLookupClient,
    CustomerLookupConnectionError,
)
from ai_voice_shared_testing import FakeLookupServer
from tests.shared.services.lookup_helpers import SPELLINGS, RawHttpServer

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


def lookup_over_the_wire(url: str, *, asynchronous: bool, **options: Any) -> None:
    if asynchronous:

        async def run() -> None:
            async with AsyncCustomerLookupClient(url, cache_ttl=0, **options) as client:
                await client.lookup(PHONE)

        asyncio.run(run())
    else:
        with CustomerLookupClient(url, cache_ttl=0, **options) as client:
            client.lookup(PHONE)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("echoed", [PHONE, "+1 555-555-0100"], ids=["as sent", "spelled out"])
def test_a_header_line_the_parser_refuses_does_not_leak_the_echoed_number(
    caplog: pytest.LogCaptureFixture, asynchronous: bool, echoed: str
) -> None:
    # h11 refuses the space before the colon, and quotes the whole line in its error.
    head = f"HTTP/1.1 200 OK\r\nX-Phone-Number : {echoed}\r\nContent-Length: 2\r\n\r\n{{}}"
    caplog.set_level(logging.DEBUG)

    with (
        RawHttpServer(head.encode()) as server,
        pytest.raises(CustomerLookupConnectionError) as caught,
    ):
        lookup_over_the_wire(server.url, asynchronous=asynchronous, max_retries=1)

    assert "illegal header line" in str(caught.value)
    logged = [record.getMessage() for record in caplog.records]
    assert any("illegal header line" in line for line in logged)
    for text in ["".join(traceback.format_exception(caught.value)), *logged]:
        assert "5555550" not in text
        assert "555-0100" not in text


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_response_headers_echoing_the_number_in_any_spelling_never_reach_the_logs(
    caplog: pytest.LogCaptureFixture, asynchronous: bool
) -> None:
    body = json.dumps({"customer_id": "cus_1", "company_id": "co_9", "company_name": "Acme"})
    echoes = "".join(f"X-Looked-Up-{n}: {spelling}\r\n" for n, spelling in enumerate(SPELLINGS))
    head = f"HTTP/1.1 200 OK\r\n{echoes}Content-Length: {len(body)}\r\n\r\n"
    caplog.set_level(logging.DEBUG)  # httpcore logs the response headers at DEBUG

    with RawHttpServer(head.encode(), body.encode()) as server:
        lookup_over_the_wire(server.url, asynchronous=asynchronous)

    headers_logged = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("httpcore") and "X-Looked-Up" in record.getMessage()
    ]
    assert headers_logged
    for masked in SPELLINGS.values():
        assert masked in headers_logged[0]
    for record in caplog.records:
        for spelling in SPELLINGS:
            assert spelling not in record.getMessage()
