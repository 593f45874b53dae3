"""Clients for customer-lookup-server: ``CustomerLookupClient`` and ``AsyncCustomerLookupClient``.

Both follow the contract in ``docs/customer-lookup-api.md`` (OpenAPI:
``ai_voice_shared/contracts/customer-lookup.openapi.json``): one pooled httpx client, retries
with backoff and ``Retry-After``, a total deadline, a TTL cache for hits and not-founds,
concurrent lookups of one number coalesced into one request, and phone numbers masked in logs
and errors. The twins differ only in their I/O; everything else is in
:class:`~ai_voice_shared.services._lookup.base.BaseCustomerLookupClient`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

import httpx
from typing_extensions import Unpack

from ai_voice_shared._http.bodies import (
    BodyTooLargeError,
    UnsupportedEncodingError,
    aread_bounded,
    aread_prefix,
    read_bounded,
    read_prefix,
)
from ai_voice_shared._http.deadline import deadline
from ai_voice_shared._http.transports import async_http_transport, http_transport
from ai_voice_shared._privacy.logs import scrubbed_logs
from ai_voice_shared._retry import Retry, aretried, retried
from ai_voice_shared.models import CustomerMetadata
from ai_voice_shared.services._lookup.base import (
    BaseCustomerLookupClient,
    LookupAttempts,
    LookupOptions,
)

__all__ = ["AsyncCustomerLookupClient", "CustomerLookupClient"]

_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30)


class CustomerLookupClient(BaseCustomerLookupClient):
    """Looks up who sent a message, synchronously; thread-safe.

    >>> with CustomerLookupClient("http://customer-lookup:8080") as client:
    ...     client.lookup("whatsapp:+15555550100").company_name

    Arguments left out come from :class:`CustomerLookupSettings` (``CUSTOMER_LOOKUP_*``);
    ``settings`` replaces the environment and the keyword arguments override single values.
    ``http_client`` is used as given and not closed by :meth:`close` (the total deadline is
    then checked between reads of every body, 200 or not: the client's own transport cannot
    bound each socket operation, so one read can last up to ``timeout``); ``sleep`` and
    ``clock`` are for tests.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] | None = None,
        **options: Unpack[LookupOptions],
    ) -> None:
        super().__init__(base_url, **options)
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.Client(transport=http_transport(_LIMITS))
        )
        self._sleep = sleep
        self._inflight: dict[str, concurrent.futures.Future[CustomerMetadata | None]] = {}

    def lookup(self, phone_number: str) -> CustomerMetadata:
        """The customer behind ``phone_number``; raises :class:`CustomerNotFoundError` on 404."""
        attempts = self._start(phone_number)
        customer = self._find(attempts)
        if customer is None:
            raise self._not_found(attempts)
        return customer

    def find(self, phone_number: str) -> CustomerMetadata | None:
        """The customer behind ``phone_number``, or ``None`` when there is none."""
        return self._find(self._start(phone_number))

    def _find(self, attempts: LookupAttempts) -> CustomerMetadata | None:
        number = attempts.number
        if (cached := self._cached(number)) is not None:
            return cached[0]
        with self._lock:
            shared = self._inflight.get(number)
            leading = shared is None
            if shared is None:
                shared = self._inflight[number] = concurrent.futures.Future()
        if not leading:
            return shared.result()  # another thread is asking already: share its answer
        try:
            customer = self._fetch(attempts)
            self._remember(number, customer)
            shared.set_result(customer)
            return customer
        except BaseException as exc:
            shared.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._inflight.pop(number, None)

    def _fetch(self, attempts: LookupAttempts) -> CustomerMetadata | None:
        return retried(lambda: self._attempt(attempts), self._sleep)

    def _attempt(self, attempts: LookupAttempts) -> CustomerMetadata | Retry | None:
        params, headers, timeout = self._request(attempts)
        request = self._http.build_request(
            "GET", self._url, params=params, headers=headers, timeout=timeout
        )
        until = self._retrying.deadline_on_clock(attempts)
        failure: Exception | None = None
        try:
            with deadline(until), scrubbed_logs(attempts.number):
                response = self._http.send(request, stream=True)
                try:
                    limit, whole = self._body_limit(response)
                    body = (
                        read_bounded(response, limit, until=until)
                        if whole
                        else read_prefix(response, limit, until=until)
                    )
                finally:
                    response.close()
        except (httpx.TransportError, BodyTooLargeError, UnsupportedEncodingError) as exc:
            failure = exc
        # Decided outside the except block: an error raised there would chain the failure,
        # whose text may quote the server (and the number), into every traceback.
        if failure is not None:
            return self._decide(attempts, None, failure=failure)
        return self._decide(attempts, response, body)

    def close(self) -> None:
        """Close the pooled connections (not those of an ``http_client`` passed in)."""
        self._closed = True
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncCustomerLookupClient(BaseCustomerLookupClient):
    """Looks up who sent a message, with asyncio; same arguments as the sync client.

    >>> async with AsyncCustomerLookupClient("http://customer-lookup:8080") as client:
    ...     (await client.lookup("whatsapp:+15555550100")).company_name
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        **options: Unpack[LookupOptions],
    ) -> None:
        super().__init__(base_url, **options)
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(transport=async_http_transport(_LIMITS))
        )
        self._sleep = sleep
        self._inflight: dict[str, asyncio.Task[CustomerMetadata | None]] = {}

    async def lookup(self, phone_number: str) -> CustomerMetadata:
        """The customer behind ``phone_number``; raises :class:`CustomerNotFoundError` on 404."""
        attempts = self._start(phone_number)
        customer = await self._find(attempts)
        if customer is None:
            raise self._not_found(attempts)
        return customer

    async def find(self, phone_number: str) -> CustomerMetadata | None:
        """The customer behind ``phone_number``, or ``None`` when there is none."""
        return await self._find(self._start(phone_number))

    async def _find(self, attempts: LookupAttempts) -> CustomerMetadata | None:
        number = attempts.number
        if (cached := self._cached(number)) is not None:
            return cached[0]
        task = self._inflight.get(number)
        if task is None:
            task = asyncio.ensure_future(self._fetch_and_remember(attempts))
            self._inflight[number] = task
            task.add_done_callback(lambda done: self._forget(number, done))
        # shield: a caller that is cancelled does not cancel the lookup the others wait for
        return await asyncio.shield(task)

    def _forget(self, number: str, done: asyncio.Task[CustomerMetadata | None]) -> None:
        if self._inflight.get(number) is done:
            del self._inflight[number]
        if not done.cancelled():
            done.exception()  # retrieved here, so no "exception never retrieved" warning

    async def _fetch_and_remember(self, attempts: LookupAttempts) -> CustomerMetadata | None:
        customer = await self._fetch(attempts)
        self._remember(attempts.number, customer)
        return customer

    async def _fetch(self, attempts: LookupAttempts) -> CustomerMetadata | None:
        return await aretried(lambda: self._attempt(attempts), self._sleep)

    async def _attempt(self, attempts: LookupAttempts) -> CustomerMetadata | Retry | None:
        params, headers, timeout = self._request(attempts)
        request = self._http.build_request(
            "GET", self._url, params=params, headers=headers, timeout=timeout
        )
        until = self._retrying.deadline_on_clock(attempts)
        failure: Exception | None = None
        try:
            with deadline(until), scrubbed_logs(attempts.number):
                response = await self._http.send(request, stream=True)
                try:
                    limit, whole = self._body_limit(response)
                    body = (
                        await aread_bounded(response, limit, until=until)
                        if whole
                        else await aread_prefix(response, limit, until=until)
                    )
                finally:
                    await response.aclose()
        except (httpx.TransportError, BodyTooLargeError, UnsupportedEncodingError) as exc:
            failure = exc
        # Decided outside the except block, as in the sync twin.
        if failure is not None:
            return self._decide(attempts, None, failure=failure)
        return self._decide(attempts, response, body)

    async def aclose(self) -> None:
        """Close the pooled connections (not those of an ``http_client`` passed in)."""
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
