"""``ai-voice-shared twilio verify``: check X-Twilio-Signature of a captured request.

On a mismatch, :func:`~ai_voice_shared_testing._cli.signature_doctor.diagnose` names the pitfall
that explains it; the payload is shown parsed, phone numbers and names masked unless
``--show-pii``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ai_voice_shared_testing._cli.exits import EXIT_FAILED, EXIT_OK, UsageError, http_url

__all__ = ["DESCRIPTION", "HELP", "configure", "run"]

HELP = "Check X-Twilio-Signature for a captured request, and explain a mismatch."
DESCRIPTION = "Exit codes: 0 valid, 1 invalid, 2 usage."


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of ``ai-voice-shared twilio verify``."""
    parser.add_argument("body", metavar="BODY_FILE|-", help="The raw form body ('-': stdin).")
    parser.add_argument("--url", required=True, type=http_url, help="The full URL Twilio called.")
    parser.add_argument("--signature", required=True, help="The X-Twilio-Signature header.")
    parser.add_argument(
        "--token-env",
        default="TWILIO_AUTH_TOKEN",
        metavar="NAME",
        help="Environment variable holding the auth token (default: TWILIO_AUTH_TOKEN).",
    )
    parser.add_argument("--show-pii", action="store_true", help="Show phone numbers unmasked.")
    parser.add_argument("--json", action="store_true", help="Print the verdict as JSON.")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """``ai-voice-shared twilio verify``: 0 valid, 1 invalid, 2 usage."""
    from ai_voice_shared import InvalidTwilioPayloadError, TwilioWebhookPayload, mask_phone_number
    from ai_voice_shared_testing._cli.signature_doctor import diagnose

    token = os.environ.get(args.token_env)
    if not token:
        raise UsageError(
            f"the auth token is read from ${args.token_env}, which is not set: export it "
            "(never pass the token on the command line), or name another variable with --token-env."
        )
    try:
        body = sys.stdin.buffer.read() if args.body == "-" else Path(args.body).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {args.body!r}: {error.strerror}") from None
    try:
        diagnosis = diagnose(args.url, body, args.signature, token)
    except ValueError as error:
        raise UsageError(f"the body is not a form-encoded Twilio request: {error}") from None
    payload: dict[str, Any] | None = None
    payload_error = None
    try:
        parsed = TwilioWebhookPayload.from_form(body)
    except InvalidTwilioPayloadError as error:
        payload_error = str(error)
    else:
        payload = parsed.model_dump(mode="json", exclude_none=True, exclude={"media"})
        payload["media"] = [m.model_dump() for m in parsed.media]
        if not args.show_pii:
            for field in ("from_", "to", "wa_id", "original_replied_message_sender"):
                if field in payload:
                    payload[field] = mask_phone_number(str(payload[field]))
            if "profile_name" in payload:
                payload["profile_name"] = "***"  # a person's name is personal data too
    if args.json:
        print(
            json.dumps(
                {
                    "valid": diagnosis.valid,
                    "url": diagnosis.url,
                    "variant": diagnosis.variant,
                    "matching_url": diagnosis.matching_url,
                    "meaning": diagnosis.meaning,
                    "tried": diagnosis.tried,
                    "payload": payload,
                    "payload_error": payload_error,
                }
            )
        )
    else:
        print(f"Signature: {'VALID' if diagnosis.valid else 'INVALID'} for {args.url}")
        if not diagnosis.valid:
            if diagnosis.variant:
                print(f"Diagnosis: it matches with {diagnosis.variant}: {diagnosis.matching_url}")
            print(f"What it means: {diagnosis.meaning}")
            if diagnosis.tried and not diagnosis.variant:
                print(f"Tried: {', '.join(diagnosis.tried)}")
        if payload is not None:
            print("Payload:")
            for name, value in payload.items():
                print(f"  {name}: {value}")
        else:
            print(f"Payload: not a valid inbound message: {payload_error}")
    return EXIT_OK if diagnosis.valid else EXIT_FAILED
