"""webhook-handler: Twilio's WhatsApp webhook in, voice notes into S3, a TwiML answer out."""

from __future__ import annotations

from examples.webhook_handler.app import create_app

__all__ = ["create_app"]
