"""How every boto3 client of the process is watched: botocore handlers and three patches.

The same handlers watch SQS queues (by ``QueueUrl``) for
:class:`~ai_voice_shared_testing._sqs.faults.SqsFaultInjector`; on a virtual clock, a long
poll of a watched queue is asked without waiting and an empty answer moves the clock instead.

:func:`install` adds three handlers to botocore's built-in handler list, so every boto3 client
created afterwards carries them: the fixture's, an ``S3Service()`` the code under test builds
from ``s3_env``, a bare ``boto3.client("s3")``. They do nothing until a :class:`Watcher` (an
:class:`~ai_voice_shared_testing._s3.faults.S3FaultInjector`) watches a bucket; then every call
about that bucket, from any such client, is handed to it, and an answer it gives is used
instead of the request. botocore offers no public hook for three more things, so three patches
go with the handlers:

- a retry after an injected fault does not sleep for real when the library's clock is virtual
  (:class:`~ai_voice_shared_testing.virtual_time.VirtualTime`): botocore's endpoint sleeps with
  ``time.sleep`` and tells no handler why;
- retries after injected faults spend the retry quota (botocore's standard mode, 500 units) of
  the watched bucket, fresh for each bucket as it is for each new production client, not the
  quota of a client shared by many tests: one test's faults never change the next one's
  attempt counts;
- a client created before :func:`install` ran (at import time, before the first ``s3_bucket``
  of the run, or from a ``boto3.session.Session()`` made then) did not get the built-in
  handlers; it is given them, and moto's when moto is loaded, on its first call, so that it is
  watched and mocked like the others instead of reaching real AWS.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

__all__ = ["HOOKS", "Watcher", "install"]

#: Where a request answered by a fault is pointed before moto's handler sees it: moto only
#: answers URLs of AWS services, so it leaves this one alone (the store never sees the call).
_ANSWERED_URL = "https://aivs-fault-answered.invalid/"


class Watcher(Protocol):
    """What the handlers need of whoever watches a bucket."""

    #: Buckets created (by any client) while watching, to remove at the end.
    created_buckets: list[str]
    #: The retry quota of retries after this watcher's faults (built on first use).
    _retry_quota: Any

    def _record(self, operation: str, params: dict[str, Any]) -> None:
        """One call about the bucket: its operation name and API parameters."""

    def _before_send(self, operation: str, request: Any, event_name: str) -> Any:
        """One attempt, before it leaves: an ``AWSResponse`` to answer it with, or ``None``."""


class _Hooks:
    """The process-wide handlers: which bucket each call is about, and its injector."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.watched: dict[str, Watcher] = {}
        self.local = threading.local()
        self.installed = False

    # provide-client-params.s3/.sqs: the API parameters of every call (and of presigning).
    def on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.local.pending = (model.name, dict(params))
        self.local.long_poll = 0
        if model.name == "ReceiveMessage" and params.get("QueueUrl") in self.watched:
            from ai_voice_shared.hooks import Clock, get_clock

            if type(get_clock()) is not Clock:
                # A long poll of a watched queue on a virtual clock: asked without waiting,
                # and an empty answer moves the clock by the wait instead (after_call).
                self.local.long_poll = int(params.get("WaitTimeSeconds") or 0)
                params["WaitTimeSeconds"] = 0

    # before-call.s3: a call that is really made (presigning stops before this).
    def on_call(self, model: Any, **_: Any) -> None:
        pending: tuple[str, dict[str, Any]] | None = getattr(self.local, "pending", None)
        name, params = pending if pending is not None else (model.name, {})
        self.local.pending = None
        self.local.params = params
        bucket = params.get("Bucket", params.get("QueueUrl"))
        injector = self.watched.get(bucket) if isinstance(bucket, str) else None
        if name == "CreateBucket" and isinstance(bucket, str):
            for watching in list(self.watched.values()):
                watching.created_buckets.append(bucket)
        self.local.injector = injector
        self.local.operation = model.name
        self.local.injected = False
        if injector is not None:
            injector._record(model.name, params)

    # before-send.s3, registered first: each attempt of a call, before it leaves.
    def on_send(self, request: Any, **kwargs: Any) -> Any:
        if isinstance(request.body, bytearray | memoryview):
            # The wire carries these bytes as they are; moto's in-process stubber takes only
            # bytes (anything else it reads as form fields, and fails deep in werkzeug).
            request.body = bytes(request.body)
        injector: Watcher | None = getattr(self.local, "injector", None)
        self.local.injected = False
        if injector is None:
            return None
        operation = kwargs["event_name"].rsplit(".", 1)[-1]
        response = injector._before_send(operation, request, kwargs["event_name"])
        if response is not None:
            self.local.injected = True
            request.url = _ANSWERED_URL
        return response

    # after-call.sqs: what a call answered (a watcher may track it: received messages).
    def on_after_call(self, parsed: Any, model: Any, **_: Any) -> None:
        injector: Watcher | None = getattr(self.local, "injector", None)
        after = getattr(injector, "_after_call", None)
        if after is not None and isinstance(parsed, dict):
            after(model.name, getattr(self.local, "params", {}), parsed)
        wait = getattr(self.local, "long_poll", 0)
        self.local.long_poll = 0
        if wait and isinstance(parsed, dict) and not parsed.get("Messages"):
            from ai_voice_shared.hooks import get_clock

            get_clock().sleep(wait)

    def watch(self, bucket: str, watcher: Watcher) -> None:
        """Record and fault the calls about ``bucket`` through ``watcher``."""
        with self.lock:
            self.watched[bucket] = watcher

    def unwatch(self, bucket: str, watcher: Watcher) -> None:
        """Stop watching ``bucket`` (unless another watcher took it over)."""
        with self.lock:
            if self.watched.get(bucket) is watcher:
                del self.watched[bucket]

    def waited_on_injected(self) -> bool:
        return bool(getattr(self.local, "injected", False))

    def injected_by(self) -> Watcher | None:
        if not self.waited_on_injected():
            return None
        injector: Watcher | None = getattr(self.local, "injector", None)
        return injector


#: The process's one set of handlers: every injector watches through it.
HOOKS = _Hooks()


class _BotocoreTime:
    """``time`` as botocore's endpoint sees it: a retry after an injected fault waits on the
    library's clock (virtual in tests); every other wait is real."""

    def sleep(self, seconds: float) -> None:
        if HOOKS.waited_on_injected():
            from ai_voice_shared.hooks import get_clock

            get_clock().sleep(seconds)
        else:
            time.sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def install() -> None:
    """Put the handlers into botocore's built-in list (once per process) and make boto3's
    default session be rebuilt, so that every client created from now on carries them."""
    with HOOKS.lock:
        if HOOKS.installed:
            return
        import boto3
        import botocore.endpoint
        from botocore import handlers

        handlers.BUILTIN_HANDLERS.extend(
            [
                ("provide-client-params.s3", HOOKS.on_params),
                ("before-call.s3", HOOKS.on_call),
                ("before-send.s3", HOOKS.on_send, handlers.REGISTER_FIRST),
                ("provide-client-params.sqs", HOOKS.on_params),
                ("before-call.sqs", HOOKS.on_call),
                ("before-send.sqs", HOOKS.on_send, handlers.REGISTER_FIRST),
                ("after-call.sqs", HOOKS.on_after_call),
                ("creating-client-class", _mark_equipped),
            ]
        )
        _equip_older_clients_on_first_call()
        # botocore's endpoint sleeps between retries with time.sleep and tells no handler
        # why; this is the one place to skip the wait after a fault we injected.
        botocore.endpoint.time = _BotocoreTime()  # type: ignore[attr-defined]
        _charge_injected_retries_to_the_bucket()
        boto3.DEFAULT_SESSION = None  # built again, with the handlers, on next use
        HOOKS.installed = True


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
            service = self.meta.service_model.service_name
            if service in ("s3", "sqs"):
                events.register(f"provide-client-params.{service}", HOOKS.on_params)
                events.register(f"before-call.{service}", HOOKS.on_call)
                events.register_first(f"before-send.{service}", HOOKS.on_send)
            if service == "sqs":
                events.register("after-call.sqs", HOOKS.on_after_call)
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
        injector = HOOKS.injected_by()
        if injector is None:
            return bool(original(checker, context))
        if injector._retry_quota is None:
            injector._retry_quota = quota.RetryQuota()
        own = standard.RetryQuotaChecker(injector._retry_quota, checker._throttling_detector)
        return bool(original(own, context))

    standard.RetryQuotaChecker.acquire_retry_quota = acquire_retry_quota  # type: ignore[method-assign,assignment]
