"""FakeLookupServer: the contract of docs/customer-lookup-api.md, intercepted and live."""

from __future__ import annotations

import json

import httpx
import pytest

from ai_voice_shared import (
    CustomerLookupClient,
    CustomerLookupTimeoutError,
    CustomerMetadata,
    InvalidPhoneNumberError,
)
from ai_voice_shared_testing import FakeLookupServer

PHONE = "+15555550100"
LOOKUP = f"/customers/lookup?phone_number=%2B{PHONE[1:]}"


@pytest.fixture
def fake() -> FakeLookupServer:
    server = FakeLookupServer()
    server.add_customer(PHONE, customer_id="cus_1", company_id="co_9", company_name="Acme Ltd")
    return server


def test_a_known_number_gets_its_customer_and_the_request_id_back(fake: FakeLookupServer) -> None:
    status, headers, body = fake.respond("GET", LOOKUP, {"X-Request-ID": "abc"})

    assert status == 200
    assert headers["X-Request-ID"] == "abc"
    assert CustomerMetadata.model_validate_json(body).company_name == "Acme Ltd"


def test_add_customer_takes_any_form_the_client_accepts_and_fills_in_realistic_fields() -> None:
    fake = FakeLookupServer()

    customer = fake.add_customer("whatsapp:+1 555-555-0111", company_name="Initech")
    again = FakeLookupServer().add_customer("+15555550111")

    assert customer.company_name == "Initech"
    assert customer.customer_id.startswith("cus_")
    assert customer.company_id.startswith("co_")
    assert again.customer_id == customer.customer_id  # derived from the number: stable
    assert fake.respond("GET", "/customers/lookup?phone_number=%2B15555550111", {})[0] == 200


def test_add_customer_refuses_a_number_the_client_would_refuse() -> None:
    with pytest.raises(InvalidPhoneNumberError, match=r"FakeLookupServer\.add_customer: "):
        FakeLookupServer().add_customer("5555550100")


@pytest.mark.parametrize(
    ("method", "target", "expected"),
    [
        ("GET", "/customers/lookup?phone_number=%2B15555550199", 404),
        ("GET", "/customers/lookup?phone_number=5555550100", 422),
        ("GET", "/customers/lookup", 422),
        ("POST", LOOKUP, 405),
        ("GET", "/customers/find?phone_number=%2B15555550100", 404),
    ],
)
def test_the_contract_statuses(
    fake: FakeLookupServer, method: str, target: str, expected: int
) -> None:
    status, _, body = fake.respond(method, target, {})

    assert status == expected
    assert "detail" in json.loads(body)


def test_require_api_key_answers_401_without_the_bearer_token(fake: FakeLookupServer) -> None:
    fake.require_api_key("k")

    assert fake.respond("GET", LOOKUP, {})[0] == 401
    assert fake.respond("GET", LOOKUP, {"Authorization": "Bearer x"})[0] == 401
    assert fake.respond("GET", LOOKUP, {"Authorization": "Bearer k"})[0] == 200


def test_faults_answer_the_next_lookups_in_order_then_stop(fake: FakeLookupServer) -> None:
    fake.fail(503, times=2, retry_after=1, body="down")
    fake.fail(429)

    answers = [fake.respond("GET", LOOKUP, {}) for _ in range(4)]

    assert [a[0] for a in answers] == [503, 503, 429, 200]
    assert answers[0][1]["Retry-After"] == "1"
    assert answers[0][2] == b"down"
    assert fake.problems() == []


def test_requests_and_looked_up_numbers_are_recorded(fake: FakeLookupServer) -> None:
    fake.respond("GET", LOOKUP, {"X-Request-ID": "r1"})
    fake.remove_customer("whatsapp:" + PHONE)
    fake.respond("GET", LOOKUP, {})
    fake.respond("GET", "/health", {})

    assert [(r.phone_number, r.status) for r in fake.requests] == [
        (PHONE, 200),
        (PHONE, 404),
        (None, 404),
    ]
    assert fake.lookups == [PHONE, PHONE]
    assert fake.requests[0].headers["x-request-id"] == "r1"


def test_problems_list_stray_requests_and_faults_that_never_triggered(
    fake: FakeLookupServer,
) -> None:
    fake.fail(503, times=2)
    fake.fail(500, optional=True)
    fake.respond("GET", LOOKUP, {})
    fake.respond("POST", LOOKUP, {})
    fake.respond("GET", "/customers", {})

    assert fake.problems() == [
        "POST /customers/lookup answered 405: no route of the contract matches (the contract "
        "has GET /customers/lookup?phone_number=<E.164>)",
        "GET /customers answered 404: no route of the contract matches (the contract has GET "
        "/customers/lookup?phone_number=<E.164>)",
        "fail(HTTP 503, times=2) was registered but 1 of its 2 failure(s) never happened",
    ]


def test_intercepted_any_httpx_client_reaches_the_fake_and_other_hosts_pass(
    fake: FakeLookupServer,
) -> None:
    with fake.intercept():
        response = httpx.get(f"{fake.base_url}{LOOKUP}")
        with pytest.raises(httpx.ConnectError):
            httpx.get("http://127.0.0.1:9/", timeout=1)

    assert response.json()["customer_id"] == "cus_1"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_intercepted_async_clients_reach_it_too(
    fake: FakeLookupServer, anyio_backend: str
) -> None:
    with fake.intercept():
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{fake.base_url}{LOOKUP}")

    assert response.status_code == 200


def test_an_exception_fault_is_raised_as_the_transport_would(fake: FakeLookupServer) -> None:
    fake.fail(exception=httpx.ConnectTimeout)

    with fake.intercept(), pytest.raises(httpx.ConnectTimeout, match="injected by"):
        httpx.get(f"{fake.base_url}{LOOKUP}")


def test_a_delay_beyond_the_timeout_times_out_at_once(fake: FakeLookupServer) -> None:
    fake.delay(30)

    with (
        fake.intercept(),
        CustomerLookupClient(fake.base_url, timeout=1, max_retries=0) as client,
        pytest.raises(CustomerLookupTimeoutError),
    ):
        client.lookup(PHONE)


def test_served_live_it_answers_over_real_http_and_frees_its_port(
    fake: FakeLookupServer,
) -> None:
    assert fake.base_url == "http://customer-lookup.aivs.test"

    with fake:
        url = fake.serve()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}{LOOKUP}").json()["company_id"] == "co_9"

    assert fake.base_url == "http://customer-lookup.aivs.test"


def test_recorded_headers_ignore_case_as_http_does() -> None:
    from ai_voice_shared_testing.http_fakes import RecordedRequest

    recorded = RecordedRequest(
        "GET", "https://h/x", "h", "/x", "", {"authorization": "Bearer t"}, 200, None
    )

    assert "Authorization" in recorded.headers
    assert recorded.headers["AUTHORIZATION"] == "Bearer t"
    assert recorded.headers == {"Authorization": "Bearer t"}
