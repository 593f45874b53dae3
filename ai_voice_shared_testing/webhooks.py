"""Signed Twilio webhooks for the app under test: ``TwilioWebhookSender`` and the signing helpers.

The ``twilio_webhook`` fixture is a :class:`TwilioWebhookSender` whose auth token and public base
URL are in the environment the app reads (``TWILIO_AUTH_TOKEN``, ``TWILIO_WEBHOOK_BASE_URL``)::

    def test_a_voice_note_is_answered(twilio_webhook, client):
        response = twilio_webhook.post(client, "/twilio/webhook")
        assert response.status_code == 200

It builds payloads with the factories (or takes yours), signs them exactly as Twilio does and
sends them through a Starlette/FastAPI ``TestClient``, an ``httpx.Client`` or ``AsyncClient``
(``await ....apost(...)``), or a Flask/Werkzeug test client. Nothing here imports Hypothesis;
the strategies (``signed_twilio_requests``) build on the same :func:`signed_twilio_request`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json as jsonlib
import threading
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload
from urllib.parse import urlencode, urlsplit

from typing_extensions import TypeVar as DefaultedTypeVar  # PEP 696 defaults (3.13 typing)

from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared.hooks import get_clock
from ai_voice_shared.models import TwilioStatusCallback, TwilioWebhookPayload
from ai_voice_shared.twilio_signature import SIGNATURE_HEADER, TwilioRequestValidator
from ai_voice_shared.webhooks import IDEMPOTENCY_HEADER
from ai_voice_shared_testing._twilio_delivery import (
    DEFAULT_OVERRIDES,
    ConnectionOverrides,
    DeliveryAttempt,
    Failure,
    classify,
    retry_of,
)

if TYPE_CHECKING:
    from ai_voice_shared.settings import TwilioSettings
    from ai_voice_shared.webhooks import TwilioWebhookVerifier

__all__ = [
    "DEFAULT_WEBHOOK_BASE_URL",
    "AsyncTestClient",
    "ConnectionOverrides",
    "DeliveryAttempt",
    "SignedTwilioRequest",
    "SyncTestClient",
    "TwilioWebhookSender",
    "TwilioWouldNotRetryError",
    "WebhookDelivery",
    "signed_twilio_json_request",
    "signed_twilio_request",
]

#: The public base URL the ``twilio_webhook`` fixture configures (``.test`` never resolves).
DEFAULT_WEBHOOK_BASE_URL = "https://webhooks.aivs.test"
# What Twilio's webhook requests carry besides the signature.
_TWILIO_HEADERS = {"User-Agent": "TwilioProxy/1.1", "Accept": "*/*"}
# The client address the proxy of proxy=True forwards (TEST-NET-3, RFC 5737: never routed).
_TWILIO_ADDRESS = "203.0.113.10"


class _Answer(Protocol):
    """What every test client answers: a response with a status."""

    @property
    def status_code(self) -> int: ...


AnswerT = TypeVar("AnswerT", bound=_Answer)
_AnswerT_co = TypeVar("_AnswerT_co", bound=_Answer, covariant=True)


class SyncTestClient(Protocol[_AnswerT_co]):
    """A sync test client (Starlette/FastAPI ``TestClient``, ``httpx.Client``, Flask's): the
    sender returns its own response type (``httpx.Response``, Werkzeug's ``TestResponse``)."""

    # *args/**kwargs: httpx and Werkzeug spell post's keywords differently (content=, data=).
    def post(self, url: str, /, *args: Any, **kwargs: Any) -> _AnswerT_co: ...


class AsyncTestClient(Protocol[_AnswerT_co]):
    """An ``httpx.AsyncClient``: ``post`` answers an awaitable response."""

    def post(self, url: str, /, *args: Any, **kwargs: Any) -> Awaitable[_AnswerT_co]: ...


FormPayload = TwilioWebhookPayload | TwilioStatusCallback
_PayloadT = TypeVar("_PayloadT", bound=TwilioWebhookPayload | TwilioStatusCallback | None)
_FormT = TypeVar("_FormT", bound=TwilioWebhookPayload | TwilioStatusCallback)
#: What a signed request carries: the model it was built from (``None`` for a JSON webhook).
PayloadT_co = DefaultedTypeVar(
    "PayloadT_co",
    bound=FormPayload | None,
    default=FormPayload | None,
    covariant=True,
)


@dataclass(frozen=True)
class SignedTwilioRequest(Generic[PayloadT_co]):
    """What Twilio sends: the URL it calls, the body, and headers with the signature.

    ``payload`` is the form payload it carries (``None`` for a JSON webhook, whose document is
    ``json``); ``overrides`` the connection overrides of the URL Twilio is configured with
    (its ``#fragment``, which Twilio neither sends nor signs). ``dataclasses.replace(request,
    body=...)`` makes a tampered copy.
    """

    url: str
    body: bytes
    headers: dict[str, str]
    payload: PayloadT_co = None  # type: ignore[assignment]  # None: a JSON webhook
    json: Any = None
    overrides: ConnectionOverrides = DEFAULT_OVERRIDES

    @property
    def signature(self) -> str:
        """The ``X-Twilio-Signature`` header."""
        return self.headers[SIGNATURE_HEADER]

    @property
    def idempotency_token(self) -> str | None:
        """The ``I-Twilio-Idempotency-Token`` header (the same on every delivery)."""
        return self.headers.get(IDEMPOTENCY_HEADER)

    @property
    def path(self) -> str:
        """The path and query string, as a test client takes them (exactly as signed)."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _token(url: str, body: bytes) -> str:
    # Twilio's token is opaque and the same on every delivery of one webhook; derived from the
    # request, it is too (and stays reproducible under Hypothesis).
    return hashlib.sha256(url.encode("utf-8", "surrogatepass") + b"\n" + body).hexdigest()[:32]


def signed_twilio_request(
    payload: _FormT,
    *,
    url: str,
    auth_token: str,
    idempotency_token: str | None = None,
) -> SignedTwilioRequest[_FormT]:
    """The request Twilio would send for ``payload`` to ``url``, signed with ``auth_token``."""
    pairs = payload.to_form()
    signature = TwilioRequestValidator(auth_token).compute_signature(url, pairs)
    body = urlencode(pairs).encode("ascii")
    return SignedTwilioRequest(
        url=url,
        body=body,
        headers={
            **_TWILIO_HEADERS,
            "Content-Type": "application/x-www-form-urlencoded",
            SIGNATURE_HEADER: signature,
            IDEMPOTENCY_HEADER: idempotency_token or _token(url, body),
        },
        payload=payload,
    )


def signed_twilio_json_request(
    document: Any,
    *,
    url: str,
    auth_token: str,
    idempotency_token: str | None = None,
) -> SignedTwilioRequest[None]:
    """A JSON webhook as Twilio sends one: ``bodySHA256`` (the body's SHA-256) added to the
    query string of ``url``, the signature over that URL alone. ``document`` is any JSON value
    (serialised as ``json.dumps`` does) or the raw body as ``bytes`` (any bytes, to test a
    malformed one)."""
    body = document if isinstance(document, bytes) else jsonlib.dumps(document).encode()
    digest = hashlib.sha256(body).hexdigest()
    signed_url = f"{url}{'&' if urlsplit(url).query else '?'}bodySHA256={digest}"
    signature = TwilioRequestValidator(auth_token).compute_signature(signed_url)
    return SignedTwilioRequest(
        url=signed_url,
        body=body,
        headers={
            **_TWILIO_HEADERS,
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature,
            IDEMPOTENCY_HEADER: idempotency_token or _token(signed_url, body),
        },
        json=_parsed(body) if isinstance(document, bytes) else document,
    )


def _parsed(body: bytes) -> Any:
    """The JSON a raw body holds, or ``None`` when it holds none (a malformed-body test)."""
    try:
        return jsonlib.loads(body)
    except (ValueError, RecursionError):
        return None


class TwilioWebhookSender:
    """Signs webhooks as Twilio does for one account and sends them to the app under test.

    ``auth_token`` signs; ``base_url`` is the public URL Twilio would call (the app must rebuild
    the same one: :meth:`environment` gives the variables that make it do so);
    ``account_sid`` goes into built payloads. Every request sent is kept in :attr:`requests`.

    ``proxy=True`` sends each request as a TLS-terminating proxy in front of the app would:
    to the test client's own (internal) URL, with ``X-Forwarded-Proto``, ``X-Forwarded-Host``
    and ``X-Forwarded-For`` saying what Twilio called; :meth:`environment` then sets no
    ``TWILIO_WEBHOOK_BASE_URL``, so the app must rebuild the public URL with its production
    proxy settings (``TWILIO_TRUST_FORWARDED_HEADERS=true``, or a server's own proxy-header
    handling).
    """

    def __init__(
        self,
        *,
        auth_token: str,
        base_url: str = DEFAULT_WEBHOOK_BASE_URL,
        account_sid: str | None = None,
        proxy: bool = False,
    ) -> None:
        if not isinstance(auth_token, str) or not auth_token:
            raise ValueError("TwilioWebhookSender needs the auth token the app verifies with")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(
                f"base_url must be an http(s) URL without a query string, such as "
                f"{DEFAULT_WEBHOOK_BASE_URL!r}, not {base_url!r}"
            )
        self.auth_token = auth_token
        self.base_url = base_url.rstrip("/")
        self.account_sid = account_sid
        self.proxy = proxy
        self.requests: list[SignedTwilioRequest] = []
        self.deliveries: list[WebhookDelivery] = []

    def __repr__(self) -> str:
        return (
            f"TwilioWebhookSender(base_url={self.base_url!r}, account_sid={self.account_sid!r}, "
            f"proxy={self.proxy}, sent={len(self.requests)})"
        )

    @property
    def last(self) -> SignedTwilioRequest:
        """The last request sent."""
        if not self.requests:
            raise LookupError("twilio_webhook has sent nothing yet: call .post(client, path) first")
        return self.requests[-1]

    # -- configuration of the app under test ---------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The variables that make an app built from ``TWILIO_*`` verify this sender's
        webhooks (``TwilioWebhookVerifier.from_env()``, the adapters' default). With
        ``proxy=True`` only the auth token: the public URL is the app's proxy settings' to
        rebuild."""
        if self.proxy:
            return {"TWILIO_AUTH_TOKEN": self.auth_token}
        return {"TWILIO_AUTH_TOKEN": self.auth_token, "TWILIO_WEBHOOK_BASE_URL": self.base_url}

    def settings(self) -> TwilioSettings:
        """``TwilioSettings`` for an app configured with a settings object (with
        ``proxy=True``: trusting the forwarded headers, no base URL)."""
        from ai_voice_shared.settings import TwilioSettings

        if self.proxy:
            return TwilioSettings(
                auth_token=self.auth_token,
                trust_forwarded_headers=True,
                account_sid=self.account_sid,
            )
        return TwilioSettings(
            auth_token=self.auth_token,
            webhook_base_url=self.base_url,
            account_sid=self.account_sid,
        )

    def verifier(self) -> TwilioWebhookVerifier:
        """A ``TwilioWebhookVerifier`` that accepts this sender's webhooks."""
        from ai_voice_shared.webhooks import TwilioWebhookVerifier

        return TwilioWebhookVerifier(self.settings())

    def forwarded_headers(self) -> dict[str, str]:
        """What the proxy of ``proxy=True`` adds to each request: the scheme and host Twilio
        called, and a client address (TEST-NET-3, standing for Twilio's)."""
        public = urlsplit(self.base_url)
        return {
            "X-Forwarded-Proto": public.scheme,
            "X-Forwarded-Host": public.netloc,
            "X-Forwarded-For": _TWILIO_ADDRESS,
        }

    def _sent_headers(self, request: SignedTwilioRequest) -> dict[str, str]:
        """The headers as they reach the app (through the proxy of ``proxy=True``)."""
        if not self.proxy:
            return request.headers
        return {**request.headers, **self.forwarded_headers()}

    # -- building -------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """The public URL of ``path`` (which may carry a query string), as an HTTP client sends
        it and so as Twilio signs it: percent-encoded, dot segments resolved, without a bare
        ``?`` and without a ``#`` fragment (Twilio keeps its connection overrides,
        ``#rc=2``, to itself)."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must start with '/', such as '/twilio/webhook', not {path!r}")
        import httpx

        sent = str(httpx.URL(self.base_url + path).copy_with(fragment=None))
        return sent.removesuffix("?")

    @overload
    def sign(
        self, path: str, payload: None = None, **factory_options: Any
    ) -> SignedTwilioRequest[TwilioWebhookPayload]: ...

    @overload
    def sign(self, path: str, payload: _FormT) -> SignedTwilioRequest[_FormT]: ...

    def sign(
        self, path: str, payload: FormPayload | None = None, **factory_options: Any
    ) -> SignedTwilioRequest[FormPayload]:
        """The signed request for ``payload`` (built with ``TwilioWebhookPayloadFactory`` from
        ``factory_options`` when left out) to ``path``, without sending it; typed by the
        payload (``SignedTwilioRequest[TwilioWebhookPayload]``)."""
        if payload is None:
            from ai_voice_shared_testing.factories import TwilioWebhookPayloadFactory

            payload = TwilioWebhookPayloadFactory.build(**self._account(factory_options))
        elif factory_options:
            raise TypeError(
                "Pass either a payload or factory options, not both: "
                f"{sorted(factory_options)} would be ignored"
            )
        signed = signed_twilio_request(payload, url=self.url(path), auth_token=self.auth_token)
        return dataclasses.replace(signed, overrides=_overrides_of(path))

    def sign_status_callback(
        self, path: str, callback: TwilioStatusCallback | None = None, **factory_options: Any
    ) -> SignedTwilioRequest[TwilioStatusCallback]:
        """Like :meth:`sign` for a status callback (``TwilioStatusCallbackFactory``)."""
        if callback is None:
            from ai_voice_shared_testing.factories import TwilioStatusCallbackFactory

            callback = TwilioStatusCallbackFactory.build(**self._account(factory_options))
        return self.sign(path, callback)

    def sign_json(self, path: str, document: Any) -> SignedTwilioRequest[None]:
        """A signed JSON webhook (``bodySHA256``) carrying ``document``."""
        signed = signed_twilio_json_request(
            document, url=self.url(path), auth_token=self.auth_token
        )
        return dataclasses.replace(signed, overrides=_overrides_of(path))

    def forge(self, request: SignedTwilioRequest[_PayloadT]) -> SignedTwilioRequest[_PayloadT]:
        """``request`` with a signature Twilio did not make (signed with another token)."""
        forger = TwilioRequestValidator("forged-" + self.auth_token)
        if request.json is not None or request.payload is None:
            signature = forger.compute_signature(request.url)
        else:
            signature = forger.compute_signature(request.url, request.body)
        return dataclasses.replace(
            request, headers={**request.headers, SIGNATURE_HEADER: signature}
        )

    def _account(self, options: dict[str, Any]) -> dict[str, Any]:
        if self.account_sid is not None:
            options.setdefault("account_sid", self.account_sid)
        return options

    # -- sending (sync clients) -----------------------------------------------------------------

    def send(self, client: SyncTestClient[AnswerT], request: SignedTwilioRequest) -> AnswerT:
        """Deliver ``request`` through a sync test client as Twilio does: once, then again
        while the URL's connection overrides (``request.overrides``) retry what happened (a
        refused connection, an answer slower than ``rt``, a 5xx under ``rp=5xx``, ...), up to
        ``rc`` times, with no real wait. Returns the last answer (:attr:`last_delivery` holds
        every attempt); re-raises the connection error when no attempt got one."""
        self._refuse_async(client)
        delivery = self._start(request)
        while True:
            started = get_clock().monotonic()
            answer, error = None, None
            try:
                answer = self._post(client, request)
            except Exception as exc:  # only a connection failure is Twilio's to retry
                if not _is_connection_failure(exc):
                    raise
                error = exc
            if not delivery.record(answer, error, started):
                return delivery.result(answer)

    def post(
        self,
        client: SyncTestClient[AnswerT],
        path: str,
        payload: TwilioWebhookPayload | TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> AnswerT:
        """Build (or take) a payload, sign it for ``path`` and deliver it (:meth:`send`); a
        ``#fragment`` of ``path`` gives Twilio's connection overrides (``"/hook#rp=5xx"``)."""
        return self.send(client, self.sign(path, payload, **factory_options))

    def status_callback(
        self,
        client: SyncTestClient[AnswerT],
        path: str,
        callback: TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> AnswerT:
        """Send a signed status callback (built with ``TwilioStatusCallbackFactory``)."""
        return self.send(client, self.sign_status_callback(path, callback, **factory_options))

    def redeliver(
        self, client: SyncTestClient[AnswerT], request: SignedTwilioRequest | None = None
    ) -> AnswerT:
        """Send ``request`` (the last one by default) once more, as Twilio's retry does: same
        URL, body, signature and idempotency token. Refused with
        :class:`TwilioWouldNotRetryError` when Twilio would not make that attempt: its last
        answer was one the URL's retry policy does not retry (a 5xx without ``rp=5xx``), or
        ``rc`` retries are spent. An accepted answer may be redelivered (an answer lost on the
        way back is a read timeout) while ``rp`` has ``rt`` and a retry is left."""
        self._refuse_async(client)
        delivery = self._redelivery(request)
        started = get_clock().monotonic()
        answer = self._post(client, delivery.request)
        delivery.record(answer, None, started)
        return answer

    def forged(
        self,
        client: SyncTestClient[AnswerT],
        path: str,
        payload: TwilioWebhookPayload | TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> AnswerT:
        """Send a webhook with a signature Twilio did not make (the app must answer 403)."""
        return self.send(client, self.forge(self.sign(path, payload, **factory_options)))

    def deliver_to(
        self,
        replicas: Sequence[SyncTestClient[AnswerT]],
        request: SignedTwilioRequest | None = None,
        *,
        concurrently: bool = False,
    ) -> list[AnswerT]:
        """Deliver ``request`` (the last one by default) once to every replica of the app, as
        Twilio's retries do when a load balancer spreads them: one after the other, or all at
        once (``concurrently=True``: each replica's delivery in a thread of its own, released
        together). Returns the responses in the replicas' order. Each is one attempt, whatever
        the URL's ``rc`` (more replicas than ``rc + 1`` model deliveries from several events).

        ``replicas`` are sync test clients of app instances built the way production builds
        them, sharing the test's stores (``s3_env``, ``delivery_store``)."""
        chosen = request if request is not None else self.last
        clients = list(replicas)
        for client in clients:
            if _client_kind(client) == "async":
                raise TypeError(
                    "deliver_to takes sync test clients; for httpx.AsyncClient replicas use "
                    "`await twilio_webhook.adeliver_to(replicas, ...)`"
                )
        if not concurrently:
            return [self._post(client, chosen) for client in clients]
        start = threading.Barrier(len(clients))
        answers: list[AnswerT | None] = [None] * len(clients)
        failures: list[BaseException] = []

        def deliver(index: int, client: SyncTestClient[AnswerT]) -> None:
            start.wait()
            try:
                answers[index] = self._post(client, chosen)
            except BaseException as exc:  # re-raised in the test's thread below
                failures.append(exc)

        threads = [
            threading.Thread(target=deliver, args=(index, client), name=f"aivs-replica-{index}")
            for index, client in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return [answer for answer in answers if answer is not None]

    def _post(self, client: SyncTestClient[AnswerT], request: SignedTwilioRequest) -> AnswerT:
        """One attempt: the request as it reaches the app."""
        self.requests.append(request)
        headers = self._sent_headers(request)
        if _client_kind(client) == "werkzeug":
            return client.post(request.path, data=request.body, headers=headers)
        return client.post(request.path, content=request.body, headers=headers)

    def _refuse_async(self, client: object) -> None:
        if _client_kind(client) == "async":
            raise TypeError(
                "An httpx.AsyncClient answers coroutines: use `await twilio_webhook.apost(...)` "
                "(or .asend, .aredeliver, .aforged, .astatus_callback)"
            )

    # -- Twilio's delivery, shared by the twins -------------------------------------------------

    @property
    def last_delivery(self) -> WebhookDelivery:
        """The last delivery: its request, connection overrides and every attempt."""
        if not self.deliveries:
            raise LookupError("twilio_webhook has sent nothing yet: call .post(client, path) first")
        return self.deliveries[-1]

    def _start(self, request: SignedTwilioRequest) -> WebhookDelivery:
        delivery = WebhookDelivery(request)
        self.deliveries.append(delivery)
        return delivery

    def _redelivery(self, request: SignedTwilioRequest | None) -> WebhookDelivery:
        """The delivery a redelivery continues, or :class:`TwilioWouldNotRetryError`."""
        chosen = request if request is not None else self.last
        for delivery in reversed(self.deliveries):
            if delivery.request == chosen:
                why = retry_of(delivery.attempts, delivery.overrides)
                if why is not None:
                    raise TwilioWouldNotRetryError(
                        f"Twilio would not deliver {chosen.url} again: {why}. Send it anyway "
                        "with twilio_webhook.send(client, request) if the test means another "
                        "event. See docs/testing-http.md#twilios-delivery-behaviour"
                    )
                return delivery
        return self._start(chosen)

    # -- sending (httpx.AsyncClient) ------------------------------------------------------------

    async def asend(
        self, client: AsyncTestClient[AnswerT], request: SignedTwilioRequest
    ) -> AnswerT:
        """:meth:`send` through an ``httpx.AsyncClient``."""
        self._refuse_sync(client, "asend")
        delivery = self._start(request)
        while True:
            started = get_clock().monotonic()
            answer, error = None, None
            try:
                answer = await self._apost(client, request)
            except Exception as exc:  # only a connection failure is Twilio's to retry
                if not _is_connection_failure(exc):
                    raise
                error = exc
            if not delivery.record(answer, error, started):
                return delivery.result(answer)

    async def apost(
        self,
        client: AsyncTestClient[AnswerT],
        path: str,
        payload: TwilioWebhookPayload | TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> AnswerT:
        """:meth:`post` through an ``httpx.AsyncClient``."""
        return await self.asend(client, self.sign(path, payload, **factory_options))

    async def astatus_callback(
        self,
        client: AsyncTestClient[AnswerT],
        path: str,
        callback: TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> AnswerT:
        """:meth:`status_callback` through an ``httpx.AsyncClient``."""
        return await self.asend(
            client, self.sign_status_callback(path, callback, **factory_options)
        )

    async def aredeliver(
        self, client: AsyncTestClient[AnswerT], request: SignedTwilioRequest | None = None
    ) -> AnswerT:
        """:meth:`redeliver` through an ``httpx.AsyncClient``."""
        self._refuse_sync(client, "aredeliver")
        delivery = self._redelivery(request)
        started = get_clock().monotonic()
        answer = await self._apost(client, delivery.request)
        delivery.record(answer, None, started)
        return answer

    async def adeliver_to(
        self,
        replicas: Sequence[AsyncTestClient[AnswerT]],
        request: SignedTwilioRequest | None = None,
        *,
        concurrently: bool = False,
    ) -> list[AnswerT]:
        """:meth:`deliver_to` through ``httpx.AsyncClient`` replicas (``concurrently``: all
        delivered in one ``asyncio.gather``)."""
        chosen = request if request is not None else self.last
        clients = list(replicas)
        for client in clients:
            self._refuse_sync(client, "adeliver_to")
        if concurrently:
            return list(await asyncio.gather(*(self._apost(c, chosen) for c in clients)))
        return [await self._apost(client, chosen) for client in clients]

    async def aforged(
        self,
        client: AsyncTestClient[AnswerT],
        path: str,
        payload: TwilioWebhookPayload | TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> AnswerT:
        """:meth:`forged` through an ``httpx.AsyncClient``."""
        return await self.asend(client, self.forge(self.sign(path, payload, **factory_options)))

    async def _apost(
        self, client: AsyncTestClient[AnswerT], request: SignedTwilioRequest
    ) -> AnswerT:
        self.requests.append(request)
        return await client.post(
            request.path, content=request.body, headers=self._sent_headers(request)
        )

    def _refuse_sync(self, client: object, method: str) -> None:
        if _client_kind(client) != "async":
            raise TypeError(
                f"{method} needs an httpx.AsyncClient, not {type(client).__name__}: use .send "
                "(or .post, .redeliver, .forged) with a sync client"
            )


@dataclass
class WebhookDelivery:
    """Twilio's delivery of one request: the URL's connection overrides and every attempt
    made (:class:`DeliveryAttempt`: ``status``, ``elapsed_ms``, ``failure``).

    ``accepted`` says whether Twilio took an answer; ``failure`` why the last attempt failed
    (``"5xx"``, ``"4xx"``, ``"ct"``, ``"rt"``), ``None`` when accepted.
    """

    request: SignedTwilioRequest
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    @property
    def overrides(self) -> ConnectionOverrides:
        return self.request.overrides

    @property
    def accepted(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].failure is None

    @property
    def failure(self) -> Failure | None:
        return self.attempts[-1].failure if self.attempts else None

    def record(self, answer: _Answer | None, error: BaseException | None, started: float) -> bool:
        """Record an attempt begun at ``started`` (on the library's clock); whether Twilio
        makes another."""
        elapsed_ms = (get_clock().monotonic() - started) * 1000
        spent = sum(attempt.elapsed_ms for attempt in self.attempts)
        status = None if answer is None else answer.status_code
        failure = classify(
            status,
            elapsed_ms,
            budget_ms=self.overrides.total_timeout_ms - spent,
            overrides=self.overrides,
        )
        if failure == "rt":  # Twilio stopped waiting at the timeout
            elapsed_ms = min(
                elapsed_ms, self.overrides.read_timeout_ms, self.overrides.total_timeout_ms - spent
            )
        self.attempts.append(DeliveryAttempt(status, elapsed_ms, failure, error))
        return failure is not None and retry_of(self.attempts, self.overrides) is None

    def result(self, answer: AnswerT | None) -> AnswerT:
        """The last answer, or the last attempt's connection error re-raised."""
        if answer is not None:
            return answer
        error = self.attempts[-1].error
        assert error is not None  # no answer means the connection failed
        error.add_note(
            f"Twilio tried {len(self.attempts)} time(s) under {self.overrides.fragment!r} and "
            "gave up: the connection failed every time"
        )
        raise error


class TwilioWouldNotRetryError(AiVoiceSharedError):
    """``redeliver()`` asked for an attempt Twilio would not make under the webhook URL's
    connection overrides; the message says why and what URL fragment makes Twilio retry."""


def _is_connection_failure(error: BaseException) -> bool:
    """A refused or timed-out connection (httpx's or httpx2's ``ConnectError`` /
    ``ConnectTimeout``, or the OS's): what Twilio's ``ct`` policy retries."""
    if isinstance(error, ConnectionRefusedError):
        return True
    for cls in type(error).__mro__:
        package = cls.__module__.split(".", 1)[0]
        if package in ("httpx", "httpx2") and cls.__name__ in ("ConnectError", "ConnectTimeout"):
            return True
    return False


def _overrides_of(path: str) -> ConnectionOverrides:
    """The connection overrides in the fragment of ``path`` (Twilio's defaults without one)."""
    _, hash_sign, fragment = path.partition("#")
    return ConnectionOverrides.parse(fragment) if hash_sign else DEFAULT_OVERRIDES


def _client_kind(client: object) -> str:
    """``"httpx"``, ``"async"`` or ``"werkzeug"``, or a ``TypeError`` naming what works.

    By class name and package rather than ``isinstance``: Starlette's ``TestClient`` is an
    ``httpx.Client`` or, since Starlette 1.x, an ``httpx2.Client``, and neither need be
    installed.
    """
    for cls in type(client).__mro__:
        package = cls.__module__.split(".", 1)[0]
        if package in ("httpx", "httpx2") and cls.__name__ == "AsyncClient":
            return "async"
        if package in ("httpx", "httpx2") and cls.__name__ == "Client":
            return "httpx"
        if package == "werkzeug" and cls.__name__ == "Client":  # Flask's test client is one
            return "werkzeug"
    raise TypeError(
        f"twilio_webhook cannot send through a {type(client).__module__}."
        f"{type(client).__qualname__}: pass a Starlette/FastAPI TestClient, an httpx.Client or "
        "AsyncClient (with an ASGI or WSGI transport), or a Flask test client "
        "(app.test_client())"
    )
