"""The moto backend of s3_bucket, held to what S3 does where moto alone is more lenient."""

from __future__ import annotations

import threading

from botocore.exceptions import ClientError

from ai_voice_shared_testing.s3_bucket import MotoBackend


def test_of_concurrent_conditional_completions_of_one_key_exactly_one_wins() -> None:
    # Found by an attack: moto checks If-None-Match and then writes, unlocked, so 3 or 4 of 4
    # racing CompleteMultipartUpload calls succeeded; S3 lets one (the others get 412 or 409).
    with MotoBackend() as backend, backend.fresh_bucket() as bucket:
        client = bucket.client
        uploads = []
        for index in range(8):
            upload = client.create_multipart_upload(Bucket=bucket.name, Key="k")["UploadId"]
            part = client.upload_part(
                Bucket=bucket.name, Key="k", UploadId=upload, PartNumber=1, Body=bytes([index])
            )
            uploads.append((upload, part["ETag"]))
        outcomes: list[str] = []
        start = threading.Barrier(len(uploads))

        def complete(upload: str, etag: str) -> None:
            start.wait()
            try:
                client.complete_multipart_upload(
                    Bucket=bucket.name,
                    Key="k",
                    UploadId=upload,
                    IfNoneMatch="*",
                    MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]},
                )
                outcomes.append("created")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])

        threads = [threading.Thread(target=complete, args=upload) for upload in uploads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert outcomes.count("created") == 1
    assert set(outcomes) - {"created"} <= {"PreconditionFailed", "ConditionalRequestConflict"}
