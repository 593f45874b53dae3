"""S3Service under failure: retries, exhausted retries, aborted multipart uploads, partial
deletes, bad credentials and unreachable endpoints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ai_voice_shared import S3AccessDeniedError, S3DeleteError, S3Service, S3ServiceError
from ai_voice_shared.services._s3.client import build_s3_client
from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing.seaweedfs import SeaweedFSServer
from tests.shared.services.s3_backends import FaultInjector, MiB, S3Backend


@pytest.mark.parametrize(
    ("status", "code"), [(503, "SlowDown"), (500, "InternalError"), (429, "Throttling")]
)
def test_throttling_and_server_errors_are_retried_until_they_pass(
    s3: S3Service, faults: FaultInjector, status: int, code: str
) -> None:
    faults.fail("PutObject", status=status, code=code, times=2)

    s3.upload_bytes("voice/MM1.ogg", b"x")

    assert faults.sent.count("PutObject") == 3
    assert s3.download_bytes("voice/MM1.ogg") == b"x"


def test_when_retries_run_out_the_error_says_what_s3_answered(
    backend: S3Backend, bucket: str
) -> None:
    settings = backend.settings(bucket, max_attempts=3)
    s3 = S3Service(settings, client=build_s3_client(settings))
    probe = FaultInjector(bucket)
    probe.fail("PutObject", status=503, code="SlowDown", times=10)

    with pytest.raises(S3ServiceError) as caught:
        s3.upload_bytes("voice/MM1.ogg", b"x")

    error = caught.value
    assert probe.sent.count("PutObject") == 3
    assert (error.operation, error.code, error.status, error.request_id) == (
        "PutObject",
        "SlowDown",
        503,
        "aivs-injected",
    )
    assert str(error) == (
        f"S3 PutObject on s3://{bucket}/voice/MM1.ogg failed (SlowDown, HTTP 503, request id "
        "aivs-injected): injected by S3Bucket.fail(). Transient errors were retried up to "
        "S3_MAX_ATTEMPTS times before this."
    )
    assert isinstance(error.__cause__, Exception)


def test_a_client_error_is_not_retried(s3: S3Service, faults: FaultInjector) -> None:
    faults.fail("PutObject", status=400, code="InvalidArgument", times=5)

    with pytest.raises(S3ServiceError, match="InvalidArgument"):
        s3.upload_bytes("k", b"x")

    assert faults.sent.count("PutObject") == 1


def test_a_multipart_upload_that_fails_midway_leaves_no_parts_behind(
    backend: S3Backend, bucket: str, make_file: Callable[[str, int], Path]
) -> None:
    settings = backend.settings(bucket, max_concurrency=1)
    s3 = S3Service(settings, client=backend.client)
    faults = FaultInjector(bucket)
    faults.fail("UploadPart", status=400, code="InvalidPart", skip=1, times=100)
    try:
        with pytest.raises(S3ServiceError, match="InvalidPart"):
            s3.upload_file("big.bin", make_file("big.bin", 16 * MiB))
    finally:
        faults.close()

    assert "AbortMultipartUpload" in faults.sent
    assert backend.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert not s3.exists("big.bin")


def test_delete_objects_reports_every_key_s3_could_not_delete(
    s3: S3Service, faults: FaultInjector
) -> None:
    s3.upload_bytes("a", b"x")
    body = (
        b"<DeleteResult><Error><Key>locked/1</Key><Code>AccessDenied</Code>"
        b"<Message>Access Denied</Message></Error></DeleteResult>"
    )
    faults.fail("DeleteObjects", status=200, body=body)

    with pytest.raises(S3DeleteError) as caught:
        s3.delete_objects(["a", "locked/1"])

    assert caught.value.failures == {"locked/1": "AccessDenied: Access Denied"}
    assert str(caught.value) == (
        f"S3 DeleteObjects could not delete 1 of 2 keys in s3://{s3.bucket}: 'locked/1' "
        "(AccessDenied: Access Denied). The other keys were deleted; check the permissions "
        "(s3:DeleteObject) and object locks, then retry the failed keys."
    )


def test_wrong_credentials_are_access_denied_on_a_real_server(
    seaweedfs_server: SeaweedFSServer,
) -> None:
    # moto does not check credentials, so this runs on SeaweedFS only.
    settings = seaweedfs_server.s3_settings(
        "aivs-denied", secret_access_key="wrong-secret", max_attempts=1
    )

    with S3Service(settings) as s3, pytest.raises(S3AccessDeniedError) as caught:
        s3.download_bytes("k")

    assert caught.value.code in {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied"}
    assert "Check the credentials (S3_ACCESS_KEY_ID / the AWS chain)" in str(caught.value)
    assert "wrong-secret" not in str(caught.value)


def test_an_unreachable_endpoint_is_reported_with_what_to_check(unused_port: int) -> None:
    settings = S3Settings(
        bucket_name="voice-notes",
        endpoint_url=f"http://127.0.0.1:{unused_port}",
        region="us-east-1",
        access_key_id="k",
        secret_access_key="s",
        max_attempts=2,
        connect_timeout_seconds=1,
    )

    with S3Service(settings) as s3, pytest.raises(S3ServiceError) as caught:
        s3.download_bytes("k")

    assert f"could not talk to http://127.0.0.1:{unused_port}" in str(caught.value)
    assert "Check S3_ENDPOINT_URL / S3_REGION" in str(caught.value)


def _put_new(s3: S3Service, make_file: Callable[[str, int], Path]) -> None:
    s3.upload_bytes("voice/k.ogg", b"new")


def _multipart(s3: S3Service, make_file: Callable[[str, int], Path]) -> None:
    s3.upload_file("voice/k.ogg", make_file("big.bin", 12 * MiB))


def _copy(s3: S3Service, make_file: Callable[[str, int], Path]) -> None:
    s3.copy_object("voice/old.ogg", "voice/k.ogg")


def _delete(s3: S3Service, make_file: Callable[[str, int], Path]) -> None:
    s3.delete_object("voice/old.ogg")


@pytest.mark.parametrize(
    ("operation", "write"),
    [
        ("PutObject", _put_new),
        ("CreateMultipartUpload", _multipart),
        ("UploadPart", _multipart),
        ("CompleteMultipartUpload", _multipart),
        ("CopyObject", _copy),
        ("DeleteObject", _delete),
    ],
)
def test_a_faulted_write_changes_nothing_in_the_store(
    s3: S3Service,
    faults: FaultInjector,
    backend: S3Backend,
    bucket: str,
    make_file: Callable[[str, int], Path],
    operation: str,
    write: Callable[[S3Service, Callable[[str, int], Path]], None],
) -> None:
    s3.upload_bytes("voice/old.ogg", b"old")
    faults.fail(operation, status=400, code="InvalidRequest")

    with pytest.raises(S3ServiceError, match="InvalidRequest"):
        write(s3, make_file)

    assert faults.unused() == []
    assert [o["Key"] for o in backend.client.list_objects_v2(Bucket=bucket)["Contents"]] == [
        "voice/old.ogg"
    ]
    assert s3.download_bytes("voice/old.ogg") == b"old"
    assert backend.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def _streamed(s3: S3Service, make_file: Callable[[str, int], Path]) -> None:
    s3.upload_stream("voice/k.ogg", (bytes(MiB) for _ in range(12)))


@pytest.mark.parametrize("write", [_multipart, _streamed], ids=["upload_file", "upload_stream"])
def test_a_create_whose_answer_was_lost_leaves_no_multipart_upload_open(
    s3: S3Service,
    faults: FaultInjector,
    backend: S3Backend,
    bucket: str,
    make_file: Callable[[str, int], Path],
    write: Callable[[S3Service, Callable[[str, int], Path]], None],
) -> None:
    # The store creates the upload, the connection drops before its answer: botocore retries
    # and creates a second one; the first, whose id the client never saw, must not stay open.
    faults.fail("CreateMultipartUpload", lose_response=True)

    write(s3, make_file)

    assert faults.unused() == []
    assert faults.sent.count("CreateMultipartUpload") == 2
    assert "AbortMultipartUpload" in faults.sent
    assert backend.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3.head_object("voice/k.ogg").size == 12 * MiB


def test_the_lifecycle_rule_aborts_unfinished_uploads_under_the_prefix_and_keeps_other_rules(
    s3: S3Service, backend: S3Backend, bucket: str
) -> None:
    other = {
        "ID": "expire-logs",
        "Status": "Enabled",
        "Filter": {"Prefix": "logs/"},
        "Expiration": {"Days": 30},
    }
    backend.client.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={"Rules": [other]},  # type: ignore[list-item]
    )

    s3.abort_incomplete_uploads_after(days=2)
    s3.abort_incomplete_uploads_after(days=1)  # again: the rule is updated, not doubled

    rules = backend.client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    ours = [rule for rule in rules if rule.get("ID", "").startswith("ai-voice-shared")]
    assert [rule.get("ID") for rule in rules if rule not in ours] == ["expire-logs"]
    assert len(ours) == 1
    assert ours[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert ours[0]["Status"] == "Enabled"
    assert ours[0]["Filter"] == {"Prefix": s3.settings.key_prefix}


@pytest.mark.parametrize("days", [0, -1, 1.5, True])
def test_a_lifecycle_rule_of_no_whole_days_is_refused_naming_the_value(
    s3: S3Service, days: object
) -> None:
    from ai_voice_shared import ConfigurationError

    with pytest.raises(ConfigurationError, match=rf"at least 1, not {days!r}"):
        s3.abort_incomplete_uploads_after(days=days)  # type: ignore[arg-type]
