"""The bare WSGI adapter: URLs as real servers hand them over, bodies as WSGI allows reading."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest

from ai_voice_shared import InvalidTwilioSignatureError, WebhookBodyTooLargeError
from ai_voice_shared.adapters.wsgi import environ_headers, verify_environ, wsgi_request_url
from ai_voice_shared_testing import TwilioWebhookSender
from tests.shared.adapters.apps import wsgi_app


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def real_server(twilio_webhook: TwilioWebhookSender) -> Iterator[str]:
    """The bare WSGI app behind the standard library's server, on a loopback port."""
    server = make_server("127.0.0.1", 0, wsgi_app(), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/hook", "/t/caf%C3%A9%20bar/hook?q=%E2%82%AC&e="])
def test_a_real_server_hands_over_what_twilio_signed(
    twilio_webhook: TwilioWebhookSender, real_server: str, path: str
) -> None:
    with httpx.Client(base_url=real_server) as client:
        response = twilio_webhook.post(client, path)

    assert response.status_code == 200, response.text
    assert response.headers["x-checked-url"] == "https://webhooks.aivs.test" + path


def test_a_forged_request_to_a_real_server_is_answered_403(
    twilio_webhook: TwilioWebhookSender, real_server: str
) -> None:
    with httpx.Client(base_url=real_server) as client:
        assert twilio_webhook.forged(client, "/hook").status_code == 403


def environ(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "app.internal:8000",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/hook",
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(b""),
    }
    return {**base, **values}


@pytest.mark.parametrize(
    ("values", "url"),
    [
        ({}, "http://app.internal:8000/hook"),
        ({"QUERY_STRING": "a=%2F&b="}, "http://app.internal:8000/hook?a=%2F&b="),
        (
            {"RAW_URI": "/t/a%2Fb/hook?x=1", "QUERY_STRING": "x=1"},
            "http://app.internal:8000/t/a%2Fb/hook?x=1",
        ),
        ({"REQUEST_URI": "http://app.internal:8000/t/%7Eme"}, "http://app.internal:8000/t/%7Eme"),
        (
            {"SCRIPT_NAME": "/api", "PATH_INFO": "/t/cafÃ©"},
            "http://app.internal:8000/api/t/caf%C3%A9",
        ),
        ({"PATH_INFO": "/t/café"}, "http://app.internal:8000/t/caf%C3%A9"),
        (
            {
                "HTTP_HOST": "",
                "SERVER_NAME": "10.0.0.5",
                "SERVER_PORT": "443",
                "wsgi.url_scheme": "https",
            },
            "https://10.0.0.5/hook",
        ),
        (
            {"HTTP_HOST": "", "SERVER_NAME": "10.0.0.5", "SERVER_PORT": "8080"},
            "http://10.0.0.5:8080/hook",
        ),
    ],
)
def test_the_wsgi_url_is_the_one_the_server_received(values: dict[str, Any], url: str) -> None:
    assert wsgi_request_url(environ(**values)) == url


def test_environ_headers_gives_back_the_request_headers() -> None:
    headers = dict(
        environ_headers(
            environ(
                CONTENT_TYPE="application/x-www-form-urlencoded",
                CONTENT_LENGTH="3",
                HTTP_X_TWILIO_SIGNATURE="abc=",
                HTTP_I_TWILIO_IDEMPOTENCY_TOKEN="t",
            )
        )
    )

    assert headers == {
        "Host": "app.internal:8000",
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": "3",
        "X-Twilio-Signature": "abc=",
        "I-Twilio-Idempotency-Token": "t",
    }


def test_without_a_length_an_unterminated_input_is_not_read(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    class Endless(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("PEP 3333: without CONTENT_LENGTH the input must not be read")

    with pytest.raises(InvalidTwilioSignatureError):
        verify_environ(environ(**{"wsgi.input": Endless()}), twilio_webhook.verifier())


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    verifier = twilio_webhook.verifier()
    verifier.max_body_bytes = 10

    with pytest.raises(WebhookBodyTooLargeError) as caught:
        verify_environ(environ(CONTENT_LENGTH="11"), verifier)

    assert caught.value.http_status == 413
    assert caught.value.limit == 10
