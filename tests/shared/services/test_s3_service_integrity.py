"""S3Service keeps data intact end to end, over a network that flips bits and drops connections.

Each test runs on a moto server and on SeaweedFS, behind a FaultProxy on 127.0.0.1. What each
store verifies on a write differs (SeaweedFS checks the CRC32 or Content-MD5 sent with the
bytes; moto checks nothing); the reads are checked by the client against the stored checksum
or the single-part ETag on both, so no corrupted byte is ever returned.
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from ai_voice_shared import S3IntegrityError, S3Service, S3ServiceError, S3Settings
from ai_voice_shared.services._s3.client import build_s3_client
from ai_voice_shared_testing.fault_proxy import FaultProxy
from ai_voice_shared_testing.s3_bucket import create_bucket, destroy_bucket
from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

MiB = 1024 * 1024
DATA = os.urandom(256 * 1024)
Checksums = Literal["when_supported", "when_required"]


@dataclass
class Store:
    name: str
    endpoint_url: str
    region: str
    access_key_id: str
    secret_access_key: str

    def settings(self, bucket: str, endpoint_url: str | None = None, **extra: Any) -> S3Settings:
        return S3Settings(
            bucket_name=bucket,
            endpoint_url=endpoint_url or self.endpoint_url,
            region=self.region,
            access_key_id=self.access_key_id,
            secret_access_key=self.secret_access_key,
            multipart_threshold_bytes=5 * MiB,
            multipart_chunk_size_bytes=5 * MiB,
            max_attempts=3,
            **extra,
        )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["moto server", "seaweedfs"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "moto server":
        url = request.getfixturevalue("moto_server")
        return Store("moto server", url, "eu-west-1", "testing", "testing")
    server: SeaweedFSServer = request.getfixturevalue("seaweedfs_server")
    return Store(
        "seaweedfs",
        server.endpoint_url,
        server.region,
        server.access_key_id,
        server.secret_access_key,
    )


@pytest.fixture
def bucket(store: Store) -> Iterator[str]:
    name = f"aivs-int-{uuid.uuid4().hex[:16]}"
    client = build_s3_client(store.settings(name))
    create_bucket(client, name, store.region)
    yield name
    destroy_bucket(client, name)


@pytest.fixture
def proxy(store: Store) -> Iterator[FaultProxy]:
    with FaultProxy(store.endpoint_url) as fault_proxy:
        yield fault_proxy


def service(store: Store, bucket: str, proxy: FaultProxy, checksums: Checksums) -> S3Service:
    return S3Service(store.settings(bucket, proxy.url, checksums=checksums))


@pytest.fixture(params=["when_supported", "when_required"])
def checksums(request: pytest.FixtureRequest) -> Checksums:
    mode: Checksums = request.param
    return mode


def direct(store: Store, bucket: str) -> S3Service:
    return S3Service(store.settings(bucket))


READS: dict[str, Callable[[S3Service, Path], object]] = {
    "download_bytes": lambda s3, tmp: s3.download_bytes("k"),
    "download_file to a path": lambda s3, tmp: s3.download_file("k", tmp / "out.bin"),
    "download_file to a stream": lambda s3, tmp: s3.download_file("k", io.BytesIO()),
    "iter_bytes": lambda s3, tmp: b"".join(s3.iter_bytes("k")),
}


@pytest.mark.parametrize("read", READS.values(), ids=READS)
def test_a_bit_flipped_on_the_way_back_is_never_returned(
    store: Store,
    bucket: str,
    proxy: FaultProxy,
    checksums: Checksums,
    tmp_path: Path,
    read: Callable[[S3Service, Path], object],
) -> None:
    direct(store, bucket).upload_bytes("k", DATA)  # stored with its CRC32
    s3 = service(store, bucket, proxy, checksums)
    proxy.flip(direction="response", offset=1000)

    with pytest.raises(S3IntegrityError, match="corrupted between the store and this process"):
        read(s3, tmp_path)

    assert proxy.flipped == 1
    assert not (tmp_path / "out.bin").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


def test_an_object_without_a_stored_checksum_is_checked_against_its_etag(
    store: Store, bucket: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    plain = S3Service(store.settings(bucket, checksums="when_required"))
    plain.client.put_object(Bucket=bucket, Key="k", Body=DATA)  # no checksum stored
    s3 = service(store, bucket, proxy, "when_required")
    proxy.flip(direction="response", offset=4096)

    with pytest.raises(S3IntegrityError, match="the MD5 in its single-part ETag"):
        s3.download_file("k", tmp_path / "out.bin")

    assert s3.download_bytes("k") == DATA  # the next read, unflipped, is fine


def test_a_multipart_upload_carries_a_full_object_checksum_that_reads_are_checked_against(
    store: Store, bucket: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(12 * MiB))
    direct(store, bucket).upload_file("big", source)
    s3 = service(store, bucket, proxy, "when_supported")

    assert s3.download_file("big", tmp_path / "copy.bin").size == 12 * MiB
    assert (tmp_path / "copy.bin").read_bytes() == source.read_bytes()
    proxy.flip(direction="response", offset=7 * MiB)
    with pytest.raises(S3IntegrityError, match="stored full-object CRC32"):
        s3.download_bytes("big")


def test_a_bit_flipped_on_the_way_in_is_refused_or_caught_on_the_next_read(
    store: Store, bucket: str, proxy: FaultProxy, checksums: Checksums
) -> None:
    s3 = service(store, bucket, proxy, checksums)
    proxy.flip(direction="request", offset=1000)

    if store.name == "seaweedfs":  # it checks the CRC32 or Content-MD5 sent with the bytes
        with pytest.raises(S3IntegrityError, match="nothing was stored"):
            s3.upload_bytes("k", DATA)
        assert not direct(store, bucket).exists("k")
    elif checksums == "when_supported":  # moto stores what it got, with the CRC32 sent...
        s3.upload_bytes("k", DATA)
        with pytest.raises(S3IntegrityError):  # ...which exposes it on every read
            direct(store, bucket).download_bytes("k")
    else:  # moto checks no Content-MD5 and keeps no checksum: a limit of moto, documented
        s3.upload_bytes("k", DATA)
        assert direct(store, bucket).download_bytes("k") != DATA
    assert proxy.flipped == 1


@pytest.mark.parametrize("read", READS.values(), ids=READS)
def test_a_dropped_connection_is_resumed_where_it_stopped(
    store: Store,
    bucket: str,
    proxy: FaultProxy,
    tmp_path: Path,
    read: Callable[[S3Service, Path], object],
) -> None:
    direct(store, bucket).upload_bytes("k", DATA)
    s3 = service(store, bucket, proxy, "when_supported")
    proxy.cut(direction="response", after_bytes=100_000)

    result = read(s3, tmp_path)

    assert proxy.cuts == 1
    if isinstance(result, bytes):
        assert result == DATA
    elif (tmp_path / "out.bin").exists():
        assert (tmp_path / "out.bin").read_bytes() == DATA


def test_an_object_replaced_before_a_dropped_read_resumes_is_a_transient_read_error(
    store: Store, bucket: str, proxy: FaultProxy
) -> None:
    # Found by an attack: the resume's If-Match 412 was reported as "already exists".
    direct(store, bucket).upload_bytes("k", DATA)
    s3 = service(store, bucket, proxy, "when_supported")
    proxy.cut(direction="response", after_bytes=100_000)
    chunks = s3.iter_bytes("k", chunk_size=10_000)
    next(chunks)
    direct(store, bucket).upload_bytes("k", DATA[::-1])

    with pytest.raises(S3ServiceError) as caught:
        b"".join(chunks)

    assert type(caught.value) is S3ServiceError
    assert (caught.value.code, caught.value.transient) == ("ObjectChanged", True)
    assert "the object was replaced before the rest could be read" in str(caught.value)


def test_a_connection_dropped_on_every_attempt_is_a_typed_error(
    store: Store, bucket: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    direct(store, bucket).upload_bytes("k", DATA)
    s3 = service(store, bucket, proxy, "when_supported")
    proxy.cut(direction="response", after_bytes=10_000, times=100)
    stream = io.BytesIO(b"kept")
    stream.seek(4)

    with pytest.raises(S3ServiceError, match="lost its connection") as caught:
        s3.download_file("k", stream)

    assert not isinstance(caught.value, S3IntegrityError)
    assert stream.getvalue() == b"kept"  # cut back to where it was
    with pytest.raises(S3ServiceError, match="lost its connection"):
        s3.download_file("k", tmp_path / "out.bin")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("after_bytes", [17, 50, 120, 200, 300])
@pytest.mark.parametrize("read", READS.values(), ids=READS)
def test_a_connection_cut_inside_the_response_headers_is_read_again_whole(
    store: Store,
    bucket: str,
    proxy: FaultProxy,
    tmp_path: Path,
    read: Callable[[S3Service, Path], object],
    after_bytes: int,
) -> None:
    # http.client takes the end of the connection for the end of the headers: the answer
    # looks like a complete object of some other size, or of none (attack found by a review).
    direct(store, bucket).upload_bytes("k", DATA)
    s3 = service(store, bucket, proxy, "when_supported")
    proxy.cut(direction="response", after_bytes=after_bytes)

    result = read(s3, tmp_path)

    assert proxy.cuts == 1
    if isinstance(result, bytes):
        assert result == DATA
    elif (tmp_path / "out.bin").exists():
        assert (tmp_path / "out.bin").read_bytes() == DATA
    else:
        assert result.size == len(DATA)  # type: ignore[attr-defined]


def test_answers_cut_inside_their_headers_every_time_are_a_typed_error_and_leave_no_file(
    store: Store, bucket: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    direct(store, bucket).upload_bytes("k", DATA)
    s3 = service(store, bucket, proxy, "when_supported")
    proxy.cut(direction="response", after_bytes=30, times=100)

    with pytest.raises(S3ServiceError) as caught:
        s3.download_file("k", tmp_path / "out.bin")

    assert caught.value.code == "IncompleteResponse"
    assert str(caught.value).startswith(
        f"S3 GetObject of s3://{bucket}/k got an answer with no Content-Length header, 3 "
        "time(s) in a row: the connection to "
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "header", [b"Content-Length: ", b"Last-Modified: ", b"ETag: ", b"x-amz-checksum-crc32: "]
)
def test_a_bit_flipped_in_a_response_header_gives_the_object_or_a_typed_error(
    store: Store, bucket: str, proxy: FaultProxy, header: bytes
) -> None:
    direct(store, bucket).upload_bytes("k", DATA)
    # A Content-Length flipped upwards makes the client wait for bytes that never come: the
    # read timeout ends that wait (a slow store looks the same), kept short here.
    s3 = S3Service(store.settings(bucket, proxy.url, read_timeout_seconds=0.5))
    for bit in (0, 4, 6):  # a larger digit, a quote, a letter
        proxy.clear()
        for spelling in (header, header.lower()):
            proxy.flip(direction="response", after=spelling, offset=0, bit=bit)
        with contextlib.suppress(S3ServiceError):  # typed: corrupted, or a bad answer named so
            assert s3.download_bytes("k") == DATA


class Pipe(io.RawIOBase):
    """A stream that cannot seek, as a pipe from ffmpeg is."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_multipart_upload_from_a_stream_that_cannot_seek_is_checked_on_every_read(
    store: Store, bucket: str, proxy: FaultProxy
) -> None:
    # Found by an attack: s3transfer sent per-part checksums only, so a bit flipped on the way
    # back was returned as data.
    data = os.urandom(12 * MiB)
    written = direct(store, bucket).upload_file("big", io.BufferedReader(Pipe(data)))
    s3 = service(store, bucket, proxy, "when_supported")
    proxy.flip(direction="response", offset=6 * MiB)

    assert written.size == len(data)
    assert written.etag.endswith("-3")
    with pytest.raises(S3IntegrityError, match="stored full-object CRC32"):
        s3.download_bytes("big")
    assert direct(store, bucket).download_bytes("big") == data
