"""The FastAPI aliases: webhook parameters as types, verified from the environment."""

from __future__ import annotations

import subprocess
import sys

from fastapi import FastAPI
from starlette.testclient import TestClient

from ai_voice_shared.adapters.fastapi import (
    TwilioPayload,
    TwilioStatus,
    TwilioWebhook,
    TwiMLResponse,
)
from ai_voice_shared_testing import TwilioWebhookSender

app = FastAPI()


@app.post("/hook")
async def hook(payload: TwilioPayload) -> TwiMLResponse:
    return TwiMLResponse(f"got {payload.message_sid}")


@app.post("/status")
async def status(callback: TwilioStatus) -> TwiMLResponse:
    return TwiMLResponse(headers={"X-Status": callback.message_status.value})


@app.post("/any")
async def any_webhook(webhook: TwilioWebhook) -> dict[str, object]:
    return {"token": webhook.unsigned_idempotency_token, "json": webhook.json}


def test_each_alias_receives_its_verified_webhook(twilio_webhook: TwilioWebhookSender) -> None:
    client = TestClient(app)

    message = twilio_webhook.post(client, "/hook")
    callback = twilio_webhook.status_callback(client, "/status", message_status="read")
    document = twilio_webhook.send(client, twilio_webhook.sign_json("/any", [1, 2]))

    assert f"got {twilio_webhook.requests[0].payload.message_sid}" in message.text  # type: ignore[union-attr]
    assert callback.headers["x-status"] == "read"
    assert document.json() == {"token": twilio_webhook.last.idempotency_token, "json": [1, 2]}


def test_the_aliases_refuse_a_forged_webhook(twilio_webhook: TwilioWebhookSender) -> None:
    assert twilio_webhook.forged(TestClient(app), "/hook").status_code == 403


def test_without_fastapi_the_adapter_says_which_extra_to_install() -> None:
    probe = (
        "import sys; sys.modules['fastapi'] = None\n"
        "try:\n    import ai_voice_shared.adapters.fastapi\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == (
        "ai_voice_shared.adapters.fastapi needs 'fastapi', which is not installed: "
        "pip install 'ai-voice-shared[fastapi]'"
    )
