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


def test_only_the_retry_core_waits_between_attempts() -> None:
    import ast
    from pathlib import Path

    package = Path(__file__).parents[2] / "ai_voice_shared"
    waiting: list[str] = []
    for path in sorted(package.rglob("*.py")):
        if path.name in ("_retry.py", "_clock.py", "guard.py"):  # the guard wraps httpcore
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("sleep", "async_sleep")
            ):
                waiting.append(f"{path.relative_to(package)}:{node.lineno}")

    assert waiting == []


class _Client:
    """A client of the retry core: its deadline error and a record of the retries it logs."""

    def __init__(self) -> None:
        self.logged: list[float] = []

    def _deadline_error(self, attempts: Attempts, *, waiting: float | None = None) -> Exception:
        return TimeoutError(f"deadline (waiting {waiting})")

    def _log_retry(self, attempts: Attempts, delay: float) -> None:
        self.logged.append(delay)


def _sent(count: int, deadline: float = 100.0) -> Attempts:
    attempts = Attempts(deadline)
    attempts.sent = count
    return attempts


def test_a_failed_attempt_is_retried_after_the_backoff_and_the_retry_is_logged() -> None:
    retrying = Retrying(max_retries=2, total_timeout=15, clock=lambda: 0.0, jitter=lambda: 0.0)
    client = _Client()

    decision = retrying.decide(_sent(1), client, lambda: ValueError("final"))

    assert decision.delay == 0.5
    assert client.logged == [0.5]


def test_spent_retries_and_answers_not_retried_raise_the_clients_final_error() -> None:
    retrying = Retrying(max_retries=1, total_timeout=15, clock=lambda: 0.0)

    with pytest.raises(ValueError, match="final"):
        retrying.decide(_sent(2), _Client(), lambda: ValueError("final"))
    with pytest.raises(ValueError, match="not retried"):
        retrying.decide(_sent(1), _Client(), lambda: ValueError("not retried"), retried=False)


def test_a_retry_that_would_pass_the_deadline_raises_the_deadline_error_naming_the_wait() -> None:
    retrying = Retrying(max_retries=5, total_timeout=15, clock=lambda: 99.0, jitter=lambda: 0.0)

    with pytest.raises(TimeoutError, match=r"waiting 2\.0"):
        retrying.decide(_sent(3), _Client(), lambda: ValueError("final"))
    with pytest.raises(TimeoutError, match="waiting None"):
        retrying.decide(_sent(1, deadline=50.0), _Client(), lambda: ValueError(), timed_out=True)


def test_a_servers_retry_after_sets_the_wait() -> None:
    retrying = Retrying(max_retries=2, total_timeout=15, clock=lambda: 0.0)

    decision = retrying.decide(_sent(1), _Client(), ValueError, headers={"retry-after": "3"})

    assert decision.delay == 3.0


def test_both_loops_run_an_attempt_until_it_returns_a_result_waiting_each_retry() -> None:
    import asyncio

    from ai_voice_shared._retry import Retry, aretried, retried

    outcomes: list[object] = [Retry(1.5), Retry(0.25), "done"]
    waited: list[float] = []
    assert retried(lambda: outcomes.pop(0), waited.append) == "done"
    assert waited == [1.5, 0.25]

    async def attempt() -> object:
        return outcomes.pop(0)

    async def wait(seconds: float) -> None:
        waited.append(seconds)

    outcomes[:] = [Retry(2.0), None]
    assert asyncio.run(aretried(attempt, wait)) is None
    assert waited == [1.5, 0.25, 2.0]
