"""The guard around the stores: keys, configuration, failures, bounds."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from ai_voice_shared import (
    ConfigurationError,
    DeliveryGuard,
    DeliveryInProgressError,
    DeliverySettings,
    DeliveryStoreError,
    MemoryDeliveryStore,
    RedisDeliveryStore,
    TwilioRequestValidator,
    TwilioStatusCallback,
    TwilioWebhookPayload,
    TwilioWebhookVerifier,
    delivery_store,
)
from ai_voice_shared._delivery.keys import delivery_key, fingerprint_of
from ai_voice_shared_testing.redis_server import RedisServer

TOKEN = "12345"
URL = "https://voice.example.com/twilio/inbound"


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_webhook_is_keyed_by_its_signed_message_sid_and_a_status_callback_by_its_status(
    voice_note_body: bytes, twilio_sample: object
) -> None:
    payload = TwilioWebhookPayload.from_form(voice_note_body)
    callback = TwilioStatusCallback.from_form(
        twilio_sample("08_status_callback_sent.form")  # type: ignore[operator]
    )

    assert delivery_key(payload) == payload.message_sid
    assert delivery_key(callback) == f"{callback.message_sid}:sent"


def test_a_replay_with_another_idempotency_header_is_still_the_same_delivery(
    voice_note_body: bytes,
) -> None:
    verifier = TwilioWebhookVerifier(auth_token=TOKEN)
    signature = TwilioRequestValidator(TOKEN).compute_signature(URL, voice_note_body)
    guard = DeliveryGuard(MemoryDeliveryStore(), ttl_seconds=60, lease_seconds=15)
    handled = []

    for token in ("token-from-twilio", "chosen-by-an-attacker"):
        headers = {"X-Twilio-Signature": signature, "I-Twilio-Idempotency-Token": token}
        webhook = verifier.verify(URL, headers, voice_note_body)
        assert webhook.unsigned_idempotency_token == token
        with guard.once(webhook) as first:
            if first:
                handled.append(token)

    assert handled == ["token-from-twilio"]


def test_the_fingerprint_ignores_the_order_of_the_parameters(voice_note_body: bytes) -> None:
    pairs = [tuple(pair.split("=", 1)) for pair in voice_note_body.decode().split("&")]
    shuffled = "&".join("=".join(pair) for pair in reversed(pairs)).encode()

    one = fingerprint_of(TwilioWebhookPayload.from_form(voice_note_body))
    other = fingerprint_of(TwilioWebhookPayload.from_form(shuffled))

    assert one == other
    assert len(one) == 64


def test_a_json_webhook_needs_a_key_of_its_own() -> None:
    from ai_voice_shared import VerifiedWebhook

    webhook = VerifiedWebhook(None, None, URL, b"{}", {})

    with pytest.raises(ConfigurationError, match=r"pass the key yourself"):
        delivery_key(webhook)
    assert fingerprint_of("k", webhook.body) == fingerprint_of(webhook)


@pytest.mark.parametrize(
    ("ttl", "lease", "named"),
    [(float("nan"), 15.0, "ttl_seconds"), (60.0, 0.0, "lease_seconds"), (True, 15.0, "ttl")],
)
def test_a_guard_that_could_hold_nothing_is_refused_naming_the_value(
    ttl: float, lease: float, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        DeliveryGuard(MemoryDeliveryStore(), ttl_seconds=ttl, lease_seconds=lease)


def test_the_memory_store_holds_no_more_claims_than_its_size_even_never_released() -> None:
    store = MemoryDeliveryStore(max_size=10)
    guard = DeliveryGuard(store, ttl_seconds=60, lease_seconds=15)

    for number in range(50_000):
        guard.claim(f"MM{number}")

    assert len(store) == 10


def test_the_settings_name_the_variable_of_a_redis_store_without_a_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DELIVERY_STORE", "redis")

    with pytest.raises(ConfigurationError, match=r"DELIVERY_STORE=redis needs DELIVERY_REDIS_URL"):
        DeliveryGuard()
    monkeypatch.setenv("DELIVERY_REDIS_URL", "http://redis:6379")
    with pytest.raises(ConfigurationError, match=r"- DELIVERY_REDIS_URL: is not a Redis URL"):
        DeliverySettings()


def test_the_settings_choose_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELIVERY_STORE", "Redis")
    monkeypatch.setenv("DELIVERY_REDIS_URL", "redis://:secret@redis:6379/2")
    monkeypatch.setenv("DELIVERY_LEASE_SECONDS", "20")

    guard = DeliveryGuard()

    assert isinstance(guard.store, RedisDeliveryStore)
    assert guard.lease_seconds == 20
    assert "secret" not in repr(guard)
    assert isinstance(delivery_store(DeliverySettings(store="memory")), MemoryDeliveryStore)


def test_a_redis_store_that_is_down_is_a_store_error_within_its_timeout() -> None:
    guard = DeliveryGuard(
        RedisDeliveryStore(f"redis://127.0.0.1:{_unused_port()}/0", timeout=0.5),
        ttl_seconds=60,
        lease_seconds=15,
    )
    started = time.monotonic()

    with pytest.raises(
        DeliveryStoreError, match=r"did not answer for 'MM1'.*answer it 503"
    ) as caught:
        guard.claim("MM1")

    assert time.monotonic() - started < 2.5
    assert (caught.value.http_status, caught.value.transient) == (503, True)


def test_a_silent_redis_server_is_a_store_error_within_about_twice_its_timeout() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        guard = DeliveryGuard(
            RedisDeliveryStore(f"redis://127.0.0.1:{port}/0", timeout=0.3),
            ttl_seconds=60,
            lease_seconds=15,
        )
        started = time.monotonic()
        with pytest.raises(DeliveryStoreError):
            guard.claim("MM1")
        elapsed = time.monotonic() - started

    assert elapsed < 2.0


def test_a_record_something_else_wrote_is_a_store_error_naming_the_key_space(
    valkey_server: RedisServer,
) -> None:
    import redis

    valkey_server.flush()
    redis.Redis.from_url(valkey_server.url).set("aivs:delivery:MM1", "not a record")
    guard = DeliveryGuard(RedisDeliveryStore(valkey_server.url), ttl_seconds=60, lease_seconds=15)

    with pytest.raises(DeliveryStoreError, match=r"is not one DeliveryGuard wrote"):
        guard.claim("MM1")


def test_a_claim_in_progress_on_another_replica_is_seen_here(valkey_server: RedisServer) -> None:
    valkey_server.flush()
    one = DeliveryGuard(RedisDeliveryStore(valkey_server.url), ttl_seconds=60, lease_seconds=15)
    two = DeliveryGuard(RedisDeliveryStore(valkey_server.url), ttl_seconds=60, lease_seconds=15)

    claim = one.claim("MM1")
    with pytest.raises(DeliveryInProgressError):
        two.claim("MM1")
    assert claim is not None
    one.complete(claim)
    assert two.claim("MM1") is None


def test_without_redis_py_the_redis_store_names_the_extra(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "redis.py").write_text("raise ImportError('no redis here')\n")
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from ai_voice_shared import RedisDeliveryStore\n"
        "try:\n    RedisDeliveryStore('redis://127.0.0.1:1/0')\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == (
        "ConfigurationError RedisDeliveryStore needs redis-py, which is not installed: "
        "pip install 'ai-voice-shared[redis]'"
    )


@pytest.mark.parametrize("store", ["s3-moto"], indirect=True)
def test_an_s3_store_that_fails_is_a_store_error_and_nothing_is_claimed(
    store: object, delivery_bucket: str
) -> None:
    from ai_voice_shared_testing.s3_faults import S3FaultInjector

    guard = DeliveryGuard(store, ttl_seconds=60, lease_seconds=15)  # type: ignore[arg-type]
    faults = S3FaultInjector(delivery_bucket)
    try:
        faults.fail("PutObject", status=503, code="SlowDown", times=10)
        with pytest.raises(DeliveryStoreError, match=r"failed on PutObject for 'MM1'.*SlowDown"):
            guard.claim("MM1")
        faults.clear()
        assert guard.claim("MM1") is not None
    finally:
        faults.close()
