"""TwilioMediaClient and AsyncTwilioMediaClient, against the kit's fake Twilio API (intercepted)
and, for hostile redirects, against respx. Every test runs on both twins."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from ai_voice_shared import (
    AsyncTwilioMediaClient,
    ConfigurationError,
    MediaDownloadError,
    MediaTooLargeError,
    TwilioMedia,
    TwilioMediaClient,
    TwilioSettings,
    UntrustedMediaUrlError,
)
from ai_voice_shared_testing import FakeTwilioApi, VirtualTime

NOTE = b"OggS" + os.urandom(200_000)
Fetch = Callable[..., bytes]


@pytest.fixture
def clock() -> Iterator[VirtualTime]:
    with VirtualTime() as virtual:
        yield virtual


@pytest.fixture
def twilio(clock: VirtualTime) -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi().intercept() as fake:
        yield fake


@pytest.fixture(params=["sync", "async"])
def fetch(request: pytest.FixtureRequest, twilio: FakeTwilioApi) -> Fetch:
    """Download one media item with a fresh client of the twin under test."""

    def run(media: TwilioMedia | str, *, how: str = "download", **settings: Any) -> bytes:
        config = twilio.settings(**settings)
        if request.param == "sync":
            with TwilioMediaClient(config) as client:
                if how == "stream":
                    return b"".join(client.stream(media))
                return client.download(media)

        async def go() -> bytes:
            async with AsyncTwilioMediaClient(config) as client:
                if how == "stream":
                    return b"".join([chunk async for chunk in client.stream(media)])
                return await client.download(media)

        return asyncio.run(go())

    return run


def test_the_media_comes_from_the_cdn_and_credentials_go_to_the_api_only(
    twilio: FakeTwilioApi, fetch: Fetch
) -> None:
    payload = twilio.voice_note(NOTE)

    assert fetch(payload.media[0]) == NOTE

    api, cdn = twilio.requests
    assert (api.role, api.status, cdn.role, cdn.status) == ("api", 307, "cdn", 200)
    assert api.headers["authorization"].startswith("Basic ")
    assert "authorization" not in cdn.headers
    assert twilio.problems() == []


def test_an_api_key_works_instead_of_the_auth_token(twilio: FakeTwilioApi, fetch: Fetch) -> None:
    twilio.api_key_sid, twilio.api_key_secret = "SK" + "ab" * 16, "key-secret"
    payload = twilio.voice_note(NOTE)

    assert (
        fetch(
            payload.media[0],
            auth_token=None,
            api_key_sid=twilio.api_key_sid,
            api_key_secret="key-secret",
        )
        == NOTE
    )


UNTRUSTED = {
    "another host": "https://evil.example.com/2010-04-01/Accounts/{ac}/Messages/MM{h}/Media/ME{h}",
    "another account": "https://api.twilio.com/2010-04-01/Accounts/AC{h}/Messages/MM{h}/Media/ME{h}",
    "plain http": "http://api.twilio.com/2010-04-01/Accounts/{ac}/Messages/MM{h}/Media/ME{h}",
    "a query string": "https://api.twilio.com/2010-04-01/Accounts/{ac}/Messages/MM{h}/Media/ME{h}?x=1",
    "user info": "https://u:p@api.twilio.com/2010-04-01/Accounts/{ac}/Messages/MM{h}/Media/ME{h}",
    "another path": "https://api.twilio.com/2010-04-01/Accounts/{ac}/Calls/CA{h}",
    "a dot segment": "https://api.twilio.com/2010-04-01/Accounts/{ac}/Messages/MM{h}/Media/../x",
    "another port": "https://api.twilio.com:8443/2010-04-01/Accounts/{ac}/Messages/MM{h}/Media/ME{h}",
    "a bad port": "https://api.twilio.com:99999/2010-04-01/Accounts/{ac}/Messages/MM{h}/Media/ME{h}",
}


@pytest.mark.parametrize("url", UNTRUSTED.values(), ids=UNTRUSTED)
def test_a_url_that_is_not_the_accounts_media_gets_no_request(
    twilio: FakeTwilioApi, fetch: Fetch, url: str
) -> None:
    target = url.format(ac=twilio.account_sid, h="0" * 32)

    with pytest.raises(UntrustedMediaUrlError, match="Refusing to fetch") as caught:
        fetch(TwilioMedia(url=target, content_type="audio/ogg"))

    assert twilio.requests == []
    assert twilio.auth_token not in str(caught.value)


def test_media_at_another_host_than_the_fake_says_to_register_it_with_the_fake(
    twilio: FakeTwilioApi, fetch: Fetch
) -> None:
    # A service run against `ai-voice-shared fakes` got a webhook with Twilio's media URLs;
    # the message used to say "point TWILIO_API_BASE_URL at the fake", which it already was.
    served = twilio.add_media(b"OggS")
    elsewhere = served.url.replace(twilio.api_base_url, "https://media.example.com")

    with pytest.raises(UntrustedMediaUrlError) as caught:
        fetch(TwilioMedia(url=elsewhere, content_type="audio/ogg"))
    with pytest.raises(UntrustedMediaUrlError) as same_host:
        fetch(TwilioMedia(url=served.url + "?x=1", content_type="audio/ogg"))

    host = twilio.api_base_url.removeprefix("https://")
    assert (
        f"The media URL is at media.example.com, TWILIO_API_BASE_URL at {host}: in a test "
        "against a fake Twilio API, the webhook must carry media URLs the fake serves"
    ) in str(caught.value)
    assert "ai-voice-shared twilio send --media FILE" in str(caught.value)
    assert "point TWILIO_API_BASE_URL" not in str(caught.value)
    assert "TWILIO_API_BASE_URL at" not in str(same_host.value)


ACCOUNT = "AC" + "a" * 32
HOSTILE = (
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM{'1' * 32}/Media/ME{'2' * 32}"
)


def fetch_plain(asynchronous: bool, url: str, **options: Any) -> bytes:
    """Download with settings of their own, no fake: respx plays a hostile Twilio."""
    settings = TwilioSettings(
        account_sid=ACCOUNT, auth_token="token", **{"max_retries": 0, **options}
    )
    media = TwilioMedia(url=url, content_type="audio/ogg")
    if not asynchronous:
        with TwilioMediaClient(settings) as client:
            return client.download(media)

    async def go() -> bytes:
        async with AsyncTwilioMediaClient(settings) as client:
            return await client.download(media)

    return asyncio.run(go())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://media.twiliocdn.aivs.test/x", "media is only fetched over https"),
        ("ftp://media.twiliocdn.aivs.test/x", "media is only fetched over https"),
        ("https://api.twilio.com/loop", "redirected more than 3 times"),
    ],
    ids=["http downgrade", "another scheme", "a loop"],
)
def test_a_redirect_goes_only_to_https_and_not_forever(
    asynchronous: bool, location: str, error: str
) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get(HOSTILE).respond(307, headers={"Location": location})
        router.get("https://api.twilio.com/loop").respond(307, headers={"Location": "/loop"})
        with pytest.raises((MediaDownloadError, UntrustedMediaUrlError), match=error):
            fetch_plain(asynchronous, HOSTILE)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_no_redirect_ever_carries_the_credentials(asynchronous: bool) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"x")

    with respx.mock() as router:
        router.get(HOSTILE).respond(307, headers={"Location": "https://api.twilio.com/again"})
        router.get("https://api.twilio.com/again").mock(side_effect=answer)
        assert fetch_plain(asynchronous, HOSTILE) == b"x"

    assert "authorization" not in seen[0].headers  # not even back on the API host


@pytest.mark.parametrize("content_length", [True, False], ids=["declared", "chunked"])
@pytest.mark.parametrize("how", ["download", "stream"])
def test_media_over_the_cap_is_refused_and_not_kept(
    twilio: FakeTwilioApi, fetch: Fetch, content_length: bool, how: str
) -> None:
    payload = twilio.voice_note(NOTE)
    twilio.fail(on="cdn", oversize=2 * 1024 * 1024, content_length=content_length)

    with pytest.raises(MediaTooLargeError, match=r"more than TWILIO_MEDIA_MAX_BYTES \(1048576\)"):
        fetch(payload.media[0], how=how, media_max_bytes=1024 * 1024)


@pytest.mark.parametrize("on", ["media", "cdn"])
def test_server_errors_are_retried_from_the_api_with_retry_after_on_the_virtual_clock(
    twilio: FakeTwilioApi, fetch: Fetch, clock: VirtualTime, on: str
) -> None:
    payload = twilio.voice_note(NOTE)
    twilio.fail(503, on=on, times=2, retry_after=3)

    assert fetch(payload.media[0]) == NOTE

    assert [r.role for r in twilio.requests if r.status == 307] == ["api"] * (
        3 if on == "cdn" else 1
    )
    assert clock.waited == 6


def test_a_twilio_outage_past_the_retries_is_transient(twilio: FakeTwilioApi, fetch: Fetch) -> None:
    payload = twilio.voice_note(NOTE)
    twilio.fail(503, on="cdn", times=3)

    with pytest.raises(MediaDownloadError, match="HTTP 503") as caught:
        fetch(payload.media[0])

    assert caught.value.transient  # a webhook handler answers 503: Twilio delivers it again
    assert not caught.value.retryable


def test_wrong_credentials_are_not_retried_and_say_what_to_check(
    twilio: FakeTwilioApi, fetch: Fetch
) -> None:
    payload = twilio.voice_note(NOTE)

    with pytest.raises(
        MediaDownloadError, match="check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
    ) as caught:
        fetch(payload.media[0], auth_token="wrong-token")

    assert (caught.value.status, caught.value.attempts, len(twilio.requests)) == (401, 1, 1)
    assert "wrong-token" not in str(caught.value)
    assert not caught.value.transient  # a later attempt fails the same way


def test_unknown_media_is_a_404_download_error(twilio: FakeTwilioApi, fetch: Fetch) -> None:
    payload = twilio.voice_note(NOTE)
    twilio.remove_media(payload.media[0].media_sid or "")

    with pytest.raises(MediaDownloadError, match="The media does not exist") as caught:
        fetch(payload.media[0])

    assert not caught.value.transient


def test_a_body_cut_off_is_fetched_again_by_download_and_raised_by_stream(
    twilio: FakeTwilioApi, fetch: Fetch
) -> None:
    payload = twilio.voice_note(NOTE)
    twilio.fail(on="cdn", cut_after=1000)

    assert fetch(payload.media[0]) == NOTE
    twilio.fail(on="cdn", cut_after=1000)
    with pytest.raises(MediaDownloadError, match="was cut off after 1000 bytes") as caught:
        fetch(payload.media[0], how="stream")
    assert caught.value.retryable
    assert caught.value.transient


def test_a_cdn_type_that_contradicts_the_webhook_is_refused(
    twilio: FakeTwilioApi, fetch: Fetch
) -> None:
    payload = twilio.voice_note(NOTE)
    lie = payload.media[0].model_copy(update={"content_type": "image/jpeg"})

    with pytest.raises(
        MediaDownloadError, match=r"declared .* as 'image/jpeg' but its CDN sent 'audio/ogg'"
    ):
        fetch(lie)


def test_a_slow_cdn_times_out_on_the_deadline(
    twilio: FakeTwilioApi, fetch: Fetch, clock: VirtualTime
) -> None:
    payload = twilio.voice_note(NOTE)
    twilio.delay(100)

    with pytest.raises(
        MediaDownloadError, match=r"total deadline of 10 s|timed out|ReadTimeout"
    ) as caught:
        fetch(payload.media[0], timeout_seconds=4, total_timeout_seconds=10)

    assert caught.value.transient

    assert clock.waited <= 10


def test_missing_account_or_credentials_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="set TWILIO_ACCOUNT_SID"):
        TwilioMediaClient(TwilioSettings(auth_token="t"))
    with pytest.raises(ConfigurationError, match="set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID"):
        TwilioMediaClient(TwilioSettings(account_sid="AC" + "0" * 32))


def test_no_log_line_carries_the_credentials_or_the_cdn_signature(
    twilio: FakeTwilioApi, fetch: Fetch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    payload = twilio.voice_note(NOTE)
    twilio.fail(503, on="cdn")

    fetch(payload.media[0])

    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert "media.twiliocdn.aivs.test" in messages  # httpx logged the CDN request...
    assert "Signature=" not in messages  # ...without its signed query
    assert twilio.auth_token not in messages


# -- found by an attack ---------------------------------------------------------------------


class SlowBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body sent one byte per ``every`` seconds of the library's (virtual) clock."""

    def __init__(self, size: int, every: float) -> None:
        self.size = size
        self.every = every

    def __iter__(self) -> Iterator[bytes]:
        from ai_voice_shared._clock import get_clock

        for _ in range(self.size):
            get_clock().sleep(self.every)
            yield b"x"

    async def __aiter__(self) -> Any:
        for chunk in self:
            yield chunk


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("status", [503, 200])
def test_a_trickled_body_error_or_media_ends_at_the_total_deadline(
    asynchronous: bool, status: int, clock: VirtualTime
) -> None:
    # An error body trickled a byte every 0.5 s held a download for minutes (its excerpt was
    # read without the deadline); a trickled media body was fetched again with a new deadline.
    cdn = "https://media.twiliocdn.aivs.test/x"
    with respx.mock(assert_all_called=False) as router:
        router.get(HOSTILE).respond(307, headers={"Location": cdn})
        slow = router.get(cdn).respond(status, stream=SlowBody(2048, 0.5))
        with pytest.raises(MediaDownloadError, match="total deadline of 2 s") as caught:
            fetch_plain(asynchronous, HOSTILE, total_timeout_seconds=2, max_retries=3)

    assert clock.waited <= 2.5
    assert not caught.value.retryable  # fetching it again now cannot beat the deadline
    assert caught.value.transient
    assert slow.call_count == 1


def test_a_body_cut_again_and_again_is_fetched_within_one_retry_budget(
    twilio: FakeTwilioApi, fetch: Fetch
) -> None:
    # Each re-fetch of a cut body used to start a budget of its own: 9 API requests, not 3.
    payload = twilio.voice_note(NOTE)
    twilio.fail(on="cdn", cut_after=1000, times=10, optional=True)

    with pytest.raises(MediaDownloadError, match="cut off after 1000 bytes") as caught:
        fetch(payload.media[0], max_retries=2)

    api = [r for r in twilio.requests if r.role != "cdn"]
    cdn = [r for r in twilio.requests if r.role == "cdn"]
    assert (len(api), len(cdn), caught.value.attempts) == (3, 3, 3)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    "location",
    ["https://xn--/x", "data:audio/ogg,OggS", "javascript:alert(1)"],
)
def test_a_location_that_is_not_a_url_is_a_download_error(
    asynchronous: bool, location: str
) -> None:
    with respx.mock() as router:
        router.get(HOSTILE).respond(307, headers={"Location": location})
        with pytest.raises(
            MediaDownloadError, match="redirected to a Location that is not a URL"
        ) as caught:
            fetch_plain(asynchronous, HOSTILE)

    assert not caught.value.transient


@pytest.mark.parametrize(
    "suffix", ["\n", "\t", " ", "\x00", "\u00e9"], ids=["newline", "tab", "space", "NUL", "é"]
)
def test_a_bare_url_with_whitespace_or_control_characters_gets_no_request(
    twilio: FakeTwilioApi, fetch: Fetch, suffix: str
) -> None:
    url = twilio.voice_note(NOTE).media[0].url + suffix

    with pytest.raises(UntrustedMediaUrlError, match="holds whitespace, a control character"):
        fetch(url)

    assert twilio.requests == []


@pytest.mark.parametrize(
    ("api", "allowed"),
    [
        ("http://api.twilio.com", False),
        ("http://cdn.attacker.example", False),
        ("http://127.0.0.1:8080", True),
        ("http://[::1]:8080", True),
        ("http://localhost:8080", True),
        ("http://twilio-fake:8080", True),
        ("http://twilio.aivs.test", True),
        ("http://10.0.0.5", True),
        ("https://api.twilio.com", True),
    ],
)
def test_plain_http_carries_credentials_only_to_a_local_fake(api: str, allowed: bool) -> None:
    if allowed:
        assert TwilioSettings(api_base_url=api).api_base_url == api
        return
    with pytest.raises(ConfigurationError, match="would send the account's credentials over plain"):
        TwilioSettings(api_base_url=api)


def test_a_plain_http_fake_api_may_not_redirect_to_a_public_http_host() -> None:
    url = (
        f"http://127.0.0.1:9/2010-04-01/Accounts/{ACCOUNT}/Messages/MM{'1' * 32}/Media/ME{'2' * 32}"
    )
    settings = TwilioSettings(
        account_sid=ACCOUNT, auth_token="t", api_base_url="http://127.0.0.1:9", max_retries=0
    )
    with respx.mock() as router:
        router.get(url).respond(307, headers={"Location": "http://cdn.attacker.example/x"})
        with (
            TwilioMediaClient(settings) as client,
            pytest.raises(UntrustedMediaUrlError, match="to a local host"),
        ):
            client.download(url)


def test_no_log_line_of_a_real_socket_carries_the_cdn_signature(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # httpcore logs the 307's headers at DEBUG, Location and its signed query included, before
    # the client can know that URL.
    caplog.set_level(logging.DEBUG)
    with FakeTwilioApi().start() as live:
        payload = live.voice_note(NOTE)
        with TwilioMediaClient(live.settings()) as client:
            assert client.download(payload.media[0]) == NOTE

    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert "Location" in messages
    assert "<query hidden>" in messages
    assert "Signature=" not in messages
