"""CustomerLookupClient (sync) on respx: contract, retries, deadline, cache, coalescing, logs.

Mirrored by test_async_customer_lookup_client.py; keep the two in step.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from ai_voice_shared import (
    CustomerLookupClient,
    CustomerLookupConnectionError,
    CustomerLookupError,
    CustomerLookupResponseError,
    CustomerLookupStatusError,
    CustomerLookupTimeoutError,
    CustomerMetadata,
    CustomerNotFoundError,
    InvalidPhoneNumberError,
    __version__,
)
from tests.shared.services.lookup_helpers import (
    API_KEY,
    BASE_URL,
    CUSTOMER,
    MASKED,
    NOT_RETRIED,
    NOT_THE_CONTRACTS_404,
    PHONE,
    RETRIED,
    SPELLINGS,
    FakeClock,
    http_date_in,
    ok,
    status,
    trickled,
)


@pytest.fixture
def server() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps(clock: FakeClock) -> list[float]:
    return []


def make_client(clock: FakeClock, sleeps: list[float], **options: Any) -> CustomerLookupClient:
    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    return CustomerLookupClient(BASE_URL, sleep=sleep, clock=clock, jitter=lambda: 0.0, **options)


@pytest.fixture
def client(clock: FakeClock, sleeps: list[float]) -> Iterator[CustomerLookupClient]:
    with make_client(clock, sleeps) as lookup_client:
        yield lookup_client


def test_a_lookup_returns_the_customer_and_sends_the_contract_headers(
    server: respx.MockRouter, clock: FakeClock, sleeps: list[float]
) -> None:
    route = server.get("/customers/lookup").mock(return_value=ok({**CUSTOMER, "tier": "gold"}))

    with make_client(clock, sleeps, api_key=API_KEY) as client:
        customer = client.lookup("whatsapp:+1 555-555-0100")

    assert customer == CustomerMetadata(**CUSTOMER)
    request = route.calls.last.request
    assert request.url.params["phone_number"] == PHONE
    assert request.headers["user-agent"] == f"ai-voice-shared/{__version__}"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert len(request.headers["x-request-id"]) == 32


def test_no_authorization_header_is_sent_without_an_api_key(
    server: respx.MockRouter, client: CustomerLookupClient
) -> None:
    route = server.get("/customers/lookup").mock(return_value=ok())

    client.lookup(PHONE)

    assert "authorization" not in route.calls.last.request.headers


@pytest.mark.parametrize("number", ["15555550100", "whatsapp:abc", "+1", "", "+0555555010"])
def test_an_invalid_number_is_refused_before_any_request(
    server: respx.MockRouter, client: CustomerLookupClient, number: str
) -> None:
    route = server.get("/customers/lookup").mock(return_value=ok())

    with pytest.raises(InvalidPhoneNumberError, match=r"is not a phone number in E\.164 form"):
        client.lookup(number)

    assert not route.called


def test_a_404_is_customer_not_found_for_lookup_and_none_for_find(
    server: respx.MockRouter, clock: FakeClock, sleeps: list[float]
) -> None:
    route = server.get("/customers/lookup").mock(return_value=status(404))

    with make_client(clock, sleeps, negative_cache_ttl=0) as client:
        assert client.find(PHONE) is None
        with pytest.raises(CustomerNotFoundError) as caught:
            client.lookup(PHONE)

    assert str(caught.value) == (
        f"No customer has the phone number {MASKED} (customer-lookup-server answered 404). "
        "Use find() to get None instead of this error."
    )
    assert (caught.value.phone_number, caught.value.attempts) == (MASKED, 1)
    assert route.call_count == 2


@pytest.mark.parametrize("code", RETRIED)
def test_a_retried_status_then_success_takes_two_attempts_with_one_request_id(
    server: respx.MockRouter, client: CustomerLookupClient, sleeps: list[float], code: int
) -> None:
    route = server.get("/customers/lookup").mock(side_effect=[status(code), ok()])

    assert client.lookup(PHONE).customer_id == "cus_1"

    assert route.call_count == 2
    ids = {call.request.headers["x-request-id"] for call in route.calls}
    assert len(ids) == 1
    assert sleeps == [0.5]


def test_a_connection_error_then_success_is_retried(
    server: respx.MockRouter, client: CustomerLookupClient, sleeps: list[float]
) -> None:
    route = server.get("/customers/lookup").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ok()]
    )

    assert client.lookup(PHONE).company_name == "Acme Ltd"
    assert route.call_count == 3
    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"Retry-After": "2"}, 2.0, id="Retry-After in seconds"),
        pytest.param({"retry-after-ms": "150"}, 0.15, id="retry-after-ms"),
        pytest.param({"Retry-After": "120"}, 0.5, id="beyond the 60 s cap: backoff instead"),
        pytest.param({"Retry-After": "soon"}, 0.5, id="unparsable: backoff instead"),
    ],
)
def test_retry_after_is_honoured_up_to_a_cap(
    server: respx.MockRouter,
    client: CustomerLookupClient,
    sleeps: list[float],
    headers: dict[str, str],
    expected: float,
) -> None:
    server.get("/customers/lookup").mock(side_effect=[status(429, **headers), ok()])

    client.lookup(PHONE)

    assert sleeps == [pytest.approx(expected)]


def test_retry_after_as_an_http_date_is_honoured(
    server: respx.MockRouter, client: CustomerLookupClient, sleeps: list[float]
) -> None:
    server.get("/customers/lookup").mock(
        side_effect=[status(503, **{"Retry-After": http_date_in(5)}), ok()]
    )

    client.lookup(PHONE)

    assert 3.0 < sleeps[0] <= 5.0


@pytest.mark.parametrize(
    "date",
    [
        "Mon, 01 Jan 2024 00:00:00 +99999999999999999999",
        "Mon, 01 Jan 999999999999999999999999999999 00:00:00 GMT",
    ],
    ids=["a zone offset of 20 digits", "a year of 30 digits"],
)
def test_a_retry_after_date_that_overflows_falls_back_to_backoff(
    server: respx.MockRouter, client: CustomerLookupClient, sleeps: list[float], date: str
) -> None:
    server.get("/customers/lookup").mock(side_effect=[status(503, **{"Retry-After": date}), ok()])

    assert (client.lookup(PHONE)).customer_id == "cus_1"

    assert sleeps == [0.5]  # the backoff; it was a bare OverflowError out of lookup()


def test_when_retries_run_out_the_status_error_says_what_happened(
    server: respx.MockRouter, client: CustomerLookupClient, sleeps: list[float]
) -> None:
    route = server.get("/customers/lookup").mock(
        return_value=status(503, f"upstream down for {PHONE}", **{"X-Request-ID": "srv-1"})
    )

    with pytest.raises(CustomerLookupStatusError) as caught:
        client.lookup(PHONE)

    error = caught.value
    assert route.call_count == 3
    assert sleeps == [0.5, 1.0]
    assert (error.status_code, error.attempts, error.request_id) == (503, 3, "srv-1")
    assert error.body_excerpt == f"upstream down for {MASKED}"
    assert str(error) == (
        f"customer-lookup-server answered HTTP 503 for {MASKED}, after retrying, after 3 "
        f"attempt(s) (request id srv-1): 'upstream down for {MASKED}'. Check that "
        f"customer-lookup-server at {BASE_URL} is healthy; raise CUSTOMER_LOOKUP_MAX_RETRIES "
        "to ride out longer outages."
    )


@pytest.mark.parametrize("code", NOT_RETRIED)
def test_a_client_error_is_not_retried(
    server: respx.MockRouter, client: CustomerLookupClient, sleeps: list[float], code: int
) -> None:
    route = server.get("/customers/lookup").mock(return_value=status(code))

    with pytest.raises(CustomerLookupStatusError) as caught:
        client.lookup(PHONE)

    assert (route.call_count, sleeps, caught.value.status_code) == (1, [], code)
    assert "not retried (a client error)" in str(caught.value)


def test_a_refused_api_key_points_at_the_setting(
    server: respx.MockRouter, client: CustomerLookupClient
) -> None:
    server.get("/customers/lookup").mock(return_value=status(401))

    with pytest.raises(CustomerLookupStatusError, match="Check CUSTOMER_LOOKUP_API_KEY"):
        client.lookup(PHONE)


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(httpx.Response(200, text="<html>login</html>"), id="not JSON"),
        pytest.param(httpx.Response(200, json={"customer_id": "c"}), id="fields missing"),
        pytest.param(httpx.Response(200, json={**CUSTOMER, "company_name": ""}), id="blank"),
    ],
)
def test_a_200_that_is_not_customer_metadata_is_a_response_error(
    server: respx.MockRouter, client: CustomerLookupClient, response: httpx.Response
) -> None:
    route = server.get("/customers/lookup").mock(return_value=response)

    with pytest.raises(CustomerLookupResponseError, match="but the body is not customer metadata"):
        client.lookup(PHONE)

    assert route.call_count == 1


def test_timeouts_on_every_attempt_are_a_timeout_error(
    server: respx.MockRouter, client: CustomerLookupClient
) -> None:
    server.get("/customers/lookup").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(CustomerLookupTimeoutError) as caught:
        client.lookup(PHONE)

    assert caught.value.attempts == 3
    assert "timed out (ReadTimeout) on each of 3 attempt(s)" in str(caught.value)
    assert "CUSTOMER_LOOKUP_TIMEOUT_SECONDS is 5 s" in str(caught.value)


def test_a_closed_port_on_127_0_0_1_is_a_connection_error(unused_port: int) -> None:
    client = CustomerLookupClient(
        f"http://127.0.0.1:{unused_port}", max_retries=1, sleep=lambda _: None
    )

    with client, pytest.raises(CustomerLookupConnectionError) as caught:
        client.lookup(PHONE)

    assert caught.value.attempts == 2
    assert f"at http://127.0.0.1:{unused_port} could not be reached after 2 attempt(s)" in str(
        caught.value
    )


def test_the_total_deadline_bounds_all_attempts_together(
    server: respx.MockRouter, clock: FakeClock, sleeps: list[float]
) -> None:
    route = server.get("/customers/lookup").mock(return_value=status(503, **{"Retry-After": "3"}))

    with (
        make_client(clock, sleeps, total_timeout=5, max_retries=5) as client,
        pytest.raises(CustomerLookupTimeoutError) as caught,
    ):
        client.lookup(PHONE)

    assert route.call_count == 2
    assert sleeps == [3.0]
    assert str(caught.value) == (
        f"Gave up looking up {MASKED} after 2 attempt(s): the total deadline of 5 s "
        "(CUSTOMER_LOOKUP_TOTAL_TIMEOUT_SECONDS) allows no more, as the next retry, 3.00 s "
        f"away, would pass it. The last outcome was HTTP 503 (request id "
        f"{route.calls.last.request.headers['x-request-id']})."
    )


def test_a_hit_is_served_from_the_cache_until_it_expires(
    server: respx.MockRouter, client: CustomerLookupClient, clock: FakeClock
) -> None:
    route = server.get("/customers/lookup").mock(return_value=ok())

    client.lookup(PHONE)
    client.lookup("whatsapp:" + PHONE)
    clock.advance(299)
    client.lookup(PHONE)
    assert route.call_count == 1

    clock.advance(2)
    client.lookup(PHONE)
    assert route.call_count == 2


def test_a_not_found_is_cached_for_the_shorter_negative_ttl(
    server: respx.MockRouter, client: CustomerLookupClient, clock: FakeClock
) -> None:
    route = server.get("/customers/lookup").mock(side_effect=[status(404), ok()])

    assert client.find(PHONE) is None
    with pytest.raises(CustomerNotFoundError):
        client.lookup(PHONE)
    assert route.call_count == 1

    clock.advance(31)
    assert client.lookup(PHONE).customer_id == "cus_1"
    assert route.call_count == 2


def test_invalidate_and_cache_clear_forget_what_was_cached(
    server: respx.MockRouter, client: CustomerLookupClient
) -> None:
    route = server.get("/customers/lookup").mock(return_value=ok())

    client.lookup(PHONE)
    client.invalidate("whatsapp:" + PHONE)
    client.lookup(PHONE)
    client.cache_clear()
    client.lookup(PHONE)

    assert route.call_count == 3


def test_a_zero_ttl_turns_the_cache_off(
    server: respx.MockRouter, clock: FakeClock, sleeps: list[float]
) -> None:
    route = server.get("/customers/lookup").mock(return_value=ok())

    with make_client(clock, sleeps, cache_ttl=0) as client:
        client.lookup(PHONE)
        client.lookup(PHONE)

    assert route.call_count == 2


def test_twenty_threads_looking_up_one_number_share_one_request(
    server: respx.MockRouter, client: CustomerLookupClient
) -> None:
    release = threading.Event()
    started = threading.Event()

    def slow_answer(request: httpx.Request) -> httpx.Response:
        started.set()
        release.wait(5)
        return ok()

    route = server.get("/customers/lookup").mock(side_effect=slow_answer)
    results: list[CustomerMetadata] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.lookup(PHONE))) for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    started.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)

    assert route.call_count == 1
    assert len(results) == 20
    assert all(result == results[0] for result in results)


def test_no_log_line_carries_the_phone_number_or_the_api_key(
    server: respx.MockRouter,
    clock: FakeClock,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.get("/customers/lookup").mock(
        side_effect=[status(503), ok(), status(404), status(500), status(500), status(500)]
    )
    caplog.set_level(logging.DEBUG)  # every logger: httpx logs each URL at INFO

    with make_client(clock, sleeps, api_key=API_KEY, negative_cache_ttl=0) as client:
        client.lookup(PHONE)
        client.find("+15555550199")
        with pytest.raises(CustomerLookupError):
            client.lookup("+15555550188")
        assert API_KEY not in repr(client)

    messages = [record.getMessage() for record in caplog.records]
    assert any(MASKED in message for message in messages)
    assert any(record.name == "httpx" for record in caplog.records)
    for message in messages:
        assert "5555550" not in message
        assert API_KEY not in message


@pytest.mark.parametrize(
    ("echoed", "masked"),
    [(PHONE, MASKED), ("+1 555-555-0100", "+1 555-***-*100")],
    ids=["as sent", "spelled out"],
)
def test_a_transport_error_quoting_the_number_leaks_it_into_neither_the_error_nor_the_logs(
    server: respx.MockRouter,
    clock: FakeClock,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
    echoed: str,
    masked: str,
) -> None:
    # What h11 says of a header line it refuses, when the server echoed the number in it.
    refused = f"illegal header line: bytearray(b'X-Phone-Number : {echoed}')"
    server.get("/customers/lookup").mock(side_effect=httpx.RemoteProtocolError(refused))
    caplog.set_level(logging.DEBUG)

    with (
        make_client(clock, sleeps, max_retries=1) as client,
        pytest.raises(CustomerLookupConnectionError) as caught,
    ):
        client.lookup(PHONE)

    said = f"RemoteProtocolError: illegal header line: bytearray(b'X-Phone-Number : {masked}')"
    assert str(caught.value) == (
        f"customer-lookup-server at {BASE_URL} could not be reached after 2 attempt(s) "
        f"({said}), looking up {MASKED} (request id {caught.value.request_id}). Check "
        "CUSTOMER_LOOKUP_BASE_URL and that the server is up."
    )
    logged = [record.getMessage() for record in caplog.records]
    assert any(said in line for line in logged)  # the "retrying" warning
    for text in ["".join(traceback.format_exception(caught.value)), *logged]:
        assert "5555550" not in text
        assert "555-0100" not in text


@pytest.mark.parametrize(
    ("echoed", "masked"), [(PHONE, MASKED), *SPELLINGS.items()], ids=[PHONE, *SPELLINGS]
)
def test_an_x_request_id_holding_the_number_is_masked_in_the_error_and_its_request_id(
    server: respx.MockRouter, client: CustomerLookupClient, echoed: str, masked: str
) -> None:
    server.get("/customers/lookup").mock(
        return_value=status(400, **{"X-Request-ID": f"lookup-{echoed}"})
    )

    with pytest.raises(CustomerLookupStatusError) as caught:
        client.lookup(PHONE)

    assert caught.value.request_id == f"lookup-{masked}"
    assert str(caught.value) == (
        f"customer-lookup-server answered HTTP 400 for {MASKED}, not retried (a client error), "
        f'after 1 attempt(s) (request id lookup-{masked}): \'{{"detail": "x"}}\'. Check '
        f"CUSTOMER_LOOKUP_BASE_URL ({BASE_URL}) and the contract in docs/customer-lookup-api.md."
    )


@pytest.mark.parametrize("code", [404, 503])
def test_with_an_http_client_passed_in_a_trickled_error_body_cannot_pass_the_total_deadline(
    server: respx.MockRouter, code: int
) -> None:
    read: list[int] = []
    # 0.1 s a byte on the library's (virtual) clock: 40 s for the whole body.
    server.get("/customers/lookup").mock(
        return_value=httpx.Response(code, content=trickled(b"x" * 400, 0.1, read))
    )

    with (
        httpx.Client() as http,
        CustomerLookupClient(BASE_URL, http_client=http, total_timeout=1, max_retries=0) as client,
        pytest.raises(CustomerLookupTimeoutError) as caught,
    ):
        client.find(PHONE)

    assert str(caught.value) == (
        f"Gave up looking up {MASKED} after 1 attempt(s): the total deadline of 1 s "
        "(CUSTOMER_LOOKUP_TOTAL_TIMEOUT_SECONDS) allows no more, as it has passed. The last "
        "outcome was ReadTimeout: the call's total deadline passed while reading the body "
        f"(request id {caught.value.request_id})."
    )
    assert len(read) <= 11  # 1 s of bytes, not the 400 it read before the deadline held


def test_a_closed_client_refuses_new_lookups(client: CustomerLookupClient) -> None:
    client.close()

    with pytest.raises(CustomerLookupError, match="is closed: create a new client"):
        client.lookup(PHONE)


def test_an_http_client_passed_in_is_used_and_left_open(server: respx.MockRouter) -> None:
    route = server.get("/customers/lookup").mock(return_value=ok())
    http = httpx.Client()

    with CustomerLookupClient(BASE_URL, http_client=http) as client:
        client.lookup(PHONE)

    assert route.called
    assert not http.is_closed
    http.close()


def test_settings_come_from_the_environment_and_arguments_override_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CUSTOMER_LOOKUP_BASE_URL", "http://from-env:8080/")
    monkeypatch.setenv("CUSTOMER_LOOKUP_MAX_RETRIES", "4")

    with CustomerLookupClient(max_retries=1) as client:
        assert (client.base_url, client.settings.max_retries) == ("http://from-env:8080", 1)


@pytest.mark.parametrize("body", NOT_THE_CONTRACTS_404.values(), ids=NOT_THE_CONTRACTS_404)
def test_a_404_that_is_not_the_contracts_answer_is_an_error_and_never_cached(
    server: respx.MockRouter, clock: FakeClock, sleeps: list[float], body: tuple[str, str]
) -> None:
    text, media_type = body
    route = server.get("/customers/lookup").mock(
        return_value=httpx.Response(404, text=text, headers={"Content-Type": media_type})
    )

    with make_client(clock, sleeps) as client:
        for _ in range(2):
            with pytest.raises(CustomerLookupStatusError) as caught:
                client.find(PHONE)

    assert str(caught.value) == (
        f"customer-lookup-server answered HTTP 404 for {MASKED}, which is not the contract's "
        f"not-found answer, after 1 attempt(s) (request id {caught.value.request_id}): "
        f"{caught.value.body_excerpt!r}. The request went to {BASE_URL}/customers/lookup: a 404 "
        'without the contract\'s body ({"code": "customer_not_found"}) means nothing there '
        "serves the lookup route. Check CUSTOMER_LOOKUP_BASE_URL, including its path prefix; the "
        "answer was not cached as 'customer not found'."
    )
    assert caught.value.status_code == 404
    assert route.call_count == 2  # not cached as "customer not found"


@pytest.mark.parametrize(
    "body",
    [
        '{"detail":"no customer has this phone number","code":"customer_not_found"}',
        '{"detail":"x"}',
        '{"detail":"No customer with this phone number","request_id":"r-1"}',
    ],
    ids=["the contract's body", "a server that predates code", "an older body with more keys"],
)
def test_the_contracts_404_and_older_json_404s_are_not_found(
    server: respx.MockRouter, clock: FakeClock, sleeps: list[float], body: str
) -> None:
    server.get("/customers/lookup").mock(return_value=httpx.Response(404, text=body))

    with make_client(clock, sleeps) as client:
        assert client.find(PHONE) is None


def test_an_error_body_never_leaks_a_phone_number_in_any_spelling_or_cut(
    server: respx.MockRouter, clock: FakeClock, sleeps: list[float]
) -> None:
    echo = "x" * 190 + " +15555550100, +1 (555) 555-0100, 15555550100, %2B15555550100"
    server.get("/customers/lookup").mock(return_value=httpx.Response(400, text=echo))

    with make_client(clock, sleeps) as client, pytest.raises(CustomerLookupStatusError) as caught:
        client.lookup(PHONE)

    assert "5555550" not in str(caught.value)
    assert "555-0100" not in str(caught.value)
    assert "5555550" not in caught.value.body_excerpt


def test_a_huge_body_is_not_read_past_what_the_contract_needs(
    server: respx.MockRouter, clock: FakeClock, sleeps: list[float]
) -> None:
    read: list[int] = []

    def endless() -> Iterator[bytes]:
        for _ in range(10_000):  # 640 MB if read to the end
            read.append(1)
            yield b"x" * 65536

    server.get("/customers/lookup").mock(
        side_effect=[httpx.Response(200, content=endless()), httpx.Response(500, content=endless())]
    )

    with make_client(clock, sleeps, max_retries=0) as client:
        with pytest.raises(CustomerLookupResponseError, match="more than 65536 bytes"):
            client.lookup(PHONE)
        with pytest.raises(CustomerLookupStatusError):
            client.lookup("+15555550199")

    assert len(read) <= 3


def test_a_gzip_bomb_is_refused_without_inflating_it(
    server: respx.MockRouter, clock: FakeClock, sleeps: list[float]
) -> None:
    import gzip

    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    server.get("/customers/lookup").mock(
        return_value=httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})
    )

    with (
        make_client(clock, sleeps) as client,
        pytest.raises(CustomerLookupResponseError, match="more than 65536 bytes"),
    ):
        client.lookup(PHONE)
