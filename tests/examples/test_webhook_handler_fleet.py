"""The reference webhook handler as a fleet: two uvicorn processes on one S3 and one store.

Each replica is a real process (``uvicorn --factory examples.webhook_handler.app:create_app``)
configured only through its environment, as in production: one SeaweedFS server, one Redis
(Valkey) server or the S3 store, the live fakes of Twilio and customer-lookup-server. The
same signed webhook is delivered to both, one after the other and at once, and 50 webhooks to
both in random order: each is looked up, fetched and stored exactly once. Then a replica is
killed (SIGKILL) while it holds a claim: after the lease, Twilio's redelivery is handled
exactly once by the other.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ai_voice_shared import S3Service
from ai_voice_shared_testing import (
    FakeLookupServer,
    FakeTwilioApi,
    RedisServer,
    SeaweedFSServer,
    TwilioWebhookSender,
)
from ai_voice_shared_testing.s3_bucket import create_bucket, destroy_bucket

ROOT = Path(__file__).parents[2]
HOOK = "/twilio/whatsapp"
LEASE = 3.0

pytestmark = pytest.mark.aivs_lookup(real_sleep=True)  # the replicas wait for real


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Replica:
    """One webhook-handler process on a free port, under the kit's process supervisor (it dies
    with the test run, however the run ends)."""

    def __init__(self, environment: dict[str, str], workdir: Path) -> None:
        self.port = _free_port()
        self.log = workdir / f"replica-{self.port}.log"
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "examples.webhook_handler.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ai_voice_shared_testing._servers.supervisor",
                    str(workdir / f"work-{self.port}"),
                    str(self.log) + ".supervisor",
                    "--",
                    *command,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE,
                cwd=ROOT,
                env={**os.environ, **environment, "PYTHONPATH": str(ROOT)},
                start_new_session=True,
            )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the replica exited:\n{self.log.read_text()[-3000:]}")
            try:
                self.client.get("/docs")
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"the replica did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the server itself (the supervisor's group), mid-request."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        self.client.close()
        assert self.process.stdin is not None
        self.process.stdin.close()  # the supervisor's cue: SIGTERM, then SIGKILL
        if self.process.poll() is None:
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


@pytest.fixture(scope="module")
def seaweedfs(weed: Path) -> Iterator[SeaweedFSServer]:
    with SeaweedFSServer(binary=weed) as server:
        yield server


@pytest.fixture
def bucket(seaweedfs: SeaweedFSServer) -> Iterator[S3Service]:
    service = S3Service(seaweedfs.s3_settings(f"aivs-fleet-{uuid.uuid4().hex[:16]}"))
    create_bucket(service.client, service.bucket, seaweedfs.region)
    yield service
    destroy_bucket(service.client, service.bucket)
    service.close()


@pytest.fixture(params=["redis", "s3"])
def fleet(
    request: pytest.FixtureRequest,
    bucket: S3Service,
    seaweedfs: SeaweedFSServer,
    live_twilio_api: FakeTwilioApi,
    live_lookup_server: FakeLookupServer,
    twilio_webhook: TwilioWebhookSender,
    tmp_path: Path,
) -> Iterator[list[Replica]]:
    """Two replicas sharing the bucket and the delivery store of the run's parameter."""
    settings = bucket.settings
    environment = {
        **twilio_webhook.environment(),
        **live_twilio_api.environment(),
        "CUSTOMER_LOOKUP_BASE_URL": live_lookup_server.base_url,
        "CUSTOMER_LOOKUP_TOTAL_TIMEOUT_SECONDS": "60",
        "CUSTOMER_LOOKUP_TIMEOUT_SECONDS": "60",
        "S3_BUCKET_NAME": settings.bucket_name,
        "S3_REGION": seaweedfs.region,
        "S3_ENDPOINT_URL": seaweedfs.endpoint_url,
        "S3_ACCESS_KEY_ID": seaweedfs.access_key_id,
        "S3_SECRET_ACCESS_KEY": seaweedfs.secret_access_key,
        "DELIVERY_STORE": request.param,
        "DELIVERY_LEASE_SECONDS": str(LEASE),
    }
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        environment["DELIVERY_REDIS_URL"] = server.url
    replicas = [Replica(environment, tmp_path) for _ in range(2)]
    try:
        for replica in replicas:
            replica.wait_until_ready()
        yield replicas
    finally:
        for replica in replicas:
            replica.stop()


def _quietly(sender: TwilioWebhookSender, client: httpx.Client, request: object) -> None:
    """Send ``request``; the replica dying under it is the point, not an error."""
    with contextlib.suppress(httpx.TransportError):
        sender.send(client, request)  # type: ignore[arg-type]


def _stored(bucket: S3Service, account_sid: str) -> list[str]:
    return [item.key for item in bucket.iter_objects(account_sid + "/")]


def test_each_webhook_delivered_to_both_replicas_is_looked_up_fetched_and_stored_once(
    fleet: list[Replica],
    twilio_webhook: TwilioWebhookSender,
    live_twilio_api: FakeTwilioApi,
    live_lookup_server: FakeLookupServer,
    bucket: S3Service,
) -> None:
    clients = [replica.client for replica in fleet]
    senders = [f"+1555555{number:04d}" for number in range(52)]
    for sender in senders:
        live_lookup_server.add_customer(sender)
    notes = [
        live_twilio_api.voice_note(f"OggS {n}".encode(), from_=f"whatsapp:{n}") for n in senders
    ]
    requests = [twilio_webhook.sign(HOOK, note) for note in notes]
    statuses: list[int] = []

    statuses += [r.status_code for r in twilio_webhook.deliver_to(clients, requests[0])]
    statuses += [
        r.status_code for r in twilio_webhook.deliver_to(clients, requests[1], concurrently=True)
    ]
    shuffled = [(request, client) for request in requests[2:] for client in clients]
    random.Random(20261203).shuffle(shuffled)
    for request, client in shuffled:
        statuses.append(twilio_webhook.send(client, request).status_code)

    assert set(statuses) <= {200, 503}
    assert Counter(live_lookup_server.lookups) == Counter(senders)
    media_gets = Counter(
        r.url.rsplit("/", 1)[-1] for r in live_twilio_api.requests if "/Media/" in r.url
    )
    assert set(media_gets.values()) == {1}
    assert len(media_gets) == len(notes)
    assert len(_stored(bucket, notes[0].account_sid)) == len(notes)


def test_a_replica_killed_holding_a_claim_blocks_its_webhook_only_until_the_lease(
    fleet: list[Replica],
    twilio_webhook: TwilioWebhookSender,
    live_twilio_api: FakeTwilioApi,
    live_lookup_server: FakeLookupServer,
    bucket: S3Service,
) -> None:
    doomed, survivor = fleet
    live_lookup_server.add_customer("+15555550100")
    note = live_twilio_api.voice_note(b"OggS survives", from_="whatsapp:+15555550100")
    request = twilio_webhook.sign(HOOK, note)
    live_lookup_server.delay(10)  # the doomed replica claims, then hangs in its lookup
    stuck = threading.Thread(  # its delivery: the connection dies with the replica
        target=_quietly,
        args=(twilio_webhook, doomed.client, request),
        daemon=True,
    )
    stuck.start()
    deadline = time.monotonic() + 20
    while not live_lookup_server.lookups and time.monotonic() < deadline:
        time.sleep(0.02)
    assert live_lookup_server.lookups == ["+15555550100"]  # it holds the claim now

    doomed.kill()
    stuck.join(10)
    live_lookup_server.delay(0)
    early = twilio_webhook.send(survivor.client, request)  # Twilio's retry, within the lease
    time.sleep(LEASE + 0.5)
    late = twilio_webhook.send(survivor.client, request)  # and one after it
    again = twilio_webhook.send(survivor.client, request)

    assert early.status_code == 503
    assert late.status_code == 200
    assert "We got your voice note" in late.text
    assert again.status_code == 200
    assert "<Message>" not in again.text  # handled already: no second reply
    assert len(_stored(bucket, note.account_sid)) == 1
    media_gets = [r for r in live_twilio_api.requests if "/Media/" in r.url]
    assert len(media_gets) == 1  # the survivor's only: the doomed replica never got there
