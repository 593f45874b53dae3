"""The reference service's tests: nothing but the ai-voice-shared fixtures.

``twilio_webhook`` signs webhooks as Twilio does, ``twilio_api`` serves their media,
``lookup_server`` answers the customer lookups and ``s3_bucket`` stores the notes; the app
builds its own clients from the environment the ``*_env`` fixtures set, as in production.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from ai_voice_shared import DeliveryStore
from ai_voice_shared_testing import (
    FakeLookupServer,
    FakeTwilioApi,
    S3Bucket,
    TwilioWebhookSender,
    VirtualTime,
)
from examples.webhook_handler import create_app

HOOK = "/twilio/whatsapp"
SENDER = "+15555550100"


@pytest.fixture
def client(
    twilio_webhook: TwilioWebhookSender, s3_env: S3Bucket, lookup_env: FakeLookupServer
) -> Iterator[TestClient]:
    with TestClient(create_app()) as client:  # runs the lifespan: clients built from env
        yield client


@pytest.fixture
def replicas(
    twilio_webhook: TwilioWebhookSender,
    s3_env: S3Bucket,
    lookup_env: FakeLookupServer,
    delivery_store: DeliveryStore,
) -> Iterator[list[TestClient]]:
    """Two replicas of the service, built from the same environment: one S3, one store."""
    with TestClient(create_app()) as one, TestClient(create_app()) as two:
        yield [one, two]


class Answer(Protocol):
    """A test client's response (``httpx.Response`` or ``httpx2.Response``, as Starlette's)."""

    @property
    def text(self) -> str: ...


def reply(response: Answer) -> str:
    """The text of the TwiML reply (``""`` for an empty one)."""
    document = ET.fromstring(response.text)
    assert document.tag == "Response"
    return document.findtext("Message/Body") or ""


def test_a_voice_note_is_stored_with_its_customer_and_thanked_for(
    client: TestClient,
    twilio_webhook: TwilioWebhookSender,
    twilio_api: FakeTwilioApi,
    lookup_server: FakeLookupServer,
    s3_bucket: S3Bucket,
) -> None:
    lookup_server.add_customer(SENDER, company_name="Acme Ltd")
    payload = twilio_api.voice_note(b"OggS voice", from_=f"whatsapp:{SENDER}")

    response = twilio_webhook.post(client, HOOK, payload)

    assert response.status_code == 200
    assert reply(response) == "Thanks, Acme Ltd! We got your voice note."
    [key] = s3_bucket.keys()
    assert s3_bucket.get(key) == b"OggS voice"
    metadata = s3_bucket.service.head_object(key).metadata
    assert metadata["twilio-message-sid"] == payload.message_sid
    assert "customer-id" in metadata


def test_a_redelivered_webhook_is_handled_once_and_answered_without_a_second_reply(
    client: TestClient,
    twilio_webhook: TwilioWebhookSender,
    twilio_api: FakeTwilioApi,
    s3_bucket: S3Bucket,
) -> None:
    twilio_webhook.post(client, HOOK, twilio_api.voice_note(b"OggS once"))

    again = twilio_webhook.redeliver(client)

    assert again.status_code == 200
    assert reply(again) == ""
    assert len(s3_bucket.keys()) == 1
    assert [call.operation for call in s3_bucket.calls].count("PutObject") == 1
    assert len(twilio_api.requests) == 2  # one media GET, one CDN GET: none for the retry


def test_a_forged_webhook_is_refused_before_anything_is_fetched_or_stored(
    client: TestClient,
    twilio_webhook: TwilioWebhookSender,
    twilio_api: FakeTwilioApi,
    s3_bucket: S3Bucket,
) -> None:
    response = twilio_webhook.forged(client, HOOK, twilio_api.voice_note())

    assert response.status_code == 403
    assert twilio_api.requests == []
    assert s3_bucket.keys() == []


def test_a_text_message_asks_for_a_voice_note_and_stores_nothing(
    client: TestClient, twilio_webhook: TwilioWebhookSender, s3_bucket: S3Bucket
) -> None:
    response = twilio_webhook.post(client, HOOK, body="hello", media=())

    assert reply(response) == "Send us a voice note and we will take it from there."
    assert s3_bucket.keys() == []


def test_an_unknown_sender_or_a_lookup_outage_still_gets_the_note_stored(
    client: TestClient,
    twilio_webhook: TwilioWebhookSender,
    twilio_api: FakeTwilioApi,
    lookup_server: FakeLookupServer,
    s3_bucket: S3Bucket,
) -> None:
    unknown = twilio_webhook.post(client, HOOK, twilio_api.voice_note(b"OggS 1"))
    lookup_server.fail(503, times=3)  # every attempt of one lookup
    outage = twilio_webhook.post(client, HOOK, twilio_api.voice_note(b"OggS 2"))

    assert [reply(unknown), reply(outage)] == ["Thanks! We got your voice note."] * 2
    assert len(s3_bucket.keys()) == 2


def test_s3_throttling_is_retried_without_waiting_and_the_note_stored(
    client: TestClient,
    twilio_webhook: TwilioWebhookSender,
    twilio_api: FakeTwilioApi,
    s3_bucket: S3Bucket,
    aivs_clock: VirtualTime,
) -> None:
    s3_bucket.fail("PutObject", code="SlowDown", status=503, times=2)

    response = twilio_webhook.post(client, HOOK, twilio_api.voice_note())

    assert response.status_code == 200
    assert len(s3_bucket.keys()) == 1
    assert aivs_clock.waited > 0


def test_an_s3_outage_answers_503_so_twilio_delivers_again_and_the_retry_stores_it(
    client: TestClient,
    twilio_webhook: TwilioWebhookSender,
    twilio_api: FakeTwilioApi,
    s3_bucket: S3Bucket,
) -> None:
    s3_bucket.fail("PutObject", code="ServiceUnavailable", status=503, times=5)

    # Twilio retries a 5xx only when the webhook URL's retry policy says so: configure it so.
    answer = twilio_webhook.post(client, HOOK + "#rp=ct,rt,5xx", twilio_api.voice_note())

    assert [attempt.status for attempt in twilio_webhook.last_delivery.attempts] == [503, 200]
    assert answer.status_code == 200
    assert len(s3_bucket.keys()) == 1


def test_media_twilio_no_longer_has_is_answered_with_an_apology_not_a_retry(
    client: TestClient,
    twilio_webhook: TwilioWebhookSender,
    twilio_api: FakeTwilioApi,
    s3_bucket: S3Bucket,
) -> None:
    payload = twilio_api.voice_note()
    media_sid = payload.media[0].media_sid
    assert media_sid is not None
    twilio_api.remove_media(media_sid)

    response = twilio_webhook.post(client, HOOK, payload)

    assert response.status_code == 200
    assert reply(response) == "Sorry, we could not get your voice note; please send it again."
    assert s3_bucket.keys() == []


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_signed_message_gets_a_twiml_answer_and_every_voice_note_is_stored(
    client: TestClient,
    twilio_webhook: TwilioWebhookSender,
    twilio_api: FakeTwilioApi,
    s3_bucket: S3Bucket,
    data: st.DataObject,
) -> None:
    s3_bucket.clear()
    # Each example is a new webhook: forget the ones an earlier example's SIDs handled.
    client.app.state.services.guard.clear()  # type: ignore[attr-defined]
    payload = data.draw(twilio_api.payloads())  # media the fake serves: the storing path runs

    response = twilio_webhook.post(client, HOOK, payload)

    assert response.status_code == 200, response.text
    voice_notes = [item for item in payload.media if item.is_audio]
    if voice_notes:
        assert reply(response).endswith("We got your voice note.")
        assert len(s3_bucket.keys()) == len(payload.media)
    else:
        assert reply(response).startswith("Send us a voice note")


@pytest.mark.aivs_delivery(stores=["s3", "redis"])
@pytest.mark.parametrize("concurrently", [False, True], ids=["one after the other", "at once"])
def test_one_webhook_delivered_to_two_replicas_is_handled_once(
    replicas: list[TestClient],
    twilio_webhook: TwilioWebhookSender,
    twilio_api: FakeTwilioApi,
    lookup_server: FakeLookupServer,
    s3_bucket: S3Bucket,
    concurrently: bool,
) -> None:
    lookup_server.add_customer(SENDER, company_name="Acme Ltd")
    note = twilio_api.voice_note(b"OggS fleet", from_=f"whatsapp:{SENDER}")

    answers = twilio_webhook.deliver_to(
        replicas, twilio_webhook.sign(HOOK, note), concurrently=concurrently
    )

    assert sorted(answer.status_code for answer in answers) in ([200, 200], [200, 503])
    assert sorted(map(reply, answers))[-1] == "Thanks, Acme Ltd! We got your voice note."
    assert lookup_server.lookups == [SENDER]
    assert len(twilio_api.requests) == 2  # the media once: one API GET, one CDN GET
    assert len(s3_bucket.keys(note.account_sid)) == 1
