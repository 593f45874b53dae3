"""TwilioStatusCallback: the outbound lifecycle callback parses and round-trips."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

import pytest

from ai_voice_shared import InvalidTwilioPayloadError, MessageStatus, TwilioStatusCallback

SAMPLE = "08_status_callback_sent.form"


def test_the_sent_callback_sample_parses_with_every_field_in_place(
    twilio_sample: Callable[[str], bytes],
) -> None:
    callback = TwilioStatusCallback.from_form(twilio_sample(SAMPLE))

    assert callback.model_dump(exclude_unset=True) == {
        "message_sid": "SM033f8366855d7fdb742255f3a9d4c26a",
        "sms_sid": "SM033f8366855d7fdb742255f3a9d4c26a",
        "account_sid": "AC323fba7718f7ffd2e6008e29b2e6496e",
        "from_": "whatsapp:+15555550103",
        "to": "whatsapp:+15555550104",
        "sms_status": "sent",
        "api_version": "2010-04-01",
        "message_status": MessageStatus.SENT,
        "channel_install_sid": "XE78096a8ce5b4f5eddb3e126afd261070",
        "channel_prefix": "whatsapp",
        "channel_to_address": "+15555550104",
        "structured_message": False,
    }
    assert callback.error_code is None
    assert callback.is_whatsapp


def test_the_callback_round_trips_to_the_exact_pairs(twilio_sample: Callable[[str], bytes]) -> None:
    body = twilio_sample(SAMPLE)
    callback = TwilioStatusCallback.from_form(body)

    assert sorted(callback.to_form()) == sorted(parse_qsl(body.decode(), keep_blank_values=True))
    assert TwilioStatusCallback.from_form(urlencode(callback.to_form())) == callback


def test_a_failed_callback_carries_its_error_code_as_an_int(
    twilio_sample: Callable[[str], bytes],
) -> None:
    pairs = [
        *parse_qsl(twilio_sample(SAMPLE).decode().replace("=sent", "=failed")),
        ("ErrorCode", "63016"),
        ("ErrorMessage", "Outside the 24h window"),
    ]

    callback = TwilioStatusCallback.from_form(pairs)

    assert callback.message_status is MessageStatus.FAILED
    assert (callback.error_code, callback.error_message) == (63016, "Outside the 24h window")
    assert sorted(callback.to_form()) == sorted(pairs)


def test_a_blank_error_code_means_none_and_is_written_back_blank(
    twilio_sample: Callable[[str], bytes],
) -> None:
    pairs = [*parse_qsl(twilio_sample(SAMPLE).decode()), ("ErrorCode", "")]

    callback = TwilioStatusCallback.from_form(pairs)

    assert callback.error_code is None
    assert ("ErrorCode", "") in callback.to_form()


def test_an_unknown_status_names_the_parameter_and_the_allowed_values(
    twilio_sample: Callable[[str], bytes],
) -> None:
    body = twilio_sample(SAMPLE).replace(b"MessageStatus=sent", b"MessageStatus=lost")

    with pytest.raises(InvalidTwilioPayloadError) as caught:
        TwilioStatusCallback.from_form(body)

    assert caught.value.fields == ("MessageStatus",)
    assert str(caught.value).splitlines()[1] == (
        "- MessageStatus: Input should be 'queued', 'sending', 'sent', 'failed', 'delivered', "
        "'undelivered', 'receiving', 'received', 'accepted', 'scheduled', 'read', "
        "'partially_delivered' or 'canceled' (got 'lost')"
    )


def test_an_inbound_message_is_not_a_status_callback(twilio_sample: Callable[[str], bytes]) -> None:
    with pytest.raises(InvalidTwilioPayloadError) as caught:
        TwilioStatusCallback.from_form(twilio_sample("01_whatsapp_text.form"))

    assert caught.value.fields == ("MessageStatus",)
    assert "- MessageStatus: Field required" in str(caught.value)
