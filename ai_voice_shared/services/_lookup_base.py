"""What the sync and async customer-lookup clients share: everything but the I/O.

Configuration, request building, response mapping, retry decisions, the caches and the log
lines live here; :mod:`customer_lookup_client` only sends requests and sleeps.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypedDict

import httpx
from pydantic import SecretStr, ValidationError

from ai_voice_shared._version import __version__
from ai_voice_shared.contracts import LOOKUP_PATH
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
    "INITIAL_RETRY_DELAY",
    "LOOKUP_PATH",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "Attempts",
    "BaseCustomerLookupClient",
    "Done",
    "LookupOptions",
    "Retry",
]

logger = logging.getLogger("ai_voice_shared.customer_lookup")

#: Backoff: ``min(INITIAL_RETRY_DELAY * 2**(attempt - 1), MAX_RETRY_DELAY)``, minus up to 25%.
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
#: A ``Retry-After`` longer than this is ignored in favour of the backoff.
MAX_RETRY_AFTER: Final = 60.0
_RETRIED_STATUSES: Final = frozenset({408, 429})
_EXCERPT: Final = 200


_NOT_FOUND: Final = "not-found"


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


# Plain slotted classes rather than dataclasses: defining three dataclasses costs ~1.3 ms at
# import, a tenth of this package's whole import budget (benchmarks/import_cost.py).
class Done:
    """The lookup is over: ``customer``, or ``None`` for not found."""

    __slots__ = ("customer",)

    def __init__(self, customer: CustomerMetadata | None) -> None:
        self.customer = customer


class Retry:
    """Send the request again after ``delay`` seconds."""

    __slots__ = ("delay",)

    def __init__(self, delay: float) -> None:
        self.delay = delay


class Attempts:
    """The state of one lookup across its retries."""

    __slots__ = ("deadline", "last", "number", "request_id", "sent")

    def __init__(self, number: str, request_id: str, deadline: float) -> None:
        self.number = number
        self.request_id = request_id
        self.deadline = deadline
        self.sent = 0
        self.last = "nothing"


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
        clock: Callable[[], float] = time.monotonic,
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
        self._clock = clock
        self._jitter = jitter
        self._url = settings.base_url + LOOKUP_PATH
        self._timeout = settings.timeout_seconds
        self._connect_timeout = settings.connect_timeout_seconds
        from cachetools import TTLCache  # only needed once a client exists

        self._lock = threading.Lock()
        self._hits: TTLCache[str, CustomerMetadata] | None = (
            TTLCache(settings.cache_max_size, settings.cache_ttl_seconds, timer=clock)
            if settings.cache_ttl_seconds > 0
            else None
        )
        self._misses: TTLCache[str, str] | None = (
            TTLCache(settings.cache_max_size, settings.negative_cache_ttl_seconds, timer=clock)
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

    def _cached(self, number: str) -> Done | None:
        """The cached answer for ``number`` (a customer, or a recent not-found), if any."""
        with self._lock:
            if self._hits is not None and (hit := self._hits.get(number)) is not None:
                logger.debug("customer lookup %s: cache hit", mask_phone_number(number))
                return Done(hit)
            if self._misses is not None and number in self._misses:
                logger.debug("customer lookup %s: cached not-found", mask_phone_number(number))
                return Done(None)
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

    def _start(self, phone_number: str) -> Attempts:
        if self._closed:
            raise CustomerLookupError(
                f"This {type(self).__name__} is closed: create a new client (or keep it open for "
                "the life of the service, as it pools connections)."
            )
        return Attempts(
            number=normalize_phone_number(phone_number),
            request_id=uuid.uuid4().hex,
            deadline=self._clock() + self.settings.total_timeout_seconds,
        )

    def _request(self, attempts: Attempts) -> tuple[dict[str, str], dict[str, str], httpx.Timeout]:
        """Query parameters, headers and timeout of the next attempt (``attempts.sent`` += 1)."""
        remaining = attempts.deadline - self._clock()
        if remaining <= 0:
            raise self._deadline_error(attempts)
        attempts.sent += 1
        headers = {
            "User-Agent": f"ai-voice-shared/{__version__}",
            "X-Request-ID": attempts.request_id,
            "Accept": "application/json",
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

    def _decide(
        self,
        attempts: Attempts,
        response: httpx.Response | None,
        failure: httpx.TransportError | None = None,
    ) -> Done | Retry:
        """What to do after an attempt: finish, retry after a delay, or raise."""
        retries_left = attempts.sent <= self.settings.max_retries
        if response is None:
            assert failure is not None
            name = type(failure).__name__
            attempts.last = f"{name}: {failure}" if str(failure) else name
            if retries_left:
                return self._retry(attempts, self._backoff(attempts.sent))
            raise self._transport_error(attempts, failure)
        status = response.status_code
        attempts.last = f"HTTP {status}"
        if status == 200:
            return Done(self._customer(attempts, response))
        if status == 404:
            return Done(None)
        if status in _RETRIED_STATUSES or status >= 500:
            if retries_left:
                asked = self._retry_after(response)
                delay = asked if asked is not None else self._backoff(attempts.sent)
                return self._retry(attempts, delay)
            raise self._status_error(attempts, response, "after retrying")
        raise self._status_error(attempts, response, "not retried (a client error)")

    def _retry(self, attempts: Attempts, delay: float) -> Retry:
        remaining = attempts.deadline - self._clock()
        if delay >= remaining:
            raise self._deadline_error(attempts, waiting=delay)
        logger.warning(
            "customer lookup %s: attempt %d got %s; retrying in %.2f s (request id %s)",
            mask_phone_number(attempts.number),
            attempts.sent,
            attempts.last,
            delay,
            attempts.request_id,
        )
        return Retry(delay)

    def _backoff(self, attempt: int) -> float:
        delay: float = min(INITIAL_RETRY_DELAY * 2.0 ** (attempt - 1), MAX_RETRY_DELAY)
        return delay * (1 - 0.25 * self._jitter())

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        """Seconds the server asked to wait (``retry-after-ms``, ``Retry-After``), if sane."""
        seconds: float | None = None
        if (millis := response.headers.get("retry-after-ms")) is not None:
            try:
                seconds = float(millis) / 1000
            except ValueError:
                seconds = None
        if seconds is None and (after := response.headers.get("retry-after")) is not None:
            try:
                seconds = float(after)
            except ValueError:
                try:
                    when = email.utils.parsedate_to_datetime(after)
                except (TypeError, ValueError):
                    when = None
                if when is not None:
                    if when.tzinfo is None:
                        when = when.replace(tzinfo=UTC)
                    seconds = (when - datetime.now(UTC)).total_seconds()
        if seconds is not None and 0 <= seconds <= MAX_RETRY_AFTER:
            return seconds
        return None

    # -- mapping --------------------------------------------------------------------------------

    def _customer(self, attempts: Attempts, response: httpx.Response) -> CustomerMetadata:
        try:
            return CustomerMetadata.model_validate_json(response.content)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()
            )
            raise CustomerLookupResponseError(
                f"customer-lookup-server answered 200 for {mask_phone_number(attempts.number)} "
                f"but the body is not customer metadata ({problems}). Body starts with: "
                f"{self._excerpt(attempts, response)!r}. Check that "
                f"CUSTOMER_LOOKUP_BASE_URL ({self.base_url}) points at customer-lookup-server "
                "and that it follows the contract in docs/customer-lookup-api.md.",
                phone_number=mask_phone_number(attempts.number),
                attempts=attempts.sent,
                request_id=self._response_request_id(attempts, response),
            ) from None

    def _not_found(self, attempts: Attempts) -> CustomerNotFoundError:
        return CustomerNotFoundError(
            f"No customer has the phone number {mask_phone_number(attempts.number)} "
            "(customer-lookup-server answered 404). Use find() to get None instead of this error.",
            phone_number=mask_phone_number(attempts.number),
            attempts=attempts.sent,
            request_id=attempts.request_id if attempts.sent else None,
        )

    def _status_error(
        self, attempts: Attempts, response: httpx.Response, how: str
    ) -> CustomerLookupStatusError:
        status = response.status_code
        if status in (401, 403):
            advice = "Check CUSTOMER_LOOKUP_API_KEY: the server refused the credentials."
        elif status in _RETRIED_STATUSES or status >= 500:
            advice = (
                f"Check that customer-lookup-server at {self.base_url} is healthy; raise "
                "CUSTOMER_LOOKUP_MAX_RETRIES to ride out longer outages."
            )
        else:
            advice = (
                f"Check CUSTOMER_LOOKUP_BASE_URL ({self.base_url}) and the contract in "
                "docs/customer-lookup-api.md."
            )
        excerpt = self._excerpt(attempts, response)
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
        self, attempts: Attempts, failure: httpx.TransportError
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
        self, attempts: Attempts, *, waiting: float | None = None
    ) -> CustomerLookupTimeoutError:
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
    def _response_request_id(attempts: Attempts, response: httpx.Response) -> str:
        return response.headers.get("x-request-id") or attempts.request_id

    @staticmethod
    def _excerpt(attempts: Attempts, response: httpx.Response) -> str:
        """The start of the body, with the phone number masked if the server echoed it."""
        text = response.text[:_EXCERPT]
        masked = mask_phone_number(attempts.number)
        for form in (attempts.number, attempts.number[1:]):
            text = text.replace(form, masked)
        return text
