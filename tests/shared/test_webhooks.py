"""TwilioWebhookVerifier: the public URL Twilio signed, the signature, the parsed body."""

from __future__ import annotations

from typing import assert_type

import pytest

from ai_voice_shared import (
    ConfigurationError,
    InvalidTwilioPayloadError,
    InvalidTwilioSignatureError,
    TwilioSettings,
    TwilioStatusCallback,
    TwilioWebhookPayload,
    TwilioWebhookVerifier,
    VerifiedWebhook,
    WebhookBodyTooLargeError,
)
from ai_voice_shared_testing.factories import (
    TwilioStatusCallbackFactory,
    TwilioWebhookPayloadFactory,
)
from ai_voice_shared_testing.webhooks import signed_twilio_json_request, signed_twilio_request

TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC = "https://voice.example.com/twilio/webhook?tenant=a"


def verifier(**options: object) -> TwilioWebhookVerifier:
    return TwilioWebhookVerifier(auth_token=TOKEN, **options)  # type: ignore[arg-type]


def test_a_signed_message_is_verified_and_parsed_with_its_token() -> None:
    payload = TwilioWebhookPayloadFactory.voice_note()
    signed = signed_twilio_request(payload, url=PUBLIC, auth_token=TOKEN)

    webhook = verifier().verify(PUBLIC, signed.headers, signed.body)

    assert webhook.payload == payload
    assert webhook.unsigned_idempotency_token == signed.idempotency_token
    assert webhook.public_url == PUBLIC
    assert webhook.body == signed.body
    assert webhook.json is None


def test_a_status_callback_is_parsed_with_the_model_asked_for() -> None:
    callback = TwilioStatusCallbackFactory.delivered()
    signed = signed_twilio_request(callback, url=PUBLIC, auth_token=TOKEN)

    webhook = verifier().verify(PUBLIC, signed.headers, signed.body, model=TwilioStatusCallback)

    assert webhook.payload == callback


def test_the_payload_is_typed_as_the_model_it_was_parsed_as() -> None:
    # Checked by mypy (the CI runs it on tests/): no cast or isinstance to reach a field.
    message = signed_twilio_request(
        TwilioWebhookPayloadFactory.voice_note(), url=PUBLIC, auth_token=TOKEN
    )
    delivered = TwilioStatusCallbackFactory.delivered()
    callback = signed_twilio_request(delivered, url=PUBLIC, auth_token=TOKEN)

    inbound = verifier().verify(PUBLIC, message.headers, message.body)
    status = verifier().verify(PUBLIC, callback.headers, callback.body, model=TwilioStatusCallback)

    assert_type(inbound, VerifiedWebhook[TwilioWebhookPayload])
    assert_type(status, VerifiedWebhook[TwilioStatusCallback])
    assert inbound.payload is not None
    assert status.payload is not None
    assert_type(inbound.payload.num_media, int)
    assert status.payload.message_status == delivered.message_status


@pytest.mark.parametrize(
    ("options", "request_url", "headers", "public"),
    [
        # nothing configured: the request URL, query kept as sent
        ({}, "http://app:8000/h?a=1", {}, "http://app:8000/h?a=1"),
        ({}, "HTTP://[::1]:8000/h?", {}, "http://[::1]:8000/h?"),
        # a configured base (with a path prefix a proxy strips) wins over everything
        (
            {"webhook_base_url": "https://v.example.com/voice/", "trust_forwarded_headers": True},
            "http://app:8000/h?a=1",
            {"X-Forwarded-Host": "evil.example"},
            "https://v.example.com/voice/h?a=1",
        ),
        # forwarded headers are ignored unless trusted
        ({}, "http://app:8000/h", {"X-Forwarded-Proto": "https"}, "http://app:8000/h"),
        (
            {"trust_forwarded_headers": True},
            "http://app:8000/h",
            {"x-forwarded-proto": "HTTPS", "x-forwarded-host": "v.example.com"},
            "https://v.example.com/h",
        ),
        # several proxies: the first (outermost) value; a default port is dropped
        (
            {"trust_forwarded_headers": True},
            "http://app:8000/h",
            {
                "X-Forwarded-Proto": "https, http",
                "X-Forwarded-Host": "v.example.com, app",
                "X-Forwarded-Port": "443",
            },
            "https://v.example.com/h",
        ),
        (
            {"trust_forwarded_headers": True},
            "http://app/h",
            {"X-Forwarded-Port": "8443", "X-Forwarded-Proto": "https"},
            "https://app:8443/h",
        ),
        # junk in forwarded headers is ignored, not trusted into the URL
        (
            {"trust_forwarded_headers": True},
            "http://app:8000/h",
            {
                "X-Forwarded-Proto": "javascript",
                "X-Forwarded-Host": "a.example/evil?x=",
                "X-Forwarded-Port": "99999",
            },
            "http://app:8000/h",
        ),
    ],
)
def test_the_public_url_comes_from_configuration_then_trusted_proxy_headers_then_the_request(
    options: dict[str, object], request_url: str, headers: dict[str, str], public: str
) -> None:
    assert verifier(**options).public_url(request_url, headers) == public


@pytest.mark.parametrize("options", [{}, {"webhook_base_url": "https://v.example.com"}])
@pytest.mark.parametrize(
    "request_url",
    [
        "https://v.example.com/twilio/inbound#/twilio/admin",  # Host: v.example.com/twilio/inbound#
        "https://v.example.com/h?tenant=a#&tenant=b",  # a '#' in the request target
        "https://v.example.com?x#/admin",
        "https://[/h",
        "https://a]b/h",
        "https://user@v.example.com/h",
        "https://v.example.com /h",
        "https://v.example.com/h\n",
        "v.example.com/h",
    ],
)
def test_a_request_url_no_http_client_sends_is_refused_as_unsigned(
    options: dict[str, object], request_url: str
) -> None:
    payload = TwilioWebhookPayloadFactory.build()
    signed = signed_twilio_request(payload, url="https://v.example.com/h", auth_token=TOKEN)

    with pytest.raises(InvalidTwilioSignatureError, match="is not one an HTTP client sends"):
        verifier(**options).verify(request_url, signed.headers, signed.body)


@pytest.mark.parametrize("port", ["\u00b2", "\u0661\u0662", "0", "65536", "-1", "4 43"])
def test_a_forwarded_port_that_is_not_ascii_digits_in_range_is_ignored(port: str) -> None:
    trusting = verifier(trust_forwarded_headers=True)

    assert trusting.public_url("http://app:8000/h", {"X-Forwarded-Port": port}) == (
        "http://app:8000/h"
    )


def test_headers_may_be_pairs_or_a_generator_read_once() -> None:
    payload = TwilioWebhookPayloadFactory.text()
    url = "https://v.example.com/h"
    signed = signed_twilio_request(payload, url=url, auth_token=TOKEN)
    pairs = [
        *signed.headers.items(),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "v.example.com"),
    ]

    webhook = verifier(trust_forwarded_headers=True).verify(
        "http://app/h", (pair for pair in pairs), signed.body
    )

    assert webhook.payload == payload


def test_a_forged_signature_raises_the_signature_error_answered_403() -> None:
    signed = signed_twilio_request(
        TwilioWebhookPayloadFactory.text(), url=PUBLIC, auth_token="another-token"
    )

    with pytest.raises(InvalidTwilioSignatureError) as caught:
        verifier().verify(PUBLIC, signed.headers, signed.body)

    assert caught.value.http_status == 403


def test_a_signed_body_that_is_not_the_model_is_answered_400_naming_the_field() -> None:
    signed = signed_twilio_request(TwilioStatusCallbackFactory.sent(), url=PUBLIC, auth_token=TOKEN)

    with pytest.raises(InvalidTwilioPayloadError) as caught:
        verifier().verify(PUBLIC, signed.headers, signed.body, model=TwilioWebhookPayload)

    assert caught.value.http_status == 400
    assert "NumMedia" in caught.value.fields or "Body" in caught.value.fields


def test_a_json_webhook_gives_its_document_and_no_payload() -> None:
    signed = signed_twilio_json_request(
        {"property": "value", "boolean": True}, url=PUBLIC, auth_token=TOKEN
    )

    webhook = verifier().verify(signed.url, signed.headers, signed.body)

    assert "bodySHA256=" in signed.url
    assert webhook.payload is None
    assert webhook.json == {"property": "value", "boolean": True}


def test_a_signed_json_webhook_whose_body_is_not_json_is_a_payload_error() -> None:
    signed = signed_twilio_json_request(b"{not json", url=PUBLIC, auth_token=TOKEN)

    with pytest.raises(
        InvalidTwilioPayloadError, match=r"A JSON webhook \(bodySHA256 in its URL\)"
    ):
        verifier().verify(signed.url, signed.headers, signed.body)


def test_a_deeply_nested_json_body_is_a_payload_error_not_a_crash() -> None:
    signed = signed_twilio_json_request(b"[" * 100_000, url=PUBLIC, auth_token=TOKEN)

    with pytest.raises(InvalidTwilioPayloadError):
        verifier().verify(signed.url, signed.headers, signed.body)


def test_a_body_over_the_limit_is_refused_413_before_the_signature_is_computed() -> None:
    with pytest.raises(WebhookBodyTooLargeError) as caught:
        verifier(max_body_bytes=10).verify(PUBLIC, {}, b"x" * 11)

    assert caught.value.http_status == 413
    assert str(caught.value) == (
        "A webhook body of 11 bytes exceeds the 10 bytes this endpoint accepts; Twilio's own "
        "bodies are a few KiB. If a larger one is genuine, raise max_body_bytes on the "
        "TwilioWebhookVerifier."
    )


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "10"])
def test_a_max_body_bytes_that_is_not_a_positive_int_is_refused(size: object) -> None:
    with pytest.raises(ConfigurationError, match="max_body_bytes must be"):
        verifier(max_body_bytes=size)


def test_without_an_auth_token_the_error_says_which_variable_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)

    with pytest.raises(ConfigurationError) as caught:
        TwilioWebhookVerifier(TwilioSettings(_env_file=None))

    assert str(caught.value) == (
        "Verifying Twilio webhooks needs the account's auth token: set TWILIO_AUTH_TOKEN (or "
        "pass auth_token=...). Twilio signs webhooks with it."
    )


def test_keyword_arguments_override_the_settings_object() -> None:
    settings = TwilioSettings(auth_token="a", webhook_base_url="https://a.example.com")

    checker = TwilioWebhookVerifier(settings, webhook_base_url="https://b.example.com")

    assert checker.webhook_base_url == "https://b.example.com"
    assert checker.settings.auth_token is not None
    assert checker.settings.auth_token.get_secret_value() == "a"


def test_from_env_is_built_once_and_again_when_a_variable_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "one")
    monkeypatch.delenv("TWILIO_WEBHOOK_BASE_URL", raising=False)
    first = TwilioWebhookVerifier.from_env()

    assert TwilioWebhookVerifier.from_env() is first
    monkeypatch.setenv("TWILIO_WEBHOOK_BASE_URL", "https://v.example.com")
    second = TwilioWebhookVerifier.from_env()

    assert second is not first
    assert second.webhook_base_url == "https://v.example.com"


def test_the_auth_token_never_shows_in_the_repr() -> None:
    assert TOKEN not in repr(verifier())


@pytest.mark.parametrize(
    ("options", "headers", "how"),
    [
        (
            {"trust_forwarded_headers": True},
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "voice.example.com"},
            "the public URL rebuilt from X-Forwarded-Proto 'https' and X-Forwarded-Host "
            "'voice.example.com' over the URL the server received, http://10.0.0.7:8000/h "
            "(TWILIO_TRUST_FORWARDED_HEADERS is on)",
        ),
        (
            {"trust_forwarded_headers": True},
            {},
            "the URL the server received: TWILIO_TRUST_FORWARDED_HEADERS is on but the request "
            "carries no X-Forwarded-Proto, -Host or -Port header",
        ),
        (
            {},
            {},
            "the URL the server received (no TWILIO_WEBHOOK_BASE_URL, "
            "TWILIO_TRUST_FORWARDED_HEADERS off)",
        ),
    ],
)
def test_a_mismatch_says_how_the_public_url_was_derived(
    options: dict[str, object], headers: dict[str, str], how: str
) -> None:
    signed = signed_twilio_request(
        TwilioWebhookPayloadFactory.build(), url="https://elsewhere.example.com/h", auth_token=TOKEN
    )

    with pytest.raises(InvalidTwilioSignatureError) as refused:
        verifier(**options).verify(
            "http://10.0.0.7:8000/h", {**signed.headers, **headers}, signed.body
        )

    assert f" ({how}). Check that: (1)" in str(refused.value)
