"""``ai-voice-shared fakes``: the fake stack served on 127.0.0.1 until interrupted.

Prints the environment a service needs to reach it (``export NAME=value`` lines, or one JSON
line with ``--json``), seeded with the customers of ``--customers FILE`` (JSON or CSV, read by
:func:`~ai_voice_shared_testing._cli.fake_stack.load_customers`) and the media of ``--media
FILE`` (served by the fake Twilio API; more at run time through its ``POST /__aivs/media``).

SIGINT and SIGTERM stop it at any moment, during start-up too: the handler raises in the main
thread (setting an event would leave a start-up that waits never interrupted).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from ai_voice_shared_testing._cli.exits import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    http_url,
    port_number,
)

__all__ = ["DESCRIPTION", "HELP", "Interrupted", "configure", "run"]

HELP = "Serve fake S3, customer lookup and Twilio API (media) servers until interrupted."
DESCRIPTION = (
    "Serve an S3 server (moto or SeaweedFS) with a bucket, the fake customer-lookup-server and "
    "the fake Twilio REST API (media downloads, HTTP Basic auth, CDN redirect) on 127.0.0.1, "
    "and print the environment a service needs to use them (TWILIO_WEBHOOK_BASE_URL included). "
    "Media given with --media, or posted at run time to POST $TWILIO_API_BASE_URL/__aivs/media "
    "(as `ai-voice-shared twilio send --media FILE` does), is served at the URLs printed. "
    "Stops on Ctrl-C or SIGTERM. Exit codes: 0 stopped, 1 could not start, 2 usage "
    "(a bad option, a port in use, an unreadable file)."
)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: stop now (a BaseException so no ``except Exception`` in a
    start-up path swallows it)."""


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of ``ai-voice-shared fakes``."""
    parser.add_argument(
        "--s3",
        choices=("moto", "seaweedfs"),
        default="moto",
        help="S3 server to start (default: moto).",
    )
    parser.add_argument(
        "--s3-port",
        type=port_number,
        default=0,
        metavar="PORT",
        help="Port of the S3 server, S3_ENDPOINT_URL (default: a free one).",
    )
    parser.add_argument(
        "--lookup-port",
        type=port_number,
        default=0,
        metavar="PORT",
        help="Port of the fake customer-lookup-server (default: a free one).",
    )
    parser.add_argument(
        "--twilio-port",
        type=port_number,
        default=0,
        metavar="PORT",
        help="Port of the fake Twilio API, TWILIO_API_BASE_URL (default: a free one; its CDN "
        "host takes a free one).",
    )
    parser.add_argument(
        "--webhook-base-url",
        type=http_url,
        default=None,
        metavar="URL",
        help="TWILIO_WEBHOOK_BASE_URL to print: the public base URL of the service Twilio calls "
        "(default: http://127.0.0.1:8000, where `uvicorn` listens).",
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
        "--media",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="An audio (or any media) file the fake Twilio API serves; its MediaUrl is printed. "
        "Repeatable.",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="Also write the environment to FILE (NAME=value lines, mode 0600, removed at stop), "
        "for `uvicorn --env-file FILE` and `ai-voice-shared twilio send --env-file FILE`.",
    )
    parser.add_argument(
        "--json", action="store_true", help="Print the environment as one JSON line."
    )
    parser.set_defaults(run=run)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Once: a second signal while the stack stops must not interrupt the stopping.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


def run(args: argparse.Namespace) -> int:
    """``ai-voice-shared fakes``: serve until SIGINT or SIGTERM; 1 if the stack cannot start."""
    from ai_voice_shared.errors import AiVoiceSharedError
    from ai_voice_shared_testing._cli.fake_stack import (
        DEFAULT_WEBHOOK_BASE_URL,
        FakeStack,
        FakeStackUsageError,
        load_customers,
        media_type,
    )

    try:
        customers = load_customers(args.customers) if args.customers else {}
    except AiVoiceSharedError as error:
        raise UsageError(str(error)) from None
    files = [(path, _read_media(path), media_type(path)) for path in args.media]
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = FakeStack(
        s3=args.s3,
        s3_port=args.s3_port,
        lookup_port=args.lookup_port,
        twilio_port=args.twilio_port,
        bucket=args.bucket,
        webhook_base_url=args.webhook_base_url or DEFAULT_WEBHOOK_BASE_URL,
    )
    started = False
    try:
        try:
            stack.start()
            started = True
            for number, fields in customers.items():
                stack.lookup.add_customer(number, fields)
            media = [
                (path, stack.twilio.add_media(content, content_type=kind))
                for path, content, kind in files
            ]
        except FakeStackUsageError as error:
            raise UsageError(str(error)) from None
        except (AiVoiceSharedError, OSError) as error:
            print(f"ai-voice-shared fakes: could not start: {error}", file=sys.stderr)
            return EXIT_FAILED
        env = stack.environment()
        if args.env_file is not None:
            _write_env_file(args.env_file, env)
        _announce(args, env, len(customers), media)
        while True:
            signal.pause()  # until a signal raises Interrupted
    except Interrupted:
        pass
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
        if args.env_file is not None and started:
            args.env_file.unlink(missing_ok=True)  # its ports and token are gone
        if started:
            print("# stopped", flush=True)
    return EXIT_OK


def _read_media(path: Path) -> bytes:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read --media {str(path)!r}: {error.strerror}") from None
    if not content:
        raise UsageError(f"--media {str(path)!r} is empty")
    return content


def _write_env_file(path: Path, env: dict[str, str]) -> None:
    """``NAME=value`` lines (the dotenv format ``uvicorn --env-file`` and ``twilio send
    --env-file`` read), readable by this user only: it holds the fake's auth token."""
    text = "".join(f"{name}={value}\n" for name, value in env.items())
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        raise UsageError(f"cannot write --env-file {str(path)!r}: {error.strerror}") from None


def _announce(
    args: argparse.Namespace, env: dict[str, str], customers: int, media: list[tuple[Path, Any]]
) -> None:
    items = [
        {"file": str(path), "url": item.url, "content_type": item.content_type}
        for path, item in media
    ]
    if args.json:
        document = {"environment": env, "customers": customers, "media": items}
        print(json.dumps(document), flush=True)
        return
    print(
        f"# ai-voice-shared fakes: S3 ({args.s3}), customer lookup and the Twilio API on"
        f" 127.0.0.1, {customers} customer(s), {len(media)} media file(s). Ctrl-C to stop."
    )
    for name, value in env.items():
        print(f"export {name}={value}")
    for item in items:
        print(f"# media {Path(item['file']).name} ({item['content_type']}): {item['url']}")
    base = env["TWILIO_WEBHOOK_BASE_URL"]
    where = urlsplit(base)
    port = where.port or (443 if where.scheme == "https" else 80)
    source = f"--env-file {args.env_file}" if args.env_file is not None else "these variables"
    print(f"# 1. run the service with {source}, where Twilio calls it: {base} (port {port})")
    print(
        f"# 2. send it a voice note: ai-voice-shared twilio send {base}/YOUR/WEBHOOK/PATH"
        + (f" --env-file {args.env_file}" if args.env_file is not None else "")
        + " [--media FILE | --text TEXT]"
    )
    print("# ready", flush=True)
