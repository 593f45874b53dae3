"""A stateful fake customer-lookup-server that follows ``docs/customer-lookup-api.md``.

Built on the kit's shared HTTP fake core (:mod:`ai_voice_shared_testing._http`), like every
HTTP fake of the kit. Two ways to reach it, usable with or without pytest:

- :meth:`FakeLookupServer.intercept` answers every httpx request (sync or async, from any client,
  whenever it was built) for :attr:`~FakeLookupServer.base_url`'s host; every other request
  goes where it would have gone, to a respx or pytest-httpx mock included;
- :meth:`FakeLookupServer.serve` serves it over real HTTP/1.1 (keep-alive) on 127.0.0.1 from a
  thread, for code that does not use httpx or runs in another process.

    with FakeLookupServer().intercept() as server:
        server.add_customer("whatsapp:+15555550100", company_name="Acme Ltd")
        CustomerLookupClient(server.base_url).lookup("+15555550100")

Importing this module imports neither httpx nor respx; httpx loads when intercepting.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from ai_voice_shared.contracts import LOOKUP_PATH, NOT_FOUND_CODE, customer_lookup_openapi
from ai_voice_shared.errors import InvalidPhoneNumberError
from ai_voice_shared.phone import normalize_phone_number
from ai_voice_shared_testing._http.base import FakeHttpService
from ai_voice_shared_testing._http.types import FakeAnswer, FakeRequest, RecordedRequest

if TYPE_CHECKING:
    from ai_voice_shared.models import CustomerMetadata

__all__ = ["DEFAULT_BASE_URL", "FakeLookupServer", "RecordedLookup"]

#: Where the intercepted fake lives: the reserved ``.test`` domain never resolves, so nothing
#: can leave the machine even if interception were off.
DEFAULT_BASE_URL = "http://customer-lookup.aivs.test"

#: The contract's own pattern for ``phone_number``, read from the OpenAPI document.
_E164 = re.compile(
    next(
        p["schema"]["pattern"]
        for p in customer_lookup_openapi()["paths"][LOOKUP_PATH]["get"]["parameters"]
        if p["name"] == "phone_number"
    )
)

_COMPANIES = [
    "Acme Ltd",
    "Globex Corporation",
    "Initech",
    "Umbrella plc",
    "Hooli",
    "Vandelay Industries",
    "Soylent Foods",
    "Wonka Industries",
]


@dataclass(frozen=True)
class RecordedLookup:
    """One request the fake answered: what was asked and what it answered."""

    method: str
    path: str
    phone_number: str | None
    headers: Mapping[str, str]
    status: int


class FakeLookupServer(FakeHttpService):
    """customer-lookup-server in memory: customers by E.164 number, faults on demand.

    Strict like pytest_httpx: :meth:`problems` lists requests to the fake's host that match no
    route of the contract and faults registered but never triggered; the ``lookup_server``
    fixture fails the test with them at teardown. Faults (:meth:`fail`) apply to lookups the
    contract accepts (a valid GET of a well-formed number), in the order registered.
    Thread-safe.
    """

    fake_name: ClassVar[str] = "lookup_server"
    marker: ClassVar[str] = "aivs_lookup"

    def __init__(self, *, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None) -> None:
        super().__init__({"api": base_url})
        self._customers: dict[str, CustomerMetadata] = {}
        self._api_key = api_key
        self._lookups: list[RecordedLookup] = []

    def __repr__(self) -> str:
        return f"FakeLookupServer(base_url={self.base_url!r}, customers={len(self._customers)})"

    @property
    def base_url(self) -> str:
        """Where clients should send lookups: the live URL while served, else the
        intercepted one."""
        return self.url_of("api")

    # -- state ----------------------------------------------------------------------------------

    def add_customer(
        self,
        phone_number: str,
        customer: CustomerMetadata | Mapping[str, str] | None = None,
        **fields: str,
    ) -> CustomerMetadata:
        """Register the customer behind a number (any form the client accepts).

        Fields not given get realistic values derived from the number (``cus_...``,
        ``co_...``, a company name), so the same number always gets the same customer.
        """
        from ai_voice_shared.models import CustomerMetadata

        number = self._normalise(phone_number, "add_customer")
        given = (
            customer.model_dump()
            if isinstance(customer, CustomerMetadata)
            else dict(customer or {})
        )
        digest = hashlib.sha256(number.encode()).hexdigest()
        values = {
            "customer_id": f"cus_{digest[:12]}",
            "company_id": f"co_{digest[12:20]}",
            "company_name": _COMPANIES[int(digest[20:24], 16) % len(_COMPANIES)],
            **given,
            **fields,
        }
        metadata = CustomerMetadata.model_validate(values)
        with self._lock:
            self._customers[number] = metadata
        return metadata

    def remove_customer(self, phone_number: str) -> None:
        """Forget a number: lookups of it get 404 from now on."""
        number = self._normalise(phone_number, "remove_customer")
        with self._lock:
            self._customers.pop(number, None)

    def require_api_key(self, api_key: str | None) -> None:
        """Answer 401 unless requests carry ``Authorization: Bearer <api_key>`` (None: open)."""
        with self._lock:
            self._api_key = api_key

    @property
    def requests(self) -> list[RecordedLookup]:  # type: ignore[override]
        """Every request answered so far, in order."""
        with self._lock:
            return list(self._lookups)

    @property
    def lookups(self) -> list[str]:
        """The E.164 numbers asked for through the contract's route, in order."""
        return [
            r.phone_number
            for r in self.requests
            if r.path.endswith(LOOKUP_PATH) and r.phone_number is not None
        ]

    def reset(self) -> None:
        """Forget customers, faults, recorded requests, the API key and the delay.

        Cheap: call it at the start of each Hypothesis example.
        """
        with self._lock:
            super().reset()
            self._customers = {}
            self._lookups = []
            self._api_key = None

    @staticmethod
    def _normalise(phone_number: str, method: str) -> str:
        try:
            return normalize_phone_number(phone_number)
        except InvalidPhoneNumberError as exc:
            raise InvalidPhoneNumberError(f"FakeLookupServer.{method}: {exc}") from None

    # -- the contract ---------------------------------------------------------------------------

    def respond(
        self, method: str, target: str, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request (``target`` is the path with its query) per the contract."""
        path, _, query = target.partition("?")
        request = FakeRequest(
            method,
            f"{self.base_url}{target}",
            "",
            path,
            query,
            {name.lower(): value for name, value in headers.items()},
        )
        answer = self.handle(request, "api")
        body = answer.body if isinstance(answer.body, bytes) else b"".join(answer.body)
        return answer.status, answer.headers, body

    def route(self, request: FakeRequest, role: str) -> tuple[FakeAnswer, str | None]:
        answer, target = self._decide(request)
        answer.headers.setdefault("Content-Type", "application/json")
        if "x-request-id" in request.headers:
            answer.headers["X-Request-ID"] = request.headers["x-request-id"]
        return answer, target

    def _route_path(self) -> str:
        """The one path the contract serves, under the base URL's own path (if any)."""
        return urlsplit(self.base_url).path.rstrip("/") + LOOKUP_PATH

    def _decide(self, request: FakeRequest) -> tuple[FakeAnswer, str | None]:
        path, method = request.path, request.method
        route = self._route_path()
        if path != route:  # exactly: a wrong prefix or a trailing slash is another route
            return _error(404, f"no route for {path}; the contract has GET {route}"), None
        if method != "GET":
            answer = _error(405, f"{method} is not allowed; use GET")
            answer.headers["Allow"] = "GET"
            return answer, None
        api_key = self._api_key
        authorization = request.headers.get("authorization")
        if api_key is not None and not _bearer_matches(authorization, api_key):
            return _error(401, "missing or wrong bearer token"), None
        number = self._number(request)
        if number is None:
            return _error(422, "phone_number must be E.164, e.g. +15555550100"), None
        customer = self._customers.get(number)
        if customer is None:
            return _error(404, "no customer has this phone number", code=NOT_FOUND_CODE), "lookup"
        return FakeAnswer(200, {}, customer.model_dump_json().encode()), "lookup"

    @staticmethod
    def _number(request: FakeRequest) -> str | None:
        # The contract's pattern, exactly: no channel prefix, no spaces or dashes (a client that
        # sends "whatsapp:+1..." or "+1 555-..." gets the 422 the real server gives it).
        values = request.params.get("phone_number")
        if not values or len(values) != 1 or not _E164.fullmatch(values[0]):
            return None
        return values[0]

    def record(
        self, request: FakeRequest, answer: FakeAnswer, target: str | None, role: str
    ) -> None:
        super().record(request, answer, target, role)
        values = request.params.get("phone_number")
        self._lookups.append(
            RecordedLookup(
                request.method,
                request.path,
                values[0] if values else None,
                dict(request.headers),
                answer.status,
            )
        )

    def stray(self, request: RecordedRequest) -> str | None:
        path = request.path
        if request.status == 405 or (request.status == 404 and path != self._route_path()):
            return (
                f"{request.method} {path} answered {request.status}: no route of the contract "
                f"matches (the contract has GET {LOOKUP_PATH}?phone_number=<E.164>)"
            )
        return None


def _bearer_matches(authorization: str | None, api_key: str) -> bool:
    """``Authorization: Bearer <api_key>``, the scheme case-insensitive (RFC 9110 11.1)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return scheme.lower() == "bearer" and token.strip() == api_key


def _error(status: int, detail: str, *, code: str | None = None) -> FakeAnswer:
    body: dict[str, str] = {"detail": detail}
    if code is not None:
        body["code"] = code
    return FakeAnswer(status, {}, json.dumps(body).encode())
