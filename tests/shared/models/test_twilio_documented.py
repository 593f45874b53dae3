"""Every body Twilio documents parses (issue 21, item 3); each test names its source.

Sources (read 2026-12-04):

- STATUS_GUIDE: Twilio, "Track the Message Status of Outbound Messages",
  https://www.twilio.com/docs/messaging/guides/track-outbound-message-status (its example status
  callback carries AccountSid, From, MessageSid, MessageStatus, SmsSid and SmsStatus only; the
  page adds that ErrorCode, RawDlrDoneDate and ChannelStatusMessage may appear and that
  Twilio adds parameters without notice).
- WEBHOOK_REQUEST: Twilio, "Twilio's request to your incoming message Webhook URL",
  https://www.twilio.com/docs/messaging/guides/webhook-request (the request parameters table:
  MessageSid, SmsSid, SmsMessageSid, AccountSid, MessagingServiceSid, From, To, Body, NumMedia,
  NumSegments; WhatsApp's OriginalRepliedMessageSid, InteractiveData and FlowData).

SIDs and numbers are synthetic values of the real shape.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator  # Twilio's own signer, the oracle

from ai_voice_shared import (
    InvalidTwilioSignatureError,
    MessageStatus,
    TwilioStatusCallback,
    TwilioWebhookPayload,
    TwilioWebhookVerifier,
)

ACCOUNT = "AC" + "1" * 32
SID = "SM" + "a" * 32
TOKEN = "12345678901234567890123456789012"
URL = "https://example.com/sms/status"

#: STATUS_GUIDE's example callback, parameter for parameter.
STATUS_GUIDE_EXAMPLE = [
    ("AccountSid", ACCOUNT),
    ("From", "+15017122661"),
    ("MessageSid", SID),
    ("MessageStatus", "sent"),
    ("SmsSid", SID),
    ("SmsStatus", "sent"),
]

#: WEBHOOK_REQUEST's request parameters, exactly those (no SmsStatus, no ApiVersion).
WEBHOOK_REQUEST_PARAMETERS = [
    ("MessageSid", SID),
    ("SmsSid", SID),
    ("SmsMessageSid", SID),
    ("AccountSid", ACCOUNT),
    ("MessagingServiceSid", "MG" + "2" * 32),
    ("From", "+14017122661"),
    ("To", "+15558675310"),
    ("Body", "Ahoy! We can't wait to see what you build."),
    ("NumMedia", "0"),
    ("NumSegments", "1"),
]


def test_twilios_documented_status_callback_example_parses() -> None:  # STATUS_GUIDE
    callback = TwilioStatusCallback.from_form(urlencode(STATUS_GUIDE_EXAMPLE))

    assert callback.message_status is MessageStatus.SENT
    assert (callback.to, callback.api_version) == (None, None)
    assert sorted(callback.to_form()) == sorted(STATUS_GUIDE_EXAMPLE)


def test_a_status_callback_with_raw_dlr_done_date_and_channel_status_message_knows_them() -> None:
    # STATUS_GUIDE: "RawDlrDoneDate" (the carrier's YYMMDDhhmm) and "ChannelStatusMessage".
    body = [
        *STATUS_GUIDE_EXAMPLE,
        ("RawDlrDoneDate", "2512041200"),
        ("ChannelStatusMessage", "Message Delivered"),
    ]
    callback = TwilioStatusCallback.from_form(urlencode(body))

    assert callback.raw_dlr_done_date == "2512041200"
    assert callback.channel_status_message == "Message Delivered"
    assert callback.model_extra == {}
    assert sorted(callback.to_form()) == sorted(body)


def test_an_inbound_body_with_exactly_twilios_documented_parameters_parses() -> None:
    # WEBHOOK_REQUEST
    payload = TwilioWebhookPayload.from_form(urlencode(WEBHOOK_REQUEST_PARAMETERS))

    assert payload.body.startswith("Ahoy!")
    assert (payload.sms_status, payload.api_version) == (None, None)
    assert sorted(payload.to_form()) == sorted(WEBHOOK_REQUEST_PARAMETERS)


@pytest.mark.parametrize("value", ["SM123", "not-a-sid", "MM" + "z" * 32])
def test_a_malformed_original_replied_message_sid_is_kept_raw_not_a_rejection(value: str) -> None:
    # WEBHOOK_REQUEST: OriginalRepliedMessageSid is optional and only informative.
    body = [*WEBHOOK_REQUEST_PARAMETERS, ("OriginalRepliedMessageSid", value)]
    payload = TwilioWebhookPayload.from_form(urlencode(body))

    assert payload.original_replied_message_sid == value
    assert payload.replied_message_sid is None  # only a well-formed SID is offered as one
    assert sorted(payload.to_form()) == sorted(body)


def test_a_well_formed_original_replied_message_sid_is_offered_as_the_replied_sid() -> None:
    body = [*WEBHOOK_REQUEST_PARAMETERS, ("OriginalRepliedMessageSid", "SM" + "b" * 32)]

    assert TwilioWebhookPayload.from_form(urlencode(body)).replied_message_sid == "SM" + "b" * 32


def test_interactive_data_and_flow_data_are_parsed_as_json_like_channel_metadata() -> None:
    # WEBHOOK_REQUEST: WhatsApp list replies and Flows carry JSON in these two parameters.
    interactive = '{"type":"list_reply","list_reply":{"id":"opt_1","title":"One"}}'
    flow = '{"flow_token":"t1","answers":{"name":"Ana"}}'
    body = [*WEBHOOK_REQUEST_PARAMETERS, ("InteractiveData", interactive), ("FlowData", flow)]
    payload = TwilioWebhookPayload.from_form(urlencode(body))

    assert payload.interactive_data == {
        "type": "list_reply",
        "list_reply": {"id": "opt_1", "title": "One"},
    }
    assert payload.flow_data == {"flow_token": "t1", "answers": {"name": "Ana"}}
    assert sorted(payload.to_form()) == sorted(body)


def test_the_signature_of_a_documented_body_is_still_checked_first() -> None:
    body = urlencode(STATUS_GUIDE_EXAMPLE).encode()
    verifier = TwilioWebhookVerifier(auth_token=TOKEN)
    good = RequestValidator(TOKEN).compute_signature(URL, dict(STATUS_GUIDE_EXAMPLE))

    verified = verifier.verify(URL, {"X-Twilio-Signature": good}, body, model=TwilioStatusCallback)
    assert verified.payload is not None
    assert verified.payload.message_sid == SID
    with pytest.raises(InvalidTwilioSignatureError):
        verifier.verify(URL, {"X-Twilio-Signature": "forged"}, body, model=TwilioStatusCallback)
