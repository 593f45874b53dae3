"""Twilio webhooks in Starlette and FastAPI: a dependency that verifies and parses, and TwiML.

    from fastapi import Depends, FastAPI
    from ai_voice_shared import TwilioWebhookPayload
    from ai_voice_shared.adapters.starlette import TwiMLResponse, twilio_payload

    app = FastAPI()

    @app.post("/twilio/webhook")
    async def webhook(payload: TwilioWebhookPayload = Depends(twilio_payload())) -> TwiMLResponse:
        return TwiMLResponse("Got it")

A forged request is answered 403, a malformed body 400, an oversized one 413, each with the
library's message (and logged at WARNING); the endpoint runs only for verified webhooks.
``request.state.twilio_webhook`` holds the :class:`~ai_voice_shared.webhooks.VerifiedWebhook`
(idempotency token, public URL, raw body). Without FastAPI, ``await verify_request(request)``
does the same and raises the typed errors. Install with ``ai-voice-shared[starlette]``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from ai_voice_shared.adapters._framework import missing
from ai_voice_shared.errors import (
    ConfigurationError,
    InvalidTwilioPayloadError,
    InvalidTwilioSignatureError,
)
from ai_voice_shared.models import TwilioStatusCallback, TwilioWebhookPayload
from ai_voice_shared.twiml import TWIML_MEDIA_TYPE, messaging_response
from ai_voice_shared.webhooks import TwilioWebhookVerifier, VerifiedWebhook, request_url_of

try:
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise missing("starlette", "starlette") from exc

__all__ = [
    "TwiMLResponse",
    "asgi_request_url",
    "twilio_payload",
    "verified_twilio_webhook",
    "verify_request",
]

logger = logging.getLogger("ai_voice_shared.webhooks")
#: The attribute marking the adapter's dependencies, which TwilioWebhookRoute runs first.
VERIFY_FIRST = "__aivs_verify_first__"
#: The scope key TwilioWebhookRoute sets once it has verified, before FastAPI read the body.
VERIFIED_FIRST = "aivs.verified_first"
P = TypeVar("P", TwilioWebhookPayload, TwilioStatusCallback)


class TwiMLResponse(Response):
    """A TwiML answer: empty (``TwiMLResponse()``, Twilio sends nothing back) or a reply
    (``TwiMLResponse("Got it", media_url=...)``), served as ``text/xml``."""

    media_type = TWIML_MEDIA_TYPE

    def __init__(
        self,
        message: str | None = None,
        *,
        media_url: str | None = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(messaging_response(message, media_url=media_url), status_code, headers)


def asgi_request_url(scope: Any) -> str:
    """The URL as the server received it: the raw path (percent-encoding kept, as Twilio
    signed it), the raw query string, the ``Host`` header (one that is not a host raises
    :class:`~ai_voice_shared.InvalidTwilioSignatureError`)."""
    headers = {key.lower(): value for key, value in scope.get("headers", ())}
    host = headers.get(b"host", b"").decode("latin-1")
    scheme = scope.get("scheme", "http")
    if not host:
        server = scope.get("server")
        if server:
            name, port = server
            default = {"http": 80, "https": 443}.get(scheme)
            host = name if port in (None, default) else f"{name}:{port}"
    raw_path = scope.get("raw_path")
    if raw_path:
        # raw_path is what the client sent (root_path included); a server may put the query in it
        path = raw_path.decode("latin-1").split("?", 1)[0]
    else:
        # root_path is the mount point: Starlette's Mount (and recent servers) keep it in path
        # too, older servers do not; it is added only where it is missing.
        root, path = scope.get("root_path", ""), scope.get("path", "/")
        full = path if not root or path.startswith(root) else root + path
        path = quote(full, safe="/:@!$&'()*+,;=~")
    query = scope.get("query_string", b"").decode("latin-1")
    return request_url_of(scheme, host, path, query)


async def verify_request(
    request: Request,
    verifier: TwilioWebhookVerifier | None = None,
    *,
    model: type[P] = TwilioWebhookPayload,  # type: ignore[assignment]
) -> VerifiedWebhook[P]:
    """Read ``request`` (up to the verifier's ``max_body_bytes``), verify and parse it, or raise
    the typed errors (each with its ``http_status``). ``verifier`` defaults to
    :meth:`TwilioWebhookVerifier.from_env`."""
    checker = verifier if verifier is not None else TwilioWebhookVerifier.from_env()
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is not None and not request.scope.get(VERIFIED_FIRST):
        raise _read_first(request, route)
    body = await _read_body(request, checker)
    verified = checker.verify(asgi_request_url(request.scope), request.headers, body, model=model)
    request.state.twilio_webhook = verified
    return verified


def verified_twilio_webhook(
    verifier: TwilioWebhookVerifier | None = None,
    *,
    model: type[P] = TwilioWebhookPayload,  # type: ignore[assignment]
) -> Callable[[Request], Awaitable[VerifiedWebhook[P]]]:
    """A FastAPI dependency giving the whole :class:`VerifiedWebhook` (for JSON webhooks, or
    the idempotency token); refused requests are answered as :func:`twilio_payload` does."""

    async def dependency(request: Request) -> VerifiedWebhook[P]:
        try:
            return await verify_request(request, verifier, model=model)
        except (InvalidTwilioSignatureError, InvalidTwilioPayloadError) as exc:
            logger.warning(
                "Twilio webhook to %s refused with %d: %s", request.url.path, exc.http_status, exc
            )
            raise HTTPException(exc.http_status, detail=str(exc)) from None

    setattr(dependency, VERIFY_FIRST, True)
    return dependency


def twilio_payload(
    verifier: TwilioWebhookVerifier | None = None,
    *,
    model: type[P] = TwilioWebhookPayload,  # type: ignore[assignment]
) -> Callable[[Request], Awaitable[P]]:
    """A FastAPI dependency giving the verified, parsed payload (``model``: the inbound message
    by default, or :class:`TwilioStatusCallback`). It answers 403 for a request Twilio did not
    sign, 400 for a signed body that is not a ``model``, 413 for a body over
    ``max_body_bytes``. ``verifier`` defaults to the ``TWILIO_*`` environment."""
    verified = verified_twilio_webhook(verifier, model=model)

    async def dependency(request: Request) -> P:
        webhook = await verified(request)
        if webhook.payload is None:
            logger.warning("JSON Twilio webhook to %s refused with 400", request.url.path)
            raise HTTPException(
                400,
                detail=(
                    "This endpoint takes form webhooks, and a JSON webhook (bodySHA256) came: "
                    "depend on verified_twilio_webhook() to receive JSON webhooks."
                ),
            )
        return webhook.payload

    setattr(dependency, VERIFY_FIRST, True)
    return dependency


async def _read_body(request: Request, verifier: TwilioWebhookVerifier) -> bytes:
    limit = verifier.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit():  # not '²', which int() refuses
        if int(declared) > limit:
            raise verifier.too_large(int(declared))
        # The server delivers no more than the declared length (h11 and httptools enforce
        # it): Starlette's own read is bounded, and caches the body for the endpoint.
        body = await request.body()
        if len(body) > limit:  # a server that does not enforce it
            raise verifier.too_large(len(body))
        return body
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise verifier.too_large()
        chunks.append(chunk)
    body = b"".join(chunks)
    # Starlette's own cache of the body (Request.body() returns it), so that the endpoint can
    # still read the body we consumed; there is no public way to put it back.
    request._body = body
    return body


def _read_first(request: Request, route: Any) -> ConfigurationError:
    """The refusal of a FastAPI endpoint that declares body fields (``Form``, ``File``,
    ``Body``) beside the webhook dependency, without :class:`TwilioWebhookRoute`."""
    where = f"{request.method} {getattr(route, 'path', request.url.path)}"
    return ConfigurationError(
        f"The FastAPI endpoint {where} declares body fields (Form, File or Body) beside the "
        "Twilio webhook dependency, so FastAPI read and parsed the whole unsigned body before "
        "the signature could be checked (a forged body of any size, parsed). Declare the "
        "route with route_class=TwilioWebhookRoute (from ai_voice_shared.adapters.fastapi), "
        "which verifies before FastAPI reads the body, or drop the body fields and read the "
        "payload. See docs/webhooks.md#fastapi-body-fields."
    )
