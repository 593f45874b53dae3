"""S3Service contract: every operation behaves the same on moto and on a real SeaweedFS server."""

from __future__ import annotations

import array
import hashlib
import io
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, assert_type

import pytest

from ai_voice_shared import (
    ConfigurationError,
    InvalidS3KeyError,
    S3BucketNotFoundError,
    S3ObjectExistsError,
    S3ObjectNotFoundError,
    S3Service,
    S3ServiceError,
)
from ai_voice_shared.services import s3_service
from ai_voice_shared.services._s3.integrity import crc32_of
from tests.shared.services.s3_backends import FaultInjector, MiB, S3Backend

VOICE = b"OggS\x00\x02" + bytes(range(256)) * 40


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(MiB), b""):
            sha.update(chunk)
    return sha.hexdigest()


# -- upload and download --------------------------------------------------------------------


def test_uploaded_bytes_come_back_identical_with_their_metadata(
    s3: S3Service, faults: FaultInjector
) -> None:
    stored = s3.upload_bytes(
        "voice/AC1/MM1.ogg", VOICE, content_type="audio/ogg", metadata={"message-sid": "MM1"}
    )

    assert [c.operation for c in faults.calls] == ["HeadBucket", "PutObject"]  # one write
    assert s3.download_bytes("voice/AC1/MM1.ogg") == VOICE
    assert (stored.key, stored.size, stored.already_stored) == (
        "voice/AC1/MM1.ogg",
        len(VOICE),
        False,
    )
    assert stored.etag == hashlib.md5(VOICE).hexdigest()
    assert stored.checksums == {"CRC32": crc32_of(VOICE)}
    head = s3.head_object("voice/AC1/MM1.ogg")
    assert (head.content_type, head.metadata) == ("audio/ogg", {"message-sid": "MM1"})
    assert abs(head.last_modified - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_write_result_carries_only_what_the_store_answered(s3: S3Service) -> None:
    stored = s3.upload_bytes("voice/MM1.ogg", VOICE, content_type="audio/ogg")

    assert set(type(stored).model_fields) == {
        "key",
        "size",
        "etag",
        "version_id",
        "checksums",
        "already_stored",
    }
    assert not hasattr(stored, "content_type")


def test_a_conditional_write_refuses_to_replace_an_existing_object(s3: S3Service) -> None:
    s3.upload_bytes("voice/MM1.ogg", VOICE, overwrite=False)

    with pytest.raises(S3ObjectExistsError) as caught:
        s3.upload_bytes("voice/MM1.ogg", b"other", overwrite=False)

    assert s3.download_bytes("voice/MM1.ogg") == VOICE
    assert (caught.value.operation, caught.value.key, caught.value.status) == (
        "PutObject",
        "voice/MM1.ogg",
        412,
    )
    assert "the key holds other content" in str(caught.value)
    assert "Nothing was overwritten" in str(caught.value)


def test_overwrite_true_replaces_the_object(s3: S3Service) -> None:
    s3.upload_bytes("k.bin", b"first")
    s3.upload_bytes("k.bin", b"second")

    assert s3.download_bytes("k.bin") == b"second"


@pytest.mark.parametrize("size", [1000, 12 * MiB], ids=["single part", "three parts"])
@pytest.mark.parametrize("as_", ["path", "str path", "buffered file", "raw file", "BytesIO"])
def test_upload_file_streams_any_source_and_the_bytes_survive(
    s3: S3Service, make_file: Callable[[str, int], Path], size: int, as_: str
) -> None:
    path = make_file("in.bin", size)
    sources: dict[str, Callable[[], Any]] = {
        "path": lambda: path,
        "str path": lambda: str(path),
        "buffered file": lambda: path.open("rb"),
        "raw file": lambda: path.open("rb", buffering=0),
        "BytesIO": lambda: io.BytesIO(path.read_bytes()),
    }

    source = sources[as_]()
    try:
        stored = s3.upload_file("big.bin", source, content_type="application/octet-stream")
        assert not getattr(source, "closed", False), "the caller's stream must stay open"
    finally:
        if hasattr(source, "close"):
            source.close()

    assert stored.size == size
    assert ("-" in stored.etag) is (size > 5 * MiB)  # multipart ETags end in -<parts>
    assert hashlib.sha256(s3.download_bytes("big.bin")).hexdigest() == digest(path)


def test_upload_file_refuses_a_text_stream(s3: S3Service) -> None:
    with pytest.raises(ConfigurationError, match="open the file in binary mode"):
        s3.upload_file("k.txt", io.StringIO("text"))  # type: ignore[arg-type]


def test_a_downloaded_file_gets_the_mode_open_would_give_it(s3: S3Service, tmp_path: Path) -> None:
    s3.upload_bytes("k", b"x")
    old = os.umask(0o022)
    try:
        s3.download_file("k", tmp_path / "out.bin")
    finally:
        os.umask(old)

    assert (tmp_path / "out.bin").stat().st_mode & 0o777 == 0o644


def test_download_file_writes_a_path_or_a_file_object(s3: S3Service, tmp_path: Path) -> None:
    s3.upload_bytes("voice/MM1.ogg", VOICE, content_type="audio/ogg")
    target, buffer = tmp_path / "out.ogg", io.BytesIO()

    by_path = s3.download_file("voice/MM1.ogg", target)
    by_file = s3.download_file("voice/MM1.ogg", buffer)

    assert target.read_bytes() == buffer.getvalue() == VOICE
    assert by_path == by_file
    assert by_path.content_type == "audio/ogg"


def test_a_failed_download_leaves_no_file_behind(s3: S3Service, tmp_path: Path) -> None:
    with pytest.raises(S3ObjectNotFoundError):
        s3.download_file("missing.ogg", tmp_path / "out.ogg")

    assert list(tmp_path.iterdir()) == []


def test_iter_bytes_streams_in_bounded_chunks(s3: S3Service) -> None:
    s3.upload_bytes("voice/MM1.ogg", VOICE)

    chunks = list(s3.iter_bytes("voice/MM1.ogg", chunk_size=1000))

    assert b"".join(chunks) == VOICE
    assert max(len(chunk) for chunk in chunks) <= 1000
    assert len(chunks) >= len(VOICE) // 1000


def test_iter_bytes_raises_for_a_missing_key_before_iteration(s3: S3Service) -> None:
    with pytest.raises(S3ObjectNotFoundError) as caught:
        s3.iter_bytes("missing.ogg")

    assert (caught.value.operation, caught.value.code) == ("GetObject", "NoSuchKey")


def test_copy_object_keeps_content_and_metadata(s3: S3Service) -> None:
    s3.upload_bytes("a.ogg", VOICE, content_type="audio/ogg", metadata={"m": "1"})

    copy = s3.copy_object("a.ogg", "archive/a.ogg")

    assert s3.download_bytes("archive/a.ogg") == VOICE
    assert (copy.key, copy.size, copy.etag) == (
        "archive/a.ogg",
        None,
        hashlib.md5(VOICE).hexdigest(),
    )
    head = s3.head_object("archive/a.ogg")
    assert (head.content_type, head.metadata) == ("audio/ogg", {"m": "1"})


# -- head, exists and missing things --------------------------------------------------------


def test_head_object_and_exists_see_what_was_stored(s3: S3Service) -> None:
    s3.upload_bytes("voice/MM1.ogg", VOICE, content_type="audio/ogg")

    head = s3.head_object("voice/MM1.ogg")

    assert (head.key, head.size, head.content_type, head.storage_class) == (
        "voice/MM1.ogg",
        len(VOICE),
        "audio/ogg",
        "STANDARD",
    )
    assert s3.exists("voice/MM1.ogg")
    assert not s3.exists("voice/MM2.ogg")


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        pytest.param(lambda s3: s3.head_object("missing.ogg"), "HeadObject", id="head (bare 404)"),
        pytest.param(
            lambda s3: s3.download_bytes("missing.ogg"), "GetObject", id="get (NoSuchKey)"
        ),
    ],
)
def test_a_missing_key_is_s3_object_not_found_whichever_way_s3_says_it(
    s3: S3Service, call: Callable[[S3Service], object], operation: str
) -> None:
    with pytest.raises(S3ObjectNotFoundError) as caught:
        call(s3)

    error = caught.value
    assert (error.operation, error.bucket, error.key, error.status) == (
        operation,
        s3.bucket,
        "missing.ogg",
        404,
    )
    assert f"s3://{s3.bucket}/missing.ogg does not exist" in str(error)
    assert "S3_KEY_PREFIX is prepended to every key" in str(error)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s3: s3.exists("k"), id="exists"),
        pytest.param(lambda s3: s3.head_object("k"), id="head_object"),
        pytest.param(lambda s3: s3.download_bytes("k"), id="download_bytes"),
        pytest.param(lambda s3: s3.upload_bytes("k", b"x"), id="upload_bytes"),
    ],
)
def test_a_missing_bucket_is_reported_as_such_not_as_a_missing_key(
    backend: S3Backend, call: Callable[[S3Service], object]
) -> None:
    s3 = S3Service(backend.settings("aivs-no-such-bucket-here"), client=backend.client)

    with pytest.raises(S3BucketNotFoundError) as caught:
        call(s3)

    assert caught.value.bucket == "aivs-no-such-bucket-here"
    assert "S3_BUCKET_NAME" in str(caught.value)


# -- listing --------------------------------------------------------------------------------


def test_list_objects_filters_by_prefix_and_folds_common_prefixes(s3: S3Service) -> None:
    for key in ["voice/AC1/MM1.ogg", "voice/AC1/MM2.ogg", "voice/AC2/MM3.ogg", "other.txt"]:
        s3.upload_bytes(key, b"x")

    flat = s3.list_objects("voice/")
    folded = s3.list_objects("voice/", delimiter="/")

    assert [o.key for o in flat.objects] == [
        "voice/AC1/MM1.ogg",
        "voice/AC1/MM2.ogg",
        "voice/AC2/MM3.ogg",
    ]
    assert (flat.key_count, flat.is_truncated, flat.prefix) == (3, False, "voice/")
    assert folded.objects == ()
    assert folded.common_prefixes == ("voice/AC1/", "voice/AC2/")
    assert all(o.size == 1 and o.etag and o.last_modified.tzinfo for o in flat.objects)


def test_list_objects_pages_with_continuation_tokens(s3: S3Service) -> None:
    keys = [f"k{i:02d}" for i in range(7)]
    for key in keys:
        s3.upload_bytes(key, b"x")

    seen, token, pages = [], None, 0
    while True:
        page = s3.list_objects(max_keys=3, continuation_token=token)
        seen += [o.key for o in page.objects]
        pages += 1
        if not page.is_truncated:
            break
        token = page.next_continuation_token

    assert (seen, pages) == (keys, 3)
    assert [o.key for o in s3.iter_objects(page_size=2)] == keys


def test_list_objects_rejects_an_impossible_page_size(s3: S3Service) -> None:
    with pytest.raises(ConfigurationError, match="max_keys must be between 1 and 1000, not 0"):
        s3.list_objects(max_keys=0)


def test_the_key_prefix_is_applied_on_the_way_in_and_stripped_on_the_way_out(
    backend: S3Backend, bucket: str
) -> None:
    tenant = S3Service(backend.settings(bucket, key_prefix="tenant-a"), client=backend.client)
    whole = S3Service(backend.settings(bucket), client=backend.client)

    tenant.upload_bytes("voice/MM1.ogg", b"x")

    assert [o.key for o in tenant.iter_objects()] == ["voice/MM1.ogg"]
    assert tenant.list_objects(delimiter="/").common_prefixes == ("voice/",)
    assert [o.key for o in whole.iter_objects()] == ["tenant-a/voice/MM1.ogg"]
    assert tenant.full_key("voice/MM1.ogg") == "tenant-a/voice/MM1.ogg"


def test_the_folder_marker_of_the_key_prefix_is_not_listed_as_an_object(
    backend: S3Backend, bucket: str
) -> None:
    # The S3 console's "Create folder" stores "tenant-a/": relative to the prefix, an empty key
    # (found by an attack: the listing raised pydantic's ValidationError).
    tenant = S3Service(backend.settings(bucket, key_prefix="tenant-a"), client=backend.client)
    backend.client.put_object(Bucket=bucket, Key="tenant-a/", Body=b"")
    tenant.upload_bytes("voice/MM1.ogg", b"x")

    assert [o.key for o in tenant.iter_objects()] == ["voice/MM1.ogg"]
    assert tenant.list_objects().key_count == 1
    assert tenant.list_objects(delimiter="/").common_prefixes == ("voice/",)


# -- deleting -------------------------------------------------------------------------------


def test_delete_object_removes_the_key_and_tolerates_a_missing_one(s3: S3Service) -> None:
    s3.upload_bytes("k", b"x")

    s3.delete_object("k")
    s3.delete_object("k")

    assert not s3.exists("k")


def test_delete_objects_sends_one_request_per_batch(
    s3: S3Service, faults: FaultInjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    # S3 takes 1000 keys per DeleteObjects; a batch of 4 proves the batching without 1000 PUTs.
    monkeypatch.setattr(s3_service, "_DELETE_BATCH", 4)
    keys = [f"bulk/{i:02d}" for i in range(9)]
    for key in keys:
        s3.upload_bytes(key, b"")
    faults.sent.clear()

    assert s3.delete_objects(keys) == 9

    assert faults.sent == ["DeleteObjects"] * 3
    assert list(s3.iter_objects("bulk/")) == []


# -- presigned URLs -------------------------------------------------------------------------


def test_presigned_urls_carry_a_sigv4_signature_and_the_expiry(s3: S3Service) -> None:
    get = s3.generate_presigned_url("voice/MM1.ogg")
    put = s3.generate_presigned_url("voice/MM1.ogg", method="PUT", expires_in=60)

    assert "X-Amz-Signature=" in get
    assert "X-Amz-Expires=3600" in get
    assert "X-Amz-Expires=60" in put
    assert "voice/MM1.ogg" in get


def test_a_presigned_post_carries_its_conditions(s3: S3Service) -> None:
    import base64
    import json

    post = s3.generate_presigned_post("up/MM1.ogg", content_type="audio/ogg", max_size=1000)

    policy = json.loads(base64.b64decode(post.fields["policy"]))
    assert ["content-length-range", 0, 1000] in policy["conditions"]
    assert {"Content-Type": "audio/ogg"} in policy["conditions"]
    assert post.fields["key"] == "up/MM1.ogg"


@pytest.mark.parametrize("expires_in", [0, 7 * 24 * 3600 + 1])
def test_an_expiry_beyond_sigv4_limits_is_refused(s3: S3Service, expires_in: int) -> None:
    with pytest.raises(ConfigurationError, match="expires_in must be between 1 and 604800"):
        s3.generate_presigned_url("k", expires_in=expires_in)


# -- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "is empty"),
        ("/voice/a.ogg", "starts with '/'"),
        ("voice/../a.ogg", "has a '.' or '..' segment"),
        ("./a.ogg", "has a '.' or '..' segment"),
        ("a\\..\\..\\etc\\passwd", "has a '.' or '..' segment"),
        ("voice/a\n.ogg", "contains a control character"),
        ("voice/a\x85.ogg", "contains a control character"),
        ("voice/a\x9b[2J.ogg", "contains a control character"),
        ("voice/a\ud800.ogg", "holds a lone surrogate"),
        ("a" * 1025, "UTF-8 bytes with the prefix"),
        ("é" * 513, "UTF-8 bytes with the prefix"),
    ],
)
def test_a_bad_key_is_refused_before_any_request(
    s3: S3Service, faults: FaultInjector, key: str, problem: str
) -> None:
    with pytest.raises(InvalidS3KeyError, match=problem) as caught:
        s3.upload_bytes(key, b"x")

    assert caught.value.key == key
    assert isinstance(caught.value, ValueError)
    assert faults.sent == []


def test_a_key_that_is_not_text_is_refused(s3: S3Service) -> None:
    with pytest.raises(InvalidS3KeyError, match="is bytes, not str"):
        s3.download_bytes(b"voice/a.ogg")  # type: ignore[arg-type]


# -- one request per write and per read ------------------------------------------------------


def test_each_write_and_each_read_is_one_request(
    s3: S3Service, faults: FaultInjector, make_file: Callable[[str, int], Path], tmp_path: Path
) -> None:
    s3.upload_bytes("first.ogg", VOICE)  # the bucket is checked once per service, here
    faults.calls.clear()

    written = s3.upload_bytes("a.ogg", VOICE)
    s3.download_bytes("a.ogg")
    read = s3.download_file("a.ogg", tmp_path / "a.ogg")
    copied = s3.copy_object("a.ogg", "b.ogg")
    small = s3.upload_file("c.ogg", make_file("c.ogg", 1000))

    assert [c.operation for c in faults.calls] == [
        "PutObject",
        "GetObject",
        "GetObject",
        "CopyObject",
        "PutObject",
    ]
    assert written.etag == read.etag == copied.etag == hashlib.md5(VOICE).hexdigest()
    assert (read.size, read.key) == (len(VOICE), "a.ogg")
    assert (small.size, set(small.checksums)) == (1000, {"CRC32"})


def test_a_multipart_upload_returns_its_answer_without_a_head(
    s3: S3Service, faults: FaultInjector, make_file: Callable[[str, int], Path]
) -> None:
    source = make_file("big.bin", 12 * MiB)

    stored = s3.upload_file("big.bin", source)

    operations = [c.operation for c in faults.calls]
    assert operations[0] == "HeadBucket"
    assert operations[1:] == (
        ["CreateMultipartUpload"] + ["UploadPart"] * 3 + ["CompleteMultipartUpload"]
    )
    assert (stored.size, stored.etag.endswith("-3")) == (12 * MiB, True)
    assert stored.checksums["CRC32"] == crc32_of(source.read_bytes())  # full-object


def test_a_conditional_write_whose_answer_was_lost_is_already_stored(
    s3: S3Service, faults: FaultInjector
) -> None:
    faults.fail("PutObject", lose_response=True)  # stored, then the connection reset

    stored = s3.upload_bytes("voice/MM1.ogg", VOICE, overwrite=False)  # botocore retries: 412

    assert (stored.already_stored, stored.created) == (True, False)
    assert faults.sent.count("PutObject") == 2
    assert s3.download_bytes("voice/MM1.ogg") == VOICE


def test_a_redelivered_conditional_write_of_the_same_bytes_is_already_stored(
    s3: S3Service,
) -> None:
    first = s3.upload_bytes("voice/MM1.ogg", VOICE, overwrite=False)
    again = s3.upload_bytes("voice/MM1.ogg", VOICE, overwrite=False)

    assert (first.already_stored, again.already_stored) == (False, True)
    assert again.etag == first.etag


def test_listing_for_pollers_starts_after_a_key_and_filters_by_time(s3: S3Service) -> None:
    for name in ("a", "b", "c", "d"):
        s3.upload_bytes(f"voice/{name}.ogg", b"x")
    later = datetime.now(UTC) + timedelta(hours=1)

    after_b = [o.key for o in s3.iter_objects("voice/", start_after="voice/b.ogg", page_size=1)]

    assert after_b == ["voice/c.ogg", "voice/d.ogg"]
    assert list(s3.iter_objects("voice/", modified_since=later)) == []
    assert len(list(s3.iter_objects("voice/", modified_since=later - timedelta(days=1)))) == 4
    with pytest.raises(ConfigurationError, match="must be timezone-aware"):
        list(s3.iter_objects(modified_since=datetime(2026, 1, 1)))


def test_a_poller_keeping_its_start_time_misses_no_object_written_in_that_same_second(
    s3: S3Service,
) -> None:
    # Found by an attack: listings give whole seconds, and a strict ">" against the start time
    # (with its microseconds) dropped what was written in the same second.
    run_start = datetime.now(UTC)
    s3.upload_bytes("voice/new.ogg", b"x")

    assert [o.key for o in s3.iter_objects("voice/", modified_since=run_start)] == ["voice/new.ogg"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"modified_since": "2026-01-01T00:00:00Z"},
            "modified_since must be a timezone-aware datetime, not str '2026-01-01T00:00:00Z': "
            "use datetime.now(UTC) at the start of a run.",
        ),
        ({"page_size": 0}, "page_size must be between 1 and 1000, not 0."),
    ],
    ids=["a time as text", "an empty page"],
)
def test_listing_arguments_are_checked_and_named(
    s3: S3Service, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        list(s3.iter_objects("voice/", **options))

    assert str(caught.value) == message


def test_a_conditional_write_racing_another_is_a_transient_error_not_exists(
    s3: S3Service, faults: FaultInjector
) -> None:
    # AWS answers 409 while another conditional write of the key is in flight: nothing is
    # stored yet, so it is not "exists", and a HEAD would find no object.
    faults.fail("PutObject", code="ConditionalRequestConflict", status=409)

    with pytest.raises(S3ServiceError) as caught:
        s3.upload_bytes("voice/MM1.ogg", VOICE, overwrite=False)

    assert type(caught.value) is S3ServiceError
    assert caught.value.transient
    assert "another conditional write of the same key was in flight" in str(caught.value)
    assert s3.upload_bytes("voice/MM1.ogg", VOICE, overwrite=False).created


def test_a_key_deleted_between_the_refusal_and_the_comparison_is_a_transient_error(
    s3: S3Service, faults: FaultInjector
) -> None:
    faults.fail("PutObject", code="PreconditionFailed", status=412)
    faults.fail("HeadObject", code="404", status=404)

    with pytest.raises(S3ServiceError) as caught:
        s3.upload_bytes("voice/MM1.ogg", VOICE, overwrite=False)

    assert (caught.value.code, caught.value.transient) == ("ObjectChanged", True)
    assert "was deleted before it could be compared with these bytes" in str(caught.value)


# -- streamed uploads ----------------------------------------------------------------------


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize(
    ("length", "known"),
    [(0, False), (1000, True), (5 * MiB, False), (5 * MiB + 1, False), (12 * MiB + 3, True)],
    ids=["empty", "small, size known", "at the threshold", "just past it", "12 MiB, size known"],
)
def test_a_stream_is_stored_whole_in_one_request_or_in_parts(
    s3: S3Service, faults: FaultInjector, length: int, known: bool
) -> None:
    data = os.urandom(length)

    stored = s3.upload_stream("voice/k.ogg", _chunks(data), size=length if known else None)

    assert s3.download_bytes("voice/k.ogg") == data
    assert (stored.size, stored.checksums["CRC32"]) == (length, crc32_of(data))
    writes = {c.operation for c in faults.calls} - {"HeadBucket", "GetObject"}
    assert writes == (
        {"PutObject"}
        if length <= 5 * MiB
        else {"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"}
    )


@pytest.mark.parametrize("length", [3000, 3 * MiB], ids=["one request", "in parts"])
def test_chunks_of_wide_items_are_stored_byte_for_byte(s3: S3Service, length: int) -> None:
    # Found by an attack: array('h') PCM samples went in item by item, half the bytes lost.
    samples = array.array("h", (n % 65536 - 32768 for n in range(length // 2)))
    view = memoryview(samples)

    stored = s3.upload_stream("voice/pcm.raw", [samples, view, b"!"])  # type: ignore[list-item]

    expected = samples.tobytes() * 2 + b"!"
    assert (stored.size, s3.download_bytes("voice/pcm.raw")) == (len(expected), expected)


def test_a_chunk_that_is_not_bytes_is_refused_naming_it(s3: S3Service) -> None:
    with pytest.raises(ConfigurationError) as caught:
        s3.upload_stream("voice/k.ogg", [b"OggS", "text"])  # type: ignore[list-item]

    assert str(caught.value) == (
        "upload_stream chunk #1 is str 'text', not bytes: yield bytes, bytearray or memoryview "
        "chunks (encode text first)."
    )
    assert not s3.exists("voice/k.ogg")


@pytest.mark.parametrize("length", [3, 6 * MiB], ids=["one request", "in parts"])
def test_streams_and_bytearrays_are_stored_with_content_md5_on_every_backend(
    backend: S3Backend, bucket: str, length: int
) -> None:
    # Found by an attack: with S3_CHECKSUMS=when_required, moto's in-process stubber failed
    # deep in werkzeug on a bytearray body, which the wire carries like bytes.
    s3 = S3Service(backend.settings(bucket, checksums="when_required"), client=backend.client)
    data = os.urandom(length)

    assert s3.upload_stream("voice/s.ogg", _chunks(data)).size == length
    assert s3.upload_bytes("voice/b.ogg", bytearray(data)).size == length
    assert s3.download_bytes("voice/s.ogg") == s3.download_bytes("voice/b.ogg") == data


def test_a_stream_that_breaks_leaves_no_object_and_no_parts(
    s3: S3Service, backend: S3Backend, bucket: str
) -> None:
    def breaking() -> Iterator[bytes]:
        yield from _chunks(os.urandom(11 * MiB))
        raise ConnectionError("the source went away")

    with pytest.raises(ConnectionError, match="the source went away"):
        s3.upload_stream("voice/k.ogg", breaking())

    assert not s3.exists("voice/k.ogg")
    assert backend.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_a_head_always_has_metadata_typed_as_a_dict(s3: S3Service) -> None:
    s3.upload_bytes("plain.txt", b"x")

    head = s3.head_object("plain.txt")

    assert head.metadata == {}
    assert_type(head.metadata, dict[str, str])  # checked by mypy: no `or {}` needed
