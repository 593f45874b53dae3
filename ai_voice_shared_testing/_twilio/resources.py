"""The fake's records and how twilio-oai (``spec/json/twilio_api_v2010.json``) renders them.

:class:`MediaRecord` and :class:`MessageRecord` hold what a test registered or the code under
test created; :meth:`~MediaRecord.resource` and :meth:`~MessageRecord.resource` give the JSON
of ``api.v2010.account.message.media`` and ``api.v2010.account.message``; :func:`page` gives a
list answer with Twilio's paging fields (``page``, ``page_size``, ``start``, ``end``, ``uri``,
``first_page_uri``, ``next_page_uri``, ``previous_page_uri``). Dates are RFC 2822 in GMT, on the
library's clock (virtual in tests). tests/testing/test_twilio_api_contract.py checks every
answer against the vendored schema.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from ai_voice_shared.hooks import get_clock

__all__ = [
    "ACCOUNTS",
    "MAX_PAGE_SIZE",
    "MediaRecord",
    "MessageRecord",
    "PageRequestError",
    "new_sid",
    "page",
    "rfc2822",
]

ACCOUNTS = "/2010-04-01/Accounts"
#: Twilio's documented maximum ``PageSize``; the default is 50.
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
_STATUSES = (
    "queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving", "received",
    "accepted", "scheduled", "read", "partially_delivered", "canceled",
)  # fmt: skip


def new_sid(prefix: str) -> str:
    """A fresh SID: ``prefix`` and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def rfc2822(timestamp: float) -> str:
    """``Sun, 16 Aug 2015 15:53:54 +0000``, as Twilio writes its dates."""
    return format_datetime(datetime.fromtimestamp(timestamp, UTC).replace(microsecond=0))


@dataclass
class MediaRecord:
    """One media item of a message."""

    content: bytes
    content_type: str
    account_sid: str
    message_sid: str
    media_sid: str
    token: str
    created: float = field(default_factory=lambda: get_clock().time())

    @property
    def path(self) -> str:
        """The content URL's path (no ``.json``): the one that redirects to the CDN."""
        return f"{ACCOUNTS}/{self.account_sid}/Messages/{self.message_sid}/Media/{self.media_sid}"

    def resource(self) -> dict[str, Any]:
        """The Media resource's JSON."""
        return {
            "account_sid": self.account_sid,
            "content_type": self.content_type,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.created),
            "parent_sid": self.message_sid,
            "sid": self.media_sid,
            "uri": self.path + ".json",
        }


@dataclass
class MessageRecord:
    """One message: created through the API (outbound) or registered by the test."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    direction: str = "outbound-api"
    status: str = "queued"
    num_media: int = 0
    error_code: int | None = None
    error_message: str | None = None
    created: float = field(default_factory=lambda: get_clock().time())
    updated: float | None = None
    sent: float | None = None
    #: Every status this message has had, in order.
    history: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{ACCOUNTS}/{self.account_sid}/Messages/{self.sid}"

    def move_to(self, status: str, error_code: int | None, error_message: str | None) -> None:
        """Take ``status`` (one of twilio-oai's ``message_enum_status``)."""
        if status not in _STATUSES:
            known = ", ".join(_STATUSES)
            raise ValueError(f"unknown message status {status!r}: Twilio's are {known}")
        now = get_clock().time()
        self.status = status
        self.updated = now
        if status == "sent" and self.sent is None:
            self.sent = now
        self.error_code, self.error_message = error_code, error_message
        self.history.append(status)

    def resource(self) -> dict[str, Any]:
        """The Message resource's JSON."""
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": self.body,
            "date_created": rfc2822(self.created),
            "date_sent": rfc2822(self.sent) if self.sent is not None else None,
            "date_updated": rfc2822(self.updated or self.created),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(self.num_media),
            "num_segments": str(max(1, -(-len(self.body) // 153)) if self.body else 1),
            "price": None,
            "price_unit": None,
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{self.path}/Media.json"},
            "to": self.to,
            "uri": self.path + ".json",
        }


class PageRequestError(ValueError):
    """``Page`` or ``PageSize`` is not a number Twilio takes."""


_DIGITS = re.compile(r"^[0-9]{1,9}$")


def page(
    path: str, key: str, items: list[dict[str, Any]], params: dict[str, list[str]]
) -> dict[str, Any]:
    """One page of ``items`` under ``key`` (``media_list``, ``messages``), with Twilio's paging
    fields; ``params`` is the request's query (``PageSize``, ``Page``)."""
    size_text = params.get("PageSize", [str(DEFAULT_PAGE_SIZE)])[0]
    number_text = params.get("Page", ["0"])[0]
    if not _DIGITS.match(size_text) or int(size_text) < 1:
        raise PageRequestError(f"PageSize must be a whole number from 1, not {size_text!r}")
    if not _DIGITS.match(number_text):
        raise PageRequestError(f"Page must be a whole number from 0, not {number_text!r}")
    size = min(int(size_text), MAX_PAGE_SIZE)
    number = int(number_text)
    start = number * size
    chunk = items[start : start + size]

    def uri(at: int) -> str:
        return f"{path}?{urlencode({'PageSize': size, 'Page': at})}"

    more = start + size < len(items)
    return {
        key: chunk,
        "end": start + max(len(chunk) - 1, 0),
        "first_page_uri": uri(0),
        "next_page_uri": uri(number + 1) if more else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": uri(number - 1) if number > 0 else None,
        "start": start,
        "uri": uri(number),
    }
