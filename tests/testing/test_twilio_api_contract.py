"""Every answer of FakeTwilioApi, checked against Twilio's own OpenAPI description (the
vendored twilio-oai subset, tests/data/twilio_oai/), error answers against Twilio's error
document."""

from __future__ import annotations

import httpx
import pytest

from ai_voice_shared_testing import FakeTwilioApi
from tests.testing.twilio_oai import operation, problems, spec


def exercise(twilio: FakeTwilioApi) -> list[httpx.Response]:
    """One of each answer the fake gives at the API host, successes and errors."""
    auth = (twilio.api_key_sid, twilio.api_key_secret)
    messages = f"{twilio.api_base_url}/2010-04-01/Accounts/{twilio.account_sid}/Messages"
    first = twilio.add_media(b"a", content_type="image/jpeg")
    message_sid = first.url.split("/Messages/")[1].split("/")[0]
    twilio.add_media(b"b", content_type="image/png", message_sid=message_sid)
    media_sid = first.url.rsplit("/", 1)[1]
    with httpx.Client(auth=auth) as client:
        created = client.post(
            f"{messages}.json",
            data={"To": "whatsapp:+15555550100", "From": "whatsapp:+15555550101", "Body": "hi",
                  "StatusCallback": "https://app.aivs.test/status"},
        )  # fmt: skip
        twilio.deliver_status(created.json()["sid"], "failed", client=httpx.Client(transport=_ok()))
        return [
            created,
            client.get(f"{messages}/{created.json()['sid']}.json"),
            client.get(f"{messages}.json", params={"PageSize": 1}),
            client.get(f"{messages}/{message_sid}/Media.json", params={"PageSize": 1}),
            client.get(f"{messages}/{message_sid}/Media.json", params={"PageSize": 1, "Page": 1}),
            client.get(f"{messages}/{message_sid}/Media/{media_sid}.json"),
            client.delete(f"{messages}/{message_sid}/Media/{media_sid}.json"),
            client.post(f"{messages}.json", data={"To": "+15555550100", "Body": "no sender"}),
            client.post(f"{messages}.json", data={"From": "+15555550100", "Body": "no to"}),
            client.get(f"{messages}/{message_sid}/Media.json", params={"PageSize": "x"}),
            client.put(f"{messages}.json"),
            client.get(f"{messages}/{message_sid}/Media/{media_sid}.json"),
            httpx.get(f"{messages}.json"),
        ]


def _ok() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(204))


def test_every_answer_of_the_fake_matches_twilio_oai() -> None:
    with FakeTwilioApi().intercept() as twilio:
        answers = exercise(twilio)

    statuses = [r.status_code for r in answers]
    found = [
        line
        for r in answers
        for line in problems(r.request.method, r.request.url.path, r.status_code, r.content)
    ]
    assert statuses == [201, 200, 200, 200, 200, 200, 204, 400, 400, 400, 405, 404, 401]
    assert found == []


def test_the_checker_itself_catches_an_answer_that_departs_from_the_schema() -> None:
    path = "/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages/MM" + "0" * 32 + "/Media.json"

    found = problems("GET", path, 200, b'{"media_list": [{"sid": "XX1"}], "page": 0}')

    assert found
    assert all("media_list/0/sid" in line for line in found)


def test_the_vendored_subset_names_its_source_and_holds_what_the_fake_serves() -> None:
    source = spec()["x-aivs-source"]

    assert source["repository"] == "https://github.com/twilio/twilio-oai"
    assert len(source["commit"]) == 40
    assert operation("DELETE", "/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1.json")[
        "responses"
    ].keys() == {"204"}


@pytest.mark.parametrize(
    ("index", "schema"),
    [(0, "api.v2010.account.message"), (5, "api.v2010.account.message.media")],
    ids=["Message", "Media"],
)
def test_the_fakes_resources_carry_every_field_of_the_schema_and_no_other(
    index: int, schema: str
) -> None:
    # twilio-oai marks no field required: without this, a field the fake forgot would pass.
    with FakeTwilioApi().intercept() as twilio:
        answer = exercise(twilio)[index]

    assert set(answer.json()) == set(spec()["components"]["schemas"][schema]["properties"])
