"""The Flask adapter: what only it does (async views, the argument name, streamed bodies)."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import flask
from werkzeug.test import EnvironBuilder, run_wsgi_app

from ai_voice_shared import TwilioWebhookPayload
from ai_voice_shared.adapters.flask import twilio_webhook_view, twiml_response
from ai_voice_shared_testing import TwilioWebhookSender
from tests.shared.adapters.apps import flask_app


def test_an_async_view_gets_the_payload_too(twilio_webhook: TwilioWebhookSender) -> None:
    app = flask.Flask("aivs-async")

    @app.post("/hook")
    @twilio_webhook_view(argument="message")
    async def hook(message: TwilioWebhookPayload) -> Any:
        return twiml_response(f"async {message.message_sid}")

    response = twilio_webhook.post(app.test_client(), "/hook")

    assert response.status_code == 200, response.text
    assert f"async {twilio_webhook.last.payload.message_sid}" in response.text  # type: ignore[union-attr]


def test_a_streamed_body_without_content_length_is_cut_off_at_the_limit(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    verifier = twilio_webhook.verifier()
    verifier.max_body_bytes = 1000
    # A chunked body as a WSGI server hands it over: no CONTENT_LENGTH, the stream terminated.
    environ = EnvironBuilder(
        path="/hook", method="POST", headers=[("X-Twilio-Signature", "x")]
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": io.BytesIO(b"x" * 100_000), "wsgi.input_terminated": True})

    body, status, _ = run_wsgi_app(flask_app(verifier), environ, buffered=True)

    assert status == "413 REQUEST ENTITY TOO LARGE"
    assert b"".join(body).startswith(b"A webhook body of more than that exceeds the 1000 bytes")


def test_a_declared_length_over_the_limit_is_refused_without_reading(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    verifier = twilio_webhook.verifier()
    verifier.max_body_bytes = 1000

    response = flask_app(verifier).test_client().post("/hook", data=b"x" * 5000)

    assert response.status_code == 413
    assert response.text.startswith("A webhook body of 5000 bytes exceeds the 1000 bytes")
    assert response.content_type == "text/plain; charset=utf-8"


def test_the_app_max_content_length_is_kept_when_it_is_stricter(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    app = flask_app()
    app.config["MAX_CONTENT_LENGTH"] = 100

    response = twilio_webhook.post(app.test_client(), "/hook")

    assert response.status_code == 413
    assert response.text == (
        "A webhook body over the 100 bytes of this Flask app's MAX_CONTENT_LENGTH; Twilio's own "
        "bodies are a few KiB: raise MAX_CONTENT_LENGTH if a larger one is genuine."
    )


def test_without_flask_the_adapter_says_which_extra_to_install() -> None:
    probe = (
        "import sys; sys.modules['flask'] = None\n"
        "try:\n    import ai_voice_shared.adapters.flask\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == (
        "ai_voice_shared.adapters.flask needs 'flask', which is not installed: "
        "pip install 'ai-voice-shared[flask]'"
    )
