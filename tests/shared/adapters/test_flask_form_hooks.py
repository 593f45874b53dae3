"""Flask apps whose ``before_request`` hooks read the form first: Werkzeug consumed the body,
so the adapter verifies from the parsed form (Twilio signs the sorted parameters, not the
bytes), in the test client and under Werkzeug's real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ai_voice_shared_testing import TwilioWebhookSender
from tests.shared.adapters.flask_hook_app import create_app

ROOT = Path(__file__).parents[3]


@pytest.mark.parametrize("read", ["form", "values"])
def test_a_hook_that_read_the_form_first_does_not_make_genuine_webhooks_forged(
    twilio_webhook: TwilioWebhookSender, read: str
) -> None:
    client = create_app(read).test_client()

    response = twilio_webhook.post(client, "/hook", body="héllo & more+plus")

    assert response.status_code == 200, response.text
    assert twilio_webhook.last.payload.message_sid in response.text  # type: ignore[union-attr]


def test_a_forged_webhook_is_still_refused_after_a_hook_read_the_form(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    response = twilio_webhook.forged(create_app("form").test_client(), "/hook")

    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.text


def test_a_signed_webhook_with_a_field_added_on_the_way_is_refused_after_the_hook(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    signed = twilio_webhook.sign("/hook")
    tampered = signed.body + b"&Extra=1"

    response = (
        create_app("form")
        .test_client()
        .post(
            "/hook",
            data=tampered,
            headers={**signed.headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
    )

    assert response.status_code == 403


@pytest.fixture
def werkzeug_server(twilio_webhook: TwilioWebhookSender) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.shared.adapters.flask_hook_app", str(port)],
        cwd=ROOT,
        env={**os.environ, **twilio_webhook.environment(), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/", timeout=5)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the Werkzeug server did not start") from None
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_under_werkzeug_a_hook_reading_request_values_lets_genuine_webhooks_through(
    werkzeug_server: str, twilio_webhook: TwilioWebhookSender
) -> None:
    with httpx.Client(base_url=werkzeug_server) as client:
        genuine = twilio_webhook.post(client, "/hook", body="voice note ✓")
        forged = twilio_webhook.forged(client, "/hook")

    assert genuine.status_code == 200, genuine.text
    assert forged.status_code == 403
