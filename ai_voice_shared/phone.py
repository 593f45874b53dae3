"""Phone numbers: normalise what Twilio and callers hand over to E.164, and mask it for logs."""

from __future__ import annotations

import re

from ai_voice_shared.errors import InvalidPhoneNumberError

__all__ = ["mask_phone_number", "normalize_phone_number"]

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_CHANNEL = re.compile(r"^[a-z][a-z0-9-]*:", re.IGNORECASE)
_FORMATTING = str.maketrans("", "", " -().\u00a0")


def mask_phone_number(value: str) -> str:
    """Hide the middle of a phone number (``+15555550100`` -> ``+1555****100``).

    Used in every log line, repr and error message of this library. A channel prefix stays
    (``whatsapp:+1555****100``). Short or odd values are masked whole but for their last two
    characters, so nothing identifying leaks either way.
    """
    prefix = ""
    channel = _CHANNEL.match(value)
    if channel:  # keep the channel visible: "whatsapp:+1555****100" (one prefix, never more)
        prefix, value = channel.group(0)[:40], value[channel.end() :]
    if len(value) > 8:
        return f"{prefix}{value[:5]}****{value[-3:]}"
    return prefix + "*" * max(len(value) - 2, 0) + value[-2:]


def normalize_phone_number(value: object) -> str:
    """The E.164 form of a phone number: ``+`` and 7 to 15 digits.

    Accepts ``+15555550100``, a channel address such as ``whatsapp:+15555550100`` (any
    prefix), and spaces, dashes, dots or parentheses inside the number. A number without its
    ``+`` country code is refused: ``5555550100`` could belong to any country.
    """
    if not isinstance(value, str):
        raise InvalidPhoneNumberError(
            f"A phone number must be str, not {type(value).__name__}: pass '+15555550100' or "
            "'whatsapp:+15555550100'."
        )
    number = _CHANNEL.sub("", value.strip(" "), count=1).translate(_FORMATTING)
    if _E164.fullmatch(number):  # fullmatch: "$" would also match before a trailing newline
        return number
    hint = (
        "add the '+' and country code"
        if number.isdigit()
        else "use '+' and 7 to 15 digits, e.g. '+15555550100' or 'whatsapp:+15555550100'"
    )
    raise InvalidPhoneNumberError(
        f"{mask_phone_number(value)!r} is not a phone number in E.164 form: {hint}."
    )
