"""Every strategy produces only valid values of the documented shape."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_voice_shared import (
    CustomerMetadata,
    S3EventNotification,
    S3ObjectMetadata,
    TwilioRequestValidator,
    TwilioStatusCallback,
    TwilioWebhookPayload,
    normalize_phone_number,
)
from ai_voice_shared.services._s3.keys import validate_key
from ai_voice_shared_testing import strategies as aivs
from ai_voice_shared_testing.strategies import SignedTwilioRequest


@given(aivs.twilio_sids("ME"))
def test_sids_have_the_prefix_and_32_hex_digits(sid: str) -> None:
    assert re.fullmatch(r"ME[0-9a-f]{32}", sid)


def test_a_sid_prefix_must_be_two_capital_letters() -> None:
    with pytest.raises(ValueError, match="prefix must be two capital letters"):
        aivs.twilio_sids("sm")


@given(aivs.e164_numbers())
def test_numbers_are_e164(number: str) -> None:
    assert normalize_phone_number(number) == number


@given(aivs.whatsapp_addresses())
def test_whatsapp_addresses_carry_the_prefix(address: str) -> None:
    assert address.startswith("whatsapp:+")
    assert normalize_phone_number(address) == address.removeprefix("whatsapp:")


@given(aivs.twilio_media(audio=True))
def test_audio_media_is_audio_at_a_canonical_url(media: object) -> None:
    assert media.is_audio  # type: ignore[attr-defined]
    assert media.media_sid is not None  # type: ignore[attr-defined]


@given(aivs.twilio_webhook_payloads())
def test_payloads_are_consistent(payload: TwilioWebhookPayload) -> None:
    assert payload.message_sid[:2] == ("MM" if payload.media else "SM")
    assert payload.num_media == len(payload.media)
    if payload.is_whatsapp:
        assert payload.wa_id == payload.sender_address[1:]
        assert len(payload.media) <= 1


@given(aivs.twilio_webhook_payloads(channel="sms", media=3, message_type="image"))
def test_payload_parameters_are_honoured(payload: TwilioWebhookPayload) -> None:
    assert (payload.channel, payload.num_media, payload.message_type) == ("sms", 3, "image")


@given(aivs.twilio_form_bodies())
def test_form_bodies_parse_and_keep_blank_values(body: bytes) -> None:
    payload = TwilioWebhookPayload.from_form(body)
    assert sorted(parse_qsl(body.decode(), keep_blank_values=True)) == sorted(payload.to_form())


@given(aivs.twilio_status_callbacks())
def test_status_callbacks_round_trip(callback: TwilioStatusCallback) -> None:
    assert TwilioStatusCallback.from_form(urlencode(callback.to_form())) == callback


@given(aivs.customer_metadata())
def test_customers_are_valid(customer: CustomerMetadata) -> None:
    assert CustomerMetadata.model_validate(customer.model_dump()) == customer


@given(aivs.s3_keys())
def test_keys_pass_s3_service_validation(key: str) -> None:
    assert validate_key(key) == key


@given(aivs.s3_object_metadata())
def test_object_metadata_is_valid(metadata: S3ObjectMetadata) -> None:
    assert metadata.last_modified.tzinfo is not None
    assert S3ObjectMetadata.model_validate(metadata.model_dump()) == metadata


@given(aivs.signed_twilio_requests(auth_token="12345"))
def test_signed_requests_validate_with_their_token(request: SignedTwilioRequest) -> None:
    validator = TwilioRequestValidator("12345")
    assert validator.validate(request.url, request.body, request.signature)
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


@given(st.data())
def test_signed_twilio_request_signs_what_it_sends(data: st.DataObject) -> None:
    payload = data.draw(aivs.twilio_webhook_payloads())
    request = aivs.signed_twilio_request(payload, url="https://h.example.com/hook", auth_token="t")

    assert TwilioWebhookPayload.from_form(request.body) == payload
    assert TwilioRequestValidator("t").validate(request.url, request.body, request.signature)


@settings(max_examples=40)
@given(aivs.s3_event_bodies())
def test_every_s3_event_body_parses_to_its_keys_and_etags_and_round_trips(
    event: aivs.S3EventBody,
) -> None:
    parsed = S3EventNotification.parse(event.body)

    assert tuple(r.key for r in parsed.records) == event.keys
    assert tuple(r.etag for r in parsed.records) == event.etags
    assert S3EventNotification.parse(parsed.to_body()) == parsed
