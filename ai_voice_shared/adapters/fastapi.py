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
module's globals). Install with ``ai-voice-shared[fastapi]``.
"""

from __future__ import annotations

from typing import Annotated

from ai_voice_shared.adapters._framework import missing
from ai_voice_shared.adapters.starlette import (
    TwiMLResponse,
    twilio_payload,
    verified_twilio_webhook,
    verify_request,
)
from ai_voice_shared.models import TwilioStatusCallback, TwilioWebhookPayload
from ai_voice_shared.webhooks import VerifiedWebhook

try:
    from fastapi import Depends
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise missing("fastapi", "fastapi") from exc

__all__ = [
    "TwiMLResponse",
    "TwilioPayload",
    "TwilioStatus",
    "TwilioWebhook",
    "twilio_payload",
    "verified_twilio_webhook",
    "verify_request",
]

#: An inbound message, verified and parsed (403/400/413 answered for you).
TwilioPayload = Annotated[TwilioWebhookPayload, Depends(twilio_payload())]
#: A status callback, verified and parsed.
TwilioStatus = Annotated[TwilioStatusCallback, Depends(twilio_payload(model=TwilioStatusCallback))]
#: The whole verified webhook: payload or JSON document, idempotency token, public URL, body.
TwilioWebhook = Annotated[VerifiedWebhook, Depends(verified_twilio_webhook())]
