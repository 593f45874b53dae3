"""TwiML answers: valid XML whatever the text, with the media type Twilio expects."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_voice_shared import messaging_response
from ai_voice_shared.twiml import TWIML_MEDIA_TYPE


def test_no_message_is_an_empty_response() -> None:
    assert messaging_response() == '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def test_a_reply_is_one_message_with_its_body_and_media() -> None:
    assert messaging_response("Got it", media_url="https://x.example/a.png") == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message><Body>Got it</Body>'
        "<Media>https://x.example/a.png</Media></Message></Response>"
    )


def test_the_media_type_is_xml_in_utf8() -> None:
    assert TWIML_MEDIA_TYPE == "text/xml; charset=utf-8"


@given(st.text())
def test_any_text_makes_a_document_that_parses_back_to_it_minus_what_xml_cannot_carry(
    text: str,
) -> None:
    document = messaging_response(text)

    body = ET.fromstring(document.encode("utf-8", "surrogatepass")).find("Message/Body")
    carried = "".join(
        ch
        for ch in text
        if not ("\x00" <= ch <= "\x08" or ch in "\x0b\x0c" or "\x0e" <= ch <= "\x1f")
        and not ("\ud800" <= ch <= "\udfff")
        and ch not in "\ufffe\uffff"
    )
    assert body is not None
    # A carriage return travels as &#13;, which XML parsers do not turn into a line feed.
    assert (body.text or "") == carried


def test_a_non_text_message_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="TwiML text must be str, not int"):
        messaging_response(42)  # type: ignore[arg-type]
