"""A fresh S3 bucket per test, on moto, SeaweedFS or any S3-compatible endpoint.

The classes here work without pytest::

    with MotoBackend() as backend, backend.fresh_bucket() as bucket:
        bucket.put("voice/MM1.ogg", b"OggS...")
        assert bucket.keys() == ["voice/MM1.ogg"]

One boto3 client per backend serves every bucket (building one costs ~100 ms); each bucket is
created empty and removed with everything in it (objects, unfinished multipart uploads)
afterwards. boto3 and moto are imported when a backend starts, not when this module loads.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing._extras import TESTING_EXTRA_HINT, MissingTestingExtraError, require
from ai_voice_shared_testing.s3_faults import S3Call, S3FaultInjector

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from ai_voice_shared.services.s3_service import S3Service
    from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

__all__ = [
    "TESTING_EXTRA_HINT",
    "EndpointBackend",
    "MissingTestingExtraError",
    "MotoBackend",
    "S3Backend",
    "S3Bucket",
    "S3Call",
    "S3FaultInjector",
    "SeaweedFSBackend",
    "bucket_name",
    "create_bucket",
    "destroy_bucket",
    "empty_bucket",
]

#: moto runs here; not us-east-1, where re-creating a bucket you own silently succeeds.
MOTO_REGION = "eu-west-1"


def create_bucket(client: S3Client, name: str, region: str) -> None:
    """Create bucket ``name`` in ``region`` (us-east-1 takes no location constraint)."""
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
        )


def empty_bucket(client: S3Client, name: str) -> None:
    """Abort unfinished multipart uploads and delete every object, every version of it and
    every delete marker (a test may have switched versioning on); the bucket stays."""
    for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
        client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    # ListObjectVersions lists current objects too (version "null" when never versioned), so
    # one listing serves both kinds of bucket.
    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        entries: list[Any] = []
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            entry = {"Key": item["Key"]}
            if item.get("VersionId") not in (None, "null"):
                entry["VersionId"] = item["VersionId"]
            entries.append(entry)
        for start in range(0, len(entries), 1000):
            batch = entries[start : start + 1000]
            client.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})


def destroy_bucket(client: S3Client, name: str) -> None:
    """Abort unfinished multipart uploads, delete every object, then the bucket itself."""
    empty_bucket(client, name)
    client.delete_bucket(Bucket=name)


def bucket_name(worker: str = "") -> str:
    """A bucket name unique per test and per xdist worker, valid under S3's rules."""
    tag = "".join(ch for ch in worker.lower() if ch.isalnum())[:8]
    return f"aivs-{tag + '-' if tag else ''}{uuid.uuid4().hex[:20]}"


class S3Bucket:
    """A fresh, empty bucket for one test, with helpers and fault injection.

    ``client`` is the backend's shared boto3 client; ``service`` an ``S3Service`` bound to the
    bucket; ``calls`` every S3 call about the bucket since it was created, from any client
    created after the plugin started (the fixture's, an ``S3Service()`` the code under test
    builds, a bare ``boto3.client("s3")``); ``fail()`` reaches all of them too.
    """

    def __init__(self, name: str, backend: S3Backend) -> None:
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

    def close(self) -> None:
        """Stop recording calls and injecting faults for this bucket."""
        self._faults.close()


class S3Backend:
    """Where buckets live; one shared client; a fresh bucket per :meth:`fresh_bucket`."""

    name = "abstract"
    region = MOTO_REGION
    endpoint_url: str | None = None
    _client: S3Client | None = None

    @property
    def client(self) -> S3Client:
        """The backend's boto3 client, shared by every bucket (built on first use)."""
        if self._client is None:
            from ai_voice_shared.services.s3_service import build_s3_client
            from ai_voice_shared_testing.s3_faults import install

            install()  # first, so that this client and every later one can be watched
            self._client = build_s3_client(self.settings("aivs-client"))
        return self._client

    def settings(self, bucket: str) -> S3Settings:
        """``S3Settings`` that reach ``bucket`` on this backend."""
        return S3Settings(bucket_name=bucket, region=self.region, endpoint_url=self.endpoint_url)

    def start(self) -> Self:
        return self

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Wraps each bucket's life (moto: a fresh in-memory S3 per test)."""
        yield

    @contextlib.contextmanager
    def fresh_bucket(self, worker: str = "") -> Iterator[S3Bucket]:
        """Create an empty bucket, yield its handle, then remove it and everything in it."""
        with self.scope():
            name = bucket_name(worker)
            self.create(name)
            bucket = S3Bucket(name, self)
            try:
                yield bucket
            finally:
                bucket.close()
                self.destroy(name)
                self.destroy_created(bucket.created_buckets)

    def create(self, name: str) -> None:
        """Create the empty bucket ``name`` in this backend's region."""
        create_bucket(self.client, name, self.region)

    def clear(self, name: str) -> None:
        """Empty bucket ``name``: objects and unfinished multipart uploads."""
        empty_bucket(self.client, name)

    def destroy_created(self, names: list[str]) -> None:
        """Remove buckets a test created itself (those that still exist), contents included."""
        from botocore.exceptions import ClientError

        for name in dict.fromkeys(names):
            try:
                destroy_bucket(self.client, name)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
                    raise

    def destroy(self, name: str) -> None:
        """Abort unfinished multipart uploads, delete every object, then the bucket."""
        destroy_bucket(self.client, name)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class MotoBackend(S3Backend):
    """moto in-process, one shared client, a bucket created and removed per test.

    ``mock_aws()`` costs ~1.5 ms to enter and leave, almost all of it registering 1,288
    callbacks for the ``requests`` library, which boto3 does not use; a new client costs
    ~100 ms. So the shared client is built once, and each bucket's life only switches on moto's
    botocore stubber (what ``mock_aws()`` switches on for boto3) and resets moto's backends
    at the end (what leaving ``mock_aws()`` does), falling back to ``mock_aws()`` and API calls
    if a moto release moves them. So every bucket moto holds is gone after each test,
    including any the test created itself. Region ``eu-west-1``, never ``us-east-1``, where
    re-creating a bucket you own silently keeps its old objects.
    """

    name = "moto"

    def __init__(self) -> None:
        self._shared_mock = False

    def settings(self, bucket: str) -> S3Settings:
        return S3Settings(
            bucket_name=bucket,
            region=self.region,
            access_key_id="testing",
            secret_access_key="testing",
        )

    def start(self) -> Self:
        require("moto")
        _serialise_moto_requests()
        return self

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        stubber = _moto_botocore_stubber()
        if stubber is None:
            with require("moto").mock_aws():
                yield
            return
        # Inside a caller's own mock_aws(): share it, and remove only our bucket.
        self._shared_mock = bool(stubber.enabled)
        stubber.enabled = True
        try:
            yield
        finally:
            stubber.enabled = self._shared_mock

    def create(self, name: str) -> None:
        # Straight into moto's S3 backend: a CreateBucket through botocore and moto's request
        # matching costs ~1.3 ms, a third of a typical test's S3 time. The public call is the
        # fallback for a moto release that reshapes its backend.
        try:
            from moto.core.models import DEFAULT_ACCOUNT_ID
            from moto.s3.models import s3_backends

            s3_backends[DEFAULT_ACCOUNT_ID]["aws"].create_bucket(name, self.region)
        except (ImportError, AttributeError, KeyError, TypeError):
            super().create(name)

    def clear(self, name: str) -> None:
        # Straight in moto's S3 backend, as moto's own reset does it (closing each object's
        # spooled file); through the API it costs three calls, most of a fresh bucket's price.
        try:
            from moto.core.models import DEFAULT_ACCOUNT_ID
            from moto.s3.models import FakeKey, s3_backends

            bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets[name]
            for key in bucket.keys.values():
                if isinstance(key, FakeKey):
                    key.dispose()
            for part in bucket.multiparts.values():
                part.dispose()
            bucket.keys.clear()
            bucket.multiparts.clear()
        except (ImportError, AttributeError, KeyError, TypeError):
            super().clear(name)

    def destroy_created(self, names: list[str]) -> None:
        if self._shared_mock:  # otherwise the reset of destroy() removed them already
            super().destroy_created(names)

    def destroy(self, name: str) -> None:
        if self._shared_mock:
            super().destroy(name)
            return
        # Forget every bucket moto holds, ours and any the test made, at once: through the API
        # that is four or more calls at ~1.5 ms each, the most expensive part of the fixture.
        try:
            from moto.core.base_backend import BackendDict
        except ImportError:  # a moto release that moved it: the slow, public way
            for bucket in self.client.list_buckets().get("Buckets", []):
                super().destroy(bucket["Name"])
        else:
            BackendDict.reset()


_MOTO_LOCK = threading.RLock()


def _serialise_moto_requests() -> None:
    """Make moto answer one request at a time, as a store applies one write at a time.

    moto checks a conditional write (``If-None-Match: *``) and then writes, unlocked: of
    concurrent ``CompleteMultipartUpload`` calls on one key, several succeeded, where S3 lets
    exactly one (the others get 412 or 409). moto answers in the calling thread and holds the
    GIL for nearly all of it, so one request at a time costs the tests nothing measurable.
    """
    try:
        from moto.core.botocore_stubber import BotocoreStubber
    except ImportError:  # a moto release that moved it: moto's own behaviour, unserialised
        return
    original = BotocoreStubber.__call__
    if getattr(original, "_aivs_serialised", False):
        return

    def serialised(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with _MOTO_LOCK:
            return original(self, event_name, request, **kwargs)

    serialised._aivs_serialised = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = serialised  # type: ignore[method-assign]


def _moto_botocore_stubber() -> Any:
    """moto's botocore stubber, or None if this moto release keeps it elsewhere."""
    require("moto")
    try:
        from moto.core.models import botocore_stubber
    except ImportError:
        return None
    return botocore_stubber if hasattr(botocore_stubber, "enabled") else None


class SeaweedFSBackend(S3Backend):
    """A real SeaweedFS server (``weed mini``) started for the session on free ports."""

    name = "seaweedfs"
    region = "us-east-1"

    def __init__(self, server: SeaweedFSServer | None = None) -> None:
        self._server = server
        self._owns_server = server is None

    def start(self) -> Self:
        if self._server is None:
            from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

            self._server = SeaweedFSServer().start()
        self.endpoint_url = self._server.endpoint_url
        self.region = self._server.region
        return self

    def settings(self, bucket: str) -> S3Settings:
        if self._server is None:
            raise AiVoiceSharedError("SeaweedFSBackend is not started: call start() first.")
        return self._server.s3_settings(bucket)

    def stop(self) -> None:
        super().stop()
        if self._owns_server and self._server is not None:
            self._server.stop()
            self._server = None


class EndpointBackend(S3Backend):
    """Any S3-compatible endpoint; credentials from the standard AWS variables."""

    name = "endpoint"

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = (
            os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ("us-east-1")
        )
