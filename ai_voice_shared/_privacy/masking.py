"""Phone numbers masked in a text: every number-like run, or one known number in any spelling."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from ai_voice_shared.phone import mask_phone_number

__all__ = [
    "digits_of",
    "mask_number_in",
    "mask_numbers_in",
    "mask_runs_holding",
    "spellings_of",
]

# A run of at least 7 digits, possibly with the separators people write numbers with.
_NUMBER_LIKE = re.compile(r"\+?\(?\d(?:[\d \-().\u00a0]*\d)?")
_MIN_DIGITS = 7


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if sum(ch.isdigit() for ch in run) < _MIN_DIGITS:
        return run
    return mask_phone_number(run)


def mask_numbers_in(text: str) -> str:
    """``text`` with every run of 7 or more digits (a phone number in any spelling) masked."""
    return _NUMBER_LIKE.sub(_mask_run, text)


# What may stand between two digits of a spelled-out number: any punctuation or space (dashes
# of every kind, dots, slashes, brackets, "+" for a space in a query string, no-break spaces),
# URL-encoded ones ("%20"), the escapes a bytes or JSON repr shows for non-ASCII ones
# ("\\xc2\\xa0", "\\u2011"), HTML character references ("&#8209;", "&nbsp;") and short
# tags ("<b>"), each as one separator (their own digits are not the number's); never an
# escaped digit. At most four in a row.
_SEPARATOR: Final = (
    r"(?:&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};|&[a-zA-Z]{2,8};|</?[a-zA-Z][a-zA-Z0-9]{0,9}>"
    r"|[^\w%\\]|_|%(?!3\d)[0-9a-fA-F]{2}|\\x(?!3\d)[0-9a-fA-F]{2}|\\u(?!003\d)[0-9a-fA-F]{4})"
)
# A run of digits ("\d" is any script's digits), separated by at most four separators.
_DIGIT_RUN: Final = re.compile(rf"\d(?:{_SEPARATOR}{{0,4}}\d)*")
_DIGIT_OR_SEPARATOR: Final = re.compile(rf"(\d)|{_SEPARATOR}")
#: How many of a number's last digits identify it in a run: a national spelling drops the
#: country code, a local one the area code; seven digits is the shortest worth hiding.
_TAIL_DIGITS: Final = 7
#: The digits of a number the usual mask shows at its start (``+1555****100``) and end.
_SHOWN_HEAD = 4
_SHOWN_END = 3


def _mask_in_run(run: str, numbers: tuple[str, ...]) -> str:
    """``run`` (a match of :data:`_DIGIT_RUN`) with each number's digits in it masked."""
    positions = [m.start() for m in _DIGIT_OR_SEPARATOR.finditer(run) if m.group(1)]
    digits = "".join(str(unicodedata.decimal(run[at])) for at in positions)
    hidden: set[int] = set()
    for number in numbers:
        tail = number[-_TAIL_DIGITS:]
        found = digits.find(tail)
        while found != -1:
            end = found + len(tail)
            # Widen to the left while the digits keep spelling the number: a national spelling
            # starts after the country code, a glued-on digit before it is not the number's.
            start, index = found, len(number) - len(tail)
            while start > 0 and index > 0 and digits[start - 1] == number[index - 1]:
                start, index = start - 1, index - 1
            shown_head = max(0, _SHOWN_HEAD - index)
            hidden.update(range(start + shown_head, end - _SHOWN_END))
            found = digits.find(tail, found + 1)
    if not hidden:
        return run
    chars = list(run)
    for digit in hidden:
        chars[positions[digit]] = "*"
    return "".join(chars)


def mask_runs_holding(text: str, numbers: tuple[str, ...]) -> str:
    """``text`` with every spelling of ``numbers`` (their ASCII digits) masked."""
    if not numbers or not any(ch.isdecimal() for ch in text):
        return text
    return _DIGIT_RUN.sub(lambda match: _mask_in_run(match.group(0), numbers), text)


def digits_of(number: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) for ch in number if ch.isdecimal())


def mask_number_in(text: str, number: str) -> str:
    """``text`` with ``number`` (E.164) masked in every spelling.

    The spellings :func:`mask_phone_number` would be given (``+15555550100``,
    ``%2B15555550100``, ``15555550100``) become its mask (``+1555****100``). In any other
    spelling, a run of digits and separators that holds the number's last seven digits,
    whatever separators (``+1 (555) 555-0100``, ``1.555.555.0100``, a bytes repr's
    ``\\xc2\\xa0``) or script's digits, keeps its separators and the digits the mask shows
    (the first four and last three of the number) and has every other digit of the number
    replaced by ``*``: ``+1 555-***-*100``, ``555-***-*100`` (national).
    """
    masked = text
    for secret, shown in spellings_of(number):
        masked = masked.replace(secret, shown)
    return mask_runs_holding(masked, (digits_of(number),))


def spellings_of(number: str) -> list[tuple[str, str]]:
    """How an E.164 number shows up in text and URLs, each with its masked form."""
    masked = mask_phone_number(number)
    digits = number.lstrip("+")
    return [
        (number, masked),
        (f"%2B{digits}", f"%2B{masked[1:]}"),
        (f"%2b{digits}", f"%2b{masked[1:]}"),
        (digits, masked[1:]),
    ]
