"""``ai-voice-shared twilio send URL``: a signed webhook to a running service, as Twilio sends it.

Builds an inbound WhatsApp message (a voice note by default, ``--text`` for a text), registers
its media with the running fake Twilio API (``POST $TWILIO_API_BASE_URL/__aivs/media``, the
fake's admin endpoint) so that the service can download it, signs it with
``$TWILIO_AUTH_TOKEN`` for ``URL`` exactly as Twilio does (the form, ``X-Twilio-Signature``,
``I-Twilio-Idempotency-Token``, Twilio's ``User-Agent``) and posts it there.
``--redeliver`` sends the very same request again, as Twilio's retry does.

Like Twilio, it keeps the URL's ``#fragment`` (the connection overrides, ``#ct=5000&rt=15000``)
to itself: it is not signed nor sent; ``ct`` and ``rt`` are the connect and read timeouts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ai_voice_shared_testing._cli.exits import EXIT_FAILED, EXIT_OK, UsageError, http_url

if TYPE_CHECKING:
    import httpx

    from ai_voice_shared.models import TwilioMedia

__all__ = ["DESCRIPTION", "HELP", "configure", "run"]

HELP = "Sign and post a voice-note (or text) webhook to a running service, as Twilio does."
DESCRIPTION = (
    "Build an inbound WhatsApp voice note (or --text message), register its media with the "
    "running fake Twilio API (`ai-voice-shared fakes`; its TWILIO_API_BASE_URL), sign it with "
    "$TWILIO_AUTH_TOKEN for URL and post it there as Twilio does. Read the fakes' environment "
    "from the shell (the printed export lines) or from --env-file. "
    "Exit codes: 0 every delivery answered 2xx, 1 an answer was not 2xx or the service did not "
    "answer, 2 usage."
)
_SENDER = "whatsapp:+15555550100"
_FAKE_ADMIN_PATH = "/__aivs/media"
_MAX_ANSWER = 1024 * 1024
_MESSAGE_IN_URL = re.compile(r"/Messages/(?P<message>(?:MM|SM)[0-9a-fA-F]{32})/Media/")


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of ``ai-voice-shared twilio send``."""
    parser.add_argument(
        "url",
        type=http_url,
        metavar="URL",
        help="The service's webhook URL as Twilio calls it (signed as given, e.g. "
        "$TWILIO_WEBHOOK_BASE_URL/twilio/whatsapp).",
    )
    parser.add_argument(
        "--media",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="A media file to register with the fake and send (type from its name: .ogg is "
        "audio/ogg). Repeatable. Default: a tiny built-in voice note.",
    )
    parser.add_argument(
        "--media-url",
        action="append",
        default=[],
        metavar="URL",
        help="Media the fake serves already (a URL `fakes --media` printed). Repeatable.",
    )
    parser.add_argument(
        "--media-type",
        default="audio/ogg",
        metavar="TYPE",
        help="The content type of the --media-url items (default: audio/ogg).",
    )
    parser.add_argument("--text", metavar="TEXT", help="Send a text message without media.")
    parser.add_argument(
        "--from",
        dest="sender",
        default=_SENDER,
        metavar="ADDRESS",
        help=f"The sender (default: {_SENDER}; a bare +number sends an SMS).",
    )
    parser.add_argument(
        "--redeliver",
        action="store_true",
        help="Deliver the same request a second time, as Twilio's retry does.",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="Read TWILIO_* from this file (what `fakes --env-file` writes) over the shell's.",
    )
    parser.add_argument(
        "--token-env",
        default="TWILIO_AUTH_TOKEN",
        metavar="NAME",
        help="Environment variable holding the auth token (default: TWILIO_AUTH_TOKEN).",
    )
    parser.add_argument("--json", action="store_true", help="Print the deliveries as JSON.")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """``ai-voice-shared twilio send``: 0 every answer 2xx, 1 otherwise, 2 usage."""
    import httpx

    from ai_voice_shared.errors import AiVoiceSharedError
    from ai_voice_shared_testing._cli.fake_stack import media_type
    from ai_voice_shared_testing.factories import TwilioWebhookPayloadFactory
    from ai_voice_shared_testing.twilio_api import VOICE_NOTE
    from ai_voice_shared_testing.webhooks import signed_twilio_request

    env = _environment(args.env_file)
    token = env.get(args.token_env)
    if not token:
        raise UsageError(
            f"the auth token is read from ${args.token_env}, which is not set: export the "
            "environment `ai-voice-shared fakes` printed (or pass its --env-file FILE)."
        )
    if args.text is not None and (args.media or args.media_url):
        raise UsageError("--text sends a message without media: drop --media/--media-url")
    url, connect, read = _target(args.url)
    files: list[tuple[bytes, str]] = []
    for path in args.media:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise UsageError(f"cannot read --media {str(path)!r}: {error.strerror}") from None
        if not content:
            raise UsageError(f"--media {str(path)!r} is empty")
        files.append((content, media_type(path)))
    if args.text is None and not files and not args.media_url:
        files.append((VOICE_NOTE, "audio/ogg"))
    account = env.get("TWILIO_ACCOUNT_SID") or None
    message_sid = _message_of(args.media_url)
    media: list[TwilioMedia] = [_given_media(item, args.media_type) for item in args.media_url]
    if files:
        api = env.get("TWILIO_API_BASE_URL")
        if not api or not account:
            raise UsageError(
                "the media must be registered with the running fake Twilio API: export "
                "TWILIO_API_BASE_URL and TWILIO_ACCOUNT_SID as `ai-voice-shared fakes` printed "
                "them (or pass --env-file FILE), or send --text TEXT"
            )
        for content, kind in files:
            item, message_sid = _register(api, account, token, content, kind, message_sid)
            media.append(item)
    overrides: dict[str, Any] = {"from_": args.sender, "media": tuple(media)}
    if account is not None:
        overrides["account_sid"] = account
    if message_sid is not None:
        overrides["message_sid"] = message_sid
    if args.text is not None:
        overrides["body"] = args.text
    try:
        payload = TwilioWebhookPayloadFactory.build(**overrides)
    except (AiVoiceSharedError, ValueError) as error:
        raise UsageError(f"cannot build the webhook: {' '.join(str(error).split())}") from None
    request = signed_twilio_request(payload, url=url, auth_token=token)
    deliveries: list[dict[str, Any]] = []
    timeout = httpx.Timeout(read, connect=connect)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for attempt in range(2 if args.redeliver else 1):
            deliveries.append(_deliver(client, request, attempt + 1))
            if deliveries[-1]["status"] is None:
                break  # the service is not there: a redelivery would say the same
    _report(args, request, deliveries)
    ok = all(d["status"] is not None and 200 <= d["status"] < 300 for d in deliveries)
    return EXIT_OK if ok else EXIT_FAILED


def _environment(env_file: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if env_file is None:
        return env
    from dotenv import dotenv_values  # pydantic-settings' own dependency

    if not env_file.is_file():
        raise UsageError(f"cannot read --env-file {str(env_file)!r}: no such file")
    try:
        values = dotenv_values(env_file, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read --env-file {str(env_file)!r}: {error}") from None
    env.update({name: value for name, value in values.items() if value is not None})
    return env


def _target(url: str) -> tuple[str, float, float]:
    """The URL Twilio signs and calls (no fragment, as an HTTP client sends it), and the
    connect and read timeouts of its ``ct`` and ``rt`` overrides (Twilio's defaults), read by
    the same parser as the ``twilio_webhook`` fixture's, so both refuse the same fragments."""
    import httpx

    from ai_voice_shared_testing.webhooks import ConnectionOverrides

    try:
        overrides = ConnectionOverrides.parse(urlsplit(url).fragment)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sent = str(httpx.URL(url).copy_with(fragment=None)).removesuffix("?")
    return sent, overrides.connect_timeout_ms / 1000, overrides.read_timeout_ms / 1000


def _message_of(urls: list[str]) -> str | None:
    """The MessageSid the given media URLs belong to (one message), or ``None``."""
    sids = {match["message"] for url in urls if (match := _MESSAGE_IN_URL.search(url))}
    if len(sids) > 1:
        raise UsageError(
            "the --media-url items belong to different messages; a webhook carries one"
        )
    return next(iter(sids), None)


def _given_media(url: str, content_type: str) -> TwilioMedia:
    from pydantic import ValidationError

    from ai_voice_shared.models import TwilioMedia

    try:
        return TwilioMedia(url=url, content_type=content_type)
    except ValidationError as error:
        problem = error.errors()[0]["msg"]
        raise UsageError(f"--media-url {url[:200]!r} / --media-type: {problem}") from None


def _register(
    api: str,
    account: str,
    token: str,
    content: bytes,
    content_type: str,
    message_sid: str | None,
) -> tuple[TwilioMedia, str]:
    """Register one media item with the running fake; return it and its message's SID."""
    import httpx

    from ai_voice_shared.models import TwilioMedia

    host = (urlsplit(api).hostname or "").lower()
    if host == "twilio.com" or host.endswith(".twilio.com"):
        raise UsageError(
            f"TWILIO_API_BASE_URL is Twilio's own API ({api}): media are registered only with "
            "the fake of `ai-voice-shared fakes`; export the environment it printed"
        )
    where = api.rstrip("/") + _FAKE_ADMIN_PATH
    try:
        answer = httpx.post(
            where,
            content=content,
            headers={"Content-Type": content_type},
            params={"message_sid": message_sid} if message_sid else None,
            auth=(account, token),
            timeout=10,
            trust_env=False,
        )
    except httpx.HTTPError as error:
        raise UsageError(
            f"the fake Twilio API at {api} does not answer ({error}): is `ai-voice-shared "
            "fakes` running, and is this its TWILIO_API_BASE_URL?"
        ) from None
    if answer.status_code != 201:
        detail = answer.text[:300]
        if answer.status_code == 401:
            detail = "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not this fake's (restarted?)"
        raise UsageError(
            f"the fake Twilio API at {api} did not register the media: "
            f"{answer.status_code} {' '.join(detail.split())}"
        )
    document = answer.json()
    item = TwilioMedia(url=document["url"], content_type=document["content_type"])
    return item, str(document["message_sid"])


def _deliver(client: httpx.Client, request: Any, attempt: int) -> dict[str, Any]:
    import httpx

    start = time.perf_counter()
    try:
        with client.stream(
            "POST", request.url, content=request.body, headers=request.headers
        ) as answer:
            body = b""
            for chunk in answer.iter_bytes():  # a reply is TwiML: keep the first MiB only
                body += chunk
                if len(body) >= _MAX_ANSWER:
                    break
    except httpx.HTTPError as error:
        return {
            "attempt": attempt,
            "status": None,
            "ms": round((time.perf_counter() - start) * 1000, 1),
            "error": f"{type(error).__name__}: {error}",
        }
    return {
        "attempt": attempt,
        "status": answer.status_code,
        "ms": round((time.perf_counter() - start) * 1000, 1),
        "content_type": answer.headers.get("content-type"),
        "body": body[:10_000].decode("utf-8", "replace"),
    }


def _report(args: argparse.Namespace, request: Any, deliveries: list[dict[str, Any]]) -> None:
    payload = request.payload
    if args.json:
        document = {
            "url": request.url,
            "message_sid": payload.message_sid,
            "signature": request.signature,
            "idempotency_token": request.idempotency_token,
            "media": [item.model_dump() for item in payload.media],
            "deliveries": deliveries,
        }
        print(json.dumps(document), flush=True)
        return
    what = f"{len(payload.media)} media item(s)" if payload.media else "a text"
    print(f"POST {request.url}: {payload.message_sid}, {what}")
    for item in payload.media:
        print(f"  media {item.content_type}: {item.url}")
    for delivery in deliveries:
        label = "redelivery" if delivery["attempt"] > 1 else "delivery"
        if delivery["status"] is None:
            print(f"{label}: no answer after {delivery['ms']:.0f} ms: {delivery['error']}")
            continue
        body = " ".join(delivery["body"].split())
        body = body if len(body) <= 300 else body[:300] + "..."
        print(f"{label}: {delivery['status']} in {delivery['ms']:.0f} ms: {body}")
    sys.stdout.flush()
