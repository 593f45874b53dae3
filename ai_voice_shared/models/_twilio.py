"""Twilio webhooks: the inbound message (WhatsApp and SMS), its media, and status callbacks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ai_voice_shared.models._form_model import TwilioFormModel, describe_pattern
from ai_voice_shared.models._wire import WireInt, blank_to_none, parse_json_text

__all__ = ["MessageStatus", "TwilioMedia", "TwilioStatusCallback", "TwilioWebhookPayload"]

_HEX32 = "[0-9a-fA-F]{32}"


def _sid(prefixes: str, label: str) -> Any:
    pattern = describe_pattern(
        rf"^(?:{prefixes}){_HEX32}$",
        f"{label}: {' or '.join(repr(p) for p in prefixes.split('|'))} followed by 32 hex digits",
    )
    return Field(pattern=pattern)


AccountSid = Annotated[str, _sid("AC", "an account SID")]
MessageSid = Annotated[str, _sid("SM|MM", "a message SID")]
MessagingServiceSid = Annotated[str, _sid("MG", "a messaging service SID")]
ChannelInstallSid = Annotated[str, _sid("XE", "a channel install SID")]

_CANONICAL_MEDIA_URL = re.compile(
    rf"^https://api\.twilio\.com/2010-04-01/Accounts/AC{_HEX32}/Messages/(?:SM|MM){_HEX32}"
    rf"/Media/(ME{_HEX32})$"
)
_MESSAGE_SID = re.compile(rf"(?:SM|MM){_HEX32}")  # use with fullmatch
_MEDIA_KEY = re.compile(r"Media(Url|ContentType)(0|[1-9][0-9]{0,5})")  # use with fullmatch


class MessageStatus(StrEnum):
    """The lifecycle status Twilio reports in ``MessageStatus`` (and ``SmsStatus``)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    RECEIVING = "receiving"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    READ = "read"
    PARTIALLY_DELIVERED = "partially_delivered"
    CANCELED = "canceled"


class TwilioMedia(BaseModel):
    """One media item of an inbound message (``MediaUrl{N}`` and ``MediaContentType{N}``)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    url: Annotated[str, Field(pattern=describe_pattern(r"^https?://\S+$", "an http(s) URL"))]
    content_type: Annotated[
        str,
        Field(
            # No control character anywhere: a CR/LF would become a header of the S3 write.
            pattern=describe_pattern(
                r"^[^\s/]+/[^\x00-\x20\x7f][^\x00-\x08\x0a-\x1f\x7f]*$",
                "a media type such as 'audio/ogg'",
            )
        ),
    ]

    @property
    def media_sid(self) -> str | None:
        """The ``ME...`` SID when ``url`` is Twilio's canonical media URL, else ``None``."""
        match = _CANONICAL_MEDIA_URL.match(self.url)
        return match.group(1) if match else None

    @property
    def media_type(self) -> str:
        """The content type before any ``;`` parameters, lower-cased (``audio/ogg``)."""
        return self.content_type.partition(";")[0].strip().lower()

    @property
    def is_audio(self) -> bool:
        """Whether this is audio (a WhatsApp voice note is ``audio/ogg; codecs=opus``)."""
        return self.media_type.startswith("audio/")


class _TwilioMessageBase(TwilioFormModel):
    """The parameters an inbound message and a status callback share."""

    message_sid: MessageSid = Field(alias="MessageSid")
    sms_sid: MessageSid | None = Field(None, alias="SmsSid")
    account_sid: AccountSid = Field(alias="AccountSid")
    messaging_service_sid: MessagingServiceSid | None = Field(None, alias="MessagingServiceSid")
    from_: str = Field(alias="From", description="Sender address, e.g. 'whatsapp:+15555550100'.")
    to: str | None = Field(
        None, alias="To", description="Recipient address, e.g. 'whatsapp:+14155238886'."
    )
    sms_status: str | None = Field(None, alias="SmsStatus")
    api_version: str | None = Field(
        None, alias="ApiVersion", description="'2010-04-01' when sent; Twilio's docs omit it."
    )

    @property
    def channel(self) -> str:
        """``"whatsapp"``, ``"sms"`` (a bare number), or whatever prefix Twilio used."""
        prefix, sep, _ = self.from_.partition(":")
        return prefix if sep else "sms"

    @property
    def sender_address(self) -> str:
        """The ``From`` address without its channel prefix (``+15555550100``)."""
        prefix, sep, rest = self.from_.partition(":")
        return rest if sep else prefix

    @property
    def is_whatsapp(self) -> bool:
        """Whether the message came over WhatsApp."""
        return self.channel == "whatsapp"


class TwilioWebhookPayload(_TwilioMessageBase):
    """An inbound message webhook (WhatsApp or SMS), as Twilio POSTs it to the handler.

    Parse with :meth:`from_form`; emit the wire pairs with :meth:`to_form`. Media items are
    collected from ``MediaUrl{N}`` / ``MediaContentType{N}`` into :attr:`media`, however many.
    """

    _derived_fields: ClassVar[frozenset[str]] = frozenset({"media"})
    _json_fields: ClassVar[frozenset[str]] = frozenset(
        {"channel_metadata", "interactive_data", "flow_data"}
    )

    sms_sid: MessageSid = Field(alias="SmsSid")
    sms_message_sid: MessageSid = Field(alias="SmsMessageSid")
    to: str = Field(alias="To", description="Recipient address, e.g. 'whatsapp:+14155238886'.")
    body: str = Field(alias="Body", description="Message text; '' for media-only messages.")
    num_media: WireInt = Field(alias="NumMedia")
    num_segments: WireInt = Field(alias="NumSegments")
    media: tuple[TwilioMedia, ...] = Field(
        (), description="MediaUrl{N}/MediaContentType{N}, N = 0..NumMedia-1, in order."
    )
    profile_name: str | None = Field(None, alias="ProfileName")
    wa_id: str | None = Field(None, alias="WaId", description="WhatsApp sender digits, no '+'.")
    external_user_id: str | None = Field(None, alias="ExternalUserId")
    message_type: str | None = Field(None, alias="MessageType")
    latitude: Decimal | None = Field(None, alias="Latitude", ge=-90, le=90, allow_inf_nan=False)
    longitude: Decimal | None = Field(None, alias="Longitude", ge=-180, le=180, allow_inf_nan=False)
    address: str | None = Field(None, alias="Address")
    label: str | None = Field(None, alias="Label")
    button_text: str | None = Field(None, alias="ButtonText")
    button_payload: str | None = Field(None, alias="ButtonPayload")
    button_type: str | None = Field(None, alias="ButtonType")
    original_replied_message_sid: str | None = Field(
        None,
        alias="OriginalRepliedMessageSid",
        description="Kept as sent, unchecked: a malformed value never rejects the webhook "
        "(see replied_message_sid).",
    )
    original_replied_message_sender: str | None = Field(None, alias="OriginalRepliedMessageSender")
    forwarded: bool | None = Field(None, alias="Forwarded")
    frequently_forwarded: bool | None = Field(None, alias="FrequentlyForwarded")
    channel_metadata: JsonValue = Field(None, alias="ChannelMetadata")
    interactive_data: JsonValue = Field(None, alias="InteractiveData")
    flow_data: JsonValue = Field(None, alias="FlowData")
    referral_num_media: WireInt | None = Field(None, alias="ReferralNumMedia")
    referral_body: str | None = Field(None, alias="ReferralBody")
    referral_headline: str | None = Field(None, alias="ReferralHeadline")
    referral_source_id: str | None = Field(None, alias="ReferralSourceId")
    referral_source_type: str | None = Field(None, alias="ReferralSourceType")
    referral_source_url: str | None = Field(None, alias="ReferralSourceUrl")
    referral_media_id: str | None = Field(None, alias="ReferralMediaId")
    referral_media_content_type: str | None = Field(None, alias="ReferralMediaContentType")
    referral_media_url: str | None = Field(None, alias="ReferralMediaUrl")
    referral_ctwa_clid: str | None = Field(None, alias="ReferralCtwaClid")
    from_city: str | None = Field(None, alias="FromCity")
    from_state: str | None = Field(None, alias="FromState")
    from_zip: str | None = Field(None, alias="FromZip")
    from_country: str | None = Field(None, alias="FromCountry")
    to_city: str | None = Field(None, alias="ToCity")
    to_state: str | None = Field(None, alias="ToState")
    to_zip: str | None = Field(None, alias="ToZip")
    to_country: str | None = Field(None, alias="ToCountry")

    _blank_means_none = field_validator(
        "latitude",
        "longitude",
        "forwarded",
        "frequently_forwarded",
        "referral_num_media",
        mode="before",
    )(blank_to_none)
    _json_documents = field_validator(
        "channel_metadata", "interactive_data", "flow_data", mode="before"
    )(parse_json_text)

    @classmethod
    def _is_derived_wire_name(cls, name: str) -> bool:
        return _MEDIA_KEY.fullmatch(name) is not None

    @classmethod
    def _prepare_data(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Gather ``MediaUrl{N}``/``MediaContentType{N}`` into ``media``, checking the pairing."""
        found: dict[int, dict[str, Any]] = {}
        for key in data:
            if key.startswith("Media") and (match := _MEDIA_KEY.fullmatch(key)):
                part = "url" if match.group(1) == "Url" else "content_type"
                found.setdefault(int(match.group(2)), {})[part] = key
        if not found:
            return data
        if "media" in data:
            raise _media_error(
                "give media either as the 'media' field or as MediaUrl{N}/MediaContentType{N} "
                "parameters, not both",
                ["media", *sorted(k for item in found.values() for k in item.values())],
            )
        data = dict(data)
        media: list[dict[str, Any]] = []
        for expected, index in enumerate(sorted(found)):
            keys = found[index]
            url_key, type_key = f"MediaUrl{index}", f"MediaContentType{index}"
            if index != expected:
                raise _media_error(
                    f"media parameters must be numbered from 0 without gaps; {url_key} comes "
                    f"after index {expected - 1}, so MediaUrl{expected} is missing",
                    [f"MediaUrl{expected}", url_key],
                )
            if len(keys) != 2:
                missing = type_key if "url" in keys else url_key
                present = url_key if "url" in keys else type_key
                raise _media_error(f"{present} has no matching {missing}", [missing, present])
            item = {part: data.pop(key) for part, key in keys.items()}
            for part, key in keys.items():
                if not isinstance(item[part], str):
                    raise _media_error(f"{key} appears more than once; Twilio sends it once", [key])
            media.append(item)
        data["media"] = media
        return data

    @model_validator(mode="after")
    def _check_media_count(self) -> Self:
        if self.num_media != len(self.media):
            names = [f"MediaUrl{i}" for i in range(len(self.media))]
            listed = f" ({', '.join(names)})" if names else ""
            raise _media_error(
                f"NumMedia is {self.num_media} but the payload carries {len(self.media)} media "
                f"item(s){listed}; Twilio sends MediaUrl{{N}} and MediaContentType{{N}} for "
                "N = 0..NumMedia-1",
                ["NumMedia"],
            )
        return self

    @classmethod
    def _derived_location(cls, loc: tuple[int | str, ...]) -> str:
        if len(loc) >= 3 and isinstance(loc[1], int):
            return f"{'MediaUrl' if loc[2] == 'url' else 'MediaContentType'}{loc[1]}"
        return "media"

    def _derived_pairs(self, name: str, value: Any) -> Iterator[tuple[str, str]]:
        for index, item in enumerate(self.media):
            yield f"MediaContentType{index}", item.content_type
            yield f"MediaUrl{index}", item.url

    @property
    def replied_message_sid(self) -> str | None:
        """``OriginalRepliedMessageSid`` when it is a well-formed message SID (``SM``/``MM`` and
        32 hex digits), else ``None``. The field itself keeps whatever Twilio sent: one
        optional, informative parameter must not reject the whole webhook."""
        value = self.original_replied_message_sid
        return value if value is not None and _MESSAGE_SID.fullmatch(value) else None

    @property
    def has_media(self) -> bool:
        """Whether any media is attached."""
        return bool(self.media)

    @property
    def audio_media(self) -> tuple[TwilioMedia, ...]:
        """The attached audio items (voice notes), in order."""
        return tuple(item for item in self.media if item.is_audio)


class TwilioStatusCallback(_TwilioMessageBase):
    """A status callback for an outbound message (``queued`` ... ``delivered``, ``read``)."""

    _docs_section: ClassVar[str] = "status-callbacks"

    message_status: MessageStatus = Field(alias="MessageStatus")
    error_code: WireInt | None = Field(None, alias="ErrorCode")
    error_message: str | None = Field(None, alias="ErrorMessage")
    event_type: str | None = Field(None, alias="EventType", description="'DELIVERED' or 'READ'.")
    channel_install_sid: ChannelInstallSid | None = Field(None, alias="ChannelInstallSid")
    channel_prefix: str | None = Field(None, alias="ChannelPrefix")
    channel_to_address: str | None = Field(None, alias="ChannelToAddress")
    structured_message: bool | None = Field(None, alias="StructuredMessage")
    raw_dlr_done_date: str | None = Field(
        None, alias="RawDlrDoneDate", description="The carrier's receipt time, YYMMDDhhmm."
    )
    channel_status_message: str | None = Field(None, alias="ChannelStatusMessage")

    _blank_means_none = field_validator("error_code", "structured_message", mode="before")(
        blank_to_none
    )


def _media_error(message: str, fields: list[str]) -> PydanticCustomError:
    return PydanticCustomError("twilio_media", message, {"fields": ",".join(fields)})
