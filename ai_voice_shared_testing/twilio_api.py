"""A fake Twilio media API and CDN, strict about credentials: ``FakeTwilioApi``.

It behaves like Twilio for media downloads: ``GET /2010-04-01/Accounts/{AC}/Messages/{MM}/Media
/{ME}`` at the API host needs HTTP Basic auth (401 otherwise) and answers ``307`` to a signed,
short-lived URL on a CDN host, which serves the bytes. Built on the kit's shared HTTP fake core
(:mod:`ai_voice_shared_testing._http`): intercepted for every httpx client (the API at
``https://api.twilio.com`` itself, so payloads built by the factories work as they are), or
served live on 127.0.0.1 (two ports: API and CDN).

Served live (``ai-voice-shared fakes``), it has one endpoint Twilio does not: ``POST
/__aivs/media`` on the API host registers media at run time (HTTP Basic auth of the account; the
body is the media, its ``Content-Type`` the media's; ``?message_sid=MM...`` groups items in one
message) and answers ``201`` with JSON ``{"url", "content_type", "account_sid", "message_sid",
"media_sid", "size"}``: the ``MediaUrl`` a webhook carries. ``ai-voice-shared twilio send
--media FILE`` uses it.

Strict: at teardown the ``twilio_api`` fixture fails the test if ``Authorization`` ever reached
the CDN host (credentials forwarded across the redirect: the bug behind published advisories
in several chat products), if a request asked for media nobody registered, or if a fault never
triggered.

    with FakeTwilioApi().intercept() as twilio:
        payload = twilio.voice_note(b"OggS...")          # a payload whose media it serves
        TwilioMediaClient(twilio.settings()).download(payload.media[0])
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlsplit

from ai_voice_shared_testing._http.base import FakeHttpService
from ai_voice_shared_testing._http.types import FakeAnswer, FakeRequest, RecordedRequest

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from ai_voice_shared.models import TwilioMedia, TwilioWebhookPayload
    from ai_voice_shared.settings import TwilioSettings

__all__ = ["ADMIN_MEDIA_PATH", "DEFAULT_API_URL", "DEFAULT_CDN_URL", "VOICE_NOTE", "FakeTwilioApi"]

DEFAULT_API_URL = "https://api.twilio.com"
#: The reserved ``.test`` domain never resolves: nothing can leave even if interception were off.
DEFAULT_CDN_URL = "https://media.twiliocdn.aivs.test"
#: A tiny Ogg page header and filler: recognisably ``audio/ogg``.
VOICE_NOTE = b"OggS\x00\x02" + bytes(22) + b"OpusHead" + bytes(range(256)) * 16
_MEDIA_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Messages/(?P<message>(?:SM|MM)"
    r"[0-9a-fA-F]{32})/Media/(?P<media>ME[0-9a-fA-F]{32})$"
)
#: The fake's own endpoint (not Twilio's) that registers media at run time.
ADMIN_MEDIA_PATH = "/__aivs/media"
#: The largest media the admin endpoint takes (WhatsApp's limit is 16 MB).
ADMIN_MEDIA_MAX_BYTES = 64 * 1024 * 1024
_MESSAGE_SID = re.compile(r"^(?:SM|MM)[0-9a-fA-F]{32}$")
_CDN_PATH = re.compile(r"^/(?P<token>[0-9a-f]{16})/(?P<media>ME[0-9a-fA-F]{32})$")


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class _Media:
    content: bytes
    content_type: str
    account_sid: str
    message_sid: str
    media_sid: str
    token: str


class FakeTwilioApi(FakeHttpService):
    """Twilio's media API and CDN in memory, for one account.

    ``account_sid`` and ``auth_token`` are generated unless given (``api_key_sid`` and
    ``api_key_secret`` are accepted too). :meth:`settings` and :meth:`environment` give what
    the code under test needs to reach it. Faults (:meth:`fail`) take ``on="media"`` (the API
    request) or ``on="cdn"`` (the download); without ``on``, the first request of either.
    """

    fake_name: ClassVar[str] = "twilio_api"
    marker: ClassVar[str] = "aivs_twilio"

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
        self.account_sid = account_sid or _sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.api_key_sid = api_key_sid
        self.api_key_secret = api_key_secret
        self._media: dict[str, _Media] = {}
        self._removed: set[str] = set()  # media SIDs whose 404 the test asked for

    def __repr__(self) -> str:
        return (
            f"FakeTwilioApi(account_sid={self.account_sid!r}, api_base_url={self.api_base_url!r},"
            f" media={len(self._media)})"
        )

    # -- what the code under test needs ---------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        """``TWILIO_API_BASE_URL`` for the code under test (live or intercepted)."""
        return self.url_of("api")

    def settings(self, **overrides: Any) -> TwilioSettings:
        """``TwilioSettings`` that reach this fake with its credentials."""
        from ai_voice_shared.settings import TwilioSettings

        values: dict[str, Any] = {
            "account_sid": self.account_sid,
            "auth_token": self.auth_token,
            "api_base_url": self.api_base_url,
            **overrides,
        }
        return TwilioSettings(**values)

    def environment(self) -> dict[str, str]:
        """The ``TWILIO_*`` variables that reach this fake (the auth token included)."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
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

        item = _Media(
            bytes(content),
            content_type,
            account_sid or self.account_sid,
            message_sid or _sid("MM"),
            media_sid or _sid("ME"),
            secrets.token_hex(8),
        )
        with self._lock:
            self._media[item.media_sid] = item
        url = (
            f"{self.api_base_url}/2010-04-01/Accounts/{item.account_sid}/Messages/"
            f"{item.message_sid}/Media/{item.media_sid}"
        )
        return TwilioMedia(url=url, content_type=content_type)

    def remove_media(self, media_sid: str) -> None:
        """Stop serving a media item: Twilio answers 404 for it from now on (deleted media),
        which strict teardown then expects rather than reports."""
        with self._lock:
            self._media.pop(media_sid, None)
            self._removed.add(media_sid)

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

        message_sid = overrides.pop("message_sid", None) or _sid("MM" if media else "SM")
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

    def reset(self) -> None:
        """Forget media, faults, recorded requests and the delay (the account stays)."""
        with self._lock:
            super().reset()
            self._media = {}
            self._removed = set()

    # -- Twilio's behaviour ---------------------------------------------------------------------

    def fault_targets(self) -> tuple[str, ...]:
        return ("media", "cdn")

    def route(self, request: FakeRequest, role: str) -> tuple[FakeAnswer, str | None]:
        if role == "cdn":
            return self._cdn(request)
        if request.path == ADMIN_MEDIA_PATH:
            return self._register(request), None
        match = _MEDIA_PATH.match(request.path)
        if match is None or request.method not in ("GET", "HEAD"):
            return _twilio_error(404, 20404, "The requested resource was not found"), None
        if not self._authorized(request.headers.get("authorization", ""), match["account"]):
            return _twilio_error(401, 20003, "Authenticate"), None
        item = self._media.get(match["media"])
        if item is None or (item.account_sid, item.message_sid) != (
            match["account"],
            match["message"],
        ):
            return _twilio_error(404, 20404, "The requested resource was not found"), None
        expires = "1800000000"
        signature = _cdn_signature(item.token, expires)
        location = (
            f"{self.url_of('cdn')}/{item.token}/{item.media_sid}?Expires={expires}"
            f"&Signature={signature}"
        )
        return FakeAnswer(307, {"Location": location, "Content-Type": "text/html"}), "media"

    def _register(self, request: FakeRequest) -> FakeAnswer:
        """``POST /__aivs/media``: serve the body as one media item (the fake's admin API)."""
        if request.method != "POST":
            return _twilio_error(405, 20004, f"Method not allowed: POST {ADMIN_MEDIA_PATH}")
        if not self._authorized(request.headers.get("authorization", ""), self.account_sid):
            return _twilio_error(401, 20003, "Authenticate")
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
            return _twilio_error(400, 21620, f"Cannot register the media: {problem}")
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
            body = (
                b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                b"<Message>Invalid signature for this URL</Message></Error>"
            )
            return FakeAnswer(403, {"Content-Type": "application/xml"}, body), "cdn"
        headers = {"Content-Type": item.content_type, "Cache-Control": "private, max-age=600"}
        return FakeAnswer(200, headers, item.content), "cdn"

    def _authorized(self, header: str, account: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        if account != self.account_sid:
            return False
        if (user, password) == (self.account_sid, self.auth_token):
            return True
        return self.api_key_sid is not None and (user, password) == (
            self.api_key_sid,
            self.api_key_secret,
        )

    def stray(self, request: RecordedRequest) -> str | None:
        if request.role == "cdn" and "authorization" in request.headers:
            return (
                f"Authorization reached the CDN host: {request.method} {request.path} on "
                f"{request.host} carried Twilio credentials; the client forwarded them across "
                "the redirect (they must go to the media URL at the API only)"
            )
        if request.status == 404 and request.path.rsplit("/", 1)[-1] not in self._removed:
            where = "the CDN" if request.role == "cdn" else "the API"
            return (
                f"{request.method} {request.path} on {where} answered 404: no media registered "
                "there (add_media() or voice_note() registers it)"
            )
        return None


def _cdn_signature(token: str, expires: str) -> str:
    return hashlib.sha256(f"{token}{expires}".encode()).hexdigest()[:32]


def _twilio_error(status: int, code: int, message: str) -> FakeAnswer:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return FakeAnswer(status, {"Content-Type": "application/json"}, json.dumps(body).encode())
