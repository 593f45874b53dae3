"""The handle of one fresh test bucket: :class:`S3Bucket`.

Helpers to put and read objects, the calls every client made about the bucket, and fault
injection (through :class:`~ai_voice_shared_testing._s3.faults.S3FaultInjector`). A backend
(:mod:`.backend`) creates it empty and removes it with everything in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing._s3.faults import S3Call, S3FaultInjector

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from ai_voice_shared.services.s3_service import S3Service

__all__ = ["BucketStore", "NotifiedQueue", "S3Bucket", "S3NotificationsUnsupportedError"]


class BucketStore(Protocol):
    """What a bucket needs of the backend it lives on (an :class:`~.backend.S3Backend`)."""

    region: str
    name: str

    @property
    def client(self) -> S3Client:
        """The backend's shared boto3 client."""
        ...

    def settings(self, bucket: str) -> S3Settings:
        """``S3Settings`` that reach ``bucket``."""
        ...

    def clear(self, name: str) -> None:
        """Empty bucket ``name``."""
        ...


class S3NotificationsUnsupportedError(AiVoiceSharedError):
    """``S3Bucket.notify()`` on a backend that sends no S3 notifications (not moto)."""


class NotifiedQueue(Protocol):
    """What :meth:`S3Bucket.notify` needs of a queue (an ``SqsQueue``)."""

    @property
    def settings(self) -> Any:
        """The queue's ``VoiceNoteQueueSettings``."""
        ...

    @property
    def client(self) -> Any:
        """A boto3 SQS client that reaches it."""
        ...


class S3Bucket:
    """A fresh, empty bucket for one test, with helpers and fault injection.

    ``client`` is the backend's shared boto3 client; ``service`` an ``S3Service`` bound to the
    bucket; ``calls`` every S3 call about the bucket since it was created, from any client
    created after the plugin started (the fixture's, an ``S3Service()`` the code under test
    builds, a bare ``boto3.client("s3")``); ``fail()`` reaches all of them too.
    """

    def __init__(self, name: str, backend: BucketStore) -> None:
        self.name = name
        self.region = backend.region
        self.client: S3Client = backend.client
        self._backend = backend
        self._settings: S3Settings | None = None
        self._service: S3Service | None = None
        self._faults = S3FaultInjector(name)

    def __repr__(self) -> str:
        return f"S3Bucket(name={self.name!r}, region={self.region!r})"

    @property
    def settings(self) -> S3Settings:
        """The ``S3Settings`` that reach this bucket (built on first use)."""
        if self._settings is None:
            self._settings = self._backend.settings(self.name)
        return self._settings

    @property
    def service(self) -> S3Service:
        """An ``S3Service`` on this bucket, sharing the bucket's client."""
        if self._service is None:
            from ai_voice_shared.services.s3_service import S3Service

            self._service = S3Service(self.settings, client=self.client)
        return self._service

    @property
    def calls(self) -> list[S3Call]:
        """The S3 operations made on this bucket by any client, name and parameters, in
        order (one per call, whatever its retries)."""
        return list(self._faults.calls)

    @property
    def created_buckets(self) -> list[str]:
        """Other buckets created while this one existed (removed with it at the end)."""
        return list(self._faults.created_buckets)

    def put(self, key: str, data: bytes | str, *, content_type: str | None = None) -> None:
        """Store an object (str is encoded as UTF-8)."""
        body = data.encode() if isinstance(data, str) else data
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.name, Key=key, Body=body, **extra)  # type: ignore[arg-type]

    def get(self, key: str) -> bytes:
        """An object's bytes."""
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def keys(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix``, in order."""
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.name, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    def uploads(self) -> list[str]:
        """The keys of unfinished multipart uploads (what an aborted upload must not leave)."""
        answer = self.client.list_multipart_uploads(Bucket=self.name)
        return [upload["Key"] for upload in answer.get("Uploads", [])]

    def clear(self) -> None:
        """Empty the bucket (objects and unfinished multipart uploads) and forget recorded
        calls and faults: the state of a fresh bucket at a fraction of its cost. Call it at
        the start of each Hypothesis example."""
        self._backend.clear(self.name)
        self._faults.clear()

    def fail(
        self,
        operation: str,
        *,
        code: str = "InternalError",
        status: int = 500,
        times: int = 1,
        optional: bool = False,
        skip: int = 0,
        lose_response: bool = False,
    ) -> None:
        """Make ``times`` attempts of ``operation`` fail as S3 would answer them, after letting
        ``skip`` attempts through (``skip=1``: the second ``UploadPart`` fails).

        ``operation`` is the S3 API name (``"PutObject"``, ``"GetObject"``, ``"UploadPart"``).
        The faulted request never reaches the store; botocore sees a real error response, so
        retryable codes (``InternalError``, ``SlowDown``) are retried by its retry mode,
        without real waiting. ``lose_response=True`` instead lets the request reach the store
        and drops the connection before its answer (botocore retries). A fault that never
        triggers fails the test at teardown unless ``optional=True``.
        """
        self._faults.fail(
            operation,
            code=code,
            status=status,
            times=times,
            optional=optional,
            skip=skip,
            lose_response=lose_response,
        )

    def unused_faults(self) -> list[str]:
        """Faults that were registered but did not all happen."""
        return self._faults.unused()

    def notify(self, queue: NotifiedQueue, *, prefix: str = "", suffix: str = "") -> None:
        """Send an S3 event to ``queue`` (the ``sqs_queue`` fixture) for every object created
        in this bucket from now on: put, multipart, copy and POST, by any client, as
        ``configure_voice_note_notifications`` configures it in production (S3 then sends one
        ``s3:TestEvent``). moto only: moto's S3 delivers to its own SQS; SeaweedFS and other
        stores send no SQS notifications."""
        if self._backend.name != "moto":
            raise S3NotificationsUnsupportedError(
                f"s3_bucket.notify() needs the moto S3 backend, not {self._backend.name!r}: "
                "only moto delivers S3 notifications to (its) SQS. Run this test on moto "
                "(--aivs-s3-backend=moto), or send the events yourself with sqs_queue.send()."
            )
        from ai_voice_shared.services.voice_note_queue import configure_voice_note_notifications

        configure_voice_note_notifications(
            self.service,
            queue=queue.settings,
            sqs_client=queue.client,
            prefix=prefix,
            suffix=suffix,
        )

    def close(self) -> None:
        """Stop recording calls and injecting faults for this bucket."""
        self._faults.close()
