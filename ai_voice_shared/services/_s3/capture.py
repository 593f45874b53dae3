"""The store's answer to an upload s3transfer makes in its own worker threads, kept.

``upload_file`` hands the transfer to s3transfer, which returns nothing; its last request
(PutObject, or CompleteMultipartUpload) carries the ETag and checksums the result needs. A
botocore event hook, registered once per client under a unique id, keeps that answer for the
keys an upload is waiting on, so the result needs no HEAD.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["CAPTURE", "WriteCapture"]


class WriteCapture:
    """Keeps the answers to the last call of each upload being waited on, by (bucket, key)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._count: dict[tuple[str, str], int] = {}

    def _on_params(self, params: dict[str, Any], model: Any, context: Any, **_: Any) -> None:
        if model.name in ("PutObject", "CompleteMultipartUpload"):
            target = (params.get("Bucket"), params.get("Key"))
            if target in self._waiting:
                context["aivs_write_capture"] = target

    def _on_answer(self, http_response: Any, parsed: Any, context: Any, **_: Any) -> None:
        target = context.get("aivs_write_capture") if isinstance(context, dict) else None
        if target is not None and 200 <= getattr(http_response, "status_code", 0) < 300:
            with self._lock:
                if target in self._waiting:
                    self._waiting[target].append(dict(parsed))

    @contextlib.contextmanager
    def expect(self, client: S3Client, target: tuple[str, str]) -> Iterator[list[dict[str, Any]]]:
        """The answers to uploads of ``target`` made inside, as they arrive."""
        events = client.meta.events
        events.register(
            "before-parameter-build.s3",
            cast(Any, self._on_params),
            unique_id="ai-voice-shared-write-capture-params",
        )
        events.register(
            "after-call.s3", cast(Any, self._on_answer), unique_id="ai-voice-shared-write-capture"
        )
        with self._lock:
            answers = self._waiting.setdefault(target, [])
            self._count[target] = self._count.get(target, 0) + 1
        try:
            yield answers
        finally:
            with self._lock:
                self._count[target] -= 1
                if not self._count[target]:
                    del self._count[target]
                    del self._waiting[target]


#: The one capture of the process: botocore keeps one handler per unique id per client.
CAPTURE = WriteCapture()
