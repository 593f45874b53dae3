"""The same small webhook app on every adapter, for tests that must hold on all of them.

Each app answers ``POST /hook`` and ``POST /t/<tenant>/hook`` (an inbound message: TwiML naming
its ``MessageSid``, with the checked public URL and idempotency token in ``X-Checked-Url`` and
``X-Token``),
``POST /status`` (a status callback: empty TwiML) and ``POST /json`` (a JSON webhook, echoed).
"""

# ruff: noqa: I002
# No `from __future__ import annotations` here: the FastAPI endpoints below are closures over
# `verifier`, and FastAPI resolves string annotations in module globals only.

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from ai_voice_shared import (
    InvalidTwilioPayloadError,
    InvalidTwilioSignatureError,
    TwilioStatusCallback,
    TwilioWebhookPayload,
    TwilioWebhookVerifier,
    VerifiedWebhook,
    messaging_response,
)
from ai_voice_shared.twiml import TWIML_MEDIA_TYPE

FRAMEWORKS = ["fastapi", "starlette", "flask", "wsgi"]


def _answer_headers(webhook: VerifiedWebhook) -> dict[str, str]:
    return {
        "X-Checked-Url": webhook.public_url,
        "X-Token": webhook.unsigned_idempotency_token or "",
    }


def fastapi_app(verifier: TwilioWebhookVerifier | None = None) -> Any:
    from ai_voice_shared.adapters.starlette import (
        TwiMLResponse,
        twilio_payload,
        verified_twilio_webhook,
    )

    app = FastAPI()

    @app.post("/hook")
    @app.post("/t/{tenant}/hook")
    async def hook(
        request: Request,
        payload: Annotated[TwilioWebhookPayload, Depends(twilio_payload(verifier))],
    ) -> TwiMLResponse:
        webhook: VerifiedWebhook = request.state.twilio_webhook
        assert await request.body() == webhook.body  # the endpoint can still read the body
        return TwiMLResponse(f"got {payload.message_sid}", headers=_answer_headers(webhook))

    @app.post("/status")
    async def status(
        callback: Annotated[
            TwilioStatusCallback, Depends(twilio_payload(verifier, model=TwilioStatusCallback))
        ],
    ) -> TwiMLResponse:
        return TwiMLResponse(headers={"X-Status": callback.message_status.value})

    @app.post("/json")
    async def json_hook(
        webhook: Annotated[VerifiedWebhook, Depends(verified_twilio_webhook(verifier))],
    ) -> dict[str, Any]:
        return {"json": webhook.json}

    return app


def starlette_app(verifier: TwilioWebhookVerifier | None = None) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    from ai_voice_shared.adapters.starlette import TwiMLResponse, verify_request

    def refused(exc: InvalidTwilioSignatureError | InvalidTwilioPayloadError) -> Response:
        return PlainTextResponse(str(exc), exc.http_status)

    async def hook(request: Request) -> Response:
        try:
            webhook = await verify_request(request, verifier)
        except (InvalidTwilioSignatureError, InvalidTwilioPayloadError) as exc:
            return refused(exc)
        assert isinstance(webhook.payload, TwilioWebhookPayload)
        return TwiMLResponse(f"got {webhook.payload.message_sid}", headers=_answer_headers(webhook))

    async def status(request: Request) -> Response:
        try:
            webhook = await verify_request(request, verifier, model=TwilioStatusCallback)
        except (InvalidTwilioSignatureError, InvalidTwilioPayloadError) as exc:
            return refused(exc)
        assert isinstance(webhook.payload, TwilioStatusCallback)
        return TwiMLResponse(headers={"X-Status": webhook.payload.message_status.value})

    async def json_hook(request: Request) -> Response:
        try:
            webhook = await verify_request(request, verifier)
        except (InvalidTwilioSignatureError, InvalidTwilioPayloadError) as exc:
            return refused(exc)
        return JSONResponse({"json": webhook.json})

    return Starlette(
        routes=[
            Route("/hook", hook, methods=["POST"]),
            Route("/t/{tenant}/hook", hook, methods=["POST"]),
            Route("/status", status, methods=["POST"]),
            Route("/json", json_hook, methods=["POST"]),
        ]
    )


def flask_app(verifier: TwilioWebhookVerifier | None = None) -> Any:
    import flask

    from ai_voice_shared.adapters.flask import twilio_webhook_view, twiml_response

    app = flask.Flask("aivs-test")

    @app.post("/hook")
    @app.post("/t/<tenant>/hook")
    @twilio_webhook_view(verifier)
    def hook(payload: TwilioWebhookPayload, tenant: str = "") -> Any:
        webhook: VerifiedWebhook = flask.g.twilio_webhook
        assert flask.request.get_data() == webhook.body  # the view can still read the body
        response = twiml_response(f"got {payload.message_sid}")
        response.headers.update(_answer_headers(webhook))
        return response

    @app.post("/status")
    @twilio_webhook_view(verifier, model=TwilioStatusCallback, argument="callback")
    def status(callback: TwilioStatusCallback) -> Any:
        response = twiml_response()
        response.headers["X-Status"] = callback.message_status.value
        return response

    @app.post("/json")
    @twilio_webhook_view(verifier)
    def json_hook(payload: None) -> Any:
        return {"json": flask.g.twilio_webhook.json}

    return app


def wsgi_app(verifier: TwilioWebhookVerifier | None = None) -> Callable[..., Iterable[bytes]]:
    """A WSGI app with no framework at all."""
    from ai_voice_shared.adapters.wsgi import verify_environ

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        path = environ["PATH_INFO"]
        model: type[Any] = TwilioStatusCallback if path == "/status" else TwilioWebhookPayload
        # any other path is the /hook endpoint (bare WSGI has no router)
        try:
            webhook = verify_environ(environ, verifier, model=model)
        except (InvalidTwilioSignatureError, InvalidTwilioPayloadError) as exc:
            start_response(f"{exc.http_status} Refused", [("Content-Type", "text/plain")])
            yield str(exc).encode()
            return
        headers = [("Content-Type", TWIML_MEDIA_TYPE), *_answer_headers(webhook).items()]
        if path == "/json":
            start_response("200 OK", [("Content-Type", "application/json")])
            yield json.dumps({"json": webhook.json}).encode()
        elif isinstance(webhook.payload, TwilioStatusCallback):
            start_response("200 OK", [*headers, ("X-Status", webhook.payload.message_status)])
            yield messaging_response().encode()
        else:
            assert webhook.payload is not None
            start_response("200 OK", headers)
            yield messaging_response(f"got {webhook.payload.message_sid}").encode()

    return app


def client_for(framework: str, verifier: TwilioWebhookVerifier | None = None) -> Any:
    """A test client of that framework's app, as a user of it would write one."""
    if framework in ("fastapi", "starlette"):
        from starlette.testclient import TestClient

        factory = fastapi_app if framework == "fastapi" else starlette_app
        return TestClient(factory(verifier))
    if framework == "flask":
        return flask_app(verifier).test_client()
    import httpx

    return httpx.Client(
        transport=httpx.WSGITransport(wsgi_app(verifier)), base_url="http://testserver"
    )


def refusal(response: Any) -> str:
    """The message a refused request carries, whatever the framework."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json()["detail"])
    return str(response.text)
