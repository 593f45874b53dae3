"""TwilioWebhookSender and the twilio_webhook fixture: webhooks signed as Twilio signs them,
sent through whatever test client the service uses."""

from __future__ import annotations

import textwrap
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from ai_voice_shared import InvalidTwilioSignatureError
from ai_voice_shared_testing import TwilioWebhookSender
from ai_voice_shared_testing.factories import TwilioWebhookPayloadFactory
from ai_voice_shared_testing.webhooks import signed_twilio_json_request, signed_twilio_request

TOKEN = "0123456789abcdef0123456789abcdef"


def sender() -> TwilioWebhookSender:
    return TwilioWebhookSender(
        auth_token=TOKEN, account_sid="AC" + "1" * 32, base_url="https://hooks.example.com/"
    )


def recording_client(seen: list[httpx.Request]) -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    return httpx.Client(transport=httpx.MockTransport(answer), base_url="http://testserver")


def test_a_built_payload_is_signed_as_the_official_sdk_checks_it() -> None:
    signed = sender().sign("/twilio/webhook?tenant=a", num_media=1)

    assert signed.url == "https://hooks.example.com/twilio/webhook?tenant=a"
    assert signed.payload is not None
    assert signed.payload.account_sid == "AC" + "1" * 32
    params = dict(signed.payload.to_form())  # the SDK takes a dict (no repeated names here)
    assert RequestValidator(TOKEN).validate(signed.url, params, signed.signature)


def test_a_json_webhook_is_signed_as_the_official_sdk_checks_it() -> None:
    signed = signed_twilio_json_request(
        {"property": "value", "boolean": True}, url="https://h.example.com/j", auth_token=TOKEN
    )

    assert signed.url.endswith(
        "?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    )
    assert RequestValidator(TOKEN).validate(signed.url, signed.body.decode(), signed.signature)


def test_post_sends_the_signed_request_to_the_client_path_and_records_it() -> None:
    seen: list[httpx.Request] = []
    webhooks = sender()

    response = webhooks.post(recording_client(seen), "/twilio/webhook?tenant=a")

    [request] = seen
    assert response.text == "ok"
    assert str(request.url) == "http://testserver/twilio/webhook?tenant=a"
    assert request.content == webhooks.last.body
    assert request.headers["x-twilio-signature"] == webhooks.last.signature
    assert request.headers["i-twilio-idempotency-token"] == webhooks.last.idempotency_token
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert webhooks.requests == [webhooks.last]


def test_a_redelivery_repeats_the_request_byte_for_byte() -> None:
    seen: list[httpx.Request] = []
    webhooks = sender()
    client = recording_client(seen)
    webhooks.post(client, "/hook")

    webhooks.redeliver(client)

    first, again = seen
    assert (first.url, first.content, dict(first.headers)) == (
        again.url,
        again.content,
        dict(again.headers),
    )


def test_two_webhooks_have_different_idempotency_tokens() -> None:
    webhooks = sender()

    assert webhooks.sign("/hook").idempotency_token != webhooks.sign("/hook").idempotency_token


def test_a_forged_request_is_the_same_but_for_a_signature_the_account_never_made() -> None:
    webhooks = sender()
    signed = webhooks.sign("/hook")

    forged = webhooks.forge(signed)

    assert forged.body == signed.body
    assert forged.signature != signed.signature
    with pytest.raises(InvalidTwilioSignatureError):
        webhooks.verifier().verify(forged.url, forged.headers, forged.body)
    assert webhooks.verifier().verify(signed.url, signed.headers, signed.body).payload


def test_the_status_callback_builder_fills_the_account() -> None:
    signed = sender().sign_status_callback("/status", message_status="failed")

    assert signed.payload.account_sid == "AC" + "1" * 32  # typed: a TwilioStatusCallback
    assert signed.payload.message_status.value == "failed"


def test_an_async_client_is_sent_to_with_apost() -> None:
    seen: list[httpx.Request] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async def go() -> Any:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(answer), base_url="http://app"
        ) as client:
            webhooks = sender()
            await webhooks.apost(client, "/hook")
            await webhooks.aredeliver(client)
            return await webhooks.aforged(client, "/hook")

    import asyncio

    assert asyncio.run(go()).status_code == 204
    assert len(seen) == 3


def test_a_sync_call_with_an_async_client_says_to_await_apost() -> None:
    with pytest.raises(TypeError) as caught:
        # mypy refuses it too (the client's post answers a coroutine)
        sender().post(httpx.AsyncClient(), "/hook")  # type: ignore[type-var, unused-coroutine]

    assert str(caught.value) == (
        "An httpx.AsyncClient answers coroutines: use `await twilio_webhook.apost(...)` "
        "(or .asend, .aredeliver, .aforged, .astatus_callback)"
    )


def test_an_unknown_client_is_refused_naming_those_that_work() -> None:
    with pytest.raises(TypeError) as caught:
        sender().post(object(), "/hook")  # type: ignore[arg-type]  # mypy refuses it too

    assert str(caught.value) == (
        "twilio_webhook cannot send through a builtins.object: pass a Starlette/FastAPI "
        "TestClient, an httpx.Client or AsyncClient (with an ASGI or WSGI transport), or a Flask "
        "test client (app.test_client())"
    )
    assert sender().requests == []


def test_nothing_sent_yet_is_said_plainly() -> None:
    with pytest.raises(LookupError, match=r"twilio_webhook has sent nothing yet: call \.post"):
        sender().last  # noqa: B018


def test_a_payload_and_factory_options_together_are_refused() -> None:
    with pytest.raises(TypeError, match=r"Pass either a payload or factory options, not both"):
        sender().sign(  # type: ignore[call-overload]  # mypy refuses it too
            "/hook", TwilioWebhookPayloadFactory.text(), num_media=1
        )


@pytest.mark.parametrize("path", ["hook", "", "https://evil.example/hook"])
def test_a_path_must_start_with_a_slash(path: str) -> None:
    with pytest.raises(ValueError, match="path must start with '/'"):
        sender().sign(path)


@pytest.mark.parametrize("base", ["ftp://x", "https://h.example.com/?a=1", "hooks.example.com"])
def test_a_base_url_that_twilio_could_not_call_is_refused(base: str) -> None:
    with pytest.raises(ValueError, match="base_url must be an http"):
        TwilioWebhookSender(auth_token=TOKEN, base_url=base)


def test_the_token_is_not_in_the_repr() -> None:
    assert TOKEN not in repr(sender())


def test_signed_twilio_request_keeps_what_it_carries() -> None:
    payload = TwilioWebhookPayloadFactory.voice_note()

    signed = signed_twilio_request(payload, url="https://h.example.com/x", auth_token=TOKEN)

    assert signed.payload is payload
    assert signed.path == "/x"


def write(pytester: pytest.Pytester, source: str) -> None:
    pytester.makepyfile(test_user=textwrap.dedent(source))


def test_the_fixture_configures_the_app_and_drives_it_like_twilio(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import os
        from fastapi import FastAPI
        from starlette.testclient import TestClient
        from ai_voice_shared.adapters.fastapi import TwilioPayload, TwiMLResponse

        app = FastAPI()

        @app.post("/twilio/webhook")
        async def webhook(payload: TwilioPayload) -> TwiMLResponse:
            return TwiMLResponse(f"got {payload.message_sid} from {payload.account_sid}")

        def test_signed_forged_and_redelivered(twilio_webhook, twilio_api):
            client = TestClient(app)
            ok = twilio_webhook.post(client, "/twilio/webhook", num_media=1)
            assert ok.status_code == 200
            assert twilio_api.account_sid in ok.text
            assert twilio_webhook.redeliver(client).status_code == 200
            assert twilio_webhook.forged(client, "/twilio/webhook").status_code == 403
            assert os.environ["TWILIO_WEBHOOK_BASE_URL"] == "https://webhooks.aivs.test"

        def test_the_environment_is_restored_after():
            assert "TWILIO_WEBHOOK_BASE_URL" not in os.environ
        """,
    )

    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(passed=2)


def test_the_fixture_builds_the_same_payloads_for_the_same_seed(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        def test_one(twilio_webhook):
            with open("sids.txt", "a") as out:
                out.write(twilio_webhook.sign("/h").payload.message_sid + "\\n")
        """,
    )

    for _ in range(2):
        pytester.runpytest("-p", "no:cacheprovider", "--aivs-seed=7").assert_outcomes(passed=1)
    first, second = (pytester.path / "sids.txt").read_text().split()

    assert first == second


def test_in_proxy_mode_the_request_reaches_the_internal_url_with_forwarded_headers() -> None:
    seen: list[httpx.Request] = []
    webhooks = TwilioWebhookSender(auth_token=TOKEN, proxy=True)

    webhooks.post(recording_client(seen), "/twilio/webhook?tenant=a")

    [request] = seen
    assert str(request.url) == "http://testserver/twilio/webhook?tenant=a"
    assert request.headers["x-forwarded-proto"] == "https"
    assert request.headers["x-forwarded-host"] == "webhooks.aivs.test"
    assert webhooks.last.url == "https://webhooks.aivs.test/twilio/webhook?tenant=a"  # signed
    assert webhooks.environment() == {"TWILIO_AUTH_TOKEN": TOKEN}
    assert (
        webhooks.verifier().verify(str(request.url), request.headers, request.content).public_url
        == webhooks.last.url
    )


def test_proxy_mode_tests_the_apps_own_proxy_settings_and_the_403_says_how_it_derived_the_url(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import os
        import pytest
        from fastapi import FastAPI
        from starlette.testclient import TestClient
        from ai_voice_shared.adapters.fastapi import TwilioPayload, TwiMLResponse

        app = FastAPI()

        @app.post("/twilio/webhook")
        async def webhook(payload: TwilioPayload) -> TwiMLResponse:
            return TwiMLResponse("ok")

        @pytest.mark.aivs_webhook(proxy=True)
        def test_behind_the_proxy_with_production_settings(twilio_webhook, monkeypatch):
            monkeypatch.setenv("TWILIO_TRUST_FORWARDED_HEADERS", "true")  # production's
            assert "TWILIO_WEBHOOK_BASE_URL" not in os.environ
            assert twilio_webhook.post(TestClient(app), "/twilio/webhook").status_code == 200

        @pytest.mark.aivs_webhook(proxy=True)
        def test_behind_the_proxy_without_them(twilio_webhook):
            answer = twilio_webhook.post(TestClient(app), "/twilio/webhook")
            assert answer.status_code == 403
            print(answer.json()["detail"])
        """,
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-s")

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*X-Twilio-Signature does not match the request to http://testserver/twilio/webhook "
            "(the URL the server received (no TWILIO_WEBHOOK_BASE_URL, "
            "TWILIO_TRUST_FORWARDED_HEADERS off; the request carries X-Forwarded-Proto 'https' "
            "and X-Forwarded-Host 'webhooks.aivs.test': behind a proxy that sets them, set "
            "TWILIO_TRUST_FORWARDED_HEADERS=true or TWILIO_WEBHOOK_BASE_URL)). Check that:*"
        ]
    )


def test_a_proxy_option_that_is_not_a_bool_fails_the_test_saying_so(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        import pytest

        @pytest.mark.aivs_webhook(proxy="yes")
        def test_it(twilio_webhook):
            pass
        """,
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.aivs_webhook(proxy=...) takes True or False, not 'yes'*"]
    )
