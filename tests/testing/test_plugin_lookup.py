"""The lookup fixtures, black-box: user test files run with pytester, as a service would."""

from __future__ import annotations

import textwrap

import pytest


def write(pytester: pytest.Pytester, source: str) -> None:
    pytester.makepyfile(test_user=textwrap.dedent(source))


def test_lookup_server_and_lookup_client_work_together(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import httpx

        def test_lookup(lookup_server, lookup_client):
            added = lookup_server.add_customer("whatsapp:+15555550100", company_name="Acme Ltd")
            customer = lookup_client.lookup("+1 555 555 0100")
            assert customer == added
            assert lookup_client.find("+15555550199") is None
            assert lookup_server.lookups == ["+15555550100", "+15555550199"]

        def test_any_httpx_client_reaches_it(lookup_server):
            lookup_server.add_customer("+15555550100")
            url = f"{lookup_server.base_url}/customers/lookup"
            response = httpx.get(url, params={"phone_number": "+15555550100"})
            assert response.json()["customer_id"].startswith("cus_")
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_async_client_fixture_works_under_anyio(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_async(lookup_server, async_lookup_client):
            lookup_server.add_customer("+15555550100", customer_id="cus_1")
            assert (await async_lookup_client.lookup("+15555550100")).customer_id == "cus_1"
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_faults_are_retried_without_waiting_and_exceptions_look_real(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import httpx
        import pytest
        from ai_voice_shared import CustomerLookupStatusError, CustomerLookupTimeoutError

        def test_retried_then_found(lookup_server, lookup_client):
            lookup_server.add_customer("+15555550100")
            lookup_server.fail(503, times=2, retry_after=1)
            assert lookup_client.lookup("+15555550100")
            assert [r.status for r in lookup_server.requests] == [503, 503, 200]

        def test_timeouts(lookup_server, lookup_client):
            lookup_server.fail(exception=httpx.ConnectTimeout, times=3)
            with pytest.raises(CustomerLookupTimeoutError):
                lookup_client.lookup("+15555550100")

        def test_api_key(lookup_server, lookup_client):
            lookup_server.require_api_key("secret")
            with pytest.raises(CustomerLookupStatusError, match="CUSTOMER_LOOKUP_API_KEY"):
                lookup_client.lookup("+15555550100")
        """,
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "--durations=3")

    result.assert_outcomes(passed=3)


def test_stray_requests_and_unused_faults_fail_at_teardown(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import httpx

        def test_sloppy(lookup_server):
            lookup_server.fail(503, times=2)
            try:
                httpx.post(f"{lookup_server.base_url}/customers/lookup")
            except Exception:
                pass  # the code under test swallowed it; the fixture does not
            httpx.get(f"{lookup_server.base_url}/health")
        """,
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*lookup_server: 3 problem(s) at teardown:",
            "- POST /customers/lookup answered 405: no route of the contract matches (the "
            "contract has GET /customers/lookup?phone_number=<E.164>)",
            "- GET /health answered 404: no route of the contract matches (the contract has GET "
            "/customers/lookup?phone_number=<E.164>)",
            "- fail(HTTP 503, times=2) was registered but 2 of its 2 failure(s) never happened",
            "Fix the test, or opt out: @pytest.mark.aivs_lookup(strict=False) for the whole "
            "test, or fail(..., optional=True) for one fault.",
        ]
    )


def test_the_opt_outs_turn_the_checks_off(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import httpx
        import pytest

        @pytest.mark.aivs_lookup(strict=False)
        def test_lenient(lookup_server):
            lookup_server.fail(503)
            httpx.get(f"{lookup_server.base_url}/health")

        def test_optional_fault(lookup_server):
            lookup_server.fail(503, optional=True)
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (
            "@pytest.mark.aivs_lookup(strcit=False)",
            "*@pytest.mark.aivs_lookup got unknown option(s) strcit: it takes strict=True, "
            "real_sleep=False.",
        ),
        (
            "@pytest.mark.aivs_lookup(False)",
            "*@pytest.mark.aivs_lookup takes keyword options only (strict=..., real_sleep=...), "
            "not positional (False,).",
        ),
    ],
)
def test_a_marker_misused_fails_loudly(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    write(pytester, f"import pytest\n\n{marker}\ndef test_x(lookup_server):\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])


def test_the_live_server_answers_code_that_does_not_use_httpx(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import json
        import urllib.request

        def test_live(live_lookup_server):
            live_lookup_server.add_customer("+15555550100", company_name="Hooli")
            assert live_lookup_server.base_url.startswith("http://127.0.0.1:")
            url = f"{live_lookup_server.base_url}/customers/lookup?phone_number=%2B15555550100"
            with urllib.request.urlopen(url) as response:
                assert json.load(response)["company_name"] == "Hooli"
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_lookup_env_points_settings_read_from_the_environment_at_the_fake(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        from ai_voice_shared import CustomerLookupClient

        def test_env(lookup_env):
            lookup_env.add_customer("+15555550100", company_id="co_1")
            with CustomerLookupClient() as client:
                assert client.lookup("+15555550100").company_id == "co_1"
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
