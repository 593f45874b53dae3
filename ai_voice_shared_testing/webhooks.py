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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from ai_voice_shared.models import TwilioStatusCallback, TwilioWebhookPayload
from ai_voice_shared.twilio_signature import SIGNATURE_HEADER, TwilioRequestValidator
from ai_voice_shared.webhooks import IDEMPOTENCY_HEADER

if TYPE_CHECKING:
    from ai_voice_shared.settings import TwilioSettings
    from ai_voice_shared.webhooks import TwilioWebhookVerifier

__all__ = [
    "DEFAULT_WEBHOOK_BASE_URL",
    "SignedTwilioRequest",
    "TwilioWebhookSender",
    "signed_twilio_json_request",
    "signed_twilio_request",
]

#: The public base URL the ``twilio_webhook`` fixture configures (``.test`` never resolves).
DEFAULT_WEBHOOK_BASE_URL = "https://webhooks.aivs.test"
# What Twilio's webhook requests carry besides the signature.
_TWILIO_HEADERS = {"User-Agent": "TwilioProxy/1.1", "Accept": "*/*"}


@dataclass(frozen=True)
class SignedTwilioRequest:
    """What Twilio sends: the URL it calls, the body, and headers with the signature.

    ``payload`` is the form payload it carries (``None`` for a JSON webhook, whose document is
    ``json``). ``dataclasses.replace(request, body=...)`` makes a tampered copy.
    """

    url: str
    body: bytes
    headers: dict[str, str]
    payload: TwilioWebhookPayload | TwilioStatusCallback | None = None
    json: Any = None

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
    payload: TwilioWebhookPayload | TwilioStatusCallback,
    *,
    url: str,
    auth_token: str,
    idempotency_token: str | None = None,
) -> SignedTwilioRequest:
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
) -> SignedTwilioRequest:
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
    """

    def __init__(
        self,
        *,
        auth_token: str,
        base_url: str = DEFAULT_WEBHOOK_BASE_URL,
        account_sid: str | None = None,
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
        self.requests: list[SignedTwilioRequest] = []

    def __repr__(self) -> str:
        return (
            f"TwilioWebhookSender(base_url={self.base_url!r}, account_sid={self.account_sid!r}, "
            f"sent={len(self.requests)})"
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
        webhooks (``TwilioWebhookVerifier.from_env()``, the adapters' default)."""
        return {"TWILIO_AUTH_TOKEN": self.auth_token, "TWILIO_WEBHOOK_BASE_URL": self.base_url}

    def settings(self) -> TwilioSettings:
        """``TwilioSettings`` for an app configured with a settings object."""
        from ai_voice_shared.settings import TwilioSettings

        return TwilioSettings(
            auth_token=self.auth_token,
            webhook_base_url=self.base_url,
            account_sid=self.account_sid,
        )

    def verifier(self) -> TwilioWebhookVerifier:
        """A ``TwilioWebhookVerifier`` that accepts this sender's webhooks."""
        from ai_voice_shared.webhooks import TwilioWebhookVerifier

        return TwilioWebhookVerifier(auth_token=self.auth_token, webhook_base_url=self.base_url)

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

    def sign(
        self,
        path: str,
        payload: TwilioWebhookPayload | TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> SignedTwilioRequest:
        """The signed request for ``payload`` (built with ``TwilioWebhookPayloadFactory`` from
        ``factory_options`` when left out) to ``path``, without sending it."""
        if payload is None:
            from ai_voice_shared_testing.factories import TwilioWebhookPayloadFactory

            payload = TwilioWebhookPayloadFactory.build(**self._account(factory_options))
        elif factory_options:
            raise TypeError(
                "Pass either a payload or factory options, not both: "
                f"{sorted(factory_options)} would be ignored"
            )
        return signed_twilio_request(payload, url=self.url(path), auth_token=self.auth_token)

    def sign_status_callback(
        self, path: str, callback: TwilioStatusCallback | None = None, **factory_options: Any
    ) -> SignedTwilioRequest:
        """Like :meth:`sign` for a status callback (``TwilioStatusCallbackFactory``)."""
        if callback is None:
            from ai_voice_shared_testing.factories import TwilioStatusCallbackFactory

            callback = TwilioStatusCallbackFactory.build(**self._account(factory_options))
        return self.sign(path, callback)

    def sign_json(self, path: str, document: Any) -> SignedTwilioRequest:
        """A signed JSON webhook (``bodySHA256``) carrying ``document``."""
        return signed_twilio_json_request(document, url=self.url(path), auth_token=self.auth_token)

    def forge(self, request: SignedTwilioRequest) -> SignedTwilioRequest:
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

    def send(self, client: Any, request: SignedTwilioRequest) -> Any:
        """Send ``request`` through a sync test client and return its response."""
        kind = _client_kind(client)
        if kind == "async":
            raise TypeError(
                "An httpx.AsyncClient answers coroutines: use `await twilio_webhook.apost(...)` "
                "(or .asend, .aredeliver, .aforged, .astatus_callback)"
            )
        self.requests.append(request)
        if kind == "werkzeug":
            return client.post(request.path, data=request.body, headers=request.headers)
        return client.post(request.path, content=request.body, headers=request.headers)

    def post(
        self,
        client: Any,
        path: str,
        payload: TwilioWebhookPayload | TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> Any:
        """Build (or take) a payload, sign it for ``path`` and send it; return the response."""
        return self.send(client, self.sign(path, payload, **factory_options))

    def status_callback(
        self,
        client: Any,
        path: str,
        callback: TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> Any:
        """Send a signed status callback (built with ``TwilioStatusCallbackFactory``)."""
        return self.send(client, self.sign_status_callback(path, callback, **factory_options))

    def redeliver(self, client: Any, request: SignedTwilioRequest | None = None) -> Any:
        """Send ``request`` (the last one by default) again, as Twilio's retry does: same
        URL, body, signature and idempotency token."""
        return self.send(client, request if request is not None else self.last)

    def forged(
        self,
        client: Any,
        path: str,
        payload: TwilioWebhookPayload | TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> Any:
        """Send a webhook with a signature Twilio did not make (the app must answer 403)."""
        return self.send(client, self.forge(self.sign(path, payload, **factory_options)))

    def deliver_to(
        self,
        replicas: Sequence[Any],
        request: SignedTwilioRequest | None = None,
        *,
        concurrently: bool = False,
    ) -> list[Any]:
        """Deliver ``request`` (the last one by default) to every replica of the app, as
        Twilio's retries do when a load balancer spreads them: one after the other, or all at
        once (``concurrently=True``: each replica's delivery in a thread of its own, released
        together). Returns the responses in the replicas' order.

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
            return [self.send(client, chosen) for client in clients]
        start = threading.Barrier(len(clients))
        answers: list[Any] = [None] * len(clients)
        failures: list[BaseException] = []

        def deliver(index: int, client: Any) -> None:
            start.wait()
            try:
                answers[index] = self.send(client, chosen)
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
        return answers

    # -- sending (httpx.AsyncClient) ------------------------------------------------------------

    async def asend(self, client: Any, request: SignedTwilioRequest) -> Any:
        """Send ``request`` through an ``httpx.AsyncClient``."""
        if _client_kind(client) != "async":
            raise TypeError(
                f"asend needs an httpx.AsyncClient, not {type(client).__name__}: use .send "
                "(or .post, .redeliver, .forged) with a sync client"
            )
        self.requests.append(request)
        return await client.post(request.path, content=request.body, headers=request.headers)

    async def apost(
        self,
        client: Any,
        path: str,
        payload: TwilioWebhookPayload | TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> Any:
        """:meth:`post` through an ``httpx.AsyncClient``."""
        return await self.asend(client, self.sign(path, payload, **factory_options))

    async def astatus_callback(
        self,
        client: Any,
        path: str,
        callback: TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> Any:
        """:meth:`status_callback` through an ``httpx.AsyncClient``."""
        return await self.asend(
            client, self.sign_status_callback(path, callback, **factory_options)
        )

    async def aredeliver(self, client: Any, request: SignedTwilioRequest | None = None) -> Any:
        """:meth:`redeliver` through an ``httpx.AsyncClient``."""
        return await self.asend(client, request if request is not None else self.last)

    async def adeliver_to(
        self,
        replicas: Sequence[Any],
        request: SignedTwilioRequest | None = None,
        *,
        concurrently: bool = False,
    ) -> list[Any]:
        """:meth:`deliver_to` through ``httpx.AsyncClient`` replicas (``concurrently``: all
        delivered in one ``asyncio.gather``)."""
        chosen = request if request is not None else self.last
        clients = list(replicas)
        if concurrently:
            return list(await asyncio.gather(*(self.asend(c, chosen) for c in clients)))
        return [await self.asend(client, chosen) for client in clients]

    async def aforged(
        self,
        client: Any,
        path: str,
        payload: TwilioWebhookPayload | TwilioStatusCallback | None = None,
        **factory_options: Any,
    ) -> Any:
        """:meth:`forged` through an ``httpx.AsyncClient``."""
        return await self.asend(client, self.forge(self.sign(path, payload, **factory_options)))


def _client_kind(client: Any) -> str:
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
