"""``ai-voice-shared fakes``: the fake stack served on 127.0.0.1 until interrupted.

Prints the environment a service needs to reach it (``export NAME=value`` lines, or one JSON
line with ``--json``), seeded with the customers of ``--customers FILE`` (JSON or CSV, read by
:func:`~ai_voice_shared_testing._cli.fake_stack.load_customers`).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from ai_voice_shared_testing._cli.exits import EXIT_FAILED, EXIT_OK, UsageError

__all__ = ["HELP", "configure", "run"]

HELP = "Run the fake S3 and lookup servers until interrupted."


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of ``ai-voice-shared fakes``."""
    parser.add_argument(
        "--s3",
        choices=("moto", "seaweedfs"),
        default="moto",
        help="S3 server to start (default: moto).",
    )
    parser.add_argument(
        "--s3-port", type=int, default=0, help="Port of the moto server (default: a free one)."
    )
    parser.add_argument(
        "--lookup-port",
        type=int,
        default=0,
        help="Port of the lookup server (default: a free one).",
    )
    parser.add_argument(
        "--bucket", default="voice-notes", help="Bucket to create (default: voice-notes)."
    )
    parser.add_argument(
        "--customers",
        type=Path,
        metavar="FILE",
        help="JSON or CSV of phone number to customer metadata.",
    )
    parser.add_argument(
        "--json", action="store_true", help="Print the environment as one JSON line."
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """``ai-voice-shared fakes``: serve until SIGINT or SIGTERM; 1 if the stack cannot start."""
    from ai_voice_shared.errors import AiVoiceSharedError
    from ai_voice_shared_testing._cli.fake_stack import FakeStack, load_customers

    try:
        customers = load_customers(args.customers) if args.customers else {}
    except AiVoiceSharedError as error:
        raise UsageError(str(error)) from None
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
