"""``ai-voice-shared``: the demo, the local fake stack, and the Twilio signature doctor.

Exit codes: 0 success (a valid signature), 1 failure (an invalid signature, a failed demo),
2 usage (a bad option, a missing file or token, a body that is not a form).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ai_voice_shared.errors import AiVoiceSharedError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ai-voice-shared",
        description="Demo, local fakes and Twilio tools of the ai-voice-shared library.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="Run a voice note end to end on local fakes.")
    demo.add_argument(
        "--s3",
        choices=("moto", "seaweedfs"),
        default="moto",
        help="S3 server to start (default: moto).",
    )
    demo.add_argument(
        "--s3-endpoint",
        metavar="URL",
        help="Use this S3-compatible endpoint instead (credentials from AWS_* variables).",
    )
    demo.add_argument("--json", action="store_true", help="Print the steps as JSON.")

    fakes = commands.add_parser(
        "fakes", help="Run the fake S3 and lookup servers until interrupted."
    )
    fakes.add_argument(
        "--s3",
        choices=("moto", "seaweedfs"),
        default="moto",
        help="S3 server to start (default: moto).",
    )
    fakes.add_argument(
        "--s3-port", type=int, default=0, help="Port of the moto server (default: a free one)."
    )
    fakes.add_argument(
        "--lookup-port",
        type=int,
        default=0,
        help="Port of the lookup server (default: a free one).",
    )
    fakes.add_argument(
        "--bucket", default="voice-notes", help="Bucket to create (default: voice-notes)."
    )
    fakes.add_argument(
        "--customers",
        type=Path,
        metavar="FILE",
        help="JSON or CSV of phone number to customer metadata.",
    )
    fakes.add_argument(
        "--json", action="store_true", help="Print the environment as one JSON line."
    )

    twilio = commands.add_parser("twilio", help="Twilio tools.")
    tools = twilio.add_subparsers(dest="tool", required=True, metavar="TOOL")
    verify = tools.add_parser(
        "verify",
        help="Check X-Twilio-Signature for a captured request, and explain a mismatch.",
        description="Exit codes: 0 valid, 1 invalid, 2 usage.",
    )
    verify.add_argument("body", metavar="BODY_FILE|-", help="The raw form body ('-': stdin).")
    verify.add_argument("--url", required=True, help="The full URL Twilio called.")
    verify.add_argument("--signature", required=True, help="The X-Twilio-Signature header.")
    verify.add_argument(
        "--token-env",
        default="TWILIO_AUTH_TOKEN",
        metavar="NAME",
        help="Environment variable holding the auth token (default: TWILIO_AUTH_TOKEN).",
    )
    verify.add_argument("--show-pii", action="store_true", help="Show phone numbers unmasked.")
    verify.add_argument("--json", action="store_true", help="Print the verdict as JSON.")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "fakes":
            return _fakes(args)
        return _verify(args)
    except _UsageError as error:
        print(f"ai-voice-shared: error: {error}", file=sys.stderr)
        return EXIT_USAGE


class _UsageError(Exception):
    pass


def _demo(args: argparse.Namespace) -> int:
    from ai_voice_shared_testing.demo import run_demo
    from ai_voice_shared_testing.fake_stack import S3Kind

    kind: S3Kind = "endpoint" if args.s3_endpoint else args.s3
    try:
        steps = run_demo(
            s3=kind, s3_endpoint=args.s3_endpoint, out=(lambda _: None) if args.json else print
        )
    except (AiVoiceSharedError, AssertionError, OSError) as error:
        print(f"ai-voice-shared demo failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"ok": True, "steps": steps}))
    return EXIT_OK


def _fakes(args: argparse.Namespace) -> int:
    from ai_voice_shared_testing.fake_stack import FakeStack, load_customers

    try:
        customers = load_customers(args.customers) if args.customers else {}
    except AiVoiceSharedError as error:
        raise _UsageError(str(error)) from None
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        stack = FakeStack(
            s3=args.s3, s3_port=args.s3_port, lookup_port=args.lookup_port, bucket=args.bucket
        ).start()
    except (AiVoiceSharedError, OSError) as error:
        print(f"ai-voice-shared fakes: could not start: {error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        for number, fields in customers.items():
            stack.lookup.add_customer(number, fields)
        env = stack.environment()
        if args.json:
            print(json.dumps({"environment": env, "customers": len(customers)}), flush=True)
        else:
            print(
                f"# ai-voice-shared fakes: S3 ({args.s3}), customer lookup and Twilio media on"
                " 127.0.0.1,"
                f" {len(customers)} customer(s). Ctrl-C to stop."
            )
            for name, value in env.items():
                print(f"export {name}={value}")
            print("# ready", flush=True)
        stopping.wait()
    finally:
        stack.stop()
        print("# stopped", flush=True)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from ai_voice_shared import InvalidTwilioPayloadError, TwilioWebhookPayload, mask_phone_number
    from ai_voice_shared_testing.signature_doctor import diagnose

    token = os.environ.get(args.token_env)
    if not token:
        raise _UsageError(
            f"the auth token is read from ${args.token_env}, which is not set: export it "
            "(never pass the token on the command line), or name another variable with --token-env."
        )
    try:
        body = sys.stdin.buffer.read() if args.body == "-" else Path(args.body).read_bytes()
    except OSError as error:
        raise _UsageError(f"cannot read {args.body!r}: {error.strerror}") from None
    try:
        diagnosis = diagnose(args.url, body, args.signature, token)
    except ValueError as error:
        raise _UsageError(f"the body is not a form-encoded Twilio request: {error}") from None
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


if __name__ == "__main__":
    sys.exit(main())
