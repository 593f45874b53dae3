"""The Starlette/FastAPI adapter: what only it does (Form fields, streamed bodies, ASGI URLs)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from ai_voice_shared.adapters.starlette import (
    TwiMLResponse,
    asgi_request_url,
)
from ai_voice_shared_testing import TwilioWebhookSender
from tests.shared.adapters.apps import fastapi_app


def test_a_json_webhook_sent_to_a_form_endpoint_is_answered_400_saying_what_to_depend_on(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    response = twilio_webhook.send(TestClient(fastapi_app()), twilio_webhook.sign_json("/hook", {}))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "This endpoint takes form webhooks, and a JSON webhook (bodySHA256) came: "
        "depend on verified_twilio_webhook() to receive JSON webhooks."
    }


def test_a_streamed_body_without_content_length_is_cut_off_at_the_limit(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    verifier = twilio_webhook.verifier()
    verifier.max_body_bytes = 1000
    chunks_sent: list[int] = []

    def endless() -> Iterator[bytes]:
        for index in range(10_000):  # 640 MB if it were read whole
            chunks_sent.append(index)
            yield b"x" * 65536

    response = TestClient(fastapi_app(verifier)).post(
        "/hook", content=endless(), headers={"X-Twilio-Signature": "x"}
    )

    assert response.status_code == 413
    assert response.json()["detail"].startswith(
        "A webhook body of more than that exceeds the 1000 bytes this endpoint accepts"
    )


def test_refusals_are_logged_at_warning_with_the_path_and_status(
    twilio_webhook: TwilioWebhookSender, caplog: pytest.LogCaptureFixture
) -> None:
    twilio_webhook.forged(TestClient(fastapi_app()), "/hook")

    [record] = [r for r in caplog.records if r.name == "ai_voice_shared.webhooks"]
    assert record.levelname == "WARNING"
    assert record.getMessage().startswith("Twilio webhook to /hook refused with 403: ")


def test_twiml_response_escapes_and_serves_text_xml() -> None:
    response = TwiMLResponse("Tom & <Jerry>", media_url="https://x.example/a.png?a=1&b=2")

    assert response.media_type == "text/xml; charset=utf-8"
    assert response.body == (
        b'<?xml version="1.0" encoding="UTF-8"?><Response><Message><Body>Tom &amp; &lt;Jerry&gt;'
        b"</Body><Media>https://x.example/a.png?a=1&amp;b=2</Media></Message></Response>"
    )


def scope(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "http",
        "scheme": "http",
        "path": "/hook",
        "query_string": b"",
        "headers": [(b"host", b"app.internal:8000")],
    }
    return {**base, **values}


@pytest.mark.parametrize(
    ("values", "url"),
    [
        ({}, "http://app.internal:8000/hook"),
        ({"query_string": b"a=1&b=%2F"}, "http://app.internal:8000/hook?a=1&b=%2F"),
        (
            {"raw_path": b"/t/a%20b/hook", "path": "/t/a b/hook"},
            "http://app.internal:8000/t/a%20b/hook",
        ),
        ({"raw_path": b"/hook?x=1", "query_string": b"x=1"}, "http://app.internal:8000/hook?x=1"),
        ({"path": "/t/a b", "root_path": "/api"}, "http://app.internal:8000/api/t/a%20b"),
        # Starlette's Mount and recent servers keep the mount point in path: not added twice
        ({"path": "/api/hook", "root_path": "/api"}, "http://app.internal:8000/api/hook"),
        ({"headers": [], "server": ("10.0.0.5", 80)}, "http://10.0.0.5/hook"),
        (
            {"headers": [], "server": ("10.0.0.5", 8443), "scheme": "https"},
            "https://10.0.0.5:8443/hook",
        ),
    ],
)
def test_the_asgi_url_is_the_one_the_server_received(values: dict[str, Any], url: str) -> None:
    assert asgi_request_url(scope(**values)) == url


def test_without_starlette_the_adapter_says_which_extra_to_install() -> None:
    probe = (
        "import sys; sys.modules['starlette'] = None\n"
        "try:\n    import ai_voice_shared.adapters.starlette\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == (
        "ai_voice_shared.adapters.starlette needs 'starlette', which is not installed: "
        "pip install 'ai-voice-shared[starlette]'"
    )
