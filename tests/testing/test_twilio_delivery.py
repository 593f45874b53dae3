"""Twilio's delivery behaviour in the webhook driver: the URL's connection overrides decide
what is retried (a refused connection, a slow answer, a 5xx only under rp=5xx), how often, and
whether a redelivery is one Twilio would make; time is virtual."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from ai_voice_shared.hooks import get_clock
from ai_voice_shared_testing import TwilioWebhookSender, VirtualTime
from ai_voice_shared_testing.webhooks import (
    ConnectionOverrides,
    TwilioWouldNotRetryError,
)

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def clock() -> Iterator[VirtualTime]:
    with VirtualTime() as virtual:
        yield virtual


def sender() -> TwilioWebhookSender:
    return TwilioWebhookSender(auth_token=TOKEN, account_sid="AC" + "1" * 32)


def app(*answers: int | str, seconds: float = 0.0) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client whose app answers each status in turn ("refuse": the connection is refused,
    "slow": 200 after ``seconds`` on the clock), the last one from then on."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        what = answers[min(len(seen), len(answers)) - 1]
        if what == "refuse":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if what == "slow":
            get_clock().sleep(seconds)
            return httpx.Response(200)
        assert isinstance(what, int)
        return httpx.Response(what)

    return httpx.Client(transport=httpx.MockTransport(answer), base_url="http://app"), seen


def statuses(webhooks: TwilioWebhookSender) -> list[int | None]:
    return [attempt.status for attempt in webhooks.last_delivery.attempts]


def test_without_overrides_a_5xx_is_not_retried_and_a_redelivery_is_refused_saying_why(
    clock: VirtualTime,
) -> None:
    webhooks = sender()
    client, seen = app(503, 200)

    answer = webhooks.post(client, "/hook")

    assert answer.status_code == 503
    assert len(seen) == 1
    assert webhooks.last_delivery.failure == "5xx"
    with pytest.raises(TwilioWouldNotRetryError) as refused:
        webhooks.redeliver(client)
    assert str(refused.value) == (
        "Twilio would not deliver https://webhooks.aivs.test/hook again: the app answered 503, "
        "a failure of class 5xx, and the retry policy rp=ct,rt does not retry it: add #rp=5xx "
        "(or combine, #rp=ct,rt,5xx) to the webhook URL configured in Twilio and to the path "
        "given here. Send it anyway with twilio_webhook.send(client, request) if the test means "
        "another event. See docs/testing-http.md#twilios-delivery-behaviour"
    )
    assert len(seen) == 1


def test_under_rp_5xx_a_5xx_is_retried_up_to_rc_times(clock: VirtualTime) -> None:
    webhooks = sender()
    client, seen = app(503)

    answer = webhooks.post(client, "/hook#rc=3&rp=5xx")

    assert answer.status_code == 503
    assert statuses(webhooks) == [503, 503, 503, 503]  # the first attempt and 3 retries
    assert all(request.url.fragment == "" for request in seen)  # Twilio never sends it
    with pytest.raises(TwilioWouldNotRetryError, match=r"4 attempt\(s\) and rc=3"):
        webhooks.redeliver(client)


def test_a_refused_connection_is_retried_once_by_default(clock: VirtualTime) -> None:
    webhooks = sender()
    client, _ = app("refuse", 200)

    answer = webhooks.post(client, "/hook")

    assert answer.status_code == 200
    assert statuses(webhooks) == [None, 200]
    assert [a.failure for a in webhooks.last_delivery.attempts] == ["ct", None]


def test_when_every_connection_is_refused_the_error_is_raised_saying_twilio_gave_up(
    clock: VirtualTime,
) -> None:
    webhooks = sender()
    client, seen = app("refuse")

    with pytest.raises(httpx.ConnectError) as refused:
        webhooks.post(client, "/hook#rc=2")

    assert len(seen) == 3
    assert refused.value.__notes__ == [
        "Twilio tried 3 time(s) under 'ct=5000&rt=15000&tt=15000&rc=2&rp=ct,rt' and gave up: "
        "the connection failed every time"
    ]


def test_an_answer_slower_than_the_read_timeout_is_retried_without_real_waiting(
    clock: VirtualTime,
) -> None:
    webhooks = sender()
    client, seen = app("slow", 200, seconds=6)
    began = time.monotonic()

    answer = webhooks.post(client, "/hook#rt=5000")

    assert answer.status_code == 200
    assert len(seen) == 2  # the app did the work twice: Twilio never saw the first answer
    first = webhooks.last_delivery.attempts[0]
    assert (first.failure, first.elapsed_ms) == ("rt", 5000)
    assert clock.waited == 6
    assert time.monotonic() - began < 5


def test_with_the_defaults_a_slow_answer_spends_the_total_time_and_is_not_retried(
    clock: VirtualTime,
) -> None:
    webhooks = sender()
    client, seen = app("slow", seconds=16)  # rt and tt are both 15 s by default

    webhooks.post(client, "/hook")

    assert len(seen) == 1
    assert webhooks.last_delivery.failure == "rt"
    with pytest.raises(TwilioWouldNotRetryError, match="tt=15000 ms is spent"):
        webhooks.redeliver(client)


def test_a_read_timeout_of_rt_ms_and_a_total_time_of_tt_ms_are_honoured(
    clock: VirtualTime,
) -> None:
    webhooks = sender()
    client, seen = app("slow", seconds=0.7)

    webhooks.post(client, "/hook#rt=500&tt=1800&rc=5")

    # 700 ms each: Twilio waits 500 ms three times, then the 300 ms left of the total
    assert len(seen) == 4
    attempts = webhooks.last_delivery.attempts
    assert [(a.failure, round(a.elapsed_ms)) for a in attempts] == [("rt", 500)] * 3 + [("rt", 300)]


def test_rp_without_rt_takes_a_slow_answer_as_final_and_refuses_its_redelivery(
    clock: VirtualTime,
) -> None:
    webhooks = sender()
    client, seen = app("slow", seconds=20)

    webhooks.post(client, "/hook#rp=ct")

    assert len(seen) == 1
    with pytest.raises(TwilioWouldNotRetryError, match="class rt"):
        webhooks.redeliver(client)


def test_an_accepted_answer_may_be_redelivered_once_as_an_answer_lost_on_the_way(
    clock: VirtualTime,
) -> None:
    webhooks = sender()
    client, _ = app(200)

    webhooks.post(client, "/hook")
    assert webhooks.redeliver(client).status_code == 200

    with pytest.raises(TwilioWouldNotRetryError, match=r"2 attempt\(s\) and rc=1"):
        webhooks.redeliver(client)
    webhooks.post(client, "/other#rp=5xx")
    with pytest.raises(TwilioWouldNotRetryError, match="lost answer"):
        webhooks.redeliver(client)


def test_a_4xx_is_retried_only_under_rp_4xx(clock: VirtualTime) -> None:
    webhooks = sender()
    client, seen = app(429, 429, 200)

    assert webhooks.post(client, "/hook").status_code == 429
    assert webhooks.post(client, "/hook#rp=4xx").status_code == 200
    assert len(seen) == 3


def test_rp_all_retries_every_class() -> None:
    assert ConnectionOverrides.parse("rp=all").retry_policy == {"4xx", "5xx", "ct", "rt"}
    assert ConnectionOverrides.parse("#rc=0&e=ashburn&sni=y") == ConnectionOverrides(retry_count=0)


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ("rp=5xx,teapot", "Twilio refuses the retry policy rp='5xx,teapot' (its error 11243"),
        ("rc=6", "Twilio refuses the connection override rc='6': it takes a whole number from 0 "),
        ("ct=99", "from 100 to 10000"),
        ("rt=15001", "from 100 to 15000"),
        ("rc=1&retries=3", "'retries' is not one of Twilio's connection overrides"),
    ],
)
def test_an_override_twilio_would_refuse_is_refused_naming_it(fragment: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"connection override|retry policy") as refused:
        sender().sign("/hook#" + fragment)
    assert message in str(refused.value)
    assert str(refused.value).endswith("See docs/testing-http.md#twilios-delivery-behaviour.")


def test_an_async_client_gets_the_same_delivery(clock: VirtualTime) -> None:
    import asyncio

    seen: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(1)
        return httpx.Response(503 if len(seen) == 1 else 200)

    async def scenario(factory: Callable[[], httpx.AsyncClient]) -> list[int | None]:
        webhooks = sender()
        async with factory() as client:
            await webhooks.apost(client, "/hook#rp=5xx")
            with pytest.raises(TwilioWouldNotRetryError):
                await webhooks.aredeliver(client)
        return statuses(webhooks)

    def factory() -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://app")

    assert asyncio.run(scenario(factory)) == [503, 200]
