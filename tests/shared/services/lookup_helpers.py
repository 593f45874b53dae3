"""Helpers shared by the twin customer-lookup client test files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx

BASE_URL = "http://customer-lookup.test"
PHONE = "+15555550100"
MASKED = "+1555****100"
CUSTOMER = {"customer_id": "cus_1", "company_id": "co_9", "company_name": "Acme Ltd"}
API_KEY = "lookup-secret-key"
RETRIED = [408, 429, 500, 502, 503, 504]
NOT_RETRIED = [400, 401, 403, 409, 422]


class FakeClock:
    """A monotonic clock the test moves by hand (and that injected sleeps move)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def ok(body: dict[str, str] | None = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body or CUSTOMER, headers=headers)


def status(code: int, text: str = "", **headers: str) -> httpx.Response:
    return httpx.Response(code, text=text or json.dumps({"detail": "x"}), headers=headers)


def http_date_in(seconds: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)
