"""The factories build valid, realistic, consistent models on the first try, and replay."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from ai_voice_shared import (
    MessageStatus,
    S3EventNotification,
    TwilioStatusCallback,
    TwilioWebhookPayload,
)
from ai_voice_shared_testing.factories import (
    CustomerMetadataFactory,
    S3EventNotificationFactory,
    S3ListResponseFactory,
    S3ObjectMetadataFactory,
    TwilioMediaFactory,
    TwilioStatusCallbackFactory,
    TwilioWebhookPayloadFactory,
    seed_factories,
)

SID = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")


def assert_consistent(payload: TwilioWebhookPayload) -> None:
    assert payload.message_sid[:2] == ("MM" if payload.media else "SM")
    assert payload.sms_sid == payload.sms_message_sid == payload.message_sid
    assert payload.num_media == len(payload.media)
    for item in payload.media:
        assert item.media_sid is not None
        assert f"/Accounts/{payload.account_sid}/Messages/{payload.message_sid}/" in item.url
    if payload.is_whatsapp:
        assert payload.wa_id == payload.sender_address.removeprefix("+")
        assert payload.to.startswith("whatsapp:+")
    else:
        assert payload.wa_id is None
    assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload


@pytest.mark.parametrize(
    "factory",
    [
        TwilioMediaFactory,
        TwilioWebhookPayloadFactory,
        TwilioStatusCallbackFactory,
        CustomerMetadataFactory,
        S3ObjectMetadataFactory,
        S3ListResponseFactory,
        S3EventNotificationFactory,
    ],
    ids=lambda f: f.__name__,
)
def test_a_batch_of_a_thousand_validates(factory: Any) -> None:
    models = factory.batch(1000)

    assert len(models) == 1000
    for model in models:
        assert type(model).model_validate(model.model_dump()) == model


def test_every_generated_payload_is_consistent_like_a_real_one() -> None:
    for payload in TwilioWebhookPayloadFactory.batch(300):
        assert_consistent(payload)
    for count in range(11):
        assert_consistent(TwilioWebhookPayloadFactory.build(num_media=count))


def test_voice_note_is_a_whatsapp_audio_message_with_an_empty_body() -> None:
    payload = TwilioWebhookPayloadFactory.voice_note()

    assert_consistent(payload)
    assert (payload.body, payload.message_type, payload.num_media) == ("", "audio", 1)
    assert payload.media[0].content_type == "audio/ogg"
    assert payload.audio_media == payload.media


def test_the_builders_give_the_usual_cases() -> None:
    text = TwilioWebhookPayloadFactory.text(body="hola")
    sms = TwilioWebhookPayloadFactory.text(from_="+15555550100")
    image = TwilioWebhookPayloadFactory.image()
    location = TwilioWebhookPayloadFactory.location()
    button = TwilioWebhookPayloadFactory.button_reply()

    assert (text.body, text.message_type, text.media) == ("hola", "text", ())
    assert (sms.channel, sms.to.startswith("+")) == ("sms", True)
    assert (image.media[0].content_type, image.message_type) == ("image/jpeg", "image")
    assert location.latitude is not None
    assert location.longitude is not None
    assert (button.button_payload, button.message_type) == ("confirm_appointment", "button")
    for payload in (text, sms, image, location, button):
        assert_consistent(payload)


def test_overrides_win_and_wire_names_are_refused_with_a_hint() -> None:
    payload = TwilioWebhookPayloadFactory.voice_note(
        profile_name="Zoë", account_sid="AC" + "1" * 32
    )

    assert payload.profile_name == "Zoë"
    assert f"/Accounts/AC{'1' * 32}/" in payload.media[0].url
    with pytest.raises(TypeError, match=r"pass fields by their Python names \('from_'"):
        TwilioWebhookPayloadFactory.build(From="whatsapp:+15555550100")


@pytest.mark.parametrize("status", list(MessageStatus))
def test_status_callbacks_per_status(status: MessageStatus) -> None:
    callback = TwilioStatusCallbackFactory.with_status(status)

    assert callback.message_status is status
    assert SID.match(callback.message_sid)
    assert (callback.error_code is not None) is (
        status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
    )
    assert TwilioStatusCallback.from_form(urlencode(callback.to_form())) == callback


def test_the_same_seed_builds_the_same_values() -> None:
    seed_factories(7)
    first = [TwilioWebhookPayloadFactory.voice_note(), CustomerMetadataFactory.build()]
    seed_factories(7)
    second = [TwilioWebhookPayloadFactory.voice_note(), CustomerMetadataFactory.build()]
    seed_factories(8)
    other = [TwilioWebhookPayloadFactory.voice_note(), CustomerMetadataFactory.build()]

    assert first == second
    assert first != other


@pytest.mark.parametrize("factory", [CustomerMetadataFactory, S3ObjectMetadataFactory])
def test_coverage_builds_valid_models_for_the_simple_models(factory: Any) -> None:
    models = list(factory.coverage())

    assert models
    for model in models:
        assert type(model).model_validate(model.model_dump()) == model


def test_a_list_page_counts_its_keys() -> None:
    page = S3ListResponseFactory.build()

    assert page.key_count == len(page.objects) + len(page.common_prefixes)
    assert all(o.key.startswith("voice/AC") for o in page.objects)


@pytest.mark.parametrize("shape", ["aws", "moto", "sns"])
def test_s3_event_bodies_of_every_shape_parse_to_the_keys_they_were_built_for(shape: str) -> None:
    keys = ["AC1/MM1/0-ME1 a+b%.ogg", "AC1/MM1/1-ME2é.ogg"]

    body = S3EventNotificationFactory.body(*keys, shape=shape)  # type: ignore[arg-type]

    parsed = S3EventNotification.parse(body)
    assert [r.key for r in parsed.records] == keys
    assert all(r.is_object_created for r in parsed.records)
    wire = json.loads(json.loads(body)["Message"] if shape == "sns" else body)["Records"][0]
    assert ("sequencer" in wire["s3"]["object"]) == (shape != "moto")  # moto sends none
    assert ("userIdentity" in wire) == (shape != "moto")


def test_the_s3_test_event_body_parses_as_a_test_event() -> None:
    parsed = S3EventNotification.parse(S3EventNotificationFactory.test_event_body())

    assert parsed.is_test_event
    assert parsed.records == []
