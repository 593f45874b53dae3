"""The official ``twilio`` SDK against FakeTwilioApi, sync (requests) and async (aiohttp), and
the guard that stops any request to a real Twilio or AWS host, from every HTTP library."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import boto3
import httpx
import pytest
import requests
import urllib3
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from ai_voice_shared_testing import FakeTwilioApi
from ai_voice_shared_testing._http.real_hosts import RealHostError


@pytest.fixture
def twilio() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi().intercept() as fake:
        yield fake


def test_the_sdk_fetches_lists_and_deletes_media_and_creates_a_message(
    twilio: FakeTwilioApi,
) -> None:
    payload = twilio.message((b"jpeg", "image/jpeg"), (b"png", "image/png"))
    client = Client(twilio.api_key_sid, twilio.api_key_secret, twilio.account_sid)
    message = client.messages(payload.message_sid)

    listed = message.media.list(page_size=1)  # follows next_page_uri
    fetched = message.media(listed[0].sid).fetch()
    assert message.media(listed[0].sid).delete() is True
    created = client.messages.create(
        to="whatsapp:+15555550100", from_="whatsapp:+15555550101", body="Transcript ready"
    )

    assert [m.content_type for m in listed] == ["image/jpeg", "image/png"]
    assert fetched.parent_sid == payload.message_sid
    assert twilio.media_sids(payload.message_sid) == [listed[1].sid]
    assert (created.status, created.body) == ("queued", "Transcript ready")
    assert client.messages(created.sid).fetch().sid == created.sid


def test_the_sdk_with_the_auth_token_and_wrong_credentials_gets_twilios_401(
    twilio: FakeTwilioApi,
) -> None:
    from twilio.base.exceptions import TwilioRestException

    good = Client(twilio.account_sid, twilio.auth_token)
    bad = Client(twilio.account_sid, "wrong")

    assert good.messages.list() == []
    with pytest.raises(TwilioRestException) as error:
        bad.messages.create(to="+15555550100", from_="+15555550101", body="hi")
    assert (error.value.status, error.value.code) == (401, 20003)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # aiohttp 3.14 deprecates auth=
def test_the_async_sdk_client_reaches_the_fake_through_aiohttp(twilio: FakeTwilioApi) -> None:
    payload = twilio.voice_note(b"OggS")

    async def scenario() -> tuple[str, str]:
        http = AsyncTwilioHttpClient()
        client = Client(twilio.account_sid, twilio.auth_token, http_client=http)
        try:
            created = await client.messages.create_async(
                to="+15555550100", from_="+15555550101", body="hi"
            )
            media = await client.messages(payload.message_sid).media.list_async()
            return created.status, media[0].content_type
        finally:
            await http.close()

    assert asyncio.run(scenario()) == ("queued", "audio/ogg")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # aiohttp 3.14 deprecates auth=
def test_aiohttp_follows_the_media_redirect_to_the_cdn_without_the_credentials(
    twilio: FakeTwilioApi,
) -> None:
    media = twilio.add_media(b"OggS via aiohttp")

    async def download() -> bytes:
        auth = aiohttp.BasicAuth(twilio.account_sid, twilio.auth_token)
        async with aiohttp.ClientSession() as session, session.get(media.url, auth=auth) as r:
            return await r.read()

    assert asyncio.run(download()) == b"OggS via aiohttp"
    assert twilio.problems() == []  # no Authorization reached the CDN


REAL = ["https://api.twilio.com/2010-04-01/Accounts.json", "https://mms.twiliocdn.com/x",
        "https://s3.eu-west-1.amazonaws.com/b/k"]  # fmt: skip
STOPPED = r"Request to .* stopped: .* is a real (Twilio|AWS) host .*docs/errors\.md#realhosterror"


@pytest.mark.parametrize("url", REAL[1:])
def test_requests_urllib3_and_httpx_to_a_real_host_get_the_error_naming_the_fixture(
    twilio: FakeTwilioApi, url: str
) -> None:
    with pytest.raises(RealHostError, match=STOPPED):
        requests.get(url, timeout=1)
    with pytest.raises(RealHostError, match=STOPPED):
        urllib3.PoolManager().request("GET", url, retries=False)
    with pytest.raises(RealHostError, match=STOPPED):
        httpx.get(url)


def test_an_unclaimed_real_twilio_host_names_twilio_api_and_aws_names_s3_bucket() -> None:
    from ai_voice_shared_testing import FakeLookupServer

    with FakeLookupServer().intercept():
        with pytest.raises(RealHostError, match="request the twilio_api fixture"):
            requests.get(REAL[0], timeout=1)
        with pytest.raises(RealHostError, match="use the s3_bucket or s3_env fixture"):
            httpx.get(REAL[2])


def test_aiohttp_to_a_real_host_gets_the_error(twilio: FakeTwilioApi) -> None:
    async def get() -> None:
        async with aiohttp.ClientSession() as session:
            await session.get(REAL[1])

    with pytest.raises(RealHostError, match=r"Request to mms\.twiliocdn\.com:443 stopped"):
        asyncio.run(get())


def test_boto3_to_real_aws_gets_the_error_under_the_http_fakes(twilio: FakeTwilioApi) -> None:
    s3 = boto3.client(
        "s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )

    with pytest.raises(RealHostError, match=r"Request to https://.*amazonaws\.com/ stopped"):
        s3.list_buckets()


def test_the_guard_is_lifted_only_when_the_last_fake_or_guard_leaves() -> None:
    import socket

    from ai_voice_shared_testing._http.interception import guard_real_hosts

    original = socket.getaddrinfo
    with guard_real_hosts():
        with FakeTwilioApi().intercept():
            pass
        assert socket.getaddrinfo is not original
    assert socket.getaddrinfo is original


def test_users_mocks_of_a_real_host_answer_before_the_guard(twilio: FakeTwilioApi) -> None:
    import respx
    from botocore.stub import Stubber

    with respx.mock() as router:
        router.get(REAL[2]).respond(200, text="respx")
        assert httpx.get(REAL[2]).text == "respx"
    s3 = boto3.client(
        "s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(s3) as stubber:
        stubber.add_response("list_buckets", {"Buckets": []})
        assert s3.list_buckets()["Buckets"] == []
