"""What the sync and async Twilio media clients share: everything but the I/O.

Which URLs may get credentials, where redirects may go, the retry decisions (the library's
shared :mod:`ai_voice_shared._retry`), the size cap and the errors live here;
:mod:`twilio_media_client` only sends requests, reads bodies and sleeps.

The threat model, in three lines:

1. A forged webhook can point ``MediaUrl0`` anywhere: credentials go only to media URLs of
   the configured account at ``TWILIO_API_BASE_URL``, checked before any request.
2. Twilio answers 307 to a CDN on another host: redirects are followed by the client, never
   with ``Authorization``, only to https (or plain http when the API itself is a local fake).
3. A hostile or broken server can send anything: the size cap holds from ``Content-Length``
   and while streaming, and the total deadline bounds every socket operation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

from ai_voice_shared._hosts import is_local_host
from ai_voice_shared._http.bodies import IDENTITY, BodyTooLargeError, UnsupportedEncodingError
from ai_voice_shared._retry import Attempts, Retry, Retrying, is_retried_status
from ai_voice_shared._version import __version__
from ai_voice_shared.errors import (
    ConfigurationError,
    MediaDownloadError,
    MediaTooLargeError,
    TwilioMediaError,
    UntrustedMediaUrlError,
)
from ai_voice_shared.models import TwilioMedia
from ai_voice_shared.settings import TwilioSettings

__all__ = ["MAX_REDIRECTS", "BaseTwilioMediaClient", "MediaAttempts", "media_type_of"]

logger = logging.getLogger("ai_voice_shared.twilio_media")

#: Twilio redirects once, to its CDN; a chain longer than this is refused.
MAX_REDIRECTS: Final = 3
_MEDIA_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Messages/(?:SM|MM)[0-9a-fA-F]{32}"
    r"/Media/(?P<media>ME[0-9a-fA-F]{32})$"
)
#: Content types that say nothing about the media: the declared type stands.
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_EXCERPT: Final = 300


def media_type_of(content_type: str | None) -> str:
    """A content type without parameters, lower-cased (``audio/ogg; codecs=opus`` ->
    ``audio/ogg``)."""
    return (content_type or "").partition(";")[0].strip().lower()


class MediaAttempts(Attempts):
    """One media download across its retries: the shared state, the URL and the media SID."""

    __slots__ = ("media_sid", "url")

    def __init__(self, url: str, media_sid: str, deadline: float) -> None:
        super().__init__(deadline)
        self.url = url
        self.media_sid = media_sid


class BaseTwilioMediaClient:
    """Configuration, URL trust, redirect policy, retry decisions and errors (no I/O)."""

    def __init__(
        self,
        settings: TwilioSettings | None = None,
        *,
        clock: Callable[[], float] | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings if settings is not None else TwilioSettings()
        account = self.settings.account_sid
        missing = []
        if account is None:
            missing.append(
                "the account SID: set TWILIO_ACCOUNT_SID (or pass TwilioSettings(account_sid="
                "...)); media URLs of other accounts are refused"
            )
        if self.settings.auth_token is None and (
            self.settings.api_key_sid is None or self.settings.api_key_secret is None
        ):
            missing.append(
                "credentials: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID and "
                "TWILIO_API_KEY_SECRET (an API key of the account)"
            )
        if missing:  # all of them at once, not one per run
            raise ConfigurationError(f"Twilio media downloads need {'; and '.join(missing)}.")
        assert account is not None
        self.account_sid = account
        self._auth = self._credentials(self.settings)
        api = urlsplit(self.settings.api_base_url)
        self._api_scheme = api.scheme
        self._api_netloc = api.netloc.lower()
        self._retrying = Retrying(
            max_retries=self.settings.max_retries,
            total_timeout=self.settings.total_timeout_seconds,
            clock=clock,
            jitter=jitter,
        )
        self._max_bytes = self.settings.media_max_bytes
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(account_sid={self.account_sid!r}, "
            f"api_base_url={self.settings.api_base_url!r})"
        )

    @staticmethod
    def _credentials(settings: TwilioSettings) -> tuple[str, str]:
        key, secret = settings.api_key_sid, settings.api_key_secret
        if key is not None and secret is not None:
            return key, secret.get_secret_value()
        token: SecretStr | None = settings.auth_token
        if token is None:
            raise ConfigurationError(
                "Twilio media downloads need credentials: set TWILIO_AUTH_TOKEN, or "
                "TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET (an API key of the account)."
            )
        assert settings.account_sid is not None
        return settings.account_sid, token.get_secret_value()

    # -- trust ----------------------------------------------------------------------------------

    def trusted_url(self, media: TwilioMedia | str) -> tuple[str, str]:
        """The media URL and its ``ME...`` SID, if credentials may be sent to it.

        Raises :class:`UntrustedMediaUrlError` for anything but a media URL of the configured
        account at ``TWILIO_API_BASE_URL``, before any request is made.
        """
        url = media.url if isinstance(media, TwilioMedia) else media
        problem = self._distrust(url)
        if problem is not None:
            raise UntrustedMediaUrlError(
                f"Refusing to fetch {url[:200]!r} with the account's credentials: {problem}. "
                f"Only media URLs of {self.account_sid} at {self.settings.api_base_url} get them "
                f"(a forged webhook can point MediaUrl anywhere).{self._test_hint(url)}",
                url=url,
            )
        match = _MEDIA_PATH.match(urlsplit(url).path)
        assert match is not None
        return url, match.group("media")

    def _test_hint(self, url: object) -> str:
        """What to check in a test: the URL's host against TWILIO_API_BASE_URL's."""
        host = urlsplit(url).netloc if isinstance(url, str) else ""
        base = urlsplit(self.settings.api_base_url).netloc
        if host and host != base:
            return (
                f" The media URL is at {host}, TWILIO_API_BASE_URL at {base}: in a test against a "
                "fake Twilio API, the webhook must carry media URLs the fake serves (register the "
                "media with it: FakeTwilioApi.add_media, `ai-voice-shared fakes --media FILE` or "
                "`ai-voice-shared twilio send --media FILE`; see docs/cli.md)."
            )
        return ""

    def _distrust(self, url: object) -> str | None:
        if not isinstance(url, str):
            return f"a URL must be str, not {type(url).__name__}"
        if not url.isascii() or any(ch <= " " or ch == "\x7f" for ch in url):
            # urlsplit silently drops some (a trailing newline, a tab in the host) that httpx
            # then refuses: the URL checked must be the URL requested.
            return "it holds whitespace, a control character or a non-ASCII character"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises for a port that is not a number in range
        except ValueError as exc:
            return f"it is not a valid URL ({exc})"
        if parts.scheme != self._api_scheme or parts.netloc.lower() != self._api_netloc:
            return f"it is not at {self.settings.api_base_url}"
        if parts.username is not None or parts.password is not None:
            return "it carries credentials of its own"
        if parts.query or parts.fragment:
            return "a media URL has no query string or fragment"
        match = _MEDIA_PATH.match(parts.path)
        if match is None:
            return "its path is not /2010-04-01/Accounts/AC.../Messages/MM.../Media/ME..."
        if match.group("account") != self.account_sid:
            return f"it belongs to account {match.group('account')}, not {self.account_sid}"
        return None

    def _redirect_target(self, attempts: MediaAttempts, response: httpx.Response) -> str:
        """Where a redirect may go (never with credentials), or :class:`MediaDownloadError`."""
        location = response.headers.get("location")
        if not location:
            raise self._failed(attempts, response, "it redirected without a Location")
        # httpx joined this Location already, in send() (a Location it cannot join raised there:
        # the client's _unusable_location), so this join cannot fail.
        target = response.request.url.join(location)
        local = self._api_scheme == "http"  # a local fake API: its CDN may be plain http too
        if target.scheme not in ("https", "http") or (
            target.scheme == "http" and not (local and is_local_host(target.host))
        ):
            raise UntrustedMediaUrlError(
                f"Twilio's answer for {attempts.url} redirects to {target.scheme}: "
                f"{_without_query(str(target))!r}; media is only fetched over https (plain "
                "http only from a local fake API to a local host). Nothing was downloaded.",
                url=attempts.url,
                media_sid=attempts.media_sid,
                attempts=attempts.sent,
                status=response.status_code,
            )
        return str(target)

    def _headers(self, attempts: MediaAttempts) -> dict[str, str]:
        """Headers of every request of an attempt (no credentials: auth is added per hop)."""
        return {
            "User-Agent": f"ai-voice-shared/{__version__}",
            **IDENTITY,
        }

    def _timeout(self, attempts: MediaAttempts) -> httpx.Timeout:
        remaining = self._retrying.remaining(attempts)
        if remaining <= 0:
            raise self._deadline_error(attempts)
        return httpx.Timeout(
            min(self.settings.timeout_seconds, remaining),
            connect=min(self.settings.connect_timeout_seconds, remaining),
        )

    # -- decisions ------------------------------------------------------------------------------

    def _start(self, media: TwilioMedia | str) -> MediaAttempts:
        if self._closed:
            raise TwilioMediaError(
                f"This {type(self).__name__} is closed: create a new client (or keep it open for "
                "the life of the service, as it pools connections)."
            )
        url, media_sid = self.trusted_url(media)
        return MediaAttempts(url, media_sid, self._retrying.start().deadline)

    def _check_headers(
        self, attempts: MediaAttempts, response: httpx.Response, declared: str | None
    ) -> str:
        """Accept a 200 (size from ``Content-Length``, type against the declared one); return
        the content type the media is stored with."""
        length = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if length.strip().isdigit() and encoding in ("", "identity"):
            size = int(length)
            if size > self._max_bytes:
                raise self._too_large(attempts, size, declared_size=True)
        sent = media_type_of(response.headers.get("content-type"))
        if declared is not None and sent not in _UNTYPED and sent != media_type_of(declared):
            raise MediaDownloadError(
                f"Twilio declared {attempts.media_sid} as {media_type_of(declared)!r} but its CDN "
                f"sent {sent!r}: the webhook does not describe this media, so it was not kept. "
                "Check MediaContentType against the media; a forged webhook can lie.",
                url=attempts.url,
                media_sid=attempts.media_sid,
                attempts=attempts.sent,
                status=response.status_code,
            )
        return declared if declared is not None else (response.headers.get("content-type") or "")

    def _after_status(
        self, attempts: MediaAttempts, response: httpx.Response, excerpt: str
    ) -> Retry:
        """A non-200 final answer: a :class:`Retry`, or raise."""
        status = response.status_code
        attempts.last = f"HTTP {status}"
        return self._retrying.decide(
            attempts,
            self,
            lambda: self._failed(attempts, response, f"it answered HTTP {status}: {excerpt!r}"),
            retried=is_retried_status(status),
            headers=response.headers,
        )

    def _after_cut(self, attempts: MediaAttempts, error: MediaDownloadError) -> Retry:
        """A download that failed (``error``, from opening or iterating it): a :class:`Retry`
        when its body was cut off and may be fetched again, within the same retry budget and
        total deadline as the requests before it; else re-raise ``error``."""
        return self._retrying.decide(attempts, self, lambda: error, retried=error.retryable)

    def _after_failure(self, attempts: MediaAttempts, failure: Exception) -> Retry:
        """A transport failure: a :class:`Retry`, or raise."""
        if isinstance(failure, BodyTooLargeError):
            raise self._too_large(attempts, failure.seen, declared_size=failure.declared)
        if isinstance(failure, UnsupportedEncodingError):
            raise MediaDownloadError(
                f"The media {attempts.media_sid} could not be read: {failure}.",
                url=attempts.url,
                media_sid=attempts.media_sid,
                attempts=attempts.sent,
            )
        name = type(failure).__name__
        attempts.last = f"{name}: {failure}" if str(failure) else name
        return self._retrying.decide(
            attempts,
            self,
            lambda: self._transport(attempts, failure),
            timed_out=isinstance(failure, httpx.TimeoutException),
        )

    def _log_retry(self, attempts: MediaAttempts, delay: float) -> None:
        """Log a retry (the retry core's callback)."""
        logger.warning(
            "twilio media %s: attempt %d got %s; retrying in %.2f s",
            attempts.media_sid,
            attempts.sent,
            attempts.last,
            delay,
        )

    # -- errors ---------------------------------------------------------------------------------

    def _too_large(
        self, attempts: MediaAttempts, size: int, *, declared_size: bool
    ) -> MediaTooLargeError:
        how = "is" if declared_size else "ran past"
        return MediaTooLargeError(
            f"The media {attempts.media_sid} {how} {size} bytes, more than TWILIO_MEDIA_MAX_BYTES "
            f"({self._max_bytes}); nothing of it was kept. WhatsApp media is at most 16 MB; "
            "raise the setting if your channel sends larger files.",
            url=attempts.url,
            media_sid=attempts.media_sid,
            attempts=attempts.sent,
        )

    def _failed(
        self, attempts: MediaAttempts, response: httpx.Response, why: str
    ) -> MediaDownloadError:
        status = response.status_code
        if status in (401, 403) and response.request.url.host == urlsplit(attempts.url).hostname:
            advice = (
                "Twilio refused the credentials: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
                "(or the API key pair), and that the media belongs to that account."
            )
        elif status == 404:
            advice = (
                "The media does not exist (deleted, or the webhook is not Twilio's; a fake Twilio "
                "API serves only the media registered with it, see docs/cli.md)."
            )
        else:
            advice = "Twilio or its CDN is failing; the download can be retried later."
        where = (
            "Twilio" if response.request.url.host == urlsplit(attempts.url).hostname else "the CDN"
        )
        error = MediaDownloadError(
            f"Downloading the media {attempts.media_sid} failed after {attempts.sent} attempt(s): "
            f"{where} ({_without_query(str(response.request.url))}) {why}. {advice}",
            url=attempts.url,
            media_sid=attempts.media_sid,
            attempts=attempts.sent,
            status=status,
        )
        error.transient = status >= 500 or status in (408, 429)
        return error

    def _unusable_location(
        self, attempts: MediaAttempts, url: str, failure: Exception
    ) -> MediaDownloadError:
        where = "Twilio" if url == attempts.url else "the CDN"
        return MediaDownloadError(
            f"Downloading the media {attempts.media_sid} failed: {where} "
            f"({_without_query(url)}) redirected to a Location that is not a URL "
            f"({type(failure).__name__}: {str(failure)[:100]}). Nothing was downloaded; this "
            "is not an answer Twilio gives (a forged webhook or a broken proxy can).",
            url=attempts.url,
            media_sid=attempts.media_sid,
            attempts=attempts.sent,
        )

    def _transport(self, attempts: MediaAttempts, failure: Exception) -> MediaDownloadError:
        error = MediaDownloadError(
            f"Downloading the media {attempts.media_sid} failed after {attempts.sent} attempt(s): "
            f"{attempts.last}. Check the network path to {self.settings.api_base_url} and its "
            "CDN; raise TWILIO_TIMEOUT_SECONDS or TWILIO_MAX_RETRIES for slow links.",
            url=attempts.url,
            media_sid=attempts.media_sid,
            attempts=attempts.sent,
        )
        error.transient = True
        return error

    def _deadline_error(
        self, attempts: MediaAttempts, *, waiting: float | None = None
    ) -> MediaDownloadError:
        """The error for a download whose total deadline passed (the retry core's callback)."""
        total = self.settings.total_timeout_seconds
        why = (
            f"the next retry, {waiting:.2f} s away, would pass it"
            if waiting is not None
            else "it has passed"
        )
        error = MediaDownloadError(
            f"Gave up downloading the media {attempts.media_sid} after {attempts.sent} "
            f"attempt(s): the total deadline of {total:g} s (TWILIO_TOTAL_TIMEOUT_SECONDS) allows "
            f"no more, as {why}. The last outcome was {attempts.last}.",
            url=attempts.url,
            media_sid=attempts.media_sid,
            attempts=attempts.sent,
        )
        error.transient = True
        return error


def _without_query(url: str) -> str:
    """A URL without its query: a CDN's signed query is a short-lived credential."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def excerpt_of(body: bytes) -> str:
    """The start of an error body, for messages."""
    return body.decode("utf-8", "replace")[:_EXCERPT]
