"""A fake Twilio REST API and CDN, strict about credentials: ``FakeTwilioApi``.

It answers what a voice service uses of Twilio's REST API (2010-04-01), as twilio-oai
(``spec/json/twilio_api_v2010.json``) describes it, every path behind HTTP Basic auth (an
account SID and auth token, or an API key SID and secret; 401 before any 404, as Twilio):

- Media: the content URL ``.../Messages/{MM}/Media/{ME}`` answers ``307`` to a signed URL on a
  CDN host that expires (:attr:`~FakeTwilioApi.cdn_url_ttl`, on the library's clock: virtual in
  tests) and serves the bytes; ``GET .../Media/{ME}.json`` (metadata), ``GET .../Media.json``
  (the list, with Twilio's paging fields) and ``DELETE .../Media/{ME}.json`` (204).
- Messages: ``POST .../Messages.json`` (create, checked as Twilio checks it: 400 with Twilio's
  error codes), ``GET .../Messages/{SM}.json`` and ``GET .../Messages.json``; the test moves a
  message through its statuses (:meth:`~FakeTwilioApi.deliver_status`) and the fake posts each
  status callback to the message's ``StatusCallback`` URL, signed as Twilio signs it.
- Errors are Twilio's JSON ``{code, message, more_info, status}``; other methods get 405.

Intercepted for every httpx client and every ``requests`` session (the official ``twilio``
SDK's default transport) at ``https://api.twilio.com`` itself, for aiohttp sessions (the SDK's
``AsyncTwilioHttpClient``), or served live on 127.0.0.1 (two ports: API and CDN).

Served live (``ai-voice-shared fakes``), it has one endpoint Twilio does not: ``POST
/__aivs/media`` on the API host registers media at run time (HTTP Basic auth of the account; the
body is the media, its ``Content-Type`` the media's; ``?message_sid=MM...`` groups items in one
message) and answers ``201`` with JSON ``{"url", "content_type", "account_sid", "message_sid",
"media_sid", "size"}``: the ``MediaUrl`` a webhook carries. ``ai-voice-shared twilio send
--media FILE`` uses it.

Strict: at teardown the ``twilio_api`` fixture fails the test if ``Authorization`` ever reached
the CDN host (credentials forwarded across the redirect: the bug behind published advisories
in several chat products), if a request asked for media or a message nobody registered, or if
a fault never triggered.

    with FakeTwilioApi().intercept() as twilio:
        payload = twilio.voice_note(b"OggS...")          # a payload whose media it serves
        TwilioMediaClient(twilio.settings()).download(payload.media[0])
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlsplit

from ai_voice_shared.hooks import get_clock
from ai_voice_shared_testing._http.base import FakeHttpService
from ai_voice_shared_testing._http.types import FakeAnswer, FakeRequest, RecordedRequest
from ai_voice_shared_testing._twilio.callbacks import (
    StatusCallbackRequest,
    status_callback_request,
)
from ai_voice_shared_testing._twilio.errors import (
    method_not_allowed,
    not_found,
    twilio_error,
    unauthorized,
)
from ai_voice_shared_testing._twilio.resources import (
    MediaRecord,
    MessageRecord,
    PageRequestError,
    new_sid,
    page,
)

if TYPE_CHECKING:
    import httpx
    from hypothesis.strategies import SearchStrategy

    from ai_voice_shared.models import TwilioMedia, TwilioWebhookPayload
    from ai_voice_shared.settings import TwilioSettings

__all__ = ["ADMIN_MEDIA_PATH", "DEFAULT_API_URL", "DEFAULT_CDN_URL", "VOICE_NOTE", "FakeTwilioApi"]

DEFAULT_API_URL = "https://api.twilio.com"
#: The reserved ``.test`` domain never resolves: nothing can leave even if interception were off.
DEFAULT_CDN_URL = "https://media.twiliocdn.aivs.test"
#: A tiny Ogg page header and filler: recognisably ``audio/ogg``.
VOICE_NOTE = b"OggS\x00\x02" + bytes(22) + b"OpusHead" + bytes(range(256)) * 16

_HEX = "[0-9a-fA-F]{32}"
_ACCOUNT = rf"^/2010-04-01/Accounts/(?P<account>AC{_HEX})"
_MESSAGE = rf"/Messages/(?P<message>(?:SM|MM){_HEX})"
#: (pattern, methods, what) for every resource the fake serves; ``what`` picks the handler.
_MEDIA = rf"/Media/(?P<media>ME{_HEX})"
_ROUTES = (
    (re.compile(_ACCOUNT + _MESSAGE + _MEDIA + "$"), ("GET", "HEAD"), "content"),
    (re.compile(_ACCOUNT + _MESSAGE + _MEDIA + r"\.json$"), ("GET", "DELETE"), "media"),
    (re.compile(_ACCOUNT + _MESSAGE + r"/Media\.json$"), ("GET",), "media_list"),
    (re.compile(_ACCOUNT + _MESSAGE + r"\.json$"), ("GET",), "message"),
    (re.compile(_ACCOUNT + r"/Messages\.json$"), ("GET", "POST"), "messages"),
)  # fmt: skip
_ANY_ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+?)(?:\.json)?(?:/|$)")
#: The fake's own endpoint (not Twilio's) that registers media at run time.
ADMIN_MEDIA_PATH = "/__aivs/media"
#: The largest media the admin endpoint takes (WhatsApp's limit is 16 MB).
ADMIN_MEDIA_MAX_BYTES = 64 * 1024 * 1024
_MESSAGE_SID = re.compile(rf"^(?:SM|MM){_HEX}$")
_CDN_PATH = re.compile(r"^/(?P<token>[0-9a-f]{16})/(?P<media>ME[0-9a-fA-F]{32})$")
#: E.164, optionally behind a channel prefix (``whatsapp:``), as Twilio's ``To`` takes it.
_ADDRESS = re.compile(r"^(?:(?P<channel>[a-z]+):)?\+[1-9][0-9]{6,14}$")
_MAX_BODY = 1600


class FakeTwilioApi(FakeHttpService):
    """Twilio's REST API (Media, Messages) and media CDN in memory, for one account.

    ``account_sid``, ``auth_token``, ``api_key_sid`` and ``api_key_secret`` are generated
    unless given; both credential pairs are accepted, as Twilio accepts them. :meth:`settings`
    and :meth:`environment` give what the code under test needs to reach it. Faults
    (:meth:`fail`) take ``on="media"`` (the content URL and the Media resources),
    ``on="messages"`` (the Message resources) or ``on="cdn"`` (the download); without ``on``,
    the first request of any.
    """

    fake_name: ClassVar[str] = "twilio_api"
    marker: ClassVar[str] = "aivs_twilio"
    #: How long the CDN URL a media redirect points to stays valid, in seconds of the library's
    #: clock. Twilio does not document the lifetime; the fake picks a short one so that a
    #: service that stores the redirect's URL for later fails its tests.
    cdn_url_ttl: float = 300.0

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        api_url: str = DEFAULT_API_URL,
        cdn_url: str = DEFAULT_CDN_URL,
    ) -> None:
        super().__init__({"api": api_url, "cdn": cdn_url})
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.api_key_sid = api_key_sid or new_sid("SK")
        self.api_key_secret = api_key_secret or secrets.token_urlsafe(24)
        self.channel_install_sid = new_sid("XE")
        self._media: dict[str, MediaRecord] = {}
        self._messages: dict[str, MessageRecord] = {}
        self._removed: set[str] = set()  # SIDs whose 404 the test asked for (deleted)
        self._callbacks: list[StatusCallbackRequest] = []

    def __repr__(self) -> str:
        return (
            f"FakeTwilioApi(account_sid={self.account_sid!r}, api_base_url={self.api_base_url!r},"
            f" media={len(self._media)}, messages={len(self._messages)})"
        )

    # -- what the code under test needs ---------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        """``TWILIO_API_BASE_URL`` for the code under test (live or intercepted)."""
        return self.url_of("api")

    def settings(self, **overrides: Any) -> TwilioSettings:
        """``TwilioSettings`` that reach this fake with its account SID and auth token
        (``settings(api_key_sid=fake.api_key_sid, api_key_secret=fake.api_key_secret)`` for
        the API key)."""
        from ai_voice_shared.settings import TwilioSettings

        values: dict[str, Any] = {
            "account_sid": self.account_sid,
            "auth_token": self.auth_token,
            "api_base_url": self.api_base_url,
            **overrides,
        }
        return TwilioSettings(**values)

    def environment(self) -> dict[str, str]:
        """The ``TWILIO_*`` variables that reach this fake: the account SID, the auth token,
        the API key pair and the base URL."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_API_KEY_SID": self.api_key_sid,
            "TWILIO_API_KEY_SECRET": self.api_key_secret,
            "TWILIO_API_BASE_URL": self.api_base_url,
        }

    # -- media ----------------------------------------------------------------------------------

    def add_media(
        self,
        content: bytes,
        *,
        content_type: str = "audio/ogg",
        message_sid: str | None = None,
        media_sid: str | None = None,
        account_sid: str | None = None,
    ) -> TwilioMedia:
        """Serve ``content`` as one media item; return it as a webhook would list it."""
        from ai_voice_shared.models import TwilioMedia

        item = MediaRecord(
            bytes(content),
            content_type,
            account_sid or self.account_sid,
            message_sid or new_sid("MM"),
            media_sid or new_sid("ME"),
            secrets.token_hex(8),
        )
        with self._lock:
            self._media[item.media_sid] = item
        return TwilioMedia(url=self.api_base_url + item.path, content_type=content_type)

    def remove_media(self, media_sid: str) -> None:
        """Stop serving a media item: Twilio answers 404 for it from now on (deleted media),
        which strict teardown then expects rather than reports."""
        with self._lock:
            self._media.pop(media_sid, None)
            self._removed.add(media_sid)

    def media_sids(self, message_sid: str | None = None) -> list[str]:
        """The media still served (of one message, or all), in the order they were added:
        after a service deletes what it stored, this is empty."""
        with self._lock:
            return [
                sid
                for sid, item in self._media.items()
                if message_sid is None or item.message_sid == message_sid
            ]

    def voice_note(
        self, content: bytes = VOICE_NOTE, *, content_type: str = "audio/ogg", **overrides: Any
    ) -> TwilioWebhookPayload:
        """A WhatsApp voice-note webhook (``TwilioWebhookPayloadFactory.voice_note``) whose
        media this fake serves; ``overrides`` go to the factory (``from_=...``)."""
        return self.message((content, content_type), message_type="audio", **overrides)

    def message(self, *media: bytes | tuple[bytes, str], **overrides: Any) -> TwilioWebhookPayload:
        """An inbound message whose media items (bytes, or ``(bytes, content_type)``; audio/ogg
        by default) this fake serves, in order."""
        from ai_voice_shared_testing.factories import TwilioWebhookPayloadFactory

        message_sid = overrides.pop("message_sid", None) or new_sid("MM" if media else "SM")
        items = []
        for entry in media:
            content, kind = (entry, "audio/ogg") if isinstance(entry, bytes) else entry
            items.append(self.add_media(content, content_type=kind, message_sid=message_sid))
        values: dict[str, Any] = {
            "account_sid": self.account_sid,
            "message_sid": message_sid,
            "media": tuple(items),
            **({"body": ""} if items else {}),
            **overrides,
        }
        return TwilioWebhookPayloadFactory.build(**values)

    def payloads(
        self, *, channel: Literal["whatsapp", "sms"] | None = None, media: int | None = None
    ) -> SearchStrategy[TwilioWebhookPayload]:
        """Hypothesis: inbound payloads of this fake's account whose media it serves (each item
        registered with drawn bytes of its declared type as it is drawn), so that a property
        test reaches the path where the media is fetched and stored. ``channel`` and ``media``
        are those of :func:`~ai_voice_shared_testing.strategies.twilio_webhook_payloads`.
        Inside a test, with the fixture: ``payload = data.draw(twilio_api.payloads())``."""
        from hypothesis import strategies as st

        from ai_voice_shared.models import TwilioWebhookPayload
        from ai_voice_shared_testing.strategies import twilio_webhook_payloads

        @st.composite
        def served(draw: st.DrawFn) -> TwilioWebhookPayload:
            payload = draw(twilio_webhook_payloads(channel=channel, media=media))
            urls = {}
            for index, item in enumerate(payload.media):
                content = draw(st.binary(min_size=1, max_size=4096))
                served_item = self.add_media(
                    content, content_type=item.content_type, message_sid=payload.message_sid
                )
                urls[f"MediaUrl{index}"] = served_item.url
            pairs = [
                (name, self.account_sid if name == "AccountSid" else urls.get(name, value))
                for name, value in payload.to_form()
            ]
            return TwilioWebhookPayload.from_form(pairs)

        return served()

    # -- messages -------------------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message created through the API, as Twilio's Message resource (JSON), oldest
        first."""
        with self._lock:
            return [m.resource() for m in self._messages.values()]

    @property
    def status_callbacks(self) -> list[StatusCallbackRequest]:
        """Every status callback sent so far (``.url``, ``.pairs``, ``.headers``)."""
        with self._lock:
            return list(self._callbacks)

    def deliver_status(
        self,
        message_sid: str,
        status: str,
        *,
        client: httpx.Client | None = None,
        error_code: int | None = None,
        error_message: str | None = None,
    ) -> httpx.Response | None:
        """Move a message to ``status`` (``sent``, ``delivered``, ``read``, ``failed``, ...) and,
        when it was created with a ``StatusCallback``, POST the status callback there, signed
        as Twilio signs it, with ``client`` (the app's ``TestClient``, say; a new httpx client
        otherwise). ``failed`` and ``undelivered`` carry ``error_code`` (30008, Twilio's
        "unknown error", unless given). Return the app's response, or ``None`` without a
        callback URL."""
        request = self._advance(message_sid, status, error_code, error_message)
        if request is None:
            return None
        if client is not None:
            return client.post(request.url, content=request.body, headers=request.headers)
        import httpx

        with httpx.Client() as own:
            return own.post(request.url, content=request.body, headers=request.headers)

    async def adeliver_status(
        self,
        message_sid: str,
        status: str,
        *,
        client: httpx.AsyncClient | None = None,
        error_code: int | None = None,
        error_message: str | None = None,
    ) -> httpx.Response | None:
        """:meth:`deliver_status` with an ``httpx.AsyncClient``."""
        request = self._advance(message_sid, status, error_code, error_message)
        if request is None:
            return None
        if client is not None:
            return await client.post(request.url, content=request.body, headers=request.headers)
        import httpx

        async with httpx.AsyncClient() as own:
            return await own.post(request.url, content=request.body, headers=request.headers)

    def _advance(
        self, message_sid: str, status: str, error_code: int | None, error_message: str | None
    ) -> StatusCallbackRequest | None:
        with self._lock:
            message = self._messages.get(message_sid)
            if message is None:
                known = ", ".join(self._messages) or "none yet"
                raise KeyError(
                    f"FakeTwilioApi.deliver_status(): no message {message_sid!r} was created "
                    f"through the API (created: {known})"
                )
            if status in ("failed", "undelivered") and error_code is None:
                error_code, error_message = 30008, error_message or "Unknown error"
            message.move_to(status, error_code, error_message)
            if message.status_callback is None:
                return None
            request = status_callback_request(
                message, self.auth_token, channel_install_sid=self.channel_install_sid
            )
            self._callbacks.append(request)
            return request

    def reset(self) -> None:
        """Forget media, messages, faults, recorded requests and the delay (the account
        stays)."""
        with self._lock:
            super().reset()
            self._media = {}
            self._messages = {}
            self._removed = set()
            self._callbacks = []

    # -- Twilio's behaviour ---------------------------------------------------------------------

    def fault_targets(self) -> tuple[str, ...]:
        return ("media", "messages", "cdn")

    def route(self, request: FakeRequest, role: str) -> tuple[FakeAnswer, str | None]:
        if role == "cdn":
            return self._cdn(request)
        # Twilio checks credentials before it looks the path up: 401 on every path.
        if not self._authorized(request.headers.get("authorization", ""), request.path):
            return unauthorized(), None
        if request.path == ADMIN_MEDIA_PATH:
            return self._register(request), None
        for pattern, methods, what in _ROUTES:
            match = pattern.match(request.path)
            if match is None:
                continue
            if request.method not in methods:
                return method_not_allowed(request.method), None
            handler = getattr(self, f"_on_{what}")
            answer: FakeAnswer = handler(request, match)
            return answer, "messages" if what.startswith("message") else "media"
        return not_found(request.path), None

    def _authorized(self, header: str, path: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        pairs = ((self.account_sid, self.auth_token), (self.api_key_sid, self.api_key_secret))
        if not any(
            hmac.compare_digest(user, u) and hmac.compare_digest(password, p) for u, p in pairs
        ):
            return False
        # Another account's resources: the credentials do not reach them.
        account = _ANY_ACCOUNT.match(path)
        return account is None or account["account"] == self.account_sid

    def _owned_media(self, match: re.Match[str]) -> MediaRecord | None:
        item = self._media.get(match["media"])
        if item is None or (item.account_sid, item.message_sid) != (
            match["account"],
            match["message"],
        ):
            return None
        return item

    def _on_content(self, request: FakeRequest, match: re.Match[str]) -> FakeAnswer:
        item = self._owned_media(match)
        if item is None:
            return not_found(request.path)
        expires = str(int(get_clock().time() + self.cdn_url_ttl))
        signature = _cdn_signature(item.token, expires)
        location = (
            f"{self.url_of('cdn')}/{item.token}/{item.media_sid}?Expires={expires}"
            f"&Signature={signature}"
        )
        return FakeAnswer(307, {"Location": location, "Content-Type": "text/html"})

    def _on_media(self, request: FakeRequest, match: re.Match[str]) -> FakeAnswer:
        item = self._owned_media(match)
        if item is None:
            return not_found(request.path)
        if request.method == "DELETE":
            self._media.pop(item.media_sid, None)
            self._removed.add(item.media_sid)
            return FakeAnswer(204, {})
        return _json(200, item.resource())

    def _on_media_list(self, request: FakeRequest, match: re.Match[str]) -> FakeAnswer:
        items = [
            item.resource()
            for item in self._media.values()
            if (item.account_sid, item.message_sid) == (match["account"], match["message"])
        ]
        return self._page(request, "media_list", items)

    def _on_message(self, request: FakeRequest, match: re.Match[str]) -> FakeAnswer:
        message = self._messages.get(match["message"])
        if message is None:
            return not_found(request.path)
        return _json(200, message.resource())

    def _on_messages(self, request: FakeRequest, match: re.Match[str]) -> FakeAnswer:
        if request.method == "GET":
            items = [m.resource() for m in reversed(self._messages.values())]  # newest first
            return self._page(request, "messages", items)
        return self._create_message(request)

    def _page(self, request: FakeRequest, key: str, items: list[dict[str, Any]]) -> FakeAnswer:
        try:
            return _json(200, page(request.path, key, items, request.params))
        except PageRequestError as error:
            return twilio_error(400, 20001, str(error))

    def _create_message(self, request: FakeRequest) -> FakeAnswer:
        form: dict[str, list[str]] = {}
        for name, value in parse_qsl(request.body.decode("utf-8", "replace"), True):
            form.setdefault(name, []).append(value)

        def one(name: str) -> str:
            return form.get(name, [""])[0]

        to, sender, service = one("To"), one("From"), one("MessagingServiceSid")
        body, media, content_sid = one("Body"), form.get("MediaUrl", []), one("ContentSid")
        callback = one("StatusCallback")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        to_match = _ADDRESS.match(to)
        if to_match is None:
            return twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not sender and not service:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if sender:
            from_match = _ADDRESS.match(sender)
            if from_match is None:
                return twilio_error(400, 21212, f"Invalid 'From' Phone Number: {sender}")
            if from_match["channel"] != to_match["channel"]:
                return twilio_error(
                    400,
                    21910,
                    "Invalid From and To pair. From and To should be of the same channel",
                )
        if service and not re.fullmatch(f"MG{_HEX}", service):
            return twilio_error(400, 21701, f"The Messaging Service Sid {service} is invalid.")
        if not body and not media and not content_sid:
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > _MAX_BODY:
            return twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if callback and not re.match(r"^https?://[^/\s]+", callback):
            return twilio_error(400, 21609, f"Invalid StatusCallback: {callback}")
        message = MessageRecord(
            sid=new_sid("MM" if media else "SM"),
            account_sid=self.account_sid,
            to=to,
            from_=sender or None,
            body=body,
            messaging_service_sid=service or None,
            status_callback=callback or None,
            num_media=len(media),
        )
        message.history.append(message.status)
        self._messages[message.sid] = message
        return _json(201, message.resource())

    def _register(self, request: FakeRequest) -> FakeAnswer:
        """``POST /__aivs/media``: serve the body as one media item (the fake's admin API)."""
        if request.method != "POST":
            return method_not_allowed(request.method)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        message_sid = request.params.get("message_sid", [""])[0] or None
        problem = None
        if not request.body:
            problem = "the body is the media and must not be empty"
        elif len(request.body) > ADMIN_MEDIA_MAX_BYTES:
            problem = f"the media is larger than {ADMIN_MEDIA_MAX_BYTES} bytes"
        elif "/" not in content_type:
            problem = "Content-Type must be the media's type, such as audio/ogg"
        elif message_sid is not None and not _MESSAGE_SID.match(message_sid):
            problem = f"message_sid must be an MM... or SM... SID, not {message_sid[:40]!r}"
        if problem is not None:
            return twilio_error(400, 21620, f"Cannot register the media: {problem}")
        media = self.add_media(request.body, content_type=content_type, message_sid=message_sid)
        sid_path = urlsplit(media.url).path.split("/")
        document = {
            "url": media.url,
            "content_type": content_type,
            "account_sid": self.account_sid,
            "message_sid": sid_path[-3],
            "media_sid": sid_path[-1],
            "size": len(request.body),
        }
        return FakeAnswer(201, {"Content-Type": "application/json"}, json.dumps(document).encode())

    def _cdn(self, request: FakeRequest) -> tuple[FakeAnswer, str | None]:
        match = _CDN_PATH.match(request.path)
        item = self._media.get(match["media"]) if match is not None else None
        if item is None or match is None or match["token"] != item.token:
            return FakeAnswer(404, {"Content-Type": "application/xml"}, b"<Error/>"), None
        params = request.params
        expires = params.get("Expires", [""])[0]
        if params.get("Signature", [""])[0] != _cdn_signature(item.token, expires):
            # The CDN's URL is signed; without its query, or with it altered, the CDN refuses
            # the request, as the real one does (a client that drops the query must fail).
            return _cdn_denied("Invalid signature for this URL"), "cdn"
        if not expires.isdigit() or get_clock().time() > int(expires):
            # Signed URLs expire: a service that keeps the redirect's URL for later fails.
            return _cdn_denied("Request has expired"), "cdn"
        headers = {"Content-Type": item.content_type, "Cache-Control": "private, max-age=600"}
        return FakeAnswer(200, headers, item.content), "cdn"

    def stray(self, request: RecordedRequest) -> str | None:
        if request.role == "cdn" and "authorization" in request.headers:
            return (
                f"Authorization reached the CDN host: {request.method} {request.path} on "
                f"{request.host} carried Twilio credentials; the client forwarded them across "
                "the redirect (they must go to the media URL at the API only)"
            )
        last = request.path.rsplit("/", 1)[-1].removesuffix(".json")
        if request.status == 404 and last not in self._removed:
            where = "the CDN" if request.role == "cdn" else "the API"
            what = (
                "no media registered there (add_media() or voice_note() registers it)"
                if "/Media" in request.path or request.role == "cdn"
                else "no such resource (messages exist once created with POST .../Messages.json)"
            )
            return f"{request.method} {request.path} on {where} answered 404: {what}"
        return None


def _json(status: int, document: dict[str, Any]) -> FakeAnswer:
    return FakeAnswer(status, {"Content-Type": "application/json"}, json.dumps(document).encode())


def _cdn_signature(token: str, expires: str) -> str:
    return hashlib.sha256(f"{token}{expires}".encode()).hexdigest()[:32]


def _cdn_denied(message: str) -> FakeAnswer:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
        f"<Message>{message}</Message></Error>"
    ).encode()
    return FakeAnswer(403, {"Content-Type": "application/xml"}, body)
