"""FastAPI endpoints that declare body fields (``Form``) beside the webhook dependency: FastAPI
reads the body before any dependency, so such a route verifies first
(:class:`TwilioWebhookRoute`) or is refused; on real servers, a forged huge body is not read."""

# ruff: noqa: I002, N803
# No `from __future__ import annotations`: FastAPI resolves the endpoints' annotations, and
# those of closures over a verifier only from module globals.

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Form
from starlette.testclient import TestClient

from ai_voice_shared import ConfigurationError, TwilioWebhookPayload
from ai_voice_shared.adapters.fastapi import TwilioWebhookRoute, TwiMLResponse
from ai_voice_shared.adapters.starlette import twilio_payload
from ai_voice_shared_testing import TwilioWebhookSender

ROOT = Path(__file__).parents[3]
MiB = 1024 * 1024


def _app(sender: TwilioWebhookSender, *, route_class: type = TwilioWebhookRoute) -> FastAPI:
    verifier = sender.verifier()
    verifier.max_body_bytes = 4 * MiB
    router = APIRouter(route_class=route_class)

    @router.post("/hook")
    async def hook(
        MessageSid: Annotated[str, Form()],
        payload: Annotated[TwilioWebhookPayload, Depends(twilio_payload(verifier))],
    ) -> TwiMLResponse:
        assert payload.message_sid == MessageSid
        return TwiMLResponse(MessageSid)

    app = FastAPI()
    app.include_router(router)
    return app


def test_a_route_of_twilio_webhook_route_verifies_then_fastapi_parses_its_form_fields(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    response = twilio_webhook.post(TestClient(_app(twilio_webhook)), "/hook")

    assert response.status_code == 200, response.text
    assert twilio_webhook.last.payload.message_sid in response.text  # type: ignore[union-attr]


def test_a_forged_body_with_a_field_too_large_for_fastapi_is_answered_403_not_400(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    # A 3 MiB multipart field: Starlette's form parser refuses a part over 1 MiB with 400;
    # the signature is checked before it parses anything.
    response = TestClient(_app(twilio_webhook)).post(
        "/hook",
        files={"MessageSid": (None, b"x" * (3 * MiB))},
        headers={"X-Twilio-Signature": "forged"},
    )

    assert response.status_code == 403, response.text
    assert "X-Twilio-Signature" in response.json()["detail"]


def test_without_the_route_class_an_endpoint_with_form_fields_is_refused_naming_the_fix(
    twilio_webhook: TwilioWebhookSender,
) -> None:
    from fastapi.routing import APIRoute

    client = TestClient(_app(twilio_webhook, route_class=APIRoute))

    with pytest.raises(ConfigurationError) as refused:
        twilio_webhook.post(client, "/hook")

    assert str(refused.value).startswith(
        "The FastAPI endpoint POST /hook declares body fields (Form, File or Body) beside the "
        "Twilio webhook dependency, so FastAPI read and parsed the whole unsigned body before "
        "the signature could be checked"
    )
    assert "route_class=TwilioWebhookRoute" in str(refused.value)
    assert str(refused.value).endswith("See docs/webhooks.md#fastapi-body-fields.")


def test_a_route_of_the_class_without_a_webhook_dependency_is_a_plain_route() -> None:
    router = APIRouter(route_class=TwilioWebhookRoute)

    @router.post("/echo")
    async def echo(text: Annotated[str, Form()]) -> str:
        return text

    app = FastAPI()
    app.include_router(router)

    assert TestClient(app).post("/echo", data={"text": "hi"}).json() == "hi"


# -- real servers --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(params=["h11", "httptools"])
def server(request: pytest.FixtureRequest, twilio_webhook: TwilioWebhookSender) -> Iterator[str]:
    """``body_fields_app`` under uvicorn with the ``request.param`` HTTP implementation, in a
    process of its own; its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.shared.adapters.body_fields_app:app",
            "--http",
            request.param,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **twilio_webhook.environment(), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/peak-rss", timeout=5)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"uvicorn did not start: {process.stderr}") from None
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        assert process.stderr is not None
        process.stderr.close()


def _forge_chunked(port: int, size: int) -> tuple[bytes, int]:
    """POST a forged multipart body of ``size`` bytes (one file part, which Starlette's form
    parser takes whatever its size), chunked, as fast as the server takes it; the answer's
    first line, and how many bytes the server took before answering."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Twilio-Signature: forged\r\n"
            b"Content-Type: multipart/form-data; boundary=b0und\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        head = (
            b"--b0und\r\nContent-Disposition: form-data; name=Media; filename=a.ogg\r\n"
            b"Content-Type: audio/ogg\r\n\r\n"
        )
        chunk = b"%x\r\n" % MiB + b"x" * MiB + b"\r\n"
        tail = b"\r\n--b0und--\r\n"

        def pump() -> None:
            nonlocal sent
            try:
                sock.sendall(b"%x\r\n" % len(head) + head + b"\r\n")
                while sent < size:
                    sock.sendall(chunk)
                    sent += MiB
                sock.sendall(b"%x\r\n" % len(tail) + tail + b"\r\n0\r\n\r\n")
            except OSError:
                pass  # the server answered and closed: what is left is not read

        pumping = threading.Thread(target=pump, daemon=True)
        pumping.start()
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:
            pass
        with_answer = sent
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        pumping.join(30)
    return answer.split(b"\r\n", 1)[0], with_answer


def test_a_forged_huge_body_is_refused_before_the_server_reads_it(
    server: str, twilio_webhook: TwilioWebhookSender
) -> None:
    port = int(server.rsplit(":", 1)[1])
    with httpx.Client(base_url=server) as client:
        genuine = twilio_webhook.post(client, "/hook")
        assert genuine.status_code == 200, genuine.text  # verified, then the Form field parsed
        before = client.get("/peak-rss").json()

        status, taken = _forge_chunked(port, 128 * MiB)

        grown = client.get("/peak-rss").json() - before
    assert status == b"HTTP/1.1 413 Request Entity Too Large", status
    assert grown < 8 * MiB, f"the server's peak memory grew {grown / MiB:.1f} MiB"
    assert taken < 32 * MiB
