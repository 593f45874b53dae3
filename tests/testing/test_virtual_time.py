"""VirtualTime: waiting costs nothing, and time never goes back from one test to the next."""

from __future__ import annotations

import textwrap

import pytest

from ai_voice_shared._clock import get_clock
from ai_voice_shared_testing import VirtualTime


def test_sleeping_advances_the_clock_at_once_and_counts_as_waited() -> None:
    with VirtualTime() as clock:
        before = get_clock().monotonic()
        get_clock().sleep(30)

        assert get_clock().monotonic() - before >= 30
        assert clock.waited == 30


def test_the_clock_put_back_never_runs_behind_the_virtual_one() -> None:
    with VirtualTime() as clock:
        clock.advance(1000)
        ahead = get_clock().monotonic()

    assert get_clock().monotonic() >= ahead
    with VirtualTime() as later:
        assert later.waited == 0
        assert get_clock().monotonic() >= ahead


def test_a_client_that_outlives_a_test_sees_its_cache_expire_in_the_next(
    pytester: pytest.Pytester,
) -> None:
    # Found by an attack: the second test's clock started behind the first one's, so the
    # entry cached at the end of 10 virtual seconds of retries outlived its 300 s TTL.
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import pytest
            from ai_voice_shared import CustomerLookupClient

            @pytest.fixture(scope="module")
            def shared_client():
                with CustomerLookupClient("http://customer-lookup.aivs.test", cache_ttl=300) as c:
                    yield c

            def test_caches_after_long_retries(lookup_server, shared_client, aivs_clock):
                lookup_server.add_customer("+15555550100", company_name="Old Name")
                lookup_server.fail(503, times=2, retry_after=5)
                assert shared_client.lookup("+15555550100").company_name == "Old Name"

            def test_without_a_fake():
                pass

            def test_the_cache_expires_after_its_ttl(lookup_server, shared_client, aivs_clock):
                lookup_server.add_customer("+15555550100", company_name="New Name")
                aivs_clock.advance(301)
                assert shared_client.lookup("+15555550100").company_name == "New Name"
            """
        )
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)
