"""Phone numbers kept out of text and log records (ai_voice_shared._privacy)."""

from __future__ import annotations

import logging
import time

import pytest

from ai_voice_shared._privacy.logs import _hide_queries, scrubbed_logs
from ai_voice_shared._privacy.masking import mask_number_in

PHONE = "+15555550100"

SPELLED = {
    "as sent": ("looked up +15555550100.", "looked up +1555****100."),
    "URL-encoded": ("phone_number=%2B15555550100", "phone_number=%2B1555****100"),
    "without its plus": ("id-15555550100", "id-1555****100"),
    "spaced and dashed": ("+1 555-555-0100", "+1 555-***-*100"),
    "dotted": ("1.555.555.0100", "1.555.***.*100"),
    "national": ("call (555) 555-0100", "call (555) ***-*100"),
    "local": ("ext 555 0100", "ext *** *100"),
    "URL-encoded spaces": ("%2B1%20555%20555%200100", "%2B1%20555%20***%20*100"),
    "no-break spaces": ("+1\u00a0555\u00a0555\u00a00100", "+1\u00a0555\u00a0***\u00a0*100"),
    "in a bytes repr": (
        r"b'+1\xc2\xa0555\xc2\xa0555\xc2\xa00100'",
        r"b'+1\xc2\xa0555\xc2\xa0***\xc2\xa0*100'",
    ),
    "non-breaking hyphens": ("+1\u2011555\u2011555\u20110100", "+1\u2011555\u2011***\u2011*100"),
    "fullwidth digits": (
        "\uff11\uff15\uff15\uff15\uff15\uff15\uff15\uff10\uff11\uff10\uff10",
        ("\uff11\uff15\uff15\uff15****\uff11\uff10\uff10"),
    ),
    "glued to other digits": ("9+1 555 555 0100 2", "9+1 555 *** *100 2"),
    "twice": ("+1-555-555-0100 / 555.555.0100", "+1-555-***-*100 / 555.***.*100"),
    "HTML character references": (
        "+1&#8209;555&#x2011;555&nbsp;0100",
        "+1&#8209;555&#x2011;***&nbsp;*100",
    ),
    "HTML tags": ("555<b>555</b>0100", "555<b>***</b>*100"),
}


@pytest.mark.parametrize(("text", "masked"), SPELLED.values(), ids=SPELLED)
def test_the_number_is_masked_in_place_in_any_spelling(text: str, masked: str) -> None:
    assert mask_number_in(text, PHONE) == masked


@pytest.mark.parametrize(
    "text",
    [
        "GET http://10.20.30.40:8080/customers/lookup 200",
        "request id 3f2c91700000000123a, at 2026-01-01 12:30:45,123",
        "another number: +1 555-555-0199",
        "192.168.100.200",
    ],
)
def test_digits_that_do_not_spell_the_number_are_left_alone(text: str) -> None:
    assert mask_number_in(text, PHONE) == text


def test_a_log_record_made_inside_scrubbed_logs_has_the_number_masked_in_any_spelling(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    some_library = logging.getLogger("some.library")

    with scrubbed_logs(PHONE):
        some_library.debug("headers=%r", [(b"X-Looked-Up", b"+1 555-555-0100")])
    some_library.debug("outside: %s", "+1 555-555-0100")

    inside, outside = (record.getMessage() for record in caplog.records)
    assert inside == "headers=[(b'X-Looked-Up', b'+1 555-***-*100')]"
    assert outside == "outside: +1 555-555-0100"


def test_hiding_url_queries_takes_linear_time_on_a_hostile_header() -> None:
    # Found by an attack: a regex from each "http://" to a "?" backtracked quadratically over
    # a 99 KB header of URLs without one (2 s per log record, past the media deadline).
    hostile = "https://a" * 11_000 + " ?"
    benign = "x" * len(hostile) + " ?"

    def seconds(text: str) -> float:
        start = time.perf_counter()
        _hide_queries(text)
        return time.perf_counter() - start

    ratio = min(seconds(hostile) for _ in range(3)) / max(
        min(seconds(benign) for _ in range(3)), 1e-6
    )
    print(f"hostile / benign scrubbing time: {ratio:.1f}")
    assert ratio < 50  # quadratic: about 2,000


def test_a_url_query_is_hidden_in_a_bytes_repr_and_its_fragment_kept() -> None:
    text = "headers=[(b'Location', b'https://cdn.example/x?Expires=1&Signature=abc#frag')]"

    assert _hide_queries(text) == (
        "headers=[(b'Location', b'https://cdn.example/x?<query hidden>#frag')]"
    )
