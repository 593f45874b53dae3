"""Which key and payload fingerprint a delivery is claimed under.

By default a webhook is keyed by what Twilio signed: the ``MessageSid`` of an inbound message,
the ``MessageSid`` and ``MessageStatus`` of a status callback (each status is a webhook of its
own). Never by ``I-Twilio-Idempotency-Token``: no signature covers that header, so anyone who
replays a signed webhook can choose it. The fingerprint is a hash of the signed parameters,
in sorted order (Twilio may send them in another order on a redelivery).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from ai_voice_shared.errors import ConfigurationError
from ai_voice_shared.models import TwilioStatusCallback, TwilioWebhookPayload
from ai_voice_shared.webhooks import VerifiedWebhook

__all__ = ["Delivery", "delivery_key", "fingerprint_of"]

#: What a delivery is named by: a key of your own, or a verified webhook (or its payload).
Delivery = str | VerifiedWebhook | TwilioWebhookPayload | TwilioStatusCallback


def delivery_key(delivery: Delivery) -> str:
    """The key ``delivery`` is claimed under (see the module docstring)."""
    if isinstance(delivery, str):
        if not delivery or len(delivery) > 512:
            raise ConfigurationError(
                f"A delivery key must be 1 to 512 characters, not {delivery[:40]!r} "
                f"({len(delivery)} characters): use the webhook's MessageSid."
            )
        return delivery
    payload = delivery.payload if isinstance(delivery, VerifiedWebhook) else delivery
    if isinstance(payload, TwilioStatusCallback):
        return f"{payload.message_sid}:{payload.message_status.value}"
    if isinstance(payload, TwilioWebhookPayload):
        return payload.message_sid
    raise ConfigurationError(
        "This webhook has no form payload to take a MessageSid from (a JSON webhook, or an "
        f"object of type {type(delivery).__name__}): pass the key yourself, "
        "guard.once(key, fingerprint=webhook.body)."
    )


def fingerprint_of(delivery: Delivery, given: str | bytes | None = None) -> str:
    """The fingerprint of the payload ``delivery`` carries (``given`` when passed: bytes are
    hashed, text is taken as it is; ``""`` for a bare key: no payload check).

    A form webhook's fingerprint is the SHA-256 of its ``name=value`` pairs, form-encoded, in
    sorted order: taken from the raw body of a :class:`VerifiedWebhook` as Twilio encoded it
    (2 us), or encoded again from a payload's fields (as ``urlencode`` does, which is how Twilio
    encodes), so both give the same fingerprint for Twilio's bodies. A JSON webhook's is the
    SHA-256 of its body.
    """
    if isinstance(given, bytes):
        return hashlib.sha256(given).hexdigest()
    if given is not None:
        return given
    if isinstance(delivery, str):
        return ""
    if isinstance(delivery, VerifiedWebhook):
        if delivery.payload is None:
            return hashlib.sha256(delivery.body).hexdigest()
        return _sorted_form(delivery.body.split(b"&"))
    return _sorted_form(urlencode(delivery.to_form()).encode().split(b"&"))


def _sorted_form(segments: list[bytes]) -> str:
    return hashlib.sha256(b"&".join(sorted(segments))).hexdigest()
