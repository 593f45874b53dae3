"""Helpers of the S3 contract suite: backend description, bucket setup, fault injection."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from botocore.awsrequest import AWSResponse

from ai_voice_shared.settings import S3Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024


@dataclass
class S3Backend:
    """Where the contract tests run: a shared client and what settings need to reach it."""

    name: str
    client: S3Client
    region: str
    endpoint_url: str | None
    access_key_id: str
    secret_access_key: str

    def settings(self, bucket: str, **overrides: Any) -> S3Settings:
        values: dict[str, Any] = {
            "bucket_name": bucket,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "multipart_threshold_bytes": 5 * MiB,
            "multipart_chunk_size_bytes": 5 * MiB,
            **overrides,
        }
        return S3Settings(**values)


def create_bucket(client: S3Client, name: str, region: str) -> None:
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
        )


def destroy_bucket(client: S3Client, name: str) -> None:
    """Abort unfinished uploads, delete every object, then the bucket."""
    for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
        client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys: list[Any] = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
    client.delete_bucket(Bucket=name)


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._data


class FaultInjector:
    """Answers chosen S3 operations with an error response before they reach the backend.

    Registered first on the client's ``before-send`` event, so botocore (and its retries) see
    a real S3 error response; moto's own before-send handler comes after it.
    """

    def __init__(self, client: S3Client) -> None:
        self.client = client
        self.sent: list[str] = []
        self._rules: list[dict[str, Any]] = []
        # botocore's stubs type handlers as returning None; a before-send handler may return a
        # response, which is the whole point here.
        self._hook = cast(Any, self._before_send)
        client.meta.events.register_first("before-send.s3", self._hook)

    def fail(
        self,
        operation: str,
        *,
        status: int = 500,
        code: str = "InternalError",
        times: int = 1,
        skip: int = 0,
        body: bytes | None = None,
    ) -> None:
        self._rules.append(
            {
                "operation": operation,
                "status": status,
                "code": code,
                "times": times,
                "skip": skip,
                "body": body,
            }
        )

    def _before_send(self, request: Any, **kwargs: Any) -> AWSResponse | None:
        operation = kwargs["event_name"].rsplit(".", 1)[-1]
        self.sent.append(operation)
        for rule in self._rules:
            if rule["operation"] != operation or rule["times"] == 0:
                continue
            if rule["skip"]:
                rule["skip"] -= 1
                return None
            rule["times"] -= 1
            body = (
                rule["body"]
                or (
                    f"<Error><Code>{rule['code']}</Code><Message>injected</Message>"
                    "<RequestId>injected-id</RequestId></Error>"
                ).encode()
            )
            headers = {"x-amz-request-id": "injected-id", "content-type": "application/xml"}
            return AWSResponse(request.url, rule["status"], cast(Any, headers), _Body(body))
        return None

    def close(self) -> None:
        self.client.meta.events.unregister("before-send.s3", self._hook)
