"""``ai-voice-shared demo``: a WhatsApp voice note from webhook to S3, on local fakes.

Every step uses the library as a service would, over real HTTP on 127.0.0.1: the signed webhook
is verified and parsed behind a (simulated) TLS proxy and answered with TwiML, the sender is
looked up with ``CustomerLookupClient``, the voice note is fetched from the (fake) Twilio media
API and streamed into S3 with ``MediaIngest``, a redelivery of the same webhook stores nothing
twice, and the note is listed and downloaded again through a presigned URL.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ai_voice_shared_testing._cli.exits import EXIT_FAILED, EXIT_OK, UsageError, http_url

if TYPE_CHECKING:
    from ai_voice_shared import S3Service
    from ai_voice_shared.models import S3EventRecord
    from ai_voice_shared.settings import VoiceNoteQueueSettings
    from ai_voice_shared_testing._cli.fake_stack import S3Kind

__all__ = ["HELP", "configure", "run", "run_demo"]

HELP = "Run a voice note end to end on local fakes."

AUTH_TOKEN = "demo-auth-token-0123456789abcdef"
PUBLIC_BASE = "https://webhook-handler.example.com"
WEBHOOK_URL = f"{PUBLIC_BASE}/twilio/whatsapp"
INTERNAL_URL = "http://10.0.0.7:8000/twilio/whatsapp"  # the same request, as the app sees it
SENDER = "+15555550100"
#: A tiny Ogg page header followed by filler: enough to be recognisably audio/ogg.
VOICE_NOTE = b"OggS\x00\x02" + bytes(22) + b"OpusHead" + bytes(range(256)) * 16


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of ``ai-voice-shared demo``."""
    parser.add_argument(
        "--s3",
        choices=("moto", "seaweedfs"),
        default="moto",
        help="S3 server to start (default: moto).",
    )
    parser.add_argument(
        "--s3-endpoint",
        type=http_url,
        metavar="URL",
        help="Use this S3-compatible endpoint instead (credentials from AWS_* variables).",
    )
    parser.add_argument("--json", action="store_true", help="Print the steps as JSON.")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """``ai-voice-shared demo``: 0 when every step passed, 1 when one failed."""
    from ai_voice_shared.errors import AiVoiceSharedError
    from ai_voice_shared_testing._cli.fake_stack import FakeStackUsageError

    kind: S3Kind = "endpoint" if args.s3_endpoint else args.s3
    try:
        steps = run_demo(
            s3=kind, s3_endpoint=args.s3_endpoint, out=(lambda _: None) if args.json else print
        )
    except FakeStackUsageError as error:
        raise UsageError(str(error)) from None
    except (AiVoiceSharedError, AssertionError, OSError) as error:
        print(f"ai-voice-shared demo failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"ok": True, "steps": steps}))
    return EXIT_OK


def run_demo(
    *, s3: S3Kind = "moto", s3_endpoint: str | None = None, out: Callable[[str], Any] = print
) -> list[dict[str, Any]]:
    """Run every step, printing each with its timing; return the steps (name, ms, detail)."""
    from ai_voice_shared import (
        CustomerLookupClient,
        MediaIngest,
        S3Service,
        TwilioMediaClient,
        TwilioWebhookPayload,
        TwilioWebhookVerifier,
        mask_phone_number,
        messaging_response,
    )
    from ai_voice_shared.twiml import TWIML_MEDIA_TYPE
    from ai_voice_shared_testing._cli.fake_stack import FakeStack
    from ai_voice_shared_testing.factories import seed_factories
    from ai_voice_shared_testing.webhooks import signed_twilio_request

    steps: list[dict[str, Any]] = []

    @contextmanager
    def step(name: str) -> Iterator[dict[str, Any]]:
        record: dict[str, Any] = {"step": name, "detail": ""}
        start = time.perf_counter()
        yield record
        record["ms"] = round((time.perf_counter() - start) * 1000, 1)
        steps.append(record)
        out(f"[{len(steps):>2}] {name:<44} {record['ms']:>8.1f} ms  {record['detail']}")

    with step("start the fakes on 127.0.0.1") as record:
        stack = FakeStack(s3=s3, s3_endpoint=s3_endpoint, bucket="aivs-demo-voice-notes").start()
        record["detail"] = (
            f"S3 ({s3}) {stack.endpoint_url}, lookup {stack.lookup.base_url}, "
            f"Twilio {stack.twilio.api_base_url}"
        )
    try:
        with step("seed a customer in the fake lookup server") as record:
            customer = stack.lookup.add_customer(SENDER, company_name="Acme Ltd")
            record["detail"] = f"{mask_phone_number(SENDER)} -> {customer.company_name}"
        with step("build a signed WhatsApp voice-note webhook") as record:
            seed_factories(2026)
            payload = stack.twilio.voice_note(VOICE_NOTE, from_=f"whatsapp:{SENDER}")
            request = signed_twilio_request(payload, url=WEBHOOK_URL, auth_token=AUTH_TOKEN)
            record["detail"] = f"{len(request.body)} bytes, X-Twilio-Signature {request.signature}"
        with step("verify and parse it behind a TLS proxy") as record:
            # What the app sees behind the proxy: http, an internal host; the public URL is
            # rebuilt from TWILIO_WEBHOOK_BASE_URL, as the endpoint adapters do.
            verifier = TwilioWebhookVerifier(auth_token=AUTH_TOKEN, webhook_base_url=PUBLIC_BASE)
            webhook = verifier.verify(INTERNAL_URL, request.headers, request.body)
            parsed = webhook.payload
            assert isinstance(parsed, TwilioWebhookPayload)
            voice = parsed.audio_media[0]
            record["detail"] = f"{parsed.message_sid}, {voice.content_type}, {webhook.public_url}"
        with step("answer it with TwiML") as record:
            answer = messaging_response("Thanks! We got your voice note.")
            record["detail"] = f"{len(answer)} bytes of {TWIML_MEDIA_TYPE}"
        with (
            step("look the sender up over HTTP") as record,
            CustomerLookupClient(stack.lookup.base_url) as lookups,
        ):
            found = lookups.lookup(parsed.from_)
            record["detail"] = f"{found.customer_id} at {found.company_name}"
        settings = stack.s3_settings()
        with (
            S3Service(settings) as s3_service,
            TwilioMediaClient(stack.twilio.settings()) as media,
        ):
            ingest = MediaIngest(s3_service, media)
            with step("fetch the voice note from Twilio into S3") as record:
                (stored,) = ingest.ingest(parsed, customer=found)
                key = stored.key
                record["detail"] = (
                    f"s3://{settings.bucket_name}/{key[:30]}... ({stored.size} bytes, "
                    f"{len(stack.twilio.requests)} Twilio requests)"
                )
            with step("the same webhook delivered again") as record:
                (again,) = ingest.ingest(parsed, customer=found)
                if not again.already_stored:
                    raise AssertionError("the redelivered voice note was stored twice")
                record["detail"] = "already stored: nothing written twice"
            if stack.queue_settings is not None:
                with step("the voice-parser receives it by its S3 event") as record:
                    record["detail"] = _receive(stack.queue_settings, s3_service, key)
            with step("list the stored voice notes") as record:
                listed = [o.key for o in s3_service.iter_objects(f"{parsed.account_sid}/")]
                if key not in listed:
                    raise AssertionError(f"{key} is not listed: {listed}")
                record["detail"] = f"{len(listed)} object(s)"
            with step("create a presigned URL and download it") as record:
                import httpx

                url = s3_service.generate_presigned_url(key, expires_in=300)
                response = httpx.get(url, timeout=10)
                response.raise_for_status()
                if response.content != VOICE_NOTE:
                    raise AssertionError("the presigned download returned other bytes")
                record["detail"] = (
                    f"HTTP {response.status_code}, {len(response.content)} bytes, identical"
                )
    finally:
        with step("stop the fakes") as record:
            stack.stop()
            record["detail"] = "ports freed"
    total = sum(s["ms"] for s in steps)
    out(f"All {len(steps)} steps passed in {total:.0f} ms.")
    return steps


def _receive(queue: VoiceNoteQueueSettings, s3: S3Service, key: str) -> str:
    """Consume the events queue as the voice-parser does until the note's event came (the
    redelivery wrote nothing, so there is one); download the note it names."""
    from ai_voice_shared.services.voice_note_queue import VoiceNoteConsumer

    notes: list[bytes] = []

    def handle(record: S3EventRecord) -> None:
        if record.key == key:
            notes.append(s3.download_bytes(record.key))

    consumer = VoiceNoteConsumer(handle, settings=queue.model_copy(update={"wait_seconds": 1}))
    for _ in range(10):
        report = consumer.poll()
        if notes:
            return (
                f"1 event, {len(notes[0])} bytes downloaded, {len(report.deleted)} message(s) acked"
            )
    raise AssertionError(f"no S3 event for {key} reached {queue.queue_url}")
