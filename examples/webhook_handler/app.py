"""webhook-handler, the reference service: a WhatsApp voice note from Twilio's webhook to S3.

Everything comes from ``ai_voice_shared``: the FastAPI adapter verifies and parses the webhook
(403 forged, 400 malformed), ``DeliveryGuard`` makes sure a webhook is handled once by the
whole fleet of replicas (``DELIVERY_STORE=s3`` or ``redis``), the lookup client names the
sender, ``AsyncMediaIngest`` streams the media from Twilio into S3, and the answer is TwiML.
Configuration is the environment (``TWILIO_*``, ``CUSTOMER_LOOKUP_*``, ``S3_*``, ``DELIVERY_*``).

    uvicorn --factory examples.webhook_handler.app:create_app
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request

from ai_voice_shared import (
    AsyncCustomerLookupClient,
    AsyncMediaIngest,
    CustomerLookupError,
    DeliveryError,
    DeliveryGuard,
    MediaTooLargeError,
    S3ServiceError,
    TwilioMediaError,
    TwilioWebhookPayload,
    mask_phone_number,
)
from ai_voice_shared.adapters.fastapi import TwilioPayload, TwiMLResponse

logger = logging.getLogger("webhook_handler")


class RetryLaterError(Exception):
    """A transient failure: the claim is released and Twilio is answered 503 (``#rp=5xx``)."""


@dataclass
class Services:
    guard: DeliveryGuard
    lookup: AsyncCustomerLookupClient
    ingest: AsyncMediaIngest


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    guard = DeliveryGuard()
    async with AsyncCustomerLookupClient() as lookup, AsyncMediaIngest() as ingest:
        app.state.services = Services(guard, lookup, ingest)
        yield
    await guard.aclose()


async def handle(payload: TwilioWebhookPayload, services: Services) -> TwiMLResponse:
    sender = mask_phone_number(payload.sender_address)
    try:
        customer = await services.lookup.find(payload.sender_address)
    except CustomerLookupError as exc:  # store the note anyway; the parser looks up later
        logger.warning("lookup of %s failed, storing without a customer: %s", sender, exc)
        customer = None
    try:
        stored = await services.ingest.ingest(payload, customer=customer)
    except MediaTooLargeError:
        return TwiMLResponse("That voice note is too long for us; please send a shorter one.")
    except (TwilioMediaError, S3ServiceError) as exc:
        if exc.transient:
            raise RetryLaterError(str(exc)) from exc
        logger.error("voice note %s cannot be stored: %s", payload.message_sid, exc)
        return TwiMLResponse("Sorry, we could not get your voice note; please send it again.")
    logger.info("stored %s from %s", [s.key for s in stored], sender)
    name = f", {customer.company_name}" if customer else ""
    return TwiMLResponse(f"Thanks{name}! We got your voice note.")


def create_app() -> FastAPI:
    app = FastAPI(title="webhook-handler", lifespan=lifespan)

    @app.post("/twilio/whatsapp")
    async def whatsapp(payload: TwilioPayload, request: Request) -> TwiMLResponse:
        if not any(item.is_audio for item in payload.media):
            return TwiMLResponse("Send us a voice note and we will take it from there.")
        services: Services = request.app.state.services
        try:
            async with services.guard.aonce(payload) as first:
                if not first:  # handled already, by this replica or another one
                    return TwiMLResponse()
                return await handle(payload, services)
        except DeliveryError as exc:  # being handled elsewhere, or the store is down: 503
            return TwiMLResponse(status_code=exc.http_status)
        except RetryLaterError as exc:
            logger.error("voice note %s not stored, will retry: %s", payload.message_sid, exc)
            return TwiMLResponse(status_code=503)

    return app
