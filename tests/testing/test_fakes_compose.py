"""The HTTP fakes answer only their own hosts: a user's respx or pytest-httpx mocks keep
working next to them, opened before or after, sync and async (black-box, with pytester)."""

from __future__ import annotations

import textwrap

import pytest


def write(pytester: pytest.Pytester, source: str) -> None:
    pytester.makepyfile(test_user=textwrap.dedent(source))


def test_a_respx_router_opened_inside_the_test_still_gets_its_requests(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import httpx
        import respx

        def test_media_and_lookup(lookup_server, lookup_client):
            lookup_server.add_customer("+15555550100", company_name="Acme Ltd")
            with respx.mock() as router:  # strict by default: unmatched requests raise
                media = router.get("https://api.twilio.com/media/ME1").respond(200, text="OggS")
                assert httpx.get("https://api.twilio.com/media/ME1").text == "OggS"
                assert lookup_client.lookup("+15555550100").company_name == "Acme Ltd"
            assert media.call_count == 1
            assert lookup_server.lookups == ["+15555550100"]
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_respx_router_opened_before_the_fake_still_gets_its_requests(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import httpx

        def test_media_and_lookup(respx_mock, lookup_server, lookup_client):
            media = respx_mock.get("https://api.twilio.com/media/ME1").respond(200, text="OggS")
            lookup_server.add_customer("+15555550100")
            assert lookup_client.lookup("+15555550100")
            assert httpx.get("https://api.twilio.com/media/ME1").text == "OggS"
            assert media.call_count == 1
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_async_clients_reach_both_the_fake_and_a_respx_router(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import httpx
        import pytest
        import respx

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_async(lookup_server, async_lookup_client):
            lookup_server.add_customer("+15555550100", customer_id="cus_1")
            with respx.mock() as router:
                router.get("https://api.twilio.com/media/ME1").respond(200, text="OggS")
                async with httpx.AsyncClient() as client:
                    media = await client.get("https://api.twilio.com/media/ME1")
                customer = await async_lookup_client.lookup("+15555550100")
            assert (media.text, customer.customer_id) == ("OggS", "cus_1")
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "fixtures", ["httpx_mock, lookup_server", "lookup_server, httpx_mock"], ids=["first", "last"]
)
def test_pytest_httpx_mocks_and_the_fake_coexist_in_any_order(
    pytester: pytest.Pytester, fixtures: str
) -> None:
    write(
        pytester,
        f"""
        import httpx

        def test_both({fixtures}, lookup_client):
            httpx_mock.add_response(url="https://api.twilio.com/media/ME1", text="OggS")
            lookup_server.add_customer("+15555550100")
            assert lookup_client.lookup("+15555550100")
            assert httpx.get("https://api.twilio.com/media/ME1").text == "OggS"
        """,
    )

    # pytest-httpx fails at teardown on a request it did not expect: the lookup never reaches it.
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_lookup_client_the_app_builds_from_the_environment_gets_faults_without_waiting(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import pytest
        from ai_voice_shared import CustomerLookupClient, CustomerLookupStatusError

        def test_app_client(lookup_env, aivs_clock):
            lookup_env.add_customer("+15555550100")
            lookup_env.fail(503, times=2, retry_after=5)
            with CustomerLookupClient() as app_client:  # built by the app from the env
                assert app_client.lookup("+15555550100")
            assert [r.status for r in lookup_env.requests] == [503, 503, 200]
            assert aivs_clock.waited == 10  # what production waits, on the virtual clock

        def test_the_deadline_still_counts(lookup_env, aivs_clock):
            lookup_env.fail(503, times=2, retry_after=10)
            with CustomerLookupClient(total_timeout=15) as app_client:
                with pytest.raises(Exception, match="total deadline of 15 s"):
                    app_client.lookup("+15555550100")
            assert len(lookup_env.requests) == 2  # the second retry would pass the deadline

        @pytest.mark.aivs_lookup(real_sleep=True)
        def test_opt_back_in(lookup_server):
            from ai_voice_shared.hooks import get_clock
            from ai_voice_shared_testing import VirtualTime
            assert not isinstance(get_clock(), VirtualTime)

        @pytest.mark.aivs_lookup(real_sleep=True)
        def test_no_virtual_clock_to_ask_for(lookup_server, aivs_clock):
            pass
        """,
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*aivs_clock is the test's virtual clock, and real_sleep=True on a fake's marker "
            "turned virtual time off for this test: drop aivs_clock from its parameters*"
        ]
    )


def test_a_delay_times_out_on_the_virtual_clock(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import pytest
        from ai_voice_shared import CustomerLookupClient, CustomerLookupTimeoutError

        def test_slow(lookup_env, aivs_clock):
            lookup_env.add_customer("+15555550100")
            lookup_env.delay(30)
            with CustomerLookupClient(timeout=2, total_timeout=5, max_retries=5) as client:
                with pytest.raises(CustomerLookupTimeoutError):
                    client.lookup("+15555550100")
            assert 4 <= aivs_clock.waited <= 5  # timeouts and backoff up to the deadline
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_reset_gives_each_hypothesis_example_a_fresh_fake(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        from hypothesis import HealthCheck, given, settings, strategies as st
        from ai_voice_shared_testing.strategies import e164_numbers

        @settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(number=e164_numbers())
        def test_each_example_starts_empty(lookup_server, lookup_client, number):
            lookup_server.reset()
            lookup_client.cache_clear()
            assert lookup_server.requests == []
            lookup_server.add_customer(number)
            assert lookup_client.find(number) is not None
            assert lookup_server.lookups == [number]
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
