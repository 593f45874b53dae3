"""Every adapter (FastAPI, Starlette, Flask, bare WSGI) verifies, parses and refuses alike.

Real apps of each framework, driven by the ``twilio_webhook`` fixture, which signs as Twilio
does for the public URL it configures (``TWILIO_WEBHOOK_BASE_URL``).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from ai_voice_shared import TwilioWebhookVerifier
from ai_voice_shared.twiml import TWIML_MEDIA_TYPE
from ai_voice_shared_testing import TwilioWebhookSender
from ai_voice_shared_testing.webhooks import SignedTwilioRequest
from tests.shared.adapters.apps import FRAMEWORKS, client_for, refusal

pytestmark = pytest.mark.parametrize("framework", FRAMEWORKS)
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "webhooks.aivs.test"}


def body_json(response: Any) -> Any:
    return json.loads(response.text)


def with_headers(request: SignedTwilioRequest, **headers: str) -> SignedTwilioRequest:
    return dataclasses.replace(request, headers={**request.headers, **headers})


def test_a_signed_message_reaches_the_view_parsed_and_is_answered_with_twiml(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    client = client_for(framework)

    response = twilio_webhook.post(client, "/hook")

    sent = twilio_webhook.last
    assert response.status_code == 200, refusal(response)
    assert response.headers["content-type"] == TWIML_MEDIA_TYPE
    assert f"<Body>got {sent.payload.message_sid}</Body>" in response.text  # type: ignore[union-attr]
    assert response.headers["x-checked-url"] == "https://webhooks.aivs.test/hook"
    assert response.headers["x-token"] == sent.idempotency_token


def test_a_forged_signature_is_answered_403_with_the_reason(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    response = twilio_webhook.forged(client_for(framework), "/hook")

    assert response.status_code == 403
    assert refusal(response).startswith(
        "X-Twilio-Signature does not match the request to https://webhooks.aivs.test/hook (the "
        "public URL rebuilt from TWILIO_WEBHOOK_BASE_URL=https://webhooks.aivs.test and the "
        "request's path and query). Check that: (1) the URL is the exact public URL Twilio called"
    )


def test_a_tampered_body_is_answered_403(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    signed = twilio_webhook.sign("/hook", twilio_webhook.sign("/hook").payload)
    tampered = dataclasses.replace(signed, body=signed.body.replace(b"From=", b"From=x"))

    response = twilio_webhook.send(client_for(framework), tampered)

    assert response.status_code == 403


def test_a_request_without_the_signature_header_is_answered_403_saying_so(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    signed = twilio_webhook.sign("/hook")
    headers = {k: v for k, v in signed.headers.items() if k != "X-Twilio-Signature"}

    response = twilio_webhook.send(
        client_for(framework), dataclasses.replace(signed, headers=headers)
    )

    assert response.status_code == 403
    assert refusal(response) == (
        "The request has no X-Twilio-Signature header: it did not come from Twilio, or a proxy "
        "dropped the header. Reject it (403)."
    )


def test_a_signed_body_that_is_not_a_message_is_answered_400_naming_the_field(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    from ai_voice_shared import TwilioRequestValidator

    url = twilio_webhook.url("/hook")
    body = b"AccountSid=AC00000000000000000000000000000000&From=whatsapp%3A%2B15550001111"
    signature = TwilioRequestValidator(twilio_webhook.auth_token).compute_signature(url, body)
    request = SignedTwilioRequest(
        url=url,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )

    response = twilio_webhook.send(client_for(framework), request)

    assert response.status_code == 400
    assert "MessageSid" in refusal(response)


def test_a_status_callback_is_parsed_with_its_own_model(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    response = twilio_webhook.status_callback(
        client_for(framework), "/status", message_status="delivered"
    )

    assert response.status_code == 200, refusal(response)
    assert response.headers["x-status"] == "delivered"
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def test_a_redelivery_is_the_same_request_with_the_same_idempotency_token(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    client = client_for(framework)
    first = twilio_webhook.post(client, "/hook")

    again = twilio_webhook.redeliver(client)

    assert again.status_code == 200
    assert again.headers["x-token"] == first.headers["x-token"]
    assert twilio_webhook.requests[0] == twilio_webhook.requests[1]


def test_a_json_webhook_is_verified_by_its_body_hash_and_parsed(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    document = {"property": "value", "boolean": True, "emoji": "🎙"}

    response = twilio_webhook.send(
        client_for(framework), twilio_webhook.sign_json("/json", document)
    )

    assert response.status_code == 200, refusal(response)
    assert body_json(response) == {"json": document}


def test_a_json_webhook_whose_body_was_changed_is_answered_403(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    signed = twilio_webhook.sign_json("/json", {"amount": 1})
    tampered = dataclasses.replace(signed, body=b'{"amount": 1000}')

    response = twilio_webhook.send(client_for(framework), tampered)

    assert response.status_code == 403
    assert "bodySHA256" in refusal(response)


@pytest.mark.parametrize(
    "path", ["/t/acme%20ltd/hook?a=1&b=%2F&c=", "/t/caf%C3%A9/hook?x=%E2%82%AC+%2B"]
)
def test_a_percent_encoded_path_and_query_are_checked_exactly_as_twilio_signed_them(
    framework: str, twilio_webhook: TwilioWebhookSender, path: str
) -> None:
    response = twilio_webhook.post(client_for(framework), path)

    assert response.status_code == 200, refusal(response)
    assert response.headers["x-checked-url"] == "https://webhooks.aivs.test" + path


def test_behind_a_tls_proxy_the_request_url_alone_fails_and_trusted_forwarded_headers_pass(
    framework: str, twilio_webhook: TwilioWebhookSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_WEBHOOK_BASE_URL")
    signed = with_headers(twilio_webhook.sign("/hook"), **FORWARDED)

    untrusted = twilio_webhook.send(client_for(framework), signed)
    monkeypatch.setenv("TWILIO_TRUST_FORWARDED_HEADERS", "true")
    trusted = twilio_webhook.send(client_for(framework), signed)

    assert untrusted.status_code == 403
    assert "http://" in refusal(untrusted)
    assert trusted.status_code == 200, refusal(trusted)
    assert trusted.headers["x-checked-url"] == "https://webhooks.aivs.test/hook"


def test_a_forwarded_host_does_not_open_the_door_to_a_forger(
    framework: str, twilio_webhook: TwilioWebhookSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_WEBHOOK_BASE_URL")
    monkeypatch.setenv("TWILIO_TRUST_FORWARDED_HEADERS", "true")
    forged = with_headers(twilio_webhook.forge(twilio_webhook.sign("/hook")), **FORWARDED)

    assert twilio_webhook.send(client_for(framework), forged).status_code == 403


def test_a_configured_base_url_wins_over_forwarded_headers(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    verifier = TwilioWebhookVerifier(
        auth_token=twilio_webhook.auth_token,
        webhook_base_url="https://webhooks.aivs.test",
        trust_forwarded_headers=True,
    )
    signed = with_headers(twilio_webhook.sign("/hook"), **{"X-Forwarded-Host": "evil.example"})

    response = twilio_webhook.send(client_for(framework, verifier), signed)

    assert response.status_code == 200, refusal(response)
    assert response.headers["x-checked-url"] == "https://webhooks.aivs.test/hook"


def test_a_body_over_the_limit_is_answered_413_before_it_is_read_whole(
    framework: str, twilio_webhook: TwilioWebhookSender
) -> None:
    verifier = twilio_webhook.verifier()
    verifier.max_body_bytes = 4096
    signed = twilio_webhook.sign("/hook")
    big = dataclasses.replace(signed, body=signed.body + b"&Padding=" + b"x" * 10_000)

    response = twilio_webhook.send(client_for(framework, verifier), big)

    assert response.status_code == 413
    assert refusal(response).startswith("A webhook body of 10")
    assert "exceeds the 4096 bytes this endpoint accepts" in refusal(response)


@pytest.mark.parametrize("base_url", ["configured", "not configured"])
@pytest.mark.parametrize(
    "host",
    ["webhooks.aivs.test/hook#", "webhooks.aivs.test/hook?", "[", "a]b", "user@webhooks.aivs.test"],
)
def test_a_host_header_smuggling_a_path_cannot_move_a_signed_webhook_to_another_endpoint(
    framework: str,
    twilio_webhook: TwilioWebhookSender,
    monkeypatch: pytest.MonkeyPatch,
    base_url: str,
    host: str,
) -> None:
    # Found by an attack: with "Host: webhooks.aivs.test/hook#", a webhook Twilio signed for
    # /hook was accepted at another path (the URL checked became ".../hook#/t/admin/hook").
    if base_url == "not configured":
        monkeypatch.delenv("TWILIO_WEBHOOK_BASE_URL")
    genuine = twilio_webhook.sign("/hook")
    moved = dataclasses.replace(
        with_headers(genuine, Host=host), url="https://webhooks.aivs.test/t/admin/hook"
    )

    response = twilio_webhook.send(client_for(framework), moved)

    assert response.status_code == 403, refusal(response)
    assert refusal(response).startswith(f"The request's Host header {host!r} is not a host name")


@pytest.mark.parametrize(
    ("path", "checked"),
    [
        ("/hook#rp=5xx&rc=2", "/hook"),  # Twilio keeps its connection overrides to itself
        ("/hook?q=a b", "/hook?q=a%20b"),
        ("/hook?", "/hook"),
        ("/a/../hook", "/hook"),
    ],
    ids=["connection overrides", "a space in the query", "a bare '?'", "a dot segment"],
)
def test_the_kit_signs_the_url_the_client_sends(
    framework: str, twilio_webhook: TwilioWebhookSender, path: str, checked: str
) -> None:
    # Found by an attack: the kit signed the path as given, which the client then changed.
    response = twilio_webhook.post(client_for(framework), path)

    assert response.status_code == 200, refusal(response)
    assert twilio_webhook.last.url == "https://webhooks.aivs.test" + checked
    assert response.headers["x-checked-url"] == twilio_webhook.last.url
