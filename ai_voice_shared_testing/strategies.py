"""Hypothesis strategies that only produce valid, realistic values, and their wire forms.

Every strategy takes keyword-only parameters and shrinks toward the simple case: a WhatsApp text
message without media, short values, the first Twilio number. Importing this module imports
Hypothesis and registers the ``aivs-dev`` and ``aivs-ci`` settings profiles (never loaded for
you: call ``settings.load_profile("aivs-ci")`` to opt in).
"""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Literal, NamedTuple
from urllib.parse import urlencode

from hypothesis import strategies as st

from ai_voice_shared.models import (
    CustomerMetadata,
    MessageStatus,
    S3ObjectMetadata,
    TwilioMedia,
    TwilioStatusCallback,
    TwilioWebhookPayload,
)
from ai_voice_shared_testing import _realism
from ai_voice_shared_testing.hypothesis_profiles import register_profiles
from ai_voice_shared_testing.webhooks import SignedTwilioRequest, signed_twilio_request

__all__ = [
    "S3EventBody",
    "SignedTwilioRequest",
    "customer_metadata",
    "e164_numbers",
    "s3_event_bodies",
    "s3_keys",
    "s3_object_metadata",
    "signed_twilio_request",
    "signed_twilio_requests",
    "twilio_form_bodies",
    "twilio_media",
    "twilio_sids",
    "twilio_status_callbacks",
    "twilio_webhook_payloads",
    "whatsapp_addresses",
]

register_profiles()

_HEX = "0123456789abcdef"
Channel = Literal["whatsapp", "sms"]


def twilio_sids(prefix: str) -> st.SearchStrategy[str]:
    """SIDs: the two-letter ``prefix`` (``"AC"``, ``"SM"``, ``"MM"``, ``"ME"``, ...) and 32
    lower-case hex digits. Shrinks toward all zeros."""
    if len(prefix) != 2 or not prefix.isalpha() or not prefix.isupper():
        raise ValueError(
            f"twilio_sids: prefix must be two capital letters such as 'AC', not {prefix!r}"
        )
    return st.text(_HEX, min_size=32, max_size=32).map(lambda digits: prefix + digits)


def e164_numbers() -> st.SearchStrategy[str]:
    """E.164 numbers: ``+``, a country code and 7 to 10 more digits. Shrinks toward
    ``+10000000``."""
    country = st.sampled_from(["1", "44", "55", "91", "49", "33", "86", "234"])
    return st.builds(
        lambda code, rest: f"+{code}{rest}",
        country,
        st.text(string.digits, min_size=7, max_size=10),
    )


def whatsapp_addresses() -> st.SearchStrategy[str]:
    """WhatsApp addresses: ``whatsapp:`` and an E.164 number."""
    return e164_numbers().map(lambda number: f"whatsapp:{number}")


def twilio_media(
    *, account_sid: str | None = None, message_sid: str | None = None, audio: bool | None = None
) -> st.SearchStrategy[TwilioMedia]:
    """One media item with Twilio's canonical URL; ``audio=True`` only audio, ``False`` none.
    Shrinks toward ``audio/ogg``."""
    types = (
        _realism.AUDIO_TYPES
        if audio
        else [t for t in _realism.MEDIA_TYPES if not t.startswith("audio/")]
        if audio is False
        else _realism.MEDIA_TYPES
    )
    return st.builds(
        lambda account, message, media, content_type: TwilioMedia(
            url=_realism.media_url(account, message, media), content_type=content_type
        ),
        st.just(account_sid) if account_sid else twilio_sids("AC"),
        st.just(message_sid) if message_sid else twilio_sids("MM"),
        twilio_sids("ME"),
        st.sampled_from(types),
    )


@st.composite
def twilio_webhook_payloads(
    draw: st.DrawFn,
    *,
    channel: Channel | None = None,
    media: int | None = None,
    message_type: str | None = None,
) -> TwilioWebhookPayload:
    """Valid inbound payloads: ``channel`` ``"whatsapp"`` or ``"sms"``, exactly ``media``
    items (0 to 10; WhatsApp carries at most 1 unless asked), ``message_type`` forced if given.

    Consistent like real ones: ``MM`` SIDs when media is attached, ``SmsSid`` and
    ``SmsMessageSid`` equal to ``MessageSid``, ``WaId`` matching ``From``, media URLs under the
    account and message. Shrinks toward a WhatsApp text without media.
    """
    chosen_channel = channel or draw(st.sampled_from(["whatsapp", "sms"]))
    if media is None:
        most = 1 if chosen_channel == "whatsapp" else 10
        count = draw(st.integers(0, most))
    else:
        if not 0 <= media <= 10:
            raise ValueError(f"twilio_webhook_payloads: media must be 0 to 10, not {media}")
        count = media
    account = draw(twilio_sids("AC"))
    message = draw(twilio_sids("MM" if count else "SM"))
    sender = draw(e164_numbers())
    to = draw(st.sampled_from(_realism.TWILIO_NUMBERS))
    items = [draw(twilio_media(account_sid=account, message_sid=message)) for _ in range(count)]
    whatsapp = chosen_channel == "whatsapp"
    if message_type is None and whatsapp:
        family = items[0].media_type.split("/")[0] if items else None
        message_type = _realism.MESSAGE_TYPES.get(family, "document") if family else "text"
    data = {
        "message_sid": message,
        "sms_sid": message,
        "sms_message_sid": message,
        "account_sid": account,
        "from_": f"whatsapp:{sender}" if whatsapp else sender,
        "to": f"whatsapp:{to}" if whatsapp else to,
        "body": "" if items else draw(st.text(min_size=0, max_size=40)),
        "num_media": count,
        "num_segments": 1,
        "media": tuple(items),
        "sms_status": "received",
        "api_version": _realism.API_VERSION,
    }
    if whatsapp:
        data.update(
            profile_name=draw(st.sampled_from(_realism.PROFILE_NAMES)),
            wa_id=sender[1:],
            message_type=message_type,
            referral_num_media=0,
        )
    elif message_type is not None:
        data["message_type"] = message_type
    return TwilioWebhookPayload(**data)


@st.composite
def twilio_form_bodies(
    draw: st.DrawFn,
    *,
    channel: Channel | None = None,
    media: int | None = None,
    message_type: str | None = None,
) -> bytes:
    """The wire bytes of valid payloads (same parameters as :func:`twilio_webhook_payloads`):
    form-encoded, key order shuffled, blank values kept."""
    payload = draw(twilio_webhook_payloads(channel=channel, media=media, message_type=message_type))
    pairs = draw(st.permutations(payload.to_form()))
    return urlencode(pairs).encode("ascii")


@st.composite
def twilio_status_callbacks(
    draw: st.DrawFn, *, status: MessageStatus | None = None
) -> TwilioStatusCallback:
    """Status callbacks of outbound WhatsApp messages; ``failed`` and ``undelivered`` carry an
    ``ErrorCode`` and ``ErrorMessage``. Shrinks toward ``queued``."""
    chosen = status or draw(st.sampled_from(list(MessageStatus)))
    message = draw(twilio_sids("SM"))
    recipient = draw(e164_numbers())
    data: dict[str, object] = {
        "message_sid": message,
        "sms_sid": message,
        "account_sid": draw(twilio_sids("AC")),
        "from_": f"whatsapp:{_realism.TWILIO_NUMBERS[0]}",
        "to": f"whatsapp:{recipient}",
        "api_version": _realism.API_VERSION,
        "message_status": chosen,
        "sms_status": chosen.value,
        "channel_install_sid": draw(twilio_sids("XE")),
        "channel_prefix": "whatsapp",
        "channel_to_address": recipient,
        "structured_message": False,
    }
    if chosen in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
        data["error_code"] = draw(st.sampled_from([63016, 63003, 30008, 30003]))
        data["error_message"] = "Message delivery failed"
    if chosen in (MessageStatus.DELIVERED, MessageStatus.READ):
        data["event_type"] = chosen.value.upper()
    return TwilioStatusCallback(**data)


def customer_metadata() -> st.SearchStrategy[CustomerMetadata]:
    """Customer metadata with non-blank ids and names. Shrinks toward short ids."""
    ident = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
    name = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")
    return st.builds(
        CustomerMetadata,
        customer_id=ident.map(lambda s: f"cus_{s}"),
        company_id=ident.map(lambda s: f"co_{s}"),
        company_name=name,
    )


def s3_keys() -> st.SearchStrategy[str]:
    """Object keys S3Service accepts: ``/``-separated segments of printable characters, never
    ``.`` or ``..`` (nor between backslashes), no leading ``/``, at most 1024 UTF-8 bytes.
    Shrinks toward ``a``."""
    segment = st.text(
        st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="/"),
        min_size=1,
        max_size=30,
    ).filter(lambda s: not any(part in (".", "..") for part in s.split("\\")))
    return (
        st.lists(segment, min_size=1, max_size=6)
        .map("/".join)
        .filter(lambda key: len(key.encode("utf-8")) <= 1024)
    )


class S3EventBody(NamedTuple):
    """An S3 event message body and what it holds: the keys (decoded), ETags and shape."""

    body: str
    keys: tuple[str, ...]
    etags: tuple[str, ...]
    shape: _realism.S3EventShape


@st.composite
def _s3_event_bodies(
    draw: st.DrawFn, shapes: tuple[_realism.S3EventShape, ...], max_records: int
) -> S3EventBody:
    shape = draw(st.sampled_from(shapes))
    keys = draw(st.lists(s3_keys(), min_size=1, max_size=max_records))
    etags = [draw(st.text(_HEX, min_size=32, max_size=32)) for _ in keys]
    stamp = st.datetimes(
        min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    )
    records = [
        _realism.s3_event_record(
            bucket=draw(st.from_regex(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", fullmatch=True)),
            key=key,
            etag=etag,
            size=draw(st.integers(0, 5 * 1024**4)),
            event_name=draw(st.sampled_from(_realism.OBJECT_CREATED_EVENTS)),
            event_time=draw(stamp),
            shape=shape,
            version_id=draw(st.none() | st.text(string.ascii_letters + "._", min_size=1)),
        )
        for key, etag in zip(keys, etags, strict=True)
    ]
    return S3EventBody(
        _realism.s3_event_body(records, shape=shape), tuple(keys), tuple(etags), shape
    )


def s3_event_bodies(
    *,
    shapes: tuple[_realism.S3EventShape, ...] = ("aws", "moto", "sns"),
    max_records: int = 3,
) -> st.SearchStrategy[S3EventBody]:
    """SQS message bodies of S3 ``ObjectCreated`` events, as an :class:`S3EventBody`: 1 to
    ``max_records`` records of any key :func:`s3_keys` gives, URL-encoded as AWS encodes it
    (``quote_plus``, ``/`` kept), as moto does (``/`` encoded too, and no ``sequencer``,
    ``versionId``, ``userIdentity``, ...), or AWS's inside an SNS notification. Shrinks
    toward one record of key ``a`` in AWS's shape."""
    return _s3_event_bodies(shapes, max_records)


def s3_object_metadata() -> st.SearchStrategy[S3ObjectMetadata]:
    """Object metadata as a listing reports it: key, size, an aware UTC time, an MD5-like
    ETag (``-N`` for multipart)."""
    return st.builds(
        S3ObjectMetadata,
        key=s3_keys(),
        size=st.integers(0, 5 * 1024**4),
        last_modified=st.datetimes(
            min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
        ),
        etag=st.builds(
            lambda digest, parts: digest + (f"-{parts}" if parts else ""),
            st.text(_HEX, min_size=32, max_size=32),
            st.integers(0, 10_000),
        ),
        storage_class=st.sampled_from(
            ["STANDARD", "STANDARD_IA", "GLACIER_IR", "INTELLIGENT_TIERING"]
        ),
    )


@st.composite
def signed_twilio_requests(
    draw: st.DrawFn,
    *,
    url: str | None = None,
    auth_token: str | None = None,
    payloads: st.SearchStrategy[TwilioWebhookPayload | TwilioStatusCallback] | None = None,
) -> SignedTwilioRequest:
    """Signed requests (``.payload`` is what they carry) for payloads drawn from ``payloads``
    (``twilio_webhook_payloads()`` by default; ``twilio_status_callbacks()`` works too);
    ``url`` and ``auth_token`` are drawn unless given."""
    payload = draw(payloads if payloads is not None else twilio_webhook_payloads())
    if not isinstance(payload, TwilioWebhookPayload | TwilioStatusCallback):
        raise TypeError(
            "signed_twilio_requests(payloads=...) must draw TwilioWebhookPayload or "
            f"TwilioStatusCallback values, and drew a {type(payload).__name__}"
        )
    chosen_url = url or draw(
        st.sampled_from(
            [
                "https://voice.example.com/twilio/webhook",
                "https://voice.example.com:8443/hooks/twilio?tenant=a",
                "http://127.0.0.1:8000/webhook/",
            ]
        )
    )
    token = auth_token or draw(st.text(_HEX, min_size=32, max_size=32))
    return signed_twilio_request(payload, url=chosen_url, auth_token=token)
