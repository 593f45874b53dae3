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
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

from ai_voice_shared.errors import AiVoiceSharedError
from ai_voice_shared.settings import S3Settings

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
]

TESTING_EXTRA_HINT = "pip install 'ai-voice-shared[testing]'"
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


def destroy_bucket(client: S3Client, name: str) -> None:
    """Abort unfinished multipart uploads, delete every object, then the bucket itself."""
    for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
        client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys: list[Any] = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
    client.delete_bucket(Bucket=name)


class MissingTestingExtraError(AiVoiceSharedError):
    """A test double needs a library of the ``testing`` extra that is not installed."""


def require(module: str) -> Any:
    """Import ``module`` or say exactly what to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingTestingExtraError(
            f"{module.split('.')[0]} is not installed, and the ai-voice-shared test fixtures "
            f"need it: run `{TESTING_EXTRA_HINT}` in this environment (or add the 'testing' "
            "extra to your test dependencies)."
        ) from None


def bucket_name(worker: str = "") -> str:
    """A bucket name unique per test and per xdist worker, valid under S3's rules."""
    tag = "".join(ch for ch in worker.lower() if ch.isalnum())[:8]
    return f"aivs-{tag + '-' if tag else ''}{uuid.uuid4().hex[:20]}"


@dataclass(frozen=True)
class S3Call:
    """One S3 operation made through the bucket's client: name and parameters."""

    operation: str
    params: dict[str, Any]


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._data


@dataclass
class _Fault:
    operation: str
    status: int
    code: str
    times: int
    optional: bool
    body: bytes | None
    skip: int = 0
    triggered: int = 0


class S3FaultInjector:
    """Records the S3 calls made through a client and answers chosen ones with S3 errors.

    The error responses are injected on botocore's ``before-send`` event, registered first (so
    ahead of moto's handler): botocore parses them, and retries them, as real S3 answers.
    """

    def __init__(self, client: S3Client) -> None:
        self.client = client
        self.calls: list[S3Call] = []
        self.sent: list[str] = []
        self._faults: list[_Fault] = []
        # botocore's stubs type handlers as returning None; before-send handlers may return a
        # response, which is the point here.
        self._send_hook = cast(Any, self._before_send)
        self._call_hook = cast(Any, self._before_call)
        client.meta.events.register_first("before-send.s3", self._send_hook)
        client.meta.events.register("provide-client-params.s3", self._call_hook)

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
    ) -> None:
        """Answer ``times`` calls of ``operation`` (``"PutObject"``) with an error, after
        letting ``skip`` of them through; ``body`` replaces the generated error XML."""
        self._faults.append(_Fault(operation, status, code, times, optional, body, skip))

    def unused(self) -> list[str]:
        """Faults registered (not optional) that have not all happened."""
        return [
            f"fail({f.operation!r}, code={f.code!r}, status={f.status}, times="
            f"{f.times + f.triggered}) was registered but {f.times} of its failure(s) never "
            "happened"
            for f in self._faults
            if f.times > 0 and not f.optional
        ]

    def _before_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(S3Call(model.name, dict(params)))

    def _before_send(self, request: Any, **kwargs: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        operation = kwargs["event_name"].rsplit(".", 1)[-1]
        self.sent.append(operation)
        for fault in self._faults:
            if fault.operation != operation or fault.times == 0:
                continue
            if fault.skip:
                fault.skip -= 1
                return None
            fault.times -= 1
            fault.triggered += 1
            body = (
                fault.body
                or (
                    f"<Error><Code>{fault.code}</Code><Message>injected by "
                    f"S3Bucket.fail()</Message><RequestId>aivs-injected</RequestId></Error>"
                ).encode()
            )
            headers = {"x-amz-request-id": "aivs-injected", "content-type": "application/xml"}
            return AWSResponse(request.url, fault.status, cast(Any, headers), _Body(body))
        return None

    def close(self) -> None:
        """Stop recording and injecting on the client."""
        self.client.meta.events.unregister("before-send.s3", self._send_hook)
        self.client.meta.events.unregister("provide-client-params.s3", self._call_hook)


class S3Bucket:
    """A fresh, empty bucket for one test, with helpers and fault injection.

    ``client`` is the backend's shared boto3 client; ``service`` an ``S3Service`` bound to the
    bucket; ``calls`` the S3 operations made through the client since the bucket was created.
    """

    def __init__(self, name: str, backend: S3Backend) -> None:
        self.name = name
        self.region = backend.region
        self.client: S3Client = backend.client
        self._backend = backend
        self._settings: S3Settings | None = None
        self._service: S3Service | None = None
        self._faults = S3FaultInjector(self.client)

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
        """The S3 operations made through :attr:`client`, name and parameters, in order."""
        return list(self._faults.calls)

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

    def fail(
        self,
        operation: str,
        *,
        code: str = "InternalError",
        status: int = 500,
        times: int = 1,
        optional: bool = False,
        skip: int = 0,
    ) -> None:
        """Make ``times`` calls of ``operation`` fail as S3 would answer them, after letting
        ``skip`` calls through (``skip=1``: the second ``UploadPart`` fails).

        ``operation`` is the S3 API name (``"PutObject"``, ``"GetObject"``, ``"UploadPart"``).
        botocore sees a real error response, so retryable codes (``InternalError``,
        ``SlowDown``) are retried by its retry mode. A fault that never triggers fails the test
        at teardown unless ``optional=True``.
        """
        self._faults.fail(
            operation, code=code, status=status, times=times, optional=optional, skip=skip
        )

    def unused_faults(self) -> list[str]:
        """Faults that were registered but did not all happen."""
        return self._faults.unused()

    def close(self) -> None:
        """Stop recording calls and injecting faults on the shared client."""
        self._faults.close()


class S3Backend:
    """Where buckets live; one shared client; a fresh bucket per :meth:`fresh_bucket`."""

    name = "abstract"
    region = MOTO_REGION
    endpoint_url: str | None = None
    _client: S3Client | None = None

    @property
    def client(self) -> S3Client:
        if self._client is None:
            from ai_voice_shared.services.s3_service import build_s3_client

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

    def create(self, name: str) -> None:
        """Create the empty bucket ``name`` in this backend's region."""
        create_bucket(self.client, name, self.region)

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
