"""polyfactory factories that build valid, realistic models on the first try.

Out of the box polyfactory fills each field on its own: random strings where a SID needs ``MM``
and 32 hex digits, a ``NumMedia`` that disagrees with the media list. These factories build the
Twilio payloads as a whole (consistent SIDs, numbers, media URLs and counts) and then apply your
overrides, by field name::

    TwilioWebhookPayloadFactory.voice_note()                       # audio/ogg, Body="", audio
    TwilioWebhookPayloadFactory.text(body="hola", from_="whatsapp:+15555550100")
    TwilioStatusCallbackFactory.build(message_status=MessageStatus.READ)

All factories share one ``random.Random``: :func:`seed_factories` makes every build replay.
"""

from __future__ import annotations

import json
import random
import string
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from polyfactory import Use
from polyfactory.factories.pydantic_factory import ModelFactory
from pydantic import BaseModel

from ai_voice_shared.models import (
    CustomerMetadata,
    MessageStatus,
    S3EventNotification,
    S3ListResponse,
    S3ObjectMetadata,
    TwilioMedia,
    TwilioStatusCallback,
    TwilioWebhookPayload,
)
from ai_voice_shared_testing import _realism

__all__ = [
    "CustomerMetadataFactory",
    "S3EventNotificationFactory",
    "S3ListResponseFactory",
    "S3ObjectMetadataFactory",
    "TwilioMediaFactory",
    "TwilioStatusCallbackFactory",
    "TwilioWebhookPayloadFactory",
    "seed_factories",
]

#: The one generator every factory draws from (polyfactory's ``__random__``).
RANDOM = random.Random()
M = TypeVar("M", bound=BaseModel)


def seed_factories(seed: int) -> None:
    """Seed every factory at once, so that the same seed builds the same values."""
    RANDOM.seed(seed)
    ModelFactory.seed_random(seed)
    for factory in _FACTORIES:
        factory.__random__ = RANDOM
        factory.__faker__.seed_instance(seed)


def _sid(prefix: str) -> str:
    return prefix + "".join(RANDOM.choices("0123456789abcdef", k=32))


def _e164() -> str:
    return (
        "+"
        + RANDOM.choice(["1", "44", "55", "91", "49"])
        + "".join(RANDOM.choices(string.digits, k=RANDOM.randint(7, 10)))
    )


class _WholeModelFactory(ModelFactory[M], Generic[M]):
    """Builds the model from a coherent dict (``_values``) and the caller's overrides."""

    __is_base_factory__ = True
    __random__ = RANDOM

    @classmethod
    def _values(cls, overrides: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def build(cls, factory_use_construct: bool = False, **kwargs: Any) -> M:
        """A valid model; ``kwargs`` override fields by name (``from_``, not ``From``)."""
        unknown = set(kwargs) - set(cls.__model__.model_fields)
        if unknown:
            raise TypeError(
                f"{cls.__name__}.build() got unknown field(s) {sorted(unknown)} for "
                f"{cls.__model__.__name__}: pass fields by their Python names ('from_', "
                "'num_media'), not Twilio's wire names ('From', 'NumMedia')."
            )
        values = {**cls._values(kwargs), **kwargs}
        return cls.__model__.model_validate(values)


class TwilioMediaFactory(_WholeModelFactory[TwilioMedia]):
    """One media item with Twilio's canonical URL (``audio/ogg`` most often)."""

    __model__ = TwilioMedia

    @classmethod
    def _values(cls, overrides: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": _realism.media_url(_sid("AC"), _sid("MM"), _sid("ME")),
            "content_type": RANDOM.choice(_realism.MEDIA_TYPES),
        }


class TwilioWebhookPayloadFactory(_WholeModelFactory[TwilioWebhookPayload]):
    """Inbound WhatsApp (default) or SMS messages, consistent like real ones.

    Pass ``media=[...]`` or ``num_media=N`` (canonical items are generated to match), and
    ``from_="+1..."`` for SMS. Builders: :meth:`voice_note`, :meth:`text`, :meth:`image`,
    :meth:`location`, :meth:`button_reply`.
    """

    __model__ = TwilioWebhookPayload

    @classmethod
    def _values(cls, overrides: dict[str, Any]) -> dict[str, Any]:
        account = overrides.get("account_sid") or _sid("AC")
        media_given = overrides.get("media")
        count = len(media_given) if media_given is not None else int(overrides.get("num_media", 0))
        message = overrides.get("message_sid") or _sid("MM" if count else "SM")
        media = media_given
        if media is None:
            media = [
                TwilioMedia(
                    url=_realism.media_url(account, message, _sid("ME")),
                    content_type=RANDOM.choice(_realism.MEDIA_TYPES),
                )
                for _ in range(count)
            ]
        sender = overrides.get("from_") or f"whatsapp:{_e164()}"
        whatsapp = sender.startswith("whatsapp:")
        business = RANDOM.choice(_realism.TWILIO_NUMBERS)
        values: dict[str, Any] = {
            "message_sid": message,
            "sms_sid": message,
            "sms_message_sid": message,
            "account_sid": account,
            "from_": sender,
            "to": f"whatsapp:{business}" if whatsapp else business,
            "body": "" if media else RANDOM.choice(["Olá", "Hi!", "Can you call me back?", "ok"]),
            "num_media": len(media),
            "num_segments": 1,
            "media": tuple(media),
            "sms_status": "received",
            "api_version": _realism.API_VERSION,
        }
        if whatsapp:
            family = media[0].media_type.split("/")[0] if media else None
            values.update(
                profile_name=RANDOM.choice(_realism.PROFILE_NAMES),
                wa_id=sender.removeprefix("whatsapp:+"),
                message_type=_realism.MESSAGE_TYPES.get(family, "document") if family else "text",
                referral_num_media=0,
            )
        return values

    @classmethod
    def voice_note(cls, **overrides: Any) -> TwilioWebhookPayload:
        """A WhatsApp voice note: one ``audio/ogg`` item, empty body, ``MessageType=audio``."""
        return cls._with_one_media("audio/ogg", "audio", overrides)

    @classmethod
    def text(cls, body: str = "Hi!", **overrides: Any) -> TwilioWebhookPayload:
        """A text message without media (WhatsApp unless ``from_`` is a bare number)."""
        return cls.build(**{"body": body, "media": (), **overrides})

    @classmethod
    def image(cls, **overrides: Any) -> TwilioWebhookPayload:
        """A WhatsApp image: one ``image/jpeg`` item, ``MessageType=image``."""
        return cls._with_one_media("image/jpeg", "image", overrides)

    @classmethod
    def _with_one_media(
        cls, content_type: str, message_type: str, overrides: dict[str, Any]
    ) -> TwilioWebhookPayload:
        account = overrides.get("account_sid") or _sid("AC")
        message = overrides.get("message_sid") or _sid("MM")
        url = _realism.media_url(account, message, _sid("ME"))
        values = {
            "account_sid": account,
            "message_sid": message,
            "media": (TwilioMedia(url=url, content_type=content_type),),
            "body": "",
            "message_type": message_type,
        }
        return cls.build(**{**values, **overrides})

    @classmethod
    def location(cls, **overrides: Any) -> TwilioWebhookPayload:
        """A shared location: ``Latitude``/``Longitude`` (and an address), no media."""
        values = {
            "media": (),
            "body": "",
            "message_type": "location",
            "latitude": f"{RANDOM.uniform(-80, 80):.6f}",
            "longitude": f"{RANDOM.uniform(-179, 179):.6f}",
            "address": "Dam 1, 1012 JS Amsterdam",
            "label": "Office",
        }
        return cls.build(**{**values, **overrides})

    @classmethod
    def button_reply(cls, **overrides: Any) -> TwilioWebhookPayload:
        """A tap on a quick-reply button: ``ButtonText``, ``ButtonPayload``, the replied SID."""
        values = {
            "media": (),
            "message_type": "button",
            "body": "Yes",
            "button_text": "Yes",
            "button_payload": "confirm_appointment",
            "original_replied_message_sid": _sid("SM"),
            "original_replied_message_sender": f"whatsapp:{_realism.TWILIO_NUMBERS[0]}",
        }
        return cls.build(**{**values, **overrides})


class TwilioStatusCallbackFactory(_WholeModelFactory[TwilioStatusCallback]):
    """Status callbacks of outbound WhatsApp messages; one builder per status
    (``sent()``, ``delivered()``, ``read()``, ``failed()``, ...)."""

    __model__ = TwilioStatusCallback

    @classmethod
    def _values(cls, overrides: dict[str, Any]) -> dict[str, Any]:
        status = MessageStatus(
            overrides.get("message_status") or RANDOM.choice(list(MessageStatus))
        )
        message = overrides.get("message_sid") or _sid("SM")
        recipient = _e164()
        values: dict[str, Any] = {
            "message_sid": message,
            "sms_sid": message,
            "account_sid": _sid("AC"),
            "from_": f"whatsapp:{_realism.TWILIO_NUMBERS[0]}",
            "to": f"whatsapp:{recipient}",
            "api_version": _realism.API_VERSION,
            "message_status": status,
            "sms_status": status.value,
            "channel_install_sid": _sid("XE"),
            "channel_prefix": "whatsapp",
            "channel_to_address": recipient,
            "structured_message": False,
        }
        if status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
            values.update(error_code=63016, error_message="Outside the allowed window")
        if status in (MessageStatus.DELIVERED, MessageStatus.READ):
            values["event_type"] = status.value.upper()
        return values

    @classmethod
    def with_status(cls, status: MessageStatus | str, **overrides: Any) -> TwilioStatusCallback:
        """A callback reporting ``status``."""
        return cls.build(**{"message_status": MessageStatus(status), **overrides})

    @classmethod
    def sent(cls, **overrides: Any) -> TwilioStatusCallback:
        """``MessageStatus=sent``."""
        return cls.with_status(MessageStatus.SENT, **overrides)

    @classmethod
    def delivered(cls, **overrides: Any) -> TwilioStatusCallback:
        """``MessageStatus=delivered``, ``EventType=DELIVERED``."""
        return cls.with_status(MessageStatus.DELIVERED, **overrides)

    @classmethod
    def read(cls, **overrides: Any) -> TwilioStatusCallback:
        """``MessageStatus=read``, ``EventType=READ``."""
        return cls.with_status(MessageStatus.READ, **overrides)

    @classmethod
    def failed(cls, **overrides: Any) -> TwilioStatusCallback:
        """``MessageStatus=failed`` with an ``ErrorCode`` and ``ErrorMessage``."""
        return cls.with_status(MessageStatus.FAILED, **overrides)

    @classmethod
    def undelivered(cls, **overrides: Any) -> TwilioStatusCallback:
        """``MessageStatus=undelivered`` with an ``ErrorCode`` and ``ErrorMessage``."""
        return cls.with_status(MessageStatus.UNDELIVERED, **overrides)


class CustomerMetadataFactory(ModelFactory[CustomerMetadata]):
    """Customers with ``cus_``/``co_`` ids and a real-looking company name."""

    __model__ = CustomerMetadata
    __random__ = RANDOM

    customer_id = Use(
        lambda: "cus_" + "".join(RANDOM.choices(string.ascii_lowercase + string.digits, k=12))
    )
    company_id = Use(
        lambda: "co_" + "".join(RANDOM.choices(string.ascii_lowercase + string.digits, k=8))
    )
    company_name = Use(
        lambda: RANDOM.choice(
            ["Acme Ltd", "Globex Corporation", "Initech", "Hooli", "Umbrella plc"]
        )
    )


class S3ObjectMetadataFactory(ModelFactory[S3ObjectMetadata]):
    """Stored voice notes: ``voice/AC.../MM....ogg`` keys, sizes, ETags and times."""

    __model__ = S3ObjectMetadata
    __random__ = RANDOM

    key = Use(lambda: f"voice/{_sid('AC')}/{_sid('MM')}.ogg")
    size = Use(lambda: RANDOM.randint(1_000, 16 * 1024 * 1024))
    last_modified = Use(
        lambda: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=RANDOM.randint(0, 30_000_000))
    )
    etag = Use(lambda: "".join(RANDOM.choices("0123456789abcdef", k=32)))
    storage_class = Use(lambda: "STANDARD")
    content_type = Use(lambda: RANDOM.choice([None, "audio/ogg"]))
    metadata = Use(lambda: None)


class S3ListResponseFactory(ModelFactory[S3ListResponse]):
    """One page of a listing: realistic objects, no truncation unless asked."""

    __model__ = S3ListResponse
    __random__ = RANDOM

    bucket = Use(lambda: "voice-notes")
    prefix = Use(lambda: "voice/")
    objects = Use(lambda: tuple(S3ObjectMetadataFactory.batch(RANDOM.randint(0, 5))))
    common_prefixes: Use[[], tuple[str, ...]] = Use(tuple)
    is_truncated = Use(lambda: False)
    next_continuation_token = Use(lambda: None)

    @classmethod
    def build(cls, factory_use_construct: bool = False, **kwargs: Any) -> S3ListResponse:
        """A page; ``key_count`` follows ``objects`` and ``common_prefixes`` unless given."""
        page = super().build(factory_use_construct, **kwargs)
        if "key_count" in kwargs:
            return page
        return page.model_copy(update={"key_count": len(page.objects) + len(page.common_prefixes)})


class S3EventNotificationFactory(ModelFactory[S3EventNotification]):
    """S3 event messages of stored voice notes, as an SQS consumer receives them: in AWS's
    shape (every field), moto's (no ``sequencer``, ``versionId``, ``userIdentity``, ...), or
    AWS's inside an SNS notification; keys URL-encoded as each encodes them.

        S3EventNotificationFactory.body("AC1/MM1/0-ME1.ogg", shape="moto")   # the JSON body
        S3EventNotificationFactory.build(keys=["AC1/MM1/0-ME1.ogg"])          # parsed
    """

    __model__ = S3EventNotification
    __random__ = RANDOM

    @classmethod
    def body(
        cls,
        *keys: str,
        shape: _realism.S3EventShape = "aws",
        bucket: str = "voice-notes",
        event_name: str | None = None,
    ) -> str:
        """The SQS message body of one record per key (one voice note's key if none)."""
        chosen = keys or (f"{_sid('AC')}/{_sid('MM')}/0-{_sid('ME')}.ogg",)
        records = [
            _realism.s3_event_record(
                bucket=bucket,
                key=key,
                etag="".join(RANDOM.choices("0123456789abcdef", k=32)),
                size=RANDOM.randint(1_000, 16 * 1024 * 1024),
                event_name=event_name or RANDOM.choice(_realism.OBJECT_CREATED_EVENTS),
                event_time=datetime(2026, 1, 1, tzinfo=UTC)
                + timedelta(milliseconds=RANDOM.randint(0, 30_000_000_000)),
                shape=shape,
                version_id=RANDOM.choice([None, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"]),
            )
            for key in chosen
        ]
        return _realism.s3_event_body(records, shape=shape)

    @classmethod
    def test_event_body(cls, *, bucket: str = "voice-notes") -> str:
        """The ``s3:TestEvent`` S3 sends when a notification is configured."""
        return json.dumps(
            {
                "Service": "Amazon S3",
                "Event": "s3:TestEvent",
                "Time": "2026-12-04T10:00:00.000Z",
                "Bucket": bucket,
                "RequestId": "5582815E1AEA5ADF",
                "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
            }
        )

    @classmethod
    def build(cls, factory_use_construct: bool = False, **kwargs: Any) -> S3EventNotification:
        """A parsed notification: ``keys=[...]``, ``shape=``, ``bucket=``, ``event_name=``."""
        keys = kwargs.pop("keys", ())
        return S3EventNotification.parse(cls.body(*keys, **kwargs))


_FACTORIES: list[type[ModelFactory[Any]]] = [
    TwilioMediaFactory,
    TwilioWebhookPayloadFactory,
    TwilioStatusCallbackFactory,
    CustomerMetadataFactory,
    S3ObjectMetadataFactory,
    S3ListResponseFactory,
    S3EventNotificationFactory,
]
