"""TwilioWebhookPayload: real bodies parse with every field in place and round-trip exactly."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

import pytest
from multidict import MultiDict as AiohttpMultiDict
from pydantic import ValidationError
from starlette.datastructures import FormData
from werkzeug.datastructures import MultiDict as WerkzeugMultiDict

from ai_voice_shared import InvalidTwilioPayloadError, TwilioMedia, TwilioWebhookPayload
from tests.shared.form_doubles import BrokenMapping, FormDataOf, QueryDictOf

ACCOUNT = "AC5324e60f2bf5cedebf13669e234190ea"
MESSAGE = "MM9ed4a7d771aaea5c512d10f53e29edd5"
MEDIA_URL = (
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/{MESSAGE}"
    "/Media/ME568d9d691ac2b139ffb3c051668f5223"
)


def wire_pairs(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode(), keep_blank_values=True)


def with_params(body: bytes, **changes: str | None) -> list[tuple[str, str]]:
    """The body's pairs with some parameters replaced (None removes one)."""
    pairs = [(k, v) for k, v in wire_pairs(body) if k not in changes]
    return pairs + [(k, v) for k, v in changes.items() if v is not None]


def test_the_whatsapp_text_sample_parses_with_every_field_in_place(
    twilio_sample: Callable[[str], bytes],
) -> None:
    payload = TwilioWebhookPayload.from_form(twilio_sample("01_whatsapp_text.form"))

    assert payload.model_dump(exclude_unset=True) == {
        "message_sid": "SMfe129a793db74ccbb6f273bc8b81d905",
        "sms_sid": "SMfe129a793db74ccbb6f273bc8b81d905",
        "sms_message_sid": "SMfe129a793db74ccbb6f273bc8b81d905",
        "account_sid": "ACea5446aeaced2d0f4162d8f3fdac3898",
        "from_": "whatsapp:+15555550100",
        "to": "whatsapp:+14155238886",
        "body": "Olá",
        "num_media": 0,
        "num_segments": 1,
        "profile_name": "Ana Souza",
        "wa_id": "15555550100",
        "sms_status": "received",
        "api_version": "2010-04-01",
        "referral_num_media": 0,
    }
    assert payload.media == ()
    assert payload.message_type is None
    assert payload.model_extra == {}
    assert (payload.channel, payload.sender_address, payload.is_whatsapp) == (
        "whatsapp",
        "+15555550100",
        True,
    )
    assert not payload.has_media


def test_the_voice_note_sample_parses_with_its_audio_media_item(
    twilio_sample: Callable[[str], bytes],
) -> None:
    payload = TwilioWebhookPayload.from_form(twilio_sample("03_whatsapp_voice_note.form"))

    assert payload.body == ""
    assert payload.message_type == "audio"
    assert payload.num_media == 1
    assert payload.media == (TwilioMedia(url=MEDIA_URL, content_type="audio/ogg"),)
    assert payload.media[0].media_sid == "ME568d9d691ac2b139ffb3c051668f5223"
    assert payload.media[0].is_audio
    assert payload.audio_media == payload.media
    assert payload.has_media
    assert payload.message_sid == payload.sms_sid == payload.sms_message_sid == MESSAGE
    assert payload.account_sid == ACCOUNT
    assert payload.profile_name == "Test User"


def test_the_image_sample_has_media_but_no_audio(twilio_sample: Callable[[str], bytes]) -> None:
    payload = TwilioWebhookPayload.from_form(twilio_sample("02_whatsapp_image.form"))

    assert [m.content_type for m in payload.media] == ["image/jpeg"]
    assert payload.media[0].media_sid == "ME3a2f60090e5d27f5e9749ce86b579956"
    assert payload.audio_media == ()
    assert payload.body == "Hu"


def test_every_sample_round_trips_to_the_exact_pairs_it_came_from(inbound_body: bytes) -> None:
    payload = TwilioWebhookPayload.from_form(inbound_body)

    assert sorted(payload.to_form()) == sorted(wire_pairs(inbound_body))
    assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda body: body, id="raw bytes"),
        pytest.param(lambda body: body.decode(), id="str"),
        pytest.param(lambda body: dict(wire_pairs(body)), id="dict"),
        pytest.param(lambda body: {k: [v] for k, v in wire_pairs(body)}, id="dict of lists"),
        pytest.param(wire_pairs, id="list of pairs"),
        pytest.param(lambda body: WerkzeugMultiDict(wire_pairs(body)), id="werkzeug MultiDict"),
        pytest.param(lambda body: AiohttpMultiDict(wire_pairs(body)), id="aiohttp MultiDict"),
        pytest.param(lambda body: FormData(dict(wire_pairs(body))), id="starlette FormData"),
    ],
)
def test_from_form_takes_the_body_in_every_shape_a_framework_hands_over(
    inbound_body: bytes, convert: Callable[[bytes], object]
) -> None:
    expected = TwilioWebhookPayload.from_form(inbound_body)

    assert TwilioWebhookPayload.from_form(convert(inbound_body)) == expected  # type: ignore[arg-type]


def test_model_validate_with_wire_names_gives_the_same_payload(inbound_body: bytes) -> None:
    assert TwilioWebhookPayload.model_validate(
        dict(wire_pairs(inbound_body))
    ) == TwilioWebhookPayload.from_form(inbound_body)


def test_the_constructor_takes_python_names() -> None:
    payload = TwilioWebhookPayload(
        message_sid=MESSAGE,
        sms_sid=MESSAGE,
        sms_message_sid=MESSAGE,
        account_sid=ACCOUNT,
        from_="whatsapp:+15555550102",
        to="whatsapp:+14155238886",
        body="",
        num_media=1,
        num_segments=1,
        media=(TwilioMedia(url=MEDIA_URL, content_type="audio/ogg"),),
        sms_status="received",
        api_version="2010-04-01",
    )

    assert dict(payload.to_form())["MediaUrl0"] == MEDIA_URL
    assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload


def test_ten_media_items_are_all_kept_in_order(voice_note_body: bytes) -> None:
    media = [(f"MediaUrl{i}", f"{MEDIA_URL[:-2]}{i:02d}") for i in range(10)]
    types = [(f"MediaContentType{i}", "image/png") for i in range(10)]
    pairs = [*with_params(voice_note_body, NumMedia="10", MediaUrl0=None), *media, *types]
    pairs = [(k, v) for k, v in pairs if k != "MediaContentType0" or v == "image/png"]

    payload = TwilioWebhookPayload.from_form(pairs)

    assert [m.url for m in payload.media] == [url for _, url in media]
    assert sorted(payload.to_form()) == sorted(pairs)


def test_blank_values_stay_blank_and_blank_typed_values_are_emitted_blank_again(
    voice_note_body: bytes,
) -> None:
    pairs = with_params(
        voice_note_body, FromCity="", Latitude="", Forwarded="", ReferralNumMedia=""
    )

    payload = TwilioWebhookPayload.from_form(pairs)

    assert payload.body == ""
    assert payload.from_city == ""
    assert (payload.latitude, payload.forwarded, payload.referral_num_media) == (None, None, None)
    assert sorted(payload.to_form()) == sorted(pairs)


def test_numbers_booleans_and_coordinates_convert_and_are_written_back_as_sent(
    voice_note_body: bytes,
) -> None:
    pairs = with_params(
        voice_note_body,
        MessageType="location",
        Latitude="52.30",
        Longitude="-4.8950",
        Address="Dam 1, Amsterdam",
        Label="Office",
        Forwarded="true",
        FrequentlyForwarded="false",
        NumSegments="2",
    )

    payload = TwilioWebhookPayload.from_form(pairs)

    assert payload.latitude == Decimal("52.30")
    assert payload.longitude == Decimal("-4.8950")
    assert (payload.forwarded, payload.frequently_forwarded) == (True, False)
    assert payload.num_segments == 2
    assert sorted(payload.to_form()) == sorted(pairs)


def test_channel_metadata_is_parsed_json(voice_note_body: bytes) -> None:
    metadata = '{"type":"whatsapp","data":{"context":{"ProfileName":"Test User"}}}'

    payload = TwilioWebhookPayload.from_form(with_params(voice_note_body, ChannelMetadata=metadata))

    assert payload.channel_metadata == {
        "type": "whatsapp",
        "data": {"context": {"ProfileName": "Test User"}},
    }
    assert dict(payload.to_form())["ChannelMetadata"] == metadata


def test_unknown_parameters_are_kept_and_emitted_again_repeats_included(
    voice_note_body: bytes,
) -> None:
    pairs = [
        *wire_pairs(voice_note_body),
        ("SomeNewTwilioField", "x"),
        ("Tag", "a"),
        ("Tag", "b"),
        ("media", "not our field"),
        ("body", "lower-case is not Body"),
    ]

    payload = TwilioWebhookPayload.from_form(pairs)

    assert payload.model_extra == {
        "SomeNewTwilioField": "x",
        "Tag": ("a", "b"),
        "media": "not our field",
        "body": "lower-case is not Body",
    }
    assert payload.body == ""
    assert sorted(payload.to_form()) == sorted(pairs)
    assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("\x00Body", id="NUL before Body"),
        pytest.param("\x1fFrom", id="a control character before From"),
        pytest.param("Body\x00", id="NUL after Body"),
        pytest.param("MediaUrl0\n", id="a newline after MediaUrl0"),
        pytest.param("MediaContentType0\r", id="a carriage return after MediaContentType0"),
        pytest.param("\x00media", id="NUL before media"),
    ],
)
def test_a_name_that_only_looks_like_a_twilio_parameter_is_kept_as_its_own_unknown_parameter(
    voice_note_body: bytes, name: str
) -> None:
    pairs = [*wire_pairs(voice_note_body), (name, "evil")]

    payload = TwilioWebhookPayload.from_form(urlencode(pairs))

    assert payload.model_extra == {name: "evil"}
    assert payload.body == ""
    assert payload.media == (TwilioMedia(url=MEDIA_URL, content_type="audio/ogg"),)
    assert sorted(payload.to_form()) == sorted(pairs)
    assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload


def test_python_field_names_in_a_form_are_unknown_parameters_not_the_fields(
    voice_note_body: bytes,
) -> None:
    extra = [
        ("messaging_service_sid", "x"),
        ("button_text", ""),
        ("num_segments", "7"),
        ("from_", "whatsapp:+1"),
        ("address", ""),
        ("media", "not our field"),
    ]
    pairs = [*wire_pairs(voice_note_body), *extra]

    payload = TwilioWebhookPayload.from_form(urlencode(pairs))

    assert payload.model_extra == dict(extra)
    assert (payload.messaging_service_sid, payload.button_text, payload.address) == (None,) * 3
    assert payload.num_segments == 1
    assert payload.from_ == "whatsapp:+15555550102"
    assert not {"messaging_service_sid", "button_text", "address"} & payload.model_fields_set
    assert sorted(payload.to_form()) == sorted(pairs)
    assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload


def test_model_validate_still_takes_python_names_and_wire_names(voice_note_body: bytes) -> None:
    by_wire = TwilioWebhookPayload.from_form(voice_note_body)
    by_name = {name: getattr(by_wire, name) for name in by_wire.model_fields_set if name != "media"}

    assert TwilioWebhookPayload.model_validate({**by_name, "media": by_wire.media}) == by_wire


def test_unknown_parameters_that_differ_by_a_control_character_are_all_kept_repeats_included(
    voice_note_body: bytes,
) -> None:
    extra = [("media", "a"), ("\x00media", "b"), ("\x00media", "c"), ("\x00\x00media", "d")]
    pairs = [*wire_pairs(voice_note_body), *extra]

    payload = TwilioWebhookPayload.from_form(urlencode(pairs))

    assert payload.model_extra == {"media": "a", "\x00media": ("b", "c"), "\x00\x00media": "d"}
    assert sorted(payload.to_form()) == sorted(pairs)
    assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload


def nested(depth: int, kind: str) -> str:
    """A JSON document nesting ``depth`` lists or objects."""
    if kind == "lists":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("kind", ["lists", "objects"])
def test_channel_metadata_nesting_up_to_64_levels_parses_and_round_trips(
    voice_note_body: bytes, kind: str
) -> None:
    metadata = nested(64, kind)

    payload = TwilioWebhookPayload.from_form(with_params(voice_note_body, ChannelMetadata=metadata))

    assert dict(payload.to_form())["ChannelMetadata"] == metadata
    assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload
    assert payload.model_dump_json()


@pytest.mark.parametrize("depth", [65, 300, 400, 700, 990, 1000, 100_000])
@pytest.mark.parametrize("kind", ["lists", "objects"])
def test_channel_metadata_nesting_deeper_than_64_levels_is_refused_naming_it(
    voice_note_body: bytes, depth: int, kind: str
) -> None:
    body = urlencode(with_params(voice_note_body, ChannelMetadata=nested(depth, kind)))

    with pytest.raises(InvalidTwilioPayloadError) as caught:
        TwilioWebhookPayload.from_form(body)

    assert caught.value.fields == ("ChannelMetadata",)
    assert (
        str(caught.value)
        .splitlines()[1]
        .startswith(
            "- ChannelMetadata: nests lists and objects more than 64 levels deep (Twilio's channel "
            "metadata nests about 3): it is not a document Twilio sent (got "
        )
    )


def test_a_python_value_nested_too_deeply_is_a_validation_error_not_a_recursion_error() -> None:
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    looped: list[object] = []
    looped.append(looped)

    for value in (deep, looped):
        with pytest.raises(ValidationError, match="more than 64 levels deep") as caught:
            TwilioWebhookPayload.model_validate({"ChannelMetadata": value})
        assert ("ChannelMetadata",) in [error["loc"] for error in caught.value.errors()]


def test_an_sms_from_a_bare_number_is_on_the_sms_channel(voice_note_body: bytes) -> None:
    payload = TwilioWebhookPayload.from_form(
        with_params(voice_note_body, From="+15555550102", To="+14155238886", WaId=None)
    )

    assert (payload.channel, payload.sender_address, payload.is_whatsapp) == (
        "sms",
        "+15555550102",
        False,
    )


def test_another_channel_prefix_is_reported_as_twilio_wrote_it(voice_note_body: bytes) -> None:
    payload = TwilioWebhookPayload.from_form(with_params(voice_note_body, From="messenger:12345"))

    assert (payload.channel, payload.sender_address) == ("messenger", "12345")


def test_a_media_type_with_parameters_is_still_audio() -> None:
    media = TwilioMedia(url=MEDIA_URL, content_type="Audio/OGG; codecs=opus")

    assert media.is_audio
    assert media.media_type == "audio/ogg"


@pytest.mark.parametrize(
    "content_type",
    ["audio/ogg\r\nx-amz-acl: public-read", "audio/ogg\n", "audio/\x00ogg", " audio/ogg"],
)
def test_a_media_type_with_a_line_break_or_control_character_is_refused_naming_the_field(
    voice_note_body: bytes, content_type: str
) -> None:
    # Found by an attack: it passed, and the S3 write of the ingest failed deep in the HTTP
    # stack after the download (a CR/LF would be a header of that write).
    with pytest.raises(InvalidTwilioPayloadError) as caught:
        TwilioWebhookPayload.from_form(with_params(voice_note_body, MediaContentType0=content_type))

    assert caught.value.fields == ("MediaContentType0",)
    assert "must be a media type such as 'audio/ogg'" in str(caught.value)


def test_a_media_url_outside_twilio_has_no_media_sid() -> None:
    assert TwilioMedia(url="https://example.com/x.ogg", content_type="audio/ogg").media_sid is None


def test_the_payload_is_frozen(voice_note_body: bytes) -> None:
    payload = TwilioWebhookPayload.from_form(voice_note_body)

    with pytest.raises(ValidationError, match="frozen"):
        payload.body = "changed"  # type: ignore[misc]


MALFORMED = [
    pytest.param(
        {"NumMedia": "2"},
        ["NumMedia"],
        "- NumMedia: NumMedia is 2 but the payload carries 1 media item(s) (MediaUrl0); Twilio "
        "sends MediaUrl{N} and MediaContentType{N} for N = 0..NumMedia-1",
        id="NumMedia larger than the media sent",
    ),
    pytest.param(
        {"MediaContentType0": None},
        ["MediaContentType0", "MediaUrl0"],
        "- MediaContentType0, MediaUrl0: MediaUrl0 has no matching MediaContentType0",
        id="a media URL without its content type",
    ),
    pytest.param(
        {"NumMedia": "2", "MediaUrl2": MEDIA_URL, "MediaContentType2": "audio/ogg"},
        ["MediaUrl1", "MediaUrl2"],
        "- MediaUrl1, MediaUrl2: media parameters must be numbered from 0 without gaps; "
        "MediaUrl2 comes after index 0, so MediaUrl1 is missing",
        id="a gap in the media indices",
    ),
    pytest.param(
        {"NumMedia": "one"},
        ["NumMedia"],
        "- NumMedia: must be a whole number written in digits (got 'one')",
        id="NumMedia not a number",
    ),
    pytest.param(
        {"AccountSid": "AC123"},
        ["AccountSid"],
        "- AccountSid: must be an account SID: 'AC' followed by 32 hex digits (got 'AC123')",
        id="a short account SID",
    ),
    pytest.param(
        {"MessageSid": "XX9ed4a7d771aaea5c512d10f53e29edd5"},
        ["MessageSid"],
        "- MessageSid: must be a message SID: 'SM' or 'MM' followed by 32 hex digits "
        "(got 'XX9ed4a7d771aaea5c512d10f53e29edd5')",
        id="a message SID with the wrong prefix",
    ),
    pytest.param(
        {"From": None},
        ["From"],
        "- From: Field required",
        id="From missing",
    ),
    pytest.param(
        {"Latitude": "91"},
        ["Latitude"],
        "- Latitude: Input should be less than or equal to 90 (got '91')",
        id="latitude out of range",
    ),
    pytest.param(
        {"Forwarded": "maybe"},
        ["Forwarded"],
        "- Forwarded: Input should be a valid boolean, unable to interpret input (got 'maybe')",
        id="a boolean that is not one",
    ),
    pytest.param(
        {"ChannelMetadata": "{not json"},
        ["ChannelMetadata"],
        "- ChannelMetadata: is not a JSON document (Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)) (got '{not json')",
        id="channel metadata that is not JSON",
    ),
    pytest.param(
        {"MediaUrl0": "ftp://example.com/x"},
        ["MediaUrl0"],
        "- MediaUrl0: must be an http(s) URL (got 'ftp://example.com/x')",
        id="a media URL that is not http",
    ),
]


@pytest.mark.parametrize(("changes", "fields", "line"), MALFORMED)
def test_a_malformed_payload_raises_an_error_naming_the_parameter(
    voice_note_body: bytes, changes: dict[str, str | None], fields: list[str], line: str
) -> None:
    with pytest.raises(InvalidTwilioPayloadError) as caught:
        TwilioWebhookPayload.from_form(with_params(voice_note_body, **changes))

    assert caught.value.fields == tuple(fields)
    assert str(caught.value).splitlines() == [
        "TwilioWebhookPayload is invalid (1 problem):",
        line,
        "Pass the raw form body exactly as Twilio sent it (every parameter, blank values "
        "included); see the parameters in docs/twilio.md#parameters.",
    ]
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value.__cause__, ValidationError)


def test_a_known_parameter_sent_twice_is_an_error_not_a_silent_pick(voice_note_body: bytes) -> None:
    with pytest.raises(InvalidTwilioPayloadError) as caught:
        TwilioWebhookPayload.from_form([*wire_pairs(voice_note_body), ("From", "whatsapp:+1")])

    assert str(caught.value) == (
        "Twilio webhook payload is invalid: From appears more than once; Twilio sends it once. "
        "Pass the body as Twilio sent it."
    )
    assert caught.value.fields == ("From",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            b"",
            "The body carries none of the parameters a TwilioWebhookPayload always has "
            "(AccountSid, Body, From, MessageSid, NumMedia, NumSegments, SmsMessageSid, SmsSid,"
            " To): it is not this kind of Twilio webhook, or the handler passed"
            " something else (a JSON body, the query string, an already-consumed stream).",
            id="an empty body",
        ),
        pytest.param(
            b'{"MessageSid": "SM1"}',
            "The body carries none of the parameters a TwilioWebhookPayload always has "
            "(AccountSid, Body, From, MessageSid, NumMedia, NumSegments, SmsMessageSid, SmsSid,"
            " To): it is not this kind of Twilio webhook, or the handler passed"
            " something else (a JSON body, the query string, an already-consumed stream).",
            id="a JSON body",
        ),
        pytest.param(
            b"Body=\xff",
            "The request body is not UTF-8 text (byte 0xff at offset 5): pass the raw body "
            "Twilio sent, which is form-encoded ASCII.",
            id="raw bytes that are not UTF-8",
        ),
        pytest.param(
            b"Body=%FF%FE",
            "'Body': a percent-escape does not decode as UTF-8: the body was re-encoded on the "
            "way (Twilio percent-encodes UTF-8); pass the raw request body.",
            id="a percent-escape that is not UTF-8",
        ),
        pytest.param(
            b"&".join(b"K%d=v" % i for i in range(1001)),
            "The form has 1001 or more parameters, more than the 1000 any Twilio webhook "
            "carries: this is not a Twilio request; reject it.",
            id="a body with too many parameters",
        ),
        pytest.param(
            42,
            "A form body must be the raw body (bytes or str), a mapping or multi-dict of the "
            "form fields, or a sequence of (name, value) pairs, not int.",
            id="not a body at all",
        ),
        pytest.param(
            {"Body": 3},
            "'Body': the value is int, not str; Twilio webhooks carry only text fields: pass the "
            "decoded form fields, not files or numbers.",
            id="a mapping with a value that is not text",
        ),
        pytest.param(
            [("Body",)],
            "Form pair #0 is tuple \"('Body',)\", not a (name, value) pair: pass pairs such as "
            "[('Body', 'hi'), ...].",
            id="a sequence of things that are not pairs",
        ),
        pytest.param(
            FormDataOf([1, 2]),
            "FormDataOf gave form item #0 as int '1', not a (name, value) pair: pass the raw "
            "request body (bytes), or the form object the web framework built, unchanged.",
            id="a multi-dict whose multi_items gives things that are not pairs",
        ),
        pytest.param(
            FormDataOf([("Body", "hi", "there")]),
            "FormDataOf gave form item #0 as tuple \"('Body', 'hi', 'there')\", not a (name, "
            "value) pair: pass the raw request body (bytes), or the form object the web "
            "framework built, unchanged.",
            id="a multi-dict whose multi_items gives triples",
        ),
        pytest.param(
            QueryDictOf(["Body"]),
            "QueryDictOf gave form item #0 as str 'Body', not a (name, value) pair: pass the raw "
            "request body (bytes), or the form object the web framework built, unchanged.",
            id="a multi-dict whose lists gives things that are not pairs",
        ),
        pytest.param(
            FormDataOf(5),
            "Reading the form fields from FormDataOf failed (TypeError: 'int' object is not "
            "iterable): pass the raw request body (bytes), or the form object the web framework "
            "built, unchanged.",
            id="a multi-dict whose multi_items gives no sequence",
        ),
        pytest.param(
            BrokenMapping(),
            "Reading the form fields from BrokenMapping failed (RuntimeError: the connection "
            "closed): pass the raw request body (bytes), or the form object the web framework "
            "built, unchanged.",
            id="a mapping that fails while being read",
        ),
    ],
)
def test_a_body_that_is_not_a_twilio_form_raises_a_value_error_saying_so(
    body: object, message: str
) -> None:
    with pytest.raises(InvalidTwilioPayloadError) as caught:
        TwilioWebhookPayload.from_form(body)  # type: ignore[arg-type]

    assert str(caught.value) == message


def test_model_validate_raises_pydantics_validation_error_naming_the_wire_field(
    voice_note_body: bytes,
) -> None:
    data = dict(with_params(voice_note_body, NumSegments="x"))

    with pytest.raises(ValidationError) as caught:
        TwilioWebhookPayload.model_validate(data)

    assert [error["loc"] for error in caught.value.errors()] == [("NumSegments",)]
