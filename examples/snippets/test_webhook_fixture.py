"""docs/testing-http.md: every way `twilio_webhook` sends a webhook to the app under test."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from ai_voice_shared.adapters.fastapi import TwilioPayload, TwilioStatus, TwiMLResponse
from ai_voice_shared_testing import FakeTwilioApi, TwilioWebhookSender

app = FastAPI()


@app.post("/hook")
async def hook(payload: TwilioPayload) -> TwiMLResponse:
    return TwiMLResponse()


@app.post("/status")
async def status(callback: TwilioStatus) -> TwiMLResponse:
    return TwiMLResponse()


def test_every_way_in(twilio_webhook: TwilioWebhookSender, twilio_api: FakeTwilioApi) -> None:
    client = TestClient(app)
    assert twilio_webhook.post(client, "/hook", twilio_api.voice_note()).status_code == 200
    assert twilio_webhook.redeliver(client).status_code == 200  # same token, same bytes
    assert twilio_webhook.forged(client, "/hook").status_code == 403
    callback = twilio_webhook.status_callback(client, "/status", message_status="read")
    assert callback.status_code == 200
    sent = twilio_webhook.last  # a SignedTwilioRequest
    assert sent.url == "https://webhooks.aivs.test/status"
    assert sent.headers["X-Twilio-Signature"] == sent.signature


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_through_an_async_client(twilio_webhook: TwilioWebhookSender) -> None:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        response = await twilio_webhook.apost(client, "/hook", body="hi", media=())
    assert response.status_code == 200
