"""A FastAPI app whose webhook endpoint also declares a ``Form`` field, for real servers.

``uvicorn tests.shared.adapters.body_fields_app:app`` (with ``TWILIO_AUTH_TOKEN`` set) serves
``POST /hook`` on a :class:`TwilioWebhookRoute` (or a plain ``APIRoute`` when
``AIVS_PLAIN_ROUTE=1``: the unprotected shape, for measuring) and ``GET /peak-rss``, the
process's peak resident memory in bytes (``VmHWM``), so that a test can see what a request
made the server hold.
"""

# ruff: noqa: I002, N803
# No `from __future__ import annotations`: FastAPI resolves the endpoint's annotations here.

import os
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form
from fastapi.routing import APIRoute

from ai_voice_shared.adapters.fastapi import TwilioPayload, TwilioWebhookRoute, TwiMLResponse

ROUTE = APIRoute if os.environ.get("AIVS_PLAIN_ROUTE") else TwilioWebhookRoute
router = APIRouter(route_class=ROUTE)


@router.post("/hook")
async def hook(payload: TwilioPayload, Body: Annotated[str, Form()] = "") -> TwiMLResponse:
    return TwiMLResponse(f"{payload.message_sid}: {Body}")


@router.get("/peak-rss")
async def peak_rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


app = FastAPI()
app.include_router(router)
