"""What the sync and async customer-lookup clients share: everything but the I/O.

Configuration, request building, response mapping, retry decisions, the caches and the log
lines live here; :mod:`customer_lookup_client` only sends requests and sleeps. Retries and
deadlines are the library's shared machinery (:mod:`ai_voice_shared._retry`), and so are the
hard deadline on every socket operation and the bounded body reads (:mod:`ai_voice_shared._http`).
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypedDict

import httpx
from pydantic import SecretStr, ValidationError

from ai_voice_shared._http.bodies import IDENTITY, BodyTooLargeError, UnsupportedEncodingError
from ai_voice_shared._privacy.masking import mask_number_in, mask_numbers_in
from ai_voice_shared._retry import Attempts, Retry, Retrying, is_retried_status
from ai_voice_shared._version import __version__
from ai_voice_shared.contracts import LOOKUP_PATH, NOT_FOUND_CODE
from ai_voice_shared.errors import (
    CustomerLookupConnectionError,
    CustomerLookupError,
    CustomerLookupResponseError,
    CustomerLookupStatusError,
    CustomerLookupTimeoutError,
    CustomerNotFoundError,
)
from ai_voice_shared.models import CustomerMetadata
from ai_voice_shared.phone import mask_phone_number, normalize_phone_number
from ai_voice_shared.settings import CustomerLookupSettings

if TYPE_CHECKING:
    from cachetools import TTLCache

__all__ = [
    "EXCERPT_BYTES",
    "LOOKUP_PATH",
    "MAX_BODY_BYTES",
    "BaseCustomerLookupClient",
    "LookupAttempts",
    "LookupOptions",
]

logger = logging.getLogger("ai_voice_shared.customer_lookup")

_EXCERPT: Final = 200
#: The most of a 200 body read: customer metadata is a few hundred bytes; more is not it.
MAX_BODY_BYTES: Final = 64 * 1024
#: The most of any other body read, for the error's excerpt and the not-found check.
EXCERPT_BYTES: Final = 4 * 1024

_NOT_FOUND: Final = "not-found"

# How a server that predates the contract's ``code`` is told from something else answering 404
# (docs/customer-lookup-api.md): its body is the contract's former one, a JSON object with a
# ``detail`` message. A framework's or gateway's unknown-route answer is not, even when it has
# a ``detail``: it says no more than "not found" (Starlette/FastAPI's "Not Found", Django REST
# framework's "Not found."), talks of routes, or carries the keys of a framework's own error
# body (Spring's ``error``/``path``, API Gateway's and Kong's ``message``, RFC 9457 problem
# details' ``type``/``title``/``status``, as ASP.NET Core sends).
_GENERIC_NOT_FOUND: Final = re.compile(
    r"[\W_]*(?:404[\W_]*)?(?:(?:page|resource|route|path|url|endpoint|file|object|item)[\W_]*)?"
    r"not[\W_]*found[\W_]*",
    re.IGNORECASE,
)
_ROUTE_WORDS: Final = re.compile(
    r"\b(?:routes?|endpoints?|handler|cannot\s+get|no\s+static\s+resource)\b", re.IGNORECASE
)
_FRAMEWORK_KEYS: Final = frozenset(
    {"error", "errors", "message", "path", "status", "statusCode", "title", "type", "instance"}
)


class LookupOptions(TypedDict, total=False):
    """Keyword options both clients take; each overrides one value of the settings."""

    settings: CustomerLookupSettings
    api_key: str | SecretStr
    timeout: float
    connect_timeout: float
    total_timeout: float
    max_retries: int
    cache_ttl: float
    negative_cache_ttl: float
    cache_max_size: int
    clock: Callable[[], float]
    jitter: Callable[[], float]


class LookupAttempts(Attempts):
    """The state of one lookup across its retries: the shared state plus the number."""

    __slots__ = ("number",)

    def __init__(self, number: str, request_id: str, deadline: float) -> None:
        super().__init__(deadline, request_id)
        self.number = number


class BaseCustomerLookupClient:
    """Configuration, request building, response mapping, retries and caching (no I/O)."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        settings: CustomerLookupSettings | None = None,
        api_key: str | SecretStr | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        total_timeout: float | None = None,
        max_retries: int | None = None,
        cache_ttl: float | None = None,
        negative_cache_ttl: float | None = None,
        cache_max_size: int | None = None,
        clock: Callable[[], float] | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        overrides: dict[str, Any] = {
            "base_url": base_url,
            "api_key": api_key,
            "timeout_seconds": timeout,
            "connect_timeout_seconds": connect_timeout,
            "total_timeout_seconds": total_timeout,
            "max_retries": max_retries,
            "cache_ttl_seconds": cache_ttl,
            "negative_cache_ttl_seconds": negative_cache_ttl,
            "cache_max_size": cache_max_size,
        }
        given = {name: value for name, value in overrides.items() if value is not None}
        if settings is None:
            settings = CustomerLookupSettings(**given)
        elif given:
            settings = CustomerLookupSettings(**{**settings.model_dump(), **given})
        self.settings = settings
        self.base_url = settings.base_url
        self._retrying = Retrying(
            max_retries=settings.max_retries,
            total_timeout=settings.total_timeout_seconds,
            clock=clock,
            jitter=jitter,
        )
        self._url = settings.base_url + LOOKUP_PATH
        self._timeout = settings.timeout_seconds
        self._connect_timeout = settings.connect_timeout_seconds
        from cachetools import TTLCache  # only needed once a client exists

        timer = self._retrying.now
        self._lock = threading.Lock()
        self._hits: TTLCache[str, CustomerMetadata] | None = (
            TTLCache(settings.cache_max_size, settings.cache_ttl_seconds, timer=timer)
            if settings.cache_ttl_seconds > 0
            else None
        )
        self._misses: TTLCache[str, str] | None = (
            TTLCache(settings.cache_max_size, settings.negative_cache_ttl_seconds, timer=timer)
            if settings.negative_cache_ttl_seconds > 0
            else None
        )
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"cache_ttl={self.settings.cache_ttl_seconds})"
        )

    # -- caching --------------------------------------------------------------------------------

    def _cached(self, number: str) -> tuple[CustomerMetadata | None] | None:
        """The cached answer for ``number`` (a customer, or ``None`` for a recent not-found),
        in a 1-tuple; ``None`` when nothing is cached."""
        with self._lock:
            if self._hits is not None and (hit := self._hits.get(number)) is not None:
                logger.debug("customer lookup %s: cache hit", mask_phone_number(number))
                return (hit,)
            if self._misses is not None and number in self._misses:
                logger.debug("customer lookup %s: cached not-found", mask_phone_number(number))
                return (None,)
        return None

    def _remember(self, number: str, customer: CustomerMetadata | None) -> None:
        with self._lock:
            if customer is not None and self._hits is not None:
                self._hits[number] = customer
            elif customer is None and self._misses is not None:
                self._misses[number] = _NOT_FOUND

    def invalidate(self, phone_number: str) -> None:
        """Forget what is cached for this number (found or not found)."""
        number = normalize_phone_number(phone_number)
        with self._lock:
            for cache in (self._hits, self._misses):
                if cache is not None:
                    cache.pop(number, None)

    def cache_clear(self) -> None:
        """Forget everything cached."""
        with self._lock:
            for cache in (self._hits, self._misses):
                if cache is not None:
                    cache.clear()

    # -- requests -------------------------------------------------------------------------------

    def _start(self, phone_number: str) -> LookupAttempts:
        if self._closed:
            raise CustomerLookupError(
                f"This {type(self).__name__} is closed: create a new client (or keep it open for "
                "the life of the service, as it pools connections)."
            )
        number = normalize_phone_number(phone_number)
        state = self._retrying.start()
        return LookupAttempts(number, uuid.uuid4().hex, state.deadline)

    def _request(
        self, attempts: LookupAttempts
    ) -> tuple[dict[str, str], dict[str, str], httpx.Timeout]:
        """Query parameters, headers and timeout of the next attempt (``attempts.sent`` += 1)."""
        remaining = self._retrying.remaining(attempts)
        if remaining <= 0:
            raise self._deadline_error(attempts)
        attempts.sent += 1
        headers = {
            "User-Agent": f"ai-voice-shared/{__version__}",
            "X-Request-ID": attempts.request_id,
            "Accept": "application/json",
            **IDENTITY,
        }
        if self.settings.api_key is not None:
            headers["Authorization"] = f"Bearer {self.settings.api_key.get_secret_value()}"
        timeout = httpx.Timeout(
            min(self._timeout, remaining), connect=min(self._connect_timeout, remaining)
        )
        logger.debug(
            "customer lookup %s: attempt %d of %d (request id %s)",
            mask_phone_number(attempts.number),
            attempts.sent,
            self.settings.max_retries + 1,
            attempts.request_id,
        )
        return {"phone_number": attempts.number}, headers, timeout

    @staticmethod
    def _body_limit(response: httpx.Response) -> tuple[int, bool]:
        """How much of the body to read, and whether all of it is needed (200) or a prefix."""
        if response.status_code == 200:
            return MAX_BODY_BYTES, True
        return EXCERPT_BYTES, False

    def _decide(
        self,
        attempts: LookupAttempts,
        response: httpx.Response | None,
        body: bytes = b"",
        failure: Exception | None = None,
    ) -> CustomerMetadata | Retry | None:
        """What to do after an attempt: the customer (``None``: not found), a :class:`Retry`,
        or raise."""
        if response is None:
            assert failure is not None
            if isinstance(failure, BodyTooLargeError | UnsupportedEncodingError):
                raise self._unreadable(attempts, failure)
            assert isinstance(failure, httpx.TransportError)
            name = type(failure).__name__
            # The failure's text may quote what the server sent (a header line h11 refused,
            # echoing the number): it goes into log lines and errors, so the number is masked.
            said = mask_number_in(str(failure), attempts.number)
            attempts.last = f"{name}: {said}" if said else name
            return self._retrying.decide(
                attempts,
                self,
                lambda: self._transport_error(attempts, failure),
                timed_out=isinstance(failure, httpx.TimeoutException),
            )
        status = response.status_code
        attempts.last = f"HTTP {status}"
        if status == 200:
            return self._customer(attempts, response, body)
        if status == 404:
            if self._contract_not_found(body):
                return None
            raise self._status_error(
                attempts, response, body, "which is not the contract's not-found answer"
            )
        retried = is_retried_status(status)
        how = "after retrying" if retried else "not retried (a client error)"
        return self._retrying.decide(
            attempts,
            self,
            lambda: self._status_error(attempts, response, body, how),
            retried=retried,
            headers=response.headers,
        )

    def _log_retry(self, attempts: LookupAttempts, delay: float) -> None:
        """Log a retry (the retry core's callback)."""
        logger.warning(
            "customer lookup %s: attempt %d got %s; retrying in %.2f s (request id %s)",
            mask_phone_number(attempts.number),
            attempts.sent,
            attempts.last,
            delay,
            attempts.request_id,
        )

    # -- mapping --------------------------------------------------------------------------------

    @staticmethod
    def _contract_not_found(body: bytes) -> bool:
        """Whether a 404 carries the contract's not-found answer.

        The contract's body is ``{"detail": ..., "code": "customer_not_found"}``: with a
        ``code``, only that one means "no customer". A server that predates ``code`` answers
        the contract's former body, a JSON object whose ``detail`` is a message; it is accepted
        unless it is a framework's or gateway's unknown-route answer (see
        :data:`_GENERIC_NOT_FOUND`). Anything else (``{}``, ``{"message": "Not Found"}``, a
        problem-details document, HTML, an empty body) is not.
        """
        try:
            answer = json.loads(body)
        except (ValueError, RecursionError):
            return False
        if not isinstance(answer, dict):
            return False
        if "code" in answer:
            return bool(answer["code"] == NOT_FOUND_CODE)
        detail = answer.get("detail")
        return (
            isinstance(detail, str)
            and detail.strip() != ""
            and _GENERIC_NOT_FOUND.fullmatch(detail) is None
            and _ROUTE_WORDS.search(detail) is None
            and not _FRAMEWORK_KEYS & answer.keys()
        )

    def _customer(
        self, attempts: LookupAttempts, response: httpx.Response, body: bytes
    ) -> CustomerMetadata:
        try:
            return CustomerMetadata.model_validate_json(body)
        except ValidationError as exc:
            problems = mask_number_in(
                "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()
                ),
                attempts.number,
            )
            raise CustomerLookupResponseError(
                f"customer-lookup-server answered 200 for {mask_phone_number(attempts.number)} "
                f"but the body is not customer metadata ({problems}). Body starts with: "
                f"{self._excerpt(attempts, body)!r}. Check that "
                f"CUSTOMER_LOOKUP_BASE_URL ({self.base_url}) points at customer-lookup-server "
                "and that it follows the contract in docs/customer-lookup-api.md.",
                phone_number=mask_phone_number(attempts.number),
                attempts=attempts.sent,
                request_id=self._response_request_id(attempts, response),
            ) from None

    def _unreadable(
        self, attempts: LookupAttempts, problem: BodyTooLargeError | UnsupportedEncodingError
    ) -> CustomerLookupResponseError:
        if isinstance(problem, BodyTooLargeError):
            what = (
                f"a body of more than {MAX_BODY_BYTES} bytes ({problem}), far more than "
                "customer metadata"
            )
        else:  # the problem may quote the server's Content-Encoding header
            what = f"a body it cannot read ({mask_number_in(str(problem), attempts.number)})"
        return CustomerLookupResponseError(
            f"customer-lookup-server answered {mask_phone_number(attempts.number)} with {what}; "
            f"the rest was not read. Check that CUSTOMER_LOOKUP_BASE_URL ({self.base_url}) "
            "points at customer-lookup-server and that it follows the contract in "
            "docs/customer-lookup-api.md.",
            phone_number=mask_phone_number(attempts.number),
            attempts=attempts.sent,
            request_id=attempts.request_id,
        )

    def _not_found(self, attempts: LookupAttempts) -> CustomerNotFoundError:
        return CustomerNotFoundError(
            f"No customer has the phone number {mask_phone_number(attempts.number)} "
            "(customer-lookup-server answered 404). Use find() to get None instead of this error.",
            phone_number=mask_phone_number(attempts.number),
            attempts=attempts.sent,
            request_id=attempts.request_id if attempts.sent else None,
        )

    def _status_error(
        self, attempts: LookupAttempts, response: httpx.Response, body: bytes, how: str
    ) -> CustomerLookupStatusError:
        status = response.status_code
        if status == 404:
            advice = (
                f"The request went to {self._url}: a 404 without the contract's body "
                f'({{"code": "{NOT_FOUND_CODE}"}}) means nothing there serves the lookup '
                "route. Check CUSTOMER_LOOKUP_BASE_URL, including its path prefix; the answer "
                "was not cached as 'customer not found'."
            )
        elif status in (401, 403):
            advice = "Check CUSTOMER_LOOKUP_API_KEY: the server refused the credentials."
        elif is_retried_status(status):
            advice = (
                f"Check that customer-lookup-server at {self.base_url} is healthy; raise "
                "CUSTOMER_LOOKUP_MAX_RETRIES to ride out longer outages."
            )
        else:
            advice = (
                f"Check CUSTOMER_LOOKUP_BASE_URL ({self.base_url}) and the contract in "
                "docs/customer-lookup-api.md."
            )
        excerpt = self._excerpt(attempts, body)
        request_id = self._response_request_id(attempts, response)
        return CustomerLookupStatusError(
            f"customer-lookup-server answered HTTP {status} for "
            f"{mask_phone_number(attempts.number)}, {how}, after {attempts.sent} attempt(s) "
            f"(request id {request_id}): {excerpt!r}. {advice}",
            status_code=status,
            body_excerpt=excerpt,
            phone_number=mask_phone_number(attempts.number),
            attempts=attempts.sent,
            request_id=request_id,
        )

    def _transport_error(
        self, attempts: LookupAttempts, failure: httpx.TransportError
    ) -> CustomerLookupError:
        masked = mask_phone_number(attempts.number)
        cls: type[CustomerLookupError]
        if isinstance(failure, httpx.TimeoutException):
            cls = CustomerLookupTimeoutError
            what = (
                f"timed out ({type(failure).__name__}) on each of {attempts.sent} attempt(s); "
                f"CUSTOMER_LOOKUP_TIMEOUT_SECONDS is {self._timeout:g} s and "
                f"CUSTOMER_LOOKUP_CONNECT_TIMEOUT_SECONDS {self._connect_timeout:g} s"
            )
        else:
            cls = CustomerLookupConnectionError
            what = f"could not be reached after {attempts.sent} attempt(s) ({attempts.last})"
        return cls(
            f"customer-lookup-server at {self.base_url} {what}, looking up {masked} (request id "
            f"{attempts.request_id}). Check CUSTOMER_LOOKUP_BASE_URL and that the server is up.",
            phone_number=masked,
            attempts=attempts.sent,
            request_id=attempts.request_id,
        )

    def _deadline_error(
        self, attempts: LookupAttempts, *, waiting: float | None = None
    ) -> CustomerLookupTimeoutError:
        """The error for a lookup whose total deadline passed (the retry core's callback)."""
        total = self.settings.total_timeout_seconds
        why = (
            f"the next retry, {waiting:.2f} s away, would pass it"
            if waiting is not None
            else "it has passed"
        )
        return CustomerLookupTimeoutError(
            f"Gave up looking up {mask_phone_number(attempts.number)} after {attempts.sent} "
            f"attempt(s): the total deadline of {total:g} s "
            f"(CUSTOMER_LOOKUP_TOTAL_TIMEOUT_SECONDS) allows no more, as {why}. The last outcome "
            f"was {attempts.last} (request id {attempts.request_id}).",
            phone_number=mask_phone_number(attempts.number),
            attempts=attempts.sent,
            request_id=attempts.request_id,
        )

    @staticmethod
    def _response_request_id(attempts: LookupAttempts, response: httpx.Response) -> str:
        """The ``X-Request-ID`` the server answered with (the number masked, should the server
        have put it there), else the one sent."""
        answered = response.headers.get("x-request-id")
        return mask_number_in(answered, attempts.number) if answered else attempts.request_id

    @staticmethod
    def _excerpt(attempts: LookupAttempts, body: bytes) -> str:
        """The start of the body with every phone number masked, whatever its spelling (the
        whole read prefix is masked before the cut, so no number leaks half-cut)."""
        text = mask_number_in(body.decode("utf-8", "replace"), attempts.number)
        return mask_numbers_in(text)[:_EXCERPT]
