"""Webhook verify + parse: through the Starlette adapter versus the same work by hand.

Ours: ``await verify_request(request, verifier)`` (public URL rebuilt from
``TWILIO_WEBHOOK_BASE_URL``, body read up to the size limit, signature checked, payload parsed).
By hand: ``await request.body()``, ``TwilioRequestValidator.validate`` against the known public
URL, ``TwilioWebhookPayload.from_form``: the least a handler can do and still be correct. Both
run on the Twilio samples, on fresh ``starlette.requests.Request`` objects, in one event loop.
Target: ours runs at >= 0.9x the hand-written throughput.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from ai_voice_shared import TwilioRequestValidator, TwilioWebhookPayload, TwilioWebhookVerifier
from benchmarks import Figure, median

SAMPLES = Path(__file__).parents[1] / "tests" / "data" / "twilio"
TOKEN = "0123456789abcdef0123456789abcdef"
BASE = "https://voice.example.com"
PATH = "/twilio/whatsapp"
ROUNDS = 30
NUMBER = 200


def _cases() -> list[tuple[bytes, str]]:
    validator = TwilioRequestValidator(TOKEN)
    bodies = [
        path.read_bytes() for path in sorted(SAMPLES.glob("*.form")) if "status" not in path.name
    ]
    return [(body, validator.compute_signature(BASE + PATH, body)) for body in bodies]


def _request(body: bytes, signature: str) -> Any:
    from starlette.requests import Request

    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "server": ("10.0.0.7", 8000),
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"10.0.0.7:8000"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"x-twilio-signature", signature.encode()),
            (b"i-twilio-idempotency-token", b"0f3e9c2a-token"),
        ],
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


def run() -> list[Figure]:
    from ai_voice_shared.adapters.starlette import verify_request

    cases = _cases()
    verifier = TwilioWebhookVerifier(auth_token=TOKEN, webhook_base_url=BASE)
    validator = TwilioRequestValidator(TOKEN)

    async def ours() -> None:
        for body, signature in cases:
            webhook = await verify_request(_request(body, signature), verifier)
            assert webhook.payload is not None

    async def by_hand() -> None:
        for body, signature in cases:
            request = _request(body, signature)
            raw = await request.body()
            if not validator.validate(BASE + PATH, raw, request.headers["x-twilio-signature"]):
                raise AssertionError("the samples are signed for this URL")
            TwilioWebhookPayload.from_form(raw)

    async def timed(work: Any) -> float:
        start = time.perf_counter()
        for _ in range(NUMBER):
            await work()
        return (time.perf_counter() - start) / NUMBER

    async def measure() -> tuple[list[float], list[float]]:
        await ours()  # warm: deferred schemas, imports
        await by_hand()
        ours_times, hand_times = [], []
        for _ in range(ROUNDS):  # interleaved, so drift on a noisy machine hits both alike
            ours_times.append(await timed(ours))
            hand_times.append(await timed(by_hand))
        return ours_times, hand_times

    ours_times, hand_times = asyncio.run(measure())
    per_round = len(cases)
    return [
        Figure(
            name="webhook verify+parse via the Starlette adapter (vs by hand: body, validate, "
            "from_form)",
            value=per_round / median(ours_times),
            baseline=per_round / median(hand_times),
            unit="webhooks/s",
            target=0.9,
            bound="min",
        )
    ]
