"""Twilio webhooks in FastAPI, as parameter types: ``TwilioPayload`` and friends.

    from fastapi import FastAPI
    from ai_voice_shared.adapters.fastapi import TwilioPayload, TwiMLResponse

    app = FastAPI()

    @app.post("/twilio/webhook")
    async def webhook(payload: TwilioPayload) -> TwiMLResponse:
        return TwiMLResponse(f"Got {payload.message_sid}")

Each alias is ``Annotated[<model>, Depends(...)]`` over the Starlette adapter with the verifier
from the ``TWILIO_*`` environment; with a verifier of your own, write
``Annotated[TwilioWebhookPayload, Depends(twilio_payload(verifier))]`` at module level (FastAPI
resolves string annotations, as ``from __future__ import annotations`` makes them, in the
module's globals). An endpoint that also declares ``Form``, ``File`` or ``Body`` fields goes on
a router with ``route_class=TwilioWebhookRoute``, which verifies before FastAPI reads the body
(without it, such an endpoint is refused). Install with ``ai-voice-shared[fastapi]``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Annotated, Any

from ai_voice_shared.adapters._framework import missing
from ai_voice_shared.adapters.starlette import (
    VERIFIED_FIRST,
    VERIFY_FIRST,
    TwiMLResponse,
    twilio_payload,
    verified_twilio_webhook,
    verify_request,
)
from ai_voice_shared.models import TwilioStatusCallback, TwilioWebhookPayload
from ai_voice_shared.webhooks import VerifiedWebhook

try:
    from fastapi import Depends
    from fastapi.dependencies.models import Dependant
    from fastapi.routing import APIRoute
    from starlette.requests import Request
    from starlette.responses import Response
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise missing("fastapi", "fastapi") from exc

__all__ = [
    "TwiMLResponse",
    "TwilioPayload",
    "TwilioStatus",
    "TwilioWebhook",
    "TwilioWebhookRoute",
    "twilio_payload",
    "verified_twilio_webhook",
    "verify_request",
]

#: An inbound message, verified and parsed (403/400/413 answered for you).
TwilioPayload = Annotated[TwilioWebhookPayload, Depends(twilio_payload())]
#: A status callback, verified and parsed.
TwilioStatus = Annotated[TwilioStatusCallback, Depends(twilio_payload(model=TwilioStatusCallback))]
#: The whole verified webhook: payload or JSON document, idempotency token, public URL, body.
TwilioWebhook = Annotated[VerifiedWebhook[TwilioWebhookPayload], Depends(verified_twilio_webhook())]


class TwilioWebhookRoute(APIRoute):
    """A route class that verifies a Twilio webhook before FastAPI reads the body.

    FastAPI reads and parses the body of an endpoint that declares ``Form``, ``File`` or
    ``Body`` fields before it runs any dependency: a forged body of any size would be parsed
    before its signature is checked. On a route of this class, the adapter's dependencies
    (``TwilioPayload``, ``TwilioStatus``, ``TwilioWebhook``, :func:`twilio_payload`,
    :func:`verified_twilio_webhook`, in the endpoint, its dependencies or the route's
    ``dependencies=``) run first, reading at most ``max_body_bytes``; FastAPI then parses
    the verified body. Without it, such an endpoint is refused with a
    :class:`~ai_voice_shared.ConfigurationError`::

        router = APIRouter(route_class=TwilioWebhookRoute)

        @router.post("/twilio/webhook")
        async def webhook(payload: TwilioPayload, Body: Annotated[str, Form()]) -> ...

    Routes without a webhook dependency behave as a plain ``APIRoute``.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        checks = list(_verifying(self.dependant))
        if not checks:
            return handler

        async def verified_first(request: Request) -> Response:
            request.scope[VERIFIED_FIRST] = True  # nothing has read the body yet
            for check in checks:
                await check(request)  # answers 403/400/413 as the dependency does
            return await handler(request)

        return verified_first


def _verifying(dependant: Dependant) -> Iterator[Callable[[Request], Awaitable[Any]]]:
    """The adapter's dependencies in ``dependant``'s tree, each once."""
    seen: set[int] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        call = current.call
        if call is not None and getattr(call, VERIFY_FIRST, False) and id(call) not in seen:
            seen.add(id(call))
            yield call
        pending.extend(current.dependencies)
