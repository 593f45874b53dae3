"""FakeLookupServer as strict as customer-lookup-server's contract (issue 21, item 4), and a
schemathesis run of the contract's OpenAPI document against the live fake."""

from __future__ import annotations

import httpx
import pytest

from ai_voice_shared_testing import FakeLookupServer

TARGET = "/customers/lookup?phone_number="


@pytest.fixture
def fake() -> FakeLookupServer:
    server = FakeLookupServer(api_key="k")
    server.add_customer("+15555550100")
    return server


@pytest.mark.parametrize("number", ["whatsapp%3A%2B15555550100", "%2B1%20555-555-0100"])
def test_a_number_that_is_not_exactly_e164_gets_the_contracts_422(
    fake: FakeLookupServer, number: str
) -> None:
    status, _, body = fake.respond("GET", TARGET + number, {"Authorization": "Bearer k"})

    assert (status, body) == (422, b'{"detail": "phone_number must be E.164, e.g. +15555550100"}')


@pytest.mark.parametrize(
    "path", ["/v2/customers/lookup", "/customers/lookup/", "/x/customers/lookup"]
)
def test_only_the_exact_path_is_served(fake: FakeLookupServer, path: str) -> None:
    status, _, _ = fake.respond("GET", path + "?phone_number=%2B15555550100", {})

    assert status == 404


def test_a_path_prefix_of_the_base_url_is_the_one_prefix_served() -> None:
    fake = FakeLookupServer(base_url="http://gateway.aivs.test/lookup-service")
    fake.add_customer("+15555550100")

    assert fake.respond("GET", "/lookup-service" + TARGET + "%2B15555550100", {})[0] == 200
    assert fake.respond("GET", TARGET + "%2B15555550100", {})[0] == 404


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive(fake: FakeLookupServer, scheme: str) -> None:
    headers = {"Authorization": f"{scheme} k"}

    assert fake.respond("GET", TARGET + "%2B15555550100", headers)[0] == 200
    wrong = {"Authorization": f"{scheme} x"}
    assert fake.respond("GET", TARGET + "%2B15555550100", wrong)[0] == 401


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_other_methods_get_405_with_allow_get_live_too(method: str) -> None:
    with FakeLookupServer().start() as fake:
        response = httpx.request(method, fake.base_url + TARGET + "%2B15555550100")
        fake.reset()  # the 405s are the point here, not strays

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json() == {"detail": f"{method} is not allowed; use GET"}


def test_schemathesis_finds_no_failure_against_the_live_fake() -> None:
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    from ai_voice_shared.contracts import customer_lookup_openapi

    with FakeLookupServer().start() as fake:
        fake.add_customer("+15555550100")
        schema = schemathesis.openapi.from_dict(customer_lookup_openapi())
        schema.config.update(base_url=fake.base_url)
        failures: list[str] = []
        for operation in schema.get_all_operations():
            strategy = operation.ok().as_strategy()

            @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case: object) -> None:
                try:
                    case.call_and_validate()  # type: ignore[attr-defined]
                except Exception as error:  # collected, reported below
                    failures.append(f"{type(error).__name__}: {error}"[:500])

            run()
        answered = {r.status for r in fake.requests}
        fake.reset()

    assert failures == []
    assert answered >= {200, 404}  # it did reach the fake, known and unknown numbers alike
