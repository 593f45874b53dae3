"""FakeLookupServer: the contract of docs/customer-lookup-api.md, in memory and live."""

from __future__ import annotations

import json

import pytest

from ai_voice_shared import AiVoiceSharedError, CustomerMetadata
from ai_voice_shared_testing import FakeLookupServer

PHONE = "+15555550100"
LOOKUP = f"/customers/lookup?phone_number=%2B{PHONE[1:]}"


@pytest.fixture
def fake() -> FakeLookupServer:
    server = FakeLookupServer()
    server.add(PHONE, customer_id="cus_1", company_id="co_9", company_name="Acme Ltd")
    return server


def test_a_known_number_gets_its_customer_and_the_request_id_back(fake: FakeLookupServer) -> None:
    status, headers, body = fake.respond("GET", LOOKUP, {"X-Request-ID": "abc"})

    assert status == 200
    assert headers["X-Request-ID"] == "abc"
    assert CustomerMetadata.model_validate_json(body).company_name == "Acme Ltd"


@pytest.mark.parametrize(
    ("method", "target", "headers", "expected"),
    [
        ("GET", "/customers/lookup?phone_number=%2B15555550199", {}, 404),
        ("GET", "/customers/lookup?phone_number=5555550100", {}, 422),
        ("GET", "/customers/lookup", {}, 422),
        ("POST", LOOKUP, {}, 405),
        ("GET", "/customers/find?phone_number=%2B15555550100", {}, 404),
    ],
)
def test_the_contract_statuses(
    fake: FakeLookupServer, method: str, target: str, headers: dict[str, str], expected: int
) -> None:
    status, _, body = fake.respond(method, target, headers)

    assert status == expected
    assert "detail" in json.loads(body)


def test_with_an_api_key_a_missing_or_wrong_bearer_token_gets_401() -> None:
    fake = FakeLookupServer(api_key="k")
    fake.add(PHONE, customer_id="c", company_id="co", company_name="n")

    assert fake.respond("GET", LOOKUP, {})[0] == 401
    assert fake.respond("GET", LOOKUP, {"Authorization": "Bearer x"})[0] == 401
    assert fake.respond("GET", LOOKUP, {"Authorization": "Bearer k"})[0] == 200


def test_injected_failures_answer_the_next_lookups_then_stop(fake: FakeLookupServer) -> None:
    fake.fail(503, times=2, headers={"Retry-After": "1"}, body="down")

    answers = [fake.respond("GET", LOOKUP, {}) for _ in range(3)]

    assert [a[0] for a in answers] == [503, 503, 200]
    assert answers[0][1]["Retry-After"] == "1"
    assert answers[0][2] == b"down"


def test_every_request_is_recorded(fake: FakeLookupServer) -> None:
    fake.respond("GET", LOOKUP, {"X-Request-ID": "r1"})
    fake.remove(PHONE)
    fake.respond("GET", LOOKUP, {})

    assert [(r.phone_number, r.status) for r in fake.requests] == [(PHONE, 200), (PHONE, 404)]
    assert fake.requests[0].headers["x-request-id"] == "r1"


def test_adding_a_number_that_is_not_e164_is_refused(fake: FakeLookupServer) -> None:
    with pytest.raises(ValueError, match=r"is not E\.164"):
        fake.add("whatsapp:+15555550100", customer_id="c", company_id="co", company_name="n")


def test_live_mode_needs_start_and_frees_its_port_on_stop(fake: FakeLookupServer) -> None:
    with pytest.raises(AiVoiceSharedError, match=r"not live: call start\(\) first"):
        _ = fake.base_url

    with fake.start():
        assert fake.base_url.startswith("http://127.0.0.1:")

    with pytest.raises(AiVoiceSharedError, match="not live"):
        _ = fake.base_url
