"""Per-bucket call recording and fault injection: :class:`S3FaultInjector`.

An injector watches one bucket through the process-wide botocore hooks
(:mod:`.botocore_hooks`): every call about it, from any boto3 client, is recorded, and the
faults registered for it are answered instead of the request:

- botocore parses the injected error response and retries it exactly as it would S3's;
- the faulted request never reaches the store, on any backend (botocore calls every
  ``before-send`` handler, so moto's in-process handler is made to skip a request that a fault
  answered; a real server never gets it);
- ``lose_response=True`` lets the request reach the store and drops the answer: "stored, but
  the caller never heard".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, cast

from ai_voice_shared_testing._s3.botocore_hooks import HOOKS, install
from ai_voice_shared_testing._s3.moto_stubber import moto_stubber

__all__ = ["S3Call", "S3FaultInjector"]


@dataclass(frozen=True)
class S3Call:
    """One S3 operation made on a watched bucket, by any client: name and parameters."""

    operation: str
    params: dict[str, Any]


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: object) -> Any:
        yield self._data


@dataclass
class _Fault:
    operation: str
    status: int
    code: str
    times: int
    optional: bool
    body: bytes | None
    lose_response: bool
    skip: int = 0
    triggered: int = 0

    def describe(self) -> str:
        what = "lose_response=True" if self.lose_response else f"code={self.code!r}, status="
        what += "" if self.lose_response else str(self.status)
        return f"fail({self.operation!r}, {what}, times={self.times + self.triggered})"


class S3FaultInjector:
    """Records the calls about one bucket, from every client, and answers chosen ones with S3
    errors. Usable on its own: ``S3FaultInjector(bucket_name)`` (after :func:`install`)."""

    def __init__(self, bucket: str) -> None:
        install()
        self.bucket = bucket
        self.calls: list[S3Call] = []
        self.sent: list[str] = []
        self.created_buckets: list[str] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._retry_quota: Any = None
        HOOKS.watch(bucket, self)

    def fail(
        self,
        operation: str,
        *,
        code: str = "InternalError",
        status: int = 500,
        times: int = 1,
        optional: bool = False,
        body: bytes | None = None,
        skip: int = 0,
        lose_response: bool = False,
    ) -> None:
        """Answer ``times`` attempts of ``operation`` (``"PutObject"``) with an error, after
        letting ``skip`` of them through; ``body`` replaces the generated error XML.

        ``lose_response=True`` instead lets the request reach the store and then drops the
        connection before the answer arrives (botocore sees ``ConnectionClosedError`` and
        retries): the "stored, but the caller never heard" case.
        """
        if times < 1:
            raise ValueError(f"fail({operation!r}): times must be at least 1, not {times}")
        with self._lock:
            self._faults.append(
                _Fault(operation, status, code, times, optional, body, lose_response, skip)
            )

    def clear(self) -> None:
        """Forget recorded calls and faults."""
        with self._lock:
            self.calls.clear()
            self.sent.clear()
            self._faults.clear()
            self._retry_quota = None

    def unused(self) -> list[str]:
        """Faults registered (not optional) that have not all happened."""
        with self._lock:
            return [
                f"{f.describe()} was registered but {f.times} of its failure(s) never happened"
                for f in self._faults
                if f.times > 0 and not f.optional
            ]

    def _record(self, operation: str, params: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(S3Call(operation, params))

    def _before_send(self, operation: str, request: Any, event_name: str) -> Any:
        with self._lock:
            self.sent.append(operation)
            fault = next(
                (f for f in self._faults if f.operation == operation and f.times > 0), None
            )
            if fault is None:
                return None
            if fault.skip:
                fault.skip -= 1
                return None
            fault.times -= 1
            fault.triggered += 1
        if fault.lose_response:
            _deliver(request, event_name)
            from botocore.exceptions import ConnectionClosedError

            raise ConnectionClosedError(
                endpoint_url=request.url,
                error=" injected by S3Bucket.fail(lose_response=True) after the store got it",
            )
        from botocore.awsrequest import AWSResponse

        body = fault.body or self._error_body(fault.code)
        return AWSResponse(
            request.url, fault.status, cast(Any, self._error_headers(fault.code)), _Body(body)
        )

    def _error_body(self, code: str) -> bytes:
        """The error document the service answers (S3: XML)."""
        return (
            f"<Error><Code>{code}</Code><Message>injected by S3Bucket.fail()</Message>"
            "<RequestId>aivs-injected</RequestId></Error>"
        ).encode()

    def _error_headers(self, code: str) -> dict[str, str]:
        return {"x-amz-request-id": "aivs-injected", "content-type": "application/xml"}

    def close(self) -> None:
        """Stop watching the bucket."""
        HOOKS.unwatch(self.bucket, self)


def _deliver(request: Any, event_name: str) -> None:
    """Deliver a request to the store and throw the answer away (for ``lose_response``)."""
    stubber = moto_stubber()
    if stubber is not None and stubber.enabled and stubber(event_name, request) is not None:
        return
    from botocore.httpsession import URLLib3Session

    URLLib3Session().send(request)
