"""Status callbacks as Twilio sends them to a message's ``StatusCallback`` URL.

A form POST (``application/x-www-form-urlencoded``) with the parameters Twilio documents for
message status callbacks (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status):
``AccountSid``, ``ApiVersion``, ``From``, ``MessageSid``, ``MessageStatus``, ``SmsSid``,
``SmsStatus``, ``To``, ``MessagingServiceSid`` when the message has one, ``ErrorCode`` on
``failed``/``undelivered``, and for WhatsApp ``ChannelPrefix``, ``ChannelToAddress``,
``ChannelInstallSid``, ``StructuredMessage`` and ``EventType`` on ``delivered``/``read``;
signed with the account's auth token in ``X-Twilio-Signature`` over the callback URL and the
parameters (HMAC-SHA1, Twilio's form-webhook scheme).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from ai_voice_shared.twilio_signature import TwilioRequestValidator
from ai_voice_shared_testing._twilio.resources import MessageRecord

__all__ = ["StatusCallbackRequest", "status_callback_request"]

#: Statuses whose callback carries an error code.
ERROR_STATUSES = ("failed", "undelivered")


class StatusCallbackRequest:
    """One signed status callback: where it goes, its body and its headers."""

    def __init__(self, url: str, pairs: list[tuple[str, str]], headers: dict[str, str]) -> None:
        self.url = url
        self.pairs = pairs
        self.body = urlencode(pairs).encode("ascii")
        self.headers = headers

    def __repr__(self) -> str:
        return f"StatusCallbackRequest(url={self.url!r}, params={dict(self.pairs)!r})"


def status_callback_request(
    message: MessageRecord, auth_token: str, *, channel_install_sid: str
) -> StatusCallbackRequest:
    """The callback Twilio sends for ``message``'s current status (it has a callback URL)."""
    assert message.status_callback is not None
    whatsapp = message.to.startswith("whatsapp:")
    pairs = [
        ("AccountSid", message.account_sid),
        ("ApiVersion", "2010-04-01"),
        ("From", message.from_ or ""),
        ("MessageSid", message.sid),
        ("MessageStatus", message.status),
        ("SmsSid", message.sid),
        ("SmsStatus", message.status),
        ("To", message.to),
    ]
    if message.messaging_service_sid:
        pairs.append(("MessagingServiceSid", message.messaging_service_sid))
    if message.status in ERROR_STATUSES and message.error_code is not None:
        pairs.append(("ErrorCode", str(message.error_code)))
    if whatsapp:
        pairs += [
            ("ChannelInstallSid", channel_install_sid),
            ("ChannelPrefix", "whatsapp"),
            ("ChannelToAddress", message.to.removeprefix("whatsapp:")),
            ("StructuredMessage", "false"),
        ]
        if message.status in ("delivered", "read"):
            pairs.append(("EventType", message.status.upper()))
    url = message.status_callback
    signature = TwilioRequestValidator(auth_token).compute_signature(url, pairs)
    body = urlencode(pairs).encode("ascii")
    token = hashlib.sha256(url.encode() + b"\n" + body).hexdigest()[:32]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
        "X-Twilio-Signature": signature,
        "I-Twilio-Idempotency-Token": token,
    }
    return StatusCallbackRequest(url, pairs, headers)
