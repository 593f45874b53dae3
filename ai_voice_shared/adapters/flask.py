"""Twilio webhooks in Flask: a view decorator that verifies and parses, and TwiML.

    from flask import Flask
    from ai_voice_shared.adapters.flask import twilio_webhook_view, twiml_response

    app = Flask(__name__)

    @app.post("/twilio/webhook")
    @twilio_webhook_view()
    def webhook(payload):
        return twiml_response("Got it")

The view runs only for verified webhooks and receives the parsed payload as ``payload`` (or the
keyword named by ``argument``); ``flask.g.twilio_webhook`` holds the
:class:`~ai_voice_shared.webhooks.VerifiedWebhook`. A forged request is answered 403, a
malformed body 400, an oversized one 413, in plain text with the library's message (and logged
at WARNING). Install with ``ai-voice-shared[flask]`` (Flask 3.1 or later).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from ai_voice_shared.adapters._framework import missing
from ai_voice_shared.adapters.wsgi import environ_headers, wsgi_request_url
from ai_voice_shared.errors import (
    InvalidTwilioPayloadError,
    InvalidTwilioSignatureError,
    WebhookBodyTooLargeError,
)
from ai_voice_shared.models import TwilioStatusCallback, TwilioWebhookPayload
from ai_voice_shared.twiml import TWIML_MEDIA_TYPE, messaging_response
from ai_voice_shared.webhooks import TwilioWebhookVerifier, VerifiedWebhook

try:
    import flask
    from werkzeug.exceptions import RequestEntityTooLarge
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise missing("flask", "flask") from exc

__all__ = ["twilio_webhook_view", "twiml_response", "verify_flask_request"]

logger = logging.getLogger("ai_voice_shared.webhooks")
P = TypeVar("P", TwilioWebhookPayload, TwilioStatusCallback)
F = TypeVar("F", bound=Callable[..., Any])


def twiml_response(
    message: str | None = None, *, media_url: str | None = None, status: int = 200
) -> flask.Response:
    """A TwiML answer: empty (Twilio sends nothing back) or a reply, served as ``text/xml``."""
    return flask.Response(
        messaging_response(message, media_url=media_url), status, content_type=TWIML_MEDIA_TYPE
    )


def verify_flask_request(
    verifier: TwilioWebhookVerifier | None = None,
    *,
    model: type[P] = TwilioWebhookPayload,  # type: ignore[assignment]
) -> VerifiedWebhook[P]:
    """Verify and parse the current ``flask.request`` (body read through Flask, at most the
    verifier's ``max_body_bytes``), or raise the typed errors; ``verifier`` defaults to
    :meth:`TwilioWebhookVerifier.from_env`."""
    checker = verifier if verifier is not None else TwilioWebhookVerifier.from_env()
    request = flask.request
    limit = checker.max_body_bytes
    app_limit = request.max_content_length
    if app_limit is not None and app_limit < limit:
        limit = app_limit  # the app's MAX_CONTENT_LENGTH is stricter: keep it
    # One byte over the limit: Werkzeug cuts a chunked body at max_content_length without an
    # error on the first read, so a body longer than the limit must show as longer.
    request.max_content_length = limit + 1
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        body = None
    if body is None or len(body) > limit:
        if limit < checker.max_body_bytes:
            raise WebhookBodyTooLargeError(
                f"A webhook body over the {limit} bytes of this Flask app's "
                "MAX_CONTENT_LENGTH; Twilio's own bodies are a few KiB: raise MAX_CONTENT_LENGTH "
                "if a larger one is genuine.",
                limit=limit,
            )
        raise checker.too_large(request.content_length)
    if not body and "form" in request.__dict__:
        body = _parsed_form_body(request)
    environ = request.environ
    verified = checker.verify(
        wsgi_request_url(environ), environ_headers(environ), body, model=model
    )
    flask.g.twilio_webhook = verified
    return verified


def _parsed_form_body(request: flask.Request) -> bytes:
    """The form body when something read ``request.form`` (or ``request.values``) first, a
    ``before_request`` hook say: Werkzeug consumed the stream, and the raw body is gone.
    Twilio's signature covers the URL and the parameters sorted by name, not the bytes, so the
    parsed pairs, encoded again, verify (and parse) as the original did."""
    if request.files:
        return b""  # Twilio never sends a multipart body: nothing to rebuild it from
    return urlencode(list(request.form.items(multi=True))).encode("ascii")


def twilio_webhook_view(
    verifier: TwilioWebhookVerifier | None = None,
    *,
    model: type[P] = TwilioWebhookPayload,  # type: ignore[assignment]
    argument: str = "payload",
) -> Callable[[F], F]:
    """Decorate a Flask view (sync or async) to run only for a verified webhook, called with
    the parsed payload as the keyword ``argument`` (``None`` for a JSON webhook: read
    ``flask.g.twilio_webhook.json``). ``verifier`` defaults to the ``TWILIO_*`` environment."""

    def refuse(exc: InvalidTwilioSignatureError | InvalidTwilioPayloadError) -> flask.Response:
        logger.warning(
            "Twilio webhook to %s refused with %d: %s", flask.request.path, exc.http_status, exc
        )
        return flask.Response(str(exc), exc.http_status, content_type="text/plain; charset=utf-8")

    def decorate(view: F) -> F:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    webhook = verify_flask_request(verifier, model=model)
                except (InvalidTwilioSignatureError, InvalidTwilioPayloadError) as exc:
                    return refuse(exc)
                return await view(*args, **{**kwargs, argument: webhook.payload})

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                webhook = verify_flask_request(verifier, model=model)
            except (InvalidTwilioSignatureError, InvalidTwilioPayloadError) as exc:
                return refuse(exc)
            return view(*args, **{**kwargs, argument: webhook.payload})

        return wrapper  # type: ignore[return-value]

    return decorate
