"""The shipped OpenAPI contract is valid, and the client and the fake server follow it."""

from __future__ import annotations

import re

import httpx
import respx
from openapi_spec_validator import validate

from ai_voice_shared import CustomerLookupClient
from ai_voice_shared.contracts import customer_lookup_openapi
from ai_voice_shared_testing import FakeLookupServer


def test_the_shipped_document_is_valid_openapi() -> None:
    validate(customer_lookup_openapi())


def test_the_client_sends_what_the_contract_describes() -> None:
    operation = customer_lookup_openapi()["paths"]["/customers/lookup"]["get"]
    pattern = operation["parameters"][0]["schema"]["pattern"]

    with respx.mock(base_url="http://lookup.test") as router:
        route = router.get("/customers/lookup").mock(
            return_value=httpx.Response(
                200, json={"customer_id": "c", "company_id": "co", "company_name": "n"}
            )
        )
        with CustomerLookupClient("http://lookup.test") as client:
            client.lookup("whatsapp:+15555550100")

    request = route.calls.last.request
    assert request.method == "GET"
    assert re.fullmatch(pattern, request.url.params["phone_number"])
    assert "x-request-id" in request.headers


def test_the_fake_server_answers_the_documented_statuses() -> None:
    documented = set(customer_lookup_openapi()["paths"]["/customers/lookup"]["get"]["responses"])
    fake = FakeLookupServer(api_key="k")
    fake.add_customer("+15555550100", customer_id="c", company_id="co", company_name="n")
    fake.fail(503)
    targets = [
        ("/customers/lookup?phone_number=%2B15555550100", {"Authorization": "Bearer k"}),
        ("/customers/lookup?phone_number=%2B15555550100", {"Authorization": "Bearer k"}),
        ("/customers/lookup?phone_number=%2B15555550199", {"Authorization": "Bearer k"}),
        ("/customers/lookup?phone_number=%2B15555550100", {}),
        ("/customers/lookup?phone_number=x", {"Authorization": "Bearer k"}),
    ]

    statuses = [fake.respond("GET", target, headers)[0] for target, headers in targets]

    assert statuses == [503, 200, 404, 401, 422]
    assert {str(s) if s < 500 else "5XX" for s in statuses} <= documented
