"""The verified, resuming GET: an object's bytes checked against its checksum as they stream.

A GetObject answer whose headers did not arrive whole is asked for again; a connection that
drops mid-body is resumed where it stopped (a Range GET of the same ETag, up to
``S3_MAX_ATTEMPTS``); bytes that do not match the object's checksum are
:class:`~ai_voice_shared.S3IntegrityError`, never returned as good.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from ai_voice_shared.errors import S3IntegrityError, S3ServiceError
from ai_voice_shared.services._s3.integrity import Verifier
from ai_voice_shared.services._s3.store import Store

__all__ = ["DEFAULT_CHUNK_SIZE", "get", "stream"]

#: Default chunk size of ``S3Service.iter_bytes``.
DEFAULT_CHUNK_SIZE = 1024 * 1024


def get(store: Store, key: str, full: str, **extra: Any) -> dict[str, Any]:
    """A GetObject answer whose headers arrived whole, asked for again (at once, up to
    S3_MAX_ATTEMPTS) when they did not: a connection cut inside the headers looks to
    ``http.client`` like their end, and a damaged header breaks botocore's parser."""
    problem = ""
    attempts = store.settings.max_attempts
    for _ in range(attempts):
        with store.errors("GetObject", key):
            try:
                response: dict[str, Any] = dict(
                    store.client.get_object(
                        Bucket=store.bucket, Key=full, ChecksumMode="ENABLED", **extra
                    )
                )
            except ValueError as exc:
                if not _raised_in(exc, "botocore"):
                    raise
                problem = f"headers botocore could not read ({exc})"
                continue
        problem = _incomplete_answer(response)
        if not problem:
            return response
        response["Body"].close()
    raise S3ServiceError(
        f"S3 GetObject of s3://{store.bucket}/{key} got an answer with {problem}, "
        f"{attempts} time(s) in a row: the connection to {store.endpoint} cuts or corrupts "
        "responses. Nothing was read; check the network path (a proxy, a load balancer), then "
        "retry.",
        operation="GetObject",
        bucket=store.bucket,
        key=key,
        code="IncompleteResponse",
    )


def stream(
    store: Store, key: str, full: str, response: dict[str, Any], chunk_size: int, fate: str
) -> Iterator[bytes]:
    """The object's bytes from its GET, checked as they pass; after a dropped connection
    the rest is asked for again (a Range GET of the same ETag), up to S3_MAX_ATTEMPTS.

    ``fate`` says in errors what became of the bytes ("returned", "written", "kept").
    """
    from botocore.exceptions import (
        ConnectionClosedError,
        FlexibleChecksumError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )

    max_attempts = store.settings.max_attempts
    verifier = Verifier(response)
    body = response["Body"]
    received = 0
    resumes = 0
    try:
        while True:
            try:
                for chunk in body.iter_chunks(chunk_size):
                    verifier.update(chunk)
                    received += len(chunk)
                    yield chunk
                break
            except FlexibleChecksumError as exc:
                raise _corrupted(store, key, verifier, str(exc), fate) from exc
            except ValueError as exc:
                # botocore's own check could not decode the checksum header: damaged on
                # the way, so nothing can vouch for these bytes.
                if not _raised_in(exc, "botocore"):
                    raise
                unreadable = f"the checksum header is unreadable ({exc})"
                raise _corrupted(store, key, verifier, unreadable, fate) from exc
            except (
                ResponseStreamingError,
                ReadTimeoutError,
                IncompleteReadError,
                ConnectionClosedError,
            ) as exc:
                if received == 0 and resumes + 1 < max_attempts:
                    # Nothing read yet: the cut may have hit the headers, whose values then
                    # cannot be trusted. Ask for the whole object again, headers included;
                    # the caller's response becomes the new one (its metadata is used).
                    resumes += 1
                    body.close()
                    fresh = get(store, key, full)
                    response.clear()
                    response.update(fresh)
                    verifier = Verifier(response)
                    body = response["Body"]
                    continue
                if resumes + 1 >= max_attempts or received >= verifier.size:
                    raise S3ServiceError(
                        f"S3 GetObject of s3://{store.bucket}/{key} lost its connection "
                        f"after {received} of {verifier.size} bytes ({exc}), {resumes} "
                        f"time(s) resumed; nothing was {fate}. Check the network path to "
                        f"{store.endpoint}; raise S3_MAX_ATTEMPTS to resume more often.",
                        operation="GetObject",
                        bucket=store.bucket,
                        key=key,
                    ) from exc
                resumes += 1
                body.close()
                try:
                    body = get(
                        store, key, full, Range=f"bytes={received}-", IfMatch=str(response["ETag"])
                    )["Body"]
                except S3ServiceError as changed:
                    if changed.status != 412:
                        raise
                    raise S3ServiceError(
                        f"S3 GetObject of s3://{store.bucket}/{key} lost its connection "
                        f"after {received} of {verifier.size} bytes, and the object was "
                        "replaced before the rest could be read (its ETag changed); "
                        f"nothing was {fate}. Read it again: the error is transient.",
                        operation="GetObject",
                        bucket=store.bucket,
                        key=key,
                        code="ObjectChanged",
                        status=412,
                        request_id=changed.request_id,
                    ) from changed
    finally:
        body.close()
    problem = verifier.problem(received)
    if problem is not None:
        raise _corrupted(store, key, verifier, problem, fate)


def _corrupted(
    store: Store, key: str, verifier: Verifier, problem: str, fate: str
) -> S3IntegrityError:
    return S3IntegrityError(
        f"S3 GetObject of s3://{store.bucket}/{key} delivered bytes that do not match "
        f"{verifier.what}: {problem}. They were corrupted between the store and this "
        f"process; nothing was {fate}. Retry the read; if it keeps happening, check the "
        f"network path to {store.endpoint}.",
        operation="GetObject",
        bucket=store.bucket,
        key=key,
        code="ChecksumMismatch",
    )


def _raised_in(exc: BaseException, package: str) -> bool:
    """Whether ``exc`` was raised inside ``package`` (by its code or what it called), so that
    a ``ValueError`` from botocore reading a damaged answer is told from one of ours."""
    frame = exc.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith(package + "."):
            return True
        frame = frame.tb_next
    return False


def _incomplete_answer(response: Mapping[str, Any]) -> str:
    """What a GetObject answer lacks that every whole one has, or ``""``."""
    if not isinstance(response.get("ContentLength"), int):
        return "no Content-Length header"
    if not response.get("ETag"):
        return "no ETag header"
    if not isinstance(response.get("LastModified"), datetime):
        return "no Last-Modified header"
    return ""
