"""Multipart uploads a retried ``CreateMultipartUpload`` started and nobody will finish.

A connection cut just as the answer to ``CreateMultipartUpload`` arrives makes botocore retry
the call: the store has created an upload whose id the client never saw, and the retry creates
another. The call succeeds with the second id; the first stays open (its parts, if any, billed)
until something aborts it. botocore offers no way to learn the lost id, and S3 keeps no marker
that a listing shows (metadata and tags are not listed with in-progress uploads, and would
land on the object), so a botocore hook registered once per client does what can be done:
after a ``CreateMultipartUpload`` that needed more than one attempt, it lists the key's
in-progress uploads and aborts those initiated during this call, before the one it returned
(the window is measured in the store's own clock: the returned upload's ``Initiated`` minus
the call's duration, plus a second for the timestamps' precision). Another upload of the very
same key started in that window, from elsewhere, would be aborted too (its next part fails
with ``NoSuchUpload``); that is one same-key race inside a retry, and fails loudly rather
than losing data. It covers ``upload_stream`` and ``upload_file`` alike (s3transfer calls the
same client). What no call is left to clean (a process killed mid-upload) the bucket's
``AbortIncompleteMultipartUpload`` lifecycle rule removes: see docs/s3.md#unfinished-uploads.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import time
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["guard_retried_creates"]

logger = logging.getLogger("ai_voice_shared.s3")
_STARTED = "aivs_create_started"
# Initiated is given to the second (S3) or the millisecond (others): one second of slack.
_PRECISION = datetime.timedelta(seconds=1)


def guard_retried_creates(client: S3Client) -> None:
    """Register the hook on ``client`` (once: botocore keeps one handler per unique id)."""
    events = client.meta.events
    events.register(
        "before-call.s3.CreateMultipartUpload",
        cast(Any, _on_call),
        unique_id="ai-voice-shared-create-started",
    )
    events.register(
        "after-call.s3.CreateMultipartUpload",
        cast(Any, _AfterCreate(client)),
        unique_id="ai-voice-shared-retried-create",
    )


def _on_call(context: Any, **_: Any) -> None:
    if isinstance(context, dict):
        context[_STARTED] = time.monotonic()


class _AfterCreate:
    def __init__(self, client: S3Client) -> None:
        self.client = client

    def __call__(self, parsed: Any, context: Any, **_: Any) -> None:
        meta = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
        upload_id = parsed.get("UploadId") if isinstance(parsed, dict) else None
        started = context.get(_STARTED) if isinstance(context, dict) else None
        if not meta.get("RetryAttempts") or not upload_id or started is None:
            return
        elapsed = datetime.timedelta(seconds=time.monotonic() - started)
        with contextlib.suppress(BotoCoreError, ClientError, KeyError, TypeError):
            self._abort_earlier(parsed["Bucket"], parsed["Key"], upload_id, elapsed)

    def _abort_earlier(
        self, bucket: str, key: str, upload_id: str, elapsed: datetime.timedelta
    ) -> None:
        listed = self.client.list_multipart_uploads(Bucket=bucket, Prefix=key)
        uploads = [u for u in listed.get("Uploads", []) if u.get("Key") == key]
        ours = next((u for u in uploads if u.get("UploadId") == upload_id), None)
        if ours is None or "Initiated" not in ours:
            return
        newest = ours["Initiated"]
        oldest = newest - elapsed - _PRECISION
        for upload in uploads:
            other = upload.get("UploadId")
            initiated = upload.get("Initiated")
            if other and other != upload_id and initiated and oldest <= initiated <= newest:
                logger.warning(
                    "Aborting multipart upload %s of s3://%s/%s: a retried "
                    "CreateMultipartUpload started it and its answer was lost",
                    other,
                    bucket,
                    key,
                )
                self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=other)
