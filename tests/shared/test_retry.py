"""Retry decisions (ai_voice_shared._retry): what a server's ``Retry-After`` may make us wait."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_voice_shared._retry import MAX_RETRY_AFTER, Attempts, Retrying, retry_after

#: The first three made retry_after() raise a bare OverflowError; the others are edges that
#: must stay ignored.
HOSTILE_DATES = {
    "a zone offset of 20 digits": "Mon, 01 Jan 2024 00:00:00 +99999999999999999999",
    "a year of 30 digits": "Mon, 01 Jan 999999999999999999999999999999 00:00:00 GMT",
    "an hour of 30 digits": "Mon, 01 Jan 2024 999999999999999999999999999999:00:00 GMT",
    "a zone of a day or more": "Mon, 01 Jan 2024 00:00:00 +9999",
    "year 1 in a zone ahead of UTC": "Mon, 01 Jan 0001 00:00:00 +2359",
    "year 9999 in a zone behind UTC": "Fri, 31 Dec 9999 23:59:59 -2359",
}


@pytest.mark.parametrize("date", HOSTILE_DATES.values(), ids=HOSTILE_DATES)
def test_a_retry_after_date_that_cannot_be_read_falls_back_to_backoff(date: str) -> None:
    retrying = Retrying(max_retries=2, total_timeout=15, jitter=lambda: 0.0)
    attempts = Attempts(deadline=100.0)
    attempts.sent = 1

    assert retry_after({"retry-after": date}) is None
    assert retrying.delay(attempts, {"retry-after": date}) == 0.5


# Dates of the Retry-After shape with any field, so that the parser goes deep.
_numbers = st.one_of(st.integers(), st.from_regex(r"\A[+-]?[0-9]{1,40}\Z"))
dates = st.builds(
    "{}, {} {} {} {}:{}:{} {}".format,
    st.sampled_from(["Mon", "Fri", "", "xyz"]),
    _numbers,
    st.sampled_from(["Jan", "Dec", "Foo", ""]),
    _numbers,
    _numbers,
    _numbers,
    _numbers,
    st.one_of(st.sampled_from(["GMT", "UTC", "EST", "-0000", ""]), _numbers, st.text(max_size=8)),
)


@given(
    after=st.one_of(st.none(), st.text(), dates, st.floats().map(str)),
    millis=st.one_of(st.none(), st.text(), st.floats().map(str), _numbers.map(str)),
)
def test_retry_after_never_raises_and_asks_for_no_wait_outside_the_cap(
    after: str | None, millis: str | None
) -> None:
    headers = {
        name: value
        for name, value in (("retry-after", after), ("retry-after-ms", millis))
        if value is not None
    }

    seconds = retry_after(headers)

    assert seconds is None or 0 <= seconds <= MAX_RETRY_AFTER
