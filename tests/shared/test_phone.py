"""Phone numbers: normalised to E.164 before any request, masked in everything logged."""

from __future__ import annotations

import pytest

from ai_voice_shared import InvalidPhoneNumberError, mask_phone_number, normalize_phone_number


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+15555550100", "+15555550100"),
        ("whatsapp:+15555550100", "+15555550100"),
        ("WhatsApp:+15555550100", "+15555550100"),
        ("messenger:+447700900123", "+447700900123"),
        (" +1 (555) 555-0100 ", "+15555550100"),
        ("+44.7700.900123", "+447700900123"),
    ],
)
def test_numbers_and_channel_addresses_normalise_to_e164(given: str, expected: str) -> None:
    assert normalize_phone_number(given) == expected


USE_E164 = "use '+' and 7 to 15 digits, e.g. '+15555550100' or 'whatsapp:+15555550100'."


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "15555550100",
            "'15555****100' is not a phone number in E.164 form: add the '+' and country code.",
        ),
        ("whatsapp:", f"'whatsapp:' is not a phone number in E.164 form: {USE_E164}"),
        ("+1234567890123456", f"'+1234****456' is not a phone number in E.164 form: {USE_E164}"),
        ("+0123456789", f"'+0123****789' is not a phone number in E.164 form: {USE_E164}"),
    ],
)
def test_an_invalid_number_is_a_value_error_that_masks_it(given: str, message: str) -> None:
    with pytest.raises(InvalidPhoneNumberError) as caught:
        normalize_phone_number(given)

    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_a_number_that_is_not_text_is_refused() -> None:
    with pytest.raises(InvalidPhoneNumberError, match="must be str, not int"):
        normalize_phone_number(15555550100)


@pytest.mark.parametrize(
    ("given", "masked"),
    [
        ("+15555550100", "+1555****100"),
        ("whatsapp:+15555550100", "whatsapp:+1555****100"),
        ("+4477009", "******09"),
        ("12", "12"),
        ("", ""),
    ],
)
def test_masking_hides_the_middle_of_the_number(given: str, masked: str) -> None:
    assert mask_phone_number(given) == masked


@pytest.mark.parametrize(
    "hostile",
    [
        "a:" * 2000,
        "whatsapp:" * 5000 + "+15555550100",
        "+15555550100\n",
        "+15555550100\n-",
        "+1555555\n0100",
        "\t+15555550100",
        "+15555550100\r",
        "+15555550100\x00",
    ],
    ids=[
        "2000 prefixes",
        "5000 channels",
        "newline",
        "newline then dash",
        "inner newline",
        "tab",
        "CR",
        "NUL",
    ],
)
def test_hostile_numbers_are_invalid_and_never_crash(hostile: str) -> None:
    with pytest.raises(InvalidPhoneNumberError):
        normalize_phone_number(hostile)

    assert len(mask_phone_number(hostile)) <= len(hostile) + 4


def test_a_hostile_from_is_refused_by_lookup_before_any_request() -> None:
    from ai_voice_shared import CustomerLookupClient

    with (
        CustomerLookupClient("http://customer-lookup.invalid") as client,
        pytest.raises(InvalidPhoneNumberError),
    ):
        client.lookup("a:" * 2000)
