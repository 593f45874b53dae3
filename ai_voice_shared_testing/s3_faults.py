"""S3 call recording and fault injection for every boto3 client of the process.

:func:`install` adds three handlers to botocore's built-in handler list, so every boto3 client
created afterwards carries them: the fixture's, an ``S3Service()`` the code under test builds
from ``s3_env``, a bare ``boto3.client("s3")``. They do nothing until an
:class:`S3FaultInjector` watches a bucket; then every call about that bucket, from any such
client, is recorded, and the faults registered for it are answered instead of the request:

- botocore parses the injected error response and retries it exactly as it would S3's;
- the faulted request never reaches the store, on any backend (botocore calls every
  ``before-send`` handler, so moto's in-process handler is made to skip a request that a fault
  answered; a real server never gets it);
- a retry after an injected fault does not sleep for real when the library's clock is virtual
  (:class:`~ai_voice_shared_testing.virtual_time.VirtualTime`): attempt counts stay those of
  production, the waits cost nothing;
- retries after injected faults spend the retry quota (botocore's standard mode, 500 units)
  of the watched bucket, fresh for each bucket as it is for each new production client, not
  the quota of a client shared by many tests: one test's faults never change the next one's
  attempt counts.

A client created before :func:`install` ran (at import time, before the first ``s3_bucket``
of the run, or from a ``boto3.session.Session()`` made then) did not get the built-in handlers;
it is given them, and moto's when moto is loaded, on its first call after :func:`install`, so
that it is recorded, faulted and mocked like the others instead of reaching real AWS.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

__all__ = ["S3Call", "S3FaultInjector", "install"]

#: Where a request answered by a fault is pointed before moto's handler sees it: moto only
#: answers URLs of AWS services, so it leaves this one alone (the store never sees the call).
_ANSWERED_URL = "https://aivs-fault-answered.invalid/"


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


class _Hooks:
    """The process-wide handlers: which bucket each call is about, and its injector."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.watched: dict[str, S3FaultInjector] = {}
        self.local = threading.local()
        self.installed = False

    # provide-client-params.s3: the API parameters of every call (and of presigning).
    def on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.local.pending = (model.name, dict(params))

    # before-call.s3: a call that is really made (presigning stops before this).
    def on_call(self, model: Any, **_: Any) -> None:
        pending: tuple[str, dict[str, Any]] | None = getattr(self.local, "pending", None)
        name, params = pending if pending is not None else (model.name, {})
        self.local.pending = None
        bucket = params.get("Bucket")
        injector = self.watched.get(bucket) if isinstance(bucket, str) else None
        if name == "CreateBucket" and isinstance(bucket, str):
            for watching in list(self.watched.values()):
                watching.created_buckets.append(bucket)
        self.local.injector = injector
        self.local.operation = model.name
        self.local.injected = False
        if injector is not None:
            injector._record(S3Call(model.name, params))

    # before-send.s3, registered first: each attempt of a call, before it leaves.
    def on_send(self, request: Any, **kwargs: Any) -> Any:
        if isinstance(request.body, bytearray | memoryview):
            # The wire carries these bytes as they are; moto's in-process stubber takes only
            # bytes (anything else it reads as form fields, and fails deep in werkzeug).
            request.body = bytes(request.body)
        injector: S3FaultInjector | None = getattr(self.local, "injector", None)
        self.local.injected = False
        if injector is None:
            return None
        operation = kwargs["event_name"].rsplit(".", 1)[-1]
        response = injector._before_send(operation, request, kwargs["event_name"])
        if response is not None:
            self.local.injected = True
            request.url = _ANSWERED_URL
        return response

    def waited_on_injected(self) -> bool:
        return bool(getattr(self.local, "injected", False))

    def injected_by(self) -> S3FaultInjector | None:
        if not self.waited_on_injected():
            return None
        injector: S3FaultInjector | None = getattr(self.local, "injector", None)
        return injector


_HOOKS = _Hooks()


class _BotocoreTime:
    """``time`` as botocore's endpoint sees it: a retry after an injected fault waits on the
    library's clock (virtual in tests); every other wait is real."""

    def sleep(self, seconds: float) -> None:
        if _HOOKS.waited_on_injected():
            from ai_voice_shared.hooks import get_clock

            get_clock().sleep(seconds)
        else:
            time.sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def install() -> None:
    """Put the handlers into botocore's built-in list (once per process) and make boto3's
    default session be rebuilt, so that every client created from now on carries them."""
    with _HOOKS.lock:
        if _HOOKS.installed:
            return
        import boto3
        import botocore.endpoint
        from botocore import handlers

        handlers.BUILTIN_HANDLERS.extend(
            [
                ("provide-client-params.s3", _HOOKS.on_params),
                ("before-call.s3", _HOOKS.on_call),
                ("before-send.s3", _HOOKS.on_send, handlers.REGISTER_FIRST),
                ("creating-client-class", _mark_equipped),
            ]
        )
        _equip_older_clients_on_first_call()
        # botocore's endpoint sleeps between retries with time.sleep and tells no handler
        # why; this is the one place to skip the wait after a fault we injected.
        botocore.endpoint.time = _BotocoreTime()  # type: ignore[attr-defined]
        _charge_injected_retries_to_the_bucket()
        boto3.DEFAULT_SESSION = None  # built again, with the handlers, on next use
        _HOOKS.installed = True


class _Equipped:
    """Mixed into every client class created after :func:`install`: it has the handlers."""

    _aivs_hooks = True


def _mark_equipped(base_classes: list[type], **_: Any) -> None:
    base_classes.insert(0, _Equipped)


def _equip_older_clients_on_first_call() -> None:
    # botocore gives no way to reach clients that already exist; their calls all go through
    # BaseClient._make_api_call, so that is where an older client is equipped, once.
    import sys

    from botocore import client as botocore_client

    original = botocore_client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if not getattr(self, "_aivs_hooks", False):
            events = self.meta.events
            if self.meta.service_model.service_name == "s3":
                events.register("provide-client-params.s3", _HOOKS.on_params)
                events.register("before-call.s3", _HOOKS.on_call)
                events.register_first("before-send.s3", _HOOKS.on_send)
            moto = sys.modules.get("moto.core.models")
            if moto is not None:
                moto.patch_client(self)  # registers moto's handler unless it has it already
            self._aivs_hooks = True
        return original(self, operation_name, api_params)

    botocore_client.BaseClient._make_api_call = _make_api_call  # type: ignore[attr-defined]


def _charge_injected_retries_to_the_bucket() -> None:
    # The quota lives in each client's retry handler, out of reach; the checker's class is not.
    from botocore.retries import quota, standard

    original = standard.RetryQuotaChecker.acquire_retry_quota

    def acquire_retry_quota(checker: Any, context: Any) -> bool:
        injector = _HOOKS.injected_by()
        if injector is None:
            return bool(original(checker, context))
        if injector._retry_quota is None:
            injector._retry_quota = quota.RetryQuota()
        own = standard.RetryQuotaChecker(injector._retry_quota, checker._throttling_detector)
        return bool(original(own, context))

    standard.RetryQuotaChecker.acquire_retry_quota = acquire_retry_quota  # type: ignore[method-assign,assignment]


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
        with _HOOKS.lock:
            _HOOKS.watched[bucket] = self

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

    def _record(self, call: S3Call) -> None:
        with self._lock:
            self.calls.append(call)

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

        body = (
            fault.body
            or (
                f"<Error><Code>{fault.code}</Code><Message>injected by "
                f"S3Bucket.fail()</Message><RequestId>aivs-injected</RequestId></Error>"
            ).encode()
        )
        headers = {"x-amz-request-id": "aivs-injected", "content-type": "application/xml"}
        return AWSResponse(request.url, fault.status, cast(Any, headers), _Body(body))

    def close(self) -> None:
        """Stop watching the bucket."""
        with _HOOKS.lock:
            if _HOOKS.watched.get(self.bucket) is self:
                del _HOOKS.watched[self.bucket]


def _deliver(request: Any, event_name: str) -> None:
    """Deliver a request to the store and throw the answer away (for ``lose_response``)."""
    stubber: Any = None
    with contextlib.suppress(ImportError):
        from moto.core.models import botocore_stubber as stubber
    if stubber is not None and stubber.enabled and stubber(event_name, request) is not None:
        return
    from botocore.httpsession import URLLib3Session

    URLLib3Session().send(request)
