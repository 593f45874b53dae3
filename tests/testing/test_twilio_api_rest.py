"""FakeTwilioApi's REST API beyond the media download: Media metadata, list and delete,
Messages create and fetch, status callbacks signed as Twilio signs them, 401 before 404 on
every path, API keys, and a CDN URL that expires on the library's clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import parse_qsl

import httpx
import pytest
from twilio.request_validator import RequestValidator

from ai_voice_shared import TwilioMediaClient
from ai_voice_shared_testing import FakeTwilioApi, VirtualTime


@pytest.fixture
def twilio() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi().intercept() as fake:
        yield fake


def messages_url(twilio: FakeTwilioApi) -> str:
    return f"{twilio.api_base_url}/2010-04-01/Accounts/{twilio.account_sid}/Messages"


def auth(twilio: FakeTwilioApi) -> tuple[str, str]:
    return (twilio.account_sid, twilio.auth_token)


def test_media_metadata_is_served_as_twilios_media_resource(twilio: FakeTwilioApi) -> None:
    media = twilio.add_media(b"jpeg", content_type="image/jpeg")

    answer = httpx.get(media.url + ".json", auth=auth(twilio))

    assert answer.status_code == 200
    assert answer.json()["content_type"] == "image/jpeg"
    assert answer.json()["sid"] == media.url.rsplit("/", 1)[1]
    assert answer.json()["uri"] == media.url.removeprefix(twilio.api_base_url) + ".json"


def test_the_media_list_pages_with_twilios_paging_fields(twilio: FakeTwilioApi) -> None:
    payload = twilio.message(b"1", b"2", b"3")
    url = f"{messages_url(twilio)}/{payload.message_sid}/Media.json"

    first = httpx.get(url, params={"PageSize": 2}, auth=auth(twilio)).json()
    second = httpx.get(twilio.api_base_url + first["next_page_uri"], auth=auth(twilio)).json()

    assert [len(first["media_list"]), len(second["media_list"])] == [2, 1]
    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 2, 0, 1)
    assert (second["page"], second["start"], second["end"]) == (1, 2, 2)
    assert second["next_page_uri"] is None
    assert second["previous_page_uri"] == first["uri"]


def test_deleted_media_answers_204_then_404_and_is_no_longer_served(
    twilio: FakeTwilioApi,
) -> None:
    media = twilio.add_media(b"OggS")
    sid = media.url.rsplit("/", 1)[1]

    deleted = httpx.delete(media.url + ".json", auth=auth(twilio))
    again = httpx.get(media.url + ".json", auth=auth(twilio))

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert again.status_code == 404
    assert sid not in twilio.media_sids()
    assert twilio.problems() == []  # the 404 after a delete is expected, not stray


@pytest.mark.parametrize(
    "path",
    [
        "/2010-04-01/Accounts/{account}/Nothing.json",
        "/2010-04-01/Accounts/{account}/Messages/SM" + "0" * 32 + ".json",
        "/2010-04-01/Accounts/AC" + "1" * 32 + "/Messages.json",
        "/",
    ],
    ids=["an unknown resource", "an unknown message", "another account", "the root"],
)
def test_every_path_answers_401_before_404_without_credentials(
    twilio: FakeTwilioApi, path: str
) -> None:
    url = twilio.api_base_url + path.format(account=twilio.account_sid)

    bare = httpx.get(url)

    assert (bare.status_code, bare.json()["code"]) == (401, 20003)
    assert bare.headers["www-authenticate"] == 'Basic realm="Twilio API"'


def test_a_method_a_resource_does_not_take_gets_405_in_twilios_error_json(
    twilio: FakeTwilioApi,
) -> None:
    answer = httpx.put(f"{messages_url(twilio)}.json", auth=auth(twilio))

    assert answer.status_code == 405
    assert answer.json() == {
        "code": 20004,
        "message": "Method PUT not allowed",
        "more_info": "https://www.twilio.com/docs/errors/20004",
        "status": 405,
    }


def test_an_api_key_is_accepted_wherever_the_auth_token_is(twilio: FakeTwilioApi) -> None:
    payload = twilio.voice_note(b"OggS key")
    settings = twilio.settings(api_key_sid=twilio.api_key_sid, api_key_secret=twilio.api_key_secret)

    with TwilioMediaClient(settings) as client:
        content = client.download(payload.media[0])
    listed = httpx.get(
        f"{messages_url(twilio)}.json", auth=(twilio.api_key_sid, twilio.api_key_secret)
    )

    assert content == b"OggS key"
    assert listed.status_code == 200


def test_twilio_env_exports_the_api_key_pair_that_the_fake_accepts(
    twilio_env: FakeTwilioApi,
) -> None:
    assert os.environ["TWILIO_API_KEY_SID"] == twilio_env.api_key_sid
    assert os.environ["TWILIO_API_KEY_SECRET"] == twilio_env.api_key_secret
    payload = twilio_env.voice_note(b"OggS env")
    with TwilioMediaClient() as client:  # built from the environment: the API key wins
        assert client.download(payload.media[0]) == b"OggS env"


def test_the_cdn_url_of_a_redirect_expires_on_the_librarys_clock(twilio: FakeTwilioApi) -> None:
    media = twilio.add_media(b"OggS")
    with VirtualTime() as clock:
        location = httpx.get(media.url, auth=auth(twilio)).headers["location"]
        fresh = httpx.get(location)
        clock.advance(twilio.cdn_url_ttl + 1)
        stale = httpx.get(location)

    assert fresh.status_code == 200
    assert stale.status_code == 403
    assert b"Request has expired" in stale.content


def test_a_message_is_created_and_fetched_as_twilios_message_resource(
    twilio: FakeTwilioApi,
) -> None:
    created = httpx.post(
        f"{messages_url(twilio)}.json",
        data={"To": "whatsapp:+15555550100", "From": "whatsapp:+15555550101", "Body": "Olá"},
        auth=auth(twilio),
    )
    fetched = httpx.get(f"{messages_url(twilio)}/{created.json()['sid']}.json", auth=auth(twilio))

    assert created.status_code == 201
    assert created.json()["status"] == "queued"
    assert created.json()["direction"] == "outbound-api"
    assert fetched.json() == created.json()
    assert twilio.messages == [created.json()]


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": "+15555550101", "Body": "x"}, 21604),
        ({"To": "+15555550100", "Body": "x"}, 21603),
        ({"To": "+15555550100", "From": "+15555550101"}, 21602),
        ({"To": "555-0100", "From": "+15555550101", "Body": "x"}, 21211),
        ({"To": "whatsapp:+15555550100", "From": "+15555550101", "Body": "x"}, 21910),
        ({"To": "+15555550100", "From": "+15555550101", "Body": "x" * 1601}, 21617),
    ],
    ids=["no To", "no From", "no Body", "a bad To", "channels differ", "a body too long"],
)
def test_a_message_twilio_would_refuse_gets_400_with_twilios_code(
    twilio: FakeTwilioApi, form: dict[str, str], code: int
) -> None:
    answer = httpx.post(f"{messages_url(twilio)}.json", data=form, auth=auth(twilio))

    assert (answer.status_code, answer.json()["code"]) == (400, code)
    assert twilio.messages == []


def test_status_callbacks_reach_the_status_callback_url_signed_as_twilio_signs_them(
    twilio: FakeTwilioApi,
) -> None:
    received: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    callback = "https://app.aivs.test/twilio/status?tenant=7"
    sid = httpx.post(
        f"{messages_url(twilio)}.json",
        data={"To": "whatsapp:+15555550100", "From": "whatsapp:+15555550101", "Body": "hi",
              "StatusCallback": callback},
        auth=auth(twilio),
    ).json()["sid"]  # fmt: skip
    with httpx.Client(transport=httpx.MockTransport(app)) as client:
        for status in ("sent", "delivered", "read"):
            assert twilio.deliver_status(sid, status, client=client).status_code == 204  # type: ignore[union-attr]
        twilio.deliver_status(sid, "failed", client=client, error_code=63016)

    oracle = RequestValidator(twilio.auth_token)
    forms = [dict(parse_qsl(r.content.decode(), keep_blank_values=True)) for r in received]
    assert all(str(r.url) == callback for r in received)
    assert all(
        oracle.validate(callback, form, r.headers["x-twilio-signature"])
        for r, form in zip(received, forms, strict=True)
    )
    assert [f["MessageStatus"] for f in forms] == ["sent", "delivered", "read", "failed"]
    assert [f.get("EventType") for f in forms] == [None, "DELIVERED", "READ", None]
    assert forms[3]["ErrorCode"] == "63016"
    assert forms[0]["ChannelToAddress"] == "+15555550100"
    assert (
        httpx.get(f"{messages_url(twilio)}/{sid}.json", auth=auth(twilio)).json()["error_code"]
        == 63016
    )


def test_a_message_without_a_status_callback_url_only_changes_status(
    twilio: FakeTwilioApi,
) -> None:
    sid = httpx.post(
        f"{messages_url(twilio)}.json",
        data={"To": "+15555550100", "From": "+15555550101", "Body": "hi"},
        auth=auth(twilio),
    ).json()["sid"]

    assert twilio.deliver_status(sid, "delivered") is None
    assert twilio.messages[0]["status"] == "delivered"
    with pytest.raises(ValueError, match="unknown message status 'gone'"):
        twilio.deliver_status(sid, "gone")
